"""DiffAugment for digits: shifts and erasures that keep shapes, ranges and gradients."""

import numpy as np
import tensorflow as tf

from ganlib import augment


def square(batch=16):
    images = -np.ones((batch, 28, 28, 1), np.float32)
    images[:, 10:18, 10:18] = 1.0
    return tf.constant(images)


def test_translation_moves_each_image_by_at_most_the_shift_and_keeps_its_pixels():
    shifted = augment.translate(square(), 3, seed=0).numpy()
    assert shifted.shape == (16, 28, 28, 1)
    corners = np.array([np.argwhere(image[..., 0] > 0).min(axis=0) for image in shifted])
    assert np.all(np.abs(corners - 10) <= 3)
    assert len({tuple(c) for c in corners}) > 1                 # each image gets its own shift
    assert np.all((shifted > 0).sum(axis=(1, 2, 3)) == 64)      # nothing lost at this distance
    assert set(np.unique(shifted)) <= {-1.0, 1.0}                # background fills, no new values


def test_cutout_erases_to_background_only():
    erased = augment.cutout(square(), 10, seed=1).numpy()
    ink = (erased > 0).sum(axis=(1, 2, 3))
    assert np.all(ink <= 64) and np.any(ink < 64)
    assert set(np.unique(erased)) <= {-1.0, 1.0}


def test_gradients_flow_through_the_augmentation():
    images = tf.Variable(square(4))
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(augment.diff_augment(images, seed=2))
    gradient = tape.gradient(total, images).numpy()
    assert gradient.shape == (4, 28, 28, 1)
    assert gradient.sum() > 0 and set(np.unique(gradient)) <= {0.0, 1.0}
