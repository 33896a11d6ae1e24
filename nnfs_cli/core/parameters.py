"""A model's trained parameters in one flat float32 buffer and their gradients in another.

`Model.build` moves every array that has a `grads` entry into `FlatParameters.params`, in
stack order, and replaces it in the layer's `params` with a view of its slice (likewise each
gradient, into `grads`). Layers that read `self.params[name]` when they use it and write
`self.grads[name]` in place keep working unchanged, and an optimizer updates the whole model
with one NumPy call per formula step instead of one per array. Arrays kept without training
(running statistics) stay outside.
"""

import numpy as np


class FlatParameters:
    """Iterates (key, param, grad) like `Model.param_items()`; `params` and `grads` are the
    1-D buffers, `slices[key]` where each array lies in them, `shapes[key]` its shape."""

    def __init__(self, layers):
        keyed = [((index, name), layer) for index, layer in enumerate(layers)
                 for name in layer.grads]
        total = sum(layer.params[name].size for (_, name), layer in keyed)
        self.params = np.empty(total, dtype=np.float32)
        self.grads = np.zeros(total, dtype=np.float32)
        self.slices, self.shapes, self.items = {}, {}, []
        offset = 0
        for key, layer in keyed:
            name = key[1]
            shape = layer.params[name].shape
            where = slice(offset, offset + layer.params[name].size)
            param = self.params[where].reshape(shape)
            param[...] = layer.params[name]
            grad = self.grads[where].reshape(shape)
            grad[...] = layer.grads[name]
            layer.params[name], layer.grads[name] = param, grad
            self.slices[key], self.shapes[key] = where, shape
            self.items.append((key, param, grad))
            offset = where.stop
        self._layers = [layer for _, layer in keyed]

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def __bool__(self):
        return bool(self.items)

    def intact(self):
        """True while every layer still holds the views (a layer or a test that rebinds an
        array, say to float64 for a gradient check, takes it out of the flat buffer)."""
        return all(layer.params[key[1]] is param and layer.grads[key[1]] is grad
                   for layer, (key, param, grad) in zip(self._layers, self.items))

    def views(self, flat):
        """{key: the part of the 1-D array `flat` (laid out like `params`) for that key}."""
        return {key: flat[where].reshape(self.shapes[key]) for key, where in self.slices.items()}
