"""nnfs export of runs on one's own data: the exported model takes the numbers the files hold
(a CSV row one-hot encoded, a fitted picture's pixels, an npz sample) and gives what nnfs
predict gives, a csv regression on the target's own scale."""

import json

import numpy as np
import pytest

from fashion_runs import run_cli
from nnfs_cli.runs.saved import load_run
from own_data import (FRUIT_HEADER, HOUSE_HEADER, classifier, config, fruit_rows, house_rows,
                      image_folder, picture, regressor, write_csv, write_picture)

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)   # the configs name their data relative to their folder


def train(folder, name):
    result = run_cli("train", folder / "config.yaml", "--run-dir", folder / name, "-q")
    assert result.exit_code == 0, result.output
    return folder / name


def onnx_outputs(path, x):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    (name,) = [item.name for item in session.get_inputs()]
    return session.run(None, {name: np.asarray(x, dtype=np.float32)})[0]


def export(run_dir, path, *args):
    result = run_cli("export", run_dir, "-o", path, *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def table_inputs(run, path):
    """(one-hot encoded raw rows, nnfs's model inputs) of the CSV at `path`."""
    from nnfs_cli.data.tables import read_table
    encoder = run.data.encoder
    raw, _, _ = encoder.encode_raw(read_table(path), "predict")
    return encoder.raw_inputs(raw), run.data.read_rows(path, run.n_inputs).x


def test_a_csv_classifier_exports_with_its_scaling_and_columns(tmp_path):
    write_csv(tmp_path / "fruit.csv", FRUIT_HEADER, fruit_rows(150, seed=1))
    config(tmp_path, "name: csv\npath: fruit.csv\ntarget: size\n", classifier(3), epochs=5)
    run_dir = train(tmp_path, "run")
    stdout = export(run_dir, tmp_path / "model.onnx")
    assert ("the CSV's feature columns as 5 numbers: number columns as they are, one 0/1 "
            "column per category of a text column: weight, color=blue, color=green, "
            "color=red, length") in stdout
    run = load_run(run_dir)
    raw, prepared = table_inputs(run, tmp_path / "fruit.csv")
    got = onnx_outputs(tmp_path / "model.onnx", raw)
    assert np.max(np.abs(got - run.outputs(prepared))) <= 1e-5
    model = onnx.load(str(tmp_path / "model.onnx"))
    metadata = {prop.key: prop.value for prop in model.metadata_props}
    assert json.loads(metadata["class_names"]) == ["large", "medium", "small"]
    assert metadata["postprocessing"] == "none"


def test_a_csv_regression_exports_on_the_targets_own_scale(tmp_path):
    write_csv(tmp_path / "houses.csv", HOUSE_HEADER, house_rows(200, seed=3))
    config(tmp_path, "name: csv\npath: houses.csv\ntarget: price\n", regressor(),
           loss="mean_squared_error", epochs=5)
    run_dir = train(tmp_path, "run")
    stdout = export(run_dir, tmp_path / "model.onnx")
    assert "on the targets' own scale (inside the model: y * " in stdout
    run = load_run(run_dir)
    raw, prepared = table_inputs(run, tmp_path / "houses.csv")
    expected = run.data.restore_targets(run.outputs(prepared))
    got = onnx_outputs(tmp_path / "model.onnx", raw)
    assert np.max(np.abs(got - expected) / np.abs(expected)) <= 1e-5
    predicted = json.loads(run_cli("predict", tmp_path / "houses.csv", "--run", run_dir,
                                   "--json").stdout)
    assert np.allclose([r["value"] for r in predicted], got[:, 0], rtol=1e-5)
    # The npz arrays are the bare network: the description says what to apply to its outputs.
    export(run_dir, tmp_path / "model.npz", "--format", "npz")
    with np.load(tmp_path / "model.npz") as arrays:
        description = json.loads(arrays["description"].tobytes())
    post = description["postprocessing"]
    assert post["multiply"] == pytest.approx(run.data.encoder.state["target_scale"])
    assert post["add"] == pytest.approx(run.data.encoder.state["target_center"])


def test_an_rgb_image_folder_exports_taking_channels_first_pixels(tmp_path):
    image_folder(tmp_path / "pictures", per_class=4, color=True)
    config(tmp_path, "name: image_folder\npath: pictures\nsize: [12, 10]\ncolor: rgb\n"
           "validation_split: 0.25\n", classifier(3), epochs=3)
    run_dir = train(tmp_path, "run")
    stdout = export(run_dir, tmp_path / "model.onnx")
    assert "float32 [batch, 3, 12, 10], 10x12 RGB pixel values 0-255" in stdout
    run = load_run(run_dir)
    rng = np.random.default_rng(7)
    pictures, prepared = [], []
    for index, kind in enumerate(["circle", "cross", "square"] * 2):
        path = write_picture(tmp_path / f"{index}.png", picture(kind, rng, 30 + index, True))
        image = run.data.read_picture(path)
        from nnfs_cli.data.photos import fit_into
        pictures.append(fit_into(image, (12, 10)).transpose(2, 0, 1))
        prepared.append(run.data.prepare_image(image))
    got = onnx_outputs(tmp_path / "model.onnx", np.stack(pictures))
    assert np.max(np.abs(got - run.outputs(np.stack(prepared)))) <= 1e-5


def test_npz_pictures_export_unflattened(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    x = rng.normal(0, 1, (60, 4, 4)).astype(np.float32) + y[:, None, None]
    np.savez(tmp_path / "a.npz", x=x, y=y)
    config(tmp_path, "name: npz\npath: a.npz\n", classifier(2), epochs=3)
    run_dir = train(tmp_path, "run")
    assert "float32 [batch, 4, 4]" in export(run_dir, tmp_path / "model.onnx")
    run = load_run(run_dir)
    got = onnx_outputs(tmp_path / "model.onnx", x)
    assert np.max(np.abs(got - run.outputs(x.reshape(60, 16)))) <= 1e-5
