"""The warning about a slow BLAS kernel: detection on given inputs, and `nnfs train` printing
and recording it. OPENBLAS_CORETYPE itself is never changed here."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnfs_cli import blas
from nnfs_cli.cli import cli
from nnfs_cli.compat import cli_runner

AVX512 = {"sse2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq",
          "avx512cd"}
AVX2 = {"sse2", "avx", "avx2", "fma"}


def pool(architecture, api="openblas"):
    return {"internal_api": api, "architecture": architecture, "num_threads": 1}


@pytest.mark.parametrize("architecture, flags, slow", [
    ("Haswell", AVX512, True),        # OPENBLAS_CORETYPE=Haswell on an AVX-512 machine
    ("Sandybridge", AVX512, True),
    ("Prescott", AVX2, True),
    ("SkylakeX", AVX512, False),
    ("Cooperlake", AVX512, False),
    ("Haswell", AVX2, False),         # the best this CPU can do
    ("Zen", AVX2, False),
    ("SkylakeX", AVX2, False),        # never warn that a kernel is too new
    ("Haswell", set(), False),        # no flags (not x86, no /proc/cpuinfo): no opinion
    ("neoversen1", AVX512, False),    # a kernel name this table does not know
    (None, AVX512, False),            # a BLAS that does not say (MKL, BLIS)
])
def test_slow_kernel_detection(architecture, flags, slow):
    message = blas.slow_kernel_warning([pool(architecture)], flags, {})
    assert (message is not None) == slow
    if slow:
        assert message.startswith(f"warning: openblas runs its {architecture} kernel")
        assert "OPENBLAS_CORETYPE" not in message


def test_the_warning_names_a_forced_core_type():
    message = blas.slow_kernel_warning([pool("Haswell")], AVX512, {"OPENBLAS_CORETYPE": "Haswell"})
    assert message == ("warning: openblas runs its Haswell kernel (AVX2) on a CPU with AVX-512, "
                       "so matrix products run slower than they could (about half speed); "
                       "OPENBLAS_CORETYPE=Haswell forces it: unset it to let OpenBLAS choose")


def test_any_slow_pool_is_reported():
    pools = [pool("SkylakeX"), pool("Haswell", api="openblas-two")]
    assert blas.slow_kernel_warning(pools, AVX512, {}).startswith("warning: openblas-two")


def test_a_cpu_needs_every_flag_of_a_level():
    assert blas.cpu_level(AVX512) == 3
    assert blas.cpu_level(AVX512 - {"avx512bw"}) == 2   # Xeon Phi: AVX-512F without BW/VL
    assert blas.cpu_level(AVX2 - {"fma"}) == 1
    assert blas.cpu_level(set()) == 0


def test_cpu_flags_from_a_cpuinfo_file(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\n"
                       "flags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\n")
    assert blas.cpu_flags(cpuinfo) == {"fpu", "sse2", "avx", "avx2", "fma"}
    (tmp_path / "arm").write_text("processor\t: 0\nFeatures\t: fp asimd\n")
    assert blas.cpu_flags(tmp_path / "arm") == set()
    assert blas.cpu_flags(tmp_path / "missing") == set()


def test_this_machine_gives_a_list():
    assert isinstance(blas.warnings(), list)
    assert all(set(p) == {"internal_api", "architecture", "num_threads"} for p in blas.info())


@pytest.mark.parametrize("architecture", ["Haswell", "SkylakeX"])
def test_train_prints_and_records_the_warning(spiral_config, tmp_path, monkeypatch, architecture):
    monkeypatch.setattr(blas, "info", lambda: [pool(architecture)])
    monkeypatch.setattr(blas, "cpu_flags", lambda: AVX512)
    run_dir = tmp_path / "run"
    result = cli_runner().invoke(cli, ["train", str(spiral_config), "--run-dir", str(run_dir)])
    assert result.exit_code == 0, result.output
    summary = json.loads((run_dir / "summary.json").read_text())
    log = (run_dir / "train.log").read_text()
    start = "warning: openblas runs its Haswell kernel (AVX2) on a CPU with AVX-512"
    if architecture == "Haswell":
        assert len(summary["warnings"]) == 1 and summary["warnings"][0].startswith(start)
        assert summary["warnings"][0] + "\n" in result.stderr
        assert summary["warnings"][0] + "\n" in log
    else:
        assert summary["warnings"] == []
        assert "warning:" not in result.stderr + log
    assert summary["blas"] == [pool(architecture)]


def test_the_installed_nnfs_records_what_this_machine_deserves(spiral_config, tmp_path):
    """The real detection, end to end: whatever kernel and CPU this machine has, the warning
    in summary.json is the one the detection gives for them (no environment changed)."""
    nnfs = str(Path(sys.executable).parent / "nnfs")
    run_dir = tmp_path / "run"
    result = subprocess.run([nnfs, "train", str(spiral_config), "--run-dir", str(run_dir)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    expected = blas.slow_kernel_warning(summary["blas"], blas.cpu_flags(), os.environ)
    assert summary["warnings"] == ([expected] if expected else [])
    for line in summary["warnings"]:
        assert line + "\n" in result.stderr


def test_only_numpys_blas_is_judged(tmp_path):
    """OpenCV's wheel bundles an old OpenBLAS (0.3.15, Prescott kernel on a new CPU) that
    nothing of ours calls: it must not make a warning, nor appear in summary.json."""
    site = tmp_path / "site-packages"
    numpy_dir = site / "numpy"
    numpys = dict(pool("SkylakeX"), filepath=str(site / "numpy.libs" / "libscipy_openblas64_.so"))
    opencvs = dict(pool("Prescott"), filepath=str(site / "opencv_python_headless.libs" /
                                                  "libopenblasp-r0.3.15.so"))
    assert blas.numpy_pools([numpys, opencvs], numpy_dir) == [numpys]
    assert blas.slow_kernel_warning(blas.numpy_pools([opencvs, numpys], numpy_dir),
                                    AVX512, {}) is None
    # A NumPy linked against the system's OpenBLAS: that one, not OpenCV's bundled copy.
    system = dict(pool("Haswell"), filepath="/usr/lib/x86_64-linux-gnu/libopenblas.so.0")
    assert blas.numpy_pools([system, opencvs], numpy_dir) == [system]


def test_opencv_loaded_leaves_the_verdict_to_numpys_blas():
    code = ("import cv2, numpy; from threadpoolctl import threadpool_info; from nnfs_cli import blas;"
            "print(len([p for p in threadpool_info() if p['user_api'] == 'blas']), len(blas.info()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[1] == "1", out   # this wheel's NumPy has one BLAS, whatever OpenCV brings
