import builtins
import os
import pickle
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nnfs_cli.runs import safe_pickle
from nnfs_cli.errors import NnfsError


def book_params(dtype=np.float32):
    rng = np.random.default_rng(0)
    shapes = [(784, 64), (64, 64), (64, 10)]
    return [
        (rng.standard_normal(s).astype(dtype), np.zeros((1, s[1]), dtype)) for s in shapes
    ]


def checkpoint():
    return {
        "epoch": 3,
        "step": np.int64(1200),
        "loss": np.float32(0.42),
        "best": np.float64(0.87),
        "done": np.bool_(False),
        "learning_rate": 1e-3,
        "name": "adam",
        "note": None,
        "flags": [True, False],
        "shape": (1, 2),
        "blob": b"\x00\xff",
        "seen": {1, 2},
        "rng": np.random.default_rng(0).bit_generator.state,
        "momentums": {(0, "weights"): np.ones((3, 2)), (0, "biases"): np.zeros((1, 2))},
        "mask": np.array([True, False]),
        "pixels": np.arange(6, dtype=np.uint8).reshape(2, 3),
        "labels": np.arange(4),
        "empty": np.zeros((0, 3), np.float32),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    }


def assert_same(a, b):
    if isinstance(a, np.ndarray) or isinstance(a, np.generic):
        assert type(a) is type(b) and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert type(a) is type(b) and a == b


def test_round_trip_book_params(tmp_path):
    params = book_params()
    safe_pickle.dump(params, tmp_path / "params.pkl")
    assert_same(params, safe_pickle.load(tmp_path / "params.pkl"))
    assert [p.name for p in tmp_path.iterdir()] == ["params.pkl"]


def test_round_trip_checkpoint_resumes_generator(tmp_path):
    ckpt = checkpoint()
    safe_pickle.dump(ckpt, tmp_path / "checkpoint.pkl")
    loaded = safe_pickle.load(tmp_path / "checkpoint.pkl")
    assert_same(ckpt, loaded)
    rng = np.random.default_rng()
    rng.bit_generator.state = loaded["rng"]
    assert rng.random() == np.random.default_rng(0).random()


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_loads_every_protocol(tmp_path, protocol):
    obj = {"params": book_params(np.float64), "ckpt": checkpoint(), "z": 1 + 2j}
    path = tmp_path / "p.pkl"
    path.write_bytes(pickle.dumps(obj, protocol=protocol))
    assert_same(obj, safe_pickle.load(path))


def test_loads_what_the_book_writes(tmp_path):
    # Model.save_parameters: pickle.dump(self.get_parameters(), f) with the default protocol.
    path = tmp_path / "fashion_mnist.parms"
    with open(path, "wb") as f:
        pickle.dump(book_params(np.float64), f)
    assert_same(book_params(np.float64), safe_pickle.load(path))


@pytest.mark.parametrize("package", [b"numpy.core", b"numpy._core"])
def test_loads_either_numpy_name(tmp_path, package):
    # numpy 1.x writes numpy.core, numpy 2.x numpy._core: rename whichever this one wrote
    # (protocol 2 spells names as text, so the lengths may change).
    data = pickle.dumps(checkpoint(), protocol=2)
    data = data.replace(b"numpy._core.", b"numpy.core.").replace(b"numpy.core.", package + b".")
    assert package + b".multiarray" in data
    (tmp_path / "other.pkl").write_bytes(data)
    assert_same(checkpoint(), safe_pickle.load(tmp_path / "other.pkl"))


PICKLES = Path(__file__).parent / "data" / "pickles"


def cross_version_params():
    """What tests/data/pickles/ holds, built from nothing that may vary between versions."""
    params = [
        (np.arange(12, dtype=np.float32).reshape(3, 4) / 7, np.full((1, 4), -0.5, np.float32)),
        (np.asfortranarray(np.arange(8.0).reshape(4, 2)), np.zeros((1, 2))),
    ]
    state = {"epoch": 2, "step": np.int64(30), "loss": np.float32(0.25), "done": np.bool_(True),
             "labels": np.array([0, 9, 3], np.int64), "pixels": np.arange(4, dtype=np.uint8),
             "mask": np.array([True, False]), "rng": np.random.default_rng(0).bit_generator.state}
    return {"params": params, "checkpoint": state}


def write_cross_version_pickles():
    """Write this NumPy's files: run `python tests/test_safe_pickle.py` under numpy 1.x and 2.x."""
    PICKLES.mkdir(parents=True, exist_ok=True)
    for protocol in (4, 5):
        path = PICKLES / f"numpy{np.__version__.split('.')[0]}-protocol{protocol}.pkl"
        path.write_bytes(pickle.dumps(cross_version_params(), protocol=protocol))
        print(path, np.__version__)


@pytest.mark.parametrize("name", ["numpy1-protocol4", "numpy1-protocol5",
                                  "numpy2-protocol4", "numpy2-protocol5"])
def test_loads_what_other_numpy_versions_wrote(name):
    # Real files from numpy 1.24 and 2.4, so the other major's names and reducers
    # (_reconstruct for protocol 4, _frombuffer for 5) load under whichever is installed.
    path = PICKLES / f"{name}.pkl"
    package = b"numpy.core." if name.startswith("numpy1") else b"numpy._core."
    assert package in path.read_bytes()
    assert_same(cross_version_params(), safe_pickle.load(path))


class Evil:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def attacks(target):
    cmd = f"touch {target}"
    yield "posix.system", Evil(os.system, cmd)
    yield "subprocess.call", Evil(subprocess.call, ["touch", str(target)])
    yield "builtins.eval", Evil(builtins.eval, f"open({str(target)!r}, 'w')")
    yield "builtins.exec", Evil(builtins.exec, f"open({str(target)!r}, 'w')")
    yield "builtins.getattr", Evil(getattr, "text", "upper")
    yield "builtins.open", Evil(open, str(target), "w")


@pytest.mark.parametrize("name", [name for name, _ in attacks("x")])
@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_refuses_code_and_runs_none(tmp_path, name, protocol):
    target = tmp_path / "pwned"
    evil = dict(attacks(target))[name]
    path = tmp_path / "params.pkl"
    # Hidden inside a valid-looking params list, after real arrays.
    path.write_bytes(pickle.dumps([book_params()[0], (evil, np.zeros(2))], protocol=protocol))
    with pytest.raises(NnfsError) as e:
        safe_pickle.load(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: refused to unpickle '") and "\n" not in msg
    assert name.split(".")[1] in msg
    assert not target.exists()


def test_refuses_other_codecs(tmp_path):
    path = tmp_path / "c.pkl"
    path.write_bytes(b"c_codecs\nencode\n(Vabc\nVrot13\ntR.")
    with pytest.raises(NnfsError, match="not a readable pickle.*rot13"):
        safe_pickle.load(path)


def test_refuses_other_numpy_callables(tmp_path):
    path = tmp_path / "n.pkl"
    path.write_bytes(b"cnumpy\nload\n(Vx.npy\ntR.")
    with pytest.raises(NnfsError, match="refused to unpickle 'numpy.load'"):
        safe_pickle.load(path)


def test_dump_refuses_what_load_would(tmp_path):
    with pytest.raises(TypeError, match="cannot save"):
        safe_pickle.dump({"rng": np.random.default_rng(0)}, tmp_path / "c.pkl")
    assert list(tmp_path.iterdir()) == []


def test_truncated_file(tmp_path):
    data = pickle.dumps(book_params(), protocol=4)
    path = tmp_path / "params.pkl"
    for cut in (1, len(data) // 3, len(data) - 1):
        path.write_bytes(data[:cut])
        with pytest.raises(NnfsError, match=f"^{path}: not a readable pickle") as e:
            safe_pickle.load(path)
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("data", [b"", b"hello, world\n" * 50, bytes(range(256)) * 4])
def test_garbage_file(tmp_path, data):
    path = tmp_path / "params.pkl"
    path.write_bytes(data)
    with pytest.raises(NnfsError, match=f"^{path}: ") as e:
        safe_pickle.load(path)
    assert "\n" not in str(e.value)


def test_fuzzed_bytes_give_one_line_errors(tmp_path):
    data = bytearray(pickle.dumps(checkpoint(), protocol=2))
    rng = np.random.default_rng(1)
    path = tmp_path / "checkpoint.pkl"
    for _ in range(300):
        bad = bytearray(data)
        for i in rng.integers(0, len(bad), 3):
            bad[i] = rng.integers(0, 256)
        path.write_bytes(bad)
        try:
            safe_pickle.load(path)
        except NnfsError as e:
            assert str(e).startswith(f"{path}: ") and "\n" not in str(e)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(NnfsError, match=f"^{tmp_path / 'nope.pkl'}: no such file$"):
        safe_pickle.load(tmp_path / "nope.pkl")
    with pytest.raises(NnfsError, match=f"^{tmp_path}: is a directory"):
        safe_pickle.load(tmp_path)


def test_dump_replaces_atomically(tmp_path):
    path = tmp_path / "params.pkl"
    safe_pickle.dump([1], path)
    safe_pickle.dump([2], path)
    assert safe_pickle.load(path) == [2]
    assert [p.name for p in tmp_path.iterdir()] == ["params.pkl"]


def test_huge_memo_index_fails_fast(tmp_path):
    path = tmp_path / "params.pkl"
    path.write_bytes(b"\x80\x04K\x01r\xff\xff\xff\x7f.")  # LONG_BINPUT 2**31 - 1
    with pytest.raises(NnfsError, match="memo index 2147483647 out of range"):
        safe_pickle.load(path)


if __name__ == "__main__":
    write_cross_version_pickles()
