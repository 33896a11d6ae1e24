"""TensorBoard event files of a run, in RUN/tensorboard/: `tensorboard --logdir runs` shows
every run. A callback like any other (training/callbacks.py), written with tensorboardX (the
`tensorboard` extra), imported only when a run logs.

Everything is logged against the optimizer's step count, the one axis that never repeats:
the training figures every `logging.steps` steps (`step/...`), the epoch's training and
validation figures and the learning rate at the step that ends the epoch (`train/...`,
`val/...`, `epoch`), weight and gradient histograms every `logging.histograms` epochs, and at
the start the model summary and the resolved config as text; at the end the validation
confusion matrix as an image (classifiers) and the hyper-parameters with the final figures
for TensorBoard's HParams table (in tensorboard/hparams/, as tensorboardX writes them).

A resumed run writes a new event file that starts by purging what came after the step of its
checkpoint (tensorboardX's purge_step, which TensorBoard honours), so every step appears
exactly once; each file is flushed after every epoch, so a killed run's logs stay readable.
"""

import numpy as np

from nnfs_cli.errors import NnfsError
from nnfs_cli.training.callbacks import Callback

FOLDER = "tensorboard"
EXTRA = "pip install 'nnfs-cli[tensorboard]' (from a checkout: pip install '.[tensorboard]')"


def summary_writer():
    """tensorboardX's SummaryWriter; NnfsError saying what to install without it."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise NnfsError(f"TensorBoard logging needs the tensorboardX package: {EXTRA}") from None
    return SummaryWriter


class TensorBoard(Callback):
    """Writes the run's event files; `validation` is (x, y) of the validation split as the
    loop takes them, `class_names` a classifier's, `summary` the model summary's lines."""

    def __init__(self, run_dir, config, summary_lines, validation=None, class_names=None,
                 steps=50, histograms=0):
        self.writer_class = summary_writer()
        self.folder = run_dir / FOLDER
        self.config, self.summary_lines = config, list(summary_lines)
        self.validation, self.class_names = validation, class_names
        self.steps, self.histograms = steps, histograms
        self.writer = None

    @property
    def step(self):
        return self.trainer.optimizer.iterations

    def on_train_begin(self, logs):
        start = self.step
        options = {"filename_suffix": f".step{start:012d}"}   # files sort in training order
        if start:
            options["purge_step"] = start + 1   # drop what a killed run logged past its checkpoint
        self.writer = self.writer_class(str(self.folder), **options)
        if not start:
            from nnfs_cli.runs.rundir import dump_config
            self.writer.add_text("model", _code(self.summary_lines), 0)
            self.writer.add_text("config", _code(dump_config(self.config).splitlines()), 0)

    def on_batch_end(self, batch, logs):
        if logs["step"] % self.steps == 0:
            for key in ("loss", "accuracy", "lr"):
                self.writer.add_scalar(f"step/{key}", logs[key], logs["step"])

    def on_epoch_end(self, epoch, logs):
        step = self.step
        self.writer.add_scalar("epoch", epoch, step)
        for key, value in logs.items():
            if key in ("epoch", "seconds") or value is None:
                continue
            tag = f"val/{key[4:]}" if key.startswith("val_") else \
                "lr" if key == "lr" else f"train/{key}"
            self.writer.add_scalar(tag, value, step)
        if self.histograms and epoch % self.histograms == 0:
            layers = self.trainer.model.layers
            for (index, name), param, grad in self.trainer.model.param_items():
                where = f"model.{index}.{layers[index].name}/{name}"   # (TensorBoard drops [])
                self.writer.add_histogram(f"weights/{where}", param, step)
                self.writer.add_histogram(f"gradients/{where}", grad, step)
        self.writer.flush()

    def on_train_end(self, logs):
        step = self.step
        if self.validation is not None and self.class_names:
            self.writer.add_image("confusion_matrix", self._confusion_image(), step,
                                  dataformats="HWC")
        final = {f"hparam/{key}": value for key, value in logs.items()
                 if key.startswith("val_") and isinstance(value, float)}
        if final:
            self.writer.add_hparams(hyperparameters(self.config), final, name="hparams",
                                    global_step=step)
        self.close()

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _confusion_image(self):
        """The validation confusion matrix drawn as runs/plots.py draws it, as RGB pixels."""
        from nnfs_cli.core.scores import confusion_matrix, labels_and_scores
        from nnfs_cli.runs.plots import confusion_figure
        x, y = self.validation
        labels, scores = labels_and_scores(self.trainer.model.predict(x, 1024), y)
        matrix = confusion_matrix(labels, scores.argmax(axis=1), len(self.class_names))
        figure = confusion_figure(matrix, self.class_names, "validation split")
        figure.canvas.draw()
        return np.ascontiguousarray(np.asarray(figure.canvas.buffer_rgba())[:, :, :3])


def hyperparameters(config):
    """The config's settings as {key path: number, text or true/false} for the HParams table:
    `optimizer.learning_rate`, `model[0].dense.units`, `training.batch_size`..."""
    from nnfs_cli.runs.comparison import flatten
    return {key: value for key, value in flatten(config).items() if value is not None}


def _code(lines):
    """Text shown as-is by TensorBoard's text plugin (markdown: indented = code)."""
    return "\n".join("    " + line for line in lines)
