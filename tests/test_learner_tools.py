"""Issue 25: see what the network learns. Decision regions (each pixel of the picture is the
class the run predicts there; the animation has the frames it promises and survives
--resume; runs it cannot draw get no picture and no error), `nnfs gradcheck` (passes on every
shipped config and every registered layer, names the array of a wrong backward), and
`nnfs lr-find` (geometric rates, stops when the loss blows up, and its suggestion trains)."""

import csv
import json
import re
import textwrap

import numpy as np
import pytest
from PIL import Image

import nnfs_cli
from fashion_runs import needs_fashion, run_cli
from nnfs_cli.core.layers import Dense
from nnfs_cli.registry import ACTIVATIONS, LAYERS
from nnfs_cli.runs import region_plots, regions
from nnfs_cli.runs.safe_pickle import load as load_pickle
from nnfs_cli.runs.saved import load_run
from own_data import nnfs

SPIRAL = """\
seed: 3
data: {name: spiral, samples: 100, classes: 3, validation_samples: 50}
model:
  - dense: {units: 32, init: he_normal}
  - relu
  - dense: {units: 3}
  - softmax
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.02}
training: {epochs: 30, batch_size: 64}
"""


def write(tmp_path, text, name="config.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(scope="module")
def spiral_run(tmp_path_factory):
    """A small spiral run trained through the installed `nnfs`, with its animation."""
    folder = tmp_path_factory.mktemp("regions")
    config = write(folder, SPIRAL + "plots: {animate: true, every: 7}\n")
    done = nnfs("train", config, "--run-dir", folder / "run", "-q")
    assert done.code == 0, done.stderr
    return folder / "run"


# --- decision regions ------------------------------------------------------------------------

def pixel_classes(path, classes):
    """(box, extent, the class of each pixel of the box decoded from its colour (-1 where
    the colour is no shade of a class colour), the weight of that colour)."""
    image = Image.open(path)
    box = [int(v) for v in image.text["nnfs:box"].split()]
    extent = [float(v) for v in image.text["nnfs:extent"].split()]
    left, top, width, height = box
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64)[top:top + height,
                                                             left:left + width] / 255
    colors = region_plots.class_colors(classes)
    # A shade is white - w * (white - colour): fit w per class, keep the best fit.
    fits = []
    for color in colors:
        direction = 1 - color
        weight = ((1 - rgb) @ direction) / (direction @ direction)
        residual = np.abs(1 - weight[..., None] * direction - rgb).max(axis=-1)
        fits.append((residual, weight))
    residuals = np.stack([fit[0] for fit in fits])
    weights = np.stack([fit[1] for fit in fits])
    best = residuals.argmin(axis=0)
    residual = residuals.min(axis=0)
    weight = np.take_along_axis(weights, best[None], 0)[0]
    low, high = region_plots.SHADE
    shade = (residual <= 1.5 / 255) & (weight >= low - 0.01) & (weight <= high + 0.01)
    return box, extent, np.where(shade, best, -1)


def check_pixels(path, predict, points, classes, samples=600):
    """Sampled pixels of the picture at `path`, away from the drawn `points`, show the class
    `predict(xy)` gives at their centres."""
    box, (xmin, xmax, ymin, ymax), decoded = pixel_classes(path, classes)
    _, _, width, height = box
    rng = np.random.default_rng(0)
    columns, rows = rng.integers(2, width - 2, samples), rng.integers(2, height - 2, samples)
    # Pixels of the markers (training points, crosses) are not the plane's.
    px = (points[:, 0] - xmin) / (xmax - xmin) * width
    py = (ymax - points[:, 1]) / (ymax - ymin) * height
    far = np.array([np.min(np.hypot(px - c - 0.5, py - r - 0.5)) > 7
                    for c, r in zip(columns, rows)])
    columns, rows = columns[far], rows[far]
    assert len(columns) > samples / 3
    xy = np.stack([xmin + (columns + 0.5) / width * (xmax - xmin),
                   ymax - (rows + 0.5) / height * (ymax - ymin)], axis=1)
    shown = decoded[rows, columns]
    assert (shown >= 0).all(), "a pixel away from the points is no shade of a class colour"
    expected = predict(xy)
    assert len(set(expected)) == classes, "the sample should see every class"
    np.testing.assert_array_equal(shown, expected)


def drawn_points(run_dir):
    saved = load_run(run_dir)
    splits = saved.data.load(saved.config["seed"])
    return np.concatenate([splits.x_train, splits.x_val]).astype(np.float64)


def test_each_pixel_shows_the_class_the_run_predicts_there(spiral_run):
    run = nnfs_cli.load_run(spiral_run)
    names = list(run.class_names)

    def predict(xy):
        return np.array([names.index(label) for label in run.predict(xy)])

    check_pixels(spiral_run / regions.PICTURE, predict, drawn_points(spiral_run), 3)


def test_plot_draws_a_recorded_epoch_with_that_epochs_parameters(spiral_run):
    done = nnfs("plot", spiral_run, "--epoch", 7)
    assert done.code == 0, done.stderr
    picture = spiral_run / "decision_regions_epoch7.png"
    assert f"wrote {picture}: the decision regions at epoch 7" in done.stderr
    saved = load_run(spiral_run)
    saved.model.set_parameters(regions.read_frame(spiral_run, 7, saved.model))

    def predict(xy):
        return np.argmax(saved.model.predict(xy.astype(np.float32)), axis=1)

    check_pixels(picture, predict, drawn_points(spiral_run), 3)
    # Epoch 7's regions are not the end's.
    assert not np.array_equal(pixel_classes(picture, 3)[2],
                              pixel_classes(spiral_run / regions.PICTURE, 3)[2])
    # An epoch that was not recorded, a run without frames: the caller's mistake.
    wrong = nnfs("plot", spiral_run, "--epoch", 8)
    assert wrong.code == 2
    assert wrong.stderr == (f"Error: --epoch 8: {spiral_run} recorded the parameters of "
                            "epochs 0, 7, 14, 21, 28, 30; choose one of them\n")


def test_the_animation_has_a_frame_every_n_epochs_and_the_last(spiral_run):
    # 30 epochs, every 7: epochs 0, 7, 14, 21, 28 and 30.
    assert regions.recorded_epochs(spiral_run) == [0, 7, 14, 21, 28, 30]
    gif = Image.open(spiral_run / regions.ANIMATION)
    assert gif.n_frames == 6
    assert (spiral_run / regions.ANIMATION).stat().st_size < 3_000_000
    first = np.asarray(gif.convert("RGB"))
    gif.seek(5)
    assert not np.array_equal(first, np.asarray(gif.convert("RGB")))


def test_frames_change_no_training_number_and_survive_resume(tmp_path):
    plain = write(tmp_path, SPIRAL.replace("epochs: 30", "epochs: 9"), "plain.yaml")
    assert nnfs("train", plain, "--run-dir", tmp_path / "plain", "-q").code == 0
    animated = write(tmp_path, SPIRAL.replace("epochs: 30", "epochs: 4")
                     + "plots: {animate: true, every: 3}\n", "animated.yaml")
    assert nnfs("train", animated, "--run-dir", tmp_path / "part", "-q").code == 0
    assert regions.recorded_epochs(tmp_path / "part") == [0, 3, 4]
    done = nnfs("train", "--resume", tmp_path / "part", "--epochs", 9, "-q")
    assert done.code == 0, done.stderr
    # The frames of the first part are kept; resuming adds 6 and the new last epoch, 9.
    assert regions.recorded_epochs(tmp_path / "part") == [0, 3, 4, 6, 9]
    assert Image.open(tmp_path / "part" / regions.ANIMATION).n_frames == 5
    assert (load_pickle(tmp_path / "part" / "params.pkl")[0][0].tobytes()
            == load_pickle(tmp_path / "plain" / "params.pkl")[0][0].tobytes())
    assert (tmp_path / "plain" / regions.PICTURE).exists()
    assert not (tmp_path / "plain" / regions.FRAMES).exists()


def test_a_run_of_three_inputs_gets_no_picture_and_no_error(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3)).astype(np.float32)
    np.savez(tmp_path / "three.npz", x=x, y=(x[:, 0] > 0).astype(np.int64))
    config = write(tmp_path, """\
        data: {name: npz, path: three.npz}
        model: [{dense: 8}, relu, {dense: 2}, softmax]
        loss: categorical_crossentropy
        optimizer: adam
        training: {epochs: 3}
        """)
    done = nnfs("train", config, "--run-dir", tmp_path / "run", "--animate", "-q", cwd=tmp_path)
    assert done.code == 0, done.stderr
    assert not {regions.PICTURE, regions.ANIMATION, regions.FRAMES} & {
        path.name for path in (tmp_path / "run").iterdir()}
    note = nnfs("train", config, "--run-dir", tmp_path / "noted", "--animate", cwd=tmp_path)
    assert ("no decision regions to animate: the model takes 3 inputs (classification); "
            "decision regions need a classifier of 2 inputs or a regression of 1 input and "
            "1 target") in note.stderr
    plotted = nnfs("plot", tmp_path / "run")
    assert plotted.code == 2 and "no decision regions to draw: the model takes 3 inputs" in \
        plotted.stderr
    # Asking for the picture of what cannot be drawn is a config error, before any run.
    required = nnfs("train", config, "--run-dir", tmp_path / "required",
                    "--set", "plots.decision_regions=true", cwd=tmp_path)
    assert required.code == 2
    assert required.stderr.splitlines()[-1] == (
        f"Error: {config}: plots.decision_regions: true, but the model takes 3 inputs "
        "(classification); decision regions need a classifier of 2 inputs or a regression of "
        "1 input and 1 target; use auto or false")
    assert not (tmp_path / "required").exists()


def test_plots_options_are_checked(tmp_path):
    config = write(tmp_path, SPIRAL)
    cases = {
        "plots.animate=often": "plots.animate: expected true or false, got 'often'",
        "plots.decision_regions=maybe": "plots.decision_regions: expected auto, true or false, "
                                        "got 'maybe'",
        "plots.every=0": "plots.every: expected a positive integer, got 0",
    }
    for setting, message in cases.items():
        done = run_cli("train", config, "--set", setting, "--run-dir", tmp_path / "x")
        assert done.exit_code == 2 and done.stderr == f"Error: {config}: {message}\n", setting
    done = run_cli("train", config, "--animate", "--set", "plots.decision_regions=false",
                   "--run-dir", tmp_path / "x")
    assert done.exit_code == 2 and done.stderr == (
        f"Error: {config}: plots.animate: the animation is of the decision regions, which "
        "decision_regions: false turns off\n")
    done = run_cli("train", config, "--animate", "--set", "training.epochs=1000",
                   "--set", "plots.every=1", "--run-dir", tmp_path / "x")
    assert done.exit_code == 2 and done.stderr == (
        f"Error: {config}: plots.every: 1 over 1,000 epochs makes 1,001 frames, more than "
        "201; choose 5 or more\n")
    assert not (tmp_path / "x").exists()


def test_a_regression_of_one_input_gets_its_curve(tmp_path):
    config = write(tmp_path, """\
        seed: 1
        data: {name: sine, samples: 200, validation_samples: 50}
        model: [{dense: {units: 16, init: normal_0.1}}, relu, {dense: {units: 1}}, linear]
        loss: mean_squared_error
        optimizer: {name: adam, learning_rate: 0.005}
        training: {epochs: 20}
        """)
    done = run_cli("train", config, "--run-dir", tmp_path / "sine", "-q")
    assert done.exit_code == 0, done.output
    picture = Image.open(tmp_path / "sine" / regions.PICTURE)
    assert picture.text["nnfs:plot"] == "decision regions (curve)"
    assert run_cli("plot", tmp_path / "sine").exit_code == 0


# --- gradcheck -------------------------------------------------------------------------------

QUICK_CONFIGS = ["binary", "iris", "sine", "spiral", "vertical"]
FASHION_CONFIGS = ["fashion", "fashion_cnn", "fashion_folder", "fashion_large", "fashion_tuned"]


def test_the_shipped_configs_are_all_covered(repo_root):
    assert sorted(path.stem for path in (repo_root / "configs").glob("*.yaml")) == sorted(
        QUICK_CONFIGS + FASHION_CONFIGS)


@pytest.mark.parametrize("name", QUICK_CONFIGS)
def test_gradcheck_passes_on_the_shipped_configs(name, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)   # iris's path is relative to the repository
    done = run_cli("gradcheck", f"configs/{name}.yaml")
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"ok: all \d+ trained arrays within 1\.0e-4", lines[-1])
    assert lines[1].startswith("model[0] dense weights: max relative error ")


def test_gradcheck_through_the_installed_command(repo_root):
    done = nnfs("gradcheck", repo_root / "configs" / "spiral.yaml", "--samples", 4)
    assert done.code == 0, done.stderr
    assert re.match(r"gradient check on 4 training samples \(loss \d\.\d{4}\): float64 "
                    r"central differences, eps 1\.0e-5, tolerance 1\.0e-4\n", done.stdout)


@pytest.mark.slow
@needs_fashion
@pytest.mark.parametrize("name", FASHION_CONFIGS)
def test_gradcheck_passes_on_the_fashion_configs(name, repo_root, real_fashion):
    done = run_cli("gradcheck", repo_root / "configs" / f"{name}.yaml",
                   "--set", f"data.path={real_fashion}", "--no-download")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[-1].startswith("ok: all ")


IMAGE = {"name": "npz", "path": None}   # (n, 1, 6, 6) pictures, written by the test

# A small model around each registered layer; a layer without one fails.
LAYER_STACKS = {
    "dense": [{"dense": 6}, "relu", {"dense": 3}, "softmax"],
    "dropout": [{"dense": 6}, "relu", {"dropout": 0.4}, {"dense": 3}, "softmax"],
    "batch_norm": [{"dense": 6}, "batch_norm", "relu", {"dense": 3}, "softmax"],
    "conv2d": [{"conv2d": {"filters": 2, "kernel_size": 3, "weight_l2": 0.01}}, "relu",
               "flatten", {"dense": 3}, "softmax"],
    "max_pool2d": [{"conv2d": {"filters": 2, "kernel_size": 3, "padding": "same"}},
                   "max_pool2d", "flatten", {"dense": 3}, "softmax"],
    "avg_pool2d": [{"conv2d": {"filters": 2, "kernel_size": 3}}, "avg_pool2d", "flatten",
                   {"dense": 3}, "softmax"],
    "global_avg_pool2d": [{"conv2d": {"filters": 3, "kernel_size": 3}}, "global_avg_pool2d",
                          {"dense": 3}, "softmax"],
    "global_max_pool2d": [{"conv2d": {"filters": 3, "kernel_size": 3}}, "global_max_pool2d",
                          {"dense": 3}, "softmax"],
    "flatten": ["flatten", {"dense": 3}, "softmax"],
    "random_flip": [{"random_flip": {"mode": "both"}}, {"conv2d": {"filters": 2, "kernel_size": 3}},
                    "flatten", {"dense": 3}, "softmax"],
    "random_translation": [{"random_translation": 1},
                           {"conv2d": {"filters": 2, "kernel_size": 3}}, "flatten",
                           {"dense": 3}, "softmax"],
}
TRAINED = {"dense", "batch_norm", "conv2d"}   # the layers with trained arrays of their own
IMAGE_LAYERS = {"conv2d", "max_pool2d", "avg_pool2d", "global_avg_pool2d", "global_max_pool2d",
                "flatten", "random_flip", "random_translation"}


def small_config(stack, data, loss="categorical_crossentropy"):
    return {"seed": 2, "data": data, "model": stack, "loss": loss,
            "optimizer": {"name": "adam"}, "training": {"epochs": 1}}


@pytest.fixture
def pictures(tmp_path):
    rng = np.random.default_rng(4)
    np.savez(tmp_path / "pictures.npz", x=rng.normal(size=(30, 1, 6, 6)).astype(np.float32),
             y=np.arange(30) % 3)
    return {**IMAGE, "path": str(tmp_path / "pictures.npz")}


@pytest.mark.parametrize("name", sorted(set(LAYERS.names()) | set(ACTIVATIONS.names())))
def test_gradcheck_passes_around_every_registered_layer(name, pictures):
    if name in ACTIVATIONS.names():
        stack = [{"dense": 6}, name, {"dense": 3}, "softmax"]
    else:
        assert name in LAYER_STACKS, f"registered layer {name!r}: add a stack to LAYER_STACKS"
        stack = LAYER_STACKS[name]
    data = pictures if name in IMAGE_LAYERS else {"name": "spiral", "samples": 20}
    result = nnfs_cli.gradcheck(small_config(stack, data), samples=6)
    assert result.ok, "\n".join(result.lines())
    if name in TRAINED:
        assert any(array.layer_name == name for array in result.arrays)


class WrongDense(Dense):
    """Dense whose weight gradient is half what it should be: relative error 0.5."""

    def backward(self, dvalues, need_dinputs=True):
        dinputs = super().backward(dvalues, need_dinputs)
        self.grads["weights"] *= 0.5
        return dinputs


@pytest.fixture
def wrong_dense():
    LAYERS.register("wrong_dense")(WrongDense)
    yield
    LAYERS._entries.pop("wrong_dense")   # leave the registry as the other tests expect it


def test_gradcheck_names_the_array_of_a_wrong_backward(wrong_dense, tmp_path):
    config = small_config([{"dense": 6}, "relu", {"wrong_dense": 4}, "tanh", {"dense": 3},
                           "softmax"], {"name": "spiral", "samples": 20})
    result = nnfs_cli.gradcheck(config)
    assert not result.ok
    assert [array.name for array in result.failures] == ["model[2] wrong_dense weights"]
    assert result.failures[0].max_error == pytest.approx(0.5, rel=1e-3)
    path = tmp_path / "wrong.yaml"
    path.write_text(json.dumps(config))
    done = run_cli("gradcheck", path)
    assert done.exit_code == 1
    assert re.search(r"^model\[2\] wrong_dense weights: max relative error 5\.0e-1 > 1\.0e-4"
                     r"  WRONG at \[\d+, \d+\]  \(20 of 24 entries\)$", done.stdout, re.M)
    assert "model[2] wrong_dense biases: max relative error" in done.stdout
    assert done.stderr == ("Error: gradient check failed: model[2] wrong_dense weights (max "
                           "relative error 5.0e-1); the layer's backward does not give the "
                           "gradient of its forward\n")


# --- lr-find ---------------------------------------------------------------------------------

def lr_rows(folder):
    with open(folder / "lr_find.csv") as f:
        return [{key: float(value) for key, value in row.items()} for row in csv.DictReader(f)]


def test_lr_find_grows_the_rate_geometrically_and_leaves_no_run(tmp_path, repo_root):
    config = write(tmp_path, SPIRAL)
    done = nnfs("lr-find", config, "--steps", 60, "--start", 1e-5, "--end", 1, cwd=tmp_path)
    assert done.code == 0, done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["config.yaml", "lr_find.png"]
    assert nnfs("lr-find", config, "--steps", 60, cwd=tmp_path).code == 0   # its own file again
    done = nnfs("lr-find", config, "--steps", 60, "--start", 1e-5, "--end", 1,
                "--run-dir", tmp_path / "found")
    assert done.code == 0, done.stderr
    assert sorted(path.name for path in (tmp_path / "found").iterdir()) == [
        "lr_find.csv", "lr_find.png"]
    rows = lr_rows(tmp_path / "found")
    rates = np.array([row["lr"] for row in rows])
    assert [row["step"] for row in rows] == list(range(1, len(rows) + 1))
    assert rates[0] == pytest.approx(1e-5, rel=1e-12)
    np.testing.assert_allclose(rates[1:] / rates[:-1], 1e5 ** (1 / 59), rtol=1e-9)
    if len(rows) == 60:
        assert rates[-1] == pytest.approx(1.0, rel=1e-9)


def test_lr_find_stops_when_the_loss_blows_up(tmp_path):
    config = write(tmp_path, SPIRAL.replace("{name: adam, learning_rate: 0.02}",
                                            "{name: sgd, learning_rate: 1.0}"))
    done = nnfs("lr-find", config, "--start", 1e-3, "--end", 1e4, "--steps", 200,
                "--run-dir", tmp_path / "found")
    assert done.code == 0, done.stderr
    rows = lr_rows(tmp_path / "found")
    assert len(rows) < 200
    smoothed = [row["smoothed"] for row in rows]
    lowest = min(smoothed[:-1])
    # Every step before the last stayed within 4 times the minimum so far; the last did not.
    assert all(value <= 4 * min(smoothed[:index + 1])
               for index, value in enumerate(smoothed[:-1]))
    assert not smoothed[-1] <= 4 * lowest   # past it, or not a number
    assert f"stopped after {len(rows)} of 200 steps: " in done.stdout


def suggested(stdout):
    return float(re.search(r"^suggested learning rate: (\S+) ", stdout, re.M)[1])


def test_the_suggested_rate_trains_the_spiral_as_well(repo_root, tmp_path):
    config = repo_root / "configs" / "spiral.yaml"
    done = nnfs("lr-find", config, cwd=tmp_path)
    assert done.code == 0, done.stderr
    rate = suggested(done.stdout)
    scores = {}
    for name, lr in (("own", 0.002), ("suggested", rate)):
        result = run_cli("train", config, "--epochs", 30, "--set",
                         f"optimizer.learning_rate={lr}", "--set",
                         "plots.decision_regions=false", "--run-dir", tmp_path / name, "-q")
        assert result.exit_code == 0, result.output
        scores[name] = json.loads((tmp_path / name / "summary.json").read_text())
    # As well: within 0.01 (two standard errors of 3,000 validation points) or better.
    assert scores["suggested"]["val_accuracy"] >= scores["own"]["val_accuracy"] - 0.01, scores


@pytest.mark.slow
@needs_fashion
def test_the_suggested_rate_trains_fashion_as_well(repo_root, real_fashion, tmp_path):
    config = repo_root / "configs" / "fashion.yaml"
    path = f"data.path={real_fashion}"
    done = run_cli("lr-find", config, "--set", path, "--no-download", "--steps", 300,
                   "--output", tmp_path / "lr_find.png")
    assert done.exit_code == 0, done.output
    rate = suggested(done.stdout)
    scores = {}
    for name, lr in (("own", 0.001), ("suggested", rate)):
        result = run_cli("train", config, "--epochs", 2, "--set", path, "--set",
                         f"optimizer.learning_rate={lr}", "--run-dir", tmp_path / name, "-q")
        assert result.exit_code == 0, result.output
        scores[name] = json.loads((tmp_path / name / "summary.json").read_text())
    assert scores["suggested"]["test_accuracy"] >= scores["own"]["test_accuracy"] - 0.01, scores


def test_the_python_api_gives_what_the_commands_print(repo_root, tmp_path):
    check = nnfs_cli.gradcheck(repo_root / "configs" / "vertical.yaml")
    assert check.ok and [array.name for array in check.arrays] == [
        "model[0] dense weights", "model[0] dense biases", "model[2] dense weights",
        "model[2] dense biases"]
    found = nnfs_cli.lr_find(write(tmp_path, SPIRAL), steps=40)
    assert len(found.rates) == 40 and found.suggestion == found.minimum
    found.plot(tmp_path / "lr.png")
    assert Image.open(tmp_path / "lr.png").size == (700, 450)


def test_a_two_column_csv_is_drawn_in_its_own_units(tmp_path):
    from own_data import write_csv
    rng = np.random.default_rng(1)
    a, b = rng.uniform(100, 200, 240), rng.uniform(-3, 3, 240)
    label = np.where(a - 150 > 20 * b, "high", "low")
    write_csv(tmp_path / "two.csv", ["a", "b", "kind"],
              [(f"{x:.2f}", f"{y:.3f}", k) for x, y, k in zip(a, b, label)])
    config = write(tmp_path, """\
        data: {name: csv, path: two.csv, target: kind}
        model: [{dense: 16}, relu, {dense: 2}, softmax]
        loss: categorical_crossentropy
        optimizer: {name: adam, learning_rate: 0.02}
        training: {epochs: 40, batch_size: 32}
        """)
    done = nnfs("train", config, "--run-dir", tmp_path / "run", "-q", cwd=tmp_path)
    assert done.code == 0, done.stderr
    run = nnfs_cli.load_run(tmp_path / "run")
    names = list(run.class_names)
    _, (xmin, xmax, ymin, ymax), _ = pixel_classes(tmp_path / "run" / regions.PICTURE, 2)
    assert 95 < xmin < 100 and 200 < xmax < 205 and -3.4 < ymin < -3 and 3 < ymax < 3.4

    def predict(xy):   # rows of the csv's feature columns, scaled by predict as in training
        return np.array([names.index(label) for label in run.predict(xy)])

    check_pixels(tmp_path / "run" / regions.PICTURE, predict, np.stack([a, b], axis=1), 2)
