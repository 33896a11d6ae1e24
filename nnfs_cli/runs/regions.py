"""Decision regions of a run: which models get a picture (a classifier of two inputs: its
regions; a regression of one input and one target: its curve), the config's `plots`
options checked against the model, and the parameters kept for an animation, one file per
frame epoch in RUN/frames/ (params.pkl's format). The drawing is region_plots.py's.

An animated run records a frame at epoch 0 (the initial weights), every `every` epochs,
and at its last epoch: 1 + floor(E / every) frames, one more when `every` does not divide
the E epochs. Frames are files, so a resumed run keeps those it had; `nnfs plot --epoch N`
draws any of them.
"""

import math
import re
from pathlib import Path

from nnfs_cli.errors import ConfigError, NnfsError

PICTURE = "decision_regions.png"
ANIMATION = "decision_regions.gif"
FRAMES = "frames"
AUTO_FRAMES = 50       # frames of an animation whose `every` is not given, about
MAX_FRAMES = 201
_FRAME_NAME = re.compile(r"epoch-(\d{4,})\.pkl")


def what_to_draw(model):
    """"regions" for a classifier of two inputs, "curve" for a regression of one input with
    one target, else None."""
    if len(model.input_shape) != 1:
        return None
    inputs, outputs = model.input_shape[0], model.shapes[-1]
    if model.loss.task == "classification" and inputs == 2:
        return "regions"
    if model.loss.task == "regression" and inputs == 1 and outputs == (1,):
        return "curve"
    return None


def why_not(model):
    """Why there is no picture for `model` (what_to_draw gave None), in words."""
    shape = model.input_shape
    what = (f"{shape[0]} input{'' if shape[0] == 1 else 's'}" if len(shape) == 1
            else f"inputs of shape {shape}")
    return (f"the model takes {what} ({model.loss.task}); decision regions need a classifier "
            "of 2 inputs or a regression of 1 input and 1 target")


def problems(config, model):
    """`plots.*: ...` lines for options that the built `model` cannot honour: pictures
    required (decision_regions: true) of inputs that cannot be drawn, an animation with the
    pictures off, or one of more than MAX_FRAMES frames."""
    plots, epochs = config["plots"], config["training"]["epochs"]
    if plots["decision_regions"] is True and what_to_draw(model) is None:
        return [f"plots.decision_regions: true, but {why_not(model)}; use auto or false"]
    if not plots["animate"]:
        return []
    if plots["decision_regions"] is False:
        return ["plots.animate: the animation is of the decision regions, which "
                "decision_regions: false turns off"]
    frames = len(frame_epochs(epochs, frame_every(config)))
    if frames > MAX_FRAMES:
        least = math.ceil(epochs / (MAX_FRAMES - 1))
        return [f"plots.every: {plots['every']} over {epochs:,} epochs makes {frames:,} "
                f"frames, more than {MAX_FRAMES}; choose {least} or more"]
    return []


def check(config, model, source=None):
    """ConfigError (naming `source`) for the problems above."""
    found = problems(config, model)
    if found:
        raise ConfigError(found, source)


def frame_every(config):
    """Epochs between frames: plots.every, or about AUTO_FRAMES frames over the run."""
    return config["plots"]["every"] or max(1, math.ceil(config["training"]["epochs"]
                                                        / AUTO_FRAMES))


def frame_epochs(epochs, every):
    """The epochs an animation of `epochs` epochs records: 0, every, 2 every..., epochs."""
    return sorted({0, *range(every, epochs + 1, every), epochs})


def frame_path(run_dir, epoch):
    return Path(run_dir) / FRAMES / f"epoch-{epoch:04d}.pkl"


def recorded_epochs(run_dir):
    """The epochs whose frame parameters RUN/frames/ holds, in order."""
    folder = Path(run_dir) / FRAMES
    if not folder.is_dir():
        return []
    found = (_FRAME_NAME.fullmatch(entry.name) for entry in folder.iterdir())
    return sorted(int(match[1]) for match in found if match)


def write_frame(run_dir, epoch, parameters):
    from nnfs_cli.runs import rundir
    path = frame_path(run_dir, epoch)
    try:
        path.parent.mkdir(exist_ok=True)
    except OSError as error:
        raise NnfsError(f"cannot write {path.parent}: {error.strerror or error}") from None
    rundir.write_params(path.parent, parameters, path.name)


def read_frame(run_dir, epoch, model):
    """The parameters of frame `epoch`, checked against `model` (as params.pkl is)."""
    from nnfs_cli.runs import safe_pickle
    from nnfs_cli.runs.saved import check_parameters
    path = frame_path(run_dir, epoch)
    return check_parameters(safe_pickle.load(path), model, path)
