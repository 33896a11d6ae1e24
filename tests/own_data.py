"""Helpers for the tests of one's own data (csv, npz, image_folder): the installed `nnfs`
command run as a user runs it, and small generated data sets that a model learns in a few
epochs."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

NNFS = shutil.which("nnfs", path=str(Path(sys.executable).parent)) or shutil.which("nnfs")


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


def nnfs(*args, cwd=None, timeout=180, env=None):
    """The installed `nnfs` with `args`, in `cwd` (with the variables `env` added to the
    environment); never a traceback."""
    result = subprocess.run([NNFS, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                            timeout=timeout, env=None if env is None else {**os.environ, **env})
    assert "Traceback" not in result.stderr, result.stderr
    return Done(result.returncode, result.stdout, result.stderr)


def config(folder, data, model, loss="categorical_crossentropy", epochs=30, extra=""):
    """A config file in `folder` for the data section `data` (YAML text) and the model items."""
    path = Path(folder) / "config.yaml"
    layers = "".join(f"  - {item}\n" for item in model)
    path.write_text(f"seed: 0\ndata:\n{textwrap.indent(textwrap.dedent(data).strip(), '  ')}\n"
                    f"model:\n{layers}loss: {loss}\n"
                    f"optimizer: {{name: adam, learning_rate: 0.02}}\n"
                    f"training: {{epochs: {epochs}, batch_size: 32}}\n{extra}")
    return path


def classifier(classes, hidden=16):
    return [f"dense: {{units: {hidden}}}", "relu", f"dense: {{units: {classes}}}", "softmax"]


def regressor(hidden=16):
    return [f"dense: {{units: {hidden}, init: he_normal}}", "relu", "dense: {units: 1}", "linear"]


# --- tables -------------------------------------------------------------------------------

FRUIT_HEADER = ["weight", "color", "length", "size"]
HOUSE_HEADER = ["rooms", "area", "district", "price"]
SIZES = ["small", "medium", "large"]
COLORS = ["red", "green", "blue"]


def fruit_rows(n, seed=0):
    """Rows of (weight, color, length, size): `size` follows weight, and `color` shifts it."""
    rng = np.random.default_rng(seed)
    size = rng.integers(0, 3, n)
    color = rng.integers(0, 3, n)
    weight = 100 + 80 * size + 15 * (color == 2) + rng.normal(0, 8, n)
    length = rng.normal(10, 2, n)
    return [(f"{w:.1f}", COLORS[c], f"{le:.2f}", SIZES[s])
            for w, c, le, s in zip(weight, color, length, size)]


def write_csv(path, header, rows):
    Path(path).write_text(",".join(header) + "\n" + "".join(",".join(row) + "\n" for row in rows))
    return Path(path)


def house_rows(n, seed=0):
    """Rows of (rooms, area, district, price): price = 50,000 * rooms + 1,000 * area + noise."""
    rng = np.random.default_rng(seed)
    rooms = rng.integers(1, 6, n)
    area = rng.uniform(30, 150, n)
    district = rng.integers(0, 2, n)
    price = 50_000 * rooms + 1_000 * area + 40_000 * district + rng.normal(0, 5_000, n)
    return [(str(r), f"{a:.1f}", ["north", "south"][d], f"{p:.0f}")
            for r, a, d, p in zip(rooms, area, district, price)]


# --- pictures -----------------------------------------------------------------------------

SHAPES = ["circle", "cross", "square"]


def picture(kind, rng, size=40, color=False):
    """A light `kind` (circle, cross, square) on a dark background, jittered."""
    image = rng.integers(0, 40, (size, size), dtype=np.uint8)
    centre = size // 2 + rng.integers(-3, 4, 2)
    radius = size // 3
    if kind == "circle":
        cv2.circle(image, tuple(int(v) for v in centre), radius, 230, -1)
    elif kind == "cross":
        cv2.line(image, (4, 4), (size - 5, size - 5), 230, 5)
        cv2.line(image, (4, size - 5), (size - 5, 4), 230, 5)
    else:
        cv2.rectangle(image, (6, 6), (size - 7, size - 7), 230, 4)
    if color:
        image = np.dstack([image, image // 2, 255 - image])   # BGR
    return image


def write_picture(path, image, kind=None):
    ok, data = cv2.imencode(kind or Path(path).suffix, image)
    assert ok
    Path(path).write_bytes(data.tobytes())
    return Path(path)


def image_folder(root, per_class=12, split=None, color=False, seed=0, sizes=(40, 52)):
    """root/<shape>/NNN.png|jpg: PNG and JPEG pictures of different sizes per class."""
    rng = np.random.default_rng(seed)
    for kind in SHAPES:
        folder = Path(root) / (split or "") / kind
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            size = sizes[index % len(sizes)]
            suffix = ".png" if index % 2 else ".jpg"
            write_picture(folder / f"{index:03d}{suffix}", picture(kind, rng, size, color))
    return Path(root)
