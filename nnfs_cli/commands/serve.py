"""`nnfs serve`: a trained run's predictions over HTTP, until Ctrl-C or SIGTERM."""

import click

from nnfs_cli.threads import with_default_threads


@click.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (0.0.0.0 for every interface: anyone who can "
              "reach this machine may ask).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port to listen on; 0 picks a free one (the printed URL says which).")
@click.option("--best", is_flag=True, help="Serve the run's params_best.pkl.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes serving requests, each with the model loaded once.")
@with_default_threads
def serve(run_dir, host, port, best, workers):
    """Serve a run's predictions over HTTP: POST /predict takes JSON rows, raw pixel arrays
    or picture files and answers as `nnfs predict --json` does, with every class's
    probability; GET /info describes the run and its inputs, GET /health answers ok, and
    /docs has the OpenAPI document. Prints the URL on stdout once it answers; Ctrl-C or
    SIGTERM stops it after the requests in flight. Needs `pip install 'nnfs-cli[serve]'`.

    \b
    Example:
      nnfs serve latest
      nnfs serve runs/iris-20261127-101500 --port 8080 --workers 2
      curl -s localhost:8000/predict -H 'Content-Type: application/json' \\
        -d '{"rows": [[0.1, 0.5]]}'
    """
    from nnfs_cli.inference.prediction import run_notes, score
    from nnfs_cli.reporter import count
    from nnfs_cli.serve.server import serve as run_server

    def ready(url, run):
        for note in run_notes(run, chosen=False):
            click.echo(note, err=True)
        click.echo(f"serving {run.path} ({score(run.summary)}) at {url} with "
                   f"{count(workers, 'worker')}; Ctrl-C stops it", err=True)
        click.echo(url)

    run_server(run_dir, host, port, best, workers, ready=ready,
               say=lambda line: click.echo(line, err=True))
