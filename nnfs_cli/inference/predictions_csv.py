"""`nnfs predict --output FILE.csv`: the predictions as a CSV file, written atomically.

Rows of CSV tables that share one header are written back as they were, with a `prediction`
column (and `confidence` for classifiers) added; any other inputs (pictures, .npy rows) give
one line each with their path and row."""

import csv
import io
from pathlib import Path

from nnfs_cli import atomic
from nnfs_cli.errors import NnfsError


def write_predictions(path, results, tables):
    """Write `results` (prediction.predict's, in input order) to the CSV file `path`;
    `tables` are (Rows read from a CSV table, index of its first result)."""
    if not results:
        return
    classify = "label" in results[0]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    headers = {tuple(rows.header) for rows, _ in tables}
    if len(headers) == 1 and sum(len(rows.cells) for rows, _ in tables) == len(results):
        header = list(tables[0][0].header)
        added = _new_names(header, ["prediction", "confidence"] if classify else ["prediction"])
        writer.writerow(header + added)
        for rows, first in tables:
            for offset, cells in enumerate(rows.cells):
                writer.writerow(list(cells) + _predicted(results[first + offset], classify))
    else:
        writer.writerow(["path", "row", "prediction"] + (["confidence"] if classify else []))
        for result in results:
            writer.writerow([result["path"], result.get("row", "")]
                            + _predicted(result, classify))
    try:
        atomic.write_text(Path(path), buffer.getvalue())
    except OSError as error:
        raise NnfsError(f"cannot write {path}: {error.strerror or error}") from None


def _predicted(result, classify):
    if classify:
        return [result["label"], f"{result['confidence']:.6g}"]
    if "value" in result:
        return [f"{result['value']:.8g}"]
    return [" ".join(f"{value:.8g}" for value in result["values"])]


def _new_names(header, names):
    """`names`, each with underscores appended until the header does not have it."""
    taken, chosen = set(header), []
    for name in names:
        while name in taken:
            name += "_"
        taken.add(name)
        chosen.append(name)
    return chosen
