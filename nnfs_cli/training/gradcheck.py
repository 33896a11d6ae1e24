"""`nnfs gradcheck`: the whole model's backward pass against central differences, as
tests/gradcheck.py checks one layer (scikit-learn's check_grad idea).

The model is built from the config as training builds it (the same initial weights), then
copied to float64; on a few of the config's own training samples, the objective is the
training loss (mean data loss plus regularisation), whose gradient `Model.backward` gives.
For a seeded sample of each trained array's entries (always with its largest gradient),
(loss(p + eps) - loss(p - eps)) / (2 eps) is compared with the analytic gradient:

    relative error = |analytic - numeric| / max(|analytic|, |numeric|, floor)

floor = max(1e-3 * the array's largest analytic |gradient|, 1e-5 * max(1, |loss|)): entries
far smaller than their array's gradients, or than the noise of a float64 difference quotient,
are judged by their absolute error. An entry whose quotient crosses a kink (a ReLU input or
a max-pooling tie within eps) is tried again with eps / 10, and keeps the smaller error.
Layers run as in training (training=True: batch statistics, dropout) with the model's
generator rewound before every evaluation, so each sees the same dropout masks and
augmentation draws.
"""

from dataclasses import dataclass, field

import numpy as np

from nnfs_cli.reporter import count

TOLERANCE = 1e-4
EPS = 1e-5
SAMPLES = 8
ENTRIES = 20


def short(value):
    """3.1e-1, 2.4e-9: a figure in scientific notation without the exponent's padding."""
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


@dataclass
class ArrayCheck:
    """One trained array: model[layer] layer_name param, with `checked` of its `size` entries
    compared; `worst` is the index of the largest relative error."""

    layer: int
    layer_name: str
    param: str
    checked: int
    size: int
    max_error: float
    tolerance: float
    worst: tuple = ()

    @property
    def name(self):
        return f"model[{self.layer}] {self.layer_name} {self.param}"

    @property
    def ok(self):
        return bool(self.max_error <= self.tolerance)

    def line(self):
        verdict = "<=" if self.ok else ">"
        line = (f"{self.name}: max relative error {short(self.max_error)} {verdict} "
                f"{short(self.tolerance)}")
        return line + ("" if self.ok else f"  WRONG at {list(self.worst)}") + (
            f"  ({self.checked} of {self.size:,} entries)")


@dataclass
class GradientCheck:
    """What `nnfs gradcheck` found: `arrays` (ArrayCheck), on `samples` samples at `loss`."""

    arrays: list
    samples: int
    loss: float
    eps: float = EPS
    tolerance: float = TOLERANCE
    notes: list = field(default_factory=list)

    @property
    def ok(self):
        return all(array.ok for array in self.arrays)

    @property
    def failures(self):
        return [array for array in self.arrays if not array.ok]

    def lines(self):
        """The report `nnfs gradcheck` prints."""
        lines = [f"gradient check on {count(self.samples, 'training sample')} (loss "
                 f"{self.loss:.4f}): float64 central differences, eps {short(self.eps)}, "
                 f"tolerance {short(self.tolerance)}", *self.notes]
        lines += [array.line() for array in self.arrays]
        if self.ok:
            lines.append(f"ok: all {count(len(self.arrays), 'trained array')} within "
                         f"{short(self.tolerance)}")
        return lines


def to_float64(model):
    """Give every layer of `model` float64 copies of its arrays (and gradient buffers); its
    flat float32 buffer is left behind, so do this to a model built for the check only."""
    for layer in model.layers:
        for name in list(layer.params):
            layer.params[name] = np.array(layer.params[name], dtype=np.float64)
            if name in layer.grads:
                layer.grads[name] = np.zeros_like(layer.params[name])
    return model


def check_model(model, x, y, rng, entries=ENTRIES, tolerance=TOLERANCE, eps=EPS, seed=0):
    """Check `model` (float64, see to_float64) on inputs `x` and prepared targets `y`;
    `rng` is the generator its layers draw from (rewound before every evaluation).
    Returns a GradientCheck."""
    x = np.asarray(x, dtype=np.float64)
    start = rng.bit_generator.state

    def output():
        rng.bit_generator.state = start
        return model.forward(x, training=True)

    def loss():
        data = np.mean(model.loss.forward(output(), y), dtype=np.float64)
        return float(data) + float(model.regularization_loss())

    model.backward(output(), y)
    analytic = {(index, name): np.array(layer.grads[name])
                for index, layer in enumerate(model.layers) for name in layer.grads}
    value = loss()
    noise = 1e-5 * max(1.0, abs(value))
    pick = np.random.default_rng(seed)
    results = []
    for (index, name), gradient in analytic.items():
        layer = model.layers[index]
        param = layer.params[name]
        floor = max(1e-3 * float(np.abs(gradient).max(initial=0.0)), noise)
        chosen = _entries(gradient, entries, pick)
        errors = []
        for flat in chosen:
            where = np.unravel_index(flat, param.shape)
            error = _error(gradient[where], _numeric(loss, param, where, eps), floor)
            if error > tolerance:   # a kink within eps? a smaller step then misses it
                error = min(error, _error(gradient[where],
                                          _numeric(loss, param, where, eps / 10), floor))
            errors.append(error)
        worst = int(np.argmax(errors)) if errors else 0
        results.append(ArrayCheck(
            index, layer.name, name, len(chosen), param.size,
            float(errors[worst]) if errors else 0.0, tolerance,
            tuple(int(i) for i in np.unravel_index(chosen[worst], param.shape))
            if errors else ()))
    return GradientCheck(results, len(x), value, eps, tolerance)


def _entries(gradient, entries, pick):
    """Flat indices to check: the largest |gradient| and a seeded sample of the others."""
    size = gradient.size
    if size <= entries:
        return list(range(size))
    largest = int(np.argmax(np.abs(gradient)))
    others = pick.choice(size - 1, entries - 1, replace=False)
    others = others + (others >= largest)   # skip over the largest
    return [largest, *sorted(int(i) for i in others)]


def _numeric(loss, param, where, eps):
    old = param[where]
    param[where] = old + eps
    plus = loss()
    param[where] = old - eps
    minus = loss()
    param[where] = old
    return (plus - minus) / (2 * eps)


def _error(analytic, numeric, floor):
    analytic, numeric = float(analytic), float(numeric)
    if not (np.isfinite(analytic) and np.isfinite(numeric)):
        return float("inf")
    return abs(analytic - numeric) / max(abs(analytic), abs(numeric), floor)


def gradcheck(config, reporter, source=None, download=True, samples=SAMPLES, entries=ENTRIES,
              tolerance=TOLERANCE, eps=EPS):
    """Check the model of the resolved `config` at its initial weights on `samples` of its
    training samples (a seeded choice); returns a GradientCheck."""
    from nnfs_cli.runs import components
    data, splits = components.load_data(config, reporter, download, source)
    model_rng, _ = components.rngs(config["seed"])
    model = to_float64(components.model(config, data, model_rng, source))
    x = splits.x_train
    if tuple(x.shape[1:]) != model.input_shape:
        x = x.reshape((len(x), *model.input_shape))
    pick = np.random.default_rng(config["seed"])
    rows = np.sort(pick.choice(len(x), min(samples, len(x)), replace=False))
    y = model.loss.prepare_targets(splits.y_train[rows], data)
    if model.loss.task == "regression":
        y = y.astype(np.float64)
    result = check_model(model, x[rows], y, model_rng, entries, tolerance, eps,
                         config["seed"])
    if any(layer.name == "dropout" or layer.name.startswith("random_")
           for layer in model.layers):
        result.notes.append("dropout and augmentation: the same masks and draws in every "
                            "evaluation")
    return result
