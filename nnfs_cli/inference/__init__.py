"""Using a trained run: evaluate it, predict with it, export it."""
