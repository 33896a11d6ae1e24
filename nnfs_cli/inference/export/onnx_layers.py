"""Layer -> ONNX nodes: one converter per registered layer or activation name.

A converter takes the Graph being built, the layer (with its `params`) and the name of its
input tensor, adds nodes and constants, and returns the name of its output tensor.
`graph.input_shape` is the layer's input shape without the batch axis. Adding a layer kind to
the exporter is one function here with `@converts("its registered name")`; a layer without a
converter is refused by name, never exported wrongly.
"""

import math

CONVERTERS = {}


def converts(*names):
    """Register the decorated function as the converter of the layers called `names`."""
    def register(function):
        for name in names:
            if name in CONVERTERS:
                raise ValueError(f"ONNX converter for {name!r} registered twice")
            CONVERTERS[name] = function
        return function
    return register


@converts("dense")
def dense(graph, layer, x):
    """Gemm: x @ weights + biases; weights (inputs, units), biases (units,)."""
    weights = graph.constant("weights", layer.params["weights"])
    biases = graph.constant("biases", layer.params["biases"].reshape(-1))
    return graph.node("Gemm", [x, weights, biases])


@converts("relu")
def relu(graph, layer, x):
    return graph.node("Relu", [x])


@converts("sigmoid")
def sigmoid(graph, layer, x):
    return graph.node("Sigmoid", [x])


@converts("tanh")
def tanh(graph, layer, x):
    return graph.node("Tanh", [x])


@converts("leaky_relu")
def leaky_relu(graph, layer, x):
    return graph.node("LeakyRelu", [x], alpha=float(layer.alpha))


@converts("elu")
def elu(graph, layer, x):
    return graph.node("Elu", [x], alpha=float(layer.alpha))


@converts("gelu")
def gelu(graph, layer, x):
    """0.5 * x * (1 + erf(x / sqrt(2))) from Erf, or PyTorch's tanh approximation
    0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))): opset 17 has no Gelu op (it
    came in opset 20)."""
    if layer.approximate == "tanh":
        cube = graph.node("Pow", [x, graph.constant("three", 3.0)])
        inner = graph.node("Add", [x, graph.node("Mul", [cube, graph.constant("cubic",
                                                                              layer.CUBIC)])])
        inner = graph.node("Mul", [inner, graph.constant("scale", math.sqrt(2 / math.pi))])
        erf_like = graph.node("Tanh", [inner])
    else:
        erf_like = graph.node("Erf", [graph.node("Mul", [x, graph.constant(
            "inverse_sqrt2", 1 / math.sqrt(2))])])
    one_plus = graph.node("Add", [erf_like, graph.constant("one", 1.0)])
    # Halving x first: x * (1 + erf) would overflow for x above half float32's largest.
    return graph.node("Mul", [graph.node("Mul", [x, graph.constant("half", 0.5)]), one_plus])


@converts("silu")
def silu(graph, layer, x):
    """x * Sigmoid(x)."""
    return graph.node("Mul", [x, graph.node("Sigmoid", [x])])


@converts("softplus")
def softplus(graph, layer, x):
    """onnxruntime computes Softplus without overflow (x + log(1 + exp(-x)) for x > 0, as
    ours), so the spec's log(exp(x) + 1) needs no rewriting (tested to float32's largest)."""
    return graph.node("Softplus", [x])


@converts("softmax")
def softmax(graph, layer, x):
    # Opset 13 and later normalise over the one axis given; ours is the last (the features).
    return graph.node("Softmax", [x], axis=-1)


@converts("linear", "dropout", "random_flip", "random_translation")
def identity(graph, layer, x):
    """Linear is the identity, and dropout and augmentation act only in training: no node
    at all."""
    return x


@converts("conv2d")
def conv2d(graph, layer, x):
    """Conv with explicit pads (ONNX orders them top, left, bottom, right); weights
    (filters, channels, kh, kw), as ONNX keeps them."""
    top, bottom, left, right = layer.pads(graph.input_shape)
    weights = graph.constant("weights", layer.params["weights"])
    biases = graph.constant("biases", layer.params["biases"])
    return graph.node("Conv", [x, weights, biases], kernel_shape=list(layer.kernel),
                      strides=list(layer.strides), pads=[top, left, bottom, right])


@converts("max_pool2d")
def max_pool2d(graph, layer, x):
    return graph.node("MaxPool", [x], kernel_shape=list(layer.pool), strides=list(layer.strides))


@converts("avg_pool2d")
def avg_pool2d(graph, layer, x):
    # Only whole windows, so every average is over the full window whatever count_include_pad.
    return graph.node("AveragePool", [x], kernel_shape=list(layer.pool),
                      strides=list(layer.strides))


@converts("global_avg_pool2d")
def global_avg_pool2d(graph, layer, x):
    """GlobalAveragePool gives (batch, channels, 1, 1); Flatten makes it (batch, channels)."""
    return graph.node("Flatten", [graph.node("GlobalAveragePool", [x])], axis=1)


@converts("global_max_pool2d")
def global_max_pool2d(graph, layer, x):
    return graph.node("Flatten", [graph.node("GlobalMaxPool", [x])], axis=1)


@converts("flatten")
def flatten(graph, layer, x):
    """Keeps the batch axis, the rest channel by channel and row by row, as ours does."""
    return graph.node("Flatten", [x], axis=1)


@converts("batch_norm")
def batch_norm(graph, layer, x):
    """BatchNormalization in inference mode, with the running statistics; its input is
    (batch, channels, ...) in ONNX, so (batch, features) works unchanged."""
    params = layer.params
    inputs = [x] + [graph.constant(name, params[name])
                    for name in ("scale", "shift", "running_mean", "running_var")]
    return graph.node("BatchNormalization", inputs, epsilon=float(layer.epsilon))
