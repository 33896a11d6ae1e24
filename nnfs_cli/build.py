"""Resolved config -> objects: data set, model, optimizer and metric, all through the registries."""

import numpy as np

# Importing these modules fills the registries.
from nnfs_cli import (activations, datasets, fashion_data, layers, losses,  # noqa: F401
                      metrics, optimizers)
from nnfs_cli.model import Model
from nnfs_cli.registry import ACTIVATIONS, DATASETS, LAYERS, LOSSES, METRICS, OPTIMIZERS


def split_named(item):
    """A resolved config entry (`relu`, `{dense: {...}}` or `{name: adam, ...}`) -> (name, options)."""
    if isinstance(item, str):
        return item, {}
    if "name" in item:
        return item["name"], {key: value for key, value in item.items() if key != "name"}
    (name, options), = item.items()
    return name, dict(options or {})


def make(registry, item):
    name, options = split_named(item)
    return registry.get(name)(**options)


def dataset(config):
    return make(DATASETS, config["data"])


def rngs(seed):
    """Independent generators for the model (initialisation, dropout) and for shuffling."""
    model_seed, shuffle_seed = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(model_seed), np.random.default_rng(shuffle_seed)


def model(config, n_inputs, rng):
    stack = []
    for item in config["model"]:
        name, _ = split_named(item)
        stack.append(make(ACTIVATIONS if name in ACTIVATIONS else LAYERS, item))
    built = Model(stack, make(LOSSES, config["loss"]))
    built.build(n_inputs, rng)
    return built


def optimizer(config):
    return make(OPTIMIZERS, config["optimizer"])


def metric(config):
    return make(METRICS, config["metric"])
