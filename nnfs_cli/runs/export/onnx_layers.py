"""Layer -> ONNX nodes: one converter per registered layer or activation name.

A converter takes the Graph being built, the layer (with its `params`) and the name of its
input tensor, adds nodes and constants, and returns the name of its output tensor.
`graph.input_shape` is the layer's input shape without the batch axis. Adding a layer kind to
the exporter is one function here with `@converts("its registered name")`; a layer without a
converter is refused by name, never exported wrongly.
"""

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


@converts("softmax")
def softmax(graph, layer, x):
    # Opset 13 and later normalise over the one axis given; ours is the last (the features).
    return graph.node("Softmax", [x], axis=-1)


@converts("linear", "dropout")
def identity(graph, layer, x):
    """Linear is the identity, and dropout acts only in training: no node at all."""
    return x
