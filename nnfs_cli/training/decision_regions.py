"""The decision regions of a run being trained (runs/regions.py): a callback that records the
parameters of the animation's frames as training passes their epochs, and draws
decision_regions.png whenever the run saves (with the parameters params.pkl then holds) and
decision_regions.gif when it finishes. It only reads the model (`predict`, copies of its
parameters) and draws from no generator, so the training numbers are the same with it or
without it, and after --resume."""

from nnfs_cli.atomic import write_bytes
from nnfs_cli.runs import regions
from nnfs_cli.training.callbacks import Callback


class DecisionRegions(Callback):
    """Added by training/run.py for a run whose model regions.what_to_draw can draw (unless
    plots.decision_regions is false); `for_run` gives None for the others."""

    def __init__(self, config, run_dir, data, splits, model, reporter):
        self.config, self.run_dir, self.data, self.splits = config, run_dir, data, splits
        self.model, self.reporter = model, reporter
        self.animate = config["plots"]["animate"]
        self.every = regions.frame_every(config)
        self._plane = None

    @classmethod
    def for_run(cls, config, run_dir, data, splits, model, reporter):
        """The callback for this run, or None (with a line saying why when an animation was
        asked for)."""
        if config["plots"]["decision_regions"] is False:
            return None
        if regions.what_to_draw(model) is None:
            if config["plots"]["animate"]:
                reporter.line(f"no decision regions to animate: {regions.why_not(model)}")
            return None
        return cls(config, run_dir, data, splits, model, reporter)

    # --- frames, as training passes them -------------------------------------------------

    def on_train_begin(self, logs):
        if self.animate and logs["epoch"] == 1 and logs["step"] == 0:
            self._record(0)   # the initial weights

    def on_epoch_end(self, epoch, logs):
        if self.animate and (epoch % self.every == 0 or epoch == self.trainer.options["epochs"]):
            self._record(epoch)

    def on_train_end(self, logs):
        epoch = len(self.trainer.history)
        if self.animate and epoch not in regions.recorded_epochs(self.run_dir):
            self._record(epoch)   # stopped early

    def _record(self, epoch):
        regions.write_frame(self.run_dir, epoch, self.model.copy_parameters())

    # --- pictures, when the run saves ----------------------------------------------------

    def saved(self, final):
        """Draw decision_regions.png for the model as it is now (what params.pkl holds), and
        when `final` decision_regions.gif."""
        from nnfs_cli.runs import region_plots
        trainer = self.trainer
        epoch = len(trainer.history)
        label = f"epoch {epoch}"
        restored = (self.config["training"]["early_stopping"] or {}).get("restore_best")
        if final and restored and trainer.best["epoch"] is not None:
            label = f"epoch {trainer.best['epoch']} (the best, restored)"
        if self._plane is None:
            self._plane = region_plots.plane(self.model, self.data, self.splits,
                                             title=self.run_dir.name)
        self._plane.save(self.model, self.run_dir / regions.PICTURE, label)
        if final and self.animate:
            data, _ = region_plots.run_animation(self.run_dir, self.config, self.data,
                                                 self.splits, self.model.input_shape, epoch,
                                                 self.run_dir.name)
            if data is not None:
                write_bytes(self.run_dir / regions.ANIMATION, data)
