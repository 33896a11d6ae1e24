"""How the `csv` data set turns a table with its training file's columns into model inputs and
targets: numbers scaled, text one-hot encoded, class names from the target column. The state
(learnt in table_learning.py, fitted here) is plain JSON, saved in the run (summary.json's
data_state), so evaluate and predict prepare new rows exactly as training did."""

import numpy as np

from nnfs_cli import limits
from nnfs_cli.data.tables import Column
from nnfs_cli.errors import DataError

FLOAT32_MAX = float(np.finfo(np.float32).max)


class TableEncoder:
    """Applies a state: learnt from a training table (table_learning.py), then `fit` on the
    training rows; or saved in a run."""

    def __init__(self, state):
        self.state = state

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

    def fit(self, raw, y):
        """Fix the scaling (and the means that fill missing numbers) from the training rows:
        `raw` as `encode_raw` gives it, `y` their targets."""
        kind = self.state["scale"]
        for index, feature in enumerate(self.state["features"]):
            if feature["kind"] != "number":
                continue
            values = raw[:, index]
            present = values[~np.isnan(values)]
            feature["fill"] = float(present.mean()) if len(present) else 0.0
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

    def encode_raw(self, table, purpose, reference=None):
        """(raw features (rows, features) float64, targets or None, kept row numbers) of a
        table with this encoder's columns. Number columns hold their values (NaN where
        missing), text columns the index of each category. `purpose` is "train" or "test"
        (the target is required, columns must be the training file's; `reference` names that
        file) or "predict" (the target is ignored, extra columns are allowed)."""
        state = self.state
        features = [feature["name"] for feature in state["features"]]
        if purpose == "predict":
            _check_has(table, features)
            names = features
        else:
            _check_same_columns(table, state["columns"], reference)
            names = [state["target"], *features]
        columns = {name: table.parsed(name) for name in names}
        keep = rows_to_keep(columns, state["missing"], purpose)
        if not len(keep):
            raise DataError(f"{table.path}: no rows left once rows with missing cells are dropped")
        kept, columns = subset(table, columns, keep)
        numbers = {feature["name"] for feature in state["features"] if feature["kind"] == "number"}
        check_missing(kept, columns, state["missing"], purpose, numbers)
        raw = np.empty((len(keep), len(features)), dtype=np.float64)
        for index, feature in enumerate(state["features"]):
            raw[:, index] = _raw_feature(kept, feature, columns[feature["name"]])
        y = None if purpose == "predict" else self._targets(kept, columns[state["target"]])
        return raw, y, keep

    def raw_inputs(self, raw):
        """Raw features -> float32 (rows, width) before scaling: number columns with missing
        cells filled (the training mean), a 0/1 column per category of a text column."""
        x = np.zeros((len(raw), self.width), dtype=np.float32)
        offset = 0
        for index, feature in enumerate(self.state["features"]):
            values = raw[:, index]
            if feature["kind"] == "number":
                x[:, offset] = np.where(np.isnan(values), feature["fill"], values)
                offset += 1
            else:
                x[np.arange(len(raw)), offset + values.astype(np.intp)] = 1
                offset += len(feature["categories"])
        return x

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
            _refuse_beyond_float32(table, name, column)
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

def rows_to_keep(columns, missing, purpose):
    """Row numbers to use: all, or with `missing: drop` (when not predicting) those without
    a missing cell."""
    rows = len(next(iter(columns.values())).missing)
    if missing != "drop" or purpose == "predict":
        return np.arange(rows)
    absent = np.zeros(rows, dtype=bool)
    for column in columns.values():
        absent |= column.missing
    return np.flatnonzero(~absent)


def check_missing(table, columns, missing, purpose, numbers=()):
    """A missing cell is an error, unless `missing: mean` fills it (columns of `numbers`)."""
    for name, column in columns.items():
        if missing == "mean" and name in numbers:
            continue
        rows = np.flatnonzero(column.missing)
        if len(rows):
            raise DataError(f"{table.where(rows[0])}: column {name!r} is empty; "
                            + _missing_hint(missing, purpose))


def _missing_hint(missing, purpose):
    if purpose == "predict":
        return "every row to predict needs a value here (data.missing: mean fills numbers)"
    if missing == "mean":
        return "data.missing: mean fills number features only; use drop to skip such rows"
    return "set data.missing: drop to skip such rows, or mean to fill numbers"


def subset(table, columns, rows):
    """`table` and its parsed `columns` restricted to row numbers `rows`."""
    if len(rows) == len(table):
        return table, columns
    return table.subset(rows), {name: Column(column.values[rows], column.missing[rows],
                                             column.not_numbers[rows], column.text[rows])
                                for name, column in columns.items()}


def _raw_feature(table, feature, column):
    if feature["kind"] == "number":
        refuse_text(table, feature["name"], column,
                    "the column held numbers in the training file")
        _refuse_beyond_float32(table, feature["name"], column)
        return column.values
    categories = np.array(feature["categories"], dtype=object)
    found = column.text
    index = np.clip(np.searchsorted(categories, found), 0, len(categories) - 1)
    unseen = np.flatnonzero((categories[index] != found) & ~column.missing)
    if len(unseen):
        row = unseen[0]
        raise DataError(f"{table.where(row)}: column {feature['name']!r}: category "
                        f"{found[row]!r} was not in the training rows "
                        f"({_few(feature['categories'])})")
    return np.where(column.missing, np.nan, index)


def _refuse_beyond_float32(table, name, column):
    beyond = np.flatnonzero(np.abs(column.values) > FLOAT32_MAX)   # NaN (missing) is not
    if len(beyond):
        row = beyond[0]
        raise DataError(f"{table.where(row)}: column {name!r}: {column.text[row]} is beyond "
                        f"the range of float32 (up to {FLOAT32_MAX:.1e} in size), in which "
                        "the model computes")


def refuse_text(table, name, column, hint):
    rows = np.flatnonzero(column.not_numbers)
    if len(rows):
        row = rows[0]
        raise DataError(f"{table.where(row)}: column {name!r}: {column.text[row]!r} is not a "
                        f"number; {hint}")


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
