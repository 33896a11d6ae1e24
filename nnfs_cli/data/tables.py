"""CSV files -> a Table of text cells that remembers the line each row came from, and columns
of cells -> numbers. The csv module splits the cells in C and NumPy converts whole columns, so
a large file costs no Python step per cell. Problems name the file and the line."""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnfs_cli import files
from nnfs_cli.errors import DataError

# Cells that mean "no value", as most tools write them (pandas' defaults, R's NA, UCI's "?").
MISSING = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "?"]


@dataclass
class Table:
    """A CSV file with a header line: `cells` (rows, columns) of text, `lines` the line of
    each row in the file (1-based; the header is usually line 1)."""

    path: Path
    header: list
    cells: np.ndarray
    lines: np.ndarray
    header_line: int = 1
    blank: list = field(default_factory=list)   # the columns whose header cell was empty
    _parsed: dict = field(default_factory=dict, repr=False)
    _index: dict = field(default=None, repr=False)

    def __len__(self):
        return len(self.cells)

    def subset(self, rows):
        """The table of row numbers `rows` only."""
        return Table(self.path, self.header, self.cells[rows], self.lines[rows], self.header_line,
                     self.blank)

    def where(self, row):
        """`file:line` of row number `row`."""
        return f"{self.path}:{self.lines[row]}"

    @property
    def columns(self):
        """{name: column number}, made once, so that looking up 100,000 columns stays linear."""
        if self._index is None:
            self._index = {name: index for index, name in enumerate(self.header)}
        return self._index

    def column(self, name):
        return self.cells[:, self.columns[name]]

    def parsed(self, name):
        """Column `name` read as numbers (parse_column), parsed once."""
        if name not in self._parsed:
            self._parsed[name] = parse_column(self.column(name))
        return self._parsed[name]

    def rows(self):
        """The rows as lists of text, as the file had them (for writing them back)."""
        return self.cells.tolist()


def read_table(path, delimiter=",", limit=None, limit_name=None):
    """Read the CSV file `path` (UTF-8, a header line, one row per line or quoted cells
    spanning lines); blank lines are skipped. NnfsError naming the file and line for an
    unreadable or empty file, a header without rows, a repeated column name or a ragged row;
    a file of more than `limit` bytes is refused (`limit_name`: see limits.get)."""
    path = Path(path)
    text = _read_text(path, limit, limit_name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                        skipinitialspace=True)
    try:
        if '"' in text:   # a quoted cell may span lines: ask the reader where each row began
            rows, lines = [], []
            start = 1
            for row in reader:
                rows.append(row)
                lines.append(start)
                start = reader.line_num + 1
        else:
            rows = list(reader)
            lines = range(1, len(rows) + 1)
    except csv.Error as error:
        raise DataError(f"{path}:{reader.line_num}: {error}") from None
    lines = np.fromiter(lines, dtype=np.int64, count=len(rows))
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    blank = lengths == 0
    for index in np.flatnonzero(lengths == 1):   # a line of spaces
        blank[index] = not rows[index][0].strip()
    kept = np.flatnonzero(~blank)
    if not len(kept):
        raise DataError(f"{path}: the file is empty; expected a header line and rows of values")
    header_line = lines[kept[0]]
    header = _header(rows[kept[0]], path, header_line)
    blank = [name for name, cell in zip(header, rows[kept[0]]) if not cell.strip()]
    kept = kept[1:]
    if not len(kept):
        raise DataError(f"{path}: no rows after the header line")
    if len(header) == 1:
        _check_delimiter(path, header_line, delimiter.join(rows[kept[0]]), header[0], delimiter)
    ragged = kept[lengths[kept] != len(header)]
    if len(ragged):
        first = ragged[0]
        raise DataError(f"{path}:{lines[first]}: {_count(lengths[first], 'value')}, but the "
                        f"header has {_count(len(header), 'column')}")
    cells = np.array([rows[index] for index in kept], dtype=object)
    return Table(path, header, cells, lines[kept], int(header_line), blank=blank)


DELIMITERS = (",", ";", "\t", "|")


def _check_delimiter(path, line, first_row, name, delimiter):
    """A header of one column that another delimiter splits as it splits the first row (its
    cells joined again) is a file written with that delimiter: say so, rather than miss every
    column or count the first row's values against one column later."""
    for other in DELIMITERS:
        if other != delimiter and 2 <= name.count(other) + 1 == first_row.count(other) + 1:
            raise DataError(f"{path}:{line}: the header has one column {name!r}; is the "
                            f"delimiter {other!r}? (the file is read with data.delimiter: "
                            f"{delimiter!r})")


def table_of_records(records, columns, path="<rows>"):
    """A Table from Python values: a list of {column: value} dicts, a table-like object with
    `columns` and `to_numpy()` (a pandas DataFrame), or a 2-D list or array whose rows give
    `columns` in order. A value becomes the text a CSV file would hold (None and NaN: empty).
    NnfsError for anything else."""
    if hasattr(records, "columns") and hasattr(records, "to_numpy"):
        header, rows = [str(name) for name in records.columns], records.to_numpy().tolist()
    elif isinstance(records, dict):
        raise DataError(f"{path}: give a list of rows (dicts of column: value), not one dict")
    else:
        rows = list(records.tolist() if isinstance(records, np.ndarray) else records)
        if rows and all(isinstance(row, dict) for row in rows):
            header = list(dict.fromkeys(str(key) for row in rows for key in row))
            rows = [[row.get(name, row.get(_key(row, name))) for name in header] for row in rows]
        else:
            header = list(columns)
            for number, row in enumerate(rows):
                if isinstance(row, (str, bytes, dict)) or not hasattr(row, "__len__"):
                    raise DataError(f"{path}: row {number} is {type(row).__name__}; give rows "
                                    f"of the columns {', '.join(header)}")
                if len(row) != len(header):
                    raise DataError(f"{path}: row {number} has {_count(len(row), 'value')}, "
                                    f"but the model takes {_count(len(header), 'column')}: "
                                    f"{', '.join(header)}")
    if not rows:
        raise DataError(f"{path}: no rows")
    cells = np.empty((len(rows), len(header)), dtype=object)
    for number, row in enumerate(rows):
        cells[number] = [_cell(value) for value in row]
    return Table(Path(path), header, cells, np.arange(len(rows), dtype=np.int64), 0)


def _key(row, name):
    """The key of `row` whose text is `name` (a dict keyed by numbers, say)."""
    return next((key for key in row if str(key) == name), name)


def _cell(value):
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _read_text(path, limit, limit_name):
    raw = files.read_bytes(path, limit, limit_name)   # regular files only (files.py)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise DataError(f"{path}:{line}: not UTF-8 text (byte {raw[error.start]:#04x}); "
                        "save the file as UTF-8") from None
    nul = raw.find(b"\0")
    if nul >= 0:   # text has none: a binary file, or cells padded with NULs ("1.5\0")
        line = raw.count(b"\n", 0, nul) + 1
        raise DataError(f"{path}:{line}: holds a NUL byte (0x00), which CSV text never has; "
                        "is it a binary file?")
    return text


def _header(row, path, line):
    names = [name.strip() or f"column_{index}" for index, name in enumerate(row)]
    seen = set()
    for name in names:
        if name in seen:
            raise DataError(f"{path}:{line}: the header names column {name!r} twice")
        seen.add(name)
    return names


@dataclass
class Column:
    """One column's cells read as numbers: `values` (float64, NaN unless a finite number),
    where cells are `missing` (see MISSING) and where present cells are `not_numbers`;
    `text` is the cells without surrounding spaces."""

    values: np.ndarray
    missing: np.ndarray
    not_numbers: np.ndarray
    text: np.ndarray

    @property
    def numeric_share(self):
        """The fraction of present cells that are numbers (1.0 for a column with none)."""
        present = np.count_nonzero(~self.missing)
        return 1.0 if not present else 1 - np.count_nonzero(self.not_numbers) / present


def parse_column(cells):
    """A column of text cells -> Column. A column of numbers converts in C; any other is
    parsed once per distinct value."""
    nothing = np.zeros(len(cells), dtype=bool)
    try:
        values = cells.astype(np.float64)
        if np.isfinite(values).all():
            return Column(values, nothing, nothing, cells)
    except (ValueError, TypeError):
        pass
    distinct, inverse = np.unique(cells, return_inverse=True)
    inverse = inverse.reshape(-1)
    text = np.array([cell.strip() for cell in distinct], dtype=object)
    missing = np.isin(text, MISSING)
    values = np.array([_number(cell) for cell in text], dtype=np.float64).reshape(-1)
    not_numbers = ~missing & ~np.isfinite(values)
    values[~np.isfinite(values)] = np.nan
    return Column(values[inverse], missing[inverse], not_numbers[inverse], text[inverse])


def _number(text):
    try:
        return float(text)
    except ValueError:
        return np.nan


def is_integral(values):
    return bool(np.all(np.floor(values) == values))


def number_name(value):
    """A number as a class name: 3 rather than 3.0 (whole numbers exactly, however large)."""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _count(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
