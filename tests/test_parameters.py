"""One flat buffer for a model's trained parameters, one for their gradients, and optimizers
that update it in one go: the same numbers as array by array, the same state and checkpoints."""

import pickle

import numpy as np
import pytest

import nnfs_cli  # noqa: F401 (fills every registry)
from nnfs_cli.core import optimizers
from nnfs_cli.core.activations import ReLU, Softmax
from nnfs_cli.core.layers import Dense, Layer
from nnfs_cli.core.losses import CategoricalCrossentropy
from nnfs_cli.core.model import Model
from nnfs_cli.core.parameters import FlatParameters
from nnfs_cli.data.generated import Vertical
from nnfs_cli.registry import OPTIMIZERS

OPTIONS = {"sgd": [{"learning_rate": 0.5, "decay": 0.01},
                   {"learning_rate": 0.5, "momentum": 0.9},
                   {"learning_rate": 0.5, "momentum": 0.9, "nesterov": True}],
           "adagrad": [{"learning_rate": 0.5}],
           "rmsprop": [{"learning_rate": 0.01}],
           "adam": [{"learning_rate": 0.02, "decay": 1e-3}],
           "adamw": [{"learning_rate": 0.02, "weight_decay": 0.1},
                     {"learning_rate": 0.02, "weight_decay": 0.1, "decay_biases": True,
                      "schedule": {"name": "constant"}}]}


class Shift(Layer):
    """out = x + shift (trained) ; `seen` counts the batches (kept, saved, not trained), like
    a batch-norm layer's running statistics. Follows the layer contract: reads params at use
    time, writes grads in place."""

    def build(self, input_shape, rng):
        self.params = {"seen": np.zeros(1, dtype=np.float32),
                       "shift": rng.standard_normal(input_shape).astype(np.float32)}
        self.grads = {"shift": np.zeros(input_shape, dtype=np.float32)}
        return tuple(input_shape)

    def forward(self, x, training):
        if training:
            self.params["seen"] += 1
        return x + self.params["shift"]

    def backward(self, dvalues, need_dinputs=True):
        np.sum(dvalues, axis=0, out=self.grads["shift"])
        return dvalues


def model(seed=0):
    built = Model([Dense(8, weight_l2=1e-3), ReLU(), Shift(), Dense(3), Softmax()],
                  CategoricalCrossentropy())
    built.build((2,), np.random.default_rng(seed))
    return built


def data():
    splits = Vertical(samples=40, classes=3, validation_samples=10).load(0)
    return splits.x_train, splits.y_train


def cases():
    return [pytest.param(name, options, id=f"{name}-{index}")
            for name in OPTIMIZERS.names() for index, options in enumerate(OPTIONS.get(name, []))]


def test_every_optimizer_has_a_case():
    assert set(OPTIONS) == set(OPTIMIZERS.names())


def test_layers_hold_views_of_one_buffer_and_keep_their_values():
    built = model()
    dense = Dense(8, weight_l2=1e-3)
    dense.build((2,), np.random.default_rng(0))
    np.testing.assert_array_equal(built.layers[0].params["weights"], dense.params["weights"])
    flat = built.param_items()
    assert isinstance(flat, FlatParameters)
    assert [key for key, _, _ in flat] == [(0, "weights"), (0, "biases"), (2, "shift"),
                                           (3, "weights"), (3, "biases")]
    assert flat.params.size == sum(param.size for _, param, _ in flat) == 2 * 8 + 8 + 8 + 8 * 3 + 3
    assert flat.params.dtype == flat.grads.dtype == np.float32
    for key, param, grad in flat:
        layer = built.layers[key[0]]
        assert layer.params[key[1]] is param and layer.grads[key[1]] is grad
        assert np.shares_memory(param, flat.params) and np.shares_memory(grad, flat.grads)
        np.testing.assert_array_equal(flat.params[flat.slices[key]], param.ravel())
    # Kept but not trained: outside, and still first in params.pkl's order.
    shift = built.layers[2]
    assert not np.shares_memory(shift.params["seen"], flat.params)
    assert list(shift.params) == ["seen", "shift"]
    assert [len(arrays) for arrays in built.get_parameters()] == [2, 2, 2]


def test_backward_fills_the_flat_gradient_buffer():
    built = model()
    x, y = data()
    built.backward(built.forward(x, training=True), y)
    expected = np.concatenate([grad.ravel() for _, _, grad in built.param_items()])
    np.testing.assert_array_equal(built.flat.grads, expected)
    assert np.abs(built.flat.grads).sum() > 0


def test_a_rebound_array_leaves_the_flat_path():
    built = model()
    layer = built.layers[0]
    layer.params["weights"] = np.array(layer.params["weights"], dtype=np.float64)
    items = built.param_items()
    assert not isinstance(items, FlatParameters)
    assert items[0][1] is layer.params["weights"]


def train(built, optimizer, steps, flat):
    x, y = data()
    for _ in range(steps):
        built.backward(built.forward(x, training=True), y)
        items = built.param_items()
        optimizer.step(items if flat else list(items))


@pytest.mark.parametrize("name, options", cases())
def test_flat_step_gives_the_same_bits_as_array_by_array(name, options):
    flat_model, list_model = model(), model()
    flat_opt, list_opt = OPTIMIZERS.get(name)(**options), OPTIMIZERS.get(name)(**options)
    train(flat_model, flat_opt, 5, flat=True)
    train(list_model, list_opt, 5, flat=False)
    assert pickle.dumps(flat_model.get_parameters()) == pickle.dumps(list_model.get_parameters())
    flat_state, list_state = flat_opt.state_dict(), list_opt.state_dict()
    assert flat_state["iterations"] == list_state["iterations"] == 5
    assert list(flat_state["state"]) == list(list_state["state"])
    for key, arrays in list_state["state"].items():
        assert list(flat_state["state"][key]) == list(arrays)
        for state_name, array in arrays.items():
            if state_name != "scratch":   # overwritten before it is read
                np.testing.assert_array_equal(flat_state["state"][key][state_name], array)
            assert flat_state["state"][key][state_name].shape == array.shape


@pytest.mark.parametrize("name, options", cases())
def test_loaded_state_continues_flat_as_it_would_array_by_array(name, options):
    """A checkpoint holds state per array; resuming moves it into the flat buffers."""
    first = model()
    optimizer = OPTIMIZERS.get(name)(**options)
    train(first, optimizer, 3, flat=False)
    saved = pickle.loads(pickle.dumps((first.get_parameters(), optimizer.state_dict())))
    train(first, optimizer, 3, flat=False)

    resumed = model(seed=1)
    resumed.set_parameters(saved[0])
    again = OPTIMIZERS.get(name)(**options)
    again.load_state_dict(saved[1])
    train(resumed, again, 3, flat=True)
    assert pickle.dumps(resumed.get_parameters()) == pickle.dumps(first.get_parameters())


def test_one_update_call_per_step_for_the_whole_model(monkeypatch):
    calls = []
    adam = OPTIMIZERS.get("adam")()
    update = adam.update
    monkeypatch.setattr(adam, "update", lambda *args: calls.append(args) or update(*args))
    built = model()
    train(built, adam, 2, flat=True)
    assert len(calls) == 2 and calls[0][0] is built.flat.params and calls[0][1] is built.flat.grads
    for key, param, _ in built.param_items():
        for state_name, view in adam.state[key].items():
            assert view.shape == param.shape
            assert np.shares_memory(view, calls[0][2][state_name])


@pytest.mark.parametrize("flat", [True, False], ids=["flat", "list"])
def test_subnormal_state_is_flushed_every_flush_every_steps(flat, monkeypatch):
    monkeypatch.setattr(optimizers, "FLUSH_EVERY", 4)
    built = model()
    adam = OPTIMIZERS.get("adam")(learning_rate=0.01)
    train(built, adam, 1, flat)
    key = (0, "weights")
    momentums = adam.state[key]["momentums"]
    momentums[0, 0] = np.float32(5.6e-45)     # stuck at 4 ulps
    momentums[0, 1] = np.float32(-1e-40)
    momentums[0, 2] = np.float32(2e-38)       # normal: kept
    built.layers[0].params["weights"][0, :3] = 0.5
    grads_zero = built.layers[0].grads
    x, y = data()
    for step in range(2, 5):
        built.backward(built.forward(x, training=True), y)
        grads_zero["weights"][0, :3] = 0
        items = built.param_items()
        adam.step(items if flat else list(items))
        momentums = adam.state[key]["momentums"]
        if step < 4:
            assert momentums[0, 0] == np.float32(5.6e-45) and momentums[0, 1] != 0
    assert momentums[0, 0] == 0 and momentums[0, 1] == 0
    kept = np.float32(2e-38)
    for _ in range(3):
        kept = kept * np.float32(0.9)   # no gradient: m = b1 * m + 0
    assert momentums[0, 2] == kept > np.finfo(np.float32).tiny
    tiny = np.finfo(np.float32).tiny
    for state in adam.state.values():
        for array in state.values():
            assert not ((array != 0) & (np.abs(array) < tiny)).any()
