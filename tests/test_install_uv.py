"""A fresh `uv pip install` gives the `nnfs` command to this tool, every time (issue 17).

The book's PyPI package `nnfs` also installs an `nnfs` script; uv writes packages in parallel, so
while it was a dependency either script could end up in bin/. It is no longer installed.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnfs_cli import __version__

INSTALLS = 3
# Left out of the copy: what a checkout may hold besides the sources (setuptools would also reuse
# a stale build/ of the checkout, and write a new one into it).
# datasets/ and runs/ only at the top: nnfs_cli/runs/ is a package.
ANYWHERE = shutil.ignore_patterns("*.egg-info", "__pycache__", ".pytest_cache")
AT_THE_TOP = {".git", ".venv", ".venv-oldest", "build", "datasets", "runs"}


def not_sources(folder, names):
    ignored = set(ANYWHERE(folder, names))
    if Path(folder) == Path(__file__).resolve().parents[1]:
        ignored |= AT_THE_TOP & set(names)
    return ignored


def find_uv():
    """The uv binary of the `uv` package (a test dependency), else one on PATH; None if neither."""
    try:
        from uv import find_uv_bin
        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def uv(*args, timeout=600):
    result = subprocess.run([UV, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result.stdout


UV = find_uv()


@pytest.mark.skipif(UV is None, reason="uv not found: pip install '.[test]' brings it")
def test_uv_install_into_fresh_venvs_gives_our_nnfs(repo_root, spiral_config, tmp_path):
    source = tmp_path / "source"
    shutil.copytree(repo_root, source, ignore=not_sources)
    for index in range(INSTALLS):
        venv = tmp_path / f"venv{index}"
        uv("venv", "--quiet", "--python", sys.executable, venv)
        uv("pip", "install", "--quiet", "--python", venv / "bin" / "python", source)
        installed = json.loads(uv("pip", "list", "--python", venv / "bin" / "python",
                                  "--format", "json"))
        assert "nnfs" not in {package["name"] for package in installed}
        version = subprocess.run([venv / "bin" / "nnfs", "--version"], capture_output=True,
                                 text=True, timeout=60)
        assert version.returncode == 0, version.stderr
        assert version.stdout.strip() == f"nnfs (nnfs_cli), version {__version__}"

    # The shadowed command used to exit 0 having done nothing: this one trains.
    train = subprocess.run([venv / "bin" / "nnfs", "train", spiral_config, "--run-dir",
                            tmp_path / "run", "-q"], capture_output=True, text=True, timeout=120)
    assert train.returncode == 0, train.stderr
    assert (tmp_path / "run" / "summary.json").is_file()
    module = subprocess.run([venv / "bin" / "python", "-m", "nnfs_cli", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert module.stdout.strip() == f"nnfs (nnfs_cli), version {__version__}"
