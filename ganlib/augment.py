"""Differentiable augmentation for the discriminator (DiffAugment, Zhao et al., 2020).

With a few thousand training images a convolutional discriminator soon memorizes them, becomes
over-confident, and stops giving the generator useful gradients. Showing it randomly shifted and
partly erased versions of *both* real and generated images prevents that. The transformations are
differentiable, so the generator's gradient flows through them, and since fakes are transformed in
the same way, the generator is not taught to draw shifted or erased digits.
"""

from __future__ import annotations

import keras
import tensorflow as tf

BACKGROUND = -1.0  # the value of an empty pixel in the course's image range


def translate(images, max_shift: int, seed=None):
    """Shift each image by its own random offset of up to ``max_shift`` pixels in each direction."""
    batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    shifts = keras.random.randint((batch, 2), -max_shift, max_shift + 1, seed=seed)
    padded = tf.pad(images, [[0, 0], [max_shift, max_shift], [max_shift, max_shift], [0, 0]],
                    constant_values=BACKGROUND)
    rows = tf.range(height)[None, :] + max_shift - shifts[:, :1]
    cols = tf.range(width)[None, :] + max_shift - shifts[:, 1:]
    shifted = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(shifted, cols, axis=2, batch_dims=1)


def cutout(images, size: int, seed=None):
    """Erase one random ``size`` x ``size`` square (to background) in each image."""
    batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    centres = keras.random.randint((batch, 2), 0, height, seed=seed)
    rows = tf.range(height)[None, :, None]
    cols = tf.range(width)[None, None, :]
    top, left = centres[:, 0, None, None] - size // 2, centres[:, 1, None, None] - size // 2
    inside = (rows >= top) & (rows < top + size) & (cols >= left) & (cols < left + size)
    return tf.where(inside[..., None], tf.constant(BACKGROUND, images.dtype), images)


def diff_augment(images, seed=None, max_shift: int = 3, cutout_size: int = 10):
    """DiffAugment's "translation,cutout" policy, sized for 28 x 28 digits."""
    return cutout(translate(images, max_shift, seed), cutout_size, seed)
