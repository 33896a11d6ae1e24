"""tanh, leaky_relu, elu, gelu, silu and softplus: the values PyTorch computes, float32 in
and out with no overflow at any |x|, the normal CDF behind gelu against math.erfc, and the
config errors (gradients: test_gradients.py; ONNX: test_export_activations.py)."""

import math

import numpy as np
import pytest

from nnfs_cli import config
from nnfs_cli.core.activations import ELU, GELU, LeakyReLU, SiLU, Softplus, Tanh
from nnfs_cli.core.special import normal_cdf, normal_pdf
from nnfs_cli.errors import ConfigError
from nnfs_cli.registry import ACTIVATIONS

NEW = [(Tanh, {}), (LeakyReLU, {}), (LeakyReLU, {"alpha": 0.2}), (ELU, {}),
       (ELU, {"alpha": 0.5}), (GELU, {}), (GELU, {"approximate": "tanh"}), (SiLU, {}),
       (Softplus, {})]
IDS = [f"{cls.name}{'-' if options else ''}{'-'.join(map(str, options.values()))}"
       for cls, options in NEW]


# --- PyTorch's documented formulas --------------------------------------------------------

SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def torch_gelu(x):
    """torch.nn.functional.gelu(x): x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))."""
    z = x / math.sqrt(2)
    if x < -5:   # 1 + erf(z) cancels in float64 here: the same number as erfc(-z)
        return 0.5 * x * math.erfc(-z)
    return 0.5 * x * (1 + math.erf(z))


def torch_gelu_tanh(x):
    """torch.nn.functional.gelu(x, approximate='tanh'):
    0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))."""
    u = SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)
    if x < -5:   # 1 + tanh(u) cancels in float64 here: the same number as 2 / (1 + exp(-2u))
        return x / (1 + math.exp(-2 * u)) if u > -350 else x * math.exp(2 * u)
    return 0.5 * x * (1 + math.tanh(u))


def torch_elu(x, alpha=1.0):
    """torch.nn.functional.elu: x if x > 0, else alpha * (exp(x) - 1)."""
    return x if x > 0 else alpha * math.expm1(x)   # expm1: exp(x) - 1 without cancellation


def torch_leaky_relu(x, negative_slope=0.01):
    """torch.nn.functional.leaky_relu: max(0, x) + negative_slope * min(0, x)."""
    return max(0.0, x) + negative_slope * min(0.0, x)


def torch_silu(x):
    """torch.nn.functional.silu: x * sigmoid(x) = x / (1 + exp(-x))."""
    return x / (1 + math.exp(-x)) if x > -700 else x * math.exp(x)


def torch_softplus(x, beta=1.0, threshold=20.0):
    """torch.nn.functional.softplus: 1 / beta * log(1 + exp(beta * x)), and x itself where
    beta * x > threshold."""
    return x if beta * x > threshold else math.log1p(math.exp(beta * x)) / beta


REFERENCES = [
    (Tanh, {}, math.tanh),
    (LeakyReLU, {}, torch_leaky_relu),
    (LeakyReLU, {"alpha": 0.2}, lambda x: torch_leaky_relu(x, 0.2)),
    (ELU, {}, torch_elu),
    (ELU, {"alpha": 0.5}, lambda x: torch_elu(x, 0.5)),
    (GELU, {}, torch_gelu),
    (GELU, {"approximate": "tanh"}, torch_gelu_tanh),
    (SiLU, {}, torch_silu),
    (Softplus, {}, torch_softplus),
]


def grid():
    """Dense over [-30, 30], both sides of 0 from 1e-8 to 100, and the tails to +-700."""
    small = np.logspace(-8, 2, 300)
    return np.concatenate([np.linspace(-30, 30, 6001), small, -small,
                           np.linspace(-700, 700, 281)])


@pytest.mark.parametrize("cls, options, reference", REFERENCES, ids=IDS)
def test_float64_values_are_pytorchs(cls, options, reference):
    """Each activation in float64 against torch.nn.functional's function written as PyTorch's
    documentation gives it (PyTorch itself is not a dependency), evaluated in float64 with
    math: relative error at most 1e-6 everywhere on the grid, exact where PyTorch's is 0.
    Where 1 + erf and 1 + tanh cancel (x < -5) the references use the identical
    erfc(-z) and 2 / (1 + exp(-2u)), which keep float64's precision there."""
    x = grid()
    ours = cls(**options).forward(x.reshape(1, -1), training=False).ravel()
    assert ours.dtype == np.float64
    expected = np.array([reference(float(v)) for v in x])
    zero = expected == 0
    np.testing.assert_array_equal(ours[zero], 0)
    relative = np.abs(ours[~zero] - expected[~zero]) / np.abs(expected[~zero])
    assert relative.max() <= 1e-6, float(x[~zero][np.argmax(relative)])


def test_softplus_follows_pytorchs_threshold_to_float32_precision():
    """PyTorch's softplus returns x itself above 20; ours adds log1p(exp(-x)) < 2.1e-9,
    below half a float32 ulp of x there, so float32 results are equal."""
    x = np.linspace(20, 200, 1801, dtype=np.float32).reshape(1, -1)
    np.testing.assert_array_equal(Softplus().forward(x, training=False), x)


# --- float32, and no overflow at any |x| --------------------------------------------------

@pytest.mark.parametrize("cls, options", NEW, ids=IDS)
def test_float32_stays_float32_and_float64_float64(cls, options):
    for dtype in (np.float32, np.float64):
        x = np.random.default_rng(0).standard_normal((5, 3)).astype(dtype)
        activation = cls(**options)
        out = activation.forward(x, training=True)
        grad = activation.backward(np.ones_like(x))
        assert out.dtype == grad.dtype == dtype and out.shape == grad.shape == x.shape


@pytest.mark.parametrize("cls, options, reference", REFERENCES, ids=IDS)
def test_float32_values_are_close_to_float64(cls, options, reference):
    """float32 outputs within 1e-6 relative of the float64 values of the same float32
    inputs over [-8, 8], or 1.5e-7 * x^2 where that is larger (rounding x itself moves
    gelu's lower tail by about x^2 * 6e-8, and its tanh form's a little more), and exactly
    0 where float64 gives 0."""
    x32 = np.linspace(-8, 8, 16001, dtype=np.float32)
    out32 = cls(**options).forward(x32.reshape(1, -1), training=False).ravel()
    assert out32.dtype == np.float32
    exact = np.array([reference(float(v)) for v in x32])
    zero = exact == 0
    np.testing.assert_array_equal(out32[zero], 0)
    relative = np.abs(out32[~zero] - exact[~zero]) / np.abs(exact[~zero])
    bound = np.maximum(1e-6, 1.5e-7 * x32[~zero].astype(np.float64) ** 2)
    assert np.all(relative <= bound), float(x32[~zero][np.argmax(relative / bound)])


LARGE = np.array([-np.finfo(np.float32).max, -1e4, -100, 100, 1e4, np.finfo(np.float32).max],
                 dtype=np.float32)


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_no_overflow_at_plus_minus_100(name):
    """Every registered activation, forward and backward, at +-100 and +-1e4: every
    floating-point exception raises except underflow, which is the correct rounding of
    results below float32's normal range (exp(-100) = 3.7e-44) and which NumPy ignores by
    default too; the gradient of any activation underflows for small enough dvalues."""
    x = LARGE[1:-1].reshape(1, -1)
    activation = ACTIVATIONS.get(name)()
    with np.errstate(all="raise", under="ignore"):
        out = activation.forward(x, training=True)
        grad = activation.backward(np.ones_like(x))
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(grad))


@pytest.mark.parametrize("cls, options", NEW, ids=IDS)
def test_limits_at_large_x_up_to_float32s_largest(cls, options):
    alpha = options.get("alpha", 0.01 if cls is LeakyReLU else 1.0)
    negative = {Tanh: -1.0, LeakyReLU: alpha * LARGE[:3], ELU: -alpha}.get(cls, 0.0)
    negative_slope = {LeakyReLU: alpha}.get(cls, 0.0)
    x = LARGE.reshape(1, -1)
    activation = cls(**options)
    with np.errstate(all="raise", under="ignore"):
        out = activation.forward(x, training=True).ravel()
        grad = activation.backward(np.ones_like(x)).ravel()
    np.testing.assert_allclose(out[:3], negative, rtol=1e-6, atol=1e-38)
    np.testing.assert_array_equal(out[3:], 1.0 if cls is Tanh else LARGE[3:])
    np.testing.assert_allclose(grad[:3], negative_slope, rtol=1e-6, atol=1e-38)
    np.testing.assert_array_equal(grad[3:], 0.0 if cls is Tanh else 1.0)


def test_tails_keep_relative_precision_in_float32():
    """Where the answer is tiny but normal, float32 gives it, not 0 (PyTorch's 1 + tanh(u)
    gives 0 for gelu's tanh form below x = -5.5 in float32; exp(x) - 1 loses elu near 0)."""
    x = np.array([[-12.0, -30.0, -80.0, -1e-6]], np.float32)
    softplus = Softplus().forward(x, training=False)[0]
    np.testing.assert_allclose(softplus[:3], [torch_softplus(float(v)) for v in x[0, :3]],
                               rtol=1e-6)
    silu = SiLU().forward(x, training=False)[0]
    np.testing.assert_allclose(silu[:3], [torch_silu(float(v)) for v in x[0, :3]], rtol=1e-6)
    gelu = GELU().forward(x[:, :1], training=False)[0, 0]
    assert gelu == pytest.approx(torch_gelu(-12.0), rel=2e-5)
    gelu_tanh = GELU("tanh").forward(np.array([[-6.0]], np.float32), training=False)[0, 0]
    assert gelu_tanh == pytest.approx(torch_gelu_tanh(-6.0), rel=1e-5) and gelu_tanh < 0
    elu = ELU().forward(x[:, 3:], training=False)[0, 0]
    assert elu == pytest.approx(math.expm1(float(x[0, 3])), rel=1e-6)


def test_leaky_relu_slopes_are_exactly_one_and_alpha():
    x = np.array([[-3.0, -1e-30, 2.0, 1e-30]], np.float32)
    for alpha in (0.01, 0.3, 0.0, 2.5):
        layer = LeakyReLU(alpha)
        out = layer.forward(x, training=True)
        np.testing.assert_array_equal(out, np.where(x > 0, x, np.float32(alpha) * x))
        np.testing.assert_array_equal(layer.backward(np.ones_like(x)),
                                      np.where(x > 0, 1, np.float32(alpha)).astype(np.float32))


# --- the normal CDF behind gelu -------------------------------------------------------------

def test_normal_cdf_relative_error_below_1_1e_7_over_the_whole_range():
    """float64, against math.erfc (and math.erf where 1 + erf does not cancel): the
    accuracy the docstring promises, in the tails too (Phi(-37) = 5.7e-300)."""
    x = np.linspace(-37, 37, 148001)
    exact = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    cdf = normal_cdf(x)
    assert cdf.dtype == np.float64
    assert np.max(np.abs(cdf - exact) / exact) < 1.1e-7
    middle = np.abs(x) < 5
    with_erf = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x[middle]])
    assert np.max(np.abs(cdf[middle] - with_erf) / with_erf) < 1.1e-7
    pdf = normal_pdf(x)
    exact_pdf = np.exp(-x ** 2 / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(pdf, exact_pdf, rtol=1e-14)


def test_normal_cdf_limits_and_float32():
    x = np.array([-np.inf, -3e38, -40, 0, 40, 3e38, np.inf], np.float32)
    with np.errstate(all="raise", under="ignore"):
        cdf = normal_cdf(x)
        pdf = normal_pdf(x)
    assert cdf.dtype == pdf.dtype == np.float32
    np.testing.assert_array_equal(cdf, [0, 0, 0, 0.5, 1, 1, 1])
    np.testing.assert_array_equal(pdf[[0, 1, 2, 4, 5, 6]], 0)
    assert pdf[3] == np.float32(1 / math.sqrt(2 * math.pi))
    assert np.isnan(normal_cdf(np.array([np.nan]))[0])


# --- config ---------------------------------------------------------------------------------

SPIRAL = """\
data: {name: spiral, samples: 20, classes: 3, validation_samples: 10}
model:
MODEL
  - dense: 3
  - softmax
loss: categorical_crossentropy
optimizer: adam
"""


def problems(write_config, model):
    with pytest.raises(ConfigError) as error:
        config.load(write_config(SPIRAL.replace("MODEL", model)))
    return error.value.problems


def test_options_resolve_with_their_defaults(write_config):
    model = ("  - dense: 4\n  - leaky_relu\n  - dense: 4\n  - elu: {alpha: 5e-1}\n"
             "  - dense: 4\n  - gelu\n  - dense: 4\n  - gelu: {approximate: tanh}\n"
             "  - dense: 4\n  - silu\n  - dense: 4\n  - softplus\n  - dense: 4\n  - tanh")
    resolved = config.load(write_config(SPIRAL.replace("MODEL", model)))["model"]
    assert resolved[1::2][:7] == [{"leaky_relu": {"alpha": 0.01}}, {"elu": {"alpha": 0.5}},
                                  {"gelu": {"approximate": "none"}},
                                  {"gelu": {"approximate": "tanh"}}, "silu", "softplus", "tanh"]


def test_other_libraries_names_are_aliases(write_config):
    """Issue 30: PyTorch's and Keras's `negative_slope` and Keras's `swish` are taken, and
    recorded under our names."""
    model = "  - dense: 4\n  - leaky_relu: {negative_slope: 0.2}\n  - dense: 4\n  - swish"
    resolved = config.load(write_config(SPIRAL.replace("MODEL", model)))["model"]
    assert resolved[1] == {"leaky_relu": {"alpha": 0.2}} and resolved[3] == "silu"


def test_bad_options_and_other_libraries_names(write_config):
    model = ("  - dense: 4\n  - leaky_relu: {negative_slope: 0.2, alpha: 0.1}\n  - swish\n"
             "  - elu: {alpha: -1}\n  - gelu: {approximate: tanhh}\n  - LeakyReLU\n"
             "  - tanh: {alpha: 1}")
    names = ("avg_pool2d, batch_norm, conv2d, dense, dropout, elu, flatten, gelu, "
             "global_avg_pool2d, global_max_pool2d, leaky_relu, linear, max_pool2d, "
             "random_flip, random_translation, relu, sigmoid, silu, softmax, softplus, tanh")
    assert problems(write_config, model) == [
        "model[1].negative_slope: the same option as alpha; give one of them",
        "model[3].alpha: expected a number >= 0, got -1",
        "model[4].approximate: expected one of none, tanh, got 'tanhh' (did you mean 'tanh'?)",
        f"model[5]: unknown layer or activation 'LeakyReLU'; choose from {names} "
        "(did you mean 'leaky_relu'?)",
        "model[6].alpha: unknown key 'alpha' for tanh; choose from (none)",
    ]
