"""`nnfs sweep`: hyper-parameter search with Optuna over any key of a training config.
spec.py reads the sweep file (parameters.py its ranges), study.py holds the Optuna study,
trials.py runs one trial as an ordinary run directory, launch.py runs the workers, report.py
and plots.py tell the results."""
