"""nnfs serve (issue 26): the installed `nnfs` serves small runs on a free loopback port in a
subprocess and a real HTTP client asks it. Every answer is compared with `nnfs predict
--json` for the same inputs; every bad input is refused in one JSON line and then a good
request is still answered; 200 concurrent requests all get their own answers; SIGTERM and
Ctrl-C mid-load finish the requests in flight and exit 143 and 130."""

import contextlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

httpx = pytest.importorskip("httpx")

from conftest import ROOT, write_fashion_zip  # noqa: E402
from fashion_runs import run_cli, trained  # noqa: E402
from hostile import jpeg_bomb, pgm_bomb, png_bomb  # noqa: E402
from nnfs_cli.data.fashion_mnist import scale_images  # noqa: E402

NNFS = Path(sys.executable).parent / "nnfs"
DEADLINE = 120   # seconds for a server to start or stop: generous on 2 busy cores
REQUEST_BYTES, REQUEST_ROWS = 64 * 1024, 50   # small limits, for the spiral server

CSV_CONFIG = """\
seed: 0
data: {name: csv, path: PATH, target: kind, validation_split: 0.25}
model:
  - dense: {units: 16}
  - relu
  - dense: {units: 3}
  - softmax
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.02}
training: {epochs: 40, batch_size: 16}
"""
CSV_REGRESSION = """\
seed: 0
data: {name: csv, path: PATH, target: size, validation_split: 0.25}
model:
  - dense: {units: 8}
  - relu
  - dense: {units: 1}
  - linear
loss: mean_squared_error
optimizer: {name: adam, learning_rate: 0.02}
training: {epochs: 30, batch_size: 16}
"""
FASHION_CONFIG = """\
seed: 0
data: {name: fashion_mnist, path: PATH, validation_split: 0.1}
model:
  - dense: {units: 32}
  - relu
  - dense: {units: 10}
  - softmax
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.005}
training: {epochs: 3, batch_size: 32}
"""
COLORS = ["blue", "green", "red"]


class Server:
    """`nnfs serve RUN --port 0 ARGS...` (or `command`) in a subprocess; `url` is the line
    it prints on stdout once it answers, `log()` what it wrote on stderr."""

    def __init__(self, run, *args, env=None, cwd=None, command=None):
        descriptor, name = tempfile.mkstemp(prefix="nnfs-serve-", suffix=".log")
        self.stderr_path, self.stderr = Path(name), os.fdopen(descriptor, "w")
        self.stopped_log = None
        command = command or [str(NNFS), "serve", str(run), "--port", "0"]
        self.process = subprocess.Popen([*command, *map(str, args)], cwd=cwd,
                                        env={**os.environ, **(env or {})},
                                        stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.process.stdout.readline()),
                         daemon=True).start()
        try:
            self.url = lines.get(timeout=DEADLINE).strip()
        except queue.Empty:
            self.stop(signal.SIGKILL)
            raise AssertionError(f"no URL within {DEADLINE} s: {self.log()}") from None
        assert self.url.startswith("http://127.0.0.1:"), (self.url, self.log())
        self.client = httpx.Client(base_url=self.url, timeout=60)
        assert self.client.get("/health").json()["status"] == "ok"

    def log(self):
        return self.stderr_path.read_text() if self.stopped_log is None else self.stopped_log

    def stop(self, signum=signal.SIGTERM):
        """Send `signum`; the exit code once it has stopped (its log is kept, the file not)."""
        if hasattr(self, "client"):
            self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signum)
        code = self.process.wait(timeout=DEADLINE)
        if self.stopped_log is None:
            self.stopped_log = self.log()
            self.stderr.close()
            self.stderr_path.unlink()
        return code

    def predict(self, payload=None, top_k=3, params=(), **kwargs):
        if payload is not None:
            kwargs["json"] = payload
        return self.client.post("/predict", params={"top_k": top_k, **dict(params)}, **kwargs)


@contextlib.contextmanager
def served(run, *args, **kwargs):
    """A Server for the block, stopped by SIGTERM after it: exit 143, no traceback."""
    server = Server(run, *args, **kwargs)
    try:
        yield server
    finally:
        log = server.log()
        assert server.stop() == 143, log
        assert "Traceback" not in log, log


# --- the runs and their servers ------------------------------------------------------

def write_table(path, rows):
    lines = ["height,color,size,kind"] + [",".join(map(str, row)) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def table_rows(rng, count):
    """(height, color, size, kind): the kind follows from height and colour."""
    rows = []
    for _ in range(count):
        height, color = round(float(rng.uniform(0, 10)), 3), str(rng.choice(COLORS))
        kind = "tall" if height > 6 else ("blue-ish" if color == "blue" else "short")
        rows.append((height, color, round(height * 2 + COLORS.index(color), 3), kind))
    return rows


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    folder = tmp_path_factory.mktemp("table")
    return write_table(folder / "train.csv", table_rows(np.random.default_rng(0), 120))


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory, table):
    return trained(tmp_path_factory, "serve-csv", CSV_CONFIG.replace("PATH", str(table)))


@pytest.fixture(scope="module")
def csv_regression_run(tmp_path_factory, table):
    return trained(tmp_path_factory, "serve-csv-regression",
                   CSV_REGRESSION.replace("PATH", str(table)))


@pytest.fixture(scope="module")
def fashion_folder(tmp_path_factory):
    """A small Fashion-like data set (tests/conftest.py), through download-fashion."""
    folder = tmp_path_factory.mktemp("fashion-like")
    archive = write_fashion_zip(folder / "small.zip", per_label=20)
    result = run_cli("download-fashion", "--url", archive.as_uri(), "--dest", folder)
    assert result.exit_code == 0, result.stderr
    return folder / "fashion_mnist_images"


@pytest.fixture(scope="module")
def picture_run(tmp_path_factory, fashion_folder):
    return trained(tmp_path_factory, "serve-fashion",
                   FASHION_CONFIG.replace("PATH", str(fashion_folder)))


@pytest.fixture(scope="module")
def spiral_server(spiral):
    env = {"NNFS_MAX_REQUEST_BYTES": str(REQUEST_BYTES), "NNFS_MAX_REQUEST_ROWS": str(REQUEST_ROWS)}
    with served(spiral, env=env) as server:
        yield server


@pytest.fixture(scope="module")
def csv_server(csv_run):
    with served(csv_run) as server:
        yield server


@pytest.fixture(scope="module")
def picture_server(picture_run):
    with served(picture_run, env={"NNFS_MAX_REQUEST_ROWS": "20"}) as server:
        yield server


# --- answers: the same as nnfs predict --json -----------------------------------------

def predict_json(*args):
    result = run_cli("predict", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def predict_error(*args):
    """The message `nnfs predict` gives for a bad input, without `Error: ` and the file."""
    result = run_cli("predict", *args)
    assert result.exit_code == 1
    line, = result.stderr.splitlines()
    return line.removeprefix("Error: ").split(": ", 1)[1]


def answers(response, count=None):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    predictions = response.json()["predictions"]
    assert count is None or len(predictions) == count
    return predictions


def without(results, *keys):
    return [{key: value for key, value in result.items() if key not in keys}
            for result in results]


def check_probabilities(predictions, class_names):
    for prediction in predictions:
        probabilities = prediction["probabilities"]
        assert list(probabilities) == class_names
        for item in prediction["top_k"]:
            assert probabilities[item["label"]] == item["confidence"]
        assert abs(sum(probabilities.values()) - 1) < 1e-5


def test_spiral_rows_answer_as_predict_json(spiral_server, spiral, tmp_path):
    rows = np.random.default_rng(1).uniform(-1, 1, (40, 2))
    np.save(tmp_path / "rows.npy", rows)
    expected = predict_json(tmp_path / "rows.npy", "--run", spiral, "--top-k", 2)
    predictions = answers(spiral_server.predict({"rows": rows.tolist()}, top_k=2), 40)
    assert without(predictions, "probabilities") == without(expected, "path", "row")
    check_probabilities(predictions, ["class 0", "class 1", "class 2"])


def test_csv_rows_by_column_name_in_any_order_or_by_position(csv_server, csv_run, tmp_path):
    rows = table_rows(np.random.default_rng(2), 30)
    expected = predict_json(write_table(tmp_path / "new.csv", rows), "--run", csv_run)
    by_name = [{"kind": "ignored", "size": size, "color": color, "height": height}
               for height, color, size, _ in rows]
    by_position = [[height, color, size] for height, color, size, _ in rows]
    for request in (by_name, by_position):
        predictions = answers(csv_server.predict({"rows": request}), 30)
        assert without(predictions, "probabilities") == without(expected, "path", "row")
    check_probabilities(predictions, json.loads((csv_run / "summary.json").read_text())
                        ["class_names"])


def test_regressions_answer_values_as_predict_json(sine, csv_regression_run, tmp_path):
    x = np.linspace(-1, 1, 25).reshape(-1, 1)
    np.save(tmp_path / "x.npy", x)
    expected = predict_json(tmp_path / "x.npy", "--run", sine, "--best")   # params_best.pkl
    with served(sine, "--best") as server:
        predictions = answers(server.predict({"rows": x.tolist()}), 25)
    assert predictions == without(expected, "path", "row")
    assert set(predictions[0]) == {"value"}
    rows = table_rows(np.random.default_rng(3), 12)
    expected = predict_json(write_table(tmp_path / "new.csv", rows), "--run", csv_regression_run)
    with served(csv_regression_run) as server:
        request = [{"kind": kind, "height": height, "color": color}
                   for height, color, _, kind in rows]
        predictions = answers(server.predict({"rows": request}), 12)
    assert predictions == without(expected, "path", "row")
    assert set(predictions[0]) == {"value"}


def test_pictures_answer_as_predict_json(picture_server, picture_run, fashion_folder,
                                         tmp_path):
    paths = sorted((fashion_folder / "test").glob("*/0000.png"))
    photo = 255 - cv2.resize(cv2.imread(str(paths[3]), cv2.IMREAD_GRAYSCALE), (120, 120))
    canvas = np.full((200, 160), 255, np.uint8)   # dark on white, off centre: a "photo"
    canvas[50:170, 10:130] = photo
    cv2.imwrite(str(tmp_path / "photo.jpg"), canvas)
    paths.append(tmp_path / "photo.jpg")
    expected = predict_json(*paths, "--run", picture_run, "--top-k", 4)
    files = [("files", (path.name, path.read_bytes())) for path in paths]
    predictions = answers(picture_server.predict(files=files, top_k=4), len(paths))
    assert [p["file"] for p in predictions] == [path.name for path in paths]
    assert without(predictions, "probabilities", "file") == without(expected, "path", "row")
    check_probabilities(predictions, json.loads((picture_run / "summary.json").read_text())
                        ["class_names"])
    # The photo inverted as it is (--invert no) is another picture, and another answer.
    expected = predict_json(paths[-1], "--run", picture_run, "--invert", "no")
    response = picture_server.client.post("/predict", params={"invert": "no"},
                                          files=[("photo", ("photo.jpg", paths[-1].read_bytes()))])
    assert without(answers(response, 1), "probabilities", "file") == without(expected, "path", "row")


def test_pixels_in_the_onnx_layout_answer_as_predict_json(picture_server, picture_run,
                                                          fashion_folder, tmp_path):
    pictures = np.stack([cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) for path in
                         sorted((fashion_folder / "test").glob("*/000[01].png"))])
    # predict takes .npy rows of a Fashion-MNIST run as the model's (scaled) inputs.
    np.save(tmp_path / "scaled.npy", scale_images(pictures))
    expected = without(predict_json(tmp_path / "scaled.npy", "--run", picture_run), "path", "row")
    for pixels in (pictures.tolist(), pictures.reshape(len(pictures), -1).tolist()):
        predictions = answers(picture_server.predict({"pixels": pixels}), len(pictures))
        assert without(predictions, "probabilities") == expected
    rows = scale_images(pictures).astype(np.float64).tolist()   # and those rows too
    assert without(answers(picture_server.predict({"rows": rows})), "probabilities") == expected


def test_info_health_and_openapi(csv_server, csv_run, picture_server, picture_run):
    info = csv_server.client.get("/info").json()
    summary = json.loads((csv_run / "summary.json").read_text())
    assert (info["task"], info["class_names"], info["data"]) == (
        "classification", summary["class_names"], "csv")
    assert info["run"] == str(csv_run) and info["params"] == "params.pkl"
    assert info["validation"] == {"loss": summary["val_loss"],
                                  "accuracy": summary["val_accuracy"]}
    assert info["test"] is None
    assert info["inputs"]["rows"]["columns"] == [
        {"name": "height", "kind": "number"},
        {"name": "color", "kind": "category", "categories": COLORS},
        {"name": "size", "kind": "number"}]
    assert info["nnfs_version"] == run_cli("--version").stdout.split()[-1]
    assert info["model"]["input"]["shape"] == ["batch", 5]   # height, 3 colours, size
    assert info["limits"]["request_rows"] == 1000

    info = picture_server.client.get("/info").json()
    summary = json.loads((picture_run / "summary.json").read_text())
    assert info["test"] == {"loss": summary["test_loss"], "accuracy": summary["test_accuracy"],
                            "samples": 200}
    assert set(info["inputs"]) == {"rows", "pixels", "pictures"}
    assert info["inputs"]["pixels"]["shape"] == [28, 28]
    assert info["model"]["preprocessing"]["subtract"] == 127.5
    assert info["limits"]["request_rows"] == 20

    health = picture_server.client.get("/health").json()
    assert health["status"] == "ok" and isinstance(health["pid"], int)
    openapi = picture_server.client.get("/openapi.json").json()
    body = openapi["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    assert {"/info", "/health"} <= set(openapi["paths"])


# --- bad input: a 4xx with one JSON line, and the server keeps serving ------------------

def refused(response, status):
    """The one-line message of an error answer with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert error and "\n" not in error and "Traceback" not in error, error
    return error


def still_serving(server, payload):
    assert answers(server.predict(payload))


def chunks(data, size=8192):
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_bad_json_and_rows_are_refused_and_the_server_keeps_serving(spiral_server, spiral,
                                                                    tmp_path):
    good = {"rows": [[0.1, 0.2]]}
    np.save(tmp_path / "wide.npy", np.ones((1, 3)))
    (tmp_path / "huge.csv").write_text("1e999,0.2\n")
    big = json.dumps({"rows": [[0.123456789, 0.987654321]] * 3000}).encode()
    assert len(big) > REQUEST_BYTES
    hint_rows = "(set NNFS_MAX_REQUEST_ROWS to allow more)"
    json_type = {"content-type": "application/json"}
    cases = [
        (dict(content=b'{"rows": [[0.1, 0.2]', headers=json_type), 400,
         "not valid JSON: Expecting ',' delimiter: line 1 column *"),
        (dict(content=b'{"rows": [[NaN, 0.2]]}', headers=json_type), 400,
         "not valid JSON: NaN is not a JSON number; send finite numbers"),
        (dict(content=b'{"rows": [[0.1, -Infinity]]}', headers=json_type), 400,
         "not valid JSON: -Infinity is not a JSON number; send finite numbers"),
        (dict(content=b'{"rows": [[0.1, 0.2]]}\xff', headers=json_type), 400,
         "not valid JSON: *"),
        (dict(content=b'{"rows": [[1e999, 0.2]]}', headers=json_type), 422,
         "rows: row 0 " + predict_error(tmp_path / "huge.csv", "--run", spiral)),
        (dict(json={"rows": [[0.1, 0.2, 0.3]]}), 422,
         "rows: " + predict_error(tmp_path / "wide.npy", "--run", spiral)),
        (dict(json={"rows": [[0.1, 0.2], [0.3]]}), 422,
         "rows: expected rows of 2 number(s) each, all of one length"),
        (dict(json={"rows": [["a", "b"]]}), 422, "rows: expected numbers, got an array of <U1"),
        (dict(json={"rows": 5}), 422, "rows: expected a list, got a number"),
        (dict(json={"rows": []}), 422, "rows: no rows"),
        (dict(json=[[0.1, 0.2]]), 422,
         'expected a JSON object {"rows": [...]} or {"pixels": [...]}, got a list'),
        (dict(json={"row": [[0.1, 0.2]]}), 422,
         "expected one key, \"rows\" or \"pixels\"; got 'row'"),
        (dict(json={"rows": [[0.1, 0.2]], "pixels": []}), 422,
         "expected one key, \"rows\" or \"pixels\"; got 'rows', 'pixels'"),
        (dict(json={"pixels": [[0] * 784]}), 422, 'pixels: this model takes rows of 2 '
         'feature(s), not pictures; send {"rows": [...]}'),
        (dict(json={"rows": [[0.1, 0.2]] * (REQUEST_ROWS + 1)}), 413,
         f"rows: {REQUEST_ROWS + 1} rows, more than the limit of {REQUEST_ROWS} {hint_rows}"),
        # By its Content-Length, before reading it; then a body that declares none (chunked).
        (dict(content=big, headers=json_type), 413,
         f"the request body has {len(big):,} bytes, more than the limit of {REQUEST_BYTES:,} "
         "bytes (set NNFS_MAX_REQUEST_BYTES to allow more)"),
        (dict(content=chunks(big), headers=json_type), 413,
         f"the request body is more than the limit of {REQUEST_BYTES:,} bytes "
         "(set NNFS_MAX_REQUEST_BYTES to allow more)"),
        (dict(content=b"0.1,0.2", headers={"content-type": "text/csv"}), 415,
         "Content-Type text/csv is not taken; send application/json or multipart/form-data "
         "(picture files)"),
        (dict(content=b"0.1,0.2"), 415, "Content-Type none is not taken; send "
         "application/json or multipart/form-data (picture files)"),
        (dict(files=[("f", ("a.png", b"..."))]), 415, "this model takes rows of 2 feature(s), "
         'not pictures; send JSON: {"rows": [...]}'),
    ]
    for request, status, message in cases:
        error = refused(spiral_server.client.post("/predict", **request), status)
        # A message ending in * is a prefix (the JSON parser's words vary with Python).
        assert (error.startswith(message[:-1]) if message.endswith("*") else error == message), \
            (request, error)
        still_serving(spiral_server, good)
    assert refused(spiral_server.predict(good, top_k=0), 422) == (
        "top_k: Input should be greater than or equal to 1")
    assert refused(spiral_server.predict(good, top_k="two"), 422).startswith(
        "top_k: Input should be a valid integer")
    assert refused(spiral_server.client.get("/nowhere"), 404) == "Not Found"
    assert refused(spiral_server.client.get("/predict"), 405) == "Method Not Allowed"
    # A body just under the limit is read.
    fits = json.dumps({"rows": [[0.5, 0.25]] * REQUEST_ROWS}).encode()
    response = spiral_server.client.post("/predict", content=chunks(fits), headers=json_type)
    assert len(answers(response)) == REQUEST_ROWS
    assert "Traceback" not in spiral_server.log()


def test_bad_csv_rows_are_refused_in_predicts_words(csv_server, csv_run, tmp_path):
    def cli_words(header, row):
        path = tmp_path / "bad.csv"
        path.write_text(f"{header}\n{row}\n")
        return predict_error(path, "--run", csv_run)

    good = {"rows": [{"height": 2.5, "color": "red", "size": 6.0}]}
    cases = [
        ([{"height": 2.5, "color": "red"}], cli_words("height,color", "2.5,red")),
        ([{"height": 2.5, "color": "purple", "size": 6.0}],
         cli_words("height,color,size", "2.5,purple,6.0")),
        ([{"height": "tall", "color": "red", "size": 6.0}],
         cli_words("height,color,size", "tall,red,6.0")),
        ([{"height": None, "color": "red", "size": 6.0}],
         cli_words("height,color,size", ",red,6.0")),
    ]
    for rows, words in cases:
        error = refused(csv_server.predict({"rows": rows}), 422)
        assert error == f"rows:0: {words}", error
        still_serving(csv_server, good)
    assert "no column 'size'" in cases[0][1] and "'purple' was not in the training rows" \
        in cases[1][1]
    assert refused(csv_server.predict({"rows": [[2.5, "red"]]}), 422) == (
        "rows: row 0 has 2 values, but the model takes 3 columns: height, color, size")
    still_serving(csv_server, good)


def test_bad_pictures_are_refused_in_predicts_words(picture_server, picture_run, tmp_path):
    good = {"pixels": [[[40] * 28] * 10 + [[200] * 28] * 4 + [[40] * 28] * 14]}
    blank = cv2.imencode(".png", np.full((60, 60), 250, np.uint8))[1].tobytes()
    pictures = {"broken.png": b"not a picture at all", "bomb.png": png_bomb(),
                "bomb.jpg": jpeg_bomb(), "bomb.pgm": pgm_bomb(), "blank.png": blank}
    for name, data in pictures.items():
        (tmp_path / name).write_bytes(data)
    statuses = {"broken.png": 422, "blank.png": 422}
    for name, data in pictures.items():
        error = refused(picture_server.predict(files=[("files", (name, data))]),
                        statuses.get(name, 413))
        assert error == f"{name}: {predict_error(tmp_path / name, '--run', picture_run)}", error
        still_serving(picture_server, good)
    # One bad file among good ones refuses the request, naming it.
    good_png = cv2.imencode(".png", np.array(good["pixels"][0], np.uint8))[1].tobytes()
    files = [("files", ("good.png", good_png)), ("files", ("broken.png", b"not a picture"))]
    assert refused(picture_server.predict(files=files), 422) == (
        "broken.png: not an image OpenCV can read")
    hint = "(set NNFS_MAX_REQUEST_ROWS to allow more)"
    many = [("files", (f"{index}.png", good_png)) for index in range(21)]
    assert refused(picture_server.predict(files=many), 413) == (
        f"pictures: 21 pictures, more than the limit of 20 {hint}")
    assert refused(picture_server.predict(files=many * 2), 413) == (
        f"pictures: more than the limit of 20 in one request {hint}")
    assert refused(picture_server.predict(files=[("files", ("good.png", good_png))],
                                          data={"note": "hello"}), 422) == (
        "form field 'note' is not a file; send the pictures as files")
    assert refused(picture_server.client.post(
        "/predict", content=b"junk", headers={"content-type": "multipart/form-data"}),
        400).startswith("not a readable multipart form: ")
    picture = good["pixels"][0]
    assert refused(picture_server.predict({"pixels": [picture[:27]]}), 422) == (
        "pixels: pictures of shape (27, 28) do not fit: the model takes pictures of shape "
        "(28, 28) (784 pixel values 0-255 each, [batch, 28, 28] or [batch, 784])")
    assert refused(picture_server.predict({"pixels": [[[300] * 28] * 28]}), 422) == (
        "pixels: picture 0 holds 300.0 at pixel 0, not a pixel value 0-255")
    assert refused(picture_server.predict({"pixels": [picture, [[0] * 28] * 27 + [[-1] * 28]]}),
                   422) == "pixels: picture 1 holds -1.0 at pixel 756, not a pixel value 0-255"
    assert refused(picture_server.predict(good, params={"invert": "maybe"}), 422).startswith(
        "invert: String should match pattern")
    still_serving(picture_server, good)
    assert "Traceback" not in picture_server.log()


FAULT = """\
import sys
from nnfs_cli.serve import predictor
answer = predictor.Predictor.answer
def failing(self, x, *args, **kwargs):
    if len(x) == 7:
        raise RuntimeError("an injected fault")
    return answer(self, x, *args, **kwargs)
predictor.Predictor.answer = failing
from nnfs_cli.cli import main
sys.argv[0] = "nnfs"
main()
"""


def test_an_unexpected_failure_is_a_500_with_the_traceback_in_the_log_only(spiral):
    server = Server(spiral, command=[sys.executable, "-c", FAULT, "serve", spiral, "--port", "0"])
    try:
        response = server.predict({"rows": [[0.1, 0.2]] * 7})
        assert refused(response, 500) == (
            "internal error (RuntimeError); the server's log has the traceback")
        assert len(answers(server.predict({"rows": [[0.1, 0.2]] * 6}))) == 6
        log = server.log()
        assert "Traceback (most recent call last)" in log
        assert "RuntimeError: an injected fault" in log
    finally:
        assert server.stop() == 143


# --- under load -----------------------------------------------------------------------

def test_200_concurrent_requests_each_get_their_own_answers(spiral_server, spiral, tmp_path):
    rng = np.random.default_rng(5)
    requests = [rng.uniform(-1, 1, (1 + index % 4, 2)) for index in range(200)]
    expected = []
    for index, rows in enumerate(requests):   # predict on exactly each request's rows
        np.save(tmp_path / f"{index}.npy", rows)
        expected.append(without(predict_json(tmp_path / f"{index}.npy", "--run", spiral),
                                "path", "row"))
    limits = httpx.Limits(max_connections=16)
    with httpx.Client(base_url=spiral_server.url, limits=limits, timeout=60) as client, \
            ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(
            lambda rows: client.post("/predict", json={"rows": rows.tolist()}), requests))
    for response, want in zip(responses, expected):
        assert without(answers(response), "probabilities") == want


class HeldRequest:
    """A POST /predict that the server has begun to read (it asked for the body with 100
    Continue) but whose body is not sent yet: in flight, whatever happens meanwhile."""

    def __init__(self, url, payload):
        host, port = url.removeprefix("http://").split(":")
        self.body = json.dumps(payload).encode()
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        self.sock.sendall(f"POST /predict HTTP/1.1\r\nHost: {host}:{port}\r\n"
                          "Content-Type: application/json\r\n"
                          f"Content-Length: {len(self.body)}\r\n"
                          "Expect: 100-continue\r\n\r\n".encode())
        self.buffer = b""
        assert self._head().startswith(b"HTTP/1.1 100 ")

    def _head(self):
        while b"\r\n\r\n" not in self.buffer:
            data = self.sock.recv(65536)
            assert data, self.buffer
            self.buffer += data
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        return head

    def finish(self):
        """(status, JSON answer) once the body is sent."""
        self.sock.sendall(self.body)
        head = self._head().decode()
        status = int(head.split()[1])
        length = int(next(line.split(":")[1] for line in head.split("\r\n")
                          if line.lower().startswith("content-length:")))
        while len(self.buffer) < length:
            data = self.sock.recv(65536)
            assert data
            self.buffer += data
        self.sock.close()
        return status, json.loads(self.buffer[:length])


def refuses_connections(url):
    host, port = url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
        return False
    except ConnectionRefusedError:
        return True


def wait_for(condition, what):
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"waited {DEADLINE} s for {what}"
        time.sleep(0.02)


def stop_mid_load(server, run, tmp_path, signum):
    """Load the server from 8 threads, hold 3 requests in flight, send `signum`: the held
    ones are answered after the server stopped listening, every load request got its right
    answer or could not connect; returns the exit code."""
    rows = [[round(0.1 * index - 0.5, 3), 0.3] for index in range(10)]
    np.save(tmp_path / "rows.npy", np.array(rows))
    expected = without(predict_json(tmp_path / "rows.npy", "--run", run), "path", "row")
    results, stop = [], threading.Event()

    def load(worker):
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for count in range(400):   # bounded, stopped earlier by `stop`
                if stop.is_set():
                    return
                index = (worker + count) % 10
                try:
                    response = client.post("/predict", json={"rows": [rows[index]]})
                except httpx.TransportError as error:   # refused, or reset by the stop
                    results.append((index, error))
                    time.sleep(0.01)
                    continue
                results.append((index, response))

    threads = [threading.Thread(target=load, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: sum(not isinstance(r, Exception) for _, r in results) >= 40,
                 "40 answers")
        held = [HeldRequest(server.url, {"rows": [rows[index]]}) for index in (2, 5, 7)]
        server.process.send_signal(signum)
        wait_for(lambda: refuses_connections(server.url), "the server to stop listening")
        for request, index in zip(held, (2, 5, 7)):
            status, answer = request.finish()
            assert status == 200, answer
            assert without(answer["predictions"], "probabilities") == [expected[index]]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    code = server.process.wait(timeout=DEADLINE)
    answered = [(index, r) for index, r in results if not isinstance(r, Exception)]
    for index, response in answered:
        assert without(answers(response), "probabilities") == [expected[index]]
    assert len(answered) >= 40
    return code


def test_sigterm_mid_load_finishes_the_requests_in_flight_and_exits_143(spiral, tmp_path):
    server = Server(spiral, "--workers", "2")
    try:
        code = stop_mid_load(server, spiral, tmp_path, signal.SIGTERM)
    finally:
        log = server.log()
        server.stop(signal.SIGKILL)
    assert code == 143, log
    assert log.endswith("Terminated.\n") and "Traceback" not in log, log


def test_ctrl_c_mid_load_exits_130_and_latest_names_the_newest_run(spiral, tmp_path):
    shutil.copytree(spiral, tmp_path / "runs" / "spiral-20260101-000000")
    server = Server("latest", cwd=tmp_path)
    try:
        assert server.client.get("/info").json()["run"] == "runs/spiral-20260101-000000"
        code = stop_mid_load(server, spiral, tmp_path, signal.SIGINT)
    finally:
        log = server.log()
        server.stop(signal.SIGKILL)
    assert code == 130, log
    assert log.endswith("Interrupted.\n") and "Traceback" not in log, log


def test_a_worker_that_dies_is_replaced(spiral):
    with served(spiral, "--workers", "2") as server:
        pid = server.client.get("/health").json()["pid"]
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: f"worker process {pid} exited (code -9); starting another"
                 in server.log(), "the worker to be replaced")
        for _ in range(10):
            assert answers(httpx.post(server.url + "/predict", json={"rows": [[0.1, 0.2]]}))


# --- the command ----------------------------------------------------------------------

def test_stdout_has_the_url_and_stderr_what_is_served(spiral):
    with served(spiral) as server:
        pass
    log = server.log()
    assert log.startswith(f"serving {spiral} (validation accuracy ") and \
        f") at {server.url} with 1 worker; Ctrl-C stops it\n" in log
    assert server.process.stdout.read() == ""   # the URL was all


def test_without_the_serve_extra_one_line_says_what_to_install(spiral, monkeypatch):
    monkeypatch.setitem(sys.modules, "fastapi", None)   # `import fastapi` now raises ImportError
    result = run_cli("serve", spiral)
    assert (result.exit_code, result.stderr) == (
        1, "Error: nnfs serve needs FastAPI and uvicorn: pip install 'nnfs-cli[serve]' (from a "
           "checkout: pip install '.[serve]')\n")


def test_a_bad_run_or_a_busy_port_is_one_line(spiral, tmp_path):
    result = run_cli("serve", tmp_path / "nothing")
    assert (result.exit_code, result.stderr) == (
        2, f"Error: {tmp_path / 'nothing'}: no such run directory\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", spiral, "--port", port)
    assert (result.exit_code, result.stderr) == (
        1, f"Error: cannot listen on 127.0.0.1 port {port}: Address already in use; choose "
           "another --port (0 picks a free one)\n")


def test_a_form_without_pictures_is_refused(picture_run):
    # Parsers from before python-multipart 0.0.19 cannot even read an empty form.
    from nnfs_cli.api import load_run
    from nnfs_cli.serve.predictor import Predictor, RequestError
    with pytest.raises(RequestError, match="^no picture files in the form$"):
        Predictor(load_run(picture_run)).predict_pictures([])


def test_the_python_example_of_the_docs_asks_a_server(tmp_path_factory):
    iris = (ROOT / "configs" / "iris.yaml").read_text().replace(
        "../examples/iris/iris.csv", str(ROOT / "examples" / "iris" / "iris.csv"))
    run = trained(tmp_path_factory, "serve-iris", iris)
    page = (ROOT / "docs" / "serve.md").read_text()
    code = page.split("<!-- run by tests/test_serve.py")[1].split("```python\n")[1].split("```")[0]
    assert "http://127.0.0.1:8000/predict" in code
    with served(run) as server:
        result = subprocess.run([sys.executable, "-c", code.replace("http://127.0.0.1:8000",
                                                                    server.url)],
                                capture_output=True, text=True, timeout=DEADLINE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['setosa', 'virginica']\n"
