"""Wall time of a sweep with 1 and 2 workers: `nnfs sweep sweeps/spiral.yaml` (20 trials of
configs/spiral.yaml) run through the installed `nnfs`, each in a fresh folder.

    python bench/bench_sweep.py                    # 1 then 2 workers (~7 min on 2 cores)
    python bench/bench_sweep.py --method random --pruner none   # the same work for both

CPU seconds are those of the sweep and all its worker processes; the load average is the
machine's, read before each run (other work on the machine slows a sweep down).
"""

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NNFS = str(Path(sys.executable).parent / "nnfs")


def run_sweep(workers, trials, pruner, method, sweep):
    with tempfile.TemporaryDirectory(prefix="nnfs-bench-sweep-") as folder:
        folder = Path(folder)
        shutil.copytree(ROOT / "configs", folder / "configs")
        shutil.copytree(ROOT / "sweeps", folder / "sweeps")
        command = [NNFS, "sweep", f"sweeps/{sweep}.yaml", "--workers", str(workers),
                   "--trials", str(trials), "--name", "bench"]
        path = folder / "sweeps" / f"{sweep}.yaml"
        lines = path.read_text().splitlines()
        for key, value in (("pruner", pruner), ("method", method)):
            if value:
                lines = [f"{key}: {value}" if line.startswith(f"{key}:") else line
                         for line in lines]
        path.write_text("\n".join(lines) + "\n")
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, cwd=folder, check=True, capture_output=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        with open(folder / "runs" / "sweeps" / "bench" / "sweep.csv", newline="") as f:
            rows = list(csv.DictReader(f))
    finished = [row for row in rows if row["state"] == "finished"]
    columns = list(rows[0])
    metric = columns[columns.index("state") - 1]
    return {"workers": workers, "wall": wall, "cpu": cpu, "load": load,
            "finished": len(finished), "pruned": sum(row["state"] == "pruned" for row in rows),
            "best": max(float(row[metric]) for row in finished) if finished else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2", help="comma-separated (default 1,2)")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds")
    parser.add_argument("--pruner", choices=("none",),
                        help="none: every trial trains fully (default: as the sweep file says)")
    parser.add_argument("--method", choices=("tpe", "random", "grid"),
                        help="instead of the sweep file's; random proposes the same trials "
                        "whatever the number of workers, so both do the same work")
    parser.add_argument("--sweep", default="spiral", help="a file in sweeps/ (default spiral)")
    args = parser.parse_args()
    counts = [int(count) for count in args.workers.split(",")]
    print(f"{'workers':>7} {'wall s':>8} {'cpu s':>8} {'load':>5} {'finished':>8} "
          f"{'pruned':>6} {'best':>7}")
    for round_ in range(args.rounds):
        for workers in counts if round_ % 2 == 0 else counts[::-1]:
            r = run_sweep(workers, args.trials, args.pruner, args.method, args.sweep)
            best = "-" if r["best"] is None else f"{r['best']:.4f}"
            print(f"{r['workers']:>7} {r['wall']:>8.1f} {r['cpu']:>8.1f} {r['load']:>5.1f} "
                  f"{r['finished']:>8} {r['pruned']:>6} {best:>7}", flush=True)


if __name__ == "__main__":
    main()
