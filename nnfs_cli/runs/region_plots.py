"""The pictures of runs/regions.py, drawn with matplotlib (Agg) and, for the GIF, Pillow:
decision_regions.png for a classifier of two inputs (the plane coloured by the
predicted class, paler where the network is less sure, the training points on top in their
true class, the misclassified validation points crossed), and for a regression of one input
the fitted curve over the data. Coordinates are the data's own (before a csv data set's
scaling).

The plane is drawn one grid point per pixel, without resampling (`figimage`) into a box of
known pixels, and the PNG says where (text chunks `nnfs:box`, left top width height in
pixels from the top left corner, and `nnfs:extent`, xmin xmax ymin ymax), so that pixel
(column c, row r) of the box shows the class predicted at
x = xmin + (c + 0.5) / width * (xmax - xmin), y = ymax - (r + 0.5) / height * (ymax - ymin).
"""

import io

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from nnfs_cli.atomic import write_bytes
from nnfs_cli.runs import regions
from nnfs_cli.runs.saved import class_scores

# In inches: the figure, and the box of the plane (left, bottom, width, height). At the
# picture's 100 dpi and the frames' 80 every edge falls on a whole pixel.
FIGURE = (6.75, 5.0)
BOX = (0.75, 0.5, 3.75, 3.75)
PICTURE_DPI, FRAME_DPI = 100, 80
MAX_POINTS = 2000      # training points drawn: a seeded sample of larger sets
PADDING = 0.05         # of the data's range, on each side
SHADE = (0.3, 0.8)     # weight of the class colour at the lowest and the highest confidence
BATCH = 8192          # grid points per forward pass
SCORES = 4_000_000    # values of the widest layer held at once, at most


def class_colors(classes):
    """RGB floats (classes, 3): tab10, tab20 beyond 10 classes, hues beyond 20."""
    if classes <= 10:
        colors = colormaps["tab10"].colors[:classes]
    elif classes <= 20:
        colors = colormaps["tab20"].colors[:classes]
    else:
        colors = colormaps["hsv"](np.arange(classes) / classes)[:, :3]
    return np.asarray(colors, dtype=np.float64)


def shade(colors, predicted, confidence, classes):
    """uint8 RGB of each pixel: its class colour mixed with white, weighted from SHADE[0]
    (no surer than chance, 1 / classes) to SHADE[1] (certain)."""
    low, high = SHADE
    sure = np.clip((confidence - 1 / classes) / (1 - 1 / classes), 0, 1)
    weight = (low + (high - low) * sure)[..., None]
    rgb = 1 - weight * (1 - colors[predicted])
    return np.round(rgb * 255).astype(np.uint8)


class Plane:
    """The pictures of one run's input plane (`kind` "regions" or "curve"): `draw(model)`
    for any parameters of its model. `points` are the training samples and `validation`
    the validation samples, (model inputs, labels or prepared targets) each."""

    def __init__(self, kind, data, points, validation, class_names=None, title="",
                 dpi=PICTURE_DPI, seed=0):
        self.kind, self.data, self.title, self.dpi = kind, data, title, dpi
        self.class_names = class_names
        self._raw = _raw_coordinates(data)
        x, y = points
        if validation[0] is None:   # trained without validation (Sequential.fit)
            validation = (x[:0], np.asarray(y)[:0])
        if len(x) > MAX_POINTS:
            keep = np.sort(np.random.default_rng(seed).choice(len(x), MAX_POINTS, replace=False))
            x, y = x[keep], y[keep]
        self.x, self.y = self._raw.to_raw(x), np.asarray(y)
        self.x_val, self.y_val = validation[0], np.asarray(validation[1])
        self.raw_val = self._raw.to_raw(self.x_val)
        every = np.concatenate([self.x, self.raw_val])
        low, high = every.min(axis=0), every.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        self.low, self.high = low - PADDING * span, high + PADDING * span
        self.box = tuple(round(value * dpi) for value in BOX)   # pixels, from the bottom left
        self.size = (round(FIGURE[0] * dpi), round(FIGURE[1] * dpi))
        self._grid = None
        self._figure = None

    # --- the numbers -------------------------------------------------------------------

    def grid(self):
        """Model inputs at the centre of every pixel of the box: (height * width, 2) for the
        regions, top row first; (width, 1) along x for the curve."""
        if self._grid is None:
            _, _, width, height = self.box
            xs = self.low[0] + (np.arange(width) + 0.5) / width * (self.high[0] - self.low[0])
            if self.kind == "curve":
                raw = xs[:, None]
            else:
                ys = self.high[1] - (np.arange(height) + 0.5) / height * (self.high[1] - self.low[1])
                raw = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
            self._grid = (raw, self._raw.to_model(raw))
        return self._grid

    def predicted(self, model, x):
        """(the predicted class, its score) of each row of `x`, a few rows at a time: the
        scores of 140,000 pixels times thousands of classes (or units) would not fit in
        memory."""
        widest = max(int(np.prod(shape)) for shape in model.shapes)
        rows = max(16, min(BATCH, SCORES // widest))
        classes, confidence = [], []
        for start in range(0, len(x), rows):
            scores = class_scores(model.loss, model.predict(x[start:start + rows]))
            best = np.argmax(scores, axis=1)
            classes.append(best)
            confidence.append(scores[np.arange(len(best)), best])
        return np.concatenate(classes), np.concatenate(confidence)

    def regions(self, model):
        """(height, width, 3) uint8: the colours of the box."""
        _, _, width, height = self.box
        predicted, confidence = self.predicted(model, self.grid()[1])
        classes = len(self.class_names)
        return shade(class_colors(classes), predicted, confidence, classes).reshape(height, width, 3)

    def validation_result(self, model):
        """(the mask of misclassified validation samples, accuracy) for the regions; (None,
        mean squared error on the targets' scale) for the curve; the figure None without
        validation samples."""
        if len(self.x_val) == 0:
            return np.zeros(0, dtype=bool), None
        if self.kind == "curve":
            restore = self.data.restore_targets
            predicted = restore(model.predict(self.x_val, BATCH)).astype(np.float64)
            truth = restore(np.asarray(self.y_val, np.float32).reshape(-1, 1))
            return None, float(np.mean(np.square(predicted - truth)))
        wrong = self.predicted(model, self.x_val)[0] != self.y_val
        return wrong, 1 - float(wrong.mean())

    # --- the figure ---------------------------------------------------------------------

    def draw(self, model, label=""):
        """Draw the plane for `model`'s parameters; `label` (the epoch) goes in the title.
        Returns the canvas, drawn."""
        if self._figure is None:
            self._build()
        wrong, score = self.validation_result(model)
        if self.kind == "regions":
            self._image.set_data(self.regions(model))
            self._wrong.set_offsets(self.raw_val[wrong] if wrong.any() else np.empty((0, 2)))
            result = (f"validation accuracy {score:.3f} ({int(wrong.sum())} of {len(wrong)} "
                      "wrong)" if score is not None else "no validation samples")
        else:
            raw, inputs = self.grid()
            values = self.data.restore_targets(model.predict(inputs, BATCH))
            self._curve.set_data(raw[:, 0], np.asarray(values, np.float64)[:, 0])
            result = (f"validation MSE {score:.3g}" if score is not None
                      else "no validation samples")
        self._heading.set_text("\n".join(part for part in (self.title, f"{label}  {result}"
                                                            if label else result) if part))
        self._canvas.draw()
        return self._canvas

    def png(self, model, label=""):
        """The picture for `model` as PNG bytes, with the box and extent in its text chunks."""
        self.draw(model, label)
        left, bottom, width, height = self.box
        top = self.size[1] - bottom - height
        limits = (*self._axes.get_xlim(), *self._axes.get_ylim())
        metadata = {"nnfs:plot": f"decision regions ({self.kind})",
                    "nnfs:box": f"{left} {top} {width} {height}",
                    "nnfs:extent": " ".join(repr(float(value)) for value in limits)}
        buffer = io.BytesIO()
        self._figure.savefig(buffer, format="png", metadata=metadata)
        return buffer.getvalue()

    def save(self, model, path, label=""):
        """Write the picture for `model` to the PNG at `path` (atomically)."""
        write_bytes(path, self.png(model, label))

    def frame(self, model, label=""):
        """The picture for `model` as a Pillow RGB image (a frame of the animation)."""
        from PIL import Image
        canvas = self.draw(model, label)
        return Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy())

    def _build(self):
        dpi = self.dpi
        figure = Figure(figsize=FIGURE, dpi=dpi)
        self._canvas = FigureCanvasAgg(figure)
        left, bottom, width, height = self.box
        size = self.size
        axes = figure.add_axes([left / size[0], bottom / size[1], width / size[0],
                                height / size[1]])
        axes.set_xlim(self.low[0], self.high[0])
        names = self._raw.names
        axes.set_xlabel(names[0] if names else "x[0]")
        small = 8 if dpi >= PICTURE_DPI else 7
        if self.kind == "regions":
            # Unresampled, one grid point per pixel, below the axes' transparent face.
            self._image = figure.figimage(np.zeros((height, width, 3), np.uint8), xo=left,
                                          yo=bottom, origin="upper", zorder=0)
            axes.set_zorder(1)
            axes.patch.set_visible(False)
            axes.set_ylim(self.low[1], self.high[1])
            axes.set_ylabel(names[1] if names else "x[1]")
            colors = class_colors(len(self.class_names))
            axes.scatter(self.x[:, 0], self.x[:, 1], s=10 if dpi >= PICTURE_DPI else 7,
                         c=colors[self.y], edgecolors="black", linewidths=0.3)
            self._wrong = axes.scatter([], [], marker="x", s=16 if dpi >= PICTURE_DPI else 10,
                                       c="black", linewidths=0.9)
            handles = [Patch(color=color, label=name) for color, name
                       in zip(colors, self.class_names)][:20]
            handles += [Line2D([], [], marker="o", linestyle="", color="gray",
                               markeredgecolor="black", label="training point (true class)"),
                        Line2D([], [], marker="x", linestyle="", color="black",
                               label="misclassified\nvalidation point")]
            figure.legend(handles=handles, loc="upper left", fontsize=small, frameon=False,
                          bbox_to_anchor=((left + width) / size[0] + 0.01,
                                          (bottom + height) / size[1]))
            figure.text((left + width) / size[0] + 0.015, bottom / size[1],
                        "paler: less sure", fontsize=small, color="dimgray")
        else:
            axes.set_ylabel("target")
            axes.scatter(self.x[:, 0], self._raw_targets(self.y), s=6, color="tab:blue",
                         alpha=0.5, label="training data")
            self._curve, = axes.plot([], [], color="tab:red", linewidth=2, label="prediction")
            axes.grid(True, alpha=0.3)
            figure.legend(loc="upper left", fontsize=small, frameon=False,
                          bbox_to_anchor=((left + width) / size[0] + 0.01,
                                          (bottom + height) / size[1]))
            values = self._raw_targets(np.concatenate([self.y, self.y_val]))
            low, high = values.min(), values.max()
            span = high - low if high > low else 1.0
            axes.set_ylim(low - 0.15 * span, high + 0.15 * span)
        axes.tick_params(labelsize=small)
        self._axes = axes
        self._heading = figure.text(0.5, 1 - 0.12 / FIGURE[1], "", ha="center", va="top",
                                    fontsize=10 if dpi >= PICTURE_DPI else 9)
        self._figure = figure

    def _raw_targets(self, y):
        prepared = np.asarray(y, np.float32).reshape(-1, 1)
        return np.asarray(self.data.restore_targets(prepared), np.float64)[:, 0]


class _RawCoordinates:
    """Between the data's own numbers and the model's inputs, for a data set that scales its
    inputs (csv): model input = (raw - subtract) / divide."""

    def __init__(self, steps, names):
        self.steps, self.names = steps, names

    def to_raw(self, x):
        x = np.asarray(x, dtype=np.float64)
        x = x.reshape(len(x), int(np.prod(x.shape[1:])))
        if self.steps is None:
            return x
        return x * np.asarray(self.steps.divide, np.float64) + np.asarray(self.steps.subtract,
                                                                           np.float64)

    def to_model(self, raw):
        if self.steps is None:
            return np.asarray(raw, dtype=np.float32)
        return self.steps.apply(raw, (raw.shape[1],))


def _raw_coordinates(data):
    steps = data.input_preprocessing()
    return _RawCoordinates(steps, data.input_names())


def gif(frames, seconds=0.12, hold=1.5):
    """Pillow RGB `frames` as the bytes of an animated GIF, `seconds` per frame and the last
    held for `hold`; one palette of at most 128 colours, from the first, middle and last
    frames, for all (no flicker, and smaller)."""
    from PIL import Image
    width, height = frames[0].size
    sample = Image.new("RGB", (width, 3 * height))
    for place, index in enumerate((0, len(frames) // 2, len(frames) - 1)):
        sample.paste(frames[index], (0, place * height))
    palette = sample.quantize(colors=128)
    images = [frame.quantize(palette=palette, dither=0) for frame in frames]
    durations = [round(seconds * 1000)] * (len(images) - 1) + [round(hold * 1000)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                   duration=durations, loop=0)
    return buffer.getvalue()


def plane(model, data, splits, title="", dpi=PICTURE_DPI):
    """The Plane of a run's `model` (regions.what_to_draw must know it) over `splits`."""
    prepare = model.loss.prepare_targets
    labels = model.loss.task == "classification"

    def targets(y):
        if y is None:   # trained without validation
            return None
        return np.asarray(y) if labels else prepare(y, data)

    return Plane(regions.what_to_draw(model), data, (splits.x_train, targets(splits.y_train)),
                 (splits.x_val, targets(splits.y_val)), data.class_names, title, dpi)


def animation(run_dir, viewer, plane, last_epoch):
    """(GIF bytes, frames) of the frames recorded in `run_dir` up to epoch `last_epoch`,
    drawn by setting their parameters into `viewer` (a model of the run's stack, not one
    being trained); (None, 0) when none are recorded."""
    epochs = [epoch for epoch in regions.recorded_epochs(run_dir) if epoch <= last_epoch]
    if not epochs:
        return None, 0
    frames = []
    for epoch in epochs:
        viewer.set_parameters(regions.read_frame(run_dir, epoch, viewer))
        frames.append(plane.frame(viewer, f"epoch {epoch}"))
    return gif(frames), len(frames)


def run_animation(run_dir, config, data, splits, input_shape, last_epoch, title=""):
    """(GIF bytes, frames) of a run's recorded frames up to `last_epoch` (see animation),
    drawn with a model of its config built for `input_shape`."""
    from nnfs_cli.runs import components
    viewer = components.unbuilt_model(config)
    viewer.build(input_shape, np.random.default_rng(0))
    return animation(run_dir, viewer, plane(viewer, data, splits, title, FRAME_DPI), last_epoch)
