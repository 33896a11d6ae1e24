import re
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def claimed_floors():
    """{name: lower bound} of every requirement in pyproject.toml, the test extra included."""
    try:
        import tomllib
    except ImportError:  # Python 3.10; pytest 7+ depends on tomli there
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors = {}
    for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
        name, floor = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement).groups()
        floors[name.lower().replace("_", "-")] = floor
    return floors


def pytest_report_header():
    """Which versions this run tests: CI runs the newest and the oldest (ci/oldest.txt)."""
    versions = (f"{name} {metadata.version(name)}" for name in claimed_floors())
    return "dependencies: " + ", ".join(versions)


@pytest.fixture
def write_config(tmp_path):
    """Write a YAML config (dedented) into tmp_path; returns its path."""
    def write(text, name="config.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path
    return write


SPIRAL = """\
seed: 3
data: {name: spiral, samples: 100, classes: 3, validation_samples: 50}
model:
  - dense: {units: 16}
  - relu
  - dense: {units: 3}
  - softmax
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.02, decay: 5e-7}
training: {epochs: 5, batch_size: 64}
"""


@pytest.fixture
def spiral_config(write_config):
    return write_config(SPIRAL, "spiral.yaml")


@pytest.fixture
def repo_root():
    return Path(__file__).resolve().parents[1]


REAL_ARCHIVE = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "fashion_mnist_images.zip"


def write_fashion_zip(path, per_label=20, seed=0):
    """A small learnable archive in the nnfs.io layout: label k is a bright band at rows 2k-2k+5."""
    import zipfile

    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    with zipfile.ZipFile(path, "w") as zf:
        for split in ("train", "test"):
            for label in range(10):
                for index in range(per_label):
                    image = rng.integers(0, 90, (28, 28), dtype=np.uint8)
                    image[2 * label + 2:2 * label + 6, 4:24] = rng.integers(180, 256, (4, 20))
                    png = cv2.imencode(".png", image)[1].tobytes()
                    zf.writestr(f"{split}/{label}/{index:04d}.png", png)
    return path


@pytest.fixture(scope="session")
def real_fashion_download(tmp_path_factory):
    """The real Fashion-MNIST, fetched once through `nnfs download-fashion` from a file:// URL:
    the CliRunner result and the data set folder."""
    if not REAL_ARCHIVE.exists():
        pytest.skip(f"the real archive is not at {REAL_ARCHIVE}")
    from nnfs_cli.cli import cli
    from nnfs_cli.compat import cli_runner

    dest = tmp_path_factory.mktemp("real-fashion")
    result = cli_runner().invoke(cli, ["download-fashion", "--url", REAL_ARCHIVE.as_uri(),
                                       "--dest", str(dest)])
    assert result.exit_code == 0, result.output
    return result, dest / "fashion_mnist_images"


@pytest.fixture(scope="session")
def real_fashion(real_fashion_download):
    """The folder of the real Fashion-MNIST (downloaded once per test session)."""
    return real_fashion_download[1]


# Runs trained once per session and shared by the evaluate and predict tests (fashion_runs.py).
@pytest.fixture(scope="session")
def fashion(tmp_path_factory):
    from fashion_runs import fashion_run
    return fashion_run(tmp_path_factory)


@pytest.fixture(scope="session")
def fashion_cnn(tmp_path_factory):
    from fashion_runs import fashion_cnn_run
    return fashion_cnn_run(tmp_path_factory)


@pytest.fixture(scope="session")
def spiral(tmp_path_factory):
    from fashion_runs import spiral_run
    return spiral_run(tmp_path_factory)


@pytest.fixture(scope="session")
def sine(tmp_path_factory):
    from fashion_runs import sine_run
    return sine_run(tmp_path_factory)
