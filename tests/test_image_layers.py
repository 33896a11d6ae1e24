"""conv2d, the poolings, flatten and batch_norm against direct float64
implementations written here with nested loops over every output value (independent of the
im2col and strided-view code), plus shapes, dtypes, buffers reused across batches and the
config errors users see."""

import math
from pathlib import Path

import numpy as np
import pytest

from fashion_runs import run_cli
from nnfs_cli import threads
from nnfs_cli.core.layers import windows
from nnfs_cli.core.layers import (AvgPool2D, BatchNorm, Conv2D, Dense, Flatten, GlobalAvgPool2D,
                                  GlobalMaxPool2D, MaxPool2D, ShapeError)


@pytest.fixture(params=[1, 2], ids=["1 thread", "2 threads"])
def batch_threads(request):
    """Image layers split each batch over this many threads (as `--threads` sets it)."""
    with threads.blas_threads(request.param):
        yield request.param
    windows.set_element_threads(1)


def same_pads(size, kernel, stride):
    """TensorFlow's SAME: ceil(size / stride) outputs, the odd padding pixel after."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def loop_conv(x, weights, biases, stride, padding, grad_out=None):
    """out (and, given grad_out, the gradients of sum(out * grad_out)) with one Python loop
    per index: (out, dx, dweights, dbiases)."""
    n, channels, height, width = x.shape
    filters, _, kh, kw = weights.shape
    sh, sw = stride
    if padding == "same":
        (top, bottom), (left, right) = same_pads(height, kh, sh), same_pads(width, kw, sw)
    else:
        top = bottom = left = right = 0
    padded = np.zeros((n, channels, height + top + bottom, width + left + right))
    padded[:, :, top:top + height, left:left + width] = x
    out_h = (padded.shape[2] - kh) // sh + 1
    out_w = (padded.shape[3] - kw) // sw + 1
    out = np.zeros((n, filters, out_h, out_w))
    dpadded = np.zeros_like(padded)
    dweights = np.zeros(weights.shape)
    dbiases = np.zeros(filters)
    for b in range(n):
        for f in range(filters):
            for y in range(out_h):
                for x_ in range(out_w):
                    total = biases[f]
                    g = None if grad_out is None else grad_out[b, f, y, x_]
                    for c in range(channels):
                        for i in range(kh):
                            for j in range(kw):
                                pixel = padded[b, c, y * sh + i, x_ * sw + j]
                                total += weights[f, c, i, j] * pixel
                                if g is not None:
                                    dweights[f, c, i, j] += g * pixel
                                    dpadded[b, c, y * sh + i, x_ * sw + j] += g * weights[f, c, i, j]
                    out[b, f, y, x_] = total
                    if g is not None:
                        dbiases[f] += g
    dx = dpadded[:, :, top:top + height, left:left + width]
    return out, dx, dweights, dbiases


def loop_pool(x, pool, stride, kind, grad_out=None):
    """Max (the gradient to the first largest, row by row) or average pooling, one loop per
    index: (out, dx)."""
    n, channels, height, width = x.shape
    (ph, pw), (sh, sw) = pool, stride
    out_h, out_w = (height - ph) // sh + 1, (width - pw) // sw + 1
    out = np.zeros((n, channels, out_h, out_w))
    dx = np.zeros(x.shape)
    for b in range(n):
        for c in range(channels):
            for y in range(out_h):
                for x_ in range(out_w):
                    window = [(y * sh + i, x_ * sw + j) for i in range(ph) for j in range(pw)]
                    values = [x[b, c, r, col] for r, col in window]
                    g = 0.0 if grad_out is None else grad_out[b, c, y, x_]
                    if kind == "max":
                        best = max(range(len(values)), key=lambda k: (values[k], -k))
                        out[b, c, y, x_] = values[best]
                        dx[b, c, window[best][0], window[best][1]] += g
                    else:
                        out[b, c, y, x_] = sum(values) / len(values)
                        for r, col in window:
                            dx[b, c, r, col] += g / len(values)
    return out, dx


def channels_last_memory(x):
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


CONVS = [
    # (channels, height, width, filters, kernel, stride, padding)
    (1, 7, 6, 4, 3, 1, "valid"),
    (3, 6, 7, 2, 3, 1, "same"),
    (2, 7, 8, 3, [2, 3], 2, "same"),
    (3, 9, 8, 2, 4, 3, "valid"),
    (2, 6, 4, 2, 5, 1, "same"),
    (2, 7, 5, 1, [3, 1], [2, 1], "valid"),
    (4, 5, 5, 3, 1, 2, "same"),
    (2, 6, 5, 2, 4, 1, "same"),
]


@pytest.mark.parametrize("channels_last", [False, True], ids=["channels-first", "channels-last"])
@pytest.mark.parametrize("channels, height, width, filters, kernel, stride, padding", CONVS)
def test_conv2d_matches_the_nested_loops(channels, height, width, filters, kernel, stride,
                                         padding, channels_last, batch_threads):
    rng = np.random.default_rng(channels * 100 + height)
    layer = Conv2D(filters, kernel, stride=stride, padding=padding)
    shape = layer.build((channels, height, width), rng)
    layer.params = {key: value.astype(np.float64) for key, value in layer.params.items()}
    layer.grads = {key: np.zeros_like(value) for key, value in layer.params.items()}
    layer.params["biases"][...] = rng.standard_normal(filters)
    x = rng.standard_normal((3, channels, height, width))
    inputs = channels_last_memory(x) if channels_last else x
    out = layer.forward(inputs, training=True)
    assert out.shape == (3, *shape)
    grad_out = rng.standard_normal(out.shape)
    dx = layer.backward(grad_out)
    stride = (stride, stride) if isinstance(stride, int) else tuple(stride)
    expected, dx_loop, dweights, dbiases = loop_conv(x, layer.params["weights"],
                                                     layer.params["biases"], stride, padding,
                                                     grad_out)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, dx_loop, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["weights"], dweights, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["biases"], dbiases, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("height, kernel, stride, padding, out, pads", [
    (28, 3, 1, "valid", 26, (0, 0)),
    (28, 3, 1, "same", 28, (1, 1)),
    (28, 3, 2, "same", 14, (0, 1)),
    (7, 2, 2, "same", 4, (0, 1)),
    (6, 4, 1, "same", 6, (1, 2)),
    (5, 5, 3, "valid", 1, (0, 0)),
    (5, 1, 2, "same", 3, (0, 0)),
])
def test_conv2d_output_sizes(height, kernel, stride, padding, out, pads):
    assert Conv2D(8, kernel, stride, padding).output_shape((3, height, height)) == (8, out, out)
    if padding == "same":
        assert same_pads(height, kernel, stride) == pads


POOLS = [
    # (pool, stride, height, width)
    (2, None, 7, 6),
    (2, None, 8, 8),
    (3, 2, 7, 9),
    ([2, 3], [1, 2], 5, 7),
    (2, 3, 8, 7),
    (2, 1, 4, 5),
]


@pytest.mark.parametrize("kind, cls", [("max", MaxPool2D), ("avg", AvgPool2D)])
@pytest.mark.parametrize("pool, stride, height, width", POOLS)
def test_pooling_matches_the_nested_loops(kind, cls, pool, stride, height, width,
                                          batch_threads):
    rng = np.random.default_rng(height * 10 + width)
    layer = cls(pool, stride)
    shape = layer.build((3, height, width), rng)
    # Whole numbers 0-3: many ties, which must go to the first largest of each window.
    x = rng.integers(0, 4, (2, 3, height, width)).astype(np.float64)
    out = layer.forward(channels_last_memory(x), training=True)
    assert out.shape == (2, *shape)
    grad_out = rng.standard_normal(out.shape)
    dx = layer.backward(grad_out)
    size = (pool, pool) if isinstance(pool, int) else tuple(pool)
    steps = size if stride is None else ((stride, stride) if isinstance(stride, int)
                                         else tuple(stride))
    expected, dx_loop = loop_pool(x, size, steps, kind, grad_out)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_allclose(dx, dx_loop, rtol=1e-12, atol=1e-15)
    # Outside training the output is the same (max pooling then skips the bookkeeping).
    np.testing.assert_array_equal(layer.forward(x, training=False), out)


def test_max_pool_gradient_goes_to_one_of_tied_pixels():
    layer = MaxPool2D(2)
    layer.build((1, 4, 4), None)
    x = np.zeros((1, 1, 4, 4), np.float32)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = 1.0         # a tie in the first window
    layer.forward(x, training=True)
    dx = layer.backward(np.ones((1, 1, 2, 2), np.float32))
    assert dx.sum() == 4 and dx[0, 0, 0, 1] == 1 and dx[0, 0, 1, 0] == 0
    assert dx[0, 0, 2, 2] == 1 and dx[0, 0, 3, 3] == 0   # all zeros: the first one


@pytest.mark.parametrize("kind, cls", [("max", GlobalMaxPool2D), ("avg", GlobalAvgPool2D)])
@pytest.mark.parametrize("height, width", [(5, 7), (1, 1), (1, 6), (4, 1), (2, 2)])
@pytest.mark.parametrize("memory", ["channels-last", "channels-first"])
def test_global_pooling_is_pooling_over_the_whole_picture(kind, cls, height, width, memory):
    """The loops' pooling with one window of the picture's size, flat: (batch, channels);
    ties (whole numbers 0-3) send the gradient to the first largest pixel, row by row."""
    rng = np.random.default_rng(height * 10 + width)
    layer = cls()
    assert layer.build((3, height, width), rng) == (3,)
    x = rng.integers(0, 4, (4, 3, height, width)).astype(np.float64)
    out = layer.forward(channels_last_memory(x) if memory == "channels-last" else x,
                        training=True)
    grad_out = rng.standard_normal(out.shape)
    dx = layer.backward(grad_out)
    expected, dx_loop = loop_pool(x, (height, width), (1, 1), kind, grad_out[:, :, None, None])
    assert out.shape == (4, 3) and dx.shape == x.shape
    np.testing.assert_allclose(out, expected[:, :, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(dx, dx_loop, rtol=1e-12, atol=1e-15)
    # The gradient is a new array, channels-last in memory like what image layers pass on.
    assert dx.transpose(0, 2, 3, 1).flags.c_contiguous and not np.shares_memory(dx, grad_out)
    np.testing.assert_array_equal(layer.forward(x, training=False), out)


def test_global_max_pool_gradient_goes_to_the_first_of_tied_pixels():
    layer = GlobalMaxPool2D()
    layer.build((2, 3, 3), None)
    x = np.zeros((1, 2, 3, 3), np.float32)
    x[0, 0, 1, 2] = x[0, 0, 2, 0] = x[0, 0, 0, 2] = 5.0   # first in row-by-row order: (0, 2)
    out = layer.forward(channels_last_memory(x), training=True)
    np.testing.assert_array_equal(out, [[5.0, 0.0]])
    dx = layer.backward(np.array([[3.0, 7.0]], np.float32))
    assert dx.dtype == np.float32 and dx[0, 0, 0, 2] == 3 and dx[0, 0].sum() == 3
    assert dx[0, 1, 0, 0] == 7 and dx[0, 1].sum() == 7   # all zeros: the first pixel


def test_global_pooling_ends_a_cnn_in_float32():
    """conv -> global pooling -> dense needs no flatten; float32 in, float32 out."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 1, 8, 7)).astype(np.float32)
    for pool in (GlobalAvgPool2D(), GlobalMaxPool2D()):
        conv = Conv2D(5, 3)
        assert pool.build(conv.build((1, 8, 7), rng), rng) == (5,)
        out = pool.forward(conv.forward(x, training=True), training=True)
        assert out.shape == (6, 5) and out.dtype == np.float32
        dx = conv.backward(pool.backward(np.ones_like(out)))
        assert dx.shape == x.shape and dx.dtype == np.float32


def test_flatten_keeps_channel_height_width_order():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    layer = Flatten()
    assert layer.build((3, 4, 5), None) == (60,)
    out = layer.forward(channels_last_memory(x), training=True)
    np.testing.assert_array_equal(out, x.reshape(2, 60))
    np.testing.assert_array_equal(layer.backward(out * 2), x * 2)


@pytest.mark.parametrize("shape", [(4,), (3, 4, 5)], ids=["features", "image"])
def test_batch_norm_statistics_and_running_averages(shape):
    rng = np.random.default_rng(1)
    layer = BatchNorm(momentum=0.8, epsilon=1e-3)
    layer.build(shape, rng)
    assert list(layer.params) == ["scale", "shift", "running_mean", "running_var"]
    assert list(layer.grads) == ["scale", "shift"]
    layer.params["scale"][...] = [0.5, 2.0, 1.5, 1.0][:shape[0]]
    layer.params["shift"][...] = [1.0, -1.0, 0.0, 2.0][:shape[0]]
    x = (rng.standard_normal((16, *shape)) * 3 + 2).astype(np.float32)
    axes = (0,) if len(shape) == 1 else (0, 2, 3)
    per = (1, -1) if len(shape) == 1 else (1, -1, 1, 1)
    mean = x.astype(np.float64).mean(axis=axes)
    var = x.astype(np.float64).var(axis=axes)            # divided by n, as ONNX does
    out = layer.forward(x, training=True)
    assert out.dtype == np.float32 and out.shape == x.shape
    expected = ((x - mean.reshape(per)) / np.sqrt(var.reshape(per) + 1e-3)
                * layer.params["scale"].reshape(per) + layer.params["shift"].reshape(per))
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    # Running statistics start at 0 and 1 and move 20% towards the batch's.
    np.testing.assert_allclose(layer.params["running_mean"], 0.2 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.params["running_var"], 0.8 + 0.2 * var, rtol=1e-5)
    # Outside training: the running statistics, and no update.
    running = {key: layer.params[key].copy() for key in ("running_mean", "running_var")}
    inference = layer.forward(x, training=False)
    expected = ((x - running["running_mean"].reshape(per))
                / np.sqrt(running["running_var"].reshape(per) + 1e-3)
                * layer.params["scale"].reshape(per) + layer.params["shift"].reshape(per))
    np.testing.assert_allclose(inference, expected, rtol=1e-4, atol=1e-4)
    for key, value in running.items():
        np.testing.assert_array_equal(layer.params[key], value)


def test_batch_norm_updates_its_running_statistics_in_place():
    layer = BatchNorm()
    layer.build((3,), None)
    arrays = {key: layer.params[key] for key in ("running_mean", "running_var")}
    layer.forward(np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32), True)
    assert all(layer.params[key] is array for key, array in arrays.items())
    assert not np.array_equal(arrays["running_mean"], np.zeros(3))


def image_stack():
    """conv (rows of pixels copied) -> conv (channels copied) -> pool -> flatten, float32."""
    rng = np.random.default_rng(2)
    layers = [Conv2D(4, 3, padding="same"), Conv2D(5, [2, 3], stride=2), MaxPool2D(2),
              AvgPool2D(1), Flatten()]
    shape = (1, 10, 9)
    for layer in layers:
        shape = layer.build(shape, rng)
    return layers


def run_stack(layers, x, grad_out=None):
    for layer in layers:
        x = layer.forward(x, training=True)
    if grad_out is None:
        return x, None
    dvalues = grad_out
    for layer in reversed(layers):
        dvalues = layer.backward(dvalues)
    return x, dvalues


def test_buffers_kept_across_batches_give_the_same_numbers_as_fresh_layers():
    rng = np.random.default_rng(3)
    batches = [rng.standard_normal((n, 1, 10, 9)).astype(np.float32) for n in (5, 3, 5, 5)]
    kept = image_stack()
    outputs = []
    for x in batches:
        grad_out = np.ones((len(x), 20), np.float32)
        out, dx = run_stack(kept, x, grad_out)
        assert out.dtype == np.float32 and dx.dtype == np.float32
        grads = [layer.grads[key].copy() for layer in kept for key in layer.grads]
        assert all(grad.dtype == np.float32 for grad in grads)
        fresh_out, fresh_dx = run_stack(image_stack(), x, grad_out)
        np.testing.assert_array_equal(out, fresh_out)
        np.testing.assert_array_equal(dx, fresh_dx)
        outputs.append((out, out.copy(), dx, dx.copy()))
    # What a layer returned is never overwritten by a later batch.
    for out, out_copy, dx, dx_copy in outputs:
        np.testing.assert_array_equal(out, out_copy)
        np.testing.assert_array_equal(dx, dx_copy)


@pytest.mark.parametrize("between, pool, blocked", [
    ("relu", MaxPool2D(2), True),
    (None, MaxPool2D([2, 3]), True),
    ("relu", MaxPool2D(3, stride=2), False),   # overlapping windows: computed as usual
    ("tanh", MaxPool2D(2), False),
    ("relu", AvgPool2D(2), False),
], ids=["relu-max2", "max2x3", "relu-max3-stride2", "tanh-max2", "relu-avg2"])
def test_a_convolution_feeding_a_max_pool_gives_the_plain_layers_numbers(between, pool,
                                                                         blocked):
    """Model has a convolution compute its outputs pool window by pool window, skipping the
    pixels no window covers (odd sizes here): the same outputs and gradients, in float64, as
    the layers run one by one without that arrangement."""
    from nnfs_cli.core.activations import ACTIVATIONS
    from nnfs_cli.core.model import Model

    def stack():
        layers = [Conv2D(3, 3, padding="same"), type(pool)(pool.pool_size, pool.stride)]
        if between:
            layers.insert(1, ACTIVATIONS.get(between)())
        return [*layers, Conv2D(4, 2), *([ACTIVATIONS.get(between)()] if between else []),
                type(pool)(pool.pool_size, pool.stride), Flatten()]

    def run(layers, x, seed=7):
        rng, shape = np.random.default_rng(seed), x.shape[1:]
        for layer in layers:
            shape = layer.build(shape, rng)
            layer.params = {key: value.astype(np.float64) for key, value in layer.params.items()}
            layer.grads = {key: np.zeros_like(value) for key, value in layer.params.items()}
        out = x
        for layer in layers:
            out = layer.forward(out, training=True)
        dvalues = np.sin(np.arange(out.size, dtype=np.float64)).reshape(out.shape)
        for layer in reversed(layers):
            dvalues = layer.backward(dvalues)
        return [out, dvalues] + [layer.grads[key] for layer in layers for key in layer.grads]

    x = np.random.default_rng(8).standard_normal((5, 2, 11, 13))
    x[:, :, 4:6] = 0
    plain = stack()
    model = Model(stack(), None)
    assert (model.layers[0].pool_blocks is not None) is blocked
    for got, expected in zip(run(model.layers, x), run(plain, x)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_a_cnn_split_over_two_threads_is_one_thread_to_rounding_and_repeatable():
    """Each thread takes part of the batch (convolutions, pooling, and the dense layers of a
    model with convolutions): its rows of each product can round differently from a whole
    batch's product, and weight gradients are two partial sums added, so the numbers equal
    one thread's to rounding, and the same split repeats bit for bit."""
    from nnfs_cli.core.activations import ReLU
    from nnfs_cli.core.model import Model

    x = np.random.default_rng(6).standard_normal((7, 2, 14, 13)).astype(np.float32)
    x[:, :, 3:6] = 0   # ties at zero, before and after the fused ReLU

    def forward_backward(count):
        with threads.blas_threads(count):
            model = Model([Conv2D(6, 3), ReLU(), MaxPool2D(2), Conv2D(8, 3, padding="same"),
                           ReLU(), MaxPool2D(2), Flatten(), Dense(5)], None)
            model.build((2, 14, 13), np.random.default_rng(5))
            assert model.layers[-1].split_batch
            out = x
            for layer in model.layers:
                out = layer.forward(out, training=True)
            dvalues = np.cos(np.arange(out.size, dtype=np.float32)).reshape(out.shape)
            for layer in reversed(model.layers):
                dvalues = layer.backward(dvalues)
        windows.set_element_threads(1)
        return [out, dvalues] + [layer.grads[key].copy() for layer in model.layers
                                 for key in layer.grads]

    one, two, two_again = forward_backward(1), forward_backward(2), forward_backward(2)
    for array_1, array_2, array_2_again in zip(one, two, two_again):
        np.testing.assert_allclose(array_2, array_1, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(array_2_again, array_2)


def test_parts_of_a_batch_each_run_with_one_blas_thread():
    """OpenBLAS makes threaded products from two threads wait for each other, so while the
    parts of a batch run side by side BLAS keeps to one thread, and gets its count back."""
    from threadpoolctl import threadpool_info

    from nnfs_cli.blas import numpy_pools

    def blas_counts(_=None):
        return [pool["num_threads"] for pool in numpy_pools(threadpool_info(), numpy_dir)]

    numpy_dir = Path(np.__file__).parent
    with threads.blas_threads(2):
        inside = windows.over_batch(blas_counts, 4)
        after = blas_counts()
    windows.set_element_threads(1)
    assert inside == [[1], [1]] and after == [2]


def test_the_first_layer_skips_its_input_gradient():
    layer = Conv2D(2, 3)
    layer.build((1, 5, 5), np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((2, 1, 5, 5)).astype(np.float32)
    out = layer.forward(x, training=True)
    assert layer.backward(np.ones_like(out), need_dinputs=False) is None
    dweights = layer.grads["weights"].copy()
    assert layer.backward(np.ones_like(out)).shape == x.shape
    np.testing.assert_array_equal(layer.grads["weights"], dweights)


@pytest.mark.parametrize("layer, shape, message", [
    (Conv2D(4, 3), (784,), "conv2d expects (channels, height, width) inputs, got shape (784,)"),
    (Conv2D(4, 5), (1, 4, 9), "conv2d: a 5x5 kernel does not fit 4x9 inputs with padding valid"),
    (MaxPool2D(3), (2, 2, 5), "max_pool2d: a 3x3 pool does not fit 2x5 inputs"),
    (AvgPool2D([1, 4]), (2, 5, 3), "avg_pool2d: a 1x4 pool does not fit 5x3 inputs"),
    (BatchNorm(), (3, 4), "batch_norm expects (features,) or (channels, height, width) inputs, "
                          "got shape (3, 4)"),
    (GlobalAvgPool2D(), (64,), "global_avg_pool2d expects (channels, height, width) inputs, got "
                               "shape (64,)"),
    (GlobalMaxPool2D(), (1, 28, 28, 1), "global_max_pool2d expects (channels, height, width) "
                                        "inputs, got shape (1, 28, 28, 1)"),
])
def test_shapes_a_layer_cannot_take(layer, shape, message):
    with pytest.raises(ShapeError) as error:
        layer.build(shape, np.random.default_rng(0))
    assert str(error.value) == message


FASHION = """\
data: {name: fashion_mnist, path: DATA}
model:
MODEL
loss: categorical_crossentropy
optimizer: adam
"""


@pytest.mark.parametrize("model, message", [
    ("  - conv2d: {filters: 4, kernel_size: [3, 0]}\n  - flatten\n  - dense: {units: 10}\n"
     "  - softmax",
     "model[0].kernel_size: expected a positive integer or [height, width] of positive "
     "integers, got [3, 0]"),
    ("  - conv2d: {filters: 4, kernel_size: 3, padding: full}\n  - flatten\n"
     "  - dense: {units: 10}\n  - softmax",
     "model[0].padding: expected one of valid, same, got 'full'"),
    ("  - conv2d: {filters: 0, kernel_size: 3, stride: 0}\n  - flatten\n"
     "  - dense: {units: 10}\n  - softmax",
     "model[0].filters: expected a positive integer, got 0\n"
     "Error: CONFIG: model[0].stride: expected a positive integer, got 0"),
    ("  - max_pool2d: {pool_size: 2, stride: [1, 2, 3]}\n  - flatten\n  - dense: {units: 10}\n"
     "  - softmax",
     "model[0].stride: expected a positive integer or [height, width] of positive integers, "
     "got [1, 2, 3]"),
    ("  - batch_norm: {momentum: 1}\n  - dense: {units: 10}\n  - softmax",
     "model[0].momentum: must be in [0, 1), got 1"),
    ("  - conv2d: {filters: 32, kernel_size: 3}\n  - relu\n  - max_pool2d\n"
     "  - dense: {units: 10}\n  - softmax",
     "model[3]: dense expects flat inputs, got shape (32, 13, 13); add a flatten layer before it"),
    ("  - conv2d: {filters: 4, kernel_size: 29}\n  - flatten\n  - dense: {units: 10}\n"
     "  - softmax",
     "model[0]: conv2d: a 29x29 kernel does not fit 28x28 inputs with padding valid"),
    ("  - dense: {units: 64}\n  - conv2d: {filters: 4, kernel_size: 3}\n  - flatten\n"
     "  - dense: {units: 10}\n  - softmax",
     "model[1]: conv2d expects (channels, height, width) inputs, got shape (64,)"),
    ("  - dense: {units: 64}\n  - global_max_pool2d\n  - dense: {units: 10}\n  - softmax",
     "model[1]: global_max_pool2d expects (channels, height, width) inputs, got shape (64,)"),
    ("  - conv2d: {filters: 4, kernel_size: 3}\n  - global_avg_pool2d: {pool_size: 2}\n"
     "  - dense: {units: 10}\n  - softmax",
     "model[1].pool_size: unknown key 'pool_size' for global_avg_pool2d; choose from (none)"),
    ("  - conv2d: {filters: 4, kernel_size: 3}\n  - flatten\n  - dense: {units: 7}\n"
     "  - softmax",
     "model[2].units: the last dense layer must have 10 units for 10 classes of fashion_mnist "
     "with categorical_crossentropy, got 7"),
])
def test_config_errors_name_the_layer(write_config, tmp_path, model, message):
    config = write_config(FASHION.replace("DATA", str(tmp_path / "none"))
                          .replace("MODEL", model))
    result = run_cli("train", config, "--run-dir", tmp_path / "run")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {config}: {message}\n".replace("CONFIG", str(config))
    assert not (tmp_path / "run").exists()
