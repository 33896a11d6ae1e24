"""nnfs: train the networks of "Neural Networks from Scratch in Python" from YAML configs."""

__version__ = "0.1.0"
