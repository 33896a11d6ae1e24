"""The configs in configs/ reach what the README promises (trained in full: marked slow)."""

import json
from pathlib import Path

import pytest

from nnfs_cli import config
from nnfs_cli.cli import cli
from nnfs_cli.compat import cli_runner


def train(repo_root, name, tmp_path):
    result = cli_runner().invoke(cli, ["train", str(repo_root / "configs" / f"{name}.yaml"),
                                       "--run-dir", str(tmp_path / name), "-q"])
    assert result.exit_code == 0, result.output
    return json.loads((tmp_path / name / "summary.json").read_text())


def train_with(tmp_path, name, *overrides):
    root = Path(__file__).resolve().parents[1]
    args = [arg for override in overrides for arg in ("--set", override)]
    result = cli_runner().invoke(cli, ["train", str(root / "configs" / f"{name}.yaml"), *args,
                                       "--run-dir", str(tmp_path / name), "-q"])
    assert result.exit_code == 0, result.output
    return json.loads((tmp_path / name / "summary.json").read_text())


def test_every_shipped_config_is_valid(repo_root):
    names = sorted(path.stem for path in (repo_root / "configs").glob("*.yaml"))
    assert names == ["binary", "fashion", "fashion_cnn", "fashion_folder", "fashion_large",
                     "fashion_tuned", "iris", "sine", "spiral", "vertical"]
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


def test_iris_reaches_the_accuracy_people_report(repo_root, tmp_path, monkeypatch):
    # The example's path is relative to the repository, as in the README's commands.
    monkeypatch.chdir(repo_root)
    summary = train(repo_root, "iris", tmp_path)
    # Seeds 0-9 give 0.933-1.0 on the 30 held-out flowers, 0.963 on average.
    assert summary["val_accuracy"] >= 0.93
    assert summary["class_names"] == ["setosa", "versicolor", "virginica"]


@pytest.mark.slow
def test_fashion_folder_is_fashion_as_a_folder(real_fashion, tmp_path):
    summary = train_with(tmp_path, "fashion_folder", f"data.path={real_fashion}")
    assert summary["test_accuracy"] >= 0.86   # fashion.yaml's 0.873, here to the last digit
    assert summary["class_names"][0] == "T-shirt/top"
