"""The book's optimizers (NNFS ch. 10) on ours: the same arguments and defaults, the same
update formulas, and the book's three calls per step: `pre_update_params()` (the rate of
this step, 1 / (1 + decay * iterations) of `learning_rate`), `update_params(layer)` for each
trainable layer, `post_update_params()`. The state (momentums, caches) is kept in the
optimizer, not on the layers; `Model.train` updates the whole model in one call per formula
step instead of one per layer, with the same numbers."""

from nnfs_cli.core.optimizers import SGD, Adagrad, Adam, RMSprop


class BookOptimizer:
    def pre_update_params(self):
        self.begin_step()

    def update_params(self, layer):
        for name in layer.grads:
            self.update_array((layer, name), layer.params[name], layer.grads[name])

    def post_update_params(self):
        self.end_step()

    def book_options(self):
        return {name: getattr(self, name) for name in self.book_arguments}


class Optimizer_SGD(BookOptimizer, SGD):
    """p -= lr * g; with momentum m = momentum * m - lr * g, p += m."""

    book_arguments = ("learning_rate", "decay", "momentum")

    def __init__(self, learning_rate=1., decay=0., momentum=0.):
        super().__init__(learning_rate, decay, momentum)


class Optimizer_Adagrad(BookOptimizer, Adagrad):
    """cache += g**2; p -= lr * g / (sqrt(cache) + epsilon)."""

    book_arguments = ("learning_rate", "decay", "epsilon")

    def __init__(self, learning_rate=1., decay=0., epsilon=1e-7):
        super().__init__(learning_rate, decay, epsilon)


class Optimizer_RMSprop(BookOptimizer, RMSprop):
    """cache = rho * cache + (1 - rho) * g**2; p -= lr * g / (sqrt(cache) + epsilon)."""

    book_arguments = ("learning_rate", "decay", "epsilon", "rho")

    def __init__(self, learning_rate=0.001, decay=0., epsilon=1e-7, rho=0.9):
        super().__init__(learning_rate, decay, epsilon, rho)


class Optimizer_Adam(BookOptimizer, Adam):
    """Momentums and caches with bias correction:
    p -= lr * m_hat / (sqrt(c_hat) + epsilon)."""

    book_arguments = ("learning_rate", "decay", "epsilon", "beta_1", "beta_2")

    def __init__(self, learning_rate=0.001, decay=0., epsilon=1e-7, beta_1=0.9, beta_2=0.999):
        super().__init__(learning_rate, decay, epsilon, beta_1, beta_2)
