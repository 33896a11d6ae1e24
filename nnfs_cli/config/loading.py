"""Reading a config file: bytes -> text (UTF-8, or UTF-16/32 with a byte-order mark) ->
YAML (bounded and checked, safe_yaml.py), then `--set` overrides, then validation
(schema.py)."""

import codecs
import copy

from nnfs_cli import files, limits
from nnfs_cli.config import safe_yaml
from nnfs_cli.config.overrides import apply_overrides, apply_values
from nnfs_cli.config.schema import TOP_LEVEL, resolve
from nnfs_cli.errors import ConfigError

# UTF-32 first: its little-endian mark begins with UTF-16's.
_MARKS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
          (codecs.BOM_UTF16_BE, "utf-16"))


def load(path, overrides=(), values=None):
    """Read, override and validate the config at `path`; returns the resolved dict.
    `overrides` are `--set KEY=VALUE` strings, `values` {key path: Python value}."""
    source = str(path)
    try:
        data = files.read_bytes(path, limits.CONFIG_BYTES)
    except files.UnreadableFile as error:
        raise ConfigError([f"cannot read config: {error.reason}"], source) from None
    kind = _not_a_config(data)
    if kind:
        hint = f"; to classify it: nnfs predict {source}" if "picture" in kind else ""
        raise ConfigError([f"{kind}, not a YAML config{hint}"], source)
    raw = parse_yaml(decode(data, source), source)
    if isinstance(raw, dict) and "parameters" in raw and "base" in raw and "model" not in raw:
        raise ConfigError([f"a sweep file (it has base: and parameters:), not a training "
                           f"config; run it with: nnfs sweep {source}"], source)
    return _finish(raw, overrides, values, source)


# The first bytes of files that people pass for a config by mistake.
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "a PNG picture"), (b"\xff\xd8\xff", "a JPEG picture"),
               (b"GIF8", "a GIF picture"),
               (b"II*\0", "a TIFF picture"), (b"MM\0*", "a TIFF picture"),
               (b"\x93NUMPY", "a NumPy .npy array"), (b"PK\x03\x04", "a zip archive"),
               (b"\x1f\x8b", "a gzip file"), (b"\x80", "a Python pickle"))
def _not_a_config(data):
    """What the bytes `data` are when they are plainly not YAML text (a picture, an array,
    an archive), for the one-line error; None otherwise."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP picture"
    if data[:2] == b"BM" and data[6:10] == b"\0\0\0\0":   # BMP: its reserved bytes are zero
        return "a BMP picture"
    return next((kind for signature, kind in _SIGNATURES if data.startswith(signature)), None)


def load_mapping(mapping, overrides=(), values=None, source="<config>"):
    """A config given as a dict (as a YAML file would parse), overridden and validated like
    a file; the caller's dict is left as it is."""
    if not isinstance(mapping, dict):
        raise ConfigError([f"expected a mapping with keys {', '.join(TOP_LEVEL)}, "
                           f"got {type(mapping).__name__}"], source)
    return _finish(copy.deepcopy(mapping), overrides, values, source)


def _finish(raw, overrides, values, source):
    apply_overrides(raw, overrides, source)
    apply_values(raw, values or {}, source)
    return resolve(raw, source)


def decode(data, source):
    """Config bytes -> text: UTF-8, or UTF-16/UTF-32 when a byte-order mark says so."""
    encoding = next((name for mark, name in _MARKS if data.startswith(mark)), None)
    if encoding is None and b"\0" in data:
        raise ConfigError(["looks like UTF-16 or UTF-32 text without a byte-order mark; "
                           "save the file as UTF-8"], source)
    try:
        return data.decode(encoding or "utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        name = (encoding or "utf-8").replace("-sig", "").upper()
        raise ConfigError([f"not {name} text (byte 0x{data[error.start]:02x} on line {line}); "
                           "save the file as UTF-8"], source) from None


def parse_yaml(text, source, keys=TOP_LEVEL):
    """YAML text -> dict; too large, too deep or aliased too much, duplicate or non-scalar
    keys and tags other than plain values are errors. `keys` are the top-level keys an error
    message suggests."""
    try:
        raw = safe_yaml.load(text)
    except safe_yaml.YamlProblem as error:
        raise ConfigError(str(error).splitlines(), source) from None
    if raw is None:
        raise ConfigError(["the file is empty; expected a mapping with keys "
                           + ", ".join(keys)], source)
    if not isinstance(raw, dict):
        raise ConfigError([f"expected a mapping with keys {', '.join(keys)}, "
                           f"got {type(raw).__name__}"], source)
    return raw
