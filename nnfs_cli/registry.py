"""Registries, the only place that maps config names to classes, and the one grammar of a
config entry: `relu`, `{dense: {units: 64}}`, `{dense: 64}` or `{name: adam, learning_rate: 0.01}`."""

import difflib
import functools
import importlib
import inspect

from nnfs_cli.errors import show

# The packages whose modules register every component when imported. A registry imports them
# the first time it is asked for a name, so commands that need no component (`nnfs --help`,
# `nnfs runs`) start without NumPy; adding a component is still adding a module.
COMPONENT_PACKAGES = ("nnfs_cli.core", "nnfs_cli.data")
_loaded = False


def load_components():
    """Import every component module (once), filling all the registries."""
    global _loaded
    if not _loaded:
        _loaded = True
        for package in COMPONENT_PACKAGES:
            importlib.import_module(package)


class Registry:
    """Names -> classes for one kind of thing (layers, losses, optimizers, ...)."""

    def __init__(self, kind):
        self.kind = kind
        self._entries = {}
        self._aliases = {}

    def register(self, name, aliases=()):
        """Register a class as `name`; `aliases` are other libraries' names for it (Keras's
        `swish` for `silu`), taken in configs and resolved to `name`."""
        def decorate(cls):
            for taken in (name, *aliases):
                if taken in self._entries or taken in self._aliases:
                    raise ValueError(f"{self.kind} {taken!r} registered twice")
            self._entries[name] = cls
            self._aliases.update(dict.fromkeys(aliases, name))
            cls.name = name
            _remember_options(cls)
            return cls
        return decorate

    def owns(self, obj):
        """True if `obj` is an instance of a class registered here (not of a subclass)."""
        return self._entries.get(getattr(type(obj), "name", None)) is type(obj)

    def __contains__(self, name):
        load_components()
        return isinstance(name, str) and (name in self._entries or name in self._aliases)

    def names(self):
        load_components()
        return sorted(self._entries)

    def get(self, name):
        """The class registered as `name`; KeyError with a message listing the choices."""
        load_components()
        try:
            return self._entries[self._aliases.get(name, name)]
        except (KeyError, TypeError):
            raise KeyError(self.unknown(name)) from None

    def unknown(self, name, kind=None, names=None):
        names = self.names() if names is None else names
        message = f"unknown {kind or self.kind} {show(name)}; choose from {', '.join(names)}"
        return message + suggestion(name, names)

    def create(self, entry):
        """An instance from a resolved entry (`relu`, `{dense: {...}}`, `{name: adam, ...}`)."""
        name, options = parse_entry(entry)
        return self.get(name)(**options)


# Names other libraries (Keras, PyTorch) and the book use for our keys and components; a
# hint is given only where its target is one of the valid choices.
ALIASES = {
    "lr": "learning_rate", "learning-rate": "learning_rate", "beta1": "beta_1",
    "beta2": "beta_2", "eps": "epsilon", "alpha": "rho",
    "neurons": "units", "n_neurons": "units", "out_features": "units", "output_dim": "units",
    "p": "rate", "dropout": "rate", "dropout_rate": "rate",
    "kernel_initializer": "init", "initializer": "init", "weight_init": "init",
    "weight_regularizer_l1": "weight_l1", "weight_regularizer_l2": "weight_l2",
    "bias_regularizer_l1": "bias_l1", "bias_regularizer_l2": "bias_l2",
    "epochs": "training.epochs", "batch_size": "training.batch_size",
    "layers": "model", "dataset": "data", "criterion": "loss",
    "mse": "mean_squared_error", "mae": "mean_absolute_error", "bce": "binary_crossentropy",
    "crossentropy": "categorical_crossentropy", "cross_entropy": "categorical_crossentropy",
    "sparse_categorical_crossentropy": "categorical_crossentropy",
    "accuracy": "categorical_accuracy", "acc": "categorical_accuracy",
    "xavier_uniform": "glorot_uniform", "kaiming_normal": "he_normal",
    "kaiming_uniform": "he_uniform",
    "negative_slope": "alpha", "swish": "silu", "leakyrelu": "leaky_relu",
}


def _remember_options(cls):
    """Make cls.__init__ keep the options it was called with (defaults filled in) as
    `_options`, so that an object made in Python can be written back as its config entry
    (entry_of). The outermost constructor records: a subclass's options, not its base's."""
    if "__init__" not in cls.__dict__:
        return
    original = cls.__init__
    signature = inspect.signature(original)

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        if "_options" not in self.__dict__:
            try:
                bound = signature.bind(self, *args, **kwargs)
            except TypeError:
                pass   # the original raises its own, clearer TypeError
            else:
                bound.apply_defaults()
                self._options = dict(list(bound.arguments.items())[1:])
        original(self, *args, **kwargs)

    cls.__init__ = __init__


def entry_of(obj):
    """The config entry that makes the registered component `obj`: `relu` for one without
    options, else {name: {option: value}} with every option it was made with."""
    options = {key: list(value) if isinstance(value, tuple) else value
               for key, value in getattr(obj, "_options", {}).items()}
    return {type(obj).name: options} if options else type(obj).name


def suggestion(word, choices):
    """` (did you mean 'sgd'?)` for a near miss, a case-only one or a name another library
    uses (`lr` -> `learning_rate`); else ''."""
    word, choices = str(word), [str(choice) for choice in choices]
    alias = ALIASES.get(word.lower())
    if alias is not None and alias.split(".")[0] in choices and alias != word:
        return f" (did you mean {alias!r}?)"
    lowered = {choice.lower(): choice for choice in choices}
    if word.lower() in lowered and word not in choices:
        return f" (did you mean {lowered[word.lower()]!r}?)"
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_entry(entry):
    """A config entry -> (name, options). Raises ValueError when it has none of the shapes
    `name`, `{name: x, key: value...}`, `{x: {key: value...}}`, `{x: null}`, or `{x: value}`
    (shorthand for the one required option of x: `dense: 64` is `dense: {units: 64}`; or for
    the option a component names as its `bare_option`: `max_pool2d: 2` is its pool_size)."""
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
        if isinstance(options, (str, int, float)):
            return name, _bare_value(name, options)
    raise ValueError(f"expected a name or a mapping with 'name', got {show(entry)}")


def _bare_value(name, value):
    """`{name: value}` -> the options {required option: value} (or {bare_option: value} for
    a component that names one); an unknown name gets {} so that the caller reports it."""
    found = [registry.get(name) for registry in REGISTRIES if name in registry]
    if not found:
        return {}
    if getattr(found[0], "bare_option", None):
        return {found[0].bare_option: value}
    signature = inspect.signature(found[0].__init__)
    options = [key for key, p in signature.parameters.items() if key != "self"
               and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    required = [key for key in options
                if signature.parameters[key].default is inspect.Parameter.empty]
    if len(required) == 1:
        return {required[0]: value}
    if not options:
        raise ValueError(f"{name} takes no options, got {show(value)}")
    which = (f"{name} requires {', '.join(required)}" if required
             else f"{name} has none")
    raise ValueError(f"a bare value ({show(value)}) stands for the one required option, and "
                     f"{which}; write {name}: {{option: value}} with options "
                     f"{', '.join(options)}")


LAYERS = Registry("layer")
ACTIVATIONS = Registry("activation")
LOSSES = Registry("loss")
OPTIMIZERS = Registry("optimizer")
METRICS = Registry("metric")
DATASETS = Registry("data set")
INITIALIZERS = Registry("initializer")
SCHEDULES = Registry("schedule")
REGISTRIES = (LAYERS, ACTIVATIONS, LOSSES, OPTIMIZERS, METRICS, DATASETS, INITIALIZERS,
              SCHEDULES)
