"""Issue 29: commands that compute nothing start without NumPy (the registries fill
themselves on first use), so `nnfs --help` and `nnfs runs` answer at once."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["train", "--help"], ["runs"],
                                  ["predict", "--help"], ["serve", "--help"], ["plot", "--help"],
                                  ["gradcheck", "--help"], ["lr-find", "--help"]])
def test_commands_that_compute_nothing_never_import_numpy(args, tmp_path):
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "nnfs_cli", *args],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")]
    assert imported, "python -X importtime printed nothing"
    assert not [name for name in imported if name.split(".")[0] in ("numpy", "cv2", "matplotlib")]


def test_a_registry_fills_itself_when_first_asked():
    code = ("import sys; from nnfs_cli.registry import LAYERS; assert 'numpy' not in sys.modules; "
            "print(LAYERS.names())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "dense" in result.stdout and "conv2d" in result.stdout
