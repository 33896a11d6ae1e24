"""The `csv` data set: a table with a header line, one sample per row, one column to predict.

Text feature columns are one-hot encoded, number columns scaled (fitted on the training rows
only); the target's text labels or few whole numbers make classes, other numbers a
regression. What was learnt is the data set's state, saved in the run (table_encoding.py)."""

from pathlib import Path

import numpy as np

from nnfs_cli import limits, validators
from nnfs_cli.data.dataset import (Dataset, InputPreprocessing, OutputPostprocessing, Splits,
                                   make_splits)
from nnfs_cli.data.rows import Rows, read_rows
from nnfs_cli.data.table_encoding import TableEncoder, fills_cells
from nnfs_cli.data.table_learning import learn, missing_modes_check
from nnfs_cli.data.tables import read_table, table_of_records
from nnfs_cli.errors import DataError
from nnfs_cli.registry import DATASETS


def _delimiter(value):
    if not isinstance(value, str) or len(value) != 1 or value in "\"\r\n":
        raise ValueError(f"expected one character such as ',' ';' or '\\t', got {value!r}")
    return value


@DATASETS.register("csv")
class CsvTable(Dataset):
    """Rows of a CSV file: a target column (class names or values) and feature columns."""

    task = None
    predict_inputs = ("rows",)
    path_options = ("path", "test_path")
    test_split = False   # True once test_path is given
    _columns = validators.list_of(validators.column, "a list of column names or numbers")
    constraints = {
        "path": validators.text,
        "test_path": validators.optional(validators.text),
        "target": validators.optional(validators.column),
        "features": validators.optional(_columns),
        "categorical": validators.optional(_columns),
        "task": validators.one_of("auto", "classification", "regression"),
        "scale": validators.one_of("standard", "minmax", "none"),
        "scale_target": validators.boolean,
        "missing": missing_modes_check,
        "identifiers": validators.one_of("leave_out", "keep"),
        "unknown_categories": validators.one_of("error", "ignore"),
        "validation_split": validators.open_fraction,
        "validation": validators.one_of("split", "test"),
        "limit": validators.optional(validators.positive_int),
        "delimiter": _delimiter,
    }

    def __init__(self, path, test_path=None, target=None, features=None, categorical=None,
                 task="auto", scale="standard", scale_target=True, missing="error",
                 identifiers="leave_out", unknown_categories="error", validation_split=0.1,
                 validation="split", limit=None, delimiter=","):
        self.path, self.test_path = path, test_path
        self.test_split = test_path is not None
        self.options = {"target": target, "features": features, "categorical": categorical,
                        "task": task, "scale": scale, "scale_target": scale_target,
                        "missing": missing, "identifiers": identifiers}
        self.unknown_categories = unknown_categories
        self.task = None if task == "auto" else task
        self.task_found = task == "auto"
        self.validation_split, self.validation = validation_split, validation
        self.limit, self.delimiter = limit, delimiter
        self.encoder = None

    def load(self, seed, reporter=None):
        table = read_table(self.path, self.delimiter, limits.get("rows_bytes"), "rows_bytes")
        fresh = self.encoder is None
        if fresh:
            options = dict(self.options)
            if options["target"] is None:
                options["target"] = len(table.header) - 1
            self._adopt(TableEncoder(learn(table, options), self.unknown_categories))
        encoder = self.encoder
        raw, y, kept = encoder.encode_raw(table, "train", self.path)
        encoder.check_size(len(raw), self.path)
        self.rows_used = {"train": {"path": str(self.path), "rows": len(table),
                                    "used": len(kept)}}
        self._missing_cells = np.isnan(raw).sum(axis=0)   # per feature, before any fill
        raw_test = y_test = None
        if self.test_path:
            test_table = read_table(self.test_path, self.delimiter, limits.get("rows_bytes"),
                                    "rows_bytes")
            raw_test, y_test, kept_test = encoder.encode_raw(test_table, "test", self.path)
            encoder.check_size(len(raw) + len(raw_test), self.test_path)
            self.rows_used["test"] = {"path": str(self.test_path), "rows": len(test_table),
                                      "used": len(kept_test)}
        splits = make_splits(raw, y, raw_test, y_test, seed, self.validation,
                             self.validation_split, self.limit,
                             stratify=self.task == "classification")
        if fresh:
            encoder.fit(splits.x_train, splits.y_train)
        self.notes = self._describe(len(table))

        def inputs(raw_rows):
            return None if raw_rows is None else encoder.transform(raw_rows)

        def targets(y_rows):
            return None if y_rows is None else encoder.scale_targets(y_rows)
        x_test = inputs(splits.x_test)
        x_val = x_test if self.validation == "test" else inputs(splits.x_val)
        return Splits(inputs(splits.x_train), targets(splits.y_train), x_val,
                      targets(splits.y_val), x_test, targets(splits.y_test))

    def _adopt(self, encoder):
        """Take the task, classes and input width the encoder learnt."""
        self.encoder = encoder
        self.task = encoder.task
        self.input_shape = (encoder.width,)
        if self.task == "classification":
            self.class_names = list(encoder.class_names)
            self.classes = len(self.class_names)
        else:
            self.target_width = 1

    def _describe(self, rows):
        """The log lines of a load: what the table is, and each decision made on its own."""
        state = self.encoder.state
        if self.task == "classification":
            what = f"{self.classes} classes ({', '.join(self.class_names[:10])}"
            what += ", ...)" if self.classes > 10 else ")"
        else:
            what = "values" + (" (standardised inside, predicted on their own scale)"
                               if state["scale_target"] else "")
        text = sum(feature["kind"] == "category" for feature in state["features"])
        lines = [f"{self.path}: {rows} rows; target {state['target']!r}: {self.task}, {what}; "
                 f"{len(state['features'])} feature columns ({text} of text) -> "
                 f"{self.encoder.width} inputs, scale: {state['scale']}"]
        lines += [f"left out {found['name']!r}: {found['reason']} (data.identifiers: keep or "
                  "data.features uses it)" if not found["reason"].startswith("no header")
                  else f"left out {found['name']!r} ({found['reason']}; data.identifiers: "
                  "keep or data.features uses it)"
                  for found in state.get("identifiers", ())]
        lines += [f"{found['path']}: {line}" for found, line in self._row_lines()]
        missing = getattr(self, "_missing_cells", None)
        for index, feature in enumerate(state["features"]):
            if feature.get("missing_category"):
                lines.append(f"column {feature['name']!r}: missing cells are the category "
                             f"{feature['missing_category']!r} (data.missing: category)")
            elif fills_cells(feature) and missing is not None and missing[index]:
                fill = _fill_value(feature)
                shown = f"{fill:.6g}" if isinstance(fill, float) else repr(fill)
                what = {"mean": "mean", "median": "median",
                        "most_frequent": "most frequent value"}[feature["missing"]]
                lines.append(f"column {feature['name']!r}: {_cells(missing[index])} filled "
                             f"with {shown}, the training rows' {what} (data.missing: "
                             f"{feature['missing']})")
        return lines

    def _row_lines(self):
        """(rows_used entry, line) for each file whose rows with missing cells were dropped."""
        found = []
        for split, counts in (self.rows_used or {}).items():
            dropped = counts["rows"] - counts["used"]
            if not dropped:
                continue
            if split == "test":
                found.append((counts, f"{counts['used']} of {counts['rows']} test rows scored; "
                              f"{dropped} had missing cells (data.missing: drop)"))
            else:
                found.append((counts, f"dropped {dropped} of {counts['rows']} rows with missing "
                              "cells (data.missing: drop), before the validation split"))
        return found

    def decisions(self):
        """What the loader decided on its own, as exports record it: {"left_out": the
        identifier columns, "missing": [{"column", "mode", "fill"}] of the columns whose
        missing cells are filled (fill: a number, or the category that takes the cell),
        "unknown_categories"}; only the keys that apply."""
        state = self.encoder.state
        found = {}
        if state.get("identifiers"):
            found["left_out"] = [dict(item) for item in state["identifiers"]]
        filled = [{"column": feature["name"], "mode": feature["missing"],
                   "fill": _fill_value(feature)}
                  for feature in state["features"] if fills_cells(feature)]
        if filled:
            found["missing"] = filled
        if self.unknown_categories == "ignore":
            found["unknown_categories"] = "ignore: a category the training rows did not have " \
                                          "is all zeros"
        return found

    def decision_lines(self, filled=True):
        """One line per decision (see `decisions`), for export to repeat; the fills only when
        `filled` (the model fills missing cells: its preprocessing is inside)."""
        found = self.decisions()
        lines = [f"left out {item['name']!r} ({item['reason']}): rows need no such column"
                 for item in found.get("left_out", ())]
        for item in found.get("missing", ()) if filled else ():
            fill = item["fill"]
            shown = f"{fill:.6g}" if isinstance(fill, float) else repr(fill)
            lines.append(f"a missing cell of {item['column']!r} (NaN in the model's input) "
                         f"becomes {shown} (data.missing: {item['mode']})")
        return lines

    def describe_outputs(self, loss):
        target = self.encoder.state["target"] if self.encoder else "the target"
        if self.task == "regression":
            return f"the values of column {target!r}"
        return f"{self.classes} classes of column {target!r} with {loss.name}"

    def state_dict(self):
        return self.encoder.state if self.encoder else {}

    def load_state_dict(self, state):
        if state:
            self._adopt(TableEncoder(dict(state), self.unknown_categories))

    def input_preprocessing(self):
        """The one-hot encoded row, scaled: (x - means) / deviations (or minima and ranges)."""
        subtract, divide = self.encoder.scaling()
        names = self.encoder.input_names()
        fill = self.encoder.fills()
        filled = np.isfinite(fill).any()
        return InputPreprocessing(
            raw_shape=(len(names),), subtract=subtract, divide=divide,
            fill=fill if filled else None, columns=self.encoder.input_columns(),
            layout=f"the CSV's feature columns as {len(names)} numbers: number columns as they "
                   "are, one 0/1 column per category of a text column: " + ", ".join(names)
                   + ("; NaN for a missing cell (all of a text column's 0/1 values NaN for a "
                      "missing text cell) where the run fills them in" if filled else ""))

    def input_names(self):
        return self.encoder.input_names()

    def output_postprocessing(self):
        state = self.encoder.state if self.encoder else {}
        if self.task != "regression" or not state.get("scale_target"):
            return None
        return OutputPostprocessing(state["target_scale"], state["target_center"])

    def read_rows(self, path, n_inputs):
        """A CSV file with the training file's feature columns (the target and other columns
        may be there too), or a .npy array of rows of number features."""
        path = Path(path)
        encoder = self.encoder
        if path.suffix.lower() == ".npy":
            features = encoder.state["features"]
            if any(feature["kind"] != "number" for feature in features):
                raise DataError(f"{path}: this model was trained on text columns too; give a "
                                "CSV file with the training file's columns")
            raw = read_rows(path, len(features)).astype(np.float64)
            return Rows(encoder.transform(raw))
        table = read_table(path, self.delimiter, limits.get("rows_bytes"), "rows_bytes")
        if len(table) > limits.get("rows"):
            raise DataError(f"{path}: {len(table):,} rows, more than the limit of "
                            f"{limits.get('rows'):,} {limits.hint('rows')}")
        raw, good, bad = encoder.encode_rows(table)
        encoder.check_size(len(raw), path)
        return Rows(encoder.transform(raw), table.lines[good].tolist(), table.header,
                    table.cells[good].tolist(), errors=[message for _, message in bad])

    def encode_records(self, records, source="<rows>"):
        """Model inputs from rows given in Python (tables.table_of_records), encoded and
        scaled as the training rows were: feature columns by name, in any order. Messages
        name a row as `source:INDEX`."""
        names = [feature["name"] for feature in self.encoder.state["features"]]
        table = table_of_records(records, names, source)
        raw, _, _ = self.encoder.encode_raw(table, "predict")
        return self.encoder.transform(raw)


def _fill_value(feature):
    """What a missing cell of a learnt feature becomes: a number, or a category's name."""
    if feature["kind"] == "number":
        return float(feature["fill"])
    if "missing_category" in feature:
        return feature["missing_category"]
    return feature["categories"][feature["fill"]]


def _cells(n):
    return f"{n} missing cell" if n == 1 else f"{n:,} missing cells"
