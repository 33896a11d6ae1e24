import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def write_config(tmp_path):
    """Write a YAML config (dedented) into tmp_path; returns its path."""
    def write(text, name="config.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path
    return write


SPIRAL = """\
seed: 3
data: {name: spiral, samples: 100, classes: 3, validation_samples: 50}
model:
  - dense: {units: 16}
  - relu
  - dense: {units: 3}
  - softmax
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.02, decay: 5e-7}
training: {epochs: 5, batch_size: 64}
"""


@pytest.fixture
def spiral_config(write_config):
    return write_config(SPIRAL, "spiral.yaml")


@pytest.fixture
def repo_root():
    return Path(__file__).resolve().parents[1]
