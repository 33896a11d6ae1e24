"""Analytic gradients against central differences, in float64 (scikit-learn's check_grad idea).

The objective for a layer is sum(out * G) for a fixed random G plus the layer's
regularization_loss(), so backward(G) must give its gradient with respect to the inputs
(`dinputs`) and to every trained parameter (each entry of `grads`; arrays in `params`
without one, such as running statistics, are kept but not trained).
"""

import numpy as np

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-8


def numeric_gradient(objective, array, eps=EPS):
    """d objective() / d array by central differences, nudging `array` in place (then restoring it)."""
    grad = np.zeros(array.shape, dtype=np.float64)
    for index in np.ndindex(array.shape):
        old = array[index]
        array[index] = old + eps
        plus = float(objective())
        array[index] = old - eps
        minus = float(objective())
        array[index] = old
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def assert_gradient(analytic, numeric, what, rtol=RTOL, atol=ATOL):
    assert analytic is not None, f"{what}: no analytic gradient"
    assert np.shape(analytic) == numeric.shape, (
        f"{what}: analytic shape {np.shape(analytic)} != {numeric.shape}")
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol, err_msg=what)


def to_float64(layer):
    """Cast a built layer's params to float64 (and its grad buffers to match), in place."""
    for key in list(layer.params):
        layer.params[key] = np.array(layer.params[key], dtype=np.float64)
        if key in layer.grads:
            layer.grads[key] = np.zeros_like(layer.params[key])
    return layer


def check_layer_gradients(layer, x, seed=0, forward=None, rtol=RTOL, atol=ATOL):
    """Check `layer.backward` against central differences of sum(out * G) + regularization.

    `layer` is built; its params are cast to float64 here. `x`: (batch, ...) float64.
    `forward(x)` defaults to layer.forward(x, training=True); pass one that fixes any
    randomness (the dropout mask) so every evaluation sees the same function.
    """
    to_float64(layer)
    x = np.array(x, dtype=np.float64)
    if forward is None:
        def forward(inputs):
            return layer.forward(inputs, training=True)

    out = forward(x)
    assert out.dtype == np.float64, f"{type(layer).__name__}.forward gave {out.dtype} for float64"
    G = np.random.default_rng(seed).standard_normal(out.shape)
    dinputs = layer.backward(G.copy())
    grads = {key: np.array(value) for key, value in layer.grads.items()}
    assert set(grads) <= set(layer.params), "every gradient must be of a param"
    for key, value in grads.items():
        assert value.dtype == np.float64, f"grads[{key!r}] is {value.dtype} for float64 params"

    def objective():
        return np.sum(forward(x) * G) + layer.regularization_loss()

    assert_gradient(dinputs, numeric_gradient(objective, x), "dinputs", rtol, atol)
    for key in grads:
        assert_gradient(grads[key], numeric_gradient(objective, layer.params[key]),
                        f"grads[{key!r}]", rtol, atol)
    return dinputs, grads
