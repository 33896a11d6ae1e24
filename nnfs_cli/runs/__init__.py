"""Runs on disk: the training loop, the run directory and its checkpoints, safe pickles,
saved runs for evaluate and predict, the listing and the plots."""
