"""Data sets, one module per family, plus the image, download and archive helpers they use.
Importing it registers every data set."""

from nnfs_cli.data import fashion_mnist, generated  # noqa: F401 (registers them)
