"""How the `csv` data set turns a table with its training file's columns into model inputs and
targets: numbers scaled, text one-hot encoded, class names from the target column. The state
(learnt in table_learning.py, fitted here) is plain JSON, saved in the run (summary.json's
data_state), so evaluate and predict prepare new rows exactly as training did."""

import numpy as np

from nnfs_cli import limits
from nnfs_cli.data.tables import Column
from nnfs_cli.errors import DataError

FLOAT32_MAX = float(np.finfo(np.float32).max)


FILLS = ("mean", "median", "most_frequent")   # modes that fill a number column's cells


class TableEncoder:
    """Applies a state: learnt from a training table (table_learning.py), then `fit` on the
    training rows; or saved in a run. `unknown_categories` is the data option: "ignore"
    encodes a category the training rows did not have (in a test file or at predict) as all
    zeros, "error" refuses it."""

    def __init__(self, state, unknown_categories="error"):
        self.state = state
        self.ignore_unknown = unknown_categories == "ignore"
        for feature in state["features"]:
            # Runs from before per-column modes kept one `missing` for all columns.
            feature.setdefault("missing", state["missing"] if isinstance(state["missing"], str)
                               else "error")

    @property
    def task(self):
        return self.state["task"]

    @property
    def class_names(self):
        return self.state.get("class_names")

    @property
    def width(self):
        """Model inputs per row: one per number column, one per category of a text column."""
        return sum(1 if feature["kind"] == "number" else len(feature["categories"])
                   for feature in self.state["features"])

    def modes(self):
        """{column: missing-cell mode} of the target and the features."""
        modes = {feature["name"]: feature["missing"] for feature in self.state["features"]}
        target = self.state.get("target_missing")
        if target is None:   # runs from before: one mode for all, drop or else refuse
            target = "drop" if self.state["missing"] == "drop" else "error"
        modes[self.state["target"]] = target
        return modes

    def fit(self, raw, y):
        """Fix the scaling and the fill values of missing cells (the mean, median or most
        frequent value of a column) from the training rows: `raw` as `encode_raw` gives it,
        `y` their targets."""
        kind = self.state["scale"]
        for index, feature in enumerate(self.state["features"]):
            values = raw[:, index]
            present = values[~np.isnan(values)]
            if feature["kind"] != "number":
                if feature["missing"] == "most_frequent":
                    counts = np.bincount(present[present >= 0].astype(np.intp),
                                         minlength=len(feature["categories"]))
                    feature["fill"] = int(np.argmax(counts))   # the first of a tie, as sklearn
                continue
            feature["fill"] = _fill(present, feature["missing"])
            feature["center"], feature["scale"] = _scaling(present, kind)
        if self.task == "regression":
            kind = "standard" if self.state["scale_target"] else "none"
            self.state["target_center"], self.state["target_scale"] = _scaling(y, kind)

    def check_size(self, rows, path):
        """NnfsError unless `rows` rows of this encoder's width fit the limit on encoded
        values (one-hot encoding can make a small file of distinct texts gigabytes wide)."""
        limit, width = limits.get("table_values"), self.width
        if rows * width <= limit:
            return
        text = [feature for feature in self.state["features"] if feature["kind"] == "category"]
        widest = max(text, key=lambda feature: len(feature["categories"]), default=None)
        why = (f"; one-hot encoding {len(text)} text column(s) makes most of them (the widest, "
               f"{widest['name']!r}, has {len(widest['categories']):,} categories; leave "
               "columns of identifiers out with data.features)" if widest else "")
        raise DataError(f"{path}: {rows:,} rows x {width:,} inputs is {rows * width:,} values "
                        f"once encoded, more than the limit of {limit:,} "
                        f"{limits.hint('table_values')}{why}")

    # --- turning tables into arrays ---------------------------------------------------------

    def encode_raw(self, table, purpose, reference=None, problems=None):
        """(raw features (rows, features) float64, targets or None, kept row numbers) of a
        table with this encoder's columns. Number columns hold their values (NaN where
        missing), text columns the index of each category (NaN where missing, -1 for an
        unknown category encoded as zeros). `purpose` is "train" or "test" (the target is
        required, columns must be the training file's; `reference` names that file) or
        "predict" (the target is ignored, extra columns are allowed). A bad cell is a
        DataError naming its line and column, or with `problems` (a Problems that gathers)
        its row's problem, the row left in the arrays for the caller to drop."""
        state = self.state
        features = [feature["name"] for feature in state["features"]]
        if purpose == "predict":
            _check_has(table, features)
            names = features
        else:
            _check_same_columns(table, state["columns"], reference)
            names = [state["target"], *features]
        columns = {name: table.parsed(name) for name in names}
        modes = self.modes()
        keep = rows_to_keep(columns, modes, purpose)
        if not len(keep):
            raise DataError(f"{table.path}: no rows left once rows with missing cells are dropped")
        kept, columns = subset(table, columns, keep)
        problems = problems if problems is not None else Problems(kept)
        problems.table = kept
        by_name = {feature["name"]: feature for feature in state["features"]}
        check_missing(kept, {name: columns[name] for name in features}, by_name, purpose,
                      modes, problems, self.ignore_unknown)
        raw = np.empty((len(keep), len(features)), dtype=np.float64)
        for index, feature in enumerate(state["features"]):
            raw[:, index] = _raw_feature(kept, feature, columns[feature["name"]], problems,
                                         self.ignore_unknown)
        y = None if purpose == "predict" else self._targets(kept, columns[state["target"]])
        return raw, y, keep

    def encode_rows(self, table):
        """What predict makes of a table: (raw features of its good rows, their row numbers,
        [(row number, problem)] of the others): every row that can be predicted is."""
        problems = Problems(table, gather=True)
        raw, _, keep = self.encode_raw(table, "predict", problems=problems)
        good = np.ones(len(keep), dtype=bool)
        good[list(problems.rows)] = False
        bad = [(int(keep[row]), message) for row, message in sorted(problems.rows.items())]
        return raw[good], keep[good], bad

    def raw_inputs(self, raw):
        """Raw features -> float32 (rows, width) before scaling: number columns with missing
        cells filled (the training mean, median or most frequent value), a 0/1 column per
        category of a text column (a missing cell: the most frequent category; an unknown
        one: all zeros)."""
        x = np.zeros((len(raw), self.width), dtype=np.float32)
        offset = 0
        for index, feature in enumerate(self.state["features"]):
            values = raw[:, index]
            if feature["kind"] == "number":
                x[:, offset] = np.where(np.isnan(values), feature["fill"], values)
                offset += 1
            else:
                if "fill" in feature:
                    values = np.where(np.isnan(values), feature["fill"], values)
                rows = np.flatnonzero(values >= 0)   # -1: an unknown category, all zeros
                x[rows, offset + values[rows].astype(np.intp)] = 1
                offset += len(feature["categories"])
        return x

    def fills(self):
        """float32 (width,): what a missing (NaN) raw input becomes, as raw_inputs fills it;
        NaN where nothing is filled (the cell is refused). A text column filled with its most
        frequent category (or whose missing cells are a category of their own) gets that
        category's one-hot column: a client that marks all of the column's inputs NaN gets
        the category nnfs fills in (all zeros where unknown_categories: ignore zeroes them)."""
        fills = []
        for feature in self.state["features"]:
            if feature["kind"] == "number":
                fills.append(feature["fill"] if fills_cells(feature) else np.nan)
            elif "fill" in feature or "missing_category" in feature:
                chosen = feature["fill"] if "fill" in feature else \
                    feature["categories"].index(feature["missing_category"])
                fills += [float(index == chosen) for index in range(len(feature["categories"]))]
            else:
                zeros = self.ignore_unknown and feature["missing"] == "category"
                fills += [0.0 if zeros else np.nan] * len(feature["categories"])
        return np.array(fills, dtype=np.float32)

    def input_columns(self):
        """One {name, kind, column, category} per model input: a number column's value, or
        one category of a text column (0 or 1)."""
        return [item for feature in self.state["features"] for item in (
            [{"name": feature["name"], "kind": "number", "column": feature["name"],
              "category": None}] if feature["kind"] == "number" else
            [{"name": f"{feature['name']}={category}", "kind": "category",
              "column": feature["name"], "category": category}
             for category in feature["categories"]])]

    def scaling(self):
        """(subtract, divide): float32 (width,) arrays, so inputs = (raw_inputs - subtract) /
        divide; 0 and 1 for the category columns."""
        subtract, divide = [], []
        for feature in self.state["features"]:
            if feature["kind"] == "number":
                subtract.append(feature["center"])
                divide.append(feature["scale"])
            else:
                subtract += [0.0] * len(feature["categories"])
                divide += [1.0] * len(feature["categories"])
        return np.array(subtract, dtype=np.float32), np.array(divide, dtype=np.float32)

    def input_names(self):
        """What each model input is: `weight`, `color=red`..."""
        return [name for feature in self.state["features"] for name in (
            [feature["name"]] if feature["kind"] == "number"
            else [f"{feature['name']}={category}" for category in feature["categories"]])]

    def transform(self, raw):
        """Raw features -> float32 model inputs: (raw_inputs - subtract) / divide, in float32
        as an exported model computes them."""
        subtract, divide = self.scaling()
        x = self.raw_inputs(raw)
        x -= subtract
        x /= divide
        return x

    def scale_targets(self, y):
        if self.task != "regression":
            return y
        return ((y - self.state["target_center"]) / self.state["target_scale"]).astype(np.float32)

    def _targets(self, table, column):
        state, name = self.state, self.state["target"]
        if self.task == "regression":
            refuse_text(table, name, column, "a regression target must be a number")
            _refuse_beyond_float32(name, column, Problems(table))
            return column.values
        if state["labels"] == "numbers":
            refuse_text(table, name, column, "the classes of this column are numbers")
            known, found = np.array(state["class_values"]), column.values
        else:
            known, found = np.array(state["class_names"], dtype=object), column.text
        index = np.clip(np.searchsorted(known, found), 0, len(known) - 1)
        unknown = np.flatnonzero(known[index] != found)
        if len(unknown):
            row = unknown[0]
            raise DataError(f"{table.where(row)}: column {name!r}: class {column.text[row]!r} is "
                            f"not one of the training file's ({', '.join(state['class_names'])})")
        return index.astype(np.int64)


# --- helpers -----------------------------------------------------------------------------

class Problems:
    """Bad cells of a table's rows: a DataError at the first (training and test files, rows
    given in Python), or with `gather` the first problem of every bad row, {row: message}
    (predict: the good rows are predicted, each bad one named)."""

    def __init__(self, table, gather=False):
        self.table, self.gather, self.rows = table, gather, {}

    def add(self, bad, message):
        """Rows where `bad` is true have the problem `message(row)` (text after `file:line: `)."""
        rows = np.flatnonzero(bad)
        if not len(rows):
            return
        if not self.gather:
            raise DataError(f"{self.table.where(rows[0])}: {message(rows[0])}")
        for row in rows:
            if int(row) not in self.rows:
                self.rows[int(row)] = f"{self.table.where(row)}: {message(row)}"


def fills_cells(feature):
    """Whether a missing cell of this learnt feature is filled in (else refused)."""
    mode = feature["missing"]
    if feature["kind"] == "number":
        return mode in FILLS
    return mode == "most_frequent" or "missing_category" in feature


def rows_to_keep(columns, modes, purpose):
    """Row numbers to use: all, or (when not predicting) those without a missing cell in a
    column whose mode ({column: mode}) is drop."""
    rows = len(next(iter(columns.values())).missing)
    dropping = [name for name in columns if modes.get(name) == "drop"]
    if not dropping or purpose == "predict":
        return np.arange(rows)
    absent = np.zeros(rows, dtype=bool)
    for name in dropping:
        absent |= columns[name].missing
    return np.flatnonzero(~absent)


def check_missing(table, columns, features, purpose, modes, problems=None, ignore=False):
    """A missing cell is a problem (Problems: an error unless gathered) unless its column's
    mode fills it (`features`: {name: learnt feature}; the target's cells are never filled)
    or, with `ignore` (unknown_categories), it is of a text column kept as all zeros."""
    problems = problems if problems is not None else Problems(table)
    for name, column in columns.items():
        feature = features.get(name)
        if feature is not None and (fills_cells(feature) or (
                ignore and feature["kind"] == "category" and feature["missing"] == "category")):
            continue
        hint = _missing_hint(name, modes.get(name, "error"), feature, purpose)
        problems.add(column.missing, lambda row: f"column {name!r} is empty; {hint}")


def _missing_hint(name, mode, feature, purpose):
    kind = None if feature is None else feature["kind"]
    if purpose == "predict":
        return ("every row to predict needs a value here: the run fills none in this column "
                f"(data.missing: {mode})")
    if kind is None:
        return "rows without a target can only be dropped: set data.missing: drop"
    if mode in ("mean", "median") and kind == "category":
        return (f"data.missing: {mode} fills number columns only; give text columns a mode "
                f"of their own, data.missing: {{default: {mode}, {name}: most_frequent}} (or "
                "category), or drop such rows")
    if mode == "category" and kind == "number":
        return (f"data.missing: category is for text columns; give number columns a fill, "
                f"data.missing: {{default: category, {name}: mean}}, or drop such rows")
    if mode == "category":
        return ("the training rows had no missing cells in this column, so there is no "
                "category for them (data.unknown_categories: ignore encodes them as all zeros)")
    fills = "mean, median or most_frequent" if kind == "number" else \
        f"{{{name}: most_frequent}} or {{{name}: category}}"
    return f"set data.missing: drop to skip such rows, or {fills} to fill them"


def subset(table, columns, rows):
    """`table` and its parsed `columns` restricted to row numbers `rows`."""
    if len(rows) == len(table):
        return table, columns
    return table.subset(rows), {name: Column(column.values[rows], column.missing[rows],
                                             column.not_numbers[rows], column.text[rows])
                                for name, column in columns.items()}


def _raw_feature(table, feature, column, problems, ignore):
    if feature["kind"] == "number":
        _refuse_text(feature["name"], column, "the column held numbers in the training file",
                     problems)
        _refuse_beyond_float32(feature["name"], column, problems)
        return column.values
    categories = np.array(feature["categories"], dtype=object)
    found = column.text
    index = np.clip(np.searchsorted(categories, found), 0, len(categories) - 1).astype(np.float64)
    unseen = (categories[index.astype(np.intp)] != found) & ~column.missing
    if ignore:
        index[unseen] = -1
    else:
        problems.add(unseen, lambda row: (
            f"column {feature['name']!r}: category {found[row]!r} was not in the training rows "
            f"({_few(feature['categories'])}); data.unknown_categories: ignore encodes it as "
            "all zeros"))
    if "missing_category" in feature:
        return np.where(column.missing, feature["categories"].index(
            feature["missing_category"]), index)
    if ignore and feature["missing"] == "category":
        return np.where(column.missing, -1, index)
    return np.where(column.missing, np.nan, index)


def _fill(present, mode):
    """What fills a number column's missing cells: its training rows' mean (also kept, as
    runs always kept it, when the mode refuses or drops them), median or most frequent value
    (the smallest of a tie, as scikit-learn's SimpleImputer)."""
    if not len(present):
        return 0.0
    if mode == "median":
        return float(np.median(present))
    if mode == "most_frequent":
        values, counts = np.unique(present, return_counts=True)
        return float(values[np.argmax(counts)])
    return float(present.mean())


def _refuse_beyond_float32(name, column, problems):
    beyond = np.abs(column.values) > FLOAT32_MAX   # NaN (missing) is not
    problems.add(beyond, lambda row: (
        f"column {name!r}: {column.text[row]} is beyond the range of float32 (up to "
        f"{FLOAT32_MAX:.1e} in size), in which the model computes"))


def _refuse_text(name, column, hint, problems):
    problems.add(column.not_numbers,
                 lambda row: f"column {name!r}: {column.text[row]!r} is not a number; {hint}")


def refuse_text(table, name, column, hint):
    """A DataError naming the first cell of `column` that is not a number."""
    _refuse_text(name, column, hint, Problems(table))


def _scaling(values, kind):
    """(center, scale) so that (x - center) / scale is standardised, in [0, 1], or unchanged."""
    if kind == "none" or not len(values):
        return 0.0, 1.0
    if kind == "standard":
        center, spread = float(np.mean(values)), float(np.std(values))
    else:
        center, spread = float(np.min(values)), float(np.max(values) - np.min(values))
    return center, spread if spread > 0 else 1.0


def _check_same_columns(table, columns, reference):
    if table.header == columns:
        return
    known = set(columns)
    missing = [name for name in columns if name not in table.columns]
    extra = [name for name in table.header if name not in known]
    parts = ([f"missing {', '.join(map(repr, missing))}"] if missing else []) + \
            ([f"extra {', '.join(map(repr, extra))}"] if extra else [])
    if not parts:
        return   # the same columns in another order: they are matched by name
    # The training file itself, changed since the run was trained on it, or another file.
    since = (f"{reference}'s" if str(reference) != str(table.path)
             else "those the run was trained on")
    raise DataError(f"{table.path}:{table.header_line}: the columns differ from {since}: "
                    + "; ".join(parts))


def _check_has(table, names):
    missing = [name for name in names if name not in table.columns]
    if missing:
        raise DataError(f"{table.path}:{table.header_line}: no column "
                        f"{', '.join(map(repr, missing))}; the model was trained on "
                        f"{', '.join(names)}")


def _few(names, limit=10):
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
