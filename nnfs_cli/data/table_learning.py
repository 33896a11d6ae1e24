"""What the `csv` data set learns from its training file: which columns are the target and
the features (leaving out the columns that only identify rows), the task, the classes, which
columns hold numbers or categories (and which categories), and how each column's missing cells
are treated. The scaling and the fill values are fitted afterwards, on the training rows only
(table_encoding.py)."""

import re

import numpy as np

from nnfs_cli.data.table_encoding import check_missing, refuse_text, rows_to_keep, subset
from nnfs_cli.data.tables import is_integral, number_name, parse_column
from nnfs_cli import validators
from nnfs_cli.errors import ConfigError, DataError, show

AUTO_CLASSES = 20   # task: auto takes whole numbers with at most this many values for classes
MAX_CATEGORIES = 1000   # more distinct texts in a feature column is an identifier, not categories
EXACT_INTEGERS = 2**53   # float64 holds every whole number below this one (not 2**53 + 1)

# Identifiers (see `identifier`). A column is judged on its present cells, and only from
# ID_ROWS of them: in a smaller table a few different numbers or texts are no evidence.
ID_ROWS = 20
# Different whole numbers that are not row numbers make an identifier only from SPREAD_ROWS
# rows, and only spread over at most SPREAD times as many numbers as there are rows: n values
# drawn from that few collide with a chance of 1 - exp(-n / (2 * SPREAD)), above 99% at 100
# rows, so a measurement whose values all differ is spread wider (and is kept).
SPREAD_ROWS = 100
SPREAD = 10
ALMOST_UNIQUE = 0.9   # a text column with this share of different values has one per row
# Names that say "identifier": id, ID, Id, index, key, uuid, row names, pandas' "Unnamed: 0",
# and names ending in one (patient_id, PassengerId, sample ID).
ID_NAMES = re.compile(r"(?i:id|idx|index|key|uuid|guid|rownames?|row[ _.]?(id|names?|numbers?)"
                      r"|unnamed: ?\d+)|.*(?i:[ _.\-]id)|.*[a-z0-9](Id|ID)")
MISSING_MODES = ("error", "drop", "mean", "median", "most_frequent", "category")
NUMBER_MODES = ("mean", "median")   # a fill only numbers have
TEXT_MODES = ("category",)           # one only text columns have


def learn(table, options):
    """The columns, task, classes and categories of a training `table`; `options` are the
    data set's (target, features, categorical, task, missing, identifiers, scale,
    scale_target)."""
    target = _resolve(table, options["target"], "data.target")
    categorical = [_resolve(table, ref, f"data.categorical[{index}]")
                   for index, ref in enumerate(options["categorical"] or [])]
    identifiers = []
    if options["features"] is None:
        features = [name for name in table.header if name != target]
        if options.get("identifiers", "leave_out") == "leave_out":
            identifiers = _identifiers(table, [name for name in features
                                               if name not in categorical])
            left_out = {found["name"] for found in identifiers}
            features = [name for name in features if name not in left_out]
            if not features and identifiers:
                raise ConfigError([f"data.features: no columns are left to learn from once "
                                   f"the identifiers are left out ({_listed(identifiers)}); "
                                   "set data.identifiers: keep to use them"])
    else:
        features = [_resolve(table, ref, f"data.features[{index}]")
                    for index, ref in enumerate(options["features"])]
    problems = _feature_problems(features, target, categorical)
    if problems:
        raise ConfigError(problems)
    modes = _missing_modes(table, options["missing"], target, features)
    columns = {name: table.parsed(name) for name in [target, *features]}
    rows = len(table)
    keep = rows_to_keep(columns, modes, "train")
    if not len(keep):
        raise DataError(f"{table.path}: no rows left once rows with missing cells are dropped")
    table, columns = subset(table, columns, keep)
    state = {"columns": list(table.header), "target": target, "missing": options["missing"],
             "scale": options["scale"], "scale_target": options["scale_target"],
             "identifiers": identifiers, "training_rows": {"rows": rows, "used": len(keep)}}
    check_missing(table, {target: columns[target]}, {}, "train", modes)
    state["target_missing"] = modes[target]
    state.update(_learn_target(table, target, columns[target], options["task"]))
    categorical = set(categorical)
    state["features"] = [
        _learn_feature(table, name, columns[name], name in categorical, modes[name],
                       _key(options, name, index))
        for index, name in enumerate(features)]
    kinds = {feature["name"]: feature for feature in state["features"]}
    _check_modes(options["missing"], kinds)
    check_missing(table, {name: columns[name] for name in features}, kinds, "train", modes)
    for feature in state["features"]:
        name = feature["name"]
        if feature["missing"] in ("mean", "median", "most_frequent") and \
                columns[name].missing.all():   # nothing to fill in with
            raise DataError(f"{table.path}: column {name!r} is empty in every row; leave it "
                            "out with data.features")
    return state


def _key(options, name, index):
    """The config key that brought column `name` in: data.features[i] when it lists it."""
    return f"data.features[{index}]" if options["features"] is not None else "data.features"


def _resolve(table, ref, key):
    """A column reference (name or 0-based number) -> its name; ConfigError if there is none."""
    if isinstance(ref, int):
        if ref < len(table.header):
            return table.header[ref]
        raise ConfigError([f"{key}: there is no column {ref} in {table.path}, which has "
                           f"{len(table.header)} (0 to {len(table.header) - 1})"])
    if ref in table.columns:
        return ref
    hint = ""
    if parse_column(np.array(table.header, dtype=object)).numeric_share > 0.5:
        hint = "; its first line looks like data, but it must be a header line of column names"
    raise ConfigError([f"{key}: no column {ref!r} in {table.path}; its columns are "
                       f"{', '.join(table.header)}{hint}"])


def _feature_problems(features, target, categorical):
    problems, listed = [], set(features)
    if target in listed:
        problems.append(f"data.features: lists the target column {target!r}")
    if len(listed) != len(features):
        problems.append("data.features: names a column twice")
    if not features:
        problems.append("data.features: no columns are left to learn from")
    problems += [f"data.categorical[{index}]: {name!r} is not one of the feature columns"
                 for index, name in enumerate(categorical) if name not in listed]
    return problems


# --- identifiers ---------------------------------------------------------------------------

def _identifiers(table, names):
    """[{"name", "reason"}] of the columns among `names` that identify rows rather than
    describe them, in the file's order."""
    found = []
    for name in names:
        reason = identifier(table, name)
        if reason:
            found.append({"name": name, "reason": reason})
    return found


def identifier(table, name):
    """Why column `name` of `table` is an identifier, or None. One is:

    - a column whose header cell is empty (R's write.csv and pandas' to_csv put the row
      names or index there);
    - from ID_ROWS present cells, a whole-number column that numbers the rows (0 to n - 1
      or 1 to n, in any order), or a text column with a different value in (almost, 90%)
      every row, or a column named as an identifier (id, index, PassengerId...) with
      (almost) every value different;
    - from SPREAD_ROWS present cells, a whole-number column whose values all differ while
      spread over at most SPREAD times as many numbers as there are rows (the row numbers
      of a part of a table).
    """
    if name in table.blank:
        return "no header: row names"
    column = table.parsed(name)
    present = ~column.missing
    rows = int(np.count_nonzero(present))
    if rows < ID_ROWS:
        return None
    numbers = not column.not_numbers.any()
    if numbers:
        values = column.values[present]
        if not is_integral(values):
            return None
        distinct = np.unique(values)
        different = len(distinct)
        low, high = distinct[0], distinct[-1]
        if different == rows and high - low == rows - 1 and low in (0, 1):
            return (f"the whole numbers {number_name(low)} to {number_name(high)}, one per "
                    "row: row numbers, an identifier")
        if (different == rows and rows >= SPREAD_ROWS
                and high - low + 1 <= SPREAD * rows):
            return (f"{rows:,} different whole numbers in {rows:,} rows, from "
                    f"{number_name(low)} to {number_name(high)}: an identifier")
    else:
        different = len(np.unique(column.text[present]))
        if different >= ALMOST_UNIQUE * rows:
            return f"{different:,} different values in {rows:,} rows, an identifier"
    if ID_NAMES.fullmatch(name) and different >= ALMOST_UNIQUE * rows:
        return (f"named as one, with {different:,} different values in {rows:,} rows: an "
                "identifier")
    return None


def _listed(identifiers, shown=5):
    names = [repr(found["name"]) for found in identifiers]
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more"


# --- missing cells -------------------------------------------------------------------------

def _missing_modes(table, missing, target, features):
    """{column: mode} for the target and the features from `missing` (a mode, or {column:
    mode} with an optional `default`, itself `error` unless given). ConfigError for a key that
    is no feature column, and for a target mode that is not drop or error."""
    if isinstance(missing, str):
        return {name: missing for name in [target, *features]}
    default = missing.get("default", "error")
    problems = []
    for key, mode in missing.items():
        if key == "default":
            continue
        if key == target and mode not in ("drop", "error"):
            problems.append(f"data.missing.{key}: the target's missing cells can only be "
                            f"dropped (drop) or refused (error), got {mode}")
        elif key not in table.columns:
            problems.append(f"data.missing.{key}: no column {key!r} in {table.path}; its "
                            f"columns are {', '.join(table.header)}")
        elif key != target and key not in features:
            problems.append(f"data.missing.{key}: {key!r} is not one of the feature columns")
    if problems:
        raise ConfigError(problems)
    modes = {name: missing.get(name, default) for name in features}
    target_mode = missing.get(target, default)
    modes[target] = target_mode if target_mode in ("drop", "error") else "error"
    return modes


def _check_modes(missing, features):
    """ConfigError for a mode given to one column that does not fit its kind (mean for text,
    category for numbers); a default applies to the columns of its kind only."""
    if not isinstance(missing, dict):
        return
    problems = []
    for key, mode in missing.items():
        feature = features.get(key)
        if feature is None:
            continue
        if feature["kind"] == "category" and mode in NUMBER_MODES:
            problems.append(f"data.missing.{key}: {mode} fills number columns, and {key!r} "
                            "holds text; use most_frequent, or category to keep missing as "
                            "a category of its own")
        elif feature["kind"] == "number" and mode in TEXT_MODES:
            problems.append(f"data.missing.{key}: category is for text columns, and {key!r} "
                            "holds numbers; use mean, median or most_frequent (or list it in "
                            "data.categorical)")
    if problems:
        raise ConfigError(problems)


def _missing_category(categories):
    """The name of the category a missing cell becomes: `missing`, unless a cell says so."""
    name = "missing"
    while name in categories:
        name = f"({name})"
    return name


# --- the target and the features -----------------------------------------------------------

def _learn_target(table, name, column, task):
    present = ~column.missing
    if task == "auto":
        if column.not_numbers.any():
            if column.numeric_share >= 0.5:
                refuse_text(table, name, column,
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
    elif np.abs(column.values[present]).max() >= EXACT_INTEGERS:
        # Whole numbers past 2**53 are not all float64s (2**53 + 1 would join 2**53):
        # such labels are told apart as the texts they are.
        names = np.unique(column.text[present]).tolist()
        learnt = {"labels": "text", "class_names": names}
    else:
        values = np.unique(column.values[present])
        learnt = {"labels": "numbers", "class_values": values.tolist(),
                  "class_names": [number_name(value) for value in values]}
    if len(learnt["class_names"]) < 2:
        raise DataError(f"{table.path}: the target column {name!r} holds one class only "
                        f"({learnt['class_names'][0]!r}); a classifier needs at least 2 "
                        "classes")
    return {"task": task, **learnt}


def _learn_feature(table, name, column, categorical, mode, key):
    if categorical or column.numeric_share < 0.5:
        categories = np.unique(column.text[~column.missing]).tolist()
        if len(categories) > MAX_CATEGORIES:
            raise ConfigError([f"{key}: column {name!r} holds {len(categories):,} different "
                               f"texts in {len(column.text):,} rows, more than the "
                               f"{MAX_CATEGORIES:,} categories a column may have; if it names "
                               "or numbers the rows, leave it out (list the other columns in "
                               "data.features)"])
        feature = {"name": name, "kind": "category", "categories": categories,
                   "missing": mode}
        if mode == "category" and column.missing.any():
            feature["missing_category"] = _missing_category(categories)
            feature["categories"] = sorted([*categories, feature["missing_category"]])
        return feature
    refuse_text(table, name, column,
                "list the column in data.categorical to treat its values as categories")
    return {"name": name, "kind": "number", "missing": mode}


def _missing_mode(key, value):
    if value not in MISSING_MODES:
        raise ValueError(f"expected one of {', '.join(MISSING_MODES)}, got {show(value)}")
    return value


_missing_mapping = validators.mapping_of(_missing_mode, "a mode or a mapping {column: mode}")


def missing_modes_check(value):
    """`data.missing`: one of MISSING_MODES, or a mapping {column: mode} with an optional
    `default` (error unless given); columns are checked against the file when it is read."""
    if isinstance(value, dict):
        return _missing_mapping(value)
    return _missing_mode(None, value)
