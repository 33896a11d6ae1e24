"""Every registered layer, activation and loss against central differences (float64).

The cases are keyed by registry name and the parametrization iterates the registries, so a
newly registered class without a case here fails (it is never silently skipped).
"""

import numpy as np
import pytest
from gradcheck import assert_gradient, check_layer_gradients, numeric_gradient, to_float64

import nnfs_cli  # noqa: F401 (fills every registry)
from nnfs_cli.core.activations import ELU, GELU, LeakyReLU, Linear, ReLU, Sigmoid, SiLU, Softmax
from nnfs_cli.core.layers import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten,
                                  GlobalAvgPool2D, GlobalMaxPool2D, MaxPool2D, RandomFlip,
                                  RandomTranslation)
from nnfs_cli.core.losses import (BinaryCrossentropy, CategoricalCrossentropy, MeanAbsoluteError,
                             MeanSquaredError)
from nnfs_cli.core.model import Model
from nnfs_cli.registry import ACTIVATIONS, INITIALIZERS, LAYERS, LOSSES

N_INPUTS, BATCH = 4, 6
# Parameters under L1 and inputs to ReLU stay this far from 0 so that no kink lies
# within the finite-difference step.
MARGIN = 1e-3


def away_from_zero(rng, shape, low=0.1, high=1.5):
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def cases(registry, table):
    """pytest params: one per case of every registered name; a name without cases still gets
    one param, which fails."""
    params = []
    for name in registry.names():
        entries = table.get(name)
        if not entries:
            params.append(pytest.param(name, None, id=f"{name}-NO-CASE"))
            continue
        params.extend(pytest.param(name, make, id=f"{name}-{case_id}")
                      for case_id, make in entries)
    return params


def require(make, kind, name, table_name):
    if make is None:
        pytest.fail(f"registered {kind} {name!r} has no gradient case: add one to {table_name}")


# ---------------------------------------------------------------- layers

def dense_case(options=None, init="normal_0.01", random_biases=False):
    options = options or {}

    def make():
        rng = np.random.default_rng(1)
        layer = Dense(5, init=init, **options)
        assert layer.build((N_INPUTS,), rng) == (5,)
        if random_biases:
            layer.params["biases"][...] = away_from_zero(rng, layer.params["biases"].shape)
        if options.get("weight_l1") or options.get("bias_l1"):
            for key, param in layer.params.items():
                if options.get({"weights": "weight_l1", "biases": "bias_l1"}[key]):
                    assert np.abs(param).min() > MARGIN, f"{key} too close to the L1 kink"
        return layer, rng.standard_normal((BATCH, N_INPUTS)), None
    return make


REGULARIZED = {
    "weight_l1": {"weight_l1": 0.01},
    "weight_l2": {"weight_l2": 0.05},
    "bias_l1": {"bias_l1": 0.02},
    "bias_l2": {"bias_l2": 0.07},
    "all": {"weight_l1": 0.01, "weight_l2": 0.05, "bias_l1": 0.02, "bias_l2": 0.07},
}


def dropout_case(rate, training=True):
    def make():
        gen = np.random.default_rng(3)
        layer = Dropout(rate)
        assert layer.build((N_INPUTS,), gen) == (N_INPUTS,)
        state = gen.bit_generator.state
        first = {}

        def forward(x):
            # Rewind the generator so every call draws the mask of the first call.
            gen.bit_generator.state = state
            out = layer.forward(x, training=training)
            kept = out != 0
            first.setdefault("kept", kept)
            np.testing.assert_array_equal(kept, first["kept"], "dropout mask changed")
            return out
        x = away_from_zero(np.random.default_rng(4), (BATCH, N_INPUTS))
        return layer, x, forward
    return make


def channels_last_memory(x):
    """The same (batch, channels, height, width) values, stored channels-last, as the image
    layers give them to each other."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def image_case(make_layer, input_shape, batch=2, channels_last=False, values="normal",
               margin_keys=()):
    """A layer built for (channels, height, width) `input_shape`, with a batch of inputs.
    values="spread": distinct values at least 0.05 apart, so no two in a pooling window are
    within the finite-difference step of a tie. Params in `margin_keys` (under L1) are kept
    away from 0, the kink of |p|."""
    def make():
        rng = np.random.default_rng(11)
        layer = make_layer()
        shape = layer.build(input_shape, rng)
        assert shape == layer.output_shape(input_shape)
        if "biases" in layer.params:
            layer.params["biases"][...] = away_from_zero(rng, layer.params["biases"].shape)
        for key in margin_keys:
            param = layer.params[key]
            param[...] = np.sign(param) * np.maximum(np.abs(param), 0.05)
            assert np.abs(param).min() > MARGIN
        size = batch * int(np.prod(input_shape))
        if values == "spread":
            x = (rng.permutation(size) * 0.05 - size * 0.025).reshape(batch, *input_shape)
        else:
            x = rng.standard_normal((batch, *input_shape))
        return layer, channels_last_memory(x) if channels_last else x, None
    return make


def batch_norm_case(input_shape, training, channels_last=False):
    def make():
        rng = np.random.default_rng(12)
        layer = BatchNorm(momentum=0.8)
        assert layer.build(input_shape, rng) == input_shape
        width = input_shape[0]
        layer.params["scale"][...] = rng.uniform(0.5, 1.5, width)
        layer.params["shift"][...] = rng.standard_normal(width)
        layer.params["running_mean"][...] = rng.standard_normal(width)
        layer.params["running_var"][...] = rng.uniform(0.5, 2.0, width)
        x = rng.standard_normal((5, *input_shape)) * 2 + 1
        x = channels_last_memory(x) if channels_last else x

        def forward(inputs):
            return layer.forward(inputs, training=training)
        return layer, x, forward
    return make


def augmentation_case(make_layer, input_shape, batch=4, training=True):
    """A random_* layer whose generator is rewound before every call, so each evaluation
    applies the draws of the first (as dropout_case does with its mask)."""
    def make():
        gen = np.random.default_rng(5)
        layer = make_layer()
        assert layer.build(input_shape, gen) == input_shape
        state = gen.bit_generator.state

        def forward(x):
            gen.bit_generator.state = state
            return layer.forward(x, training=training)
        x = np.random.default_rng(6).standard_normal((batch, *input_shape))
        return layer, x, forward
    return make


LAYER_CASES = {
    "conv2d": [
        ("3x3-valid-1-channel", image_case(lambda: Conv2D(4, 3), (1, 7, 6))),
        ("3x3-same-channels-last", image_case(lambda: Conv2D(2, 3, padding="same"), (3, 6, 7),
                                              channels_last=True)),
        ("2x3-stride-2-same-even-kernel", image_case(
            lambda: Conv2D(3, [2, 3], stride=2, padding="same", init="he_normal"), (2, 7, 8),
            channels_last=True)),
        ("4x4-stride-3-valid-3-channels", image_case(
            lambda: Conv2D(2, 4, stride=3, init="normal_0.1"), (3, 9, 8))),
        ("5x5-same-kernel-wider-than-input", image_case(
            lambda: Conv2D(2, 5, padding="same"), (2, 6, 4), channels_last=True)),
        ("3x1-stride-2x1-valid-1-filter", image_case(
            lambda: Conv2D(1, [3, 1], stride=[2, 1]), (2, 7, 5), batch=3)),
        ("l2", image_case(lambda: Conv2D(3, 3, weight_l2=0.05, bias_l2=0.07), (2, 5, 6),
                          channels_last=True)),
        ("l1", image_case(lambda: Conv2D(3, 2, init="normal_0.1", weight_l1=0.01, bias_l1=0.02),
                          (2, 5, 4), margin_keys=("weights", "biases"))),
    ],
    "max_pool2d": [
        ("2-odd-input-channels-last", image_case(lambda: MaxPool2D(2), (3, 7, 6),
                                                 channels_last=True, values="spread")),
        ("3-stride-2-overlapping", image_case(lambda: MaxPool2D(3, stride=2), (2, 7, 9),
                                              values="spread")),
        ("2x3-stride-1x2", image_case(lambda: MaxPool2D([2, 3], stride=[1, 2]), (2, 5, 7),
                                      channels_last=True, values="spread")),
        ("2-stride-3-gaps", image_case(lambda: MaxPool2D(2, stride=3), (1, 8, 7),
                                       values="spread")),
        ("1", image_case(lambda: MaxPool2D(1), (2, 3, 3), values="spread")),
    ],
    "avg_pool2d": [
        ("2-odd-input-channels-last", image_case(lambda: AvgPool2D(2), (3, 7, 6),
                                                 channels_last=True)),
        ("3-stride-2-overlapping", image_case(lambda: AvgPool2D(3, stride=2), (2, 7, 9))),
        ("2x3-stride-1x2", image_case(lambda: AvgPool2D([2, 3], stride=[1, 2]), (2, 5, 7))),
        ("2-stride-3-gaps", image_case(lambda: AvgPool2D(2, stride=3), (1, 8, 7))),
    ],
    "global_avg_pool2d": [
        ("odd-input", image_case(GlobalAvgPool2D, (3, 5, 7))),
        ("channels-last", image_case(GlobalAvgPool2D, (4, 3, 2), channels_last=True)),
        ("1x1", image_case(GlobalAvgPool2D, (3, 1, 1), batch=3)),
        ("1x6-one-channel", image_case(GlobalAvgPool2D, (1, 1, 6))),
    ],
    "global_max_pool2d": [
        ("odd-input", image_case(GlobalMaxPool2D, (3, 5, 7), values="spread")),
        ("channels-last", image_case(GlobalMaxPool2D, (4, 3, 2), channels_last=True,
                                     values="spread")),
        ("1x1", image_case(GlobalMaxPool2D, (3, 1, 1), batch=3, values="spread")),
        ("5x1-one-channel", image_case(GlobalMaxPool2D, (1, 5, 1), values="spread")),
    ],
    "flatten": [
        ("image", image_case(Flatten, (3, 4, 5))),
        ("image-channels-last", image_case(Flatten, (3, 4, 5), channels_last=True)),
    ],
    "batch_norm": [
        ("flat-training", batch_norm_case((4,), training=True)),
        ("flat-inference", batch_norm_case((4,), training=False)),
        ("image-training", batch_norm_case((3, 4, 5), training=True)),
        ("image-training-channels-last", batch_norm_case((3, 2, 3), training=True,
                                                         channels_last=True)),
        ("image-inference", batch_norm_case((2, 3, 4), training=False, channels_last=True)),
    ],
    "random_flip": [
        ("horizontal", augmentation_case(RandomFlip, (2, 3, 4))),
        ("vertical", augmentation_case(lambda: RandomFlip("vertical"), (1, 4, 3))),
        ("both", augmentation_case(lambda: RandomFlip("both"), (2, 3, 5), batch=6)),
        ("inference", augmentation_case(RandomFlip, (2, 3, 4), training=False)),
    ],
    # Edge pixels repeat into the picture: their gradient gathers the copies' gradients.
    "random_translation": [
        ("1-pixel", augmentation_case(lambda: RandomTranslation(1), (2, 4, 5), batch=6)),
        ("3-pixels-more-than-half", augmentation_case(lambda: RandomTranslation(3), (1, 5, 4),
                                                      batch=8)),
        ("inference", augmentation_case(lambda: RandomTranslation(2), (1, 4, 4),
                                        training=False)),
    ],
    "dense": (
        [(f"init={init}", dense_case(init=init)) for init in INITIALIZERS.names()]
        + [(name, dense_case(options, init="glorot_uniform", random_biases=True))
           for name, options in REGULARIZED.items()]
    ),
    "dropout": [
        ("rate=0.3-training", dropout_case(0.3)),
        ("rate=0.5-training", dropout_case(0.5)),
        ("rate=0.3-inference", dropout_case(0.3, training=False)),
        ("rate=0", dropout_case(0.0)),
    ],
}


@pytest.mark.parametrize("name, make", cases(LAYERS, LAYER_CASES))
def test_layer_gradients(name, make):
    require(make, "layer", name, "LAYER_CASES")
    layer, x, forward = make()
    assert isinstance(layer, LAYERS.get(name))
    check_layer_gradients(layer, x, forward=forward)


def test_dropout_mask_drops_and_rescales():
    gen = np.random.default_rng(3)
    layer = Dropout(0.3)
    layer.build((N_INPUTS,), gen)
    x = away_from_zero(np.random.default_rng(4), (50, N_INPUTS))
    out = layer.forward(x, training=True)
    kept = out != 0
    assert 0.5 < kept.mean() < 0.9
    np.testing.assert_allclose(out[kept], x[kept] / 0.7, rtol=1e-6)
    np.testing.assert_allclose(layer.backward(np.ones_like(x)), kept / 0.7, rtol=1e-6)
    assert layer.forward(x, training=False) is x


# ---------------------------------------------------------------- activations

def normal(scale=1.0):
    return lambda rng: rng.standard_normal((BATCH, N_INPUTS)) * scale


def tails(low=6, high=12):
    return lambda rng: away_from_zero(rng, (BATCH, N_INPUTS), low, high)


def with_options(make_x, **options):
    """A case for the activation built with `options` (others use the defaults)."""
    def make(rng):
        return options, make_x(rng)
    return make


# Inputs of activations with a kink at 0 (relu, leaky_relu, elu with alpha != 1) stay away
# from it.
ACTIVATION_CASES = {
    "relu": [("batch", lambda rng: away_from_zero(rng, (BATCH, N_INPUTS)))],
    "softmax": [("batch", normal(2))],
    "sigmoid": [("batch", normal(2)), ("tails", tails())],
    "linear": [("batch", normal())],
    "tanh": [("batch", normal(1.5)), ("tails", tails(3, 6))],
    "leaky_relu": [("batch", lambda rng: away_from_zero(rng, (BATCH, N_INPUTS))),
                   ("alpha=0.3", with_options(tails(0.1, 3), alpha=0.3)),
                   ("alpha=0", with_options(tails(0.1, 3), alpha=0.0))],
    "elu": [("batch", normal(2)), ("tails", tails(4, 12)),
            ("alpha=0.5", with_options(tails(0.1, 3), alpha=0.5))],
    "gelu": [("batch", normal(2)), ("tails", tails(3, 8)),
             ("tanh-batch", with_options(normal(2), approximate="tanh")),
             ("tanh-tails", with_options(tails(3, 8), approximate="tanh"))],
    "silu": [("batch", normal(2)), ("tails", tails(6, 20))],
    "softplus": [("batch", normal(2)), ("tails", tails(6, 20))],
}


@pytest.mark.parametrize("name, make", cases(ACTIVATIONS, ACTIVATION_CASES))
def test_activation_gradients(name, make):
    require(make, "activation", name, "ACTIVATION_CASES")
    made = make(np.random.default_rng(5))
    options, x = made if isinstance(made, tuple) else ({}, made)
    activation = ACTIVATIONS.get(name)(**options)
    assert activation.build((N_INPUTS,), np.random.default_rng(0)) == (N_INPUTS,)
    assert activation.params == {} and activation.grads == {}
    check_layer_gradients(activation, x)


def test_relu_gradient_is_a_step():
    relu = ReLU()
    x = np.array([[-2.0, -0.5, 0.5, 3.0]])
    np.testing.assert_array_equal(relu.forward(x, training=True), [[0, 0, 0.5, 3.0]])
    np.testing.assert_array_equal(relu.backward(np.full_like(x, 7.0)), [[0, 0, 7.0, 7.0]])


def test_sigmoid_keeps_relative_precision_for_both_signs():
    """float32 outputs and gradients within a few ulps of float64 over [-30, 30]: at x = -16
    0.5 * (tanh(x / 2) + 1) gave 1.19e-7 (true 1.13e-7), at -20 it gave 0 (true 2.1e-9)."""
    x = np.linspace(-30, 30, 60000, dtype=np.float32).reshape(-1, 4)
    sigmoid = Sigmoid()
    out = sigmoid.forward(x, training=True)
    grad = sigmoid.backward(np.ones_like(x))
    assert out.dtype == grad.dtype == np.float32
    exact = 1 / (1 + np.exp(-x.astype(np.float64)))
    exact_grad = exact * (1 / (1 + np.exp(x.astype(np.float64))))
    assert np.max(np.abs(out - exact) / exact) < 4e-7
    assert np.max(np.abs(grad - exact_grad) / exact_grad) < 8e-7
    assert sigmoid.forward(np.array([[-16, -20, 20]], np.float32), training=False)[0, 0] == \
        pytest.approx(1.12535e-7, rel=1e-5)
    # No overflow (exp(-|x|) may only underflow to 0), and the limits at the ends.
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ends = sigmoid.forward(np.array([[-1e4, 0, 1e4]], np.float32), training=False)
    np.testing.assert_array_equal(ends, [[0, 0.5, 1]])


def test_binary_crossentropy_far_from_the_label():
    """Label 1 at logit -16.2: the book's clipped loss -log(max(sigmoid(z), 1e-7)) = 16.118;
    the tanh form of sigmoid made it 15.94."""
    from nnfs_cli.core.losses import EPS
    z = np.array([[-16.2], [-8.0], [3.0]], np.float32)
    y = np.ones((3, 1), np.float32)
    loss = BinaryCrossentropy().forward(Sigmoid().forward(z, training=False), y)
    p = np.maximum(1 / (1 + np.exp(-z.astype(np.float64))), EPS)
    np.testing.assert_allclose(loss, -np.log(p).ravel(), rtol=1e-6)


# ---------------------------------------------------------------- losses

def softmax_rows(rng, shape):
    z = rng.standard_normal(shape)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cce_case(one_hot):
    def make(rng):
        y_pred = softmax_rows(rng, (BATCH, 3))
        labels = rng.integers(0, 3, BATCH)
        return y_pred, (np.eye(3)[labels] if one_hot else labels)
    return make


def bce_case(rng):
    return rng.uniform(0.05, 0.95, (BATCH, 3)), rng.integers(0, 2, (BATCH, 3)).astype(np.float64)


def mse_case(rng):
    return rng.standard_normal((BATCH, 2)), rng.standard_normal((BATCH, 2))


def mae_case(rng):
    y_true = rng.standard_normal((BATCH, 2))
    # |y_pred - y_true| >= 0.1: away from the kink of |.|
    return y_true + away_from_zero(rng, (BATCH, 2)), y_true


LOSS_CASES = {
    "categorical_crossentropy": [("labels", cce_case(one_hot=False)),
                                 ("one-hot", cce_case(one_hot=True))],
    "binary_crossentropy": [("3-outputs", bce_case)],
    "mean_squared_error": [("2-outputs", mse_case)],
    "mean_absolute_error": [("2-outputs", mae_case)],
}


@pytest.mark.parametrize("name, make", cases(LOSSES, LOSS_CASES))
def test_loss_backward_is_gradient_of_mean_loss(name, make):
    require(make, "loss", name, "LOSS_CASES")
    loss = LOSSES.get(name)()
    y_pred, y_true = make(np.random.default_rng(6))
    analytic = loss.backward(y_pred.copy(), y_true)

    def objective():
        return np.mean(loss.forward(y_pred, y_true))

    assert loss.forward(y_pred, y_true).shape == (BATCH,)
    assert loss.calculate(y_pred, y_true) == pytest.approx(objective(), rel=1e-12)
    assert_gradient(analytic, numeric_gradient(objective, y_pred), f"{name}.backward")


FUSED_CASES = {
    "categorical_crossentropy": [("labels", cce_case(one_hot=False)),
                                 ("one-hot", cce_case(one_hot=True))],
    "binary_crossentropy": [("3-outputs", bce_case)],
}


def fused_cases():
    params = []
    for name in LOSSES.names():
        if LOSSES.get(name).fused_activation is None:
            continue
        entries = FUSED_CASES.get(name)
        if not entries:
            params.append(pytest.param(name, None, id=f"{name}-NO-CASE"))
        params.extend(pytest.param(name, make, id=f"{name}-{case_id}")
                      for case_id, make in entries or ())
    return params


def test_fused_losses_are_the_book_pairs():
    assert CategoricalCrossentropy.fused_activation is Softmax
    assert BinaryCrossentropy.fused_activation is Sigmoid
    assert MeanSquaredError.fused_activation is None
    assert MeanAbsoluteError.fused_activation is None


@pytest.mark.parametrize("name, make", fused_cases())
def test_fused_backward_is_gradient_wrt_activation_inputs(name, make):
    require(make, "fused loss", name, "FUSED_CASES")
    loss = LOSSES.get(name)()
    activation = loss.fused_activation()
    rng = np.random.default_rng(7)
    _, y_true = make(rng)
    z = rng.standard_normal((BATCH, y_true.shape[1] if y_true.ndim == 2 else 3)) * 2
    analytic = loss.fused_backward(activation.forward(z, training=True), y_true)

    def objective():
        return np.mean(loss.forward(activation.forward(z, training=False), y_true))

    numeric = numeric_gradient(objective, z)
    assert_gradient(analytic, numeric, f"{name}.fused_backward")
    # The unfused chain (activation.backward of loss.backward) gives the same gradient.
    output = activation.forward(z, training=True)
    assert_gradient(activation.backward(loss.backward(output, y_true)), numeric,
                    f"{name}: activation.backward(loss.backward)")


SMOOTHED_CASES = [
    pytest.param(CategoricalCrossentropy, cce_case(one_hot=False), id="cce-labels"),
    pytest.param(CategoricalCrossentropy, cce_case(one_hot=True), id="cce-one-hot"),
    pytest.param(BinaryCrossentropy, bce_case, id="bce"),
]


@pytest.mark.parametrize("loss_class, make", SMOOTHED_CASES)
def test_label_smoothing_gradients(loss_class, make):
    """loss.backward, fused_backward and the unfused chain of a smoothed loss against central
    differences of its mean."""
    loss = loss_class(label_smoothing=0.15)
    activation = loss.fused_activation()
    rng = np.random.default_rng(9)
    y_pred, y_true = make(rng)

    def mean_loss():
        return np.mean(loss.forward(y_pred, y_true))

    assert_gradient(loss.backward(y_pred.copy(), y_true), numeric_gradient(mean_loss, y_pred),
                    "backward")
    z = rng.standard_normal(y_pred.shape) * 2

    def objective():
        return np.mean(loss.forward(activation.forward(z, training=False), y_true))

    numeric = numeric_gradient(objective, z)
    output = activation.forward(z, training=True)
    assert_gradient(loss.fused_backward(output, y_true), numeric, "fused_backward")
    assert_gradient(activation.backward(loss.backward(output, y_true)), numeric, "unfused")
    unsmoothed = loss_class().fused_backward(output, y_true)
    assert not np.allclose(unsmoothed, numeric)   # smoothing changed the gradient


@pytest.mark.parametrize("force_unfused", [False, True], ids=["fused", "unfused"])
def test_model_gradients_with_label_smoothing(force_unfused):
    rng = np.random.default_rng(10)
    model = make_model([l2_dense(5), ReLU(), l2_dense(3), Softmax()],
                       CategoricalCrossentropy(label_smoothing=0.1))
    model.fused = not force_unfused
    check_model_gradients(model, rng.standard_normal((8, 3)), rng.integers(0, 3, 8))


# ---------------------------------------------------------------- bias/weight penalties

@pytest.mark.parametrize("key, other, option", [
    ("biases", "weights", "bias_l2"),
    ("weights", "biases", "weight_l2"),
])
def test_l2_gradient_uses_its_own_parameter(key, other, option):
    # One input, so weights and biases have the same shape (1, 3): using the wrong array
    # would not fail on shapes (the book's notes had dbiases += 2 * l2 * weights).
    layer = Dense(3, **{option: 0.25})
    layer.build((1,), np.random.default_rng(0))
    layer.params["weights"][...] = [[1.0, 2.0, 3.0]]
    layer.params["biases"][...] = [[-0.5, 0.25, 4.0]]
    layer.forward(np.ones((2, 1), np.float32), training=True)
    layer.backward(np.zeros((2, 3), np.float32))
    np.testing.assert_allclose(layer.grads[key], 2 * 0.25 * layer.params[key], rtol=1e-6)
    np.testing.assert_array_equal(layer.grads[other], 0)
    assert layer.regularization_loss() == pytest.approx(0.25 * np.sum(layer.params[key] ** 2))


@pytest.mark.parametrize("key, other, option", [
    ("biases", "weights", "bias_l1"),
    ("weights", "biases", "weight_l1"),
])
def test_l1_gradient_uses_its_own_parameter(key, other, option):
    layer = Dense(3, **{option: 0.25})
    layer.build((1,), np.random.default_rng(0))
    layer.params["weights"][...] = [[1.0, -2.0, 3.0]]
    layer.params["biases"][...] = [[-0.5, 0.25, -4.0]]
    layer.forward(np.ones((2, 1), np.float32), training=True)
    layer.backward(np.zeros((2, 3), np.float32))
    np.testing.assert_allclose(layer.grads[key], 0.25 * np.sign(layer.params[key]), rtol=1e-6)
    np.testing.assert_array_equal(layer.grads[other], 0)
    assert layer.regularization_loss() == pytest.approx(0.25 * np.sum(np.abs(layer.params[key])))


@pytest.mark.parametrize("l1, l2", [(1e-4, 0.0), (0.0, 3e-5), (7e-4, 1.1e-3)])
def test_float64_penalty_and_gradient_use_the_same_strength(l1, l2):
    """The strengths are not float32 numbers: a float64 gradient must use them exactly, as
    the penalty does (rounding them to float32 made the two disagree by ~5e-9)."""
    from nnfs_cli.core import regularizers
    param = np.random.default_rng(0).standard_normal((4, 3))
    grad = np.zeros_like(param)
    regularizers.add_gradient(grad, param, l1, l2)
    np.testing.assert_array_equal(grad, l1 * np.where(param >= 0, 1.0, -1.0) + 2 * l2 * param)
    # The penalty is quadratic plus linear away from 0: central differences are exact to
    # rounding, far below the old 5e-9 relative error.
    eps = 1e-3
    numeric = np.zeros_like(param)
    for index in np.ndindex(param.shape):
        plus, minus = param.copy(), param.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = (regularizers.penalty(plus, l1, l2)
                          - regularizers.penalty(minus, l1, l2)) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-9, atol=0)
    # float32 parameters keep float32 gradients.
    grad32 = np.zeros((4, 3), np.float32)
    regularizers.add_gradient(grad32, param.astype(np.float32), l1, l2)
    assert grad32.dtype == np.float32


# ---------------------------------------------------------------- whole models

def make_model(stack, loss, n_inputs=3, seed=0, input_shape=None):
    model = Model(stack, loss)
    rng = np.random.default_rng(seed)
    model.build(input_shape or (n_inputs,), rng)
    for layer in model.layers:
        to_float64(layer)
        if "biases" in layer.params:
            layer.params["biases"][...] = rng.uniform(-0.3, 0.3, layer.params["biases"].shape)
    return model


def relu_margin(model, x, training=False):
    """The smallest |input| of any ReLU (or other activation with a kink at 0) in the stack,
    for inputs x."""
    margin = np.inf
    for layer in model.layers:
        if isinstance(layer, (ReLU, LeakyReLU)) or (isinstance(layer, ELU) and layer.alpha != 1):
            margin = min(margin, np.abs(x).min())
        x = layer.forward(x, training=training)
    return margin


def check_model_gradients(model, x, y_true, training=False):
    """Model.backward against central differences of data loss + regularization loss, with
    the objective computed in training mode or not (batch norm's statistics differ)."""
    assert relu_margin(model, x, training) > MARGIN
    output = model.forward(x, training=True)
    model.backward(output, y_true)
    items = model.param_items()
    assert items, "the model has no parameters"
    analytic = {key: np.array(grad) for key, _, grad in items}

    def objective():
        output = model.forward(x, training=training)
        return model.loss.calculate(output, y_true) + model.regularization_loss()

    for key, param, _ in items:
        assert_gradient(analytic[key], numeric_gradient(objective, param), f"param {key}")


def l2_dense(units):
    return Dense(units, init="glorot_uniform", weight_l2=0.01, bias_l2=0.02)


def classifier(rng):
    model = make_model([l2_dense(5), ReLU(), l2_dense(4), ReLU(), l2_dense(3), Softmax()],
                       CategoricalCrossentropy())
    return model, rng.standard_normal((8, 3)), rng.integers(0, 3, 8)


def classifier_one_hot(rng):
    model, x, labels = classifier(rng)
    return model, x, np.eye(3)[labels]


def binary(rng):
    model = make_model([Dense(5, init="glorot_uniform"), ReLU(), Dense(3, init="glorot_uniform"),
                        Sigmoid()], BinaryCrossentropy())
    return model, rng.standard_normal((8, 3)), rng.integers(0, 2, (8, 3)).astype(np.float64)


def regression(loss):
    def make(rng):
        model = make_model([Dense(5, init="glorot_uniform", weight_l2=0.01), ReLU(),
                            Dense(2, init="glorot_uniform"), Linear()], loss)
        x = rng.standard_normal((8, 3))
        return model, x, rng.standard_normal((8, 2)) * 3
    return make


MODEL_CASES = {
    "dense-relu-dense-relu-dense-softmax+cce-l2": (classifier, True),
    "softmax+cce-one-hot": (classifier_one_hot, True),
    "sigmoid+bce": (binary, True),
    "linear+mse": (regression(MeanSquaredError()), False),
    "linear+mae": (regression(MeanAbsoluteError()), False),
}


MODEL_PARAMS = [pytest.param(case, False, id=case) for case in MODEL_CASES] + [
    pytest.param(case, True, id=f"{case}-unfused")
    for case, (_, fused) in MODEL_CASES.items() if fused]


@pytest.mark.parametrize("case, force_unfused", MODEL_PARAMS)
def test_model_backward_matches_numeric_gradient(case, force_unfused):
    make, fused = MODEL_CASES[case]
    model, x, y_true = make(np.random.default_rng(8))
    assert model.fused is fused
    if force_unfused:
        model.fused = False   # through Softmax/Sigmoid.backward and loss.backward instead
    check_model_gradients(model, x, y_true)


@pytest.mark.parametrize("stack, loss, fused", [
    ([Dense(3), Softmax()], CategoricalCrossentropy(), True),
    ([Dense(3), Sigmoid()], BinaryCrossentropy(), True),
    ([Dense(3), Softmax()], BinaryCrossentropy(), False),
    ([Dense(3), Sigmoid()], CategoricalCrossentropy(), False),
    ([Dense(3), Softmax()], MeanSquaredError(), False),
    ([Dense(3), Linear()], MeanSquaredError(), False),
    ([Dense(3), Linear()], MeanAbsoluteError(), False),
    ([Dense(3), ReLU()], CategoricalCrossentropy(), False),
    ([Dense(3)], CategoricalCrossentropy(), False),
    ([Softmax(), Dense(3)], CategoricalCrossentropy(), False),
    ([], CategoricalCrossentropy(), False),
], ids=["softmax+cce", "sigmoid+bce", "softmax+bce", "sigmoid+cce", "softmax+mse",
        "linear+mse", "linear+mae", "relu+cce", "dense+cce", "softmax-not-last+cce", "empty"])
def test_model_picks_fused_path_only_for_book_pairs(stack, loss, fused):
    assert Model(stack, loss).fused is fused


def test_convolutional_model_backward_matches_numeric_gradient():
    """Every image layer in one stack, through Model.backward, in float64: conv (valid and
    same), batch norm on images and on features, both poolings, flatten, dense, softmax."""
    rng = np.random.default_rng(9)
    stack = [Conv2D(3, 3, init="he_normal"), ReLU(), MaxPool2D(2),
             Conv2D(4, [2, 3], padding="same", init="he_normal"), BatchNorm(), ReLU(),
             AvgPool2D(2, stride=1), Flatten(), Dense(5, init="glorot_uniform"), BatchNorm(),
             ReLU(), Dense(3, init="glorot_uniform"), Softmax()]
    model = make_model(stack, CategoricalCrossentropy(), input_shape=(2, 9, 8), seed=4)
    assert model.shapes[2] == (3, 3, 3) and model.shapes[6] == (4, 2, 2)
    x = rng.standard_normal((6, 2, 9, 8))
    check_model_gradients(model, x, rng.integers(0, 3, 6), training=True)


@pytest.mark.parametrize("pool", [GlobalAvgPool2D, GlobalMaxPool2D])
def test_cnn_ending_in_global_pooling_backward_matches_numeric_gradient(pool):
    """A CNN without flatten, through Model.backward in float64, with the new activations
    between its layers: conv, gelu, conv (same), silu, global pooling, dense, leaky_relu,
    dense, elu, dense, gelu (tanh), tanh, dense, softplus, dense, softmax."""
    rng = np.random.default_rng(13)
    stack = [Conv2D(3, 3, init="he_uniform"), GELU(), Conv2D(4, 2, padding="same",
                                                            init="lecun_normal"),
             SiLU(), pool(), Dense(5, init="he_normal"), LeakyReLU(0.2),
             Dense(4, init="glorot_uniform"), ELU(0.7), Dense(4, init="glorot_uniform"),
             GELU("tanh"), ACTIVATIONS.get("tanh")(), Dense(4, init="glorot_uniform"),
             ACTIVATIONS.get("softplus")(), Dense(3, init="glorot_uniform"), Softmax()]
    model = make_model(stack, CategoricalCrossentropy(), input_shape=(2, 6, 5), seed=5)
    assert model.shapes[4] == (4,)
    x = rng.standard_normal((5, 2, 6, 5))
    check_model_gradients(model, x, rng.integers(0, 3, 5))
