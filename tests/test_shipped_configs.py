"""The configs in configs/ reach what the README promises (trained in full: marked slow)."""

import json

import pytest
from click.testing import CliRunner

from nnfs_cli import config
from nnfs_cli.cli import cli


def train(repo_root, name, tmp_path):
    result = CliRunner().invoke(cli, ["train", str(repo_root / "configs" / f"{name}.yaml"),
                                      "--run-dir", str(tmp_path / name), "-q"])
    assert result.exit_code == 0, result.output
    return json.loads((tmp_path / name / "summary.json").read_text())


def test_every_shipped_config_is_valid(repo_root):
    names = sorted(path.stem for path in (repo_root / "configs").glob("*.yaml"))
    assert names == ["binary", "fashion", "fashion_cnn", "fashion_large", "sine", "spiral",
                     "vertical"]
    for name in names:
        config.load(repo_root / "configs" / f"{name}.yaml")


@pytest.mark.slow
def test_spiral_reaches_090(repo_root, tmp_path):
    assert train(repo_root, "spiral", tmp_path)["val_accuracy"] >= 0.90


@pytest.mark.slow
def test_sine_reaches_mse_0001(repo_root, tmp_path):
    assert train(repo_root, "sine", tmp_path)["val_loss"] <= 0.001


@pytest.mark.slow
@pytest.mark.parametrize("name", ["binary", "vertical"])
def test_small_classifiers_learn(repo_root, tmp_path, name):
    assert train(repo_root, name, tmp_path)["val_accuracy"] >= 0.9
