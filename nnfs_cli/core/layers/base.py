"""The layer interface every component of a model stack follows."""

import math


class ShapeError(ValueError):
    """A layer cannot take the input shape it is given (a config mistake, not a bug)."""


class Layer:
    """A step of the model stack.

    Shapes leave out the batch axis: `(features,)` or `(channels, height, width)`.
    `build(input_shape, rng) -> output_shape` creates `params`; `forward(x, training) -> out`
    and `backward(dvalues) -> dinputs` follow. `params` holds every array the layer keeps
    (saved with the model), in the order `params.pkl` stores them; `grads` has an entry for
    each trained one, so arrays kept without training (running statistics) have none.
    """

    constraints = {}
    input_layout = "any"   # "flat" for (features,) only, "image" for (channels, height, width)
    size_option = None     # the option that sets its parameter count ("units"), for messages
    non_negative = ()      # params that cannot be negative (a variance), checked when loaded

    def __init__(self):
        self.params = {}
        self.grads = {}

    def output_shape(self, input_shape):
        """The shape this layer gives for `input_shape`; ShapeError if it cannot take it."""
        return tuple(input_shape)

    def parameter_shapes(self, input_shape):
        """{name: shape} of the arrays `build` would create for `input_shape`, allocating
        nothing, so that a model too large for memory is refused before it is built."""
        return {}

    def scratch_values(self, input_shape):
        """Values per sample the layer keeps besides its output (a convolution's window
        matrix), for the memory check of a batch."""
        return 0

    def build(self, input_shape, rng):
        """Create parameters for inputs of `input_shape`; return the output shape."""
        return self.output_shape(input_shape)

    def forward(self, x, training):
        raise NotImplementedError

    def backward(self, dvalues, need_dinputs=True):
        raise NotImplementedError

    def regularization_loss(self):
        return 0.0

    def parameter_count(self):
        return sum(array.size for array in self.params.values())


def flat_width(layer_name, input_shape):
    """The width of a flat input shape `(features,)`; ShapeError for anything else."""
    if len(input_shape) != 1:
        raise ShapeError(f"{layer_name} expects flat inputs, got shape {tuple(input_shape)}; "
                         "add a flatten layer before it")
    return input_shape[0]


def size(shape):
    return math.prod(shape)
