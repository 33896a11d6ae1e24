"""nnfs predict: photo-like pictures classified as well as the data, directories, bad files,
--json, --top-k, the default run; feature rows for spiral and sine models."""

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from fashion_runs import PANTS, needs_fashion, run_cli
from nnfs_cli.data import photos as images
from nnfs_cli.data.fashion_mnist import scale_images
from nnfs_cli.runs.saved import load_run


def held_out_images(fashion):
    """(28x28 uint8 images, labels) of the run's test folder."""
    root = Path(load_run(fashion).data.path) / "test"
    pictures, labels = [], []
    for label in range(10):
        for path in sorted((root / str(label)).glob("*.png")):
            pictures.append(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))
            labels.append(label)
    return np.stack(pictures), np.array(labels)


def as_photo(picture, rng):
    """Enlarged to 200-400 px, dark on white, somewhere on a larger white RGB canvas."""
    size = int(rng.integers(200, 400))
    big = 255 - cv2.resize(picture, (size, size), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((size + 120, size + 60), 255, np.uint8)
    top, left = int(rng.integers(0, 120)), int(rng.integers(0, 60))
    canvas[top:top + size, left:left + size] = big
    return cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)


def write_image(path, picture, kind=None):
    """Encode as `kind` (default: the suffix), whatever the file is called."""
    ok, data = cv2.imencode(kind or Path(path).suffix, picture, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    Path(path).write_bytes(data.tobytes())
    return Path(path)


def predict_json(*args):
    result = run_cli("predict", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@needs_fashion
def test_photos_are_classified_as_well_as_the_data(fashion, tmp_path):
    pictures, labels = held_out_images(fashion)
    rng = np.random.default_rng(0)
    folder = tmp_path / "photos"
    folder.mkdir()
    for index, picture in enumerate(pictures):
        # Alternate JPEG and PNG; the second is a JPEG under a .png name.
        kind = ".jpg" if index % 2 == 0 or index == 1 else ".png"
        write_image(folder / f"{index:04d}{'.jpg' if index % 2 == 0 else '.png'}",
                    as_photo(picture, rng), kind)
    results = predict_json(folder, "--run", fashion)
    assert [Path(r["path"]).name for r in results] == sorted(p.name for p in folder.iterdir())
    photo_accuracy = np.mean([r["index"] for r in results] == labels)
    run = load_run(fashion)
    raw_accuracy = np.mean(np.argmax(run.outputs(scale_images(pictures)), axis=1) == labels)
    # Measured on these 300 images over five training seeds: raw 0.76-0.81, photos within
    # 0.017 of it (one of the 300 images is 0.003); the bigger book model: 0.903 and 0.910.
    assert raw_accuracy > 0.6
    assert photo_accuracy >= raw_accuracy - 0.05


@needs_fashion
def test_lines_json_and_top_k(fashion, tmp_path):
    pictures, labels = held_out_images(fashion)
    rng = np.random.default_rng(1)
    paths = [write_image(tmp_path / f"{label}.jpg", as_photo(pictures[label * 30], rng))
             for label in (1, 8)]
    result = run_cli("predict", *paths, "--run", fashion)
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    # e.g. ".../1.jpg: Trouser 0.97 (Trouser 0.97, Dress 0.02, Coat 0.01)"
    head, top = lines[0].split(" (")
    assert head.startswith(f"{paths[0]}: ") and top.endswith(")") and len(top.split(", ")) == 3
    label, confidence = head.rsplit(": ", 1)[1].rsplit(" ", 1)
    assert top.startswith(f"{label} {confidence}") and 0 <= float(confidence) <= 1

    results = predict_json(*paths, "--run", fashion)
    assert [r["path"] for r in results] == [str(p) for p in paths]
    for r in results:
        assert set(r) == {"path", "label", "index", "confidence", "top_k"}
        assert len(r["top_k"]) == 3
        assert r["top_k"][0] == {"label": r["label"], "index": r["index"],
                                 "confidence": r["confidence"]}
        confidences = [item["confidence"] for item in r["top_k"]]
        assert confidences == sorted(confidences, reverse=True)
    five = predict_json(*paths, "--run", fashion, "--top-k", "5")
    assert [len(r["top_k"]) for r in five] == [5, 5]
    everything = predict_json(paths[0], "--run", fashion, "--top-k", "50")[0]["top_k"]
    assert sorted(item["index"] for item in everything) == list(range(10))
    assert sum(item["confidence"] for item in everything) == pytest.approx(1, abs=1e-5)
    # --invert no keeps a dark item on white, unlike anything in the data: other scores.
    inverted = predict_json(paths[0], "--run", fashion, "--invert", "no")[0]
    assert inverted["top_k"] != results[0]["top_k"]


@needs_fashion
def test_a_broken_file_among_good_ones(fashion, tmp_path):
    pictures, _ = held_out_images(fashion)
    folder = tmp_path / "mixed"
    folder.mkdir()
    rng = np.random.default_rng(2)
    for name in ("a.png", "c.jpg"):
        write_image(folder / name, as_photo(pictures[0], rng))
    (folder / "b.png").write_text("not a picture")
    result = run_cli("predict", folder, tmp_path / "gone.jpg", "--run", fashion)
    assert result.exit_code == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        str(folder / "a.png"), str(folder / "c.jpg")]
    assert result.stderr.splitlines() == [
        f"Error: {folder / 'b.png'}: not an image OpenCV can read",
        f"Error: {tmp_path / 'gone.jpg'}: no such file"]


@needs_fashion
def test_pants_are_trousers(fashion):
    # The small test model says Trouser 0.92-0.98 over five training seeds; the book model 1.00.
    [result] = predict_json(PANTS, "--run", fashion)
    assert result["label"] == "Trouser"


@needs_fashion
def test_default_run_is_the_newest_finished_fashion_run(fashion, spiral, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    picture = write_image(tmp_path / "item.png", as_photo(held_out_images(fashion)[0][0],
                                                          np.random.default_rng(3)))
    result = run_cli("predict", picture)
    assert result.exit_code == 1
    assert result.stderr == ("Error: no trained run on pictures under runs/; train one with "
                             "`nnfs train configs/fashion.yaml` or choose a run with --run\n")
    runs = tmp_path / "runs"
    now = 1_800_000_000
    for name, source, age in [("fashion-old", fashion, 300), ("fashion-new", fashion, 200),
                              ("spiral-newest", spiral, 100), ("fashion-running", fashion, 50),
                              ("fashion-no-summary", fashion, 0)]:
        shutil.copytree(source, runs / name)
        os.utime(runs / name / "summary.json", (now - age, now - age))
    running = runs / "fashion-running" / "summary.json"
    running.write_text(json.dumps({**json.loads(running.read_text()), "status": "running"}))
    os.utime(running, (now - 50, now - 50))
    (runs / "fashion-no-summary" / "summary.json").unlink()
    result = run_cli("predict", picture)
    assert result.exit_code == 0, result.stderr
    run_dir = Path("runs") / "fashion-new"
    summary = json.loads((run_dir / "summary.json").read_text())
    # Which run, and how good it is (a data.limit experiment shows here).
    assert result.stderr == (f"using {run_dir}, the newest finished run on pictures under runs/ "
                             f"(test accuracy {summary['test_accuracy']:.4f} on "
                             f"{summary['test_samples']} samples); choose another with --run\n")
    assert result.stdout.startswith(f"{picture}: ")


@needs_fashion
def test_diverged_or_unfinished_runs_only_when_named(fashion, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    picture = write_image(tmp_path / "item.png", as_photo(held_out_images(fashion)[0][0],
                                                          np.random.default_rng(3)))
    runs = tmp_path / "runs"
    for name, status, epochs in [("fashion-blown", "diverged", 0), ("fashion-cut", "interrupted", 2)]:
        shutil.copytree(fashion, runs / name)
        path = runs / name / "summary.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), "status": status,
                                    "epochs": epochs}))
    result = run_cli("predict", picture)
    assert result.exit_code == 1 and result.stdout == ""
    blown, cut = Path("runs") / "fashion-blown", Path("runs") / "fashion-cut"
    assert result.stderr == (
        f"Error: no finished run on pictures under runs/ ({blown} is diverged, {cut} is "
        "interrupted: name one with --run to use it anyway); train one with "
        "`nnfs train configs/fashion.yaml` or choose a run with --run\n")
    result = run_cli("predict", picture, "--run", blown)
    assert result.exit_code == 0 and result.stdout.startswith(f"{picture}: ")
    assert result.stderr == (f"warning: {blown} did not finish training (diverged after 0 of 5 "
                             "epochs); its parameters are the untrained initial ones\n")
    result = run_cli("predict", picture, "--run", cut)
    assert result.stderr == (f"warning: {cut} did not finish training (interrupted after 2 of 5 "
                             "epochs)\n")
    # A finished run named with --run: nothing to say.
    assert run_cli("predict", picture, "--run", fashion).stderr == ""


@needs_fashion
def test_almost_blank_pictures_are_flagged(fashion, tmp_path):
    rng = np.random.default_rng(4)
    white = write_image(tmp_path / "white.png", np.full((300, 200, 3), 255, np.uint8))
    noisy = np.clip(rng.normal(128, 6, (400, 300)), 0, 255).astype(np.uint8)
    noisy[200, 150] = 255      # a speck of dust is not an item
    gray = write_image(tmp_path / "gray.jpg", noisy)
    item = write_image(tmp_path / "item.jpg", as_photo(held_out_images(fashion)[0][0], rng))
    result = run_cli("predict", white, gray, item, "--run", fashion)
    assert result.exit_code == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [str(item)]
    assert result.stderr.splitlines() == [
        f"Error: {path}: the image is almost blank (nothing in it stands out from its "
        "background), so there is nothing to classify" for path in (white, gray)]


@needs_fashion
def test_subfolders_are_named_or_taken_with_recursive(fashion, tmp_path):
    pictures, _ = held_out_images(fashion)
    rng = np.random.default_rng(5)
    folder = tmp_path / "photos"
    for relative in ("a.jpg", "shirts/b.jpg", "shirts/old/c.jpg", "trousers/d.jpg",
                     ".hidden/e.jpg"):
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        write_image(folder / relative, as_photo(pictures[0], rng))
    result = run_cli("predict", folder, "--run", fashion)
    assert result.exit_code == 0
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [str(folder / "a.jpg")]
    assert result.stderr == (f"{folder}: skipped its 2 subfolders (shirts, trousers); "
                             "--recursive takes them too\n")
    result = run_cli("predict", folder, "--run", fashion, "--recursive")
    assert (result.exit_code, result.stderr) == (0, "")
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        str(folder / name) for name in ("a.jpg", "shirts/b.jpg", "shirts/old/c.jpg",
                                        "trousers/d.jpg")]


def test_spiral_rows_from_npy_and_csv(spiral, tmp_path):
    rows = np.array([[0.1, 0.2], [-0.5, 0.3], [0.0, -0.7]], np.float32)
    np.save(tmp_path / "points.npy", rows)
    (tmp_path / "points.csv").write_text("x,y\n" + "".join(f"{a},{b}\n" for a, b in rows))
    expected = np.argmax(load_run(spiral).outputs(rows), axis=1).tolist()
    # One convention for rows (#27 item 9): `file:N`, N the line of a CSV file (its header
    # is line 1) and the place from 1 in a .npy array.
    for name, first in (("points.npy", 1), ("points.csv", 2)):
        results = predict_json(tmp_path / name, "--run", spiral)
        assert [(r["path"], r["row"]) for r in results] == [(str(tmp_path / name), first + row)
                                                            for row in range(3)]
        assert [r["index"] for r in results] == expected
        assert [r["label"] for r in results] == [f"class {index}" for index in expected]
        assert all(len(r["top_k"]) == 3 for r in results)  # default 3, at most the classes
    lines = run_cli("predict", tmp_path / "points.csv", "--run", spiral, "--top-k", "2").stdout
    assert lines.splitlines()[0].startswith(f"{tmp_path / 'points.csv'}:2: class {expected[0]} ")
    assert len(lines.splitlines()) == 3


def test_wrong_rows_are_errors_naming_the_file(spiral, tmp_path):
    np.save(tmp_path / "wide.npy", np.zeros((4, 3), np.float32))
    (tmp_path / "words.csv").write_text("a,b\nc,d\n")
    good = tmp_path / "good.csv"
    good.write_text("0.1,0.2\n")
    write_image(tmp_path / "photo.png", np.zeros((30, 30, 3), np.uint8))
    result = run_cli("predict", tmp_path / "wide.npy", tmp_path / "words.csv", good,
                     tmp_path / "photo.png", "--run", spiral)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{good}:1: class ")
    lines = result.stderr.splitlines()
    assert lines[0] == (f"Error: {tmp_path / 'wide.npy'}: rows have 3 value(s), but the model "
                        "takes 2 input(s)")
    assert lines[1].startswith(f"Error: {tmp_path / 'words.csv'}: not a CSV file of numbers")
    assert lines[2] == (f"Error: {tmp_path / 'photo.png'}: this model takes rows of 2 "
                        "feature(s), not pictures; give .npy or .csv files")
    assert len(lines) == 3


def test_sine_predicts_values(sine, tmp_path):
    x = np.linspace(0, 0.9, 4, dtype=np.float32)
    np.save(tmp_path / "x.npy", x)  # 1-D: one sample per value for a one-input model
    results = predict_json(tmp_path / "x.npy", "--run", sine)
    expected = load_run(sine).outputs(x.reshape(-1, 1))
    assert [(r["path"], r["row"]) for r in results] == [(str(tmp_path / "x.npy"), row)
                                                        for row in range(1, 5)]
    assert np.allclose([r["value"] for r in results], expected[:, 0])
    line = run_cli("predict", tmp_path / "x.npy", "--run", sine).stdout.splitlines()[0]
    assert line == f"{tmp_path / 'x.npy'}:1: {expected[0, 0]:.6g}"


def test_invert_choices_match_images():
    from nnfs_cli.commands.predict import predict
    [option] = [p for p in predict.params if p.name == "invert"]
    assert tuple(option.type.choices) == images.INVERT_CHOICES


# --- issue 27 items 6 and 9: the data set's own pictures, raw pixel rows, --invert ------


@needs_fashion
def test_predict_on_the_test_folder_equals_evaluate(fashion):
    """Pictures already in the data set's form go in as they are (--prepare auto), so the
    data set's own test PNGs are predicted as evaluate scores them; as photos they were not."""
    import yaml

    folder = Path(yaml.safe_load((Path(fashion) / "config.yaml").read_text())["data"]["path"])
    report = json.loads(run_cli("evaluate", fashion, "--json").stdout)
    accuracies = {}
    for prepare in ("auto", "none", "photo"):
        results = predict_json(folder / "test", "--run", fashion, "--recursive",
                               "--prepare", prepare)
        right = [int(Path(r["path"]).parent.name) == r["index"] for r in results]
        assert len(right) == report["samples"]
        accuracies[prepare] = sum(right) / len(right)
    assert accuracies["auto"] == accuracies["none"] == pytest.approx(report["accuracy"], abs=1e-9)
    assert accuracies["photo"] != accuracies["auto"]   # re-trimming and re-fitting changes answers


def test_prepare_modes_on_pictures():
    rng = np.random.default_rng(0)
    dark = np.zeros((28, 28), np.uint8)
    dark[6:20, 9:15] = rng.integers(100, 200, (14, 6))
    as_is = ((dark.astype(np.float32) - 127.5) / 127.5).reshape(-1)
    assert np.array_equal(images.prepare_image(dark, prepare="auto"), as_is)
    assert np.array_equal(images.prepare_image(dark, prepare="none"), as_is)
    assert not np.array_equal(images.prepare_image(dark, prepare="photo"), as_is)
    light = 255 - dark   # 28x28 but light on dark: not the data set's form, so a photo
    assert np.array_equal(images.prepare_image(light, prepare="auto"),
                          images.prepare_image(light, prepare="photo"))
    from nnfs_cli.errors import DataError
    with pytest.raises(DataError, match="--prepare none takes 28x28 pictures, not 30x20"):
        images.prepare_image(np.zeros((20, 30), np.uint8), prepare="none")


@needs_fashion
def test_raw_pixel_arrays_predict_as_the_export_takes_them(fashion, tmp_path):
    pictures = held_out_images(fashion)[0][:4]        # (4, 28, 28) uint8, as the PNGs hold
    np.save(tmp_path / "raw.npy", pictures)
    np.save(tmp_path / "flat.npy", pictures.reshape(4, -1).astype(np.float32))
    np.save(tmp_path / "scaled.npy", scale_images(pictures).reshape(4, -1))
    answers = [[r["index"] for r in predict_json(tmp_path / name, "--run", fashion)]
               for name in ("raw.npy", "flat.npy", "scaled.npy")]
    assert answers[0] == answers[1] == answers[2]
    np.save(tmp_path / "bad.npy", np.full((1, 784), 300.0, np.float32))
    result = run_cli("predict", tmp_path / "bad.npy", "--run", fashion)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {tmp_path / 'bad.npy'}: values from 300 to 300: neither "
                             "pixel values 0-255 nor inputs scaled to -1..1 as training scaled "
                             "them\n")
