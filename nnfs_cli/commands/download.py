"""`nnfs download-fashion`: fetch, check, extract and cache Fashion-MNIST."""

import click

from nnfs_cli.errors import NnfsError
from nnfs_cli.threads import with_default_threads


@click.command("download-fashion")
@click.option("--url", envvar="NNFS_FASHION_URL", show_envvar=True,
              default="https://nnfs.io/datasets/fashion_mnist_images.zip", show_default=True,
              help="Where to fetch the archive: http(s)://, file:// or a local path.")
@click.option("--dest", default="datasets", show_default=True, type=click.Path(file_okay=False),
              help="Folder that receives fashion_mnist_images/ and its cache.")
@click.option("--force", is_flag=True, help="Download and extract again even if a valid copy exists.")
@click.option("--sha256", default=None, callback=lambda ctx, param, value: _sha256(value),
              help="Expected SHA-256 of the archive (64 hex digits); checked when given.")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the data set's folder.")
@with_default_threads
def download_fashion_command(url, dest, force, sha256, quiet):
    """Fetch Fashion-MNIST, check it, extract it safely and cache it.

    \b
    Example:
      nnfs download-fashion --dest datasets
      nnfs download-fashion --url file:///data/fashion_mnist_images.zip
    """
    from nnfs_cli.data.fashion_download import download_fashion
    from nnfs_cli.reporter import Reporter

    path = download_fashion(url, dest, force=force, sha256=sha256, reporter=Reporter(quiet=quiet))
    click.echo(str(path))


def _sha256(value):
    """A malformed digest is a usage mistake (exit 2), found before anything is downloaded."""
    from nnfs_cli.data.fetch import check_sha256
    try:
        return check_sha256(value)
    except NnfsError as error:
        raise click.BadParameter(str(error).removeprefix("--sha256 ")) from None
