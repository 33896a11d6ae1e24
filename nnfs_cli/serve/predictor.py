"""What `nnfs serve` answers, apart from the web framework: a request's JSON rows, pixel
arrays or picture files -> the model's inputs, checked as `nnfs predict` checks its files
and refused in its words; one forward pass for the whole request; the result dicts `nnfs
predict --json` prints, with every class's probability."""

import json
import threading

import numpy as np

from nnfs_cli import json_text, limits
from nnfs_cli.data.image_limits import TooManyPixels
from nnfs_cli.data.rows import check_rows
from nnfs_cli.errors import NnfsError
from nnfs_cli.inference import prediction

KEYS = ("rows", "pixels")


class RequestError(NnfsError):
    """Input the server refuses: a one-line message and the HTTP status that answers it."""

    status = 422   # understood, but not something the model can take

    def __init__(self, message, status=None):
        super().__init__(message)
        if status is not None:
            self.status = status


class Malformed(RequestError):
    status = 400


class TooLarge(RequestError):
    status = 413


class Unsupported(RequestError):
    status = 415


class Predictor:
    """A loaded run (api.Run) answering requests; safe to call from many threads at once."""

    def __init__(self, run):
        self.run, self.saved = run, run.saved
        data = self.saved.data
        self.takes_rows = "rows" in data.predict_inputs
        self.takes_pictures = "images" in data.predict_inputs
        self.columns = (data.encoder.state["features"] if hasattr(data, "encode_records")
                        else None)
        self.pixels = data.input_preprocessing() if self.takes_pictures else None
        # The layers keep scratch buffers from one batch to the next: one forward at a time.
        self._forward = threading.Lock()

    # --- JSON: {"rows": [...]} or {"pixels": [...]} ---------------------------------------

    def predict_json(self, body, top_k=3):
        """The answer (a JSON-able dict) to a JSON body (bytes)."""
        key, samples = self._key(parse_json(body))
        if not isinstance(samples, list):
            raise RequestError(f"{key}: expected a list, got {_kind(samples)}")
        if not samples:
            raise RequestError(f"{key}: no {'pictures' if key == 'pixels' else 'rows'}")
        check_count(len(samples), key, "pictures" if key == "pixels" else "rows")
        x = self._rows(samples) if key == "rows" else self._pixels(samples)
        return self.answer(x, top_k)

    def _key(self, payload):
        if not isinstance(payload, dict):
            raise RequestError(f'expected a JSON object {{"rows": [...]}} or {{"pixels": '
                               f'[...]}}, got {_kind(payload)}')
        unknown = [key for key in payload if key not in KEYS]
        given = [key for key in KEYS if key in payload]
        if unknown or len(given) != 1:
            found = ", ".join(map(repr, payload)) or "none"
            raise RequestError(f'expected one key, "rows" or "pixels"; got {found}'[:300])
        key = given[0]
        if key == "rows" and not self.takes_rows:
            raise RequestError('rows: this model takes pictures, not rows of features; send '
                               '{"pixels": [...]} or picture files')
        if key == "pixels" and not self.takes_pictures:
            raise RequestError(f'pixels: this model takes rows of {self.saved.n_inputs} '
                               'feature(s), not pictures; send {"rows": [...]}')
        return key, payload[key]

    def _rows(self, rows):
        """Rows as `nnfs predict` reads them from .csv and .npy files: a csv run's by column
        name ({column: value} objects, in any order) or in the training file's column order,
        other runs' as rows of feature values."""
        data = self.saved.data
        if self.columns is not None:
            return data.encode_records(rows, "rows")
        try:
            x = np.asarray(rows)
        except (ValueError, TypeError):   # ragged rows
            raise RequestError(f"rows: expected rows of {self.saved.n_inputs} number(s) each, "
                               "all of one length") from None
        return data.prepare_rows(check_rows(x, self.saved.n_inputs, "rows", "request_rows"))

    def _pixels(self, pictures):
        """Pictures' raw pixel values 0-255, laid out as the run's ONNX export takes them
        ([batch, height, width], [batch, 3, height, width] for RGB, or flat)."""
        shape = tuple(self.pixels.raw_shape)
        values = int(np.prod(shape))
        wanted = (f"pictures of shape {shape} ({values} pixel values 0-255 each, "
                  f"[batch, {', '.join(map(str, shape))}] or [batch, {values}])")
        try:
            x = np.asarray(pictures)
        except (ValueError, TypeError):
            raise RequestError(f"pixels: expected {wanted}") from None
        if x.dtype.kind not in "fiu":
            raise RequestError(f"pixels: expected numbers, got an array of {x.dtype}")
        if x.shape[1:] not in (shape, (values,)):
            raise RequestError(f"pixels: pictures of shape {x.shape[1:]} do not fit: the model "
                               f"takes {wanted}")
        x = x.reshape(len(x), values).astype(np.float64)
        outside = ~((x >= 0) & (x <= 255))   # NaN too
        if outside.any():
            picture, pixel = np.argwhere(outside)[0]
            raise RequestError(f"pixels: picture {picture} holds {x[picture, pixel]} at pixel "
                               f"{pixel}, not a pixel value 0-255")
        return prediction.model_inputs(self.saved, x.astype(np.float32))

    # --- picture files ------------------------------------------------------------------

    def predict_pictures(self, files, top_k=3, invert="auto", prepare="auto"):
        """The answer to picture files [(name, bytes)], each prepared as `nnfs predict`
        prepares a file (Fashion-MNIST runs: trimmed, fitted, inverted when light)."""
        if not self.takes_pictures:
            raise Unsupported(f"this model takes rows of {self.saved.n_inputs} feature(s), not "
                              'pictures; send JSON: {"rows": [...]}')
        if not files:
            raise RequestError("no picture files in the form")
        check_count(len(files), "pictures", "pictures")
        x = np.stack([self._picture(name, data, invert, prepare) for name, data in files])
        return self.answer(x, top_k, [{"file": name} for name, _ in files])

    def _picture(self, name, data, invert, prepare):
        try:
            image = self.saved.data.decode_picture(data, name)
        except TooManyPixels as error:
            raise TooLarge(str(error)) from None
        return prediction.picture_input(self.saved, image, name, invert, prepare)

    # --- what the server tells about itself -------------------------------------------

    def info(self):
        """GET /info: the run, its task and classes, what /predict takes (as data), the
        model's interface as its export describes it, its test figures, and the limits."""
        from nnfs_cli import __version__
        from nnfs_cli.inference.export.interface import describe, interface
        saved, summary = self.saved, self.saved.summary
        model = describe(saved, interface(saved))
        return {
            "nnfs_version": __version__,
            "run": str(saved.path), "params": saved.params_path.name,
            "status": summary.get("status"), "epochs": summary.get("epochs"),
            "data": saved.data.name, "task": saved.task, "class_names": model["class_names"],
            "inputs": self._inputs(),
            "model": {key: model[key] for key in ("input", "preprocessing", "output",
                                                  "postprocessing")},
            "test": _figures(summary, "test"), "validation": _figures(summary, "val"),
            "limits": {"request_bytes": limits.get("request_bytes"),
                       "request_rows": limits.get("request_rows"),
                       "image_pixels": limits.get("image_pixels")},
        }

    def _inputs(self):
        """What POST /predict takes for this run: {"rows": ..., "pixels": ..., "pictures": ...}."""
        saved, inputs = self.saved, {}
        if self.columns is not None:
            inputs["rows"] = {
                "columns": [{"name": column["name"], "kind": column["kind"],
                             **({"categories": column["categories"]}
                                if column["kind"] == "category" else {})}
                            for column in self.columns],
                "layout": "objects {column: value} in any order, or lists of the columns "
                          "in this order; other keys are ignored"}
        elif self.takes_rows:
            scaled = saved.data.input_preprocessing() is not None
            inputs["rows"] = {"values": saved.n_inputs, "layout": (
                "the model's inputs, already scaled as training scaled them" if scaled
                else "feature values as the data set holds them")}
        if self.takes_pictures:
            inputs["pixels"] = {"shape": list(self.pixels.raw_shape), "range": [0, 255],
                                "layout": self.pixels.layout}
            inputs["pictures"] = {"content_type": "multipart/form-data",
                                  "preparation": "as nnfs predict prepares a picture file "
                                                 "for this run"}
        return inputs

    # --- the answer ---------------------------------------------------------------------

    def answer(self, x, top_k=3, names=None):
        """{"predictions": [...]}: for model inputs x (n, inputs), one forward pass and, per
        sample, what `nnfs predict --json` prints (without its path) and the probabilities."""
        saved = self.saved
        with self._forward:
            outputs = saved.outputs(x, prediction.BATCH)
        names = names or [{} for _ in range(len(x))]
        if saved.task == "regression":
            # As predict answers rows: "value" for one target, "values" for more.
            rows = [{**name, "row": index} for index, name in enumerate(names)]
            results = prediction.describe(saved, outputs, rows, top_k)
            for result in results:
                result.pop("row", None)
        else:
            results = prediction.describe(saved, outputs, names, top_k)
            scores = saved.class_scores(outputs).tolist()
            for result, row in zip(results, scores):
                result["probabilities"] = dict(zip(saved.class_names, row))
        return {"predictions": results}


def parse_json(body):
    """A request body as JSON; Malformed for anything else, NaN and Infinity included (which
    Python's json module takes, and JSON does not)."""
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except _NotJson as error:
        raise Malformed(f"not valid JSON: {error.args[0]} is not a JSON number; send finite "
                        "numbers") from None
    except RecursionError:
        raise Malformed("not valid JSON: nested too deeply") from None
    except ValueError as error:   # bad JSON, bad UTF-8, an integer of 5,000 digits
        raise Malformed(f"not valid JSON: {' '.join(str(error).split())[:200]}") from None


class _NotJson(Exception):
    pass


def _refuse_constant(name):
    raise _NotJson(name)


def check_count(count, where, noun):
    """TooLarge past NNFS_MAX_REQUEST_ROWS, in the words `nnfs predict` uses for a file."""
    limit = limits.get("request_rows")
    if count > limit:
        raise TooLarge(f"{where}: {count:,} {noun}, more than the limit of {limit:,} "
                       f"{limits.hint('request_rows')}")


def _figures(summary, prefix):
    """{loss, accuracy, samples} of one split from summary.json, or None."""
    figures = {name: summary[f"{prefix}_{name}"] for name in ("loss", "accuracy", "samples")
               if f"{prefix}_{name}" in summary}
    return figures or None


def _kind(value):
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def encode(answer):
    """An answer as compact JSON bytes; a non-finite output (an overflow) becomes null."""
    return json_text.dumps(answer, separators=(",", ":")).encode()
