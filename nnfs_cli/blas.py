"""Which BLAS runs the matrix products, and whether its kernel is a slow fallback for this CPU
(OPENBLAS_CORETYPE=Haswell on an AVX-512 machine runs them at about half speed)."""

import os
from pathlib import Path

# OpenBLAS kernels (threadpoolctl's "architecture", lower case) by the widest vector
# instructions they use: 0 SSE, 1 AVX, 2 AVX2 + FMA, 3 AVX-512.
KERNEL_LEVELS = {
    **dict.fromkeys(("katmai", "coppermine", "northwood", "prescott", "banias", "atom",
                     "core2", "penryn", "dunnington", "nehalem", "athlon", "opteron",
                     "opteron_sse3", "barcelona", "nano"), 0),
    **dict.fromkeys(("sandybridge", "bulldozer", "piledriver", "steamroller", "excavator"), 1),
    **dict.fromkeys(("haswell", "zen"), 2),
    **dict.fromkeys(("skylakex", "cooperlake", "sapphirerapids"), 3),
}
# The /proc/cpuinfo flags a CPU needs for each level.
LEVEL_FLAGS = {
    3: {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"},
    2: {"avx2", "fma"},
    1: {"avx"},
}
LEVEL_NAMES = {0: "SSE", 1: "AVX", 2: "AVX2", 3: "AVX-512"}


def info():
    """The BLAS NumPy does its matrix products with: kernel and thread count (for
    summary.json). Other libraries' BLAS in this process (OpenCV bundles its own) are left
    out: nothing of ours runs on them."""
    import numpy
    from threadpoolctl import threadpool_info
    pools = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return [{key: pool.get(key) for key in ("internal_api", "architecture", "num_threads")}
            for pool in numpy_pools(pools, Path(numpy.__file__).parent)]


def numpy_pools(pools, numpy_dir):
    """Those of threadpoolctl's `pools` that NumPy (installed in `numpy_dir`) uses: a wheel's
    BLAS lives in numpy/ or numpy.libs/ beside it; a NumPy built against the system's BLAS
    has none there, and then every pool not bundled in another package's folder counts."""
    numpy_dir = Path(numpy_dir)
    own = (numpy_dir, numpy_dir.parent / "numpy.libs", numpy_dir.parent / ".dylibs")
    chosen = [pool for pool in pools if _inside(pool.get("filepath"), own)]
    if chosen:
        return chosen
    site = numpy_dir.parent
    return [pool for pool in pools if not _inside(pool.get("filepath"), (site,))]


def _inside(filepath, folders):
    if not filepath:
        return False
    path = Path(filepath)
    return any(path.is_relative_to(folder) for folder in folders)

def cpu_flags(path="/proc/cpuinfo"):
    """The CPU's feature flags; empty where /proc/cpuinfo has none (not Linux, not x86)."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return set(value.split())
    return set()


def cpu_level(flags):
    return max((level for level, needed in LEVEL_FLAGS.items() if needed <= set(flags)),
               default=0)


def slow_kernel_warning(pools, flags, environ):
    """A one-line warning when a BLAS in `pools` (as `info()` gives them) runs a kernel for
    older processors than the CPU with `flags`; None when all is well or unknown."""
    best = cpu_level(flags)
    for pool in pools:
        kernel = pool.get("architecture") or ""
        level = KERNEL_LEVELS.get(kernel.lower())
        if level is None or level >= best:
            continue
        message = (f"warning: {pool.get('internal_api') or 'BLAS'} runs its {kernel} kernel "
                   f"({LEVEL_NAMES[level]}) on a CPU with {LEVEL_NAMES[best]}, so matrix "
                   f"products run slower than they could (about half speed)")
        forced = environ.get("OPENBLAS_CORETYPE")
        if forced:
            message += f"; OPENBLAS_CORETYPE={forced} forces it: unset it to let OpenBLAS choose"
        return message
    return None


def warnings():
    """The warnings about this process's BLAS, as a list of lines (empty when all is well)."""
    message = slow_kernel_warning(info(), cpu_flags(), os.environ)
    return [message] if message else []
