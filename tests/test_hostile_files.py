"""Hostile and broken files, fed to the installed `nnfs` under a memory limit and a timeout:
each is refused in one line with its exit code, quickly, and leaves nothing behind (#19)."""

import json
import pickle
import shutil
import textwrap
import zipfile

import numpy as np
import pytest

from fashion_runs import PANTS, needs_fashion
from hostile import (PICKLE_BOMBS, assert_one_line, fifo, jpeg_bomb, leftovers, link_to_zero,
                     nnfs, pgm_bomb, png_bomb, strict_json, tree)


@pytest.fixture
def spiral_copy(spiral, tmp_path):
    """A private copy of the trained spiral run."""
    return shutil.copytree(spiral, tmp_path / "spiral")


@pytest.fixture
def fashion_copy(fashion, tmp_path):
    return shutil.copytree(fashion, tmp_path / "fashion")


# --- pickles ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PICKLE_BOMBS))
def test_pickle_bombs_cost_nothing(spiral_copy, name):
    make, message = PICKLE_BOMBS[name]
    (spiral_copy / "params.pkl").write_bytes(make())
    before = tree(spiral_copy)
    result = nnfs("evaluate", spiral_copy)
    assert_one_line(result, 1, f"{spiral_copy / 'params.pkl'}: ", message)
    assert tree(spiral_copy) == before


def test_params_as_fifo_or_device_are_refused(spiral_copy):
    params = spiral_copy / "params.pkl"
    params.unlink()
    fifo(params)
    assert_one_line(nnfs("evaluate", spiral_copy), 1, f"{params}: is a FIFO, not a regular file")
    params.unlink()
    link_to_zero(params)
    assert_one_line(nnfs("evaluate", spiral_copy), 1,
                    f"{params}: is a character device, not a regular file")


# --- summary.json and checkpoint.pkl ---------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_summary_as_fifo_or_device_is_refused(spiral_copy, kind):
    summary = spiral_copy / "summary.json"
    summary.unlink()
    fifo(summary) if kind == "fifo" else link_to_zero(summary)
    result = nnfs("evaluate", spiral_copy)
    assert_one_line(result, 1, f"{summary}: is a ", "not a regular file")


@pytest.mark.parametrize("field, value, message", [
    ("class_names", 5, "class_names: expected a list of names, got 5"),
    ("class_names", ["a", "b"], "class_names has 2 name(s), but the model scores 3 classes"),
    ("input_shape", [10**12], "input_shape: expected a list of positive integers"),
    ("input_shape", [50_000_000], "input_shape [50000000] does not fit data set spiral, "
                                  "whose samples have shape (2,)"),
    ("metric_state", {"precision": "x"}, "precision: expected a number, got 'x'"),
    ("data_state", [1], "data_state: expected a mapping"),
])
def test_bad_summary_fields_are_one_line(spiral_copy, field, value, message):
    path = spiral_copy / "summary.json"
    summary = json.loads(path.read_text())
    summary[field] = value
    path.write_text(json.dumps(summary))
    assert_one_line(nnfs("evaluate", spiral_copy), 1, str(path), message)
    rows = spiral_copy / "rows.csv"
    rows.write_text("0.1,0.2\n")
    assert_one_line(nnfs("predict", rows, "--run", spiral_copy), 1, message)


def test_deeply_nested_summary_is_one_line(spiral_copy):
    (spiral_copy / "summary.json").write_text("[" * 100_000)
    assert_one_line(nnfs("evaluate", spiral_copy), 1, "not a readable JSON file")


def resume_refused(run_dir, message):
    """`--resume` fails in one line, having written nothing."""
    before = tree(run_dir)
    result = nnfs("train", "--resume", run_dir, "--epochs", 40, "-q")
    assert_one_line(result, 1, message)
    assert tree(run_dir) == before and not leftovers(run_dir)


def load_checkpoint(run_dir):
    with open(run_dir / "checkpoint.pkl", "rb") as f:
        return pickle.load(f)


def save_checkpoint(run_dir, state):
    (run_dir / "checkpoint.pkl").write_bytes(pickle.dumps(state, protocol=4))


@pytest.mark.parametrize("change, message", [
    (lambda state: {"trainer": {}}, "checkpoint: missing wall_seconds"),
    (lambda state: {**state, "trainer": {}}, "trainer: missing params, optimizer"),
    (lambda state: {**state, "wall_seconds": "soon"}, "wall_seconds: expected a number, got str"),
    (lambda state: state["trainer"]["optimizer"].update(iterations=10**400),
     "trainer.optimizer.iterations: expected a whole number from 0 to"),
    (lambda state: state["trainer"]["history"][3].update(seconds="x"),
     "trainer.history[3].seconds: expected a number"),
    (lambda state: state["trainer"].update(shuffle_rng={"bit_generator": "MT19937"}),
     "trainer.shuffle_rng: not a generator state"),
    (lambda state: state["trainer"]["best"].update(epoch=99),
     "trainer.best.epoch: after the 30 epoch(s) done"),
    (lambda state: state["trainer"]["params"][0].update(weights=np.zeros((5, 5))),
     "trainer.params[0].weights: expected shape (2, 16), got (5, 5)"),
])
def test_crafted_checkpoints_are_refused_before_writing(spiral_copy, change, message):
    state = load_checkpoint(spiral_copy)
    state = change(state) or state
    save_checkpoint(spiral_copy, state)
    resume_refused(spiral_copy, message)


def test_resume_after_the_architecture_changed_writes_nothing(spiral_copy):
    config = spiral_copy / "config.yaml"
    config.write_text(config.read_text().replace("units: 16", "units: 24"))
    resume_refused(spiral_copy, "trainer.params[0].weights: expected shape (2, 24), "
                                "got (2, 16)")


def test_checkpoint_fifo_is_refused(spiral_copy):
    (spiral_copy / "checkpoint.pkl").unlink()
    fifo(spiral_copy / "checkpoint.pkl")
    result = nnfs("train", "--resume", spiral_copy, "--epochs", 40, "-q")
    assert_one_line(result, 1, "checkpoint.pkl: is a FIFO")


# --- configs ----------------------------------------------------------------------------


def alias_bomb(levels=9):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def flow_alias_bomb(levels=9):
    items = ["&a0 [x, x, x, x, x, x, x, x, x]"]
    items += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "[" + ", ".join(items) + "]"


@pytest.mark.parametrize("text, message", [
    (alias_bomb(), "line 6: more than 100,000 values once aliases are expanded"),
    ("seed: &s [*s]\n", "line 1: alias *s refers to a value that contains it"),
    # libyaml's own depth check (invalid YAML) or ours, depending on the PyYAML release
    ("[" * 100_000, ("invalid YAML: ", "nested deeper than 100 levels")),
    ("".join(f"{'  ' * i}k{i}:\n" for i in range(150)) + "  " * 150 + "v\n",
     "nested deeper than 100 levels"),
    ("seed: 1\n? [1, 2]\n: x\n", "a key must be a plain name, not a sequence (line 2)"),
    ("seed: !!python/object/apply:os.system ['touch pwned']\n",
     "could not determine a constructor for the tag"),
    ("seed: " + "9" * 5000 + "\n", "invalid YAML: "),
])
def test_hostile_yaml_is_one_line(tmp_path, text, message):
    config = tmp_path / "bomb.yaml"
    config.write_text(text)
    result = nnfs("train", config, "--print-config", cwd=tmp_path)
    line = assert_one_line(result, 2, f"{config}: ")
    assert any(fragment in line for fragment in
               (message if isinstance(message, tuple) else (message,))), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.yaml"]


def test_set_values_are_bounded_too(spiral_config, tmp_path):
    result = nnfs("train", spiral_config, "--print-config", "--set", f"seed={flow_alias_bomb()}")
    assert_one_line(result, 2, "--set seed: line 1: more than 100,000 values")
    result = nnfs("train", spiral_config, "--print-config", "--set", "optimizer={name: [1]}")
    assert_one_line(result, 2, "optimizer: unknown optimizer [1]")


@pytest.mark.parametrize("encoding, message", [
    ("latin-1", "not UTF-8 text (byte 0xe9 on line 1); save the file as UTF-8"),
    ("utf-16-le", "looks like UTF-16 or UTF-32 text without a byte-order mark"),
])
def test_configs_in_other_encodings(spiral_config, tmp_path, encoding, message):
    text = "# café\n" + spiral_config.read_text()
    config = tmp_path / "other.yaml"
    config.write_bytes(text.encode(encoding))
    assert_one_line(nnfs("train", config, "--print-config"), 2, message)
    config.write_bytes(text.encode("utf-16"))   # with a byte-order mark: read as YAML allows
    result = nnfs("train", config, "--print-config")
    assert result.returncode == 0 and result.stdout.startswith("seed: 3\n"), result.stderr


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_config_as_fifo_or_device_is_refused(tmp_path, kind):
    config = tmp_path / "config.yaml"
    fifo(config) if kind == "fifo" else link_to_zero(config)
    assert_one_line(nnfs("train", config), 2, f"{config}: cannot read config: is a ")


@pytest.mark.parametrize("setting, message", [
    ("model[0].units=1000000000", "model[0].units: the model would have 6,000,000,003 "
                                  "parameters, more than the limit of 100,000,000 (set "
                                  "NNFS_MAX_PARAMETERS to allow more)"),
    ("data.samples=100000000", "data.samples: 100,000,000 per class x 3 classes is more than "
                               "the limit of 10,000,000 samples"),
    ("data.classes=100000000", "data.classes: expected an integer from 1 to 10,000, got "
                               "100000000"),
    ("data.validation_samples=5000000", "data.validation_samples: 5,000,000 per class"),
    ("training.batch_size=null", "training.batch_size: null (all samples in one batch): "),
    ("seed=4294967296", "seed: expected an integer from 0 to 4,294,967,295, got 4294967296"),
    ("data.path=x", "data.path: unknown key 'path' for spiral"),
])
def test_config_numbers_that_allocate_are_bounded(spiral_config, tmp_path, setting, message):
    env = {"NNFS_MAX_BATCH_VALUES": "1000"} if "batch_size" in setting else {}
    result = nnfs("train", spiral_config, "--set", setting, "-q", cwd=tmp_path, env=env)
    assert_one_line(result, 2, message)
    assert list(tmp_path.iterdir()) == [spiral_config]


def test_limits_can_be_raised(spiral_config, tmp_path):
    result = nnfs("train", spiral_config, "--set", "data.samples=4000000", "--print-config")
    assert_one_line(result, 2, "data.samples: 4,000,000 per class x 3 classes")
    result = nnfs("train", spiral_config, "--set", "data.samples=4000000", "--print-config",
                  env={"NNFS_MAX_SAMPLES": "20_000_000"})
    assert result.returncode == 0, result.stderr
    result = nnfs("train", spiral_config, "--print-config", env={"NNFS_MAX_PARAMETERS": "lots"})
    assert_one_line(result, 2, "NNFS_MAX_PARAMETERS: expected a positive whole number, got 'lots'")


# --- rows and pictures --------------------------------------------------------------


def npy_claiming(shape):
    """A .npy header claiming `shape` of float64, with 16 bytes of data."""
    header = repr({"descr": "<f8", "fortran_order": False, "shape": shape}).encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 16


def test_rows_files_are_bounded(spiral_copy, tmp_path):
    bomb = tmp_path / "bomb.npy"
    bomb.write_bytes(npy_claiming((10**13, 2)))
    nan = tmp_path / "nan.csv"
    nan.write_text("0.1,0.2\nnan,0.3\n")
    zero = link_to_zero(tmp_path / "zero.csv")
    pipe = fifo(tmp_path / "pipe.csv")
    good = tmp_path / "good.csv"
    good.write_text("0.1,0.2\n")
    result = nnfs("predict", bomb, nan, zero, pipe, good, "--run", spiral_copy, "--json")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: {bomb}: its header claims an array of shape (10000000000000, 2) "
        "(160,000,000,000,000 bytes), but the file holds 16",
        f"Error: {nan}:2: holds nan, not a finite number",
        f"Error: {zero}: is a character device, not a regular file; only regular files are read",
        f"Error: {pipe}: is a FIFO, not a regular file; only regular files are read"]
    assert [(item["path"], item["row"]) for item in json.loads(result.stdout)] == [(str(good), 1)]


@needs_fashion
@pytest.mark.parametrize("name, data, message", [
    ("bomb.png", png_bomb(), "30000x30000 pixels is more than the limit of 50,000,000 pixels"),
    ("bomb.jpg", jpeg_bomb(), "60000x60000 pixels is more than the limit of 50,000,000 pixels"),
    ("bomb.pgm", pgm_bomb(), "the picture is more than the limit of 50,000,000 pixels"),
])
def test_picture_bombs_are_refused_before_decoding(fashion_copy, tmp_path, name, data, message):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / name).write_bytes(data)
    shutil.copy(PANTS, folder / "pants.png")
    fifo(folder / "skipped.png")   # a folder means its regular files
    pipe = fifo(tmp_path / "pipe.png")
    result = nnfs("predict", folder, pipe, "--run", fashion_copy)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: {folder / name}: {message} (set NNFS_MAX_IMAGE_PIXELS to allow more)",
        f"Error: {pipe}: is a FIFO, not a regular file; only regular files are read"]
    assert result.stdout.startswith(f"{folder / 'pants.png'}: Trouser")
    assert len(result.stdout.splitlines()) == 1


def test_picture_bombs_in_a_data_set_folder(tmp_path):
    import cv2
    root = tmp_path / "fashion_mnist_images"
    for split in ("train", "test"):
        for label in range(10):
            (root / split / str(label)).mkdir(parents=True)
            cv2.imwrite(str(root / split / str(label) / "0000.png"), np.zeros((28, 28), np.uint8))
    (root / "train" / "3" / "0001.png").write_bytes(png_bomb())
    config = tmp_path / "fashion.yaml"
    config.write_text(textwrap.dedent(f"""\
        data: {{name: fashion_mnist, path: {root}}}
        model: [{{dense: {{units: 10}}}}, softmax]
        loss: categorical_crossentropy
        optimizer: adam
        """))
    result = nnfs("train", config, "-q", "--no-download", cwd=tmp_path)
    assert_one_line(result, 1, f"{root / 'train' / '3' / '0001.png'}: 30000x30000 pixels")
    assert not (tmp_path / "runs").exists() and not leftovers(tmp_path)


def test_fashion_validation_split_that_leaves_nothing(tmp_path):
    from conftest import write_fashion_zip
    archive = write_fashion_zip(tmp_path / "fashion.zip", per_label=3)
    dest = tmp_path / "datasets"
    assert nnfs("download-fashion", "--url", archive, "--dest", dest, "-q").returncode == 0
    config = tmp_path / "fashion.yaml"
    for split, side in (("1e-9", "validation"), ("0.999999", "training")):
        config.write_text(textwrap.dedent(f"""\
            data: {{name: fashion_mnist, path: {dest / 'fashion_mnist_images'},
                    validation_split: {split}}}
            model: [{{dense: {{units: 10}}}}, softmax]
            loss: categorical_crossentropy
            optimizer: adam
            """))
        result = nnfs("train", config, "-q", "--no-download", cwd=tmp_path)
        assert_one_line(result, 2, f"data.validation_split: {float(split):g} of 30 training "
                                   f"images leaves no {side} images")
    assert not (tmp_path / "runs").exists()


# --- nnfs runs ------------------------------------------------------------------------


def test_runs_lists_every_other_run_past_a_broken_one(spiral, tmp_path):
    root = tmp_path / "runs"
    for name in ("a-good", "b-fifo", "c-zero", "d-bomb", "e-deep"):
        shutil.copytree(spiral, root / name)
    for name in ("b-fifo", "c-zero"):
        (root / name / "summary.json").unlink()
    fifo(root / "b-fifo" / "summary.json")
    link_to_zero(root / "c-zero" / "summary.json")
    (root / "d-bomb" / "config.yaml").write_text(alias_bomb())
    (root / "d-bomb" / "summary.json").write_text("[" * 100_000)
    (root / "e-deep" / "config.yaml").unlink()
    fifo(root / "e-deep" / "config.yaml")
    result = nnfs("runs", root, "--json")
    assert result.returncode == 0, result.stderr
    listed = {run["name"]: run for run in json.loads(result.stdout)}
    assert listed["a-good"]["status"] == "finished" and listed["a-good"]["epochs"] == 30
    assert {name: listed[name]["status"] for name in ("b-fifo", "c-zero", "d-bomb")} == {
        "b-fifo": "unreadable", "c-zero": "unreadable", "d-bomb": "unreadable"}
    assert listed["e-deep"]["status"] == "finished" and listed["e-deep"]["data"] == "spiral"


def test_seed_option_beyond_what_numpy_takes(spiral_config, tmp_path):
    result = nnfs("train", spiral_config, "--seed", 4294967296, "-q", cwd=tmp_path)
    assert_one_line(result, 2, "seed: expected an integer from 0 to 4,294,967,295")


def test_npz_members_are_checked_before_loading(tmp_path):
    from nnfs_cli.data.npy import Npz, load_npy
    from nnfs_cli.errors import NnfsError

    path = tmp_path / "cache.npz"
    np.savez(path, key=np.array("k"), x_train=np.zeros((2, 3), np.uint8))
    with Npz(path) as archive:
        assert archive.read("x_train").shape == (2, 3)
        assert sorted(archive.names()) == ["key", "x_train"]
    with zipfile.ZipFile(path, "w") as zf:   # a member whose header claims 10**13 rows
        zf.writestr("x_train.npy", npy_claiming((10**13, 2)))
    with Npz(path) as archive, pytest.raises(NnfsError, match=r"x_train\]: its header claims"):
        archive.read("x_train")
    with pytest.raises(NnfsError, match="is a character device"):
        load_npy(link_to_zero(tmp_path / "zero.npy"))


def test_a_bad_image_cache_is_decoded_again(tmp_path):
    import cv2

    from nnfs_cli.data.image_files import CACHE, ImageTree
    root = tmp_path / "images"
    for label in ("a", "b"):
        (root / "train" / label).mkdir(parents=True)
        cv2.imwrite(str(root / "train" / label / "0.png"), np.full((4, 4), 7, np.uint8))
    tree = ImageTree(root, ["train"], ["a", "b"], (4, 4))
    x, y = tree.load()["train"]
    assert x.shape == (2, 4, 4) and list(y) == [0, 1]
    with zipfile.ZipFile(root / CACHE) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["x_train.npy"] = npy_claiming((10**13, 2))   # a claim of 160 TB
    with zipfile.ZipFile(root / CACHE, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    x, y = tree.load()["train"]
    assert x.shape == (2, 4, 4) and int(x.sum()) == 2 * 16 * 7


def test_predict_json_is_always_valid_json(spiral_copy, tmp_path):
    with open(spiral_copy / "params.pkl", "rb") as f:
        params = pickle.load(f)
    params[0][0][:] = 3e38   # finite weights whose outputs overflow to inf, then NaN
    (spiral_copy / "params.pkl").write_bytes(pickle.dumps(params))
    rows = tmp_path / "rows.csv"
    rows.write_text("1,1\n0,0\n")
    result = nnfs("predict", rows, "--run", spiral_copy, "--json")
    assert result.returncode == 0, result.stderr
    first, second = strict_json(result.stdout)
    assert first["confidence"] is None and second["confidence"] is not None
    result = nnfs("predict", rows, "--run", spiral_copy, env={"NNFS_MAX_ROWS": "1"})
    assert_one_line(result, 1, f"{rows}: 2 rows, more than the limit of 1 (set NNFS_MAX_ROWS")


def test_parameters_that_are_not_finite_are_refused(spiral_copy):
    with open(spiral_copy / "params.pkl", "rb") as f:
        params = pickle.load(f)
    params[0][0][0, 0] = np.nan
    (spiral_copy / "params.pkl").write_bytes(pickle.dumps(params))
    assert_one_line(nnfs("evaluate", spiral_copy), 1,
                    "params.pkl: model[0] dense weights hold NaN or infinite values")


@pytest.mark.parametrize("side, layer, message", [
    (8, "{filters: 2000000, kernel_size: 8, padding: same}",
     "model[0].filters: the model would have 386,000,002 parameters, more than the limit of "
     "100,000,000 (set NNFS_MAX_PARAMETERS to allow more)"),
    # A 64x64 kernel over 64x64 pictures copies 4,097 values per output pixel.
    (64, "{filters: 1, kernel_size: 64, padding: same}",
     "training.batch_size: 32: 32 rows x 16,793,604 values per row in the layers is more than "
     "the limit of 250,000,000"),
])
def test_convolution_sizes_are_bounded(tmp_path, side, layer, message):
    """A convolution's parameters and its window matrix count before anything is built."""
    np.savez(tmp_path / "images.npz", x=np.zeros((40, 1, side, side), np.float32),
             y=np.arange(40) % 2)
    config = tmp_path / "conv.yaml"
    config.write_text(f"""\
seed: 0
data: {{name: npz, path: images.npz}}
model: [{{conv2d: {layer}}}, flatten, {{dense: {{units: 2}}}}, softmax]
loss: categorical_crossentropy
optimizer: adam
training: {{epochs: 1, batch_size: 32}}
""")
    result = nnfs("train", config, "-q", cwd=tmp_path)
    assert_one_line(result, 2, f"{config}: {message}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conv.yaml", "images.npz"]
