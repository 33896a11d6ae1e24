"""What an exported model takes and gives, and what it says about itself: the raw input and
its preprocessing, the output and the class names. The ONNX metadata and the npz's JSON
description both come from here."""

from dataclasses import dataclass

import numpy as np

from nnfs_cli import __version__
from nnfs_cli.errors import NnfsError

INPUT = "input"


@dataclass(frozen=True)
class Interface:
    """input_shape is one sample as the exported model takes it (raw when the preprocessing
    is inside); model_shape is one sample as the network takes it. Shapes leave out the batch."""

    input_shape: tuple
    model_shape: tuple
    preprocessing: object        # data.dataset.InputPreprocessing, or None
    layout: str
    output_name: str
    output_shape: tuple
    two_columns: bool            # a single sigmoid output p becomes the columns [1 - p, p]
    class_names: list
    postprocessing: object = None   # data.dataset.OutputPostprocessing (scaled targets), or None


def interface(run, preprocessing=True, two_columns=True):
    """The Interface of `run`'s exported model; with `preprocessing` the data set's own (if
    it has one) is inside, so the model takes the numbers the data files hold."""
    model_shape = tuple(run.input_shape)
    own = run.data.input_preprocessing()
    steps = own if preprocessing else None
    if steps is None:
        input_shape = model_shape
        layout = ("feature values as the data set holds them" if own is None
                  else "the model's inputs, already scaled and shaped as training fed them")
    else:
        input_shape, layout = tuple(steps.raw_shape), steps.layout
        if int(np.prod(input_shape)) != int(np.prod(model_shape)):
            raise NnfsError(f"{run.params_path}: the model takes inputs of shape {model_shape}, "
                            f"but {run.data.name} samples have shape {input_shape}")
    width = run.model.shapes[-1]
    binary = run.task == "classification" and run.model.loss.targets == "binary"
    two_columns = two_columns and binary and tuple(width) == (1,)
    return Interface(
        input_shape=input_shape, model_shape=model_shape, preprocessing=steps, layout=layout,
        output_name="probabilities" if run.task == "classification" else "predictions",
        output_shape=(2,) if two_columns else tuple(width), two_columns=two_columns,
        class_names=run.class_names if run.task == "classification" else None,
        postprocessing=run.data.output_postprocessing() if preprocessing else None)


def batch_shape(shape):
    return ["batch", *(int(n) for n in shape)]


def shape_text(shape):
    return "[" + ", ".join(map(str, batch_shape(shape))) + "]"


def preprocessing_dict(spec):
    """The preprocessing as JSON-able values; None when the model takes its inputs as they are."""
    steps = spec.preprocessing
    if steps is None:
        return None
    reshape = spec.input_shape != spec.model_shape
    formula = "(x - subtract) / divide" + (
        f", reshaped to {shape_text(spec.model_shape)}" if reshape else "")
    found = {"formula": formula, "raw_shape": list(spec.input_shape),
             "subtract": _numbers(steps.subtract), "divide": _numbers(steps.divide),
             "reshape_to": list(spec.model_shape) if reshape else None}
    if steps.fill is not None:
        # null where nothing is filled in: a NaN there stays NaN (the run refuses the cell).
        found["formula"] = "x = fill where x is NaN; then " + formula
        found["fill"] = [None if np.isnan(value) else value for value in _numbers(steps.fill)]
    return found


def postprocessing_dict(spec):
    """How outputs map back to the targets' scale, as JSON-able values; None if they are on it."""
    steps = spec.postprocessing
    if steps is None:
        return None
    return {"formula": "y * multiply + add", "multiply": float(steps.multiply),
            "add": float(steps.add)}


def output_meaning(run, spec):
    if run.task == "regression":
        if spec.postprocessing is not None:
            return (f"{spec.output_shape[0]} predicted value(s) per sample, on the targets' own "
                    "scale (the network's standardised outputs * multiply + add)")
        scaled = run.data.output_postprocessing() is not None
        return (f"{spec.output_shape[0]} predicted value(s) per sample"
                + (", standardised: multiply and add as in postprocessing" if scaled else ""))
    if spec.two_columns:
        return "probabilities of the classes, in class_names order: [1 - p, p] of the sigmoid"
    if run.model.loss.targets == "binary" and spec.output_shape == (1,):
        return "p, the sigmoid probability of class 1 (class 0 has 1 - p)"
    if run.model.loss.targets == "binary":
        return "an independent sigmoid probability per class, in class_names order"
    return "probabilities of the classes, in class_names order"


def describe(run, spec):
    """Where the model came from, what goes in and what comes out, as a JSON-able dict."""
    return {
        "nnfs_version": __version__,
        "source": {"run": run.path.resolve().name, "params": run.params_path.name,
                   "data": run.data.name},
        "task": run.task,
        "class_names": spec.class_names,
        "input": {"name": INPUT, "dtype": "float32", "shape": batch_shape(spec.input_shape),
                  "layout": spec.layout, **_columns(spec)},
        **_data_decisions(run),
        "preprocessing": preprocessing_dict(spec),
        "postprocessing": postprocessing_dict(spec) or _bare_postprocessing(run, spec),
        "output": {"name": spec.output_name, "dtype": "float32",
                   "shape": batch_shape(spec.output_shape), "meaning": output_meaning(run, spec)},
    }


def _columns(spec):
    """{"columns": one {name, kind, column, category} per raw input value} when the data set
    names them (csv: a number column, or one category of a text column), else {}."""
    steps = spec.preprocessing
    if steps is None or not steps.columns:
        return {}
    return {"columns": steps.columns}


def _data_decisions(run):
    """{"data_decisions": what the data set decided on its own while training (the columns
    it left out, how it treats missing cells)}, or {} when it decided nothing."""
    decisions = getattr(run.data, "decisions", None)
    found = decisions() if decisions else None
    return {"data_decisions": found} if found else {}


def _bare_postprocessing(run, spec):
    """For a bare network (no preprocessing inside), the map its outputs still need."""
    steps = run.data.output_postprocessing()
    if spec.postprocessing is not None or steps is None:
        return None
    return {"formula": "y * multiply + add (apply to the outputs)",
            "multiply": float(steps.multiply), "add": float(steps.add)}


def summary_lines(spec, path, what, inside=True):
    """What `nnfs export` prints: the file, then the input and the output with their shapes;
    the preprocessing is `inside` the model (ONNX) or for the user to apply (npz)."""
    steps, where = spec.preprocessing, "inside the model" if inside else "apply first"
    scaling = (f"; {where}: (x - {_short(steps.subtract)}) / {_short(steps.divide)}"
               if steps is not None else "")
    lines = [f"wrote {path} ({what})",
             f"input   {INPUT}: float32 {shape_text(spec.input_shape)}, {spec.layout}{scaling}"]
    output = f"output  {spec.output_name}: float32 {shape_text(spec.output_shape)}"
    post = spec.postprocessing
    if post is not None:
        output += (f", on the targets' own scale ({where}: y * {_short(post.multiply)} + "
                   f"{_short(post.add)})")
    names = spec.class_names
    if names and spec.output_shape == (len(names),):
        more = f", ... ({len(names)} classes)" if len(names) > 10 else ""
        output += f", one per class: {', '.join(names[:10])}{more}"
    elif names:   # the bare network of a two-class sigmoid run (npz)
        output += f", the probability p of {names[1]} ({names[0]}: 1 - p)"
    return lines + [output]


def _numbers(value):
    """A float, or nested lists of floats for per-value arrays (float32 values, exactly)."""
    return np.asarray(value, dtype=np.float32).tolist()


def _short(value):
    array = np.asarray(value, dtype=np.float32)
    return f"{float(array):g}" if array.ndim == 0 else f"per-value {array.shape} array"
