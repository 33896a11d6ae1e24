import pytest

from nnfs_cli import config
from nnfs_cli.errors import ConfigError

from conftest import SPIRAL


def problems(write_config, text, overrides=()):
    path = write_config(text)
    with pytest.raises(ConfigError) as caught:
        config.load(path, overrides)
    assert caught.value.source == str(path)
    return caught.value.problems


def test_resolves_defaults(write_config):
    resolved = config.load(write_config(SPIRAL))
    assert resolved["model"][0] == {"dense": {"units": 16, "init": "normal_0.01", "weight_l1": 0.0,
                                              "weight_l2": 0.0, "bias_l1": 0.0, "bias_l2": 0.0}}
    assert resolved["model"][1] == "relu"
    assert resolved["metric"] == "categorical_accuracy"
    assert resolved["optimizer"] == {"name": "adam", "learning_rate": 0.02, "decay": 5e-7,
                                     "epsilon": 1e-7, "beta_1": 0.9, "beta_2": 0.999,
                                     "schedule": {"name": "inverse_time"}}
    assert resolved["loss"] == {"name": "categorical_crossentropy", "label_smoothing": 0.0}
    assert resolved["training"] == {"epochs": 5, "batch_size": 64, "shuffle": True, "print_every": 1,
                                    "checkpoint_seconds": 10.0, "early_stopping": None,
                                    "clip_norm": None, "clip_value": None, "class_weight": None}
    assert list(resolved) == ["seed", "data", "model", "loss", "optimizer", "metric", "metrics",
                              "training", "logging", "plots"]
    assert resolved["metrics"] == ["accuracy"]
    assert resolved["logging"] == {"tensorboard": False, "steps": 50, "histograms": 0}
    assert resolved["plots"] == {"decision_regions": "auto", "animate": False, "every": None}


def test_resolved_config_resolves_to_itself(write_config):
    from nnfs_cli.runs.rundir import dump_config
    resolved = config.load(write_config(SPIRAL))
    again = config.load(write_config(dump_config(resolved), "again.yaml"))
    assert again == resolved


def test_exponent_without_dot_is_a_float(write_config):
    text = SPIRAL.replace("decay: 5e-7", "decay: 5e-4")
    assert config.load(write_config(text))["optimizer"]["decay"] == 5e-4


def test_negative_units_names_the_key(write_config):
    text = SPIRAL.replace("- dense: {units: 3}", "- dense: {units: -3}")
    assert problems(write_config, text) == ["model[2].units: expected a positive integer, got -3"]


def test_every_problem_is_reported_at_once(write_config):
    text = """\
    data: {name: spiral, samples: 0}
    model:
      - dense: {units: 3, weight_l2: -1}
      - dropout: {rate: 1.5}
      - softmax
    loss: categorical_crossentropy
    optimizer: {name: sgd, learning_rate: -0.1}
    training: {epochs: ten}
    """
    assert problems(write_config, text) == [
        "data.samples: expected a positive integer, got 0",
        "model[0].weight_l2: expected a number >= 0, got -1",
        "model[1].rate: must be in [0, 1), got 1.5",
        "optimizer.learning_rate: expected a number > 0, got -0.1",
        "training.epochs: expected a positive integer, got 'ten'",
    ]


def test_missing_and_unknown_keys(write_config):
    text = """\
    data: spiral
    model: [{dense: {units: 3, unit: 4}}, softmax]
    optimiser: adam
    """
    assert problems(write_config, text) == [
        "optimiser: unknown key 'optimiser' for the config; choose from seed, data, model, "
        "loss, optimizer, metric, metrics, training, logging, plots (did you mean 'optimizer'?)",
        "loss: required",
        "optimizer: required",
        "model[0].unit: unknown key 'unit' for dense; choose from units, init, weight_l1, "
        "weight_l2, bias_l1, bias_l2 (did you mean 'units'?)",
    ]


def test_unknown_names_list_choices_and_closest(write_config):
    text = SPIRAL.replace("name: adam,", "name: adan,").replace("- relu", "- rellu")
    assert problems(write_config, text) == [
        "model[1]: unknown layer or activation 'rellu'; choose from avg_pool2d, batch_norm, "
        "conv2d, dense, dropout, elu, flatten, gelu, global_avg_pool2d, global_max_pool2d, "
        "leaky_relu, linear, max_pool2d, random_flip, random_translation, relu, sigmoid, silu, "
        "softmax, softplus, tanh "
        "(did you mean 'relu'?)",
        "optimizer: unknown optimizer 'adan'; choose from adagrad, adam, adamw, rmsprop, sgd "
        "(did you mean 'adam'?)",
    ]


def test_unknown_initializer(write_config):
    text = SPIRAL.replace("{units: 16}", "{units: 16, init: xavier}")
    [problem] = problems(write_config, text)
    assert problem.startswith("model[0].init: unknown initializer 'xavier'; choose from glorot_uniform")


def test_duplicate_keys_are_errors(write_config):
    text = SPIRAL.replace("training: {epochs: 5, batch_size: 64}",
                          "training:\n  epochs: 5\n  epochs: 6\n")
    assert problems(write_config, text) == ["training.epochs: duplicate key (line 12)"]


def test_last_width_must_match_classes(write_config):
    text = SPIRAL.replace("- dense: {units: 3}", "- dense: {units: 4}")
    assert problems(write_config, text) == [
        "model[2].units: the last dense layer must have 3 units for 3 classes of spiral "
        "with categorical_crossentropy, got 4"]


def test_binary_crossentropy_wants_one_output_for_two_classes(write_config):
    text = (SPIRAL.replace("classes: 3", "classes: 2").replace("softmax", "sigmoid")
            .replace("categorical_crossentropy", "binary_crossentropy"))
    assert problems(write_config, text) == [
        "model[2].units: the last dense layer must have 1 units for 2 classes of spiral "
        "with binary_crossentropy, got 3"]


def test_loss_must_fit_data_and_stack(write_config):
    text = SPIRAL.replace("categorical_crossentropy", "mean_squared_error")
    assert problems(write_config, text) == [
        "loss: mean_squared_error is for regression, but data set 'spiral' is for classification"]
    text = SPIRAL.replace("  - softmax\n", "")
    assert problems(write_config, text) == [
        "model[2]: categorical_crossentropy needs the stack to end in softmax, got dense"]


def test_metric_must_fit_loss(write_config):
    assert problems(write_config, SPIRAL + "metric: binary_accuracy\n") == [
        "metric: binary_accuracy does not fit categorical_crossentropy; use categorical_accuracy"]


def test_invalid_yaml_and_wrong_shapes(write_config):
    [problem] = problems(write_config, "data: [spiral\n")
    assert problem.startswith("invalid YAML: ")
    assert problems(write_config, "- 1\n- 2\n") == [
        "expected a mapping with keys seed, data, model, loss, optimizer, metric, metrics, training, logging, plots, got list"]
    text = SPIRAL.replace("model:\n", "model: 3\nunused:\n")
    assert "model: expected a non-empty list of layers, got 3" in problems(write_config, text)


def test_early_stopping_section(write_config):
    text = SPIRAL.replace("batch_size: 64}", "batch_size: 64, early_stopping: {patience: 2}}")
    assert config.load(write_config(text))["training"]["early_stopping"] == {
        "monitor": "val_loss", "patience": 2, "min_delta": 0.0, "restore_best": False}
    text = SPIRAL.replace("batch_size: 64}", "batch_size: 64, early_stopping: "
                          "{monitor: loss, patience: 0, wait: 1}}")
    assert problems(write_config, text) == [
        "training.early_stopping.wait: unknown key 'wait' for early_stopping; "
        "choose from monitor, patience, min_delta, restore_best",
        "training.early_stopping.monitor: expected val_loss, val_accuracy or val_ and a score "
        "of `metrics` (val_f1_macro...), got 'loss' (did you mean 'val_loss'?)",
        "training.early_stopping.patience: expected a positive integer, got 0",
    ]


def test_case_only_mistakes_get_the_name(write_config):
    text = (SPIRAL.replace("name: spiral,", "name: Spiral,").replace("name: adam,", "name: Adam,")
            .replace("- relu", "- ReLU").replace("loss: categorical", "loss: Categorical"))
    assert problems(write_config, text) == [
        "data: unknown data set 'Spiral'; choose from csv, fashion_mnist, image_folder, npz, "
        "sine, spiral, vertical (did you mean 'spiral'?)",
        "model[1]: unknown layer or activation 'ReLU'; choose from avg_pool2d, batch_norm, "
        "conv2d, dense, dropout, elu, flatten, gelu, global_avg_pool2d, global_max_pool2d, "
        "leaky_relu, linear, max_pool2d, random_flip, random_translation, relu, sigmoid, silu, "
        "softmax, softplus, tanh "
        "(did you mean 'relu'?)",
        "loss: unknown loss 'Categorical_crossentropy'; choose from binary_crossentropy, "
        "categorical_crossentropy, mean_absolute_error, mean_squared_error "
        "(did you mean 'categorical_crossentropy'?)",
        "optimizer: unknown optimizer 'Adam'; choose from adagrad, adam, adamw, rmsprop, sgd "
        "(did you mean 'adam'?)",
    ]
    # The short forms and --set: SGD, Fashion_MNIST, He_Normal.
    text = """\
    data: Fashion_MNIST
    model: [{dense: {units: 10, init: He_Normal}}, softmax]
    loss: categorical_crossentropy
    optimizer: SGD
    """
    assert problems(write_config, text) == [
        "data: unknown data set 'Fashion_MNIST'; choose from csv, fashion_mnist, image_folder, "
        "npz, sine, spiral, vertical (did you mean 'fashion_mnist'?)",
        "model[0].init: unknown initializer 'He_Normal'; choose from glorot_uniform, he_normal, "
        "he_uniform, lecun_normal, normal_0.01, normal_0.1 (did you mean 'he_normal'?)",
        "optimizer: unknown optimizer 'SGD'; choose from adagrad, adam, adamw, rmsprop, sgd "
        "(did you mean 'sgd'?)",
    ]
    assert problems(write_config, SPIRAL, ["optimizer=SGD"])[0].endswith("(did you mean 'sgd'?)")
    assert problems(write_config, SPIRAL, ["optimizer.name=SGD"])[0].endswith(
        "(did you mean 'sgd'?)")
    assert problems(write_config, SPIRAL, ["data.name=Fashion_MNIST"])[0].endswith(
        "(did you mean 'fashion_mnist'?)")


def test_names_from_keras_pytorch_and_the_book_get_ours(write_config):
    text = (SPIRAL.replace("learning_rate: 0.02", "lr: 0.02")
            .replace("- dense: {units: 16}", "- dense: {n_neurons: 16, kernel_initializer: he_normal}")
            .replace("- relu", "- dropout: {p: 0.1}")
            .replace("loss: categorical_crossentropy", "loss: sparse_categorical_crossentropy")
            .replace("training: {", "epochs: 3\ntraining: {"))
    assert problems(write_config, text) == [
        "epochs: unknown key 'epochs' for the config; choose from seed, data, model, loss, "
        "optimizer, metric, metrics, training, logging, plots (did you mean 'training.epochs'?)",
        "model[0].n_neurons: unknown key 'n_neurons' for dense; choose from units, init, "
        "weight_l1, weight_l2, bias_l1, bias_l2 (did you mean 'units'?)",
        "model[0].kernel_initializer: unknown key 'kernel_initializer' for dense; choose from "
        "units, init, weight_l1, weight_l2, bias_l1, bias_l2 (did you mean 'init'?)",
        "model[0].units: required for dense",
        "model[1].p: unknown key 'p' for dropout; choose from rate (did you mean 'rate'?)",
        "model[1].rate: required for dropout",
        "loss: unknown loss 'sparse_categorical_crossentropy'; choose from binary_crossentropy, "
        "categorical_crossentropy, mean_absolute_error, mean_squared_error "
        "(did you mean 'categorical_crossentropy'?)",
        "optimizer.lr: unknown key 'lr' for adam; choose from learning_rate, decay, epsilon, "
        "beta_1, beta_2, schedule (did you mean 'learning_rate'?)",
    ]
    # An alias is offered only where its target is a choice: `p` means nothing for adam.
    [problem] = problems(write_config, SPIRAL, ["optimizer.p=0.1"])
    assert "did you mean 'rate'" not in problem


def test_a_bare_value_is_the_single_required_option(write_config):
    text = SPIRAL.replace("- dense: {units: 16}", "- dense: 16").replace(
        "- relu", "- relu\n  - dropout: 0.2")
    resolved = config.load(write_config(text))
    assert resolved["model"][0] == config.load(write_config(SPIRAL))["model"][0]
    assert resolved["model"][2] == {"dropout": {"rate": 0.2}}
    # Written back in full, and --set still reaches into the short form.
    assert config.load(write_config(text), ["model[0].units=8", "model[2].rate=0.5"])[
        "model"][0]["dense"]["units"] == 8
    assert config.load(write_config(text), ["model[2]=dropout: 0.3"])["model"][2] == {
        "dropout": {"rate": 0.3}}
    # The value is checked like the option it stands for, under that option's path.
    assert problems(write_config, text.replace("dropout: 0.2", "dropout: 1.5")) == [
        "model[2].rate: must be in [0, 1), got 1.5"]
    assert problems(write_config, text.replace("- dense: 16", "- dense: -3")) == [
        "model[0].units: expected a positive integer, got -3"]


def test_a_bare_value_needs_one_required_option(write_config):
    text = (SPIRAL.replace("- relu", "- relu: 3")
            .replace("optimizer: {name: adam, learning_rate: 0.02, decay: 5e-7}",
                     "optimizer: {adam: 0.01}")
            .replace("- dense: {units: 3}", "- dense: [3]"))
    assert problems(write_config, text) == [
        "model[1]: relu takes no options, got 3",
        "model[2]: expected a name or a mapping with 'name', got {'dense': [3]}",
        "optimizer: a bare value (0.01) stands for the one required option, and adam has none; "
        "write adam: {option: value} with options learning_rate, decay, epsilon, beta_1, beta_2, "
        "schedule",
    ]
    # An unknown name is reported as such, with the closest one.
    assert problems(write_config, SPIRAL.replace("- dense: {units: 16}", "- Dense: 16")) == [
        "model[0]: unknown layer or activation 'Dense'; choose from avg_pool2d, batch_norm, "
        "conv2d, dense, dropout, elu, flatten, gelu, global_avg_pool2d, global_max_pool2d, "
        "leaky_relu, linear, max_pool2d, random_flip, random_translation, relu, sigmoid, silu, "
        "softmax, softplus, tanh "
        "(did you mean 'dense'?)"]


def test_a_pooling_takes_its_size_as_a_bare_value():
    from nnfs_cli.registry import parse_entry
    # Every option of a pooling has a default; its size is the one a bare value gives.
    assert parse_entry({"max_pool2d": 2}) == ("max_pool2d", {"pool_size": 2})
    assert parse_entry({"avg_pool2d": 3}) == ("avg_pool2d", {"pool_size": 3})
    assert parse_entry({"dense": 64}) == ("dense", {"units": 64})
    with pytest.raises(ValueError, match="global_max_pool2d takes no options"):
        parse_entry({"global_max_pool2d": 2})


def test_a_cnn_config_with_a_bare_pool_size_resolves(write_config):
    text = """\
    data: {name: npz, path: x.npz}
    model:
      - conv2d: {filters: 4, kernel_size: 3}
      - relu
      - max_pool2d: 2
      - flatten
      - dense: 3
      - softmax
    loss: categorical_crossentropy
    optimizer: adam
    """
    resolved = config.load(write_config(text))
    assert resolved["model"][2] == {"max_pool2d": {"pool_size": 2, "stride": None}}


def test_overrides(write_config):
    path = write_config(SPIRAL.replace("data: {name: spiral, samples: 100, classes: 3, "
                                       "validation_samples: 50}", "data: spiral"))
    resolved = config.load(path, ["optimizer.learning_rate=1e-3", "training.epochs=3",
                                  "model[0].units=8", "seed=9",
                                  "data.samples=20"])
    assert resolved["optimizer"]["learning_rate"] == 1e-3
    assert resolved["training"]["epochs"] == 3
    assert resolved["model"][0]["dense"]["units"] == 8
    assert resolved["seed"] == 9
    assert resolved["data"]["samples"] == 20


def test_overrides_are_validated(write_config):
    assert problems(write_config, SPIRAL, ["training.epochs=-1"]) == [
        "training.epochs: expected a positive integer, got -1"]
    assert problems(write_config, SPIRAL, ["model[1].rate=0.5"]) == [
        "model[1].rate: unknown key 'rate' for relu; choose from (none)"]
    assert problems(write_config, SPIRAL, ["epochs"]) == ["--set epochs: expected KEY=VALUE"]
    assert problems(write_config, SPIRAL, ["model[9].units=3"]) == [
        "--set model[9].units: no item [9]; model has 4 items, [0] to [3]"]
    assert problems(write_config, SPIRAL, ["model[0][1]=3"]) == [
        "--set model[0][1]: no item [1]; model[0] is not a list"]


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        config.load(tmp_path / "nope.yaml")
    assert caught.value.problems == ["cannot read config: no such file"]


def test_a_mapping_option_names_the_key_of_its_bad_value(write_config):
    csv = "data: {name: csv, path: t.csv, missing: MISSING}\n" + SPIRAL.split("\n", 2)[2]
    assert problems(write_config, csv.replace("MISSING", "{default: mean, sex: avg}")) == [
        "data.missing.sex: expected one of error, drop, mean, median, most_frequent, "
        "category, got 'avg'"]
    assert problems(write_config, csv.replace("MISSING", "avg")) == [
        "data.missing: expected one of error, drop, mean, median, most_frequent, category, "
        "got 'avg'"]
    assert problems(write_config, csv.replace("MISSING", "{}")) == [
        "data.missing: expected a mode or a mapping {column: mode}, got {}"]


def test_class_weight_is_for_classification_losses(write_config):
    text = ("data: {name: csv, path: t.csv, task: regression}\nmodel: [{dense: {units: 1}}, "
            "linear]\nloss: mean_squared_error\noptimizer: sgd\n"
            "training: {class_weight: balanced}\n")
    assert problems(write_config, text) == [
        "training.class_weight: weighs the classes of a classification loss; "
        "mean_squared_error is a regression loss"]
