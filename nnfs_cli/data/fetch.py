"""Copy a URL (http, https, file://) or a local path to a file, with progress and checks,
bounded: at most NNFS_MAX_DOWNLOAD_BYTES, within an overall deadline, and a server that
sends nothing for a while (or only a trickle) is given up on."""

import hashlib
import http.client
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tqdm import tqdm

from nnfs_cli import files, limits
from nnfs_cli.errors import NnfsError

CHUNK = 1 << 16
STALL_BYTES = 1 << 10   # less than this over a stall period counts as no data


class Unreachable(NnfsError):
    """The host of an http(s) URL could not be reached (no network, DNS, refused, timeout)."""


def check_sha256(sha256):
    """Return `sha256` as 64 lowercase hex digits, or None; reject anything else before downloading."""
    if sha256 is None:
        return None
    digest = sha256.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise NnfsError(f"--sha256 must be 64 hex digits, got {sha256!r}")
    return digest


def fetch(url, target, reporter, sha256=None):
    """Copy `url` to `target` through `target.part`, renamed only once complete and checked.

    A short read (fewer bytes than Content-Length) or a wrong SHA-256 is an NnfsError.
    OSError from writing `target` is left to the caller, which knows the folder.
    """
    target = Path(target)
    part = target.with_name(target.name + ".part")
    cap, stall = limits.get("download_bytes"), limits.get("stall_seconds")
    deadline = time.monotonic() + limits.get("download_seconds")
    source, total = _open(url, stall)
    if total is not None and total > cap:
        source.close()
        raise NnfsError(f"{url} is {total:,} bytes, more than the limit of {cap:,} bytes "
                        f"{limits.hint('download_bytes')}")
    digest = hashlib.sha256()
    done = 0
    bar = _progress(url, total, reporter)
    window = [time.monotonic(), 0]   # the start and the bytes of this stall period
    try:
        with source, open(part, "wb") as out:
            while chunk := _read(source, url):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                bar.update(len(chunk))
                _check_flow(window, len(chunk), stall, url)
                if done > cap:
                    raise NnfsError(f"download of {url} passed the limit of {cap:,} bytes "
                                    f"{limits.hint('download_bytes')}")
                if time.monotonic() > deadline:
                    raise NnfsError(f"download of {url} took more than "
                                    f"{limits.get('download_seconds')} s "
                                    f"{limits.hint('download_seconds')}")
        if total is not None and done < total:
            raise NnfsError(f"download of {url} was cut short: got {done} of {total} bytes")
        if sha256 and digest.hexdigest() != sha256:
            raise NnfsError(f"SHA-256 mismatch for {url}: expected {sha256}, got {digest.hexdigest()}")
        os.replace(part, target)
    finally:
        bar.close()
        part.unlink(missing_ok=True)


def _open(url, stall):
    """Return (readable binary stream, size or None) for a URL or a plain path; a network
    read waits at most `stall` seconds for data."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        try:
            response = urllib.request.urlopen(url, timeout=stall)
        except urllib.error.HTTPError as error:
            raise NnfsError(f"HTTP {error.code} {error.reason} for {url}") from None
        except urllib.error.URLError as error:
            raise Unreachable(f"cannot reach {url}: {error.reason}") from None
        except (OSError, http.client.HTTPException) as error:
            raise Unreachable(f"cannot reach {url}: {error}") from None
        length = response.headers.get("Content-Length")
        return response, int(length) if length and length.isdigit() else None
    if scheme == "file":
        path = urllib.request.url2pathname(urllib.parse.urlsplit(url).path)
    elif len(scheme) <= 1:  # no scheme, or a Windows drive letter
        path = url
    else:
        raise NnfsError(f"unsupported URL {url}: use http(s)://, file:// or a local path")
    try:
        stream = files.open_regular(path)   # never a FIFO or /dev/zero
    except files.UnreadableFile as error:
        raise NnfsError(f"cannot read {path}: {error.reason}") from None
    return stream, os.fstat(stream.fileno()).st_size


def _read(source, url):
    """The next chunk: read1 returns what has arrived, so the deadline is checked even when
    a server trickles a byte at a time."""
    try:
        return source.read1(CHUNK) if hasattr(source, "read1") else source.read(CHUNK)
    except TimeoutError:
        raise NnfsError(f"download of {url} stalled: no data for "
                        f"{limits.get('stall_seconds')} s {limits.hint('stall_seconds')}") from None
    except http.client.IncompleteRead as error:
        raise NnfsError(f"download of {url} was cut short: {error}") from None
    except (OSError, http.client.HTTPException) as error:
        raise NnfsError(f"download of {url} failed: {error}") from None


def _check_flow(window, received, stall, url):
    """A server that sends a byte every few seconds never trips the socket's timeout:
    fewer than STALL_BYTES over `stall` seconds is a stall too."""
    window[1] += received
    now = time.monotonic()
    if now - window[0] >= stall:
        if window[1] < STALL_BYTES:
            raise NnfsError(f"download of {url} stalled: {window[1]} bytes in the last "
                            f"{stall} s {limits.hint('stall_seconds')}")
        window[:] = [now, 0]


def _progress(url, total, reporter):
    """A tqdm bar on a terminal; plain lines (at most one per 10% or 5 s) in logs and pipes;
    nothing when the reporter is quiet."""
    if reporter.bars:
        name = url.rsplit("/", 1)[-1] or url
        return reporter.bar(total, name, unit="B", unit_scale=True, unit_divisor=1024, leave=True)
    return _Lines(url, total, reporter)


class _Lines:
    """The few calls of tqdm that `fetch` uses, printing a line now and then."""

    def __init__(self, url, total, reporter):
        self.total, self.done, self.start = total, 0, time.monotonic()
        self.last_time, self.last_tenth = self.start, 0
        self.say = reporter.line
        size = f" ({_size(total)})" if total is not None else ""
        self.say(f"downloading {url}{size}")

    def update(self, n):
        self.done += n
        now = time.monotonic()
        tenth = self.done * 10 // self.total if self.total else 0
        if tenth > self.last_tenth or now - self.last_time >= 5:
            self.last_time, self.last_tenth = now, tenth
            of = f" of {_size(self.total)} ({tenth * 10}%)" if self.total else ""
            self.say(f"  {_size(self.done)}{of}")

    def close(self):
        seconds = max(time.monotonic() - self.start, 1e-6)
        self.say(f"  {_size(self.done)} in {seconds:.1f} s ({_size(self.done / seconds)}/s)")


def _size(n):
    return tqdm.format_sizeof(n, "B", 1024)
