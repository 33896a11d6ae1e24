"""The study's journal file (runs/sweeps/NAME/journal.log, Optuna's JournalFileBackend),
checked before Optuna reads or appends to it: a regular file (a FIFO would hang the sweep,
a link to /dev/zero fill the memory), every line a record of an Optuna journal, UTF-8 JSON.

A kill or a power cut while a record is written leaves its line cut short; Optuna would
append the next record onto it and never read the journal again. So a last line without its
line break is completed (when what it holds is a whole record) or dropped, and a line that
is such a cut record followed by a whole one (written by earlier versions of nnfs) keeps the
whole one; each repair is said in one line. Repairs hold Optuna's own lock on the journal.
"""

import json
import os

from nnfs_cli import files
from nnfs_cli.atomic import atomic_path
from nnfs_cli.errors import NnfsError

LINE_BYTES = 16 << 20   # a record is a few hundred bytes; no journal line comes near this
RECORD_START = b'{"op_code":'   # how Optuna writes every record


def check(path, say=None):
    """Check the journal at `path` (nothing to do if there is none) and repair a record cut
    short; `say(line)` tells what was repaired. NnfsError naming the file and line otherwise."""
    if not os.path.lexists(path):
        return
    lines, repairs = _read(path)
    if not repairs:
        return
    from optuna.storages.journal import JournalFileSymlinkLock
    lock = JournalFileSymlinkLock(str(path))   # the lock Optuna takes to append
    lock.acquire()
    try:
        lines, repairs = _read(path)   # again, now that no writer is between two bytes
        if repairs:
            with atomic_path(os.path.realpath(path), path) as tmp:
                with open(tmp, "wb") as f:
                    f.writelines(lines)
                    f.flush()
                    os.fsync(f.fileno())
    finally:
        lock.release()
    for repair in repairs:
        if say is not None:
            say(f"note: {path}: {repair}")


def _read(path):
    """(the journal's lines as they should be, what had to be repaired)."""
    try:
        stream = files.open_regular(path)
    except files.UnreadableFile as error:
        raise NnfsError(f"{path}: {error.reason}; the study's journal must be a regular "
                        "file") from None
    lines, repairs = [], []
    with stream:
        number = 0
        while True:
            line = stream.readline(LINE_BYTES + 1)
            if not line:
                break
            number += 1
            if len(line) > LINE_BYTES:
                raise NnfsError(f"{path}:{number}: a line of more than {LINE_BYTES:,} bytes; "
                                "not an Optuna journal")
            whole = line.endswith(b"\n")
            if whole and _record(path, number, line, strict=False):
                lines.append(line)
                continue
            if not whole and not stream.peek(1):   # the last line, cut short
                if _record(path, number, line, strict=False):
                    lines.append(line + b"\n")
                    repairs.append("its last record had lost its line break (the sweep was "
                                   "killed while writing it); completed it")
                else:
                    repairs.append(f"its last record was cut short (the sweep was killed "
                                   f"while writing it); dropped those {len(line):,} bytes")
                break
            start = line.rfind(RECORD_START)
            if whole and start > 0 and _record(path, number, line[start:], strict=False):
                lines.append(line[start:])
                repairs.append(f"line {number} began with a record cut short, with a whole "
                               f"one after it; dropped the {start:,} bytes of the cut one")
                continue
            _record(path, number, line, strict=True)   # raises, saying what is wrong
    return lines, repairs


def _record(path, number, line, strict):
    """Whether `line` is one record of an Optuna journal; with `strict`, NnfsError if not."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        if not strict:
            return False
        raise NnfsError(f"{path}:{number}: not UTF-8 text (byte 0x{line[error.start]:02x}); "
                        "not an Optuna journal") from None
    try:
        record = json.loads(text)
    except (ValueError, RecursionError):
        record = None
    if isinstance(record, dict) and "op_code" in record:
        return True
    if strict:
        raise NnfsError(f"{path}:{number}: not a record of an Optuna journal; the study "
                        "cannot be read (move the file away to start the sweep afresh)")
    return False
