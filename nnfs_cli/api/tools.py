"""Tools that look inside a config's training without making a run: `gradcheck` (the
model's backward pass against central differences) and `lr_find` (the learning-rate range
test), as `nnfs gradcheck` and `nnfs lr-find` run them."""

from nnfs_cli.api.runs import resolve
from nnfs_cli.reporter import Reporter


def gradcheck(config, *, overrides=(), download=True, samples=8, entries=20, tolerance=1e-4,
              **settings):
    """Check the gradients of the model `config` describes (a YAML file's path or a dict;
    `overrides` and `settings` as `train` takes them) at its initial weights, on `samples`
    of its training samples, `entries` of each trained array; returns a GradientCheck:
    `ok`, `arrays` (each with `name`, `max_error`, `ok`), `failures`, `lines()`."""
    from nnfs_cli.training import gradcheck as checking
    source, resolved = resolve(config, overrides, settings)
    return checking.gradcheck(resolved, Reporter(quiet=True), source, download, samples,
                              entries, tolerance)


def lr_find(config, *, overrides=(), download=True, start=1e-7, end=10.0, steps=200,
            **settings):
    """The learning-rate range test of `config` (as `gradcheck` takes it): `steps` steps
    from its initial weights with the rate growing geometrically from `start` to `end`,
    stopped when the loss blows up. Returns a RangeResult: `rates`, `losses`, `smoothed`,
    `suggestion` (minimum / 10), `steepest`, `stopped`, `lines()`, `plot(path)`, `rows()`."""
    from nnfs_cli.training import lr_find as finding
    source, resolved = resolve(config, overrides, settings)
    return finding.lr_find(resolved, source, download, start, end, steps)
