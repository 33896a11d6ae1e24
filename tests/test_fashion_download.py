"""download-fashion end to end: HTTP, file:// and plain paths; refusals; the cache; load_fashion."""

import errno
import hashlib
import socket
import stat
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from nnfs_cli.cli import cli
from nnfs_cli.compat import cli_runner
from nnfs_cli.errors import NnfsError
from nnfs_cli.data.fashion_download import download_fashion
from nnfs_cli.data.fashion_mnist import CLASS_NAMES, dataset_ready, load_fashion

PER_LABEL = 3
REAL_ARCHIVE = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "fashion_mnist_images.zip"


def make_images(seed=0):
    rng = np.random.default_rng(seed)
    return {(split, label, f"{i:04d}.png"): rng.integers(0, 256, (28, 28), dtype=np.uint8)
            for split in ("train", "test") for label in range(10) for i in range(PER_LABEL)}


def write_zip(path, images, extra=(), prefix=""):
    """An archive in the nnfs.io layout: train/<label>/NNNN.png and test/<label>/NNNN.png."""
    with zipfile.ZipFile(path, "w") as zf:
        for split in ("train", "test"):
            zf.writestr(f"{prefix}{split}/", b"")
        for (split, label, name), image in images.items():
            zf.writestr(f"{prefix}{split}/{label}/{name}", cv2.imencode(".png", image)[1].tobytes())
        for info, data in extra:
            zf.writestr(info, data)
    return path


@pytest.fixture
def images():
    return make_images()


@pytest.fixture
def archive(tmp_path, images):
    return write_zip(tmp_path / "fashion.zip", images)


@pytest.fixture
def dest(tmp_path):
    return tmp_path / "datasets"


@pytest.fixture
def server(monkeypatch):
    """An HTTP server on 127.0.0.1: `serve(path, data, cut)` publishes bytes, `hits` counts GETs."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    routes, hits = {}, []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            if self.path not in routes:
                self.send_error(404, "Not Found")
                return
            data, cut = routes[self.path]
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:cut])
            self.close_connection = True

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}"

    def serve(path, data, cut=None):
        routes[path] = (data, cut)
        return base + path

    yield SimpleNamespace(base=base, serve=serve, hits=hits)
    httpd.shutdown()
    httpd.server_close()


def run(*args, env=None):
    return cli_runner().invoke(cli, ["download-fashion", *args], env=env)


def expected_arrays(images, split):
    keys = sorted(key for key in images if key[0] == split)
    return np.stack([images[key] for key in keys]), np.array([key[1] for key in keys])


def assert_loaded(folder, images):
    x_train, y_train, x_test, y_test = load_fashion(folder)
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        want_x, want_y = expected_arrays(images, split)
        assert x.shape == (10 * PER_LABEL, 28, 28) and x.dtype == np.uint8
        assert np.array_equal(np.bincount(y, minlength=10), [PER_LABEL] * 10)
        assert np.array_equal(y, want_y)
        assert np.array_equal(x, want_x)


def assert_clean(dest):
    """Only the data set folder may be in `dest`, holding only train/, test/ and the cache."""
    if dest.exists():
        assert [p.name for p in dest.iterdir()] in ([], ["fashion_mnist_images"])
        assert not list(dest.rglob("*.part")) and not list(dest.rglob("*.tmp"))
    folder = dest / "fashion_mnist_images"
    if folder.exists():
        assert sorted(p.name for p in folder.iterdir()) == ["cache.npz", "test", "train"]


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_refused(result, message):
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert result.stderr.startswith("Error: ") or "\nError: " in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_download_over_http(server, archive, dest, images):
    url = server.serve("/fashion_mnist_images.zip", archive.read_bytes())
    result = run("--url", url, "--dest", str(dest))
    assert result.exit_code == 0, result.output
    folder = dest / "fashion_mnist_images"
    assert result.stdout == f"{folder}\n"
    assert f"downloading {url}" in result.stderr
    assert "train: 30 images, test: 30 images" in result.stderr
    assert sorted(p.name for p in (folder / "train").iterdir()) == [str(label) for label in range(10)]
    assert (folder / "cache.npz").is_file()
    assert_clean(dest)
    assert dataset_ready(folder)
    assert_loaded(folder, images)


@pytest.mark.parametrize("form", ["file_url", "plain_path"])
def test_download_from_local_file(form, archive, dest, images):
    url = archive.as_uri() if form == "file_url" else str(archive)
    result = run("--url", url, "--dest", str(dest))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{dest / 'fashion_mnist_images'}\n"
    assert_clean(dest)
    assert_loaded(dest / "fashion_mnist_images", images)


def test_a_single_wrapper_folder_is_tolerated(tmp_path, dest, images):
    archive = write_zip(tmp_path / "wrapped.zip", images, prefix="fashion_mnist_images/")
    assert download_fashion(str(archive), dest) == dest / "fashion_mnist_images"
    assert_loaded(dest / "fashion_mnist_images", images)


def test_env_var_gives_the_url(archive, dest):
    result = run("--dest", str(dest), env={"NNFS_FASHION_URL": archive.as_uri()})
    assert result.exit_code == 0, result.output
    assert (dest / "fashion_mnist_images" / "cache.npz").is_file()


def test_second_run_keeps_the_copy_and_force_downloads_again(server, archive, dest):
    url = server.serve("/f.zip", archive.read_bytes())
    assert run("--url", url, "--dest", str(dest)).exit_code == 0
    again = run("--url", url, "--dest", str(dest))
    assert again.exit_code == 0
    assert "already present: " in again.stderr and "use --force" in again.stderr
    assert again.stdout == f"{dest / 'fashion_mnist_images'}\n"
    assert len(server.hits) == 1
    forced = run("--url", url, "--dest", str(dest), "--force")
    assert forced.exit_code == 0, forced.output
    assert len(server.hits) == 2
    assert_clean(dest)


def test_sha256_is_checked_when_given(archive, dest):
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert run("--url", str(archive), "--dest", str(dest), "--sha256", digest.upper()).exit_code == 0
    # A malformed digest is the caller's mistake (exit 2), found before any download.
    fresh = dest.parent / "fresh"
    bad = run("--url", "https://nnfs.invalid/x.zip", "--dest", str(fresh), "--sha256", "deadbeef")
    assert bad.exit_code == 2
    assert bad.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--sha256': must be 64 hex digits, got 'deadbeef'")
    assert not fresh.exists()


def test_no_network_says_how_to_use_a_local_copy(dest):
    result = run("--url", closed_port_url(), "--dest", str(dest))
    assert_refused(result, "cannot reach http://127.0.0.1:")
    assert result.stderr.count("\n") == 1
    assert result.stderr.rstrip().endswith(
        "; to use a local copy of fashion_mnist_images.zip, pass --url "
        "/path/to/fashion_mnist_images.zip to nnfs download-fashion, or set "
        "NNFS_FASHION_URL=/path/to/fashion_mnist_images.zip")


def symlink_entry():
    info = zipfile.ZipInfo("train/0/link.png")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, b"/etc/passwd"


def bad_archive(case, tmp_path, images):
    """Bytes of an archive that must be refused, made from the good images."""
    images = dict(images)
    extra = []
    if case == "corrupt":
        return np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    if case == "dotdot":
        extra = [("../evil.png", b"x")]
    elif case == "absolute":
        extra = [("/tmp/nnfs-evil.png", b"x")]
    elif case == "symlink":
        extra = [symlink_entry()]
    elif case == "missing_label":
        images = {key: image for key, image in images.items() if key[:2] != ("test", 7)}
    elif case == "not_28x28":
        images[("train", 4, "0000.png")] = np.zeros((32, 28), np.uint8)
    elif case == "colour":
        images[("train", 4, "0000.png")] = np.zeros((28, 28, 3), np.uint8)
    elif case == "not_png":
        extra = [("train/5/fake.png", b"GIF89a" + bytes(40))]
    elif case == "wrong_archive":
        images, extra = {}, [("docs/readme.txt", b"hello")]
    return write_zip(tmp_path / f"{case}.zip", images, extra).read_bytes()


REFUSALS = [
    ("corrupt", "is not a valid zip archive"),
    ("dotdot", "refusing unsafe entry '../evil.png'"),
    ("absolute", "refusing unsafe entry '/tmp/nnfs-evil.png'"),
    ("symlink", "'train/0/link.png'"),
    ("missing_label", "missing label(s) 7 in test/"),
    ("not_28x28", "is 28x32, bit depth 8, colour type 0; expected a 28x28 8-bit grayscale PNG"),
    ("colour", "colour type 2"),
    ("not_png", "'train/5/fake.png'"),
    ("wrong_archive", "has no train/ images"),
]


@pytest.mark.parametrize("case, message", REFUSALS)
def test_bad_archive_is_refused_and_leaves_nothing(case, message, tmp_path, dest, images):
    source = tmp_path / "bad.zip"
    source.write_bytes(bad_archive(case, tmp_path, images))
    assert_refused(run("--url", str(source), "--dest", str(dest)), message)
    assert not (dest / "fashion_mnist_images").exists()
    assert not (tmp_path / "evil.png").exists()
    assert_clean(dest)


@pytest.mark.parametrize("case, message", REFUSALS)
def test_bad_forced_download_keeps_the_good_copy(case, message, tmp_path, archive, dest, images):
    assert run("--url", str(archive), "--dest", str(dest)).exit_code == 0
    before = snapshot(dest / "fashion_mnist_images")
    source = tmp_path / "bad.zip"
    source.write_bytes(bad_archive(case, tmp_path, images))
    assert_refused(run("--url", str(source), "--dest", str(dest), "--force"), message)
    assert snapshot(dest / "fashion_mnist_images") == before
    assert_clean(dest)


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/fashion.zip"


@pytest.mark.parametrize("case, message", [
    ("truncated", "was cut short"),
    ("missing", "HTTP 404 Not Found for "),
    ("refused", "cannot reach http://127.0.0.1:"),
    ("sha256", "SHA-256 mismatch for "),
])
def test_network_failures_keep_the_good_copy(case, message, server, archive, dest):
    data = archive.read_bytes()
    good = server.serve("/good.zip", data)
    assert run("--url", good, "--dest", str(dest)).exit_code == 0
    before = snapshot(dest / "fashion_mnist_images")
    args = {
        "truncated": ["--url", server.serve("/cut.zip", data, cut=len(data) // 2)],
        "missing": ["--url", server.base + "/missing.zip"],
        "refused": ["--url", closed_port_url()],
        "sha256": ["--url", good, "--sha256", "0" * 64],
    }[case]
    assert_refused(run(*args, "--dest", str(dest), "--force"), message)
    assert snapshot(dest / "fashion_mnist_images") == before
    assert_clean(dest)


def test_truncated_download_without_old_copy_leaves_nothing(server, archive, dest):
    data = archive.read_bytes()
    url = server.serve("/cut.zip", data, cut=len(data) // 3)
    assert_refused(run("--url", url, "--dest", str(dest)), f"download of {url} was cut short")
    assert_clean(dest)
    assert not (dest / "fashion_mnist_images").exists()


def test_full_disk_is_one_line_and_keeps_the_good_copy(monkeypatch, archive, dest):
    assert run("--url", str(archive), "--dest", str(dest)).exit_code == 0
    before = snapshot(dest / "fashion_mnist_images")

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("nnfs_cli.data.archive.shutil.copyfileobj", full)
    result = run("--url", str(archive), "--dest", str(dest), "--force")
    assert_refused(result, f"cannot write to {dest}: No space left on device")
    assert snapshot(dest / "fashion_mnist_images") == before
    assert_clean(dest)


def test_ctrl_c_cleans_up(monkeypatch, archive, dest):
    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("nnfs_cli.data.archive.shutil.copyfileobj", interrupt)
    with pytest.raises(KeyboardInterrupt):
        download_fashion(str(archive), dest)
    assert_clean(dest)
    assert not (dest / "fashion_mnist_images").exists()


def test_load_uses_a_fresh_cache_and_rebuilds_a_stale_one(monkeypatch, archive, dest, images):
    folder = download_fashion(str(archive), dest)
    with monkeypatch.context() as patch:
        patch.setattr(cv2, "imdecode", None)  # any PNG decoding would fail
        assert_loaded(folder, images)
    (folder / "train" / "3" / "0001.png").unlink()
    del images[("train", 3, "0001.png")]
    x_train, y_train, _, _ = load_fashion(folder)
    assert len(x_train) == 10 * PER_LABEL - 1
    assert np.array_equal(x_train, expected_arrays(images, "train")[0])
    monkeypatch.setattr(cv2, "imdecode", None)
    assert len(load_fashion(folder)[0]) == 10 * PER_LABEL - 1


def test_load_without_data_set_says_how_to_get_it(tmp_path):
    assert not dataset_ready(tmp_path / "nothing")
    with pytest.raises(NnfsError, match="run `nnfs download-fashion`"):
        load_fashion(tmp_path / "nothing")


def test_class_names():
    assert len(CLASS_NAMES) == 10 and CLASS_NAMES[0] == "T-shirt/top" and CLASS_NAMES[9] == "Ankle boot"


@pytest.mark.slow
def test_real_archive(real_fashion_download, monkeypatch):
    result, folder = real_fashion_download
    assert "train: 60000 images, test: 10000 images" in result.stderr
    with monkeypatch.context() as patch:
        patch.setattr(cv2, "imdecode", None)  # must come from the cache built by the download
        cached = load_fashion(folder)
    x_train, y_train, x_test, y_test = cached
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and x_test.dtype == np.uint8
    assert np.array_equal(np.bincount(y_train), [6000] * 10)
    assert np.array_equal(np.bincount(y_test), [1000] * 10)
    assert all(np.array_equal(a, b) for a, b in zip(cached, decode_zip(REAL_ARCHIVE)))


def decode_zip(path):
    """(x_train, y_train, x_test, y_test) read straight from the archive, independently of nnfs_cli."""
    arrays = []
    with zipfile.ZipFile(path) as zf:
        entries = [info.filename.split("/") for info in zf.infolist() if not info.is_dir()]
        for split in ("train", "test"):
            keys = sorted((int(label), name) for part, label, name in entries if part == split)
            images = [cv2.imdecode(np.frombuffer(zf.read(f"{split}/{label}/{name}"), np.uint8),
                                   cv2.IMREAD_UNCHANGED) for label, name in keys]
            arrays += [np.stack(images), np.array([label for label, _ in keys])]
    return arrays
