"""`nnfs predict --output FILE.csv`: the predictions as a CSV file, written atomically.

Rows of CSV tables that share one header are written back as they were, with a `prediction`
column added (for classifiers `confidence`, then one `probability_<class>` column per class
in class order, as scikit-learn's predict_proba gives them); any other inputs (pictures,
.npy rows) give one line each with their path and row.

A text cell that a spreadsheet would take for a formula (starting with =, +, -, @, a tab or
a carriage return: a class name `=HYPERLINK(...)`, a crafted cell of an input) is written
with a single quote in front, as OWASP advises against CSV injection; numbers such as -3.5
are written as they are."""

import csv
import io
import re

from nnfs_cli import atomic
from nnfs_cli.errors import NnfsError

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def write_predictions(output, results, tables, probabilities=None, class_names=None):
    """Write `results` (prediction.predict's, in input order) to `output` (a path, written
    atomically, or an atomic.Output); `tables` are (Rows read from a CSV table, index of its
    first result); `probabilities` (results, classes) are a classifier's class scores, in
    the order of `class_names`."""
    if not results:
        return
    classify = "label" in results[0]
    added = ["prediction", "confidence"] if classify else ["prediction"]
    if classify and probabilities is not None:
        added += [f"probability_{name}" for name in class_names]
    buffer = io.StringIO()
    writer = _Defused(csv.writer(buffer, lineterminator="\n"))
    headers = {tuple(rows.header) for rows, _ in tables}

    def predicted(index):
        cells = _predicted(results[index], classify)
        if classify and probabilities is not None:
            cells += [f"{value:.6g}" for value in probabilities[index]]
        return cells
    if len(headers) == 1 and sum(len(rows.cells) for rows, _ in tables) == len(results):
        header = list(tables[0][0].header)
        writer.writerow(header + _new_names(header, added))
        for rows, first in tables:
            for offset, cells in enumerate(rows.cells):
                writer.writerow(list(cells) + predicted(first + offset))
    else:
        writer.writerow(["path", "row"] + _new_names(["path", "row"], added))
        for index, result in enumerate(results):
            writer.writerow([result["path"], result.get("row", "")] + predicted(index))
    try:
        atomic.write_to(output, buffer.getvalue().encode("utf-8"))
    except atomic.WriteError:
        raise
    except OSError as error:
        raise NnfsError(f"cannot write {output}: {error.strerror or error}") from None


class _Defused:
    """A csv writer whose text cells cannot start a spreadsheet formula."""

    def __init__(self, writer):
        self.writer = writer

    def writerow(self, cells):
        self.writer.writerow([defuse(cell) for cell in cells])


def defuse(cell):
    """`cell` with a single quote in front if it is text that starts like a formula."""
    text = str(cell)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


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
