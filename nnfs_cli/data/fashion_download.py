"""`nnfs download-fashion`: fetch the nnfs.io archive, check it, extract it and build its cache.

Layout: DEST/fashion_mnist_images/{train,test}/<label>/<name>.png, plus cache.npz in that folder.
"""

import os
import shutil
import tempfile
from pathlib import Path

from nnfs_cli.data.archive import extract_fashion
from nnfs_cli.data.fashion_mnist import FASHION_URL, FOLDER, dataset_ready, image_tree
from nnfs_cli.data.fetch import Unreachable, check_sha256, fetch
from nnfs_cli.data.image_files import CACHE
from nnfs_cli.errors import NnfsError
from nnfs_cli.reporter import Reporter


def download_fashion(url=FASHION_URL, dest="datasets", force=False, sha256=None, reporter=None):
    """Fetch, check, extract and cache Fashion-MNIST; return the folder DEST/fashion_mnist_images.

    A loadable copy is kept unless `force`. Everything happens in a temporary folder inside
    `dest`, so a failure or Ctrl-C leaves no partial files and the old copy as it was.
    """
    reporter = reporter or Reporter()
    sha256 = check_sha256(sha256)
    dest = Path(dest)
    final = dest / FOLDER
    if not force and dataset_ready(final):
        reporter.line(f"already present: {final}; use --force to download again")
        return final
    try:
        dest.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{FOLDER}.", suffix=".tmp", dir=dest))
    except OSError as error:
        raise _write_error(error, dest) from None
    try:
        archive = work / f"{FOLDER}.zip"
        try:
            fetch(url, archive, reporter, sha256=sha256)
        except Unreachable as error:
            raise NnfsError(f"{error}; to use a local copy of {FOLDER}.zip, pass --url "
                            f"/path/to/{FOLDER}.zip to nnfs download-fashion, or set "
                            f"NNFS_FASHION_URL=/path/to/{FOLDER}.zip") from None
        new = work / FOLDER
        reporter.line("checking and extracting the archive")
        counts = extract_fashion(archive, new, source=url)
        reporter.line(", ".join(f"{split}: {n} images" for split, n in counts.items()))
        archive.unlink()
        reporter.line(f"building the cache {final / CACHE}")
        image_tree(new).build_cache()
        _replace(new, final, aside=work / "old")
    except OSError as error:
        raise _write_error(error, dest) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _replace(new, final, aside):
    """Move `new` to `final`; an old copy is moved aside first and put back if that fails."""
    if not os.path.lexists(final):
        os.rename(new, final)
        return
    os.rename(final, aside)
    try:
        os.rename(new, final)
    except BaseException:
        os.rename(aside, final)
        raise


def _write_error(error, dest):
    return NnfsError(f"cannot write to {dest}: {error.strerror or error}")
