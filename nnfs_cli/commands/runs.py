"""`nnfs runs`: list the run directories, or compare some."""

import click


@click.command()
@click.argument("paths", metavar="[DIR | RUN...]", nargs=-1, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead.")
@click.option("--compare", is_flag=True,
              help="Compare the runs named (two or more): their learning curves on one figure "
              "and a table of their figures and of the config keys that differ.")
@click.option("--metric", metavar="NAME", default="loss", show_default=True,
              help="With --compare: the figure to draw (loss, accuracy, or a score of the "
              "runs' metrics such as f1_macro or r2).")
@click.option("-o", "--output", type=click.Path(allow_dash=True), default="compare.png",
              show_default=True, help="With --compare: where to write the figure.")
@click.option("--force", is_flag=True, help="With --compare: replace an existing figure.")
def runs(paths, as_json, compare, metric, output, force):
    """List the runs in DIR (default: runs/), newest last: data set, epochs saved of
    configured, the best epoch's monitored value (val_loss 0.3551 @9), the final
    validation accuracy (R² for a regression), wall time and status. With --compare, put
    the runs named side by side instead.

    \b
    A status is finished, interrupted, diverged or pruned (stopped early
    by the pruner of nnfs sweep); running (its process is alive on this
    machine); killed (it was running, but its process is gone: --resume
    continues from the last checkpoint, if any); created (training never
    started); or unreadable.

    \b
    Example:
      nnfs runs
      nnfs runs runs/sweeps/spiral      # the trials of a sweep
      nnfs runs experiments --json
      nnfs runs --compare runs/spiral-20261127-101500 latest --metric accuracy
      nnfs runs --compare runs/sweeps/spiral/trial-* -o trials.png
    """
    if compare:
        return _compare(paths, as_json, metric, output, force)
    if len(paths) > 1:
        raise click.UsageError("give one DIR to list (or --compare to compare runs)")
    from nnfs_cli.runs import listing

    root = paths[0] if paths else None
    # runs/ appears with the first run: its absence means "none yet", a named DIR must exist.
    found = listing.list_runs(root or "runs", missing_ok=root is None)
    if as_json:
        click.echo(listing.to_json(found))
    elif found:
        click.echo("\n".join(listing.format_table(found)))
    else:
        click.echo(f"no runs under {(root or 'runs').rstrip('/')}/ yet")


def _compare(paths, as_json, metric, output, force):
    import json

    from nnfs_cli import atomic
    from nnfs_cli.runs import comparison

    compared = comparison.load(paths)
    metric = comparison.check_metric(compared, metric)
    target = atomic.user_output(output, "-o", force=force)
    comparison.plot(compared, metric, target)
    if as_json:
        click.echo(json.dumps(comparison.to_dict(compared), indent=2, default=str),
                   err=target.to_stdout)
    else:
        click.echo("\n".join(comparison.table(compared)), err=target.to_stdout)
    if not target.to_stdout:
        click.echo(f"wrote {target.path}", err=True)
