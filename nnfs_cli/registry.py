"""Registries, the only place that maps config names to classes, and the one grammar of a
config entry: `relu`, `{dense: {units: 64}}` or `{name: adam, learning_rate: 0.01}`."""

import difflib


class Registry:
    """Names -> classes for one kind of thing (layers, losses, optimizers, ...)."""

    def __init__(self, kind):
        self.kind = kind
        self._entries = {}

    def register(self, name):
        def decorate(cls):
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._entries[name] = cls
            cls.name = name
            return cls
        return decorate

    def __contains__(self, name):
        return isinstance(name, str) and name in self._entries

    def names(self):
        return sorted(self._entries)

    def get(self, name):
        """The class registered as `name`; KeyError with a message listing the choices."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise KeyError(self.unknown(name)) from None

    def unknown(self, name, kind=None, names=None):
        names = self.names() if names is None else names
        message = f"unknown {kind or self.kind} {name!r}; choose from {', '.join(names)}"
        return message + suggestion(name, names)

    def create(self, entry):
        """An instance from a resolved entry (`relu`, `{dense: {...}}`, `{name: adam, ...}`)."""
        name, options = parse_entry(entry)
        return self.get(name)(**options)


def suggestion(word, choices):
    """` (did you mean 'sgd'?)` for a near miss, case-only ones included; else ''."""
    word = str(word)
    lowered = {choice.lower(): choice for choice in choices}
    if word.lower() in lowered and word not in choices:
        return f" (did you mean {lowered[word.lower()]!r}?)"
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_entry(entry):
    """A config entry -> (name, options). Raises ValueError when it has none of the shapes
    `name`, `{name: x, key: value...}`, `{x: {key: value...}}` or `{x: null}`."""
    if isinstance(entry, str):
        return entry, {}
    if isinstance(entry, dict) and "name" in entry:
        return entry["name"], {key: value for key, value in entry.items() if key != "name"}
    if isinstance(entry, dict) and len(entry) == 1:
        (name, options), = entry.items()
        if options is None:
            return name, {}
        if isinstance(options, dict):
            return name, dict(options)
    raise ValueError(f"expected a name or a mapping with 'name', got {entry!r}")


LAYERS = Registry("layer")
ACTIVATIONS = Registry("activation")
LOSSES = Registry("loss")
OPTIMIZERS = Registry("optimizer")
METRICS = Registry("metric")
DATASETS = Registry("data set")
INITIALIZERS = Registry("initializer")
