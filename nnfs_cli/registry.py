"""Registries: the only place that maps config names to classes."""

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
        return name in self._entries

    def names(self):
        return sorted(self._entries)

    def get(self, name):
        """The class registered as `name`; KeyError with a message listing the choices."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise KeyError(self.unknown(name)) from None

    def unknown(self, name):
        message = f"unknown {self.kind} {name!r}; choose from {', '.join(self.names())}"
        close = difflib.get_close_matches(str(name), self.names(), n=1)
        return message + (f" (did you mean {close[0]!r}?)" if close else "")


LAYERS = Registry("layer")
ACTIVATIONS = Registry("activation")
LOSSES = Registry("loss")
OPTIMIZERS = Registry("optimizer")
METRICS = Registry("metric")
DATASETS = Registry("data set")
INITIALIZERS = Registry("initializer")
