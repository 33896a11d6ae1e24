"""Data sets, one module per family, plus the image, table, download and archive helpers they
use. Importing it registers every data set."""

from nnfs_cli.data import (csv_table, fashion_mnist, generated, image_folder,  # noqa: F401
                           npz_arrays)
