"""Small trained runs for the evaluate and predict tests. The Fashion-MNIST one learns from a
subset of the real images, read in memory from the shared archive into the session's tmp dir;
each run is trained once per session through `nnfs train`."""

import textwrap
import zipfile
from pathlib import Path

import pytest

from nnfs_cli.cli import cli
from nnfs_cli.compat import cli_runner

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FASHION_ZIP = SHARED / "datasets" / "fashion_mnist_images.zip"
PANTS = Path(__file__).resolve().parents[1] / "examples" / "pants.png"   # shipped with the repo
needs_fashion = pytest.mark.skipif(not FASHION_ZIP.exists(),
                                   reason=f"no shared Fashion-MNIST archive at {FASHION_ZIP}")
TRAIN_PER_LABEL, TEST_PER_LABEL = 100, 30

FASHION = """\
seed: 0
data: {name: fashion_mnist, path: PATH, validation_split: 0.1}
model:
  - dense: {units: 64}
  - relu
  - dense: {units: 10}
  - softmax
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.002}
training: {epochs: 5, batch_size: 32}
"""

# Every image layer; batch norm's running statistics must reach evaluate and predict too,
# and augmentation must not (it acts in training only).
FASHION_CNN = """\
seed: 0
data: {name: fashion_mnist, path: PATH, validation_split: 0.1}
model:
  - random_flip
  - random_translation: {pixels: 1}
  - conv2d: {filters: 8, kernel_size: 3, init: he_normal}
  - relu
  - max_pool2d
  - conv2d: {filters: 8, kernel_size: 3, padding: same, init: he_normal}
  - batch_norm
  - relu
  - avg_pool2d: {pool_size: 3, stride: 2}
  - flatten
  - dense: {units: 10, init: glorot_uniform}
  - softmax
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.005}
training: {epochs: 4, batch_size: 32}
"""

SPIRAL = """\
seed: 3
data: {name: spiral, samples: 100, classes: 3, validation_samples: 50}
model:
  - dense: {units: 16}
  - relu
  - dense: {units: 3}
  - softmax
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.02}
training: {epochs: 30, batch_size: 64}
"""

SINE = """\
seed: 1
data: {name: sine, samples: 200, validation_samples: 50}
model:
  - dense: {units: 16, init: normal_0.1}
  - relu
  - dense: {units: 1, init: normal_0.1}
  - linear
loss: mean_squared_error
optimizer: {name: adam, learning_rate: 0.005}
training: {epochs: 50}
"""


def fashion_subset(tmp_path_factory):
    """DIR/fashion_mnist_images/{train,test}/<label>/NNNN.png: the first images of each label."""
    root = tmp_path_factory.getbasetemp() / "fashion-subset" / "fashion_mnist_images"
    if root.exists():
        return root
    if not FASHION_ZIP.exists():   # a user's clone has no ../shared: skip, saying why
        pytest.skip(f"no shared Fashion-MNIST archive at {FASHION_ZIP}")
    with zipfile.ZipFile(FASHION_ZIP) as archive:
        for split, count in (("train", TRAIN_PER_LABEL), ("test", TEST_PER_LABEL)):
            for label in range(10):
                folder = root / split / str(label)
                folder.mkdir(parents=True)
                for index in range(count):
                    name = f"{index:04d}.png"
                    (folder / name).write_bytes(archive.read(f"{split}/{label}/{name}"))
    return root


def trained(tmp_path_factory, name, config_text):
    """The run `name`, trained with `config_text` the first time it is asked for."""
    base = tmp_path_factory.getbasetemp()
    run_dir = base / "runs" / name
    if not (run_dir / "summary.json").exists():
        config = base / f"{name}.yaml"
        config.write_text(textwrap.dedent(config_text))
        result = cli_runner().invoke(cli, ["train", str(config), "--run-dir", str(run_dir), "-q"])
        assert result.exit_code == 0, result.output
    return run_dir


def fashion_run(tmp_path_factory):
    path = fashion_subset(tmp_path_factory)
    return trained(tmp_path_factory, "fashion", FASHION.replace("PATH", str(path)))


def fashion_cnn_run(tmp_path_factory):
    path = fashion_subset(tmp_path_factory)
    return trained(tmp_path_factory, "fashion_cnn", FASHION_CNN.replace("PATH", str(path)))


def spiral_run(tmp_path_factory):
    return trained(tmp_path_factory, "spiral", SPIRAL)


def sine_run(tmp_path_factory):
    return trained(tmp_path_factory, "sine", SINE)


def run_cli(*args):
    """`nnfs ARGS...` through CliRunner; never a traceback."""
    result = cli_runner().invoke(cli, [str(arg) for arg in args])
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result
