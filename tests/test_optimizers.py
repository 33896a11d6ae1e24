"""Optimizers against the book's formulas (NNFS ch. 10): hand-worked single steps, several
decayed steps against a plain float64 re-implementation, state keyed by parameter, float32
kept, and loss falling on a tiny problem."""

import math

import numpy as np
import pytest

import nnfs_cli  # noqa: F401 (fills every registry)
from nnfs_cli.core.activations import ReLU, Softmax
from nnfs_cli.data.generated import Vertical
from nnfs_cli.core.layers import Dense
from nnfs_cli.core.losses import CategoricalCrossentropy
from nnfs_cli.core.model import Model
from nnfs_cli.core.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop
from nnfs_cli.registry import OPTIMIZERS

RTOL, ATOL = 1e-5, 1e-6


def one_param(values):
    return np.array([values], dtype=np.float32)


def run(optimizer, param, grad, steps):
    for _ in range(steps):
        optimizer.step([((0, "weights"), param, grad)])
    return param


# ---------------------------------------------------------------- hand-worked steps
# p = [1, -2], g = [0.5, 0.25] throughout.

G = [0.5, 0.25]


def test_sgd_hand_worked():
    optimizer = SGD(learning_rate=0.1, decay=1.0)
    param = run(optimizer, one_param([1.0, -2.0]), one_param(G), 1)
    np.testing.assert_allclose(param, [[0.95, -2.025]], rtol=RTOL)
    # second step: lr = 0.1 / (1 + 1.0 * 1) = 0.05
    run(optimizer, param, one_param(G), 1)
    assert optimizer.current_learning_rate == pytest.approx(0.05)
    np.testing.assert_allclose(param, [[0.925, -2.0375]], rtol=RTOL)


def test_sgd_momentum_hand_worked():
    optimizer = SGD(learning_rate=0.1, momentum=0.5)
    param = run(optimizer, one_param([1.0, -2.0]), one_param(G), 1)
    # m = -0.1 g = [-0.05, -0.025]
    np.testing.assert_allclose(param, [[0.95, -2.025]], rtol=RTOL)
    # m = 0.5 m - 0.1 g = [-0.075, -0.0375]
    run(optimizer, param, one_param(G), 1)
    np.testing.assert_allclose(param, [[0.875, -2.0625]], rtol=RTOL)


def test_adagrad_hand_worked():
    optimizer = Adagrad(learning_rate=0.1)
    param = run(optimizer, one_param([1.0, -2.0]), one_param(G), 1)
    # cache = g**2, so the step is lr * g / |g| = 0.1 (up to epsilon)
    np.testing.assert_allclose(param, [[0.9, -2.1]], rtol=RTOL)
    # cache = 2 g**2: step 0.1 / sqrt(2)
    run(optimizer, param, one_param(G), 1)
    np.testing.assert_allclose(param, [[0.9 - 0.1 / math.sqrt(2), -2.1 - 0.1 / math.sqrt(2)]],
                               rtol=RTOL)


def test_rmsprop_hand_worked():
    optimizer = RMSprop(learning_rate=0.01, rho=0.9)
    param = run(optimizer, one_param([1.0, -2.0]), one_param(G), 1)
    # cache = 0.1 g**2: step 0.01 / sqrt(0.1)
    step = 0.01 / math.sqrt(0.1)
    np.testing.assert_allclose(param, [[1 - step, -2 - step]], rtol=RTOL)
    # cache = 0.9 * 0.1 g**2 + 0.1 g**2 = 0.19 g**2
    step2 = 0.01 / math.sqrt(0.19)
    run(optimizer, param, one_param(G), 1)
    np.testing.assert_allclose(param, [[1 - step - step2, -2 - step - step2]], rtol=RTOL)


def test_adam_hand_worked_bias_correction():
    optimizer = Adam(learning_rate=0.01, decay=0.5)
    param = run(optimizer, one_param([1.0, -2.0]), one_param(G), 1)
    # t = 1: m_hat = 0.1 g / (1 - 0.9) = g, c_hat = 0.001 g**2 / (1 - 0.999) = g**2,
    # so the step is lr * g / |g| = 0.01
    np.testing.assert_allclose(param, [[0.99, -2.01]], rtol=RTOL)
    # t = 2 with a constant gradient: m_hat = 0.19 g / 0.19 = g, c_hat = g**2 again;
    # lr = 0.01 / (1 + 0.5 * 1)
    run(optimizer, param, one_param(G), 1)
    assert optimizer.current_learning_rate == pytest.approx(0.01 / 1.5)
    np.testing.assert_allclose(param, [[0.99 - 0.01 / 1.5, -2.01 - 0.01 / 1.5]], rtol=RTOL)


def options(optimizer):
    values = {key: getattr(optimizer, key) for key in optimizer.constraints}
    values["schedule"] = values["schedule"].name
    return values


def test_book_defaults():
    assert options(SGD()) == {"learning_rate": 1.0, "decay": 0.0, "epsilon": 1e-7,
                              "momentum": 0.0, "nesterov": False, "schedule": "inverse_time"}
    assert options(Adagrad()) == {"learning_rate": 1.0, "decay": 0.0, "epsilon": 1e-7,
                                  "schedule": "inverse_time"}
    assert options(RMSprop()) == {"learning_rate": 0.001, "decay": 0.0, "epsilon": 1e-7,
                                  "rho": 0.9, "schedule": "inverse_time"}
    assert options(Adam()) == {"learning_rate": 0.001, "decay": 0.0, "epsilon": 1e-7,
                               "beta_1": 0.9, "beta_2": 0.999, "schedule": "inverse_time"}
    assert options(AdamW()) == {"learning_rate": 0.001, "decay": 0.0, "epsilon": 1e-7,
                                "beta_1": 0.9, "beta_2": 0.999, "weight_decay": 0.01,
                                "decay_biases": False, "schedule": "inverse_time"}


# ---------------------------------------------------------------- the book's formulas, float64

def book_sgd(param, grad, state, lr, iterations, momentum=0.0, nesterov=False, **_):
    if momentum:
        updates = momentum * state.get("momentums", 0.0) - lr * grad
        state["momentums"] = updates
        if nesterov:   # Keras's (Sutskever's) form, which keeps the lr inside the velocity
            updates = momentum * updates - lr * grad
    else:
        updates = -lr * grad
    return param + updates


def book_adagrad(param, grad, state, lr, iterations, epsilon=1e-7, **_):
    state["cache"] = state.get("cache", 0.0) + grad ** 2
    return param + -lr * grad / (np.sqrt(state["cache"]) + epsilon)


def book_rmsprop(param, grad, state, lr, iterations, epsilon=1e-7, rho=0.9, **_):
    state["cache"] = rho * state.get("cache", 0.0) + (1 - rho) * grad ** 2
    return param + -lr * grad / (np.sqrt(state["cache"]) + epsilon)


def book_adam(param, grad, state, lr, iterations, epsilon=1e-7, beta_1=0.9, beta_2=0.999, **_):
    state["momentums"] = beta_1 * state.get("momentums", 0.0) + (1 - beta_1) * grad
    momentums_corrected = state["momentums"] / (1 - beta_1 ** (iterations + 1))
    state["cache"] = beta_2 * state.get("cache", 0.0) + (1 - beta_2) * grad ** 2
    cache_corrected = state["cache"] / (1 - beta_2 ** (iterations + 1))
    return param + -lr * momentums_corrected / (np.sqrt(cache_corrected) + epsilon)


def torch_adamw(param, grad, state, lr, iterations, key, epsilon=1e-7, beta_1=0.9,
                beta_2=0.999, weight_decay=0.01, decay_biases=False, **_):
    """torch.optim.AdamW's documented algorithm (amsgrad off, maximize off)."""
    if decay_biases or key[1] != "biases":
        param = param * (1 - lr * weight_decay)
    state["m"] = beta_1 * state.get("m", 0.0) + (1 - beta_1) * grad
    state["v"] = beta_2 * state.get("v", 0.0) + (1 - beta_2) * grad ** 2
    t = iterations + 1
    m_hat, v_hat = state["m"] / (1 - beta_1 ** t), state["v"] / (1 - beta_2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + epsilon)


BOOK_CASES = {
    "sgd": [
        ("plain", {"learning_rate": 0.5, "decay": 0.1}, book_sgd),
        ("momentum", {"learning_rate": 0.5, "decay": 0.1, "momentum": 0.9}, book_sgd),
        ("nesterov", {"learning_rate": 0.5, "decay": 0.1, "momentum": 0.9, "nesterov": True},
         book_sgd),
    ],
    "adagrad": [
        ("decay", {"learning_rate": 0.5, "decay": 0.1, "epsilon": 1e-6}, book_adagrad),
    ],
    "rmsprop": [
        ("decay", {"learning_rate": 0.02, "decay": 0.1, "rho": 0.8}, book_rmsprop),
        ("defaults", {}, book_rmsprop),
    ],
    "adam": [
        ("decay", {"learning_rate": 0.05, "decay": 0.1, "beta_1": 0.8, "beta_2": 0.95},
         book_adam),
        ("defaults", {}, book_adam),
    ],
    "adamw": [
        ("decay", {"learning_rate": 0.05, "decay": 0.1, "weight_decay": 0.3}, torch_adamw),
        ("biases-too", {"learning_rate": 0.05, "weight_decay": 0.3, "decay_biases": True,
                        "beta_1": 0.8}, torch_adamw),
        ("defaults", {}, torch_adamw),
    ],
}


def registry_cases(table):
    params = []
    for name in OPTIMIZERS.names():
        entries = table.get(name)
        if not entries:
            params.append(pytest.param(name, None, id=f"{name}-NO-CASE"))
        params.extend(pytest.param(name, entry[1:], id=f"{name}-{entry[0]}")
                      for entry in entries or ())
    return params


def require(case, name):
    if case is None:
        pytest.fail(f"registered optimizer {name!r} has no case here: add one")


SHAPES = {(0, "weights"): (3, 2), (0, "biases"): (1, 2), (2, "weights"): (2, 2)}


@pytest.mark.parametrize("name, case", registry_cases(BOOK_CASES))
def test_steps_match_book_formulas(name, case):
    require(case, name)
    options, reference = case
    rng = np.random.default_rng(0)
    params = {key: rng.standard_normal(shape).astype(np.float32) for key, shape in SHAPES.items()}
    steps = [{key: rng.standard_normal(shape).astype(np.float32)
              for key, shape in SHAPES.items()} for _ in range(4)]
    steps[0][(0, "weights")][0, 0] = 0.0   # a zero gradient on a fresh cache: eps keeps it finite
    expected = {key: param.astype(np.float64) for key, param in params.items()}
    book_state = {key: {} for key in SHAPES}

    optimizer = OPTIMIZERS.get(name)(**options)
    learning_rate = optimizer.learning_rate
    decay = options.get("decay", 0.0)
    for iterations, grads in enumerate(steps):
        before = {key: grad.copy() for key, grad in grads.items()}
        optimizer.step([(key, params[key], grads[key]) for key in SHAPES])
        lr = learning_rate / (1 + decay * iterations)
        assert optimizer.current_learning_rate == pytest.approx(lr, rel=1e-12)
        assert optimizer.iterations == iterations + 1
        for key in SHAPES:
            np.testing.assert_array_equal(grads[key], before[key], f"{name} changed grads")
            expected[key] = reference(expected[key], grads[key].astype(np.float64),
                                      book_state[key], lr, iterations, key=key, **options)
            np.testing.assert_allclose(params[key], expected[key], rtol=RTOL, atol=ATOL,
                                       err_msg=f"{name} step {iterations + 1} {key}")


# ---------------------------------------------------------------- state and dtype

@pytest.mark.parametrize("name, case", registry_cases(BOOK_CASES))
def test_state_is_keyed_by_parameter_key(name, case):
    require(case, name)
    options, _ = case
    rng = np.random.default_rng(1)
    start = rng.standard_normal((2, 3)).astype(np.float32)
    grads = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(2)]
    keys = [(0, "weights"), (2, "weights")]

    # Same starting values, different gradients: only the key tells the states apart.
    forward_order = OPTIMIZERS.get(name)(**options)
    a = [start.copy(), start.copy()]
    reverse_order = OPTIMIZERS.get(name)(**options)
    b = [start.copy(), start.copy()]
    for _ in range(3):
        forward_order.step([(keys[i], a[i], grads[i]) for i in (0, 1)])
        reverse_order.step([(keys[i], b[i], grads[i]) for i in (1, 0)])
    for i in (0, 1):
        np.testing.assert_array_equal(a[i], b[i])
        # Each param followed its own gradient from its own state.
        alone = OPTIMIZERS.get(name)(**options)
        c = start.copy()
        for _ in range(3):
            alone.step([(keys[i], c, grads[i])])
        np.testing.assert_allclose(a[i], c, rtol=1e-6)

    assert set(forward_order.state) <= set(keys)
    if forward_order.state_names:
        assert set(forward_order.state) == set(keys)
        first, second = (forward_order.state[key] for key in keys)
        for state_name in forward_order.state_names:
            assert first[state_name] is not second[state_name]
            assert not any(first[state_name] is p for p in a)
        assert any(not np.array_equal(first[n], second[n]) for n in forward_order.state_names)


def tiny_model(seed=0, **dense):
    model = Model([Dense(16, init="he_normal", **dense), ReLU(), Dense(3), Softmax()],
                  CategoricalCrossentropy())
    model.build((2,), np.random.default_rng(seed))
    return model


def tiny_data():
    splits = Vertical(samples=50, classes=3, validation_samples=10).load(0)
    return splits.x_train, splits.y_train


@pytest.mark.parametrize("name, case", registry_cases(BOOK_CASES))
def test_no_attributes_added_to_layers_and_float32_kept(name, case):
    require(case, name)
    options, _ = case
    model = tiny_model(weight_l2=5e-4)
    x, y = tiny_data()
    optimizer = OPTIMIZERS.get(name)(**{**options, "decay": 0.01})
    items = model.param_items()
    for _ in range(3):
        output = model.forward(x, training=True)
        model.backward(output, y)
        attributes = [dict(vars(layer)) for layer in model.layers]
        optimizer.step(items)
        for layer, before in zip(model.layers, attributes):
            assert vars(layer).keys() == before.keys(), f"{name} added attributes to a layer"
            for key, value in before.items():
                assert vars(layer)[key] is value, f"{name} replaced layer.{key}"
    for key, param, grad in model.param_items():
        assert param.dtype == np.float32, f"{key} param became {param.dtype}"
        assert grad.dtype == np.float32, f"{key} grad became {grad.dtype}"
    assert set(optimizer.state) <= {key for key, _, _ in items}
    for key, state in optimizer.state.items():
        for state_name, array in state.items():
            assert array.dtype == np.float32, f"{key} {state_name} became {array.dtype}"


# ---------------------------------------------------------------- loss falls

TRAINING_CASES = {
    "sgd": [("plain", {"learning_rate": 1.0, "decay": 1e-3}),
            ("momentum", {"learning_rate": 0.5, "decay": 1e-3, "momentum": 0.9})],
    "adagrad": [("decay", {"learning_rate": 0.5, "decay": 1e-4})],
    "rmsprop": [("decay", {"learning_rate": 0.01, "decay": 1e-4, "rho": 0.9})],
    "adam": [("decay", {"learning_rate": 0.02, "decay": 1e-4})],
    "adamw": [("decay", {"learning_rate": 0.02, "decay": 1e-4, "weight_decay": 0.01})],
}


@pytest.mark.parametrize("name, case", registry_cases(TRAINING_CASES))
def test_loss_falls_on_tiny_problem(name, case):
    require(case, name)
    (options,) = case
    model = tiny_model()
    x, y = tiny_data()
    optimizer = OPTIMIZERS.get(name)(**options)
    items = model.param_items()
    first = model.loss.calculate(model.forward(x), y)
    for _ in range(150):
        output = model.forward(x, training=True)
        model.backward(output, y)
        optimizer.step(items)
    last = model.loss.calculate(model.forward(x), y)
    assert first == pytest.approx(math.log(3), rel=0.05)
    assert last < 0.5 * first, f"{name}: loss {first:.4f} -> {last:.4f}"
