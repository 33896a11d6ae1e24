"""Hand-computed values: each loss's per-sample forward, each metric's count and each
activation's predictions (NNFS ch. 5, 11, 16, 17). Cases are keyed by registry name, so a
newly registered class without a case here fails."""

import numpy as np
import pytest

import nnfs_cli  # noqa: F401 (fills every registry)
from nnfs_cli.core.activations import Linear, Sigmoid, Softmax
from nnfs_cli.core.layers import Dense
from nnfs_cli.core.losses import CategoricalCrossentropy
from nnfs_cli.core.metrics import RegressionAccuracy
from nnfs_cli.core.model import Model
from nnfs_cli.registry import ACTIVATIONS, LOSSES, METRICS


def registry_cases(registry, table):
    params = []
    for name in registry.names():
        entries = table.get(name)
        if not entries:
            params.append(pytest.param(name, None, id=f"{name}-NO-CASE"))
        params.extend(pytest.param(name, case, id=f"{name}-{case_id}")
                      for case_id, *case in entries or ())
    return params


def require(case, kind, name):
    if case is None:
        pytest.fail(f"registered {kind} {name!r} has no hand-computed case here: add one")


def rows(*values):
    return np.array(values, dtype=np.float64)


# ---------------------------------------------------------------- losses
# -ln 0.7 = 0.356674944, -ln 0.5 = 0.693147181, -ln 0.9 = 0.105360516,
# -ln 0.8 = 0.223143551, -ln 0.6 = 0.510825624, -ln 1e-7 = 16.118095651

CCE_PRED = rows([0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.02, 0.9, 0.08])
CCE_LOSS = [0.356674944, 0.693147181, 0.105360516]

LOSS_CASES = {
    "categorical_crossentropy": [
        ("labels", CCE_PRED, np.array([0, 1, 1]), CCE_LOSS),
        ("one-hot", CCE_PRED, rows([1, 0, 0], [0, 1, 0], [0, 1, 0]), CCE_LOSS),
        # clip to [1e-7, 1 - 1e-7]: -ln(1e-7) and -ln(1 - 1e-7) = 1.00000005e-7
        ("clip-labels", rows([0.0, 1.0], [0.0, 1.0]), np.array([0, 1]),
         [16.118095651, 1.00000005e-7]),
        ("clip-one-hot", rows([0.0, 1.0], [0.0, 1.0]), rows([1, 0], [0, 1]),
         [16.118095651, 1.00000005e-7]),
    ],
    "binary_crossentropy": [
        # -(ln 0.9 + ln 0.8) / 2, -(ln 0.6 + ln 0.7) / 2
        ("2-outputs", rows([0.9, 0.2], [0.4, 0.7]), rows([1, 0], [0, 1]),
         [0.164252034, 0.433750284]),
        ("1-output", rows([0.9], [0.4]), rows([1], [1]), [0.105360516, 0.916290732]),
        ("clip", rows([0.0, 1.0], [0.0, 1.0]), rows([1, 0], [0, 1]),
         [16.118095651, 1.00000005e-7]),
    ],
    "mean_squared_error": [
        # ((1-0)^2 + (2-4)^2) / 2, ((0-3)^2 + (0+1)^2) / 2
        ("2-outputs", rows([1, 2], [0, 0]), rows([0, 4], [3, -1]), [2.5, 5.0]),
    ],
    "mean_absolute_error": [
        ("2-outputs", rows([1, 2], [0, 0]), rows([0, 4], [3, -1]), [1.5, 2.0]),
    ],
}


@pytest.mark.parametrize("name, case", registry_cases(LOSSES, LOSS_CASES))
def test_loss_forward_hand_computed(name, case):
    require(case, "loss", name)
    y_pred, y_true, expected = case
    loss = LOSSES.get(name)()
    np.testing.assert_allclose(loss.forward(y_pred, y_true), expected, rtol=1e-8)
    assert loss.calculate(y_pred, y_true) == pytest.approx(np.mean(expected), rel=1e-8)


def test_cce_clip_in_float32_stays_finite():
    y_pred = np.array([[0.0, 1.0]], dtype=np.float32)
    losses = CategoricalCrossentropy().forward(y_pred, np.array([0]))
    assert np.isfinite(losses).all()
    assert losses[0] == pytest.approx(16.118095651, rel=1e-6)


@pytest.mark.parametrize("name", LOSSES.names())
def test_default_metric_is_registered_and_fits_the_targets(name):
    loss = LOSSES.get(name)
    assert loss.default_metric in METRICS
    assert METRICS.get(loss.default_metric).targets == loss.targets


# ---------------------------------------------------------------- metrics

def fitted_regression(y_train):
    metric = RegressionAccuracy()
    metric.fit(y_train)
    return metric


METRIC_CASES = {
    "categorical_accuracy": [
        ("indices", None, np.array([0, 2, 1, 1]), np.array([0, 1, 1, 1]), (3, 4)),
        ("one-hot", None, np.array([0, 2, 1, 1]),
         rows([1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 1, 0]), (3, 4)),
    ],
    "binary_accuracy": [
        # every output counts: 1 + 2 + 1 of 6
        ("2-outputs", None, np.array([[1, 0], [0, 0], [1, 1]]), rows([1, 1], [0, 0], [1, 0]),
         (4, 6)),
        ("1-output", None, np.array([[1], [0], [1]]), rows([1], [1], [1]), (2, 3)),
    ],
    "regression_accuracy": [
        # std([0, 500]) = 250, so precision = 1: |diff| of 0.5, 2, 0.9, 1 (not < 1)
        ("precision-1", rows([0.0], [500.0]), rows([0.5, 2.0], [10.0, 3.0]),
         rows([0.0, 0.0], [10.9, 2.0]), (2, 4)),
    ],
}


@pytest.mark.parametrize("name, case", registry_cases(METRICS, METRIC_CASES))
def test_metric_count_hand_computed(name, case):
    require(case, "metric", name)
    y_train, predictions, y_true, expected = case
    metric = METRICS.get(name)()
    metric.fit(y_true if y_train is None else y_train)
    assert metric.count(predictions, y_true) == expected


def test_regression_precision_is_std_over_250_fixed_by_the_first_fit():
    metric = fitted_regression(rows([0.0], [500.0]))
    assert metric.precision == pytest.approx(1.0)
    metric.fit(rows([0.0], [5000.0]))
    assert metric.precision == pytest.approx(1.0)
    assert fitted_regression(rows([1.0, 3.0], [5.0, 7.0])).precision == pytest.approx(
        np.std([1.0, 3.0, 5.0, 7.0]) / 250)


# ---------------------------------------------------------------- activation predictions

SOFTMAX_OUT = rows([0.1, 0.7, 0.2], [0.5, 0.3, 0.2])
SIGMOID_OUT = rows([0.9, 0.4], [0.2, 0.5], [0.51, 0.7])
VALUES = rows([-1.5, 0.25], [3.0, 0.0])

PREDICTION_CASES = {
    "softmax": [("argmax", SOFTMAX_OUT, np.array([1, 0]))],
    # strictly above 0.5 is 1
    "sigmoid": [("threshold", SIGMOID_OUT, np.array([[1, 0], [0, 0], [1, 1]]))],
    "linear": [("identity", VALUES, VALUES)],
    "relu": [("identity", np.maximum(VALUES, 0), np.maximum(VALUES, 0))],
}


def identity_case(name):
    """Activations for hidden layers (or regression outputs): outputs are the predictions."""
    outputs = ACTIVATIONS.get(name)().forward(VALUES, training=False)
    return [("identity", outputs, outputs.copy())]


PREDICTION_CASES.update({name: identity_case(name) for name in
                         ("tanh", "leaky_relu", "elu", "gelu", "silu", "softplus")})


@pytest.mark.parametrize("name, case", registry_cases(ACTIVATIONS, PREDICTION_CASES))
def test_activation_predictions(name, case):
    require(case, "activation", name)
    outputs, expected = case
    predictions = ACTIVATIONS.get(name)().predictions(outputs)
    assert predictions.shape == np.shape(expected)
    np.testing.assert_array_equal(predictions, expected)


@pytest.mark.parametrize("stack, outputs, expected", [
    ([Dense(3), Softmax()], SOFTMAX_OUT, np.array([1, 0])),
    ([Dense(2), Sigmoid()], SIGMOID_OUT, np.array([[1, 0], [0, 0], [1, 1]])),
    ([Dense(2), Linear()], VALUES, VALUES),
    ([Dense(2)], VALUES, VALUES),
], ids=["softmax", "sigmoid", "linear", "no-activation"])
def test_model_predictions_use_the_last_activation(stack, outputs, expected):
    np.testing.assert_array_equal(
        Model(stack, CategoricalCrossentropy()).predictions(outputs), expected)


# ---------------------------------------------------------------- gradient dtype

INTEGER_TARGETS = {
    "categorical_crossentropy": [
        ("labels", np.array([0, 2, 1])),
        ("one-hot", np.eye(3, dtype=np.int64)[[0, 2, 1]]),
    ],
    "binary_crossentropy": [("0/1", np.array([[1, 0, 0], [0, 1, 1], [1, 1, 0]]))],
    "mean_squared_error": [("whole-numbers", np.array([[1, 0, 2], [0, -1, 1], [3, 1, 0]]))],
    "mean_absolute_error": [("whole-numbers", np.array([[1, 0, 2], [0, -1, 1], [3, 1, 0]]))],
}


@pytest.mark.parametrize("name, case", registry_cases(LOSSES, INTEGER_TARGETS))
def test_loss_gradients_keep_the_float32_of_the_predictions(name, case):
    # Dense.backward writes into float32 grad buffers (np.dot(..., out=...)), so a loss
    # gradient promoted to float64 by integer targets cannot flow back through the model.
    require(case, "loss", name)
    (y_true,) = case
    loss = LOSSES.get(name)()
    y_pred = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]], dtype=np.float32)
    assert loss.backward(y_pred, y_true).dtype == np.float32
    if loss.fused_activation is not None:
        assert loss.fused_backward(y_pred, y_true).dtype == np.float32


@pytest.mark.parametrize("activation, loss, y_true", [
    (Softmax(), CategoricalCrossentropy(), np.eye(3, dtype=np.int64)[[0, 2, 1, 1]]),
    (Sigmoid(), LOSSES.get("binary_crossentropy")(), np.array([[1, 0, 0], [0, 1, 1],
                                                               [1, 1, 0], [0, 0, 1]])),
], ids=["softmax+cce-one-hot-int", "sigmoid+bce-int"])
def test_float32_model_backward_with_integer_targets(activation, loss, y_true):
    model = Model([Dense(y_true.shape[1]), activation], loss)
    model.build((2,), np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((4, 2)).astype(np.float32)
    model.backward(model.forward(x, training=True), y_true)
    for key, _, grad in model.param_items():
        assert grad.dtype == np.float32, key
        assert np.isfinite(grad).all() and np.abs(grad).sum() > 0, key
