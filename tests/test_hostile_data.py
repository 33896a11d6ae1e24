"""Hostile and odd data of one's own (csv, npz, image folders), fed to the installed `nnfs`
under a memory limit and a timeout: decompression bombs, wide tables, pictures too large for
the model, values float32 cannot hold, odd dtypes, a resume on changed data (#28)."""

import contextlib
import csv
import json
import pickle
import shutil
import signal
import zipfile

import numpy as np
import pytest

from hostile import (assert_one_line, leftovers, nnfs, npy_header, strict_json, tree)
from own_data import image_folder, picture, write_picture


def write_config(folder, data, model=("dense: {units: 3}", "softmax"),
                 loss="categorical_crossentropy", training="{epochs: 2, batch_size: 32}",
                 name="config.yaml"):
    path = folder / name
    layers = "".join(f"  - {item}\n" for item in model)
    path.write_text(f"seed: 0\ndata: {data}\nmodel:\n{layers}loss: {loss}\n"
                    f"optimizer: {{name: adam, learning_rate: 0.02}}\ntraining: {training}\n")
    return path


def blobs(n, seed=0, classes=3):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    return (rng.normal(0, 0.3, (n, 2)) + y[:, None]).astype(np.float32), y


def refused(folder, code, *fragments, env=None, memory=None, config="config.yaml"):
    """`nnfs train CONFIG` in `folder` fails in one line, writing nothing there."""
    before = tree(folder)
    options = {"memory": memory} if memory else {}
    result = nnfs("train", config, "-q", cwd=folder, env=env, **options)
    line = assert_one_line(result, code, *fragments)
    assert tree(folder) == before and not leftovers(folder)
    assert not (folder / "runs").exists()
    return line


# --- item 2: npz decompression bombs ----------------------------------------------------


def forged_member(zf, name, header, declared):
    """A deflated member of a few bytes whose zip entry declares `declared` bytes inflated
    (the declared size is the zip file's word, which nothing should trust)."""
    zf.writestr(zipfile.ZipInfo(f"{name}.npy"), header + b"\0" * 64,
                compress_type=zipfile.ZIP_DEFLATED)
    zf.filelist[-1].file_size = declared


def deflate_bomb(zf, name, inflated):
    """A real deflated member: a header and `inflated` bytes of zeros (about 1,000:1)."""
    info = zipfile.ZipInfo(f"{name}.npy")
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as member:
        member.write(npy_header((inflated // 8,)))
        zero = b"\0" * (1 << 20)
        for _ in range(inflated >> 20):
            member.write(zero)


def bzip2_bomb(zf, name, inflated):
    info = zipfile.ZipInfo(f"{name}.npy")
    info.compress_type = zipfile.ZIP_BZIP2
    with zf.open(info, "w", force_zip64=True) as member:
        member.write(npy_header((inflated // 8,)))
        zero = b"\0" * (1 << 20)
        for _ in range(inflated >> 20):
            member.write(zero)


RATIO = " compressed bytes, more than 100 times as many (a decompression bomb?)"


@pytest.mark.parametrize("kind, fragments, env", [
    # 3 GB claimed (and declared by the zip entry, so the header fits it), 64 bytes stored
    ("forged", ["bomb.npz[x]: its header claims an array of shape (375000000,) "
                "(3,000,000,000 bytes) from ", RATIO], {}),
    ("bzip2", ["bomb.npz[x]: its header claims an array of shape (8388608,) (67,108,864 "
               "bytes) from ", RATIO], {}),
    ("deflate", ["bomb.npz[x]: its header claims an array of shape (8388608,) (67,108,864 "
                 "bytes) from ", RATIO], {}),
    ("random", ["bomb.npz[x]: its header claims an array of shape (1048576,) (8,388,608 "
                "bytes), more than the limit of 4,194,304 bytes inflated from a compressed "
                ".npz (set NNFS_MAX_EXTRACT_BYTES to allow more)"],
     {"NNFS_MAX_EXTRACT_BYTES": str(4 << 20)}),
])
def test_npz_decompression_bombs_are_refused_before_inflating(tmp_path, kind, fragments, env):
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w") as zf:
        if kind == "forged":
            forged_member(zf, "x", npy_header((375_000_000,)), 3_000_100_000)
        elif kind == "bzip2":
            bzip2_bomb(zf, "x", 64 << 20)
        elif kind == "deflate":
            deflate_bomb(zf, "x", 64 << 20)
        else:   # data that hardly compresses, past the limit on inflated bytes
            info = zipfile.ZipInfo("x.npy")
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as member:
                member.write(npy_header((1 << 20,)))
                member.write(np.random.default_rng(0).bytes(8 << 20))
        zf.writestr("y.npy", npy_header((3,), "<i8") + b"\0" * 24)
    assert (tmp_path / "bomb.npz").stat().st_size < (9 << 20 if kind == "random" else 100_000)
    write_config(tmp_path, "{name: npz, path: bomb.npz}")
    refused(tmp_path, 1, *fragments, env=env, memory=1 << 30)


def test_a_compressed_npz_within_bounds_still_loads(tmp_path):
    x, y = blobs(90)
    np.savez_compressed(tmp_path / "data.npz", x=x, y=y)
    write_config(tmp_path, "{name: npz, path: data.npz}")
    result = nnfs("train", "config.yaml", "-q", "--run-dir", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """A folder of 3 classes x 4 pictures and a run trained on it (8x8 gray)."""
    folder = tmp_path_factory.mktemp("shapes")
    image_folder(folder / "pictures", per_class=4, sizes=(20,))
    write_config(folder, "{name: image_folder, path: pictures, size: [8, 8], "
                         "validation_split: 0.25}")
    result = nnfs("train", "config.yaml", "-q", "--run-dir", "run", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder


CACHE = ".nnfs-cache-8x8-gray.npz"


def rewrite_cache(path, change):
    """The cache at `path` with its members as `change({name: bytes}, zipfile)` leaves them."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    with zipfile.ZipFile(path, "w") as zf:
        change(members, zf)
        for name, data in members.items():
            zf.writestr(name, data)


@pytest.mark.parametrize("damage", ["bomb", "shape", "labels"])
def test_a_bad_image_cache_with_a_valid_digest_is_decoded_again(shapes, tmp_path, damage):
    folder = shutil.copytree(shapes, tmp_path / "copy")
    shutil.rmtree(folder / "run")
    cache = folder / "pictures" / CACHE

    def change(members, zf):
        if damage == "bomb":   # 3 GB claimed and declared, a few bytes stored
            del members["x_train.npy"]
            forged_member(zf, "x_train", npy_header((12, 25_000, 10_000), "|u1"),
                          3_000_100_000)
        elif damage == "shape":
            members["x_train.npy"] = npy_bytes(np.zeros((12, 5, 5), np.uint8))
        else:
            members["y_train.npy"] = npy_bytes(np.full(12, 7, np.int64))
    rewrite_cache(cache, change)
    result = nnfs("train", "config.yaml", "--run-dir", "run", cwd=folder, memory=1 << 30)
    assert result.returncode == 0, result.stderr
    assert f"decoding the images in {folder / 'pictures'} once" in result.stderr
    with np.load(cache) as arrays:
        assert arrays["x_train"].shape == (12, 8, 8) and arrays["y_train"].max() == 2


def npy_bytes(array):
    import io
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


# --- item 7: wide tables ----------------------------------------------------------------


def test_a_table_of_100000_columns_loads_in_linear_time(tmp_path):
    columns = 100_000
    with open(tmp_path / "wide.csv", "w") as f:
        f.write(",".join(f"c{i}" for i in range(columns)) + ",label\n")
        for row in range(6):
            f.write(",".join("1" if (i + row) % 3 == 0 else "0" for i in range(columns))
                    + f",{row % 2}\n")
    assert (tmp_path / "wide.csv").stat().st_size < 2_000_000
    write_config(tmp_path, "{name: csv, path: wide.csv, validation_split: 0.34}")
    before = tree(tmp_path)
    # A bound on CPU time, not wall time: quadratic lookups took minutes; linear ones a few
    # seconds. The model's width (3 for 2 classes) is refused once the table has loaded.
    result = nnfs("train", "config.yaml", "-q", cwd=tmp_path, cpu_seconds=15)
    assert_one_line(result, 2, "config.yaml: model[0].units: the last dense layer must have 2 "
                               "units for 2 classes of column 'label'")
    assert tree(tmp_path) == before


# --- item 8: one-hot width ----------------------------------------------------------------


def test_one_hot_width_is_bounded_before_allocating(tmp_path):
    rows, columns = 1000, 200
    with open(tmp_path / "ids.csv", "w") as f:
        f.write(",".join(f"t{c}" for c in range(columns)) + ",label\n")
        for row in range(rows):
            f.write(",".join(f"a{row}" for _ in range(columns)) + f",{row % 2}\n")
    assert (tmp_path / "ids.csv").stat().st_size < 1_100_000
    # Every column has a different text in every row: identifiers, left out by default...
    write_config(tmp_path, "{name: csv, path: ids.csv}")
    refused(tmp_path, 2, "config.yaml: data.features: no columns are left to learn from once the "
                         "identifiers are left out ('t0', 't1', 't2', 't3', 't4' and 195 more); "
                         "set data.identifiers: keep to use them")
    # ... and kept, bounded before the one-hot columns are made.
    write_config(tmp_path, "{name: csv, path: ids.csv, identifiers: keep}")
    refused(tmp_path, 1, f"{tmp_path / 'ids.csv'}: 1,000 rows x 200,000 inputs is 200,000,000 "
                         "values once encoded, more than the limit of 100,000,000 (set "
                         "NNFS_MAX_TABLE_VALUES to allow more); one-hot encoding 200 text "
                         "column(s) makes most of them (the widest, 't0', has 1,000 categories",
            memory=1 << 30)


# --- item 9: an image folder's model before any picture is decoded -------------------------


def test_an_image_folder_model_too_large_is_refused_before_decoding(tmp_path):
    image_folder(tmp_path / "pictures", per_class=6, sizes=(20,))
    write_config(tmp_path, "{name: image_folder, path: pictures, size: [7000, 7000]}",
                 model=("dense: {units: 16}", "relu", "dense: {units: 3}", "softmax"))
    line = refused(tmp_path, 2, "config.yaml: model[0].units: the model would have ",
                   " parameters, more than the limit of 100,000,000 (set NNFS_MAX_PARAMETERS "
                   "to allow more)", memory=1 << 30)
    assert "784,000,067" in line
    assert not list((tmp_path / "pictures").glob(".nnfs-cache*"))


# --- item 12 and small items: values beyond float32, NaN in JSON --------------------------


@pytest.fixture(scope="module")
def points(tmp_path_factory):
    """A run trained on npz points of 3 classes."""
    folder = tmp_path_factory.mktemp("points")
    x, y = blobs(90)
    np.savez(folder / "points.npz", x=x, y=y)
    write_config(folder, "{name: npz, path: points.npz}")
    result = nnfs("train", "config.yaml", "-q", "--run-dir", "run", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder / "run"


def test_npz_rows_beyond_float32_are_refused_not_predicted_as_nan(points, tmp_path):
    np.save(tmp_path / "rows.npy", np.array([[0.5, 1.0], [1e39, 0.0]]))
    result = nnfs("predict", tmp_path / "rows.npy", "--run", points, "--json")
    assert_one_line(result, 1, f"{tmp_path / 'rows.npy'}: the array[1, 0] is 1e+39, beyond the "
                               "range of float32 (up to 3.4e+38 in size), in which the model "
                               "computes")
    assert result.stdout == "[]\n"


@pytest.mark.parametrize("where", ["npz", "csv"])
def test_training_values_beyond_float32_are_not_blamed_on_the_learning_rate(tmp_path, where):
    x, y = blobs(60)
    x = x.astype(np.float64)
    x[7, 1] = 1e39
    if where == "npz":
        np.savez(tmp_path / "data.npz", x=x, y=y)
        write_config(tmp_path, "{name: npz, path: data.npz}")
        message = f"{tmp_path / 'data.npz'}: x[7, 1] is 1e+39, beyond the range of float32"
    else:
        with open(tmp_path / "data.csv", "w") as f:
            f.write("a,b,label\n" + "".join(f"{a},{b},{label}\n"
                                            for (a, b), label in zip(x, y)))
        write_config(tmp_path, "{name: csv, path: data.csv}")
        message = f"{tmp_path / 'data.csv'}:9: column 'b': 1e+39 is beyond the range of float32"
    line = refused(tmp_path, 1, message)
    assert "diverged" not in line and "learning rate" not in line


def test_evaluate_json_never_holds_nan(spiral, tmp_path):
    run = shutil.copytree(spiral, tmp_path / "spiral")
    with open(run / "params.pkl", "rb") as f:
        params = pickle.load(f)
    params[0][0][:] = 3e38   # finite weights whose outputs overflow: the loss is NaN
    (run / "params.pkl").write_bytes(pickle.dumps(params))
    result = nnfs("evaluate", run, "--json")
    assert result.returncode == 0, result.stderr
    report = strict_json(result.stdout)
    assert report["loss"] is None
    assert strict_json((run / "eval.json").read_text()) == report


# --- item 13: NNFS_MAX_IMAGE_PIXELS ---------------------------------------------------------


def test_huge_or_bad_pixel_limits_never_crash_opencv(shapes, tmp_path):
    pic = write_picture(tmp_path / "pic.png", picture("circle", np.random.default_rng(1), 20))
    for value in (str(2**64), "9" * 5000):
        result = nnfs("predict", pic, "--run", shapes / "run", env={"NNFS_MAX_IMAGE_PIXELS": value})
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"{pic}: ")
    for value in ("lots", "²", "-3", "0"):
        env = {"NNFS_MAX_IMAGE_PIXELS": value}
        message = f"NNFS_MAX_IMAGE_PIXELS: expected a positive whole number, got {value!r}"
        assert_one_line(nnfs("predict", pic, "--run", shapes / "run", env=env), 2, message)
        folder = shutil.copytree(shapes, tmp_path / f"copy-{len(value)}{value[0]}")
        shutil.rmtree(folder / "run")
        refused(folder, 2, message, env=env)


# --- item 14: --resume --epochs below a partly trained epoch ------------------------------


def test_resume_never_drops_a_partly_trained_epoch(spiral_config, tmp_path, monkeypatch):
    from nnfs_cli.cli import cli
    from nnfs_cli.compat import cli_runner
    from nnfs_cli.training import run as runs

    calls = []

    @contextlib.contextmanager
    def stop_at_batch_7():   # as if Ctrl-C came during epoch 2 (5 batches per epoch)
        yield lambda: calls.append(1) or (signal.SIGINT if len(calls) >= 7 else None)

    monkeypatch.setattr(runs, "graceful_stop", stop_at_batch_7)
    run = tmp_path / "run"
    stopped = cli_runner().invoke(cli, ["train", str(spiral_config), "--run-dir", str(run),
                                        "-q"])
    assert stopped.exit_code == 130, stopped.output
    assert json.loads((run / "summary.json").read_text())["epochs"] == 1
    before = tree(run)
    result = nnfs("train", "--resume", run, "--epochs", 1, "-q")
    assert_one_line(result, 2, f"{run} was interrupted in epoch 2 after 1 whole epoch; "
                               "--epochs 1 would drop that epoch's steps: pass --epochs N of 2 "
                               "or more")
    assert tree(run) == before
    result = nnfs("train", "--resume", run, "--epochs", 2, "-q")
    assert result.returncode == 0, result.stderr
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["status"], summary["epochs"]) == ("finished", 2)


# --- item 15 and small items: odd npz arrays ---------------------------------------------


@pytest.mark.parametrize("arrays, message", [
    (lambda x, y: {"x": x, "y": y.astype(np.complex128)}, "y holds complex128 values; "
                                                          "targets must be numbers or text"),
    (lambda x, y: {"x": x, "y": y.astype("datetime64[s]")}, "y holds datetime64[s] values"),
    (lambda x, y: {"x": x, "y": np.zeros(len(y), [("a", "i4"), ("b", "f4")])},
     "y holds structured values"),
    (lambda x, y: {"x": x, "y": np.array(3)}, "y is a single value (a 0-d array)"),
    (lambda x, y: {"x": np.zeros((len(x), 0), np.float32), "y": y},
     "x has shape (60, 0): its samples hold no values"),
])
def test_odd_npz_arrays_are_one_line(tmp_path, arrays, message):
    x, y = blobs(60)
    np.savez(tmp_path / "data.npz", **arrays(x, y))
    write_config(tmp_path, "{name: npz, path: data.npz}")
    refused(tmp_path, 1, f"{tmp_path / 'data.npz'}: {message}")


def test_labels_keep_their_numpy_values_out_of_messages(tmp_path):
    x, y = blobs(60)
    np.savez(tmp_path / "data.npz", x=x, y=y, x_test=x[:3], y_test=np.array([7.0, 0.0, 1.0]))
    write_config(tmp_path, "{name: npz, path: data.npz}")
    line = refused(tmp_path, 1, "y_test[0] is 7.0, not one of the classes of y (0, 1, 2)")
    assert "np." not in line


def test_integer_labels_past_2_53_stay_apart(tmp_path):
    x, _ = blobs(60)
    big = np.array([2**53, 2**53 + 1, 5], dtype=np.int64)
    y = big[np.arange(60) % 3]
    np.savez(tmp_path / "data.npz", x=x, y=y)
    write_config(tmp_path, "{name: npz, path: data.npz}")
    result = nnfs("train", "config.yaml", "--run-dir", "npz-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    names = ["5", "9007199254740992", "9007199254740993"]
    assert json.loads((tmp_path / "npz-run" / "summary.json").read_text())["class_names"] == names
    with open(tmp_path / "data.csv", "w") as f:
        f.write("a,b,label\n" + "".join(f"{a},{b},{label}\n" for (a, b), label in zip(x, y)))
    write_config(tmp_path, "{name: csv, path: data.csv}", name="csv.yaml")
    result = nnfs("train", "csv.yaml", "--run-dir", "csv-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "csv-run" / "summary.json").read_text())
    assert sorted(summary["class_names"]) == names


def test_many_small_classes_still_get_a_validation_split(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(5000), 2)
    np.savez(tmp_path / "data.npz", x=rng.normal(size=(10_000, 2)).astype(np.float32), y=y)
    write_config(tmp_path, "{name: npz, path: data.npz, validation_split: 0.1}",
                 model=("dense: {units: 5000}", "softmax"),
                 training="{epochs: 1, batch_size: 1000}")
    result = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "data: npz, 9000 training and 1000 validation samples" in result.stderr


# --- small items of csv tables -----------------------------------------------------------


def write_table(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def table_rows(n=60):
    x, y = blobs(n)
    return [[f"{a:.4f}", f"{b:.4f}", ["p", "q", "r"][label]] for (a, b), label in zip(x, y)]


def test_the_training_table_is_bounded_by_the_rows_limit(tmp_path):
    write_table(tmp_path / "data.csv", ["a", "b", "label"], table_rows(200))
    size = (tmp_path / "data.csv").stat().st_size
    write_config(tmp_path, "{name: csv, path: data.csv}")
    refused(tmp_path, 1, f"{tmp_path / 'data.csv'}: {size:,} bytes, more than the limit of 1,000 "
                         "(set NNFS_MAX_ROWS_BYTES to allow more)",
            env={"NNFS_MAX_ROWS_BYTES": "1000"})


def test_nul_bytes_in_cells_are_refused(tmp_path):
    rows = table_rows()
    rows[4][0] += "NUL"
    path = write_table(tmp_path / "data.csv", ["a", "b", "label"], rows)
    # Python 3.10's csv.writer cannot write a NUL byte at all: put it in afterwards.
    path.write_bytes(path.read_bytes().replace(b"NUL", b"\0"))
    write_config(tmp_path, "{name: csv, path: data.csv}")
    refused(tmp_path, 1, f"{tmp_path / 'data.csv'}:6: holds a NUL byte (0x00)")


def test_a_column_empty_in_every_row_is_not_filled_with_zeros(tmp_path):
    rows = [[a, "", b, label] for a, b, label in table_rows()]
    write_table(tmp_path / "data.csv", ["a", "empty", "b", "label"], rows)
    write_config(tmp_path, "{name: csv, path: data.csv, missing: mean}")
    refused(tmp_path, 1, f"{tmp_path / 'data.csv'}: column 'empty' is empty in every row; leave "
                         "it out with data.features")


def test_a_changed_training_file_is_named_as_the_runs_own(tmp_path):
    write_table(tmp_path / "data.csv", ["a", "b", "label"], table_rows())
    write_config(tmp_path, "{name: csv, path: data.csv}")
    result = nnfs("train", "config.yaml", "-q", "--run-dir", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    write_table(tmp_path / "data.csv", ["a", "c", "label"], table_rows())
    line = assert_one_line(nnfs("evaluate", tmp_path / "run"), 1,
                           f"{tmp_path / 'data.csv'}:1: the columns differ from those the run "
                           "was trained on: missing 'b'; extra 'c'")
    assert line.count("data.csv") == 1


def test_resume_says_when_the_data_changed(tmp_path):
    write_table(tmp_path / "data.csv", ["a", "b", "label"], table_rows())
    write_config(tmp_path, "{name: csv, path: data.csv}")
    result = nnfs("train", "config.yaml", "-q", "--run-dir", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    result = nnfs("train", "--resume", tmp_path / "run", "--epochs", 3)
    assert result.returncode == 0, result.stderr
    assert "the data changed" not in result.stderr
    rows = table_rows()
    rows[10][0] = "9.5"
    write_table(tmp_path / "data.csv", ["a", "b", "label"], rows)
    result = nnfs("train", "--resume", tmp_path / "run", "--epochs", 4)
    assert result.returncode == 0, result.stderr
    warning = ("warning: the data changed since this run began (as many samples, other "
               "values); it goes on training on the data as it is now")
    assert result.stderr.count(warning) == 1
    assert warning in json.loads((tmp_path / "run" / "summary.json").read_text())["warnings"]
    write_table(tmp_path / "data.csv", ["a", "b", "label"], rows[:30])
    result = nnfs("train", "--resume", tmp_path / "run", "--epochs", 5)
    assert result.returncode == 0, result.stderr
    assert "(54 training and 6 validation samples then, 27 and 3 now)" in result.stderr


# --- small items: batch_norm ----------------------------------------------------------------

BATCH_NORM = ("dense: {units: 8}", "batch_norm", "relu", "dense: {units: 3}", "softmax")
SPIRAL_DATA = "{name: spiral, samples: 100, classes: 3, validation_samples: 30}"


def test_batch_norm_on_batches_of_one_sample_is_refused_or_warned(tmp_path):
    write_config(tmp_path, SPIRAL_DATA, BATCH_NORM, training="{epochs: 1, batch_size: 1}")
    refused(tmp_path, 2, "config.yaml: training.batch_size: batches of 1 sample, which model[1] "
                         "batch_norm normalises to zeros whatever it holds")
    write_config(tmp_path, SPIRAL_DATA, BATCH_NORM, training="{epochs: 1, batch_size: 299}")
    result = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warning = ("warning: the last batch of each epoch holds 1 of the 300 training samples, which "
               "model[1] batch_norm normalises to zeros")
    assert warning in result.stderr
    assert any(line.startswith(warning)
               for line in json.loads((tmp_path / "run" / "summary.json").read_text())["warnings"])


def test_a_negative_running_variance_is_refused(tmp_path):
    write_config(tmp_path, SPIRAL_DATA, BATCH_NORM, training="{epochs: 1, batch_size: 32}")
    result = nnfs("train", "config.yaml", "-q", "--run-dir", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    params_path = tmp_path / "run" / "params.pkl"
    with open(params_path, "rb") as f:
        params = pickle.load(f)
    params[1][3][2] = -0.5   # batch_norm (scale, shift, running_mean, running_var)
    params_path.write_bytes(pickle.dumps(params))
    before = tree(tmp_path)
    assert_one_line(nnfs("evaluate", tmp_path / "run"), 1,
                    f"{params_path}: model[1] batch_norm running_var hold negative values")
    assert tree(tmp_path) == before
