"""random_flip and random_translation: what they do to pictures in training, nothing outside
it, and their config errors."""

import numpy as np
import pytest

from hostile import assert_one_line, nnfs
from nnfs_cli.core.layers import RandomFlip, RandomTranslation


def pictures(batch=400, shape=(2, 5, 6)):
    return np.random.default_rng(0).standard_normal((batch, *shape)).astype(np.float32)


def moved(picture, dy, dx):
    """`picture` moved dy pixels down and dx right, the edge repeated into the gap (a
    reference written pixel by pixel)."""
    _, height, width = picture.shape
    out = np.empty_like(picture)
    for y in range(height):
        for x in range(width):
            out[:, y, x] = picture[:, min(max(y - dy, 0), height - 1),
                                   min(max(x - dx, 0), width - 1)]
    return out


@pytest.mark.parametrize("layer", [RandomFlip(), RandomTranslation(2)])
def test_outside_training_pictures_pass_unchanged(layer):
    x = pictures()
    layer.build(x.shape[1:], np.random.default_rng(1))
    assert layer.forward(x, training=False) is x
    assert layer.backward(x) is x


@pytest.mark.parametrize("mode, axes", [("horizontal", [(), (2,)]), ("vertical", [(), (1,)]),
                                        ("both", [(), (1,), (2,), (1, 2)])])
def test_each_picture_is_flipped_or_not_with_even_odds(mode, axes):
    x = pictures()
    layer = RandomFlip(mode)
    layer.build(x.shape[1:], np.random.default_rng(1))
    out = layer.forward(x, training=True)
    found = []
    for before, after in zip(x, out):
        (kind,) = [axis for axis in axes if np.array_equal(np.flip(before, axis), after)]
        found.append(kind)
    for axis in axes:   # each of 2 (or 4) outcomes in 400 draws: about 200 (or 100)
        assert abs(found.count(axis) - len(x) / len(axes)) < 4 * np.sqrt(len(x)), (axis, found)


def test_each_picture_moves_by_at_most_pixels_with_the_edge_repeated():
    x = pictures()
    layer = RandomTranslation(2)
    layer.build(x.shape[1:], np.random.default_rng(1))
    out = layer.forward(x, training=True)
    moves = []
    for before, after in zip(x, out):
        (move,) = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if np.array_equal(moved(before, dy, dx), after)]
        moves.append(move)
    assert len(set(moves)) == 25 and max(moves.count(move) for move in set(moves)) < 40


def test_draws_come_from_the_models_generator():
    """The same generator state gives the same pictures (what bit-exact resume relies on)."""
    x = pictures(50)
    outs = []
    for _ in range(2):
        flip, move = RandomFlip("both"), RandomTranslation(3)
        rng = np.random.default_rng(7)
        flip.build(x.shape[1:], rng)
        move.build(x.shape[1:], rng)
        outs.append(move.forward(flip.forward(x, True), True))
    assert np.array_equal(*outs) and not np.array_equal(outs[0], x)


@pytest.mark.parametrize("layer, message", [
    ("{random_translation: {pixels: 8}}", "model[0]: random_translation: pixels must be smaller "
                                          "than the pictures' height and width (8x8), got 8"),
    ("{random_translation: {pixels: 0}}", "model[0].pixels: expected a positive integer, got 0"),
    ("{random_flip: {mode: sideways}}",
     "model[0].mode: expected one of horizontal, vertical, both, got 'sideways'"),
])
def test_config_errors_name_the_key(tmp_path, layer, message):
    np.savez(tmp_path / "images.npz", x=np.zeros((20, 1, 8, 8), np.float32),
             y=np.arange(20) % 2)
    config = tmp_path / "aug.yaml"
    config.write_text(f"""\
seed: 0
data: {{name: npz, path: images.npz}}
model: [{layer}, flatten, {{dense: {{units: 2}}}}, softmax]
loss: categorical_crossentropy
optimizer: adam
training: {{epochs: 1, batch_size: 8}}
""")
    assert_one_line(nnfs("train", config, "-q", cwd=tmp_path), 2, f"{config}: {message}")
