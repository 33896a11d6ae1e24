"""Learning-rate schedules: each one's rate per step against a closed-form table, through the
optimizer too; reduce_on_plateau's state; config errors with their key paths."""

import math

import pytest

import nnfs_cli  # noqa: F401 (fills every registry)
from nnfs_cli import config
from nnfs_cli.core.optimizers import Adam
from nnfs_cli.errors import ConfigError
from nnfs_cli.registry import SCHEDULES

from conftest import SPIRAL

LR, DECAY, STEPS, EPOCHS = 0.1, 0.5, 4, 5   # 4 steps per epoch, 5 epochs: steps 0..19

# Written out by hand from each schedule's definition (t = step, e = t // 4 the epoch).
TABLES = {
    "constant": ({}, [0.1] * 20),
    "inverse_time": ({}, [0.1 / (1 + 0.5 * t) for t in range(20)]),
    "step": ({"every_epochs": 2, "factor": 0.5}, [0.1] * 8 + [0.05] * 8 + [0.025] * 4),
    "exponential": ({"factor": 0.5}, [0.1 * 2 ** (-t / 4) for t in range(20)]),
    "cosine": ({"warmup_epochs": 1, "min_lr": 0.01},
               [0.025, 0.05, 0.075, 0.1]
               + [0.01 + 0.09 * (1 + math.cos(math.pi * k / 16)) / 2 for k in range(16)]),
    "reduce_on_plateau": ({}, [0.1] * 20),   # nothing watched: see the tests below
}


def test_every_schedule_has_a_table():
    assert sorted(TABLES) == SCHEDULES.names()


@pytest.mark.parametrize("name", sorted(TABLES))
def test_rate_per_step_matches_the_closed_form(name):
    options, expected = TABLES[name]
    schedule = SCHEDULES.create({"name": name, **options})
    schedule.start(STEPS, EPOCHS)
    rates = [schedule.rate(LR, DECAY, t) for t in range(20)]
    assert rates == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_the_optimizer_steps_with_the_scheduled_rate(name):
    options, expected = TABLES[name]
    decay = DECAY if name == "inverse_time" else 0.0
    adam = Adam(learning_rate=LR, decay=decay, schedule={"name": name, **options})
    adam.start(STEPS, EPOCHS)
    rates = []
    for _ in range(20):
        adam.step([])
        rates.append(adam.current_learning_rate)
    assert rates == pytest.approx(expected, rel=1e-12)


def test_the_default_is_the_books_formula_to_the_bit():
    adam = Adam(learning_rate=0.001, decay=1e-3)
    for t in range(5):
        adam.step([])
        assert adam.current_learning_rate == 0.001 / (1 + 1e-3 * t)


def test_cosine_without_warmup_ends_at_min_lr_and_stays():
    schedule = SCHEDULES.create({"name": "cosine"})
    schedule.start(10, 3)
    assert schedule.rate(0.2, 0, 0) == 0.2
    assert schedule.rate(0.2, 0, 15) == pytest.approx(0.1)
    assert schedule.rate(0.2, 0, 30) == pytest.approx(0.0, abs=1e-15)
    assert schedule.rate(0.2, 0, 45) == pytest.approx(0.0, abs=1e-15)   # --epochs beyond


def test_epoch_schedules_need_the_steps_per_epoch():
    with pytest.raises(RuntimeError, match="the step schedule needs start"):
        SCHEDULES.create({"name": "step", "every_epochs": 1}).rate(0.1, 0, 3)


def plateau_rates(schedule, values, key="val_loss"):
    rates = []
    for value in values:
        schedule.epoch_end({key: value})
        rates.append(schedule.rate(1.0, 0, 0))
    return rates


def test_reduce_on_plateau_waits_patience_epochs_then_reduces():
    schedule = SCHEDULES.create({"name": "reduce_on_plateau", "factor": 0.5, "patience": 2})
    values = [1.0, 0.9, 0.95, 0.92, 0.91, 0.8, 0.85, 0.85, 0.85, 0.85]
    #   best:  1.0  0.9  bad   bad: x0.5 bad  0.8  bad   bad: x0.5 bad  bad: x0.5
    assert plateau_rates(schedule, values) == [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125]


def test_reduce_on_plateau_on_accuracy_with_a_floor():
    schedule = SCHEDULES.create({"name": "reduce_on_plateau", "monitor": "val_accuracy",
                                 "factor": 0.1, "patience": 1, "min_lr": 0.05})
    values = [0.5, 0.6, 0.6, 0.55, 0.7, 0.7, 0.7]
    assert plateau_rates(schedule, values, "val_accuracy") == pytest.approx(
        [1, 1, 0.1, 0.05, 0.05, 0.05, 0.05])


def test_reduce_on_plateau_state_round_trip():
    first = SCHEDULES.create({"name": "reduce_on_plateau", "patience": 1})
    plateau_rates(first, [1.0, 1.2, 1.1])
    second = SCHEDULES.create({"name": "reduce_on_plateau", "patience": 1})
    second.load_state_dict(first.state_dict())
    assert plateau_rates(second, [1.3, 0.5]) == plateau_rates(first, [1.3, 0.5]) == [0.125, 0.125]
    assert Adam(schedule="reduce_on_plateau").state_dict()["schedule"] == {
        "scale": 1.0, "best": None, "since": 0}


def problems(write_config, text, overrides=()):
    with pytest.raises(ConfigError) as caught:
        config.load(write_config(text), overrides)
    return caught.value.problems


def test_schedule_config_errors_name_the_key(write_config):
    assert problems(write_config, SPIRAL, ["optimizer.schedule={name: cosine}"]) == [
        "optimizer.decay: only the inverse_time schedule uses decay; remove decay or the "
        "cosine schedule"]
    text = SPIRAL.replace("decay: 5e-7", "decay: 0")
    assert problems(write_config, text, ["optimizer.schedule={name: step, factor: 2}"]) == [
        "optimizer.schedule.every_epochs: required for step",
        "optimizer.schedule.factor: must be in (0, 1), got 2"]
    assert problems(write_config, text, ["optimizer.schedule=cosin"]) == [
        "optimizer.schedule: unknown schedule 'cosin'; choose from constant, cosine, "
        "exponential, inverse_time, reduce_on_plateau, step (did you mean 'cosine'?)"]
    assert problems(write_config, text, [
        "optimizer.schedule={name: reduce_on_plateau, monitor: loss, patience: 0, cooldown: 1}"
    ]) == [
        "optimizer.schedule.cooldown: unknown key 'cooldown' for reduce_on_plateau; choose "
        "from monitor, factor, patience, min_lr",
        "optimizer.schedule.monitor: expected one of val_loss, val_accuracy, got 'loss' "
        "(did you mean 'val_loss'?)",
        "optimizer.schedule.patience: expected a positive integer, got 0"]
    assert problems(write_config, text, ["optimizer={name: sgd, nesterov: true}"]) == [
        "optimizer.nesterov: needs a momentum above 0"]


def test_schedules_resolve_with_their_defaults(write_config):
    text = SPIRAL.replace("decay: 5e-7", "decay: 0")
    resolved = config.load(write_config(text), ["optimizer.schedule={name: cosine}"])
    assert resolved["optimizer"]["schedule"] == {"name": "cosine", "warmup_epochs": 0,
                                                 "min_lr": 0.0}
    resolved = config.load(write_config(text), ["optimizer.schedule=reduce_on_plateau"])
    assert resolved["optimizer"]["schedule"] == {"name": "reduce_on_plateau",
                                                 "monitor": "val_loss", "factor": 0.5,
                                                 "patience": 3, "min_lr": 0.0}
    # inverse_time with decay is the book's, and what every config without a schedule gets.
    assert config.load(write_config(SPIRAL))["optimizer"]["schedule"] == {"name": "inverse_time"}
