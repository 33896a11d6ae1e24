"""nnfs_cli.compat under whatever versions are installed; CI runs this on the newest and
on the oldest (ci/oldest.txt), so each branch of compat runs on one end or the other."""

import os
import pickle
import re
import subprocess
import sys
from importlib import metadata

import click
import cv2
import numpy as np
import pytest

from nnfs_cli import compat

from conftest import ROOT, claimed_floors


def release(version):
    """'4.8.0.76' -> (4, 8, 0, 76); '2.4.0rc1' -> (2, 4, 0)."""
    return tuple(int(part) for part in re.match(r"\d+(\.\d+)*", version).group().split("."))


def oldest_pins():
    """{name: (version, comment)} of ci/oldest.txt."""
    pins = {}
    for line in (ROOT / "ci" / "oldest.txt").read_text().splitlines():
        requirement, _, comment = line.partition("#")
        if requirement.strip():
            name, version = requirement.split("==")
            pins[name.strip().lower().replace("_", "-")] = (version.strip(), comment.strip())
    return pins


def test_oldest_pins_are_the_floors():
    # Raise a floor in pyproject.toml and ci/oldest.txt together, or the oldest stage
    # tests versions nobody is promised (or misses ones that are).
    floors, pins = claimed_floors(), oldest_pins()
    assert pins.keys() == floors.keys()
    for name, floor in floors.items():
        (version, why), bound = pins[name], release(floor)
        pin = release(version) + (0,) * len(bound)
        assert pin[:len(bound)] == bound, (name, floor, version)
        # 1.24 -> 1.24.0; anything later than the floor's first release needs a reason.
        assert not any(pin[len(bound):]) or why, f"{name}=={version}: say why not {floor}"


def test_installed_versions_are_within_the_floors():
    for name, floor in claimed_floors().items():
        assert release(metadata.version(name)) >= release(floor), name


def test_numpy_pickle_globals_hold_this_numpys_reducers_under_both_names():
    table = compat.numpy_pickle_globals()
    written = "numpy._core" if release(np.__version__) >= (2,) else "numpy.core"
    assert f"{written}.multiarray".encode() in pickle.dumps(np.ones(2), protocol=4)
    for package in ("numpy.core", "numpy._core"):
        assert table[(f"{package}.multiarray", "_reconstruct")] is np.ones(2).__reduce__()[0]
        assert table[(f"{package}.multiarray", "scalar")] is np.float32(1).__reduce__()[0]
    if release(np.__version__) < (1, 25):
        assert not any(module == "numpy.dtypes" for module, _ in table)  # new in 1.25
    else:
        assert table[("numpy.dtypes", "Float32DType")] is type(np.dtype(np.float32))


def test_safe_pickle_imports_after_opencv():
    # opencv-python 4.11 imports numpy._core, which NumPy 1.26 has as a stub without
    # multiarray: choosing the package by whether `np._core` exists broke this import.
    code = "import cv2; from nnfs_cli.runs import safe_pickle; print(len(safe_pickle._ALLOWED))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def broken_pngs():
    png = cv2.imencode(".png", np.zeros((40, 40), np.uint8))[1].tobytes()
    return [png[:60], b"\x89PNG\r\n\x1a\n" + bytes(40)]


def decode_all(blobs):
    for blob in blobs:
        assert cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_UNCHANGED) is None


def test_quiet_opencv_silences_broken_files(capfd):
    decode_all(broken_pngs())
    if not capfd.readouterr().err:
        pytest.skip(f"OpenCV {cv2.__version__} prints nothing for a broken PNG")
    with compat.quiet_opencv():
        decode_all(broken_pngs())
    assert capfd.readouterr().err == ""


def test_quiet_opencv_restores_stderr_and_the_log_level(capfd):
    logging = getattr(cv2.utils, "logging", None)
    level = logging.getLogLevel() if logging else None
    stderr = os.fstat(2)
    with pytest.raises(ValueError), compat.quiet_opencv():
        raise ValueError
    assert os.path.samestat(os.fstat(2), stderr)
    assert (logging.getLogLevel() if logging else None) == level
    os.write(2, b"still here\n")
    assert capfd.readouterr().err == "still here\n"


def test_cli_runner_keeps_stdout_and_stderr_apart():
    @click.command()
    def both():
        click.echo("out")
        click.echo("err", err=True)

    result = compat.cli_runner().invoke(both)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "out\n", "err\n")
