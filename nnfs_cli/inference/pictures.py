"""`nnfs plot`: the decision regions of a saved run (runs/regions.py), drawn again from its
parameters: params.pkl (params_best.pkl with `best`), or those an animated run recorded at
an epoch (RUN/frames/); or its animation, from every recorded frame."""

from nnfs_cli import atomic
from nnfs_cli.errors import BadUsage, NnfsError
from nnfs_cli.inference.evaluation import reload_splits
from nnfs_cli.runs import regions, rundir


def default_output(run_dir, epoch=None, animate=False):
    if animate:
        return run_dir / regions.ANIMATION
    return run_dir / (regions.PICTURE if epoch is None
                      else f"decision_regions_epoch{epoch}.png")


def plot_run(run, epoch=None, output=None, animate=False, force=False):
    """Draw the SavedRun `run`: its decision regions (or curve) for its parameters, those of
    the recorded `epoch`, or with `animate` the GIF of all recorded epochs; to `output`
    (default RUN/decision_regions.png, RUN/decision_regions_epochN.png, or
    RUN/decision_regions.gif). Returns (where it went, a line saying what it shows).
    BadUsage (exit 2) for a run it cannot draw or an epoch it did not record."""
    from nnfs_cli.runs import region_plots
    if regions.what_to_draw(run.model) is None:
        raise BadUsage(f"{run.path}: no decision regions to draw: {regions.why_not(run.model)}")
    if epoch is not None and animate:
        raise BadUsage("--epoch and --animate cannot be used together: the animation shows "
                       "every recorded epoch")
    recorded = regions.recorded_epochs(run.path)
    if (epoch is not None or animate) and not recorded:
        raise BadUsage(f"{run.path} recorded no epochs' parameters: train with --animate (or "
                       "plots: {animate: true}) to record them; without --epoch the picture "
                       "is of params.pkl")
    if epoch is not None and epoch not in recorded:
        raise BadUsage(f"--epoch {epoch}: {run.path} recorded the parameters of epochs "
                       f"{_listed(recorded)}; choose one of them")
    target = _output(run.path, output, epoch, animate, force)
    splits = reload_splits(run)
    if tuple(splits.x_train.shape[1:]) != run.input_shape:
        raise NnfsError(f"{run.params_path}: the model takes inputs of shape {run.input_shape}, "
                        f"but {run.data.name} samples have shape {splits.x_train.shape[1:]}")
    title = run.path.name
    if animate:
        data, frames = region_plots.run_animation(run.path, run.config, run.data, splits,
                                                  run.input_shape, max(recorded), title)
        what = f"the decision regions at {frames} recorded epochs ({_listed(recorded)})"
    else:
        model, label = run.model, _label(run)
        kept = model.copy_parameters()   # the run's own parameters, set back after
        try:
            if epoch is not None:
                model.set_parameters(regions.read_frame(run.path, epoch, model))
                label = f"epoch {epoch}"
            data = region_plots.plane(model, run.data, splits, title).png(model, label)
        finally:
            model.set_parameters(kept)
        what = f"the decision regions at {label}"
    atomic.write_to(target, data)
    return target, what


def _label(run):
    summary = run.summary
    best = summary.get("best") or {}
    if run.params_path.name == "params_best.pkl" and best.get("epoch"):
        return f"epoch {best['epoch']} (the best)"
    restored = (run.config["training"]["early_stopping"] or {}).get("restore_best")
    if restored and summary.get("status") == "finished" and best.get("epoch"):
        return f"epoch {best['epoch']} (the best, restored)"
    return f"epoch {summary.get('epochs', '?')}"


def _output(run_dir, output, epoch, animate, force):
    """The checked atomic.Output: --output, or the run's own picture, which plot may write
    again; never another of the run's files."""
    own = default_output(run_dir, epoch, animate)
    return atomic.user_output(own if output is None else output, "--output", force=force,
                              protected=rundir.run_files(run_dir, [
                                  name for name in rundir.RUN_FILES + rundir.EXPORTS
                                  if name not in (regions.PICTURE, regions.ANIMATION)]),
                              own=[own])


def _listed(epochs):
    shown = ", ".join(map(str, epochs[:12]))
    return shown + (f", ... {epochs[-1]}" if len(epochs) > 12 else "")
