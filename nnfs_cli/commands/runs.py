"""`nnfs runs`: list the run directories."""

import click


@click.command()
@click.argument("root", metavar="[DIR]", required=False, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects instead.")
def runs(root, as_json):
    """List the runs in DIR (default: runs/), newest last: data set, epochs saved of
    configured, the best epoch's monitored value (val_loss 0.3551 @9), the final
    validation accuracy, wall time and status.

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
    """
    from nnfs_cli.runs import listing

    # runs/ appears with the first run: its absence means "none yet", a named DIR must exist.
    found = listing.list_runs(root or "runs", missing_ok=root is None)
    if as_json:
        click.echo(listing.to_json(found))
    elif found:
        click.echo("\n".join(listing.format_table(found)))
    else:
        click.echo(f"no runs under {(root or 'runs').rstrip('/')}/ yet")
