"""Training: the loop (trainer.py), a run directory kept complete while it trains (run.py),
checkpoints checked before a resume, signals, and the callbacks that watch an epoch."""
