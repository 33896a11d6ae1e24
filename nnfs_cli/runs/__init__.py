"""Runs on disk: the run directory and its lock, safe pickles, the config turned into
objects, a saved run loaded back, the listing and the plots."""
