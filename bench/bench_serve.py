"""How fast does `nnfs serve` answer? Requests per second and p50/p99 latency of POST /predict
with 1 and 100 rows per request, from 1 and 16 concurrent clients, to a Fashion-MNIST model
(pixel arrays) and a csv model (iris rows by column name); beside them, the latency of the
same batches in-process, through nnfs's Python API and through onnxruntime on the run's ONNX
export (one thread each, as the server has).

    python bench/bench_serve.py                          # trains the two runs if not given
    python bench/bench_serve.py --fashion-run runs/fashion-20261127-141336 --csv-run runs/iris-...
    python bench/bench_serve.py --seconds 10 --workers 1,2 --client python

The load generator is wrk (Debian's `wrk` package) when it is installed, else a bounded
Python client (threads, one keep-alive connection each). Both run on this machine, against
127.0.0.1 only, for `--seconds` per cell, after a one-second warm-up; every answer must be a
200, or the cell says how many were not. Needs the serve extra and onnxruntime:
pip install '.[serve]' onnx onnxruntime.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
NNFS = Path(sys.executable).parent / "nnfs"
FASHION_URL = "file:///work/shared/datasets/fashion_mnist_images.zip"
WRK_SCRIPT = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = io.open("{body}", "rb")
wrk.body = file:read("*all")
file:close()
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fashion-run", help="a trained Fashion-MNIST run (default: train "
                        "configs/fashion.yaml --epochs 1 into a temporary folder)")
    parser.add_argument("--csv-run", help="a trained csv run on examples/iris (default: train "
                        "configs/iris.yaml)")
    parser.add_argument("--seconds", type=float, default=5, help="per cell (default 5)")
    parser.add_argument("--clients", default="1,16", help="concurrent clients (default 1,16)")
    parser.add_argument("--rows", default="1,100", help="rows per request (default 1,100)")
    parser.add_argument("--workers", default="1", help="server processes (default 1)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()
    client = ("wrk" if shutil.which("wrk") else "python") if args.client == "auto" else args.client
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    try:
        header(client)
        fashion = Path(args.fashion_run) if args.fashion_run else train(
            "configs/fashion.yaml", work / "fashion", "--epochs", "1")
        iris = Path(args.csv_run) if args.csv_run else train("configs/iris.yaml", work / "iris")
        rows = [int(n) for n in args.rows.split(",")]
        clients = [int(n) for n in args.clients.split(",")]
        workers = [int(n) for n in args.workers.split(",")]
        print()
        print("| model | rows/request | clients | workers | requests/s | rows/s | p50 ms | "
              "p99 ms | in-process nnfs p50 ms | onnxruntime p50 ms |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, run, payload in (("Fashion-MNIST (pixels)", fashion, fashion_payload),
                                   ("iris csv (rows by name)", iris, iris_payload)):
            in_process = {n: in_process_latency(run, payload(run, n)) for n in rows}
            for count in workers:
                log = open(work / "serve.log", "w+")
                server = start(run, count, log)
                try:
                    for n in rows:
                        body = work / f"body-{n}.json"
                        body.write_text(json.dumps(payload(run, n)))
                        for concurrency in clients:
                            result = load(client, server["url"], body, concurrency, args.seconds)
                            nnfs_ms, onnx_ms = in_process[n]
                            print(f"| {name} | {n} | {concurrency} | {count} | "
                                  f"{result['rps']:,.0f} | {result['rps'] * n:,.0f} | "
                                  f"{result['p50']:.2f} | {result['p99']:.2f} | {nnfs_ms:.3f} | "
                                  f"{onnx_ms:.3f} |{result['note']}", flush=True)
                finally:
                    server["process"].send_signal(signal.SIGTERM)
                    server["process"].wait(60)
                    log.close()
        print(f"\nload average at the end: {load_average()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- the runs and their requests ---------------------------------------------------------

def train(config, run_dir, *extra):
    env = {**os.environ, "NNFS_FASHION_URL": os.environ.get("NNFS_FASHION_URL", FASHION_URL)}
    subprocess.run([str(NNFS), "train", config, "--run-dir", str(run_dir), "--quiet", *extra],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return run_dir


def fashion_payload(run, count):
    """{"pixels": [...]}: `count` test pictures of the run's data set, 0-255."""
    import cv2
    from nnfs_cli.api import load_run
    root = Path(load_run(run).saved.data.path) / "test"
    paths = sorted(root.glob("*/*.png"))[::97][:count]
    return {"pixels": [cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).tolist() for path in paths]}


def iris_payload(run, count):
    """{"rows": [{column: value}]}: `count` rows of examples/iris/iris.csv, by name."""
    lines = (ROOT / "examples" / "iris" / "iris.csv").read_text().splitlines()
    names = lines[0].split(",")[:-1]
    rows = [dict(zip(names, map(float, line.split(",")[:-1]))) for line in lines[1:]]
    return {"rows": (rows * (count // len(rows) + 1))[:count]}


def in_process_latency(run, payload):
    """(nnfs, onnxruntime) median milliseconds per call for this batch, one thread each."""
    import onnxruntime
    from nnfs_cli.api import load_run
    run = load_run(run)
    samples = payload.get("pixels") or payload["rows"]
    onnx_path = Path(tempfile.mkdtemp()) / "model.onnx"
    run.export(onnx_path)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(onnx_path), options,
                                           providers=["CPUExecutionProvider"])
    data = run.saved.data
    if hasattr(data, "encode_records"):   # the ONNX model takes the one-hot encoded row
        from nnfs_cli.data.tables import table_of_records
        names = [feature["name"] for feature in data.encoder.state["features"]]
        raw, _, _ = data.encoder.encode_raw(table_of_records(samples, names), "predict")
        onnx_input = data.encoder.raw_inputs(raw)
    else:
        onnx_input = np.asarray(samples, dtype=np.float32)
    with threadpool_limits(1, user_api="blas"):
        nnfs_ms = median_ms(lambda: run.predict_proba(samples))
        onnx_ms = median_ms(lambda: session.run(None, {"input": onnx_input}))
        # Same answers, or the comparison means nothing.
        np.testing.assert_allclose(session.run(None, {"input": onnx_input})[0],
                                   run.predict_proba(samples), atol=1e-5)
    shutil.rmtree(onnx_path.parent)
    return nnfs_ms, onnx_ms


def median_ms(call, seconds=1.0):
    call()
    times, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 20:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


# --- the server and the load -------------------------------------------------------------

def start(run, workers, log):
    process = subprocess.Popen([str(NNFS), "serve", str(run), "--port", "0", "--workers",
                                str(workers)], stdout=subprocess.PIPE, stderr=log, text=True)
    url = process.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        process.kill()
        log.seek(0)
        raise SystemExit(f"nnfs serve did not start: {log.read()}")
    return {"process": process, "url": url}


def load(client, url, body, concurrency, seconds):
    """{rps, p50, p99 (ms), note} of POST /predict with `body` for `seconds`."""
    if client == "wrk":
        return wrk(url, body, concurrency, seconds)
    return python_load(url, body.read_bytes(), concurrency, seconds)


def wrk(url, body, concurrency, seconds):
    script = body.with_suffix(".lua")
    script.write_text(WRK_SCRIPT.format(body=body))
    threads = min(concurrency, 2)
    base = ["wrk", "-t", str(threads), "-c", str(concurrency), "-s", str(script), "--latency"]
    subprocess.run([*base, "-d", "1s", f"{url}/predict"], check=True, capture_output=True)
    out = subprocess.run([*base, "-d", f"{seconds:g}s", "--timeout", "10s", f"{url}/predict"],
                         check=True, capture_output=True, text=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)$", out, re.M))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    note = (f" {bad.group(1)} non-2xx answers!" if bad else "") + (
        f" socket errors: {errors.group(1)}" if errors else "")
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": milliseconds(latency["50"]), "p99": milliseconds(latency["99"]),
            "note": note}


def milliseconds(text):
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1, "s": 1e3, "m": 6e4}[unit]


def python_load(url, body, concurrency, seconds):
    host, port = url.removeprefix("http://").split(":")
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    times, failures, lock = [], [0], threading.Lock()

    def client(until, record):
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        while time.perf_counter() < until:
            start = time.perf_counter()
            connection.request("POST", "/predict", body, headers)
            response = connection.getresponse()
            response.read()
            if record:
                with lock:
                    times.append(time.perf_counter() - start)
                    failures[0] += response.status != 200
        connection.close()

    for until, record in ((time.perf_counter() + 1, False),
                          (time.perf_counter() + 1 + seconds, True)):
        threads = [threading.Thread(target=client, args=(until, record))
                   for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    times.sort()
    return {"rps": len(times) / seconds, "p50": 1000 * times[len(times) // 2],
            "p99": 1000 * times[int(len(times) * 0.99)],
            "note": f" {failures[0]} non-200 answers!" if failures[0] else ""}


# --- the header --------------------------------------------------------------------------

def header(client):
    import nnfs_cli
    print(f"{Path(sys.argv[0]).name} {' '.join(sys.argv[1:])}  "
          f"({time.strftime('%Y-%m-%d %H:%M:%S')})")
    print(f"nnfs {nnfs_cli.__version__}, Python {sys.version.split()[0]}, NumPy {np.__version__}, "
          f"nproc {os.cpu_count()}, load generator: "
          + (subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
             .split(" [")[0] if client == "wrk" else "the Python client"))
    for pool in threadpool_info():
        if pool["user_api"] == "blas":
            print(f"BLAS: {pool['internal_api']} {pool.get('version')}, kernel "
                  f"{pool.get('architecture')} (OPENBLAS_CORETYPE="
                  f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}); nnfs serve uses 1 thread")
    print(f"load average at the start: {load_average()}")


def load_average():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
