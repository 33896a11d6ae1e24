"""files.py: only regular files are read, never past a limit, without allocating the limit."""

import os
import subprocess
import sys

import pytest

from nnfs_cli import files


def test_regular_files_are_read_and_others_refused(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"caf\xc3\xa9")
    assert files.read_bytes(path) == b"caf\xc3\xa9" and files.read_text(path, 5) == "café"
    os.symlink(path, tmp_path / "link")   # a link to a regular file is one
    assert files.read_bytes(tmp_path / "link", 5) == b"caf\xc3\xa9"
    os.mkfifo(tmp_path / "fifo")
    os.symlink("/dev/zero", tmp_path / "zero")
    for name, reason in (("fifo", "is a FIFO, not a regular file; only regular files are read"),
                         ("zero", "is a character device, not a regular file; only regular "
                                  "files are read"),
                         ("missing", "no such file")):
        with pytest.raises(files.UnreadableFile) as caught:
            files.read_bytes(tmp_path / name)
        assert (str(caught.value), caught.value.reason) == (f"{tmp_path / name}: {reason}",
                                                            reason)
    with pytest.raises(files.UnreadableFile, match=f"^{tmp_path}: is a directory, not a file$"):
        files.read_bytes(tmp_path)


def test_limits_and_text(tmp_path):
    path = tmp_path / "big"
    path.write_bytes(b"x" * 100)
    with pytest.raises(files.UnreadableFile, match="100 bytes, more than the limit of 99 "
                                                   r"\(set NNFS_MAX_ROWS_BYTES to allow more\)"):
        files.read_bytes(path, 99, "rows_bytes")
    assert len(files.read_bytes(path, 100)) == 100
    path.write_bytes(b"ok\n\xe9")
    with pytest.raises(files.UnreadableFile, match=r"not UTF-8 text \(byte 0xe9 at offset 3\)"):
        files.read_text(path)


def test_a_large_limit_is_not_allocated(tmp_path):
    # read(n) allocates n bytes up front: a 64 GB limit must not mean a 64 GB buffer.
    path = tmp_path / "small"
    path.write_bytes(b"abc")
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
            "from nnfs_cli import files; import sys; "
            "assert files.read_bytes(sys.argv[1], 64 << 30) == b'abc'")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=120)
