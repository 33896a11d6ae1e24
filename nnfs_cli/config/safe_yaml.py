"""YAML text -> plain values, bounded: the nesting depth and the number of values once
aliases are expanded are checked on the event stream, before anything is built, so an
alias bomb, a self-referencing alias or 100,000 nested `[` cost milliseconds. Keys must be
plain values and may not repeat (PyYAML would silently keep the last).

Parsed with libyaml (PyYAML's C loader) when it is installed.
"""

import yaml

from nnfs_cli import limits

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlProblem(ValueError):
    """Why a YAML text was refused, as one line (with its position when known)."""


def load(text):
    """The plain value (dict, list, str, number...) of the YAML `text`; None when empty.
    Raises YamlProblem listing the problems, one per line."""
    try:
        _check_events(text)
        node = yaml.compose(text, Loader=Loader)
        if node is None:
            return None
        problems = []
        _check_keys(node, "", problems)
        if problems:
            raise YamlProblem("\n".join(problems))
        loader = Loader(text)
        try:
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except YamlProblem:
        raise
    # ValueError: e.g. an integer of 5,000 digits, which Python refuses to convert.
    except (yaml.YAMLError, ValueError, OverflowError) as error:
        raise YamlProblem(f"invalid YAML: {one_line(error)}") from None


def one_line(error):
    """A YAML error as one line with its position."""
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    text = str(getattr(error, "problem", None) or error).strip().splitlines()
    return f"{text[0] if text else type(error).__name__}{where}"


def _at(event):
    return f"line {event.start_mark.line + 1}: "


def _check_events(text):
    """Refuse deep nesting, self-referencing aliases and more than YAML_NODES values
    (aliases expanded), counting as the parser goes: the bomb is never built."""
    sizes = {}   # anchor -> how many values it stands for
    stack = []   # [anchor, values so far] of every open sequence or mapping
    for event in yaml.parse(text, Loader=Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 1])
            if len(stack) > limits.YAML_DEPTH:
                raise YamlProblem(f"{_at(event)}nested deeper than {limits.YAML_DEPTH} levels")
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, size = stack.pop()
        elif isinstance(event, yaml.ScalarEvent):
            anchor, size = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent):
            if any(open_anchor == event.anchor for open_anchor, _ in stack):
                raise YamlProblem(f"{_at(event)}alias *{event.anchor} refers to a value "
                                  "that contains it")
            anchor, size = None, sizes.get(event.anchor)
            if size is None:
                continue   # an undefined alias: compose names it
        else:
            continue
        if anchor is not None:
            sizes[anchor] = size
        total = size
        if stack:
            stack[-1][1] += size
            total = stack[-1][1]
        if total > limits.YAML_NODES:
            raise YamlProblem(f"{_at(event)}more than {limits.YAML_NODES:,} values once "
                              "aliases are expanded; a config is far smaller")


def _check_keys(node, path, problems):
    """Duplicate and non-scalar keys, one problem each (depth is bounded already)."""
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "sequence" if isinstance(key_node, yaml.SequenceNode) else "mapping"
                where = f"{path}: " if path else ""
                problems.append(f"{where}a key must be a plain name, not a {kind} (line {line})")
                continue
            key = key_node.value
            child = f"{path}.{key}" if path else str(key)
            if key in seen:
                problems.append(f"{child}: duplicate key (line {line})")
            seen.add(key)
            _check_keys(value_node, child, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_keys(item, f"{path}[{index}]", problems)
