"""nnfs: train the networks of "Neural Networks from Scratch in Python" from YAML configs.

The registries fill themselves with every component (layers, losses, optimizers, data
sets...) when first asked for one (registry.load_components).
"""

__version__ = "0.1.0"

from nnfs_cli import limits  # noqa: E402

# Before anything imports OpenCV, which reads its pixel limit once, when it loads.
limits.configure_opencv()
