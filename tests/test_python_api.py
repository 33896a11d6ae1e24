"""Issue 22: the Python API. nnfs_cli.train / load_run / Run take the path `nnfs train`,
`predict`, `evaluate` and `export` take (same bytes, same answers); callbacks see what the
loop logs; a Keras-like Sequential fits arrays and writes runs the CLI takes; errors are
Python exceptions with the CLI's one-line messages; the public surface is listed."""

import csv
import shutil

import numpy as np
import pytest

import nnfs_cli
from nnfs_cli import ConfigError, NnfsError
from nnfs_cli.book import vertical_data
from nnfs_cli.callbacks import Callback, EarlyStopping, ModelCheckpoint
from nnfs_cli.layers import Dense, Dropout, ReLU, Softmax
from nnfs_cli.optimizers import Adam
from nnfs_cli.runs.safe_pickle import load as load_pickle
from own_data import nnfs

PUBLIC = ["__version__", "train", "resume", "load_run", "Run", "Sequential", "History",
          "NnfsError", "ConfigError", "BadUsage", "DataError", "Callback", "EarlyStopping",
          "ModelCheckpoint", "gradcheck", "lr_find", "layers", "optimizers", "callbacks", "book"]


def metrics_rows(run_dir):
    with open(run_dir / "metrics.csv") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def spiral_api_run(spiral_config, tmp_path):
    return nnfs_cli.train(spiral_config, tmp_path / "api", quiet=True)


def test_train_from_python_and_from_the_command_line_give_the_same_bytes(spiral_config, tmp_path,
                                                                          spiral_api_run):
    done = nnfs("train", spiral_config, "--run-dir", tmp_path / "cli", "-q")
    assert done.code == 0, done.stderr
    for name in ("params.pkl", "checkpoint.pkl", "metrics.csv", "config.yaml"):
        if name == "metrics.csv":   # the seconds column differs; every figure agrees
            strip = [{k: v for k, v in row.items() if k != "seconds"}
                     for row in metrics_rows(tmp_path / "cli")]
            assert strip == [{k: v for k, v in row.items() if k != "seconds"}
                             for row in metrics_rows(spiral_api_run.path)]
        elif name == "checkpoint.pkl":
            assert load_pickle(tmp_path / "cli" / name)["trainer"]["params"][0]["weights"].tobytes() \
                == load_pickle(spiral_api_run.path / name)["trainer"]["params"][0]["weights"].tobytes()
        else:
            assert (tmp_path / "cli" / name).read_bytes() == (spiral_api_run.path / name).read_bytes()
    assert done.stdout.splitlines()[0].startswith("finished 5 epochs")
    assert spiral_api_run.lines[0].startswith("finished 5 epochs")


def test_a_run_from_python_answers_as_the_cli_does(spiral_api_run, tmp_path):
    run = nnfs_cli.load_run(spiral_api_run.path)
    rows = np.array([[0.1, 0.2], [-0.5, 0.3], [0.7, -0.9]])
    np.savetxt(tmp_path / "rows.csv", rows, delimiter=",")
    done = nnfs("predict", tmp_path / "rows.csv", "--run", run.path, "--json", "--top-k", "3")
    assert done.code == 0, done.stderr
    answers = done.json()
    assert list(run.predict(rows)) == [answer["label"] for answer in answers]
    probabilities = run.predict_proba(rows)
    for row, answer in zip(probabilities, answers):
        for item in answer["top_k"]:
            assert row[item["index"]] == pytest.approx(item["confidence"], abs=1e-7)
    assert run.predict(rows[0]).shape == (1,)          # one sample
    report = run.evaluate()
    cli_report = nnfs("evaluate", run.path, "--json").json()
    assert report == cli_report
    assert run.history == [{key: (int(v) if key == "epoch" else float(v)) for key, v in row.items()}
                           for row in metrics_rows(run.path)]
    assert run.class_names == ["class 0", "class 1", "class 2"]
    assert run.config["training"]["epochs"] == 5 and run.status == "finished"
    assert run.summary["epochs"] == 5


def test_export_from_python_runs_in_onnxruntime(spiral_api_run, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    path, lines = spiral_api_run.export(tmp_path / "spiral.onnx")
    assert path == tmp_path / "spiral.onnx" and lines[0].startswith(f"wrote {path}")
    rows = np.random.default_rng(0).normal(size=(7, 2)).astype(np.float32)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    [probabilities] = session.run(None, {"input": rows})
    np.testing.assert_allclose(probabilities, spiral_api_run.predict_proba(rows), atol=1e-6)
    npz, _ = spiral_api_run.export(format="npz")
    assert npz == spiral_api_run.path / "model.npz" and npz.is_file()


def test_a_csv_run_predicts_rows_given_as_dicts_in_any_column_order(tmp_path, repo_root):
    iris = repo_root / "configs" / "iris.yaml"
    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    run = nnfs_cli.train(iris, tmp_path / "iris", quiet=True, epochs=30,
                         **{"data.path": str(tmp_path / "examples/iris/iris.csv")})
    rows = [{"petal_width": 0.2, "sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4},
            {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3}]
    (tmp_path / "new.csv").write_text("sepal_length,sepal_width,petal_length,petal_width\n"
                                      "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    answers = nnfs("predict", tmp_path / "new.csv", "--run", run.path, "--json").json()
    assert list(run.predict(rows)) == [answer["label"] for answer in answers] == [
        "setosa", "virginica"]
    in_order = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
    np.testing.assert_array_equal(run.predict_proba(in_order), run.predict_proba(rows))
    with pytest.raises(NnfsError, match="row 0 has 3 values, but the model takes 4 columns"):
        run.predict([[1, 2, 3]])


def test_errors_are_python_exceptions_with_the_clis_messages(spiral_config, tmp_path):
    config = {"data": {"name": "spiral"}, "model": [{"dense": 16}, "relu", {"dense": -3},
                                                    "softmax"],
              "loss": "categorical_crossentropy", "optimizer": "adam"}
    with pytest.raises(ConfigError) as error:
        nnfs_cli.train(config, tmp_path / "a")
    assert str(error.value) == "model[2].units: expected a positive integer, got -3"
    with pytest.raises(ConfigError) as error:
        nnfs_cli.train(spiral_config, tmp_path / "b", **{"model[0].units": -3})
    assert str(error.value) == f"{spiral_config}: model[0].units: expected a positive integer, got -3"
    done = nnfs("train", spiral_config, "--set", "model[0].units=-3")
    assert done.code == 2 and done.stderr == f"Error: {spiral_config}: model[0].units: expected a positive integer, got -3\n"
    with pytest.raises(nnfs_cli.BadUsage, match="no such run directory"):
        nnfs_cli.load_run(tmp_path / "nowhere")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_dict_config_trains_like_its_file(spiral_config, tmp_path, spiral_api_run):
    import yaml
    run = nnfs_cli.train(yaml.safe_load(spiral_config.read_text()), tmp_path / "dict", quiet=True)
    assert (run.path / "params.pkl").read_bytes() == (spiral_api_run.path / "params.pkl").read_bytes()
    longer = nnfs_cli.train(spiral_config, tmp_path / "longer", quiet=True, epochs=7,
                            optimizer__learning_rate=0.01)
    assert longer.config["training"]["epochs"] == 7
    assert longer.config["optimizer"]["learning_rate"] == 0.01
    resumed = nnfs_cli.resume(run.path, epochs=7, quiet=True)
    assert resumed.summary["epochs"] == 7


class Recorder(Callback):
    def __init__(self):
        self.begun, self.epochs, self.batches, self.ended = None, [], [], None

    def on_train_begin(self, logs):
        self.begun = logs

    def on_batch_end(self, batch, logs):
        self.batches.append((batch, logs))

    def on_epoch_end(self, epoch, logs):
        self.epochs.append((epoch, logs))

    def on_train_end(self, logs):
        self.ended = logs


def test_callbacks_see_the_numbers_the_run_logs(spiral_config, tmp_path):
    recorder = Recorder()
    run = nnfs_cli.train(spiral_config, tmp_path / "run", quiet=True, callbacks=[recorder])
    assert recorder.begun == {"epochs": 5, "steps": 5, "epoch": 1, "step": 0}
    rows = metrics_rows(run.path)
    assert [epoch for epoch, _ in recorder.epochs] == [1, 2, 3, 4, 5]
    for (_, logs), row in zip(recorder.epochs, rows):
        for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
            assert float(row[key]) == pytest.approx(logs[key], rel=1e-7)
    assert [(batch, logs["step"]) for batch, logs in recorder.batches] == [
        (step % 5, step + 1) for step in range(25)]
    first = recorder.batches[0][1]
    assert first["loss"] == pytest.approx(first["data_loss"] + first["reg_loss"])
    assert recorder.ended["epoch"] == 5


class StopAfter(Callback):
    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs):
        if epoch == self.epochs:
            self.trainer.stop_training = True


def test_callbacks_stop_early_and_checkpoint(spiral_config, tmp_path):
    run = nnfs_cli.train(spiral_config, tmp_path / "stop", quiet=True, epochs=20,
                         callbacks=[StopAfter(3)])
    assert run.summary["epochs"] == 3 and run.summary["early_stopped"]
    assert "stopped by a callback after epoch 3" in (run.path / "train.log").read_text()

    patient = nnfs_cli.train(spiral_config, tmp_path / "patient", quiet=True, epochs=400,
                             callbacks=[EarlyStopping(patience=2, min_delta=1.0)])
    assert patient.config["training"]["early_stopping"] == {
        "monitor": "val_loss", "patience": 2, "min_delta": 1.0, "restore_best": False}
    assert patient.summary["epochs"] == 3

    best = tmp_path / "best.pkl"
    saved = nnfs_cli.train(spiral_config, tmp_path / "checkpointed", quiet=True,
                           callbacks=[ModelCheckpoint(best, monitor="val_accuracy",
                                                      save_best_only=False)])
    kept = load_pickle(best)
    final = load_pickle(saved.path / "params.pkl")
    for ours, theirs in zip(kept, final):
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ConfigError, match="ModelCheckpoint.monitor"):
        ModelCheckpoint(best, monitor="f1")


# --- Sequential -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vertical_arrays():
    np.random.seed(0)
    X, y = vertical_data(samples=100, classes=3)
    X_val, y_val = vertical_data(samples=30, classes=3)
    return X, y, X_val, y_val


def test_sequential_fits_predicts_and_evaluates(vertical_arrays, tmp_path, monkeypatch):
    X, y, X_val, y_val = vertical_arrays
    model = nnfs_cli.Sequential([Dense(32), ReLU(), {"dense": 3}, "softmax"], seed=1)
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=0.02))
    history = model.fit(X, y, validation_data=(X_val, y_val), epochs=40, batch_size=32,
                        verbose=0)
    assert history.epoch == list(range(1, 41))
    assert history.history["val_accuracy"][-1] > 0.9
    probabilities = model.predict(X_val)
    assert probabilities.shape == (90, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    scores = model.evaluate(X_val, y_val)
    assert scores["accuracy"] == pytest.approx(history.history["val_accuracy"][-1])
    assert scores["loss"] == pytest.approx(history.history["val_loss"][-1])
    more = model.fit(X, y, validation_data=(X_val, y_val), epochs=2, verbose=0)
    assert more.epoch == [41, 42]
    assert model.summary().splitlines()[-1].split()[-1] == f"{2 * 32 + 32 + 32 * 3 + 3:,}"
    one_hot = np.eye(3)[y]
    twin = nnfs_cli.Sequential([Dense(32), ReLU(), Dense(3), Softmax()], seed=1)
    twin.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=0.02))
    twin.fit(X, one_hot, validation_data=(X_val, y_val), epochs=40, batch_size=32, verbose=0)
    np.testing.assert_array_equal(twin.predict(X_val), probabilities)   # one-hot = labels


def test_a_sequential_run_is_an_ordinary_run(vertical_arrays, tmp_path):
    """save_run writes what `nnfs train` would: the CLI evaluates, predicts, exports and lists
    it, and its config.yaml trained by `nnfs train` gives the very same parameters."""
    X, y, X_val, y_val = vertical_arrays
    model = nnfs_cli.Sequential([Dense(16), ReLU(), Dropout(0.1), Dense(3), Softmax()])
    model.compile(loss="categorical_crossentropy", optimizer={"name": "adam",
                                                               "learning_rate": 0.02})
    model.fit(X, y, validation_data=(X_val, y_val), epochs=6, batch_size=50, verbose=0)
    run = model.save_run(tmp_path / "runs" / "sequential")
    assert isinstance(run, nnfs_cli.Run) and run.summary["status"] == "finished"
    report = nnfs("evaluate", run.path, "--json").json()
    assert report["split"] == "test" and report["samples"] == 90
    assert report["accuracy"] == pytest.approx(model.evaluate(X_val, y_val)["accuracy"])
    np.save(tmp_path / "rows.npy", X_val[:4].astype(np.float32))
    answers = nnfs("predict", tmp_path / "rows.npy", "--run", run.path, "--json").json()
    best = np.argmax(model.predict(X_val[:4]), axis=1)
    assert [answer["index"] for answer in answers] == list(best)
    assert nnfs("export", run.path, "--format", "npz").code == 0
    listed = nnfs("runs", tmp_path / "runs").stdout
    assert "sequential" in listed and "finished" in listed
    retrained = nnfs("train", run.path / "config.yaml", "--run-dir", tmp_path / "again", "-q")
    assert retrained.code == 0, retrained.stderr
    assert (tmp_path / "again" / "params.pkl").read_bytes() == (run.path / "params.pkl").read_bytes()
    resumed = nnfs("train", "--resume", run.path, "--epochs", "8", "-q")
    assert resumed.code == 0, resumed.stderr


def test_sequential_without_validation_and_for_regression(tmp_path):
    x = np.linspace(0, 1, 200).reshape(-1, 1)
    y = np.sin(2 * np.pi * x)
    model = nnfs_cli.Sequential([Dense(64, init="he_normal"), ReLU(),
                                 Dense(64, init="he_normal"), ReLU(), Dense(1), "linear"])
    model.compile(loss="mean_squared_error", optimizer=Adam(learning_rate=0.005))
    history = model.fit(x, y, epochs=60, batch_size=16, verbose=0)
    assert "val_loss" not in history.rows[-1] or history.rows[-1]["val_loss"] is None
    assert history.history["loss"][-1] < history.history["loss"][0] / 20
    assert model.predict(x).shape == (200, 1)
    run = model.save_run(tmp_path / "sine")
    assert run.task == "regression" and run.predict(x[:3]).shape == (3,)


def test_sequential_misuse_is_one_line(vertical_arrays):
    X, y, _, _ = vertical_arrays
    model = nnfs_cli.Sequential([Dense(8), ReLU(), Dense(4), Softmax()])
    with pytest.raises(nnfs_cli.BadUsage, match=r"call compile\(loss=..., optimizer=...\) first"):
        model.fit(X, y)
    model.compile(loss="categorical_crossentropy")
    with pytest.raises(ConfigError) as error:
        model.fit(X, y, verbose=0)
    assert str(error.value) == ("Sequential: model[2].units: the last dense layer must have 3 "
                                "units for 3 classes of y with categorical_crossentropy, got 4")
    bad = nnfs_cli.Sequential([Dense(-1), Softmax()])
    bad.compile(loss="categorical_crossentropy")
    with pytest.raises(ConfigError, match=r"^Sequential: model\[0\].units: expected a positive "
                                          r"integer, got -1$"):
        bad.fit(X, y)
    with pytest.raises(nnfs_cli.BadUsage, match=r"call fit\(...\) first"):
        nnfs_cli.Sequential([Dense(3)]).predict(X)


# --- the public surface -----------------------------------------------------------------

def test_the_public_surface_is_listed_in_one_place():
    assert nnfs_cli.__all__ == PUBLIC
    for name in PUBLIC:
        value = getattr(nnfs_cli, name)
        if name != "__version__":
            assert value.__doc__, name
    for cls in (nnfs_cli.Run, nnfs_cli.Sequential):
        for attribute, member in vars(cls).items():
            if not attribute.startswith("_") and callable(member):
                assert member.__doc__, (cls, attribute)
    with pytest.raises(AttributeError):
        nnfs_cli.no_such_name


def test_a_bad_data_file_is_a_data_error(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3\n")
    config = {"data": {"name": "csv", "path": str(tmp_path / "t.csv")},
              "model": [{"dense": 2}, "softmax"], "loss": "categorical_crossentropy",
              "optimizer": "adam"}
    with pytest.raises(nnfs_cli.DataError) as error:
        nnfs_cli.train(config, tmp_path / "run", quiet=True)
    assert str(error.value) == f"{tmp_path / 't.csv'}:3: 1 value, but the header has 2 columns"
    assert error.value.exit_code == 1 and isinstance(error.value, NnfsError)
