"""`nnfs runs`: list the run directories."""

import click


@click.command()
@click.argument("root", metavar="[DIR]", default="runs", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects instead.")
def runs(root, as_json):
    """List the runs in DIR (default: runs/), newest last: data set, epochs done of
    configured, best and final validation accuracy, wall time and status.

    \b
    A status is finished, interrupted or diverged; running (its process is alive
    on this machine); killed (it was running, but its process is gone: --resume
    continues from the last checkpoint, if any); created (training never started);
    or unreadable.

    \b
    Example:
      nnfs runs
      nnfs runs experiments --json
    """
    from nnfs_cli.runs import listing

    found = listing.list_runs(root)
    if as_json:
        click.echo(listing.to_json(found))
    elif found:
        click.echo("\n".join(listing.format_table(found)))
    else:
        click.echo(f"no runs in {root}")
