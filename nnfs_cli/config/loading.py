"""Reading a config file: YAML text -> dict, with duplicate keys found, then `--set`
overrides, then validation (schema.py)."""

from pathlib import Path

import yaml

from nnfs_cli.config.overrides import apply_overrides, one_line
from nnfs_cli.config.schema import TOP_LEVEL, resolve
from nnfs_cli.errors import ConfigError


def load(path, overrides=()):
    """Read, override and validate the config at `path`; returns the resolved dict."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError([f"cannot read config: {error.strerror or error}"], source) from None
    raw = parse_yaml(text, source)
    apply_overrides(raw, overrides, source)
    return resolve(raw, source)


def parse_yaml(text, source):
    """YAML text -> dict; duplicate keys, which PyYAML silently merges, are errors."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise ConfigError([f"invalid YAML: {one_line(error)}"], source) from None
    if node is None:
        raise ConfigError(["the file is empty; expected a mapping with keys "
                           + ", ".join(TOP_LEVEL)], source)
    problems = []
    _find_duplicates(node, "", problems)
    if problems:
        raise ConfigError(problems, source)
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise ConfigError([f"expected a mapping with keys {', '.join(TOP_LEVEL)}, "
                           f"got {type(raw).__name__}"], source)
    return raw


def _find_duplicates(node, path, problems):
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            child = f"{path}.{key}" if path else str(key)
            if key in seen:
                problems.append(f"{child}: duplicate key (line {key_node.start_mark.line + 1})")
            seen.add(key)
            _find_duplicates(value_node, child, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _find_duplicates(item, f"{path}[{index}]", problems)
