"""download-fashion against hostile servers, files and archives: bounded in size and time,
one line, nothing left behind, SIGTERM cleaning up like Ctrl-C (#19)."""

import signal
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import write_fashion_zip
from hostile import assert_one_line, fifo, link_to_zero, nnfs, start
from nnfs_cli import limits
from nnfs_cli.cli import cli
from nnfs_cli.compat import cli_runner


class Hostile(BaseHTTPRequestHandler):
    """/endless: no Content-Length, never ends; /trickle: a byte every 0.2 s; /steady:
    2 KiB every 0.1 s; /huge: claims 10 GB."""

    def do_GET(self):
        try:
            self.send_response(200)
            if self.path == "/huge":
                self.send_header("Content-Length", str(10 * 1024**3))
                self.end_headers()
                return
            self.end_headers()
            chunk, pause = {"/endless": (b"\0" * 65536, 0), "/trickle": (b"\0", 0.2),
                            "/steady": (b"\0" * 2048, 0.1)}[self.path]
            stop = time.monotonic() + 120
            while time.monotonic() < stop:
                self.wfile.write(chunk)
                self.wfile.flush()
                time.sleep(pause)
        except OSError:   # the client gave up, as it should
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def hostile_server(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def assert_clean(dest):
    assert not dest.exists() or list(dest.iterdir()) == [], list(dest.iterdir())


@pytest.mark.parametrize("path, env, fragments", [
    ("/endless", {"NNFS_MAX_DOWNLOAD_BYTES": str(4 << 20)},
     ["passed the limit of 4,194,304 bytes (set NNFS_MAX_DOWNLOAD_BYTES to allow more)"]),
    ("/huge", {}, ["is 10,737,418,240 bytes, more than the limit of 268,435,456 bytes"]),
    ("/trickle", {"NNFS_STALL_SECONDS": "3"},
     ["stalled: ", " bytes in the last 3 s (set NNFS_STALL_SECONDS to allow more)"]),
    ("/steady", {"NNFS_DOWNLOAD_SECONDS": "1"},
     ["took more than 1 s (set NNFS_DOWNLOAD_SECONDS to allow more)"]),
])
def test_hostile_servers_are_given_up_on(hostile_server, tmp_path, path, env, fragments):
    dest = tmp_path / "datasets"
    began = time.monotonic()
    result = nnfs("download-fashion", "--url", hostile_server + path, "--dest", dest, "-q",
                  env=env, timeout=150)
    assert_one_line(result, 1, f"{hostile_server}{path}", *fragments)
    assert time.monotonic() - began < 60   # long before the server would stop (120 s)
    assert_clean(dest)


@pytest.mark.parametrize("kind", ["zero", "fifo"])
def test_devices_and_fifos_as_urls(tmp_path, kind):
    source = link_to_zero(tmp_path / "zero.zip") if kind == "zero" else fifo(tmp_path / "p.zip")
    dest = tmp_path / "datasets"
    for url in (str(source), source.as_uri(), "/dev/zero"):
        result = nnfs("download-fashion", "--url", url, "--dest", dest, "-q")
        assert_one_line(result, 1, "cannot read ", "not a regular file")
    assert_clean(dest)


def test_zip_that_extracts_too_much(tmp_path):
    archive = write_fashion_zip(tmp_path / "fashion.zip", per_label=2)
    with zipfile.ZipFile(archive, "a") as zf:   # padded PNGs: small zipped, large extracted
        png = zf.read("train/0/0000.png")
        for index in range(40):
            zf.writestr(f"train/1/pad{index:03d}.png", png + b"\0" * 60_000,
                        compress_type=zipfile.ZIP_DEFLATED)
    dest = tmp_path / "datasets"
    result = nnfs("download-fashion", "--url", archive, "--dest", dest, "-q",
                  env={"NNFS_MAX_EXTRACT_BYTES": "1000000"})
    assert_one_line(result, 1, "would extract 2,4", "more than the limit of 1,000,000 bytes")
    assert_clean(dest)


def test_zip_with_too_many_entries(tmp_path, monkeypatch):
    archive = write_fashion_zip(tmp_path / "fashion.zip", per_label=1)
    monkeypatch.setattr(limits, "ARCHIVE_ENTRIES", 19)
    dest = tmp_path / "datasets"
    result = cli_runner().invoke(cli, ["download-fashion", "--url", str(archive), "--dest",
                                      str(dest), "-q"])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {archive} lists 20 entries, more than the limit of 19\n"
    assert_clean(dest)


def test_sigterm_during_a_download_cleans_up_like_ctrl_c(hostile_server, tmp_path):
    dest = tmp_path / "datasets"
    process = start("download-fashion", "--url", hostile_server + "/steady", "--dest", dest,
                    "-q")
    deadline = time.monotonic() + 90
    while not list(dest.glob(".fashion_mnist_images.*.tmp/*.part")):
        assert time.monotonic() < deadline and process.poll() is None, process.stderr.read()
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=90)
    assert process.returncode == 143, stderr
    assert stderr == "Terminated.\n"
    assert_clean(dest)
