"""The `csv` data set end to end through the installed `nnfs` (train, evaluate, predict with
text labels and a text feature, regression, every bad input), and its parts: reading tables,
deciding the task, encoding, the state a run keeps."""

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest

from fashion_runs import run_cli
from nnfs_cli.data.csv_table import CsvTable
from nnfs_cli.data.tables import parse_column, read_table
from nnfs_cli.errors import ConfigError, NnfsError
from own_data import (classifier, config, fruit_rows, house_rows, nnfs, regressor,
                      write_csv)

FRUIT = ["weight", "color", "length", "size"]
HOUSES = ["rooms", "area", "district", "price"]


def fruit_config(folder, extra_data="", model=None, loss="categorical_crossentropy"):
    data = f"name: csv\npath: fruit.csv\ntest_path: fruit_test.csv\ntarget: size\n{extra_data}"
    return config(folder, data, model or classifier(3), loss)


@pytest.fixture(scope="module")
def fruit(tmp_path_factory):
    """A run trained on fruit.csv (a text feature, text labels) by the installed nnfs:
    (folder it was trained in, run directory, train result)."""
    folder = tmp_path_factory.mktemp("fruit")
    write_csv(folder / "fruit.csv", FRUIT, fruit_rows(300, seed=1))
    write_csv(folder / "fruit_test.csv", FRUIT, fruit_rows(90, seed=2))
    fruit_config(folder)
    done = nnfs("train", "config.yaml", "--run-dir", "runs/fruit", cwd=folder)
    assert done.code == 0, done.stderr
    return folder, folder / "runs" / "fruit", done


def test_csv_classification_trains_with_class_names_from_the_data(fruit):
    folder, run, done = fruit
    assert f"data.path is recorded in the run as {folder / 'fruit.csv'}" in done.stderr
    assert ("target 'size': classification, 3 classes (large, medium, small); 3 feature "
            "columns (1 of text) -> 5 inputs, scale: standard") in done.stderr
    assert "test_acc" in done.stdout
    summary = json.loads((run / "summary.json").read_text())
    assert summary["class_names"] == ["large", "medium", "small"]
    assert summary["val_accuracy"] > 0.9 and summary["test_accuracy"] > 0.9
    state = summary["data_state"]
    assert [(f["name"], f["kind"]) for f in state["features"]] == [
        ("weight", "number"), ("color", "category"), ("length", "number")]
    assert state["features"][1]["categories"] == ["blue", "green", "red"]
    # Scaling fitted on the 270 training rows only, not the 30 validation rows.
    weights = np.array([float(row[0]) for row in fruit_rows(300, seed=1)])
    assert state["features"][0]["center"] != pytest.approx(weights.mean(), abs=1e-9)
    assert state["features"][0]["center"] == pytest.approx(weights.mean(), rel=0.05)
    saved = (run / "config.yaml").read_text()
    assert f"path: {folder / 'fruit.csv'}" in saved


def test_csv_run_evaluates_from_any_folder(fruit, tmp_path):
    _, run, _ = fruit
    done = nnfs("evaluate", run, "--json", cwd=tmp_path)
    assert done.code == 0, done.stderr
    report = done.json()
    summary = json.loads((run / "summary.json").read_text())
    assert report["split"] == "test" and report["samples"] == 90
    assert report["accuracy"] == pytest.approx(summary["test_accuracy"])
    assert [row["name"] for row in report["per_class"]] == ["large", "medium", "small"]
    text = nnfs("evaluate", run, cwd=tmp_path).stdout
    assert any(line.split()[:2] == ["2", "small"] for line in text.splitlines())


def test_csv_predict_lines_json_and_output(fruit, tmp_path):
    _, run, _ = fruit
    rows = tmp_path / "rows.csv"
    # The target column may be there (ignored), the columns in another order, extra columns kept.
    rows.write_text("note,size,length,color,weight\n"
                    "a,large,10.0,red,100.0\n"
                    "b,,9.5,blue,262\n"
                    '"c, quoted",small,11.2,green,180\n')
    done = nnfs("predict", rows, "--run", run)
    assert done.code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" (")[0].rsplit(" ", 1)[0] for line in lines] == [
        f"{rows}:2: small", f"{rows}:3: large", f"{rows}:4: medium"]
    results = nnfs("predict", rows, "--run", run, "--json", "--top-k", "2").json()
    assert [(r["path"], r["row"], r["label"]) for r in results] == [
        (str(rows), 2, "small"), (str(rows), 3, "large"), (str(rows), 4, "medium")]
    assert set(results[0]) == {"path", "row", "label", "index", "confidence", "top_k"}
    assert len(results[0]["top_k"]) == 2 and results[0]["confidence"] > 0.5

    output = tmp_path / "preds.csv"
    done = nnfs("predict", rows, "--run", run, "--output", output)
    # The rows are printed too, unless --quiet: then the file alone holds them.
    assert done.code == 0 and done.stdout == "".join(line + "\n" for line in lines)
    assert done.stderr.splitlines()[-1] == f"wrote 3 predictions to {output}"
    done = nnfs("predict", rows, "--run", run, "--output", tmp_path / "quiet.csv", "-q")
    assert (done.code, done.stdout) == (0, "")
    assert (tmp_path / "quiet.csv").read_bytes() == output.read_bytes()
    written = list(csv.reader(output.open()))
    # A probability per class, named by class, as predict_proba gives them.
    assert written[0] == ["note", "size", "length", "color", "weight", "prediction",
                          "confidence", "probability_large", "probability_medium",
                          "probability_small"]
    for row in written[1:]:
        probabilities = list(map(float, row[7:]))
        assert sum(probabilities) == pytest.approx(1, abs=1e-5)
        assert max(probabilities) == pytest.approx(float(row[6]))
        assert written[0][7 + probabilities.index(max(probabilities))] == f"probability_{row[5]}"
    assert written[3][:5] == ["c, quoted", "small", "11.2", "green", "180"]
    assert [row[5] for row in written[1:]] == ["small", "large", "medium"]
    assert float(written[1][6]) == pytest.approx(results[0]["confidence"], rel=1e-5)


def test_csv_predict_names_each_bad_row_and_predicts_the_others(fruit, tmp_path):
    _, run, _ = fruit
    rows = write_csv(tmp_path / "rows.csv", FRUIT[:3], [
        ("120", "red", "9"), ("130", "purple", "9"), ("260", "blue", ""), ("x", "red", "9"),
        ("270", "green", "10")])
    short = write_csv(tmp_path / "short.csv", ["weight", "color"], [("120", "red")])
    output = tmp_path / "preds.csv"
    done = nnfs("predict", rows, short, "--run", run, "--output", output)
    assert done.code == 1
    # Every good row is predicted, each bad one named with its line and column.
    assert [line.split(": ")[0] for line in done.stdout.splitlines()] == [
        f"{rows}:2", f"{rows}:6"]
    assert done.stderr.splitlines() == [
        f"Error: {rows}:3: column 'color': category 'purple' was not in the training rows "
        "(blue, green, red); data.unknown_categories: ignore encodes it as all zeros",
        f"Error: {rows}:4: column 'length' is empty; every row to predict needs a value "
        "here: the run fills none in this column (data.missing: error)",
        f"Error: {rows}:5: column 'weight': 'x' is not a number; the column held numbers in "
        "the training file",
        f"Error: {short}:1: no column 'length'; the model was trained on weight, color, length",
        f"wrote 2 predictions to {output}"]
    written = list(csv.reader(output.open()))
    assert [row[:3] for row in written[1:]] == [["120", "red", "9"], ["270", "green", "10"]]
    assert done.stdout.splitlines()[1].split(": ")[1].split()[0] == written[2][3]
    # Nothing readable: no results, only the errors.
    bad = write_csv(tmp_path / "bad.csv", FRUIT[:3], [("1", "purple", "9")])
    done = nnfs("predict", bad, "--run", run)
    assert (done.code, done.stdout, len(done.stderr.splitlines())) == (1, "", 1)


def test_a_run_without_its_fitted_state_is_one_line(fruit, tmp_path):
    import shutil
    _, run, _ = fruit
    copy = Path(shutil.copytree(run, tmp_path / "run"))
    summary = json.loads((copy / "summary.json").read_text())
    broken = {**summary, "data_state": {**summary["data_state"], "features": [{"name": "x"}]}}
    (copy / "summary.json").write_text(json.dumps(broken))
    result = run_cli("evaluate", copy)
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {copy / 'summary.json'}: data_state does not fit data set csv: 'kind'\n")
    del summary["data_state"]
    (copy / "summary.json").write_text(json.dumps(summary))
    result = run_cli("predict", tmp_path / "any.csv", "--run", copy)
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {copy / 'summary.json'}: no data_state for the csv data set, so its inputs "
           "and classes are unknown; the run never finished loading its data\n")


def test_csv_predict_limits_rows_and_reads_only_regular_files(fruit, tmp_path, monkeypatch):
    _, run, _ = fruit
    rows = write_csv(tmp_path / "rows.csv", FRUIT[:3], [("120", "red", "9")] * 3)
    os.mkfifo(tmp_path / "pipe.csv")
    monkeypatch.setenv("NNFS_MAX_ROWS", "2")
    result = run_cli("predict", rows, tmp_path / "pipe.csv", "--run", run)
    assert (result.exit_code, result.stderr.splitlines()) == (1, [
        f"Error: {rows}: 3 rows, more than the limit of 2 (set NNFS_MAX_ROWS to allow more)",
        f"Error: {tmp_path / 'pipe.csv'}: is a FIFO, not a regular file; only regular files "
        "are read"])


def test_csv_regression_is_predicted_on_the_targets_own_scale(tmp_path):
    write_csv(tmp_path / "houses.csv", HOUSES, house_rows(400, seed=3))
    config(tmp_path, "name: csv\npath: houses.csv\ntarget: price\n", regressor(32),
           loss="mean_squared_error", epochs=60)
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    assert done.code == 0, done.stderr
    assert ("target 'price': regression, values (standardised inside, predicted on their own "
            "scale)") in done.stderr
    report = nnfs("evaluate", tmp_path / "run", "--json").json()
    # Prices spread over about 100,000; the noise is 5,000.
    assert report["mae"] < 15_000 and report["mse"] == pytest.approx(report["mae"] ** 2, rel=2)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert report["loss"] == pytest.approx(summary["val_loss"], rel=1e-5)   # standardised units
    scale = summary["data_state"]["target_scale"]
    assert report["book_accuracy_tolerance"] == pytest.approx(
        summary["metric_state"]["precision"] * scale)
    assert report["mae"] == pytest.approx(summary["val_mae"], rel=1e-4)   # both in dollars
    assert report["r2"] > 0.9
    rows = write_csv(tmp_path / "new.csv", HOUSES[:3], [("3", "100", "north"),
                                                      ("1", "40", "south")])
    results = nnfs("predict", rows, "--run", tmp_path / "run", "--json").json()
    assert [set(r) for r in results] == [{"path", "row", "value"}] * 2
    expected = [50_000 * 3 + 100_000, 50_000 + 40_000 + 40_000]
    assert np.allclose([r["value"] for r in results], expected, rtol=0.15)
    line = nnfs("predict", rows, "--run", tmp_path / "run").stdout.splitlines()[0]
    assert line == f"{rows}:2: {results[0]['value']:.6g}"
    output = tmp_path / "out.csv"
    assert nnfs("predict", rows, "--run", tmp_path / "run", "--output", output).code == 0
    assert output.read_text().splitlines()[0] == "rooms,area,district,prediction"


def test_a_csv_run_resumes_with_the_preprocessing_it_fitted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "fruit.csv", FRUIT, fruit_rows(120, seed=4))
    write_csv(tmp_path / "fruit_test.csv", FRUIT, fruit_rows(30, seed=5))
    fruit_config(tmp_path)
    assert run_cli("train", "config.yaml", "--run-dir", "straight", "--epochs", "4").exit_code == 0
    assert run_cli("train", "config.yaml", "--run-dir", "halves", "--epochs", "2").exit_code == 0
    resumed = run_cli("train", "--resume", "halves", "--epochs", "4")
    assert resumed.exit_code == 0, resumed.output
    assert (tmp_path / "halves" / "params.pkl").read_bytes() == \
        (tmp_path / "straight" / "params.pkl").read_bytes()
    summaries = [json.loads((tmp_path / run / "summary.json").read_text())
                 for run in ("straight", "halves")]
    assert summaries[0]["data_state"] == summaries[1]["data_state"]


# --- bad input: one line, the right exit code, no run directory ----------------------------

def refused(folder, code, message, config_name="config.yaml"):
    done = nnfs("train", config_name, "--run-dir", "runs/bad", cwd=folder)
    assert (done.code, done.stderr) == (code, f"Error: {message}\n")
    assert not (Path(folder) / "runs").exists()


def test_a_target_column_that_does_not_exist_lists_the_columns(tmp_path):
    write_csv(tmp_path / "fruit.csv", FRUIT, fruit_rows(30))
    write_csv(tmp_path / "fruit_test.csv", FRUIT, fruit_rows(10))
    fruit_config(tmp_path).write_text(fruit_config(tmp_path).read_text().replace(
        "target: size", "target: sise"))
    refused(tmp_path, 2, f"config.yaml: data.target: no column 'sise' in {tmp_path / 'fruit.csv'};"
                         " its columns are weight, color, length, size")


def test_a_header_line_that_is_missing_is_named(tmp_path):
    write_csv(tmp_path / "fruit.csv", ["5.1", "3.5", "1.4", "0.2", "setosa"], [])
    (tmp_path / "fruit.csv").write_text("5.1,3.5,1.4,0.2,setosa\n4.9,3.0,1.4,0.2,setosa\n")
    config(tmp_path, "name: csv\npath: fruit.csv\ntarget: species\n", classifier(3))
    refused(tmp_path, 2, f"config.yaml: data.target: no column 'species' in "
                         f"{tmp_path / 'fruit.csv'}; its columns are 5.1, 3.5, 1.4, 0.2, setosa; "
                         "its first line looks like data, but it must be a header line of "
                         "column names")


@pytest.mark.parametrize("text, message", [
    ("weight,color,length,size\n120,red,9,small\nheavy,red,9,small\n130,red,9,large\n",
     ":3: column 'weight': 'heavy' is not a number; list the column in data.categorical to "
     "treat its values as categories"),
    ("weight,color,length,size\n120,red,9,small\n130,red,9\n",
     ":3: 3 values, but the header has 4 columns"),
    ("", ": the file is empty; expected a header line and rows of values"),
    ("weight,color,length,size\n\n", ": no rows after the header line"),
    ("weight,color,length,size\n120,red,9,small\n130,,9,large\n",
     ":3: column 'color' is empty; set data.missing: drop to skip such rows, or {color: "
     "most_frequent} or {color: category} to fill them"),
    ("weight,color,length,size\n120,red,9,small\n",
     ": the target column 'size' holds one class only ('small'); a classifier needs at least "
     "2 classes"),
    ("weight;color;length;size\n120;red;9;small\n",
     ":1: the header has one column 'weight;color;length;size'; is the delimiter ';'? (the "
     "file is read with data.delimiter: ',')"),
    # Decimal commas split the row, not the header: still the delimiter, not a ragged row.
    ("weight;color;length;size\n120,5;red;9;small\n",
     ":1: the header has one column 'weight;color;length;size'; is the delimiter ';'? (the "
     "file is read with data.delimiter: ',')"),
], ids=["text-in-numbers", "ragged", "empty", "header-only", "missing", "one-class",
        "delimiter", "decimal-commas"])
def test_bad_training_files(tmp_path, text, message):
    (tmp_path / "fruit.csv").write_text(text)
    write_csv(tmp_path / "fruit_test.csv", FRUIT, fruit_rows(10))
    fruit_config(tmp_path)
    refused(tmp_path, 1, f"{tmp_path / 'fruit.csv'}{message}")


def test_a_test_file_with_other_columns(tmp_path):
    write_csv(tmp_path / "fruit.csv", FRUIT, fruit_rows(30))
    write_csv(tmp_path / "fruit_test.csv", ["weight", "colour", "length", "size"], fruit_rows(10))
    fruit_config(tmp_path)
    refused(tmp_path, 1, f"{tmp_path / 'fruit_test.csv'}:1: the columns differ from "
                         f"{tmp_path / 'fruit.csv'}'s: missing 'color'; extra 'colour'")


def test_a_regression_target_with_text_in_it(tmp_path):
    rows = house_rows(30)
    rows[6] = (*rows[6][:3], "expensive")
    write_csv(tmp_path / "houses.csv", HOUSES, rows)
    config(tmp_path, "name: csv\npath: houses.csv\ntarget: price\ntask: regression\n",
           regressor(), loss="mean_squared_error")
    refused(tmp_path, 1, f"{tmp_path / 'houses.csv'}:8: column 'price': 'expensive' is not a "
                         "number; a regression target must be a number")


def test_the_loss_and_the_last_layer_are_checked_against_what_the_data_holds(tmp_path):
    write_csv(tmp_path / "houses.csv", HOUSES, house_rows(30))
    config(tmp_path, "name: csv\npath: houses.csv\ntarget: price\n", classifier(3))
    refused(tmp_path, 2, "config.yaml: loss: categorical_crossentropy is for classification, but "
                         "data set 'csv' is for regression (found in the data; set data.task to "
                         "choose)")
    write_csv(tmp_path / "fruit.csv", FRUIT, fruit_rows(30))
    write_csv(tmp_path / "fruit_test.csv", FRUIT, fruit_rows(10))
    fruit_config(tmp_path, model=classifier(2))
    refused(tmp_path, 2, "config.yaml: model[2].units: the last dense layer must have 3 units "
                         "for 3 classes of column 'size' with categorical_crossentropy, got 2")


def test_missing_cells_dropped_or_filled(tmp_path):
    rows = fruit_rows(60)
    rows[3] = ("", *rows[3][1:])
    rows[8] = (rows[8][0], "", *rows[8][2:])
    write_csv(tmp_path / "fruit.csv", FRUIT, rows)
    write_csv(tmp_path / "fruit_test.csv", FRUIT, fruit_rows(10))
    fruit_config(tmp_path, "missing: drop\n")
    done = nnfs("train", "config.yaml", "--run-dir", "drop", "--epochs", "1", cwd=tmp_path)
    assert done.code == 0, done.stderr
    assert "60 rows; " in done.stderr
    assert (f"{tmp_path / 'fruit.csv'}: dropped 2 of 60 rows with missing cells (data.missing: "
            "drop), before the validation split") in done.stderr
    fruit_config(tmp_path, "missing: mean\n")
    refused(tmp_path, 1, f"{tmp_path / 'fruit.csv'}:10: column 'color' is empty; data.missing: "
                         "mean fills number columns only; give text columns a mode of their "
                         "own, data.missing: {default: mean, color: most_frequent} (or "
                         "category), or drop such rows")


def test_a_sweep_may_aim_at_the_test_split_of_a_csv_with_a_test_file(tmp_path, monkeypatch):
    from nnfs_cli.sweep import spec
    monkeypatch.chdir(tmp_path)
    sweep = "base: config.yaml\nmetric: test_accuracy\nparameters:\n  seed: {values: [1]}\n"
    (tmp_path / "sweep.yaml").write_text(sweep)
    fruit_config(tmp_path)   # test_path: fruit_test.csv
    assert spec.load(tmp_path / "sweep.yaml").metric == "test_accuracy"
    config(tmp_path, "name: csv\npath: fruit.csv\ntarget: size\n", classifier(3))
    with pytest.raises(ConfigError, match="metric: data set 'csv' has no test split; use "
                                          "val_accuracy"):
        spec.load(tmp_path / "sweep.yaml")


# --- the parts ---------------------------------------------------------------------------

def test_read_table_lines_quotes_and_blank_lines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes('\ufeffa, b\r\n\r\n1,"x, y"\r\n2,"two\r\nlines"\r\n   \r\n3, z\r\n'.encode())
    table = read_table(path)
    assert table.header == ["a", "b"]
    assert table.cells.tolist() == [["1", "x, y"], ["2", "two\r\nlines"], ["3", "z"]]
    assert table.lines.tolist() == [3, 4, 7]
    path.write_bytes(b"a,b\n1,2\n3,caf\xe9\n")
    with pytest.raises(NnfsError, match=r"t.csv:3: not UTF-8 text \(byte 0xe9\)"):
        read_table(path)
    path.write_text("a,b,a\n1,2,3\n")
    with pytest.raises(NnfsError, match="t.csv:1: the header names column 'a' twice"):
        read_table(path)


def test_parse_column_numbers_missing_and_text():
    column = parse_column(np.array(["1.5", " 2", "NA", "", "inf", "x", "1e3"], dtype=object))
    assert np.array_equal(column.values, [1.5, 2, np.nan, np.nan, np.nan, np.nan, 1000],
                          equal_nan=True)
    assert column.missing.tolist() == [False, False, True, True, False, False, False]
    assert column.not_numbers.tolist() == [False, False, False, False, True, True, False]
    assert column.numeric_share == pytest.approx(3 / 5)


def load(tmp_path, text, seed=0, **options):
    path = tmp_path / "t.csv"
    path.write_text(text)
    data = CsvTable(str(path), **options)
    return data, data.load(seed)


def test_auto_task_few_whole_numbers_are_classes(tmp_path):
    rows = "".join(f"{i % 7},{(i * 3) % 5}\n" for i in range(100))
    data, splits = load(tmp_path, "x,label\n" + rows)
    assert data.task == "classification" and data.class_names == ["0", "1", "2", "3", "4"]
    assert splits.y_train.dtype == np.int64
    data, _ = load(tmp_path, "x,value\n" + "".join(f"{i},{i * 0.37:.2f}\n" for i in range(100)),
                   identifiers="keep")   # x numbers the rows
    assert data.task == "regression" and data.target_width == 1
    data, _ = load(tmp_path, "x,label\n" + rows, task="regression")
    assert data.task == "regression"


def test_validation_is_stratified_and_seeded_and_limit_caps(tmp_path):
    rows = "".join(f"{i},{'ab'[i % 4 == 0]}\n" for i in range(200))   # 50 b, 150 a
    keep = {"identifiers": "keep"}   # x numbers the rows, which shows where they went
    data, splits = load(tmp_path, "x,label\n" + rows, validation_split=0.2, **keep)
    assert np.bincount(splits.y_val).tolist() == [30, 10]
    again = load(tmp_path, "x,label\n" + rows, validation_split=0.2, **keep)[1]
    assert np.array_equal(splits.x_val, again.x_val)
    other = load(tmp_path, "x,label\n" + rows, seed=1, validation_split=0.2, **keep)[1]
    assert not np.array_equal(splits.x_val, other.x_val)
    limited = load(tmp_path, "x,label\n" + rows, limit=17, **keep)[1]
    assert len(limited.x_train) == 17


def test_the_saved_state_reproduces_the_preprocessing(tmp_path):
    text = "n,colour,y\n" + "".join(f"{i * 1.5},{'rgb'[i % 3]},{'ab'[i % 2]}\n" for i in range(40))
    data, splits = load(tmp_path, text, scale="minmax", delimiter=",")
    state = json.loads(json.dumps(data.state_dict()))   # as summary.json keeps it
    (tmp_path / "t.csv").write_text(text.replace("\n0.0,", "\n-99.0,"))   # the file changed
    again = CsvTable(str(tmp_path / "t.csv"), scale="minmax")
    again.load_state_dict(state)
    rows = again.read_rows(tmp_path / "t.csv", 4)
    assert rows.x.shape == (40, 4)
    # One scaling for both: the changed row differs, the others are the training inputs.
    x_all = np.vstack([splits.x_train, splits.x_val])
    assert {tuple(row) for row in rows.x[1:]} <= {tuple(row) for row in x_all}
    assert rows.x[0, 0] < 0   # below the fitted minimum: not refitted


def test_semicolons_categorical_numbers_and_a_column_list(tmp_path):
    text = "id;zip;size;y\n" + "".join(f"{i};{1000 + i % 3};{i % 5};{'ab'[i % 2]}\n"
                                        for i in range(30))
    data, splits = load(tmp_path, text, delimiter=";", features=["zip", 2],
                        categorical=["zip"], target="y")
    features = data.state_dict()["features"]
    assert [(f["name"], f["kind"]) for f in features] == [("zip", "category"), ("size", "number")]
    assert features[0]["categories"] == ["1000", "1001", "1002"]
    assert splits.x_train.shape[1] == 4 and data.input_shape == (4,)
    with pytest.raises(ConfigError, match=r"data.features\[0\]: there is no column 9 in"):
        load(tmp_path, text, delimiter=";", features=[9])
    with pytest.raises(ConfigError, match="data.features: lists the target column 'y'"):
        load(tmp_path, text, delimiter=";", features=["y"], target="y")
