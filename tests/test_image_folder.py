"""The `image_folder` data set end to end through the installed `nnfs` (class folders, train/
and test/, RGB, PNG and JPEG of any size, an unreadable file), its cache, EXIF rotation,
the (channels, height, width) layout, and the Fashion-MNIST folder trained as a folder."""

import csv
import json
import os
import struct

import cv2
import numpy as np
import pytest

from fashion_runs import run_cli
from nnfs_cli.core.layers import Layer
from nnfs_cli.data.image_files import read_picture
from nnfs_cli.data.image_folder import ImageFolder
from nnfs_cli.registry import LAYERS
from own_data import SHAPES, classifier, config, image_folder, nnfs, picture, write_picture

CACHE = ".nnfs-cache-16x16-gray.npz"


def folder_config(folder, extra="", classes=3, epochs=25):
    data = f"name: image_folder\npath: pictures\nsize: [16, 16]\n{extra}"
    return config(folder, data, classifier(classes, 32), epochs=epochs)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """A run trained by the installed nnfs on pictures/<circle|cross|square>/."""
    folder = tmp_path_factory.mktemp("shapes")
    image_folder(folder / "pictures", per_class=20)
    # A wide picture and one with a misleading name: sizes and formats do not matter.
    write_picture(folder / "pictures" / "circle" / "wide.png",
                  cv2.copyMakeBorder(picture("circle", np.random.default_rng(5), 40), 0, 0, 30,
                                     30, cv2.BORDER_CONSTANT, value=20))
    write_picture(folder / "pictures" / "cross" / "named.png",
                  picture("cross", np.random.default_rng(6)), ".jpg")
    folder_config(folder, "validation_split: 0.25\n")
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=folder)
    assert done.code == 0, done.stderr
    return folder, folder / "run", done


def test_folder_names_are_the_classes(shapes):
    folder, run, done = shapes
    assert ("pictures: 62 training images of 3 classes (circle, cross, square), fitted into "
            "16x16 gray") in done.stderr
    assert f"decoding the images in {folder / 'pictures'} once" in done.stderr
    assert (folder / "pictures" / CACHE).is_file()
    assert "(256,)" in done.stderr   # flat for a dense stack
    summary = json.loads((run / "summary.json").read_text())
    assert summary["class_names"] == SHAPES and summary["val_accuracy"] >= 0.85
    assert summary["data_state"] == {"folders": SHAPES, "class_names": SHAPES,
                                     "size": [16, 16], "color": "gray", "validation": "split"}
    report = nnfs("evaluate", run, "--json", cwd=run).json()
    assert report["split"] == "validation" and report["samples"] == 15   # 5 of each class
    assert report["accuracy"] == pytest.approx(summary["val_accuracy"])
    assert [row["name"] for row in report["per_class"]] == SHAPES
    again = nnfs("train", "config.yaml", "--run-dir", "again", "--epochs", "1", cwd=folder)
    assert again.code == 0 and "decoding" not in again.stderr   # the cache served


def test_predict_pictures_and_folders_with_the_runs_size_and_color(shapes, tmp_path):
    _, run, _ = shapes
    rng = np.random.default_rng(11)
    expected = []
    for index, kind in enumerate(SHAPES * 3):
        size = (30, 64, 120)[index % 3]
        write_picture(tmp_path / f"{index:02d}.jpg", cv2.cvtColor(picture(kind, rng, size),
                                                                  cv2.COLOR_GRAY2BGR))
        expected.append(kind)
    results = nnfs("predict", tmp_path, "--run", run, "--json").json()
    assert [r["path"] for r in results] == [str(tmp_path / f"{i:02d}.jpg") for i in range(9)]
    assert set(results[0]) == {"path", "label", "index", "confidence", "top_k"}
    assert np.mean([r["label"] == kind for r, kind in zip(results, expected)]) >= 0.75
    line = nnfs("predict", tmp_path / "00.jpg", "--run", run).stdout
    assert line.startswith(f"{tmp_path / '00.jpg'}: {results[0]['label']} ")
    output = tmp_path.parent / f"{tmp_path.name}-preds.csv"
    assert nnfs("predict", tmp_path / "00.jpg", tmp_path / "01.jpg", "--run", run,
                "--output", output).code == 0
    names = [item["label"] for item in sorted(results[0]["top_k"], key=lambda i: i["index"])]
    written = list(csv.reader(output.open()))
    assert written[0] == ["path", "row", "prediction", "confidence",
                          *[f"probability_{name}" for name in names]]
    for row, result in zip(written[1:], results[:2], strict=True):
        assert row[:3] == [result["path"], "", result["label"]]
        ordered = sorted(result["top_k"], key=lambda item: item["index"])
        # Another batch of pictures: the same figures to float32's last digits.
        assert list(map(float, row[3:])) == pytest.approx(
            [result["confidence"], *[item["confidence"] for item in ordered]], rel=1e-4,
            abs=1e-12)


def test_train_and_test_folders_in_rgb(tmp_path):
    image_folder(tmp_path / "pictures", per_class=10, split="train", color=True)
    image_folder(tmp_path / "pictures", per_class=4, split="test", color=True, seed=1)
    folder_config(tmp_path, "color: rgb\n", epochs=15)
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    assert done.code == 0, done.stderr
    assert "30 training and 12 test images of 3 classes" in done.stderr
    assert "(768,)" in done.stderr and "test_acc" in done.stdout
    report = nnfs("evaluate", tmp_path / "run", "--json").json()
    assert report["split"] == "test" and report["samples"] == 12
    # A colour picture is predicted in colour: its channels change the scores.
    image = picture("circle", np.random.default_rng(0), 40, color=True)
    write_picture(tmp_path / "a.png", image)
    write_picture(tmp_path / "b.png", image[:, :, ::-1])
    a, b = nnfs("predict", tmp_path / "a.png", tmp_path / "b.png", "--run", tmp_path / "run",
                "--json").json()
    assert a["top_k"] != b["top_k"]


def split_folders(root):
    """root/train/, root/val/, root/test/ of the three shapes: 10, 4 and 3 pictures a class."""
    for split, per_class, seed in (("train", 10, 0), ("val", 4, 1), ("test", 3, 2)):
        image_folder(root, per_class=per_class, split=split, seed=seed)
    return root


def test_train_val_and_test_folders_are_the_splits(tmp_path):
    split_folders(tmp_path / "pictures")
    folder_config(tmp_path, epochs=10)
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    assert done.code == 0, done.stderr
    # Three classes of shapes, not of folders: val/ validates, test/ tests.
    assert ("pictures: 30 training, 12 validation and 9 test images of 3 classes (circle, "
            "cross, square)") in done.stderr
    assert ("split folders train/, val/ and test/; validating on the pictures of val/ "
            "(data.validation: auto)") in done.stderr
    assert "30 training and 12 validation samples" in done.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["class_names"] == SHAPES and summary["data_state"]["validation"] == "folder"
    assert summary["test_samples"] == 9
    report = nnfs("evaluate", tmp_path / "run", "--split", "validation", "--json").json()
    assert report["samples"] == 12
    assert report["accuracy"] == pytest.approx(summary["val_accuracy"])
    assert [row["support"] for row in report["per_class"]] == [4, 4, 4]
    # validation: split holds out training pictures instead, and says val/ is left aside.
    (tmp_path / "pictures" / "val").rename(tmp_path / "pictures" / "validation")
    folder_config(tmp_path, "validation: split\nvalidation_split: 0.2\n", epochs=1)
    done = nnfs("train", "config.yaml", "--run-dir", "split", cwd=tmp_path)
    assert done.code == 0, done.stderr
    assert "24 training and 6 validation samples" in done.stderr
    assert ("the pictures of validation/ are not used (data.validation: split)"
            in done.stderr)


@pytest.mark.parametrize("stray", ["predict", "val"])
def test_a_stray_folder_beside_train_is_refused_not_made_a_class(tmp_path, stray):
    root = split_folders(tmp_path / "pictures")
    if stray == "val":   # both spellings of the validation folder
        image_folder(root, per_class=2, split="validation")
        message = (f"data.path: {root} holds both val/ and validation/; keep one of them as the "
                   "validation split")
    else:
        image_folder(root, per_class=2, split=stray)
        message = (f"data.path: found train/, val/ and test/ beside 'predict/' in {root}; a "
                   "folder with train/ may hold only the split folders train/, val/ (or "
                   "validation/) and test/: move predict/ out of it (or point data.path at a "
                   "folder of class folders)")
    folder_config(tmp_path, epochs=1)
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    assert (done.code, done.stderr) == (2, f"Error: config.yaml: {message}\n")
    assert not (tmp_path / "run").exists()


def test_validation_folder_needs_one_and_a_classifier_two_classes(tmp_path):
    image_folder(tmp_path / "pictures", per_class=4, split="train")
    folder_config(tmp_path, "validation: folder\n", epochs=1)
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    assert (done.code, done.stderr) == (2, (
        f"Error: config.yaml: data.validation: folder needs a val/ (or validation/) folder "
        f"beside train/ in {tmp_path / 'pictures'}\n"))
    one = tmp_path / "one"
    image_folder(one, per_class=4)
    for kind in SHAPES[1:]:
        for path in (one / kind).iterdir():
            path.unlink()
        (one / kind).rmdir()
    config(tmp_path, "name: image_folder\npath: one\nsize: [16, 16]", classifier(1), epochs=1)
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    assert (done.code, done.stderr) == (1, (
        f"Error: {one}: one class folder ('circle'); a classifier needs at least 2 classes\n"))


def test_an_unreadable_file_is_named_or_skipped(tmp_path):
    image_folder(tmp_path / "pictures", per_class=6)
    bad = tmp_path / "pictures" / "cross" / "notes.png"
    bad.write_text("not a picture")
    folder_config(tmp_path, epochs=1)
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    assert (done.code, done.stderr.splitlines()[-1]) == (
        1, f"Error: {bad}: not an image OpenCV can read")
    assert not (tmp_path / "run").exists()
    folder_config(tmp_path, "skip_unreadable: true\n", epochs=1)
    for _ in range(2):   # decoded, then from the cache: skipped both times
        done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
        assert done.code == 0, done.stderr
        assert (f"skipped 1 unreadable file(s) (skip_unreadable), e.g. {bad}: not an image "
                "OpenCV can read") in done.stderr
        assert "18 training images" in done.stderr
        os.rename(tmp_path / "run", tmp_path / f"run-{_}")
    folder_config(tmp_path, epochs=1)   # and refused again without the option
    assert nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path).code == 1


@pytest.mark.parametrize("arrange, code, message", [
    (lambda root: (root / "square").mkdir(), 1, "{root}/square: no images in this class folder"),
    (lambda root: root.mkdir(), 1,
     "{root}: no class subfolders; expected one folder of images per class (roses/, tulips/, "
     "...), or a train/ folder of them (with val/ and test/ beside it)"),
    (lambda root: (root / "train").mkdir(parents=True), 1,
     "{root}/train: no class subfolders; expected one folder of images per class (roses/, "
     "tulips/, ...), or a train/ folder of them (with val/ and test/ beside it)"),
], ids=["empty-class", "no-subfolders", "empty-train"])
def test_bad_folders(tmp_path, arrange, code, message):
    root = tmp_path / "pictures"
    if "square" in message:
        image_folder(root, per_class=2)
        for path in (root / "square").iterdir():
            path.unlink()
    else:
        arrange(root)
    folder_config(tmp_path)
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    assert (done.code, done.stderr) == (code, f"Error: {message.format(root=root)}\n")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("size", ["[64]", "[0, 16]", "[16, 16.5]", "64"])
def test_a_size_that_is_not_two_positive_integers(tmp_path, size):
    image_folder(tmp_path / "pictures", per_class=2)
    folder_config(tmp_path).write_text(folder_config(tmp_path).read_text().replace(
        "size: [16, 16]", f"size: {size}"))
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    shown = {"[64]": "[64]", "[0, 16]": "[0, 16]", "[16, 16.5]": "[16, 16.5]", "64": "64"}[size]
    assert (done.code, done.stderr) == (
        2, f"Error: config.yaml: data.size: expected two positive integers [height, width], "
           f"got {shown}\n")


def test_a_size_past_the_pixel_limit_and_a_fifo_among_the_pictures(tmp_path):
    image_folder(tmp_path / "pictures", per_class=2)
    folder_config(tmp_path).write_text(folder_config(tmp_path).read_text().replace(
        "size: [16, 16]", "size: [10000, 10000]"))
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    assert (done.code, done.stderr) == (
        2, "Error: config.yaml: data.size: 10000x10000 pixels is more than the limit of "
           "50,000,000 pixels (set NNFS_MAX_IMAGE_PIXELS to allow more)\n")
    fifo = tmp_path / "pictures" / "cross" / "pipe.png"
    os.mkfifo(fifo)   # reading it would block forever
    folder_config(tmp_path)
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path, timeout=60)
    assert (done.code, done.stderr.splitlines()[-1]) == (
        1, f"Error: {fifo}: is a FIFO, not a regular file; only regular files are read")
    assert not (tmp_path / "run").exists()


def test_class_names_must_match_the_folders(tmp_path):
    image_folder(tmp_path / "pictures", per_class=2)
    folder_config(tmp_path, "class_names: [round, x]\n")
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    assert (done.code, done.stderr) == (
        2, f"Error: config.yaml: data.class_names: 2 names for the 3 class folders of "
           f"{tmp_path / 'pictures'} (circle, cross, square)\n")


# --- the parts ---------------------------------------------------------------------------

def test_the_cache_follows_the_files(tmp_path, monkeypatch):
    root = image_folder(tmp_path / "pictures", per_class=3)

    def load():
        return ImageFolder(str(root), size=[16, 16], validation_split=0.34).load(0)
    first = load()
    with monkeypatch.context() as patch:
        patch.setattr(cv2, "imdecode", None)   # any decoding would fail: the cache serves
        cached = load()
    assert np.array_equal(np.asarray(first.x_train), np.asarray(cached.x_train))
    # Rewritten in place, same name and size class: the cache is rebuilt.
    target = root / "circle" / "000.jpg"
    write_picture(target, np.full((40, 40), 255, np.uint8))
    stamp = target.stat().st_mtime_ns + 10**9
    os.utime(target, ns=(stamp, stamp))
    rebuilt = load()
    pictures = np.vstack([np.asarray(rebuilt.x_train), np.asarray(rebuilt.x_val)])
    assert (pictures == 1.0).all(axis=1).any()   # the all-white picture is in there now


def exif_jpeg(image, orientation):
    """A JPEG of `image` with an EXIF Orientation tag."""
    jpeg = cv2.imencode(".jpg", image)[1].tobytes()
    tiff = (b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
            + struct.pack("<HHII", 0x0112, 3, 1, orientation) + struct.pack("<I", 0))
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def test_exif_rotation_is_applied(tmp_path):
    image = np.zeros((20, 40), np.uint8)
    image[:, :10] = 255   # a bright band on the left of a wide picture
    path = tmp_path / "phone.jpg"
    path.write_bytes(exif_jpeg(image, 6))   # "rotate 90 degrees clockwise to view"
    upright = read_picture(path)
    assert upright.shape == (40, 20) and upright[:10].mean() > 200 and upright[-10:].mean() < 50
    assert read_picture(path, "rgb").shape == (40, 20, 3)


def test_rgb_samples_are_channels_first_flat_or_not(tmp_path):
    root = tmp_path / "pictures"
    for kind, bgr in (("red", (0, 0, 255)), ("blue", (255, 0, 0))):
        (root / kind).mkdir(parents=True)
        for index in range(3):
            write_picture(root / kind / f"{index}.png", np.full((8, 8, 3), bgr, np.uint8))
    data = ImageFolder(str(root), size=[4, 4], color="rgb", validation_split=0.34)
    splits = data.load(0)
    assert data.input_shape == (48,) and data.image_shape == (3, 4, 4)
    x = np.asarray(splits.x_train)
    red = x[splits.y_train == data.class_names.index("red")][0].reshape(3, 4, 4)
    assert (red[0] == 1.0).all() and (red[1:] == -1.0).all()   # R first, then G and B
    shaped = np.asarray(data.shaped(splits, data.image_shape).x_train)
    assert np.array_equal(shaped.reshape(len(shaped), -1), x)
    picture_file = write_picture(tmp_path / "red.png", np.full((30, 10, 3), (0, 0, 255), np.uint8))
    prepared = data.prepare_image(data.read_picture(picture_file)).reshape(3, 4, 4)
    assert (prepared[0] == 1.0).all() and (prepared[1:] == -1.0).all()


class HalvePictures(Layer):
    """Keeps every other row and column of (channels, height, width) inputs."""

    input_layout = "image"

    def output_shape(self, input_shape):
        channels, height, width = input_shape
        return (channels * (height // 2) * (width // 2),)

    def forward(self, x, training):
        self._shape = x.shape
        return x[:, :, ::2, ::2].reshape(len(x), -1)

    def backward(self, dvalues, need_dinputs=True):
        dinputs = np.zeros(self._shape, dtype=dvalues.dtype)
        dinputs[:, :, ::2, ::2] = dvalues.reshape(len(dvalues), self._shape[1], *[
            n // 2 for n in self._shape[2:]])
        return dinputs


def test_a_stack_that_takes_pictures_gets_channels_height_width(tmp_path, write_config):
    image_folder(tmp_path / "pictures", per_class=4, color=True)
    text = folder_config(tmp_path, "color: rgb\nvalidation_split: 0.25\n", epochs=2).read_text().replace(
        "model:\n", "model:\n  - halve_pictures\n")
    LAYERS.register("halve_pictures")(HalvePictures)
    try:
        result = run_cli("train", write_config(text.replace("path: pictures",
                                                            f"path: {tmp_path / 'pictures'}")),
                         "--run-dir", tmp_path / "run")
        assert result.exit_code == 0, result.stderr
        assert "(3, 16, 16)" in result.stderr and "(192,)" in result.stderr
        summary = json.loads((tmp_path / "run" / "summary.json").read_text())
        assert summary["input_shape"] == [3, 16, 16]
        write_picture(tmp_path / "one.png", picture("cross", np.random.default_rng(0), 30, True))
        predicted = run_cli("predict", tmp_path / "one.png", "--run", tmp_path / "run")
        assert predicted.exit_code == 0, predicted.stderr
    finally:
        LAYERS._entries.pop("halve_pictures")


def test_the_fashion_folder_trains_as_an_image_folder_exactly_like_fashion_mnist(tmp_path,
                                                                                   repo_root):
    from conftest import write_fashion_zip
    archive = write_fashion_zip(tmp_path / "fashion.zip", per_label=12)
    assert run_cli("download-fashion", "--url", archive, "--dest", tmp_path).exit_code == 0
    folder = tmp_path / "fashion_mnist_images"
    runs = {}
    for name in ("fashion", "fashion_folder"):
        runs[name] = tmp_path / name
        result = run_cli("train", repo_root / "configs" / f"{name}.yaml", "--epochs", "2",
                         "--set", f"data.path={folder}", "--run-dir", runs[name], "-q")
        assert result.exit_code == 0, result.output
    assert (runs["fashion"] / "params.pkl").read_bytes() == \
        (runs["fashion_folder"] / "params.pkl").read_bytes()
    summaries = [json.loads((run / "summary.json").read_text()) for run in runs.values()]
    assert summaries[0]["class_names"] == summaries[1]["class_names"]
    assert summaries[0]["test_accuracy"] == summaries[1]["test_accuracy"]


def test_invert_yes_takes_the_negative_for_an_image_folder_run(shapes, tmp_path):
    """Issue 27 item 9: --invert yes was silently ignored for image-folder runs."""
    _, run, _ = shapes
    rng = np.random.default_rng(12)
    shape = picture("cross", rng, 16)
    write_picture(tmp_path / "plain.png", shape)
    write_picture(tmp_path / "negative.png", 255 - shape)
    plain = nnfs("predict", tmp_path / "plain.png", "--run", run, "--json").json()
    for invert in ("auto", "no"):   # left as it is
        assert nnfs("predict", tmp_path / "plain.png", "--run", run, "--json", "--invert",
                    invert).json()[0]["top_k"] == plain[0]["top_k"]
    turned = nnfs("predict", tmp_path / "negative.png", "--run", run, "--json",
                  "--invert", "yes").json()
    assert turned[0]["top_k"] == plain[0]["top_k"]
