"""What convolution and pooling share: image shapes, padding, windows over pixels as strided
views, and scratch buffers kept from batch to batch.

Image layers take and give arrays of shape (batch, channels, height, width), but compute on
channels-last views (batch, height, width, channels) of them. The arrays they give are
channels-last in memory (a transposed view), so the next layer's windows and matrix
products read memory in order; `channels_last` of such an array is contiguous again.
"""

import contextlib
import math
import threading

import numpy as np

from nnfs_cli.core.layers.base import ShapeError


def pair(value):
    """3 -> (3, 3); [3, 2] -> (3, 2)."""
    if isinstance(value, (list, tuple)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def image_dims(layer_name, input_shape):
    """(channels, height, width) of an image input shape; ShapeError for anything else."""
    if len(input_shape) != 3:
        raise ShapeError(f"{layer_name} expects (channels, height, width) inputs, got shape "
                         f"{tuple(input_shape)}")
    return tuple(int(n) for n in input_shape)


def output_size(size, kernel, stride):
    """Positions of a `kernel` moved by `stride` inside `size` (no padding)."""
    return (size - kernel) // stride + 1


def same_padding(size, kernel, stride):
    """(before, after) that gives ceil(size / stride) outputs, the extra one after (as
    TensorFlow and ONNX's SAME_UPPER do)."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def channels_last(x):
    """(batch, channels, height, width) -> a (batch, height, width, channels) view."""
    return x.transpose(0, 2, 3, 1)


def channels_first(x):
    """(batch, height, width, channels) -> a (batch, channels, height, width) view."""
    return x.transpose(0, 3, 1, 2)


def width_is_contiguous(x_last):
    """True when neighbouring pixels of a row sit next to each other in memory (channels-first
    memory, or a single channel)."""
    return x_last.shape[3] == 1 or x_last.strides[2] == x_last.itemsize


def offsets(kernel, stride, out_hw):
    """(i, j, rows, columns) for each position (i, j) inside a window: x_last[:, rows, columns]
    is the (batch, out_height, out_width, channels) view of that pixel of every window."""
    for i in range(kernel[0]):
        rows = slice(i, i + stride[0] * (out_hw[0] - 1) + 1, stride[0])
        for j in range(kernel[1]):
            yield i, j, rows, slice(j, j + stride[1] * (out_hw[1] - 1) + 1, stride[1])


def patches(x_last, kernel, stride, out_hw):
    """Every window as a read-only strided view (batch, out_h, out_w, channels, kh, kw)."""
    view = np.lib.stride_tricks.sliding_window_view(x_last, kernel, axis=(1, 2))
    return view[:, ::stride[0], ::stride[1]][:, :out_hw[0], :out_hw[1]]


def blocked(grid, blocks):
    """A (batch, height, width, ...) array -> the view (batch, ph, pw, height // ph,
    width // pw, ...) of its whole blocks of (ph, pw) pixels: [b, i, j, y, x] is
    [b, y * ph + i, x * pw + j]. Rows and columns past the last whole block are left out."""
    (ph, pw), (batch, height, width), rest = blocks, grid.shape[:3], grid.shape[3:]
    rows, columns = height // ph, width // pw
    whole = split(grid[:, :rows * ph, :columns * pw], (batch, rows, ph, columns, pw, *rest))
    return whole.transpose(0, 2, 4, 1, 3, *range(5, whole.ndim))


def split(array, shape):
    """`array` reshaped to `shape` by splitting its axes: always a view, never a copy (so
    writing into it writes into `array`)."""
    view = array.reshape(shape)
    assert np.may_share_memory(view, array), "split() would have copied"
    return view


class Buffers:
    """Scratch arrays by role, kept while the shape and dtype stay the same (every batch but
    the last of an epoch): no allocation and no page faults per batch."""

    def __init__(self):
        self._arrays = {}

    def get(self, role, shape, dtype, fill=None, setup=None):
        """The buffer for `role`; a new one (filled with `fill` if given, then passed to
        `setup` if given) when the shape or dtype changed."""
        array = self._arrays.get(role)
        if array is None or array.shape != tuple(shape) or array.dtype != dtype:
            array = np.empty(shape, dtype=dtype) if fill is None else np.full(shape, fill, dtype)
            if setup is not None:
                setup(array)
            self._arrays[role] = array
        return array


# Threads for work over the batch (convolutions, pooling, a CNN's dense layers): NumPy's
# ufuncs and matrix products let go of the GIL, so parts of a batch run on as many cores. threads.blas_threads sets the
# count with the BLAS thread count, and how to hold BLAS at one thread meanwhile: each part's
# products then run on its own core instead of waiting for the BLAS pool.
ELEMENT_THREADS = 1
_ONE_BLAS_THREAD = None
_POOL = {}
_POOL_LOCK = threading.Lock()


def set_element_threads(count, one_blas_thread=None):
    """Use `count` threads (1 or more) for work over the batch; `one_blas_thread`, if given,
    is a context manager factory that holds BLAS at one thread while the parts run."""
    global ELEMENT_THREADS, _ONE_BLAS_THREAD
    ELEMENT_THREADS = max(1, int(count or 1))
    _ONE_BLAS_THREAD = one_blas_thread


def over_batch(function, batch):
    """[function(part) for part in slices that split range(batch) in order]: one slice on
    this thread, or ELEMENT_THREADS slices on as many threads. A part's numbers do not depend
    on the split; sums over parts (weight gradients) are added in the parts' order."""
    count = min(ELEMENT_THREADS, batch)
    if count <= 1:
        return [function(slice(0, batch))]
    with _POOL_LOCK:
        executor = _POOL.get(count)
        if executor is None:
            from concurrent.futures import ThreadPoolExecutor
            executor = _POOL[count] = ThreadPoolExecutor(count - 1)
    bounds = [batch * k // count for k in range(count + 1)]
    parts = [slice(bounds[k], bounds[k + 1]) for k in range(count)]
    with _ONE_BLAS_THREAD() if _ONE_BLAS_THREAD is not None else contextlib.nullcontext():
        futures = [executor.submit(function, rows) for rows in parts[1:]]
        results = [function(parts[0])]
        results += [future.result() for future in futures]
    return results
