"""`nnfs gradcheck`: check a config's model's gradients numerically."""

import click

from nnfs_cli.threads import with_default_threads


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config key, as nnfs train takes it (repeatable).")
@click.option("--samples", type=click.IntRange(min=1), default=8, show_default=True,
              help="Training samples in the batch checked.")
@click.option("--entries", type=click.IntRange(min=1), default=20, show_default=True,
              help="Entries checked per trained array (its largest gradient and a seeded "
              "sample).")
@click.option("--tolerance", type=click.FloatRange(min=0, min_open=True), default=1e-4,
              show_default=True, help="The largest relative error that passes.")
@click.option("--no-download", is_flag=True,
              help="Fail instead of downloading a missing data set (Fashion-MNIST).")
@with_default_threads
def gradcheck(config_path, overrides, samples, entries, tolerance, no_download):
    """Check the backward pass of CONFIG's model against numerical gradients.

    Builds the model as training would (the same initial weights), copies it to float64,
    and on a few of the config's training samples compares each sampled entry of every
    trained array's gradient with the central difference of the training loss. Dropout and
    augmentation keep the same draws throughout. Prints each array's largest relative error;
    exits 0 when all are within the tolerance, 1 naming those that are not.

    \b
    Example:
      nnfs gradcheck configs/spiral.yaml
      nnfs gradcheck configs/fashion_cnn.yaml --samples 4 --entries 10
    """
    from nnfs_cli.api.tools import gradcheck as check
    from nnfs_cli.errors import NnfsError
    from nnfs_cli.training.gradcheck import short

    result = check(config_path, overrides=overrides, download=not no_download,
                   samples=samples, entries=entries, tolerance=tolerance)
    for line in result.lines():
        click.echo(line)
    if not result.ok:
        named = "; ".join(f"{array.name} (max relative error {short(array.max_error)})"
                          for array in result.failures)
        raise NnfsError(f"gradient check failed: {named}; the layer's backward does not give "
                        "the gradient of its forward")

