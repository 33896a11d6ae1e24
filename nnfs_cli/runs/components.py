"""Resolved config -> objects: data set, model, optimizer and metric, all through the registries."""

import copy
import math
import os

import numpy as np

from nnfs_cli import limits
from nnfs_cli.config.schema import model_problems, stack_registry, task_problems
from nnfs_cli.core.layers import ShapeError
from nnfs_cli.core.model import Model
from nnfs_cli.errors import ConfigError, NnfsError
from nnfs_cli.registry import DATASETS, LOSSES, METRICS, OPTIMIZERS, parse_entry
from nnfs_cli.runs import regions


def dataset(config):
    return DATASETS.create(config["data"])


def with_absolute_paths(config, source=None):
    """(config with the data set's relative file and folder options made absolute, the
    [(option, absolute path, where, the value as given)] changed): a run then finds its data from any folder.

    A relative path written in the config file `source` is relative to the file's folder
    when it exists there, else to the current folder when it exists there; when it exists
    in neither, the config's folder is taken (a download lands there, an error names it).
    A path the file does not hold (a default, a --set override, a sweep's value, a config
    given as a dict) is relative to the current folder. `where` says which folder was used:
    "config" or "current"."""
    config = copy.deepcopy(config)
    written = _written_data_options(source)
    changed = []
    for option in DATASETS.get(config["data"]["name"]).path_options:
        value = config["data"].get(option)
        if not isinstance(value, str):
            continue
        expanded = os.path.expanduser(value)
        if os.path.isabs(expanded):
            continue
        here = os.path.abspath(expanded)
        where = "current"
        if written.get(option) == value:
            beside = os.path.abspath(os.path.join(os.path.dirname(str(source)), expanded))
            if beside != here and (os.path.exists(beside) or not os.path.exists(here)):
                here, where = beside, "config"
            elif beside == here:
                where = "config"
        config["data"][option] = here
        changed.append((option, here, where, value))
    return config, changed


def path_notes(changed, source):
    """The log lines of with_absolute_paths: each option's absolute path, and which folder
    it was taken relative to when the config's folder is not the current one."""
    folder = os.path.abspath(os.path.dirname(str(source))) if source else None
    notes = []
    for option, path, where, _ in changed:
        line = f"data.{option} is recorded in the run as {path}"
        if folder is not None and folder != os.getcwd():
            line += (" (relative to the config's folder)" if where == "config" else
                     f" (relative to the current folder: not in the config's folder {folder})")
        notes.append(line)
    return notes


def missing_path_notes(changed, source):
    """Lines for the paths that exist in neither folder, said before the data loads (whose
    error then names the config's folder): where else nnfs looked."""
    if source is None:
        return []
    folder = os.path.abspath(os.path.dirname(str(source)))
    return [f"data.{option}: {value} is in neither the config's folder ({folder}) nor the "
            f"current folder ({os.getcwd()}); looking for {path}"
            for option, path, where, value in changed
            if where == "config" and not os.path.exists(path) and folder != os.getcwd()]


def _written_data_options(source):
    """{option: value} of the data mapping the config file `source` holds; {} without one."""
    if source is None:
        return {}
    from nnfs_cli import files
    from nnfs_cli.config.loading import decode, parse_yaml
    try:
        raw = parse_yaml(decode(files.read_bytes(source, limits.CONFIG_BYTES), str(source)),
                         str(source))
    except (NnfsError, OSError):
        return {}
    data = raw.get("data")
    return data if isinstance(data, dict) else {}


def load_data(config, reporter, download=True, source=None, state=None,
              required=("training",)):
    """(data set, its Splits) of the resolved `config`, downloaded if missing and
    `download`; a data option that does not fit the files is a ConfigError naming `source`.
    Relative data paths are found as a run finds them (with_absolute_paths); `state` is the
    preprocessing a run fitted (a resume refits nothing); the splits named in `required`
    (training, validation) must not be empty."""
    config, _ = with_absolute_paths(config, source)
    data = dataset(config)
    if state:
        data.load_state_dict(state)
    data.ensure_available(download, reporter)
    try:
        splits = data.load(config["seed"], reporter)
    except ConfigError as error:
        if error.source is not None:
            raise
        raise ConfigError(error.problems, source) from None
    for name, x in (("training", splits.x_train), ("validation", splits.x_val)):
        if name in required and len(x) == 0:
            raise NnfsError(f"data set {data.name} gave no {name} samples")
    return data, splits


def class_weights(config, data, y_train, source=None):
    """(float32 weight per class in class order, the log line) of `training.class_weight`
    for the training targets `y_train` (class indices); (None, None) without one. A class
    the mapping names that the data does not have is a ConfigError naming its key."""
    asked = config["training"].get("class_weight")
    if asked is None:
        return None, None
    names = [str(name) for name in data.class_names or range(data.classes)]
    counts = np.bincount(np.asarray(y_train, dtype=np.intp), minlength=len(names))
    if asked == "balanced":
        # scikit-learn's and Keras's "balanced": n / (classes * rows of the class); a class
        # with no training rows gets 1 (it has no rows to weigh).
        weights = np.where(counts > 0, len(y_train) / (len(names) * np.maximum(counts, 1)), 1.0)
        how = "balanced (rows / (classes x rows of the class), from the training rows)"
    else:
        unknown = [key for key in asked if key not in names]
        if unknown:
            raise ConfigError([f"training.class_weight.{key}: no class {key!r}; the classes "
                               f"are {', '.join(names[:20])}" for key in unknown], source)
        weights = np.array([asked.get(name, 1.0) for name in names], dtype=np.float64)
        how = "as given (1 for a class not named)"
    shown = ", ".join(f"{name} {weight:.3g} ({count} rows)"
                      for name, weight, count in zip(names[:20], weights, counts))
    line = (f"class_weight: {how}: {shown}{', ...' if len(names) > 20 else ''}; the training "
            "loss is weighted, the validation loss is not")
    return weights.astype(np.float32), line


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
    `source` file) if the loss does not fit the data's task, or the stack cannot take the
    samples or does not give the outputs they need. Validating the config checked this for
    data sets known before loading; the others learn their task, shapes and classes from
    their files, so it is checked here, after loading. The `plots` options are checked
    against the built model here too."""
    built = unbuilt_model(config)
    problems = (task_problems(data, built.loss)
                or model_problems(config["model"], data, built.loss))
    if problems:
        raise ConfigError(problems, source)
    try:
        built.build(data.shape_for(built.layers), rng)
    except ShapeError as error:
        raise ConfigError([str(error)], source) from None
    regions.check(config, built, source)   # the pictures `plots` asks for fit the model
    return built


def optimizer(config):
    return OPTIMIZERS.create(config["optimizer"])


def metric(config):
    return METRICS.create(config["metric"])


def scoring(config, data, model):
    """The run's `metrics` beyond its accuracy (core/scores.py), for `data` as loaded: a
    classifier's width, and a regression's outputs on the target's own scale."""
    from nnfs_cli.core.scores import Scoring
    width = model.shapes[-1][0] if model.shapes and len(model.shapes[-1]) == 1 else None
    classes = max(width or 0, 2) if model.loss.task == "classification" else None
    steps = data.output_postprocessing() if model.loss.task == "regression" else None
    return Scoring(config.get("metrics") or [], classes, steps.multiply if steps else 1.0)


def check_batch_memory(config, model, splits, source=None):
    """ConfigError naming training.batch_size when one batch (of training, validation or
    test samples) would make more values in the layers than the limit."""
    inputs = [model.input_shape, *model.shapes[:-1]]
    per_row = (math.prod(model.input_shape) + sum(math.prod(shape) for shape in model.shapes)
               + sum(layer.scratch_values(shape) for layer, shape in zip(model.layers, inputs)))
    largest = max(len(x) for x in (splits.x_train, splits.x_val, splits.x_test) if x is not None)
    batch = config["training"]["batch_size"]
    rows = min(batch, largest) if batch else largest
    limit = limits.get("batch_values")
    if rows * per_row > limit:
        given = f"{batch:,}" if batch else "null (all samples in one batch)"
        raise ConfigError([f"training.batch_size: {given}: {rows:,} rows x {per_row:,} values "
                           f"per row in the layers is more than the limit of {limit:,} "
                           f"{limits.hint('batch_values')}; choose a smaller batch"], source)


def batch_norm_warnings(config, model, splits, source=None):
    """A batch_norm layer normalises each value by the batch's statistics, and one value (a
    batch of one flat sample) comes out as zeros, whatever it was. ConfigError naming
    training.batch_size when every batch would be such; the warning lines when only the
    last batch of each epoch is (its samples left over), else []."""
    inputs = [model.input_shape, *model.shapes[:-1]]
    norms = [(index, shape) for index, (layer, shape) in enumerate(zip(model.layers, inputs))
             if layer.name == "batch_norm" and math.prod(shape[1:]) == 1]
    rows = len(splits.x_train)
    batch = min(config["training"]["batch_size"] or rows, rows)
    if not norms or rows == 0:
        return []
    index, _ = norms[0]
    where = f"model[{index}] batch_norm"
    if batch == 1:
        raise ConfigError([f"training.batch_size: batches of 1 sample, which {where} "
                           "normalises to zeros whatever it holds (its statistics need 2 "
                           "values or more); choose a batch size of 2 or more"], source)
    if rows % batch == 1:
        return [f"warning: the last batch of each epoch holds 1 of the {rows:,} training "
                f"samples, which {where} normalises to zeros; a training.batch_size that "
                "leaves 0, or 2 or more, over avoids it"]
    return []
