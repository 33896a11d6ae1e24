"""Real tables without silent mistakes (issue 23), through the installed `nnfs`, on generated
files shaped like the real ones: R's write.csv row names that leak the target, identifier
columns, missing cells in number and text columns (filled, kept as a category, dropped and
counted per split), unseen categories at predict."""

import csv
import json

import numpy as np
import pytest

from nnfs_cli.data.table_learning import identifier
from nnfs_cli.data.tables import read_table
from own_data import classifier, config, nnfs, regressor, write_csv

REGRESSION = "mean_squared_error"


def diamonds(folder, n=400, seed=0):
    """diamonds.csv and diamonds_test.csv as R's write.csv writes a table sorted by price and
    split 80/20: an empty header over the quoted row names "1".."400", which follow the
    price, and carat and cut, which only partly tell it."""
    rng = np.random.default_rng(seed)
    carat = rng.uniform(0.2, 2.5, n)
    cut = rng.choice(["Fair", "Good", "Ideal"], n)
    price = 3000 * carat + 500 * (cut == "Ideal") + rng.normal(0, 1500, n)
    order = np.argsort(price)
    rows = [f'"{rank + 1}",{carat[i]:.2f},"{cut[i]}",{price[i]:.0f}\n'
            for rank, i in enumerate(order)]
    shuffled = rng.permutation(n)
    for name, part in (("diamonds.csv", shuffled[:320]), ("diamonds_test.csv", shuffled[320:])):
        (folder / name).write_text('"","carat","cut","price"\n'
                                   + "".join(rows[k] for k in part))


def diamonds_config(folder, extra=""):
    data = ("name: csv\npath: diamonds.csv\ntest_path: diamonds_test.csv\ntarget: price\n"
            + extra)
    return config(folder, data, regressor(), loss=REGRESSION, epochs=20)


def trained(folder, name, *args):
    done = nnfs("train", "config.yaml", "--run-dir", name, *args, cwd=folder)
    assert done.code == 0, done.stderr
    return done, json.loads((folder / name / "summary.json").read_text())


def test_r_row_names_are_left_out_and_the_score_is_that_of_training_without_them(tmp_path):
    diamonds(tmp_path)
    diamonds_config(tmp_path)
    done, summary = trained(tmp_path, "default")
    assert ("left out 'column_0' (no header: row names; data.identifiers: keep or "
            "data.features uses it)") in done.stderr
    assert "2 feature columns (1 of text) -> 4 inputs" in done.stderr
    assert summary["data_state"]["identifiers"] == [
        {"name": "column_0", "reason": "no header: row names"}]
    # The same run as one that names its features without the row names...
    diamonds_config(tmp_path, "features: [carat, cut]\n")
    _, without = trained(tmp_path, "without")
    assert summary["test_loss"] == without["test_loss"]
    assert summary["test_r2"] == without["test_r2"]
    # ... and unlike one that keeps them: the file's order leaks the price.
    diamonds_config(tmp_path, "identifiers: keep\n")
    _, leaked = trained(tmp_path, "leaked")
    assert "column_0" in [f["name"] for f in leaked["data_state"]["features"]]
    assert leaked["test_r2"] > 0.95 > 0.8 > summary["test_r2"]
    # evaluate and predict repeat the decision: a file with the row names or without them.
    report = nnfs("evaluate", tmp_path / "default", "--json").json()
    assert report["loss"] == pytest.approx(summary["test_loss"], rel=1e-5)
    rows = tmp_path / "new.csv"
    rows.write_text("carat,cut\n1.0,Ideal\n")
    named = tmp_path / "named.csv"
    named.write_text('"",carat,cut\n"9999",1.0,Ideal\n')
    one, two = (nnfs("predict", path, "--run", tmp_path / "default", "--json").json()[0]
                for path in (rows, named))
    assert one["value"] == two["value"]


def test_identifier_columns_are_left_out_with_their_reason(tmp_path):
    rng = np.random.default_rng(1)
    n = 262
    fare = rng.gamma(2, 15, n)
    survived = (fare + rng.normal(0, 10, n) > 30).astype(int)
    passenger = rng.permutation(np.arange(1, n + 1))   # shuffled, 1 to n
    names = [f"Passenger {rng.integers(10**6)}-{i}, Mr." for i in range(n)]
    cabin = rng.choice(["A", "B", "C"], n)
    write_csv(tmp_path / "titanic.csv", ["PassengerId", "name", "fare", "cabin", "survived"],
              [(str(p), f'"{name}"', f"{f:.2f}", c, str(s))
               for p, name, f, c, s in zip(passenger, names, fare, cabin, survived)])
    config(tmp_path, "name: csv\npath: titanic.csv\ntarget: survived\n", classifier(2),
           epochs=5)
    done, summary = trained(tmp_path, "run")
    assert ("left out 'PassengerId': the whole numbers 1 to 262, one per row: row numbers, an "
            "identifier") in done.stderr
    assert "left out 'name': 262 different values in 262 rows, an identifier" in done.stderr
    assert [f["name"] for f in summary["data_state"]["features"]] == ["fare", "cabin"]
    # Named in data.features, it is used: a text identifier then past the category limit is
    # the config's to fix (exit 2), not a data problem.
    many = [(f"id{i}", f"{i % 7}", "ab"[i % 2]) for i in range(1200)]
    write_csv(tmp_path / "many.csv", ["code", "x", "y"], many)
    config(tmp_path, "name: csv\npath: many.csv\ntarget: y\nfeatures: [x, code]\n",
           classifier(2), epochs=1)
    done = nnfs("train", "config.yaml", "--run-dir", "many", cwd=tmp_path)
    assert (done.code, done.stderr) == (2, (
        "Error: config.yaml: data.features[1]: column 'code' holds 1,200 different texts in "
        "1,200 rows, more than the 1,000 categories a column may have; if it names or "
        "numbers the rows, leave it out (list the other columns in data.features)\n"))


@pytest.mark.parametrize("values, name, reason", [
    # Row numbers, in any order, from 20 rows.
    (np.random.default_rng(0).permutation(30), "n",
     "the whole numbers 0 to 29, one per row: row numbers, an identifier"),
    # Different whole numbers packed into 10x the rows: a part of a table's row numbers.
    (np.random.default_rng(0).permutation(np.arange(3, 1500, 10)), "X",
     "150 different whole numbers in 150 rows, from 3 to 1493: an identifier"),
    # A name that says so, with almost every value different (a patient seen twice).
    (np.r_[np.arange(1000025, 1000025 + 7 * 59, 7), [1000025]], "ID",
     "named as one, with 59 different values in 60 rows: an identifier"),
    # Kept: too few rows to tell, a measurement spread wide, repeats, fractions.
    (np.random.default_rng(0).permutation(15) + 1, "n", None),
    (np.random.default_rng(0).choice(10**6, 150, replace=False), "income", None),
    (np.random.default_rng(0).integers(0, 5, 100), "rooms", None),
    (np.arange(100) + 0.5, "n", None),
    # A run that does not start at 0 or 1 is row numbers only from SPREAD_ROWS rows (the
    # tail of a file split in order); below that, years one per row are kept.
    (np.arange(100) + 3, "year", "100 different whole numbers in 100 rows, from 3 to 102: an "
     "identifier"),
    (np.arange(60) + 1960, "year", None),
], ids=["row-numbers", "dense", "named", "tiny", "spread", "repeats", "fractions", "tail",
        "years"])
def test_whole_number_identifiers(tmp_path, values, name, reason):
    path = tmp_path / "t.csv"
    path.write_text(f"{name},y\n" + "".join(f"{v},{i % 2}\n" for i, v in enumerate(values)))
    assert identifier(read_table(path), name) == reason


def test_a_column_of_one_text_per_row_only_from_twenty_rows(tmp_path):
    path = tmp_path / "t.csv"
    for rows, reason in ((19, None), (20, "20 different values in 20 rows, an identifier")):
        path.write_text("city,y\n" + "".join(f"c{i},{i % 2}\n" for i in range(rows)))
        assert identifier(read_table(path), "city") == reason
    # Nine of ten different: almost one per row.
    path.write_text("city,y\n" + "".join(f"c{i % 90},{i % 2}\n" for i in range(100)))
    assert identifier(read_table(path), "city") == "90 different values in 100 rows, an identifier"
    path.write_text("city,y\n" + "".join(f"c{i % 80},{i % 2}\n" for i in range(100)))
    assert identifier(read_table(path), "city") is None


# --- missing cells -------------------------------------------------------------------------

def penguins(n, seed, gaps=()):
    """Rows of (bill, mass, sex, island, species): species follows bill and island; `gaps`
    are (row, column) cells left empty."""
    rng = np.random.default_rng(seed)
    species = rng.integers(0, 3, n)
    bill = 38 + 5 * species + rng.normal(0, 1.5, n)
    mass = 3500 + 400 * species + rng.normal(0, 300, n)
    sex = rng.choice(["female", "male"], n)
    island = np.where(species == 2, "Biscoe", rng.choice(["Dream", "Torgersen"], n))
    rows = [[f"{b:.1f}", f"{m:.0f}", s, i, ["Adelie", "Chinstrap", "Gentoo"][k]]
            for b, m, s, i, k in zip(bill, mass, sex, island, species)]
    for row, column in gaps:
        rows[row][column] = "NA"
    return rows


PENGUINS = ["bill", "mass", "sex", "island", "species"]


def test_missing_cells_are_filled_per_column_and_kept_as_a_category(tmp_path):
    gaps = [(3, 0), (5, 2), (9, 2), (12, 3), (20, 1)]
    write_csv(tmp_path / "penguins.csv", PENGUINS, penguins(150, 0, gaps))
    write_csv(tmp_path / "penguins_test.csv", PENGUINS, penguins(60, 1, [(0, 2), (1, 3)]))
    data = ("name: csv\npath: penguins.csv\ntest_path: penguins_test.csv\ntarget: species\n"
            "missing: {default: median, sex: category, island: most_frequent}\n")
    config(tmp_path, data, classifier(3), epochs=15)
    done, summary = trained(tmp_path, "run")
    assert ("column 'sex': missing cells are the category 'missing' (data.missing: category)"
            in done.stderr)
    features = {f["name"]: f for f in summary["data_state"]["features"]}
    # Each fill the loader chose is a log line and a field of the run's data_state.
    assert (f"column 'bill': 1 missing cell filled with {features['bill']['fill']:.6g}, the "
            "training rows' median (data.missing: median)") in done.stderr
    island = features["island"]["categories"][features["island"]["fill"]]
    assert (f"column 'island': 1 missing cell filled with {island!r}, the training rows' most "
            "frequent value (data.missing: most_frequent)") in done.stderr
    assert features["sex"]["categories"] == ["female", "male", "missing"]
    assert features["bill"]["missing"] == "median"
    assert summary["test_samples"] == 60 and summary["test_accuracy"] > 0.9
    # predict fills the same cells as training did.
    rows = tmp_path / "rows.csv"
    rows.write_text("bill,mass,sex,island\n48,,NA,\n48,4300,missing,Biscoe\n")
    first, second = nnfs("predict", rows, "--run", tmp_path / "run", "--json").json()
    assert first["row"] == 2 and second["row"] == 3
    # A mode that does not fit its column's kind is the config's mistake.
    config(tmp_path, data.replace("sex: category", "sex: mean"), classifier(3), epochs=1)
    done = nnfs("train", "config.yaml", "--run-dir", "bad", cwd=tmp_path)
    assert (done.code, done.stderr) == (2, (
        "Error: config.yaml: data.missing.sex: mean fills number columns, and 'sex' holds "
        "text; use most_frequent, or category to keep missing as a category of its own\n"))
    config(tmp_path, data.replace("sex: category", "sexx: category"), classifier(3), epochs=1)
    done = nnfs("train", "config.yaml", "--run-dir", "bad", cwd=tmp_path)
    assert done.code == 2 and "data.missing.sexx: no column 'sexx' in" in done.stderr


def test_the_fill_values_are_the_training_rows_median_and_most_frequent(tmp_path,
                                                                        monkeypatch):
    from nnfs_cli.data.csv_table import CsvTable
    from nnfs_cli.data.table_encoding import TableEncoder
    write_csv(tmp_path / "p.csv", PENGUINS, penguins(150, 0, [(3, 0), (12, 3), (20, 1)]))
    fitted = {}
    fit = TableEncoder.fit
    monkeypatch.setattr(TableEncoder, "fit",
                        lambda self, raw, y: (fitted.setdefault("raw", raw.copy()),
                                              fit(self, raw, y))[1])
    data = CsvTable(str(tmp_path / "p.csv"), target="species", validation_split=0.3,
                    missing={"default": "median", "island": "most_frequent"})
    splits = data.load(0)
    raw = fitted["raw"]   # the training rows only, before their cells were filled
    assert len(raw) == len(splits.x_train) == 105
    bill, mass, _, island = data.state_dict()["features"]
    assert bill["fill"] == np.nanmedian(raw[:, 0]) != np.nanmean(raw[:, 0])
    assert mass["fill"] == np.nanmedian(raw[:, 1])
    present = raw[:, 3][~np.isnan(raw[:, 3])].astype(int)
    assert island["fill"] == np.bincount(present).argmax()
    # The filled cells are those values in the model's inputs.
    subtract, divide = data.encoder.scaling()
    row = data.encoder.transform(np.array([[np.nan, np.nan, 0, np.nan]]))[0]
    assert row[0] * divide[0] + subtract[0] == pytest.approx(bill["fill"], rel=1e-6)
    islands = slice(4, 4 + len(island["categories"]))
    assert np.argmax(row[islands]) == island["fill"] and row[islands].sum() == 1


def test_missing_mean_still_fills_numbers_and_refuses_text(tmp_path):
    write_csv(tmp_path / "penguins.csv", PENGUINS, penguins(100, 0, [(4, 0), (7, 1)]))
    config(tmp_path, "name: csv\npath: penguins.csv\ntarget: species\nmissing: mean\n",
           classifier(3), epochs=3)
    _, summary = trained(tmp_path, "run")
    bill = [f for f in summary["data_state"]["features"] if f["name"] == "bill"][0]
    assert bill["missing"] == "mean" and bill["fill"] == pytest.approx(bill["center"])
    write_csv(tmp_path / "penguins.csv", PENGUINS, penguins(100, 0, [(4, 2)]))
    done = nnfs("train", "config.yaml", "--run-dir", "text", cwd=tmp_path)
    assert done.code == 1 and "column 'sex' is empty; data.missing: mean fills number " \
        "columns only" in done.stderr


def test_dropped_rows_are_counted_per_split_in_the_log_summary_and_evaluate(tmp_path):
    write_csv(tmp_path / "penguins.csv", PENGUINS, penguins(120, 0, [(2, 0), (8, 3)]))
    write_csv(tmp_path / "penguins_test.csv", PENGUINS,
              penguins(69, 1, [(0, 1), (10, 2), (30, 4)]))
    config(tmp_path, "name: csv\npath: penguins.csv\ntest_path: penguins_test.csv\n"
                     "target: species\nmissing: drop\n", classifier(3), epochs=5)
    done, summary = trained(tmp_path, "run")
    assert (f"{tmp_path / 'penguins.csv'}: dropped 2 of 120 rows with missing cells "
            "(data.missing: drop), before the validation split") in done.stderr
    assert (f"{tmp_path / 'penguins_test.csv'}: 66 of 69 test rows scored; 3 had missing cells "
            "(data.missing: drop)") in done.stderr
    assert "(on 66 test samples; 3 of the 69 test rows had missing cells and were dropped)" \
        in done.stdout
    assert summary["data_rows"] == {
        "train": {"path": str(tmp_path / "penguins.csv"), "rows": 120, "used": 118},
        "test": {"path": str(tmp_path / "penguins_test.csv"), "rows": 69, "used": 66}}
    report = nnfs("evaluate", tmp_path / "run", "--json").json()
    assert (report["samples"], report["file_rows"], report["dropped_rows"]) == (66, 69, 3)
    text = nnfs("evaluate", tmp_path / "run").stdout.splitlines()
    assert text[1] == "66 of 69 test rows scored; 3 had missing cells (data.missing: drop)"
    report = nnfs("evaluate", tmp_path / "run", "--split", "validation", "--json").json()
    assert (report["file_rows"], report["dropped_rows"]) == (120, 2)


def test_unknown_categories_ignore_encodes_them_as_zeros(tmp_path):
    write_csv(tmp_path / "penguins.csv", PENGUINS, penguins(120, 0))
    config(tmp_path, "name: csv\npath: penguins.csv\ntarget: species\n"
                     "unknown_categories: ignore\n", classifier(3), epochs=5)
    trained(tmp_path, "run")
    rows = tmp_path / "rows.csv"
    rows.write_text("bill,mass,sex,island\n40,3600,female,Atlantis\n40,3600,female,Dream\n")
    output = tmp_path / "preds.csv"
    done = nnfs("predict", rows, "--run", tmp_path / "run", "--json", "--output", output)
    assert done.code == 0, done.stderr
    unseen, known = done.json()
    assert unseen["confidence"] != known["confidence"]   # no island: other inputs
    from nnfs_cli.runs.saved import load_run
    run = load_run(tmp_path / "run")
    x = run.data.read_rows(rows, run.n_inputs).x
    islands = [i for i, name in enumerate(run.data.input_names()) if name.startswith("island=")]
    subtract, divide = run.data.encoder.scaling()
    assert np.array_equal(x[0, islands] * divide[islands] + subtract[islands], [0, 0, 0])
    assert len(list(csv.reader(output.open()))) == 3


# --- the exported graph fills what predict fills --------------------------------------------

def test_nan_through_the_exported_graph_gives_what_predict_gives(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    onnx = pytest.importorskip("onnx")
    gaps = [(3, 0), (5, 2), (9, 2), (12, 3), (20, 1)]
    write_csv(tmp_path / "penguins.csv", PENGUINS, penguins(150, 0, gaps))
    config(tmp_path, "name: csv\npath: penguins.csv\ntarget: species\n"
                     "missing: {default: median, sex: category, island: most_frequent}\n",
           classifier(3), epochs=5)
    trained(tmp_path, "run")
    done = nnfs("export", tmp_path / "run", "-o", tmp_path / "model.onnx")
    assert done.code == 0, done.stderr
    assert ("a missing cell of 'island' (NaN in the model's input) becomes 'Biscoe' "
            "(data.missing: most_frequent)") in done.stdout.splitlines()
    model = onnx.load(str(tmp_path / "model.onnx"))
    assert {"IsNaN", "Where"} <= {node.op_type for node in model.graph.node}
    metadata = {prop.key: prop.value for prop in model.metadata_props}
    columns = json.loads(metadata["input_columns"])
    assert columns[0] == {"name": "bill", "kind": "number", "column": "bill", "category": None}
    assert {"name": "sex=missing", "kind": "category", "column": "sex",
            "category": "missing"} in columns
    # Rows with a missing cell of each kind, and none: NaN where the cell is missing (all of
    # a text column's 0/1 inputs), as a client without nnfs would pass them.
    rows = tmp_path / "rows.csv"
    rows.write_text("bill,mass,sex,island\n,4300,male,Biscoe\n48,,female,Dream\n"
                    "48,4300,,Dream\n45,4000,female,\n40,3600,male,Torgersen\n")
    x = np.zeros((5, len(columns)), dtype=np.float32)
    cells = list(csv.reader(rows.open()))[1:]
    for row, values in enumerate(cells):
        for index, column in enumerate(columns):
            cell = values[PENGUINS.index(column["column"])]
            if cell == "":
                x[row, index] = np.nan
            elif column["kind"] == "number":
                x[row, index] = float(cell)
            else:
                x[row, index] = float(cell == column["category"])
    session = ort.InferenceSession(str(tmp_path / "model.onnx"),
                                   providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x})[0]
    assert np.isfinite(got).all()
    predicted = nnfs("predict", rows, "--run", tmp_path / "run", "--json", "--top-k", "3").json()
    names = json.loads(metadata["class_names"])
    expected = np.array([[next(item["confidence"] for item in result["top_k"]
                               if item["label"] == name) for name in names]
                         for result in predicted])
    assert np.max(np.abs(got - expected)) <= 1e-5


# --- paths relative to the config ------------------------------------------------------------

def test_a_data_path_is_relative_to_the_config_first_then_to_the_current_folder(tmp_path):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "data").mkdir(parents=True)
    elsewhere.mkdir()
    write_csv(project / "data" / "penguins.csv", PENGUINS, penguins(60, 0))
    path = config(project, "name: csv\npath: data/penguins.csv\ntarget: species\n",
                  classifier(3), epochs=1)
    # From another folder: beside the config, and said so.
    done = nnfs("train", path, "--run-dir", "beside", cwd=elsewhere)
    assert done.code == 0, done.stderr
    used = project / "data" / "penguins.csv"
    assert (f"data.path is recorded in the run as {used} (relative to the config's folder)"
            in done.stderr)
    recorded = (elsewhere / "beside" / "config.yaml").read_text()
    assert f"path: {used}" in recorded
    # Not beside the config but in the current folder: that one, and said so.
    (elsewhere / "data").mkdir()
    write_csv(elsewhere / "data" / "other.csv", PENGUINS, penguins(60, 1))
    config(project, "name: csv\npath: data/other.csv\ntarget: species\n", classifier(3),
           epochs=1)
    done = nnfs("train", path, "--run-dir", "here", cwd=elsewhere)
    assert done.code == 0, done.stderr
    assert (f"data.path is recorded in the run as {elsewhere / 'data' / 'other.csv'} (relative "
            f"to the current folder: not in the config's folder {project})") in done.stderr
    # In both: the config's folder wins.
    write_csv(project / "data" / "other.csv", PENGUINS, penguins(60, 2))
    done = nnfs("train", path, "--run-dir", "both", cwd=elsewhere)
    assert f"recorded in the run as {project / 'data' / 'other.csv'} (relative to the " \
        "config's folder)" in done.stderr
    # In neither: where nnfs looked, then the error names the config's folder.
    config(project, "name: csv\npath: data/gone.csv\ntarget: species\n", classifier(3),
           epochs=1)
    done = nnfs("train", path, "--run-dir", "neither", cwd=elsewhere)
    assert done.code == 1
    assert done.stderr.splitlines() == [
        f"data.path: data/gone.csv is in neither the config's folder ({project}) nor the "
        f"current folder ({elsewhere}); looking for {project / 'data' / 'gone.csv'}",
        f"Error: {project / 'data' / 'gone.csv'}: no such file"]
    # A --set path is the command line's: relative to the current folder.
    done = nnfs("train", path, "--run-dir", "set", "--set", "data.path=data/other.csv",
                cwd=elsewhere)
    assert f"recorded in the run as {elsewhere / 'data' / 'other.csv'}" in done.stderr


def test_fashion_yaml_from_another_folder_uses_the_data_it_downloaded(tmp_path, repo_root):
    from conftest import write_fashion_zip
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "configs").mkdir(parents=True)
    elsewhere.mkdir()
    (project / "configs" / "fashion.yaml").write_text(
        (repo_root / "configs" / "fashion.yaml").read_text())
    archive = write_fashion_zip(tmp_path / "fashion.zip", per_label=6)
    # The first run, from the project's folder, downloads beside the configs' folder...
    done = nnfs("train", "configs/fashion.yaml", "--epochs", "1", "--run-dir", "first",
                cwd=project, timeout=300, env={"NNFS_FASHION_URL": archive.as_uri()})
    assert done.code == 0, done.stderr
    assert "downloading it from" in done.stderr
    assert (project / "datasets" / "fashion_mnist_images" / "train").is_dir()
    # ... and a run from elsewhere finds it there: no second download.
    done = nnfs("train", project / "configs" / "fashion.yaml", "--epochs", "1", "--run-dir",
                "second", "--no-download", cwd=elsewhere, timeout=300)
    assert done.code == 0, done.stderr
    assert "downloading" not in done.stderr
    assert not (elsewhere / "datasets").exists()


# --- imbalanced classes ----------------------------------------------------------------------

def skewed(path, n, seed):
    """A two-class table, 95 % 'healthy' and 5 % 'sick', whose classes overlap."""
    rng = np.random.default_rng(seed)
    sick = np.zeros(n, dtype=bool)
    sick[rng.choice(n, n // 20, replace=False)] = True
    x = rng.normal(0, 1, (n, 2)) + 1.6 * sick[:, None]
    write_csv(path, ["a", "b", "state"],
              [(f"{a:.3f}", f"{b:.3f}", "sick" if s else "healthy")
               for (a, b), s in zip(x, sick)])


def test_balanced_class_weight_raises_the_minority_class_recall(tmp_path):
    skewed(tmp_path / "train.csv", 2000, 0)
    skewed(tmp_path / "test.csv", 2000, 1)
    data = "name: csv\npath: train.csv\ntest_path: test.csv\ntarget: state\n"
    recall, losses = {}, {}
    for name, extra in (("plain", ""), ("balanced", "class_weight: balanced, ")):
        path = config(tmp_path, data, classifier(2, hidden=8), epochs=10)
        path.write_text(path.read_text().replace("training: {", f"training: {{{extra}"))
        done, summary = trained(tmp_path, name)
        report = nnfs("evaluate", tmp_path / name, "--json").json()
        recall[name] = {item["name"]: item["recall"] for item in report["per_class"]}["sick"]
        losses[name] = summary
        if extra:
            assert ("class_weight: balanced (rows / (classes x rows of the class), from the "
                    "training rows): healthy 0.526 (1710 rows), sick 10 (90 rows); the "
                    "training loss is weighted, the validation loss is not") in done.stderr
            assert summary["class_weight"] == pytest.approx({"healthy": 1800 / (2 * 1710),
                                                             "sick": 1800 / (2 * 90)})
    # Unweighted, half the sick go unseen (0.48); balanced, nearly nine in ten are found.
    assert recall["balanced"] > 0.75 and recall["balanced"] - recall["plain"] > 0.25
    # The validation loss is the plain cross-entropy of the same rows: the weighted run's
    # is the one evaluate gives for its validation split, unweighted.
    report = nnfs("evaluate", tmp_path / "balanced", "--split", "validation", "--json").json()
    assert report["loss"] == pytest.approx(losses["balanced"]["val_loss"], rel=1e-5)


def test_class_weight_mistakes_name_their_key(tmp_path):
    skewed(tmp_path / "train.csv", 200, 0)
    path = config(tmp_path, "name: csv\npath: train.csv\ntarget: state\n", classifier(2),
                  epochs=1)
    text = path.read_text()
    for weight, message in (
            ("{sick: 10, ill: 2}", "config.yaml: training.class_weight.ill: no class 'ill'; the "
                                   "classes are healthy, sick"),
            ("{sick: -1}", "config.yaml: training.class_weight.sick: expected a number > 0, "
                           "got -1"),
            ("even", "config.yaml: training.class_weight: expected balanced or a mapping "
                     "{class: weight}, got 'even'")):
        path.write_text(text.replace("training: {", f"training: {{class_weight: {weight}, "))
        done = nnfs("train", "config.yaml", "--run-dir", "bad", cwd=tmp_path)
        assert (done.code, done.stderr) == (2, f"Error: {message}\n")
