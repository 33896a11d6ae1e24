"""Resolved config -> objects: data set, model, optimizer and metric, all through the registries."""

import numpy as np

from nnfs_cli.config.schema import model_problems, stack_registry
from nnfs_cli.core.layers import ShapeError
from nnfs_cli.core.model import Model
from nnfs_cli.errors import ConfigError
from nnfs_cli.registry import DATASETS, LOSSES, METRICS, OPTIMIZERS, parse_entry


def dataset(config):
    return DATASETS.create(config["data"])


def rngs(seed):
    """Independent generators for the model (initialisation, dropout) and for shuffling."""
    model_seed, shuffle_seed = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(model_seed), np.random.default_rng(shuffle_seed)


def unbuilt_model(config):
    """The config's stack and loss, without parameters."""
    layers = [stack_registry(parse_entry(entry)[0]).create(entry) for entry in config["model"]]
    return Model(layers, LOSSES.create(config["loss"]))


def model(config, data, rng, source=None):
    """The config's model built for `data`'s samples; ConfigError (naming the item and the
    `source` file) if the stack cannot take them or does not give the outputs they need."""
    built = unbuilt_model(config)
    problems = model_problems(config["model"], data, built.loss) if not data.known_before_loading else []
    if problems:
        raise ConfigError(problems, source)
    try:
        built.build(data.shape_for(built.layers), rng)
    except ShapeError as error:
        raise ConfigError([str(error)], source) from None
    return built


def optimizer(config):
    return OPTIMIZERS.create(config["optimizer"])


def metric(config):
    return METRICS.create(config["metric"])
