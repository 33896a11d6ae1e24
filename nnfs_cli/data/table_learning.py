"""What the `csv` data set learns from its training file: which columns are the target and
the features, the task, the classes, and which columns hold numbers or categories (and which
categories). The scaling is fitted afterwards, on the training rows only (table_encoding.py)."""

import numpy as np

from nnfs_cli.data.table_encoding import check_missing, refuse_text, rows_to_keep, subset
from nnfs_cli.data.tables import is_integral, number_name, parse_column
from nnfs_cli.errors import ConfigError, DataError

AUTO_CLASSES = 20   # task: auto takes whole numbers with at most this many values for classes
MAX_CATEGORIES = 1000   # more distinct texts in a feature column is an identifier, not categories
EXACT_INTEGERS = 2**53   # float64 holds every whole number below this one (not 2**53 + 1)


def learn(table, options):
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
    keep = rows_to_keep(columns, options["missing"], "train")
    if not len(keep):
        raise DataError(f"{table.path}: no rows left once rows with missing cells are dropped")
    table, columns = subset(table, columns, keep)
    state = {"columns": list(table.header), "target": target, "missing": options["missing"],
             "scale": options["scale"], "scale_target": options["scale_target"]}
    check_missing(table, {target: columns[target]}, options["missing"], "train")
    state.update(_learn_target(table, target, columns[target], options["task"]))
    categorical = set(categorical)
    state["features"] = [_learn_feature(table, name, columns[name], name in categorical)
                         for name in features]
    numbers = {feature["name"] for feature in state["features"] if feature["kind"] == "number"}
    check_missing(table, {name: columns[name] for name in features}, options["missing"],
                  "train", numbers)
    for name in features:
        if name in numbers and columns[name].missing.all():   # no mean to fill in
            raise DataError(f"{table.path}: column {name!r} is empty in every row; leave it "
                            "out with data.features")
    return state


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


def _learn_feature(table, name, column, categorical):
    if categorical or column.numeric_share < 0.5:
        categories = np.unique(column.text[~column.missing]).tolist()
        if len(categories) > MAX_CATEGORIES:
            raise DataError(f"{table.path}: column {name!r} holds {len(categories)} different "
                            f"texts, more than the {MAX_CATEGORIES} categories a column may "
                            "have; if it names or numbers the rows, leave it out with "
                            "data.features")
        return {"name": name, "kind": "category", "categories": categories}
    refuse_text(table, name, column,
                "list the column in data.categorical to treat its values as categories")
    return {"name": name, "kind": "number"}
