"""What the `csv` data set learns from its training file, and how it turns any table with the
same columns into model inputs and targets: numbers scaled, text one-hot encoded, class names
from the target column. The learnt state is plain JSON, saved in the run (summary.json's
data_state), so evaluate and predict prepare new rows exactly as training did."""

import numpy as np

from nnfs_cli.data.tables import is_integral, number_name, parse_column
from nnfs_cli.errors import ConfigError, NnfsError

AUTO_CLASSES = 20   # task: auto takes whole numbers with at most this many values for classes
MAX_CATEGORIES = 1000   # more distinct texts in a feature column is an identifier, not categories


class TableEncoder:
    """Built by `learn` from a training table (then `fit` on the training rows), or from a
    saved `state`."""

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

    # --- learning from the training file ---------------------------------------------------

    @classmethod
    def learn(cls, table, options):
        """The columns, task, classes and categories of a training `table`; `options` are the
        data set's (target, features, categorical, task, missing, scale, scale_target)."""
        target = _resolve(table, options["target"], "data.target")
        if options["features"] is None:
            features = [name for name in table.header if name != target]
        else:
            features = [_resolve(table, ref, f"data.features[{index}]")
                        for index, ref in enumerate(options["features"])]
        categorical = [_resolve(table, ref, f"data.categorical[{index}]")
                       for index, ref in enumerate(options["categorical"] or [])]
        problems = _feature_problems(features, target, categorical)
        if problems:
            raise ConfigError(problems)
        columns = {name: table.parsed(name) for name in [target, *features]}
        keep = _rows_to_keep(columns, options["missing"], "train")
        if not len(keep):
            raise NnfsError(f"{table.path}: no rows left once rows with missing cells are dropped")
        table, columns = _subset(table, columns, keep)
        state = {"columns": list(table.header), "target": target, "missing": options["missing"],
                 "scale": options["scale"], "scale_target": options["scale_target"]}
        _check_missing(table, {target: columns[target]}, options["missing"], "train")
        state.update(_learn_target(table, target, columns[target], options["task"]))
        state["features"] = [_learn_feature(table, name, columns[name], name in categorical)
                             for name in features]
        numbers = {feature["name"] for feature in state["features"] if feature["kind"] == "number"}
        _check_missing(table, {name: columns[name] for name in features}, options["missing"],
                       "train", numbers)
        return cls(state)

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
        keep = _rows_to_keep(columns, state["missing"], purpose)
        if not len(keep):
            raise NnfsError(f"{table.path}: no rows left once rows with missing cells are dropped")
        kept, columns = _subset(table, columns, keep)
        numbers = {feature["name"] for feature in state["features"] if feature["kind"] == "number"}
        _check_missing(kept, columns, state["missing"], purpose, numbers)
        raw = np.empty((len(keep), len(features)), dtype=np.float64)
        for index, feature in enumerate(state["features"]):
            raw[:, index] = _raw_feature(kept, feature, columns[feature["name"]])
        y = None if purpose == "predict" else self._targets(kept, columns[state["target"]])
        return raw, y, keep

    def transform(self, raw):
        """Raw features -> float32 model inputs: numbers filled and scaled, categories one-hot."""
        x = np.zeros((len(raw), self.width), dtype=np.float32)
        offset = 0
        for index, feature in enumerate(self.state["features"]):
            values = raw[:, index]
            if feature["kind"] == "number":
                values = np.where(np.isnan(values), feature["fill"], values)
                x[:, offset] = (values - feature["center"]) / feature["scale"]
                offset += 1
            else:
                x[np.arange(len(raw)), offset + values.astype(np.intp)] = 1
                offset += len(feature["categories"])
        return x

    def scale_targets(self, y):
        if self.task != "regression":
            return y
        return ((y - self.state["target_center"]) / self.state["target_scale"]).astype(np.float32)

    def restore_targets(self, values):
        return values * self.state["target_scale"] + self.state["target_center"]

    def _targets(self, table, column):
        state, name = self.state, self.state["target"]
        if self.task == "regression":
            _refuse_text(table, name, column, "a regression target must be a number")
            return column.values
        if state["labels"] == "numbers":
            _refuse_text(table, name, column, "the classes of this column are numbers")
            known, found = np.array(state["class_values"]), column.values
        else:
            known, found = np.array(state["class_names"], dtype=object), column.text
        index = np.clip(np.searchsorted(known, found), 0, len(known) - 1)
        unknown = np.flatnonzero(known[index] != found)
        if len(unknown):
            row = unknown[0]
            raise NnfsError(f"{table.where(row)}: column {name!r}: class {column.text[row]!r} is "
                            f"not one of the training file's ({', '.join(state['class_names'])})")
        return index.astype(np.int64)


# --- helpers -----------------------------------------------------------------------------

def _resolve(table, ref, key):
    """A column reference (name or 0-based number) -> its name; ConfigError if there is none."""
    if isinstance(ref, int):
        if ref < len(table.header):
            return table.header[ref]
        raise ConfigError([f"{key}: there is no column {ref} in {table.path}, which has "
                           f"{len(table.header)} (0 to {len(table.header) - 1})"])
    if ref in table.header:
        return ref
    hint = ""
    if parse_column(np.array(table.header, dtype=object)).numeric_share > 0.5:
        hint = "; its first line looks like data, but it must be a header line of column names"
    raise ConfigError([f"{key}: no column {ref!r} in {table.path}; its columns are "
                       f"{', '.join(table.header)}{hint}"])


def _feature_problems(features, target, categorical):
    problems = []
    if target in features:
        problems.append(f"data.features: lists the target column {target!r}")
    if len(set(features)) != len(features):
        problems.append("data.features: names a column twice")
    if not features:
        problems.append("data.features: no columns are left to learn from")
    problems += [f"data.categorical[{index}]: {name!r} is not one of the feature columns"
                 for index, name in enumerate(categorical) if name not in features]
    return problems


def _rows_to_keep(columns, missing, purpose):
    """Row numbers to use: all, or with `missing: drop` (when not predicting) those without
    a missing cell."""
    rows = len(next(iter(columns.values())).missing)
    if missing != "drop" or purpose == "predict":
        return np.arange(rows)
    absent = np.zeros(rows, dtype=bool)
    for column in columns.values():
        absent |= column.missing
    return np.flatnonzero(~absent)


def _check_missing(table, columns, missing, purpose, numbers=()):
    """A missing cell is an error, unless `missing: mean` fills it (columns of `numbers`)."""
    for name, column in columns.items():
        if missing == "mean" and name in numbers:
            continue
        rows = np.flatnonzero(column.missing)
        if len(rows):
            raise NnfsError(f"{table.where(rows[0])}: column {name!r} is empty; "
                            + _missing_hint(missing, purpose))


def _missing_hint(missing, purpose):
    if purpose == "predict":
        return "every row to predict needs a value here (data.missing: mean fills numbers)"
    if missing == "mean":
        return "data.missing: mean fills number features only; use drop to skip such rows"
    return "set data.missing: drop to skip such rows, or mean to fill numbers"


def _subset(table, columns, rows):
    """`table` and its parsed `columns` restricted to row numbers `rows`."""
    if len(rows) == len(table):
        return table, columns
    return table.subset(rows), {name: type(column)(column.values[rows], column.missing[rows],
                                                   column.not_numbers[rows], column.text[rows])
                                for name, column in columns.items()}


def _learn_target(table, name, column, task):
    present = ~column.missing
    if task == "auto":
        if column.not_numbers.any():
            if column.numeric_share >= 0.5:
                _refuse_text(table, name, column,
                             "set data.task: classification if the column holds class names")
            task = "classification"
        else:
            values = np.unique(column.values[present])
            task = ("classification" if is_integral(values) and len(values) <= AUTO_CLASSES
                    else "regression")
    if task == "regression":
        return {"task": task}
    if column.not_numbers.any():
        names = np.unique(column.text[present]).tolist()
        learnt = {"labels": "text", "class_names": names}
    else:
        values = np.unique(column.values[present])
        learnt = {"labels": "numbers", "class_values": values.tolist(),
                  "class_names": [number_name(value) for value in values]}
    if len(learnt["class_names"]) < 2:
        raise NnfsError(f"{table.path}: the target column {name!r} holds one class only "
                        f"({learnt['class_names'][0]!r}); a classifier needs two or more")
    return {"task": task, **learnt}


def _learn_feature(table, name, column, categorical):
    if categorical or column.numeric_share < 0.5:
        categories = np.unique(column.text[~column.missing]).tolist()
        if len(categories) > MAX_CATEGORIES:
            raise NnfsError(f"{table.path}: column {name!r} holds {len(categories)} different "
                            f"texts, more than the {MAX_CATEGORIES} categories a column may "
                            "have; if it names or numbers the rows, leave it out with "
                            "data.features")
        return {"name": name, "kind": "category", "categories": categories}
    _refuse_text(table, name, column,
                 "list the column in data.categorical to treat its values as categories")
    return {"name": name, "kind": "number"}


def _raw_feature(table, feature, column):
    if feature["kind"] == "number":
        _refuse_text(table, feature["name"], column,
                     "the column held numbers in the training file")
        return column.values
    categories = np.array(feature["categories"], dtype=object)
    found = column.text
    index = np.clip(np.searchsorted(categories, found), 0, len(categories) - 1)
    unseen = np.flatnonzero((categories[index] != found) & ~column.missing)
    if len(unseen):
        row = unseen[0]
        raise NnfsError(f"{table.where(row)}: column {feature['name']!r}: category "
                        f"{found[row]!r} was not in the training rows "
                        f"({_few(feature['categories'])})")
    return np.where(column.missing, np.nan, index)


def _refuse_text(table, name, column, hint):
    rows = np.flatnonzero(column.not_numbers)
    if len(rows):
        row = rows[0]
        raise NnfsError(f"{table.where(row)}: column {name!r}: {column.text[row]!r} is not a "
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
    missing = [name for name in columns if name not in table.header]
    extra = [name for name in table.header if name not in columns]
    parts = ([f"missing {', '.join(map(repr, missing))}"] if missing else []) + \
            ([f"extra {', '.join(map(repr, extra))}"] if extra else [])
    if not parts:
        return   # the same columns in another order: they are matched by name
    raise NnfsError(f"{table.path}:{table.header_line}: the columns differ from {reference}'s: "
                    + "; ".join(parts))


def _check_has(table, names):
    missing = [name for name in names if name not in table.header]
    if missing:
        raise NnfsError(f"{table.path}:{table.header_line}: no column "
                        f"{', '.join(map(repr, missing))}; the model was trained on "
                        f"{', '.join(names)}")


def _few(names, limit=10):
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
