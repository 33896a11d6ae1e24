"""Weight initialisers: float32 arrays of the shape asked for, with the spread each promises
for its fans, reproducible from the generator; chosen per layer with `init:`."""

import math

import numpy as np
import pytest

from nnfs_cli import config
from nnfs_cli.core.layers import Conv2D, Dense
from nnfs_cli.errors import ConfigError
from nnfs_cli.registry import INITIALIZERS

# name: (standard deviation for fan_in, fan_out, the largest |value| or None if unbounded)
SPREADS = {
    "normal_0.01": (lambda fan_in, fan_out: 0.01, None),
    "normal_0.1": (lambda fan_in, fan_out: 0.1, None),
    "glorot_uniform": (lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out)),
                       lambda fan_in, fan_out: math.sqrt(6 / (fan_in + fan_out))),
    "he_normal": (lambda fan_in, fan_out: math.sqrt(2 / fan_in), None),
    "he_uniform": (lambda fan_in, fan_out: math.sqrt(2 / fan_in),
                   lambda fan_in, fan_out: math.sqrt(6 / fan_in)),
    "lecun_normal": (lambda fan_in, fan_out: math.sqrt(1 / fan_in), None),
}


def test_every_initializer_has_its_spread_here():
    assert sorted(SPREADS) == INITIALIZERS.names()


@pytest.mark.parametrize("name", sorted(SPREADS))
@pytest.mark.parametrize("fan_in, fan_out", [(50, 400), (800, 30)])
def test_spread_for_the_fans(name, fan_in, fan_out):
    std, limit = SPREADS[name]
    weights = INITIALIZERS.get(name)(np.random.default_rng(0), (fan_in, fan_out), fan_in, fan_out)
    assert weights.dtype == np.float32 and weights.shape == (fan_in, fan_out)
    assert abs(weights.mean()) < 0.05 * std(fan_in, fan_out)
    # 20,000+ draws: the sample deviation is within 2% of the promised one.
    assert weights.std() == pytest.approx(std(fan_in, fan_out), rel=0.02)
    if limit is not None:
        assert np.abs(weights).max() <= limit(fan_in, fan_out)
        assert np.abs(weights).max() > 0.99 * limit(fan_in, fan_out)
    again = INITIALIZERS.get(name)(np.random.default_rng(0), (fan_in, fan_out), fan_in, fan_out)
    np.testing.assert_array_equal(weights, again)


def test_layers_take_their_initializer_and_fans_from_init():
    rng = np.random.default_rng(1)
    dense = Dense(300, init="lecun_normal")
    dense.build((600,), rng)
    assert dense.params["weights"].std() == pytest.approx(math.sqrt(1 / 600), rel=0.02)
    conv = Conv2D(64, 3, init="he_uniform")
    conv.build((32, 9, 9), rng)
    fan_in = 32 * 9   # channels * kernel area
    assert np.abs(conv.params["weights"]).max() <= math.sqrt(6 / fan_in)
    assert conv.params["weights"].std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.02)


def test_init_names_and_suggestions(write_config):
    text = """\
    data: {name: spiral, samples: 20, classes: 3, validation_samples: 10}
    model: [{dense: {units: 8, init: he_uniform}}, relu, {dense: {units: 3, init: INIT}},
            softmax]
    loss: categorical_crossentropy
    optimizer: adam
    """
    resolved = config.load(write_config(text.replace("INIT", "lecun_normal")))
    assert [layer["dense"]["init"] for layer in resolved["model"][::2]] == [
        "he_uniform", "lecun_normal"]
    with pytest.raises(ConfigError) as error:
        config.load(write_config(text.replace("INIT", "kaiming_uniform")))
    assert error.value.problems == [
        "model[2].init: unknown initializer 'kaiming_uniform'; choose from glorot_uniform, "
        "he_normal, he_uniform, lecun_normal, normal_0.01, normal_0.1 (did you mean "
        "'he_uniform'?)"]
