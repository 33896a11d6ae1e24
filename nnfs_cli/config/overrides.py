"""`--set KEY=VALUE` overrides, applied to the raw YAML before validation:
`optimizer.learning_rate=0.01`, `model[0].units=64`, `data.samples=500`."""

import re

from nnfs_cli import limits
from nnfs_cli.config import safe_yaml
from nnfs_cli.errors import ConfigError
from nnfs_cli.registry import parse_entry
from nnfs_cli.validators import show


_KEY_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[-?\d+\])*)$")


def apply_overrides(raw, overrides, source):
    """Apply `--set KEY=VALUE` strings: `optimizer.learning_rate=0.01`, `model[0].units=64`."""
    problems = []
    for override in overrides:
        key, sep, value = override.partition("=")
        if not sep or not key.strip():
            problems.append(f"--set {override}: expected KEY=VALUE")
            continue
        if len(value) > limits.CONFIG_BYTES:
            problems.append(f"--set {key.strip()}: the value is longer than "
                            f"{limits.CONFIG_BYTES:,} characters")
            continue
        try:
            # The value is YAML like the file, so it is bounded the same way.
            set_path(raw, key.strip(), safe_yaml.load(value) if value.strip() else None)
        except ValueError as error:
            problems.append(f"--set {key.strip()}: {str(error).splitlines()[0]}")
    if problems:
        raise ConfigError(problems, source)


def apply_values(raw, values, source):
    """Set Python values by key path (`{"optimizer.learning_rate": 0.01}`), as `--set` does
    with YAML text; the values are checked with the rest of the config afterwards."""
    problems = []
    for key, value in values.items():
        try:
            set_path(raw, str(key).strip(), value)
        except ValueError as error:
            problems.append(f"{key}: {str(error).splitlines()[0]}")
    if problems:
        raise ConfigError(problems, source)


def _split_key(key):
    steps = []
    for part in key.split("."):
        match = _KEY_PART.match(part)
        if not match:
            raise ValueError(f"cannot read key part {part!r}")
        steps.append(match.group(1))
        steps.extend(int(index) for index in re.findall(r"-?\d+", match.group(2)))
    return steps


def set_path(raw, key, value):
    """Set the `--set` key path `key` (`model[0].units`) in the raw config `raw` to `value`;
    ValueError when the path cannot be followed."""
    steps = _split_key(key)
    node = raw
    for position, step in enumerate(steps[:-1]):
        node = _descend(node, step, steps[position + 1], _label(steps[:position]))
    last = steps[-1]
    if isinstance(last, int):
        _check_index(node, last, _label(steps[:-1]))
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ValueError(f"cannot set {last!r} inside {show(node)}")


def _label(steps):
    """`model[2].units` for the steps ["model", 2, "units"]."""
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in steps).lstrip(".")


def _check_index(node, index, label):
    if not isinstance(node, list):
        raise ValueError(f"no item [{index}]; {label or 'the config'} is not a list")
    if not -len(node) <= index < len(node):
        count = f"{len(node)} item{'s' if len(node) != 1 else ''}"
        span = f", [0] to [{len(node) - 1}]" if node else ""
        raise ValueError(f"no item [{index}]; {label} has {count}{span}")


def _descend(node, step, next_step, label):
    """One step down for `--set`, turning bare names (`relu`, `data: spiral`) into mappings."""
    if isinstance(step, int):
        _check_index(node, step, label)
        item = node[step]
        if isinstance(item, dict) and "name" in item:
            return item                    # options sit beside the name
        name, options = parse_entry(item)  # `- relu` -> `- relu: {}`, to set options in
        node[step] = {name: options}
        return options
    if not isinstance(node, dict):
        raise ValueError(f"cannot look up {step!r} inside {show(node)}")
    child = node.get(step)
    if isinstance(child, str) and step in ("data", "loss", "optimizer", "metric"):
        child = node[step] = {"name": child}
    elif child is None and not isinstance(next_step, int):
        child = node[step] = {}
    return child
