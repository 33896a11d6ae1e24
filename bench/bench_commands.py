"""How long commands take end to end, as a user starts them: `nnfs --help`, `--version`,
`runs`, `predict one.png`, and `predict DIR` over many pictures (issue 29 items 3 and 5).

    python bench/bench_commands.py --run runs/fashion-... [--folder DIR] [--repeats 10]

Each command runs `--repeats` times in a fresh process (wall seconds, median and range; the
first run is a warm-up for the page cache and is not counted). With hyperfine installed
(a Debian package) it is used instead for the short commands. `--folder` is a folder of
PNG files (for example the 10,000 test pictures copied flat); where its time goes:
`python -m cProfile -s tottime -m nnfs_cli predict DIR --run RUN`.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fashion import ROOT, header  # noqa: E402


def timed_runs(command, repeats):
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)   # warm-up
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        seconds.append(time.perf_counter() - start)
    return seconds


def report(label, seconds):
    print(f"{label:44} median {statistics.median(seconds):7.3f} s  "
          f"(min {min(seconds):.3f}, max {max(seconds):.3f}, n={len(seconds)})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a finished Fashion-MNIST run")
    parser.add_argument("--folder", help="a folder of PNG files to predict")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--picture", default="examples/pants.png")
    args = parser.parse_args()
    header(columns=False)
    nnfs = [str(Path(sys.executable).with_name("nnfs"))]
    os.environ.setdefault("NNFS_THREADS", "1")
    commands = [("nnfs --help", nnfs + ["--help"]), ("nnfs --version", nnfs + ["--version"]),
                ("nnfs runs", nnfs + ["runs"]),
                (f"nnfs predict {args.picture}", nnfs + ["predict", args.picture,
                                                          "--run", args.run])]
    hyperfine = shutil.which("hyperfine")
    print(f"timer: {'hyperfine' if hyperfine else 'fresh subprocesses, perf_counter'}")
    for label, command in commands:
        if hyperfine:
            subprocess.run([hyperfine, "-N", "-w", "1", "-r", str(args.repeats),
                            " ".join(command)], cwd=ROOT, check=True)
        else:
            report(label, timed_runs(command, args.repeats))
    if args.folder:
        count = len(list(Path(args.folder).iterdir()))
        command = nnfs + ["predict", args.folder, "--run", args.run, "--top-k", "1"]
        report(f"nnfs predict DIR ({count} files)", timed_runs(command, max(3, args.repeats // 3)))
    print(f"load average at the end: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
