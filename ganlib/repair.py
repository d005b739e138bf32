"""Image repair (inpainting) with a trained generator, and the simple fills it is compared with.

A digit with part of it hidden is repaired by searching the generator's input for the image that
best matches the pixels that are still visible (Yeh et al., 2017): minimize the squared error on the
visible pixels, plus a small pull of the noise towards the typical region of N(0, I), by gradient
descent on the noise. The hidden pixels are then taken from the generator's image. A conditional
generator is searched with every label, so the repair also says which digit it thinks it is.

Masks are arrays of 1 (visible) and 0 (hidden), shaped (28, 28, 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from ganlib import metrics, sampling

MASKS = ("bottom_half", "left_half", "centre_square")


def make_mask(kind: str) -> np.ndarray:
    """A (28, 28, 1) float32 mask: 1 where the pixel is visible, 0 where it is hidden."""
    mask = np.ones((28, 28, 1), np.float32)
    if kind == "bottom_half":
        mask[14:] = 0
    elif kind == "left_half":
        mask[:, :14] = 0
    elif kind == "centre_square":
        mask[7:21, 7:21] = 0
    else:
        raise ValueError(f"mask is {kind!r}; allowed: " + ", ".join(repr(m) for m in MASKS))
    return mask


def hide(images, mask, fill: float = -1.0) -> np.ndarray:
    """The images as a user would hand them in: hidden pixels set to ``fill`` (background)."""
    return np.where(mask > 0, images, fill).astype(np.float32)


def masked_mse(images, targets, mask) -> np.ndarray:
    """Mean squared error per image over the pixels where ``mask`` is 1."""
    squared = (np.asarray(images, np.float32) - np.asarray(targets, np.float32)) ** 2 * mask
    return squared.reshape(len(squared), -1).sum(axis=1) / float(np.sum(mask))


def fill_with_mean(images, mask, train_images) -> np.ndarray:
    """Baseline: hidden pixels from the average training digit."""
    return np.where(mask > 0, images, np.mean(train_images, axis=0, keepdims=True)).astype(np.float32)


def fill_with_nearest(images, mask, train_images, train_labels=None):
    """Baseline: hidden pixels copied from the training digit that best matches the visible ones.

    Returns the repaired images and, when ``train_labels`` is given, the matched digits' labels.
    """
    visible = np.asarray(mask).reshape(-1) > 0
    flat = lambda batch: np.asarray(batch, np.float32).reshape(len(batch), -1)[:, visible]  # noqa: E731
    _, nearest = metrics.nearest_distances(flat(images), flat(train_images))
    repaired = np.where(mask > 0, images, np.asarray(train_images)[nearest]).astype(np.float32)
    return repaired, (None if train_labels is None else np.asarray(train_labels)[nearest])


@dataclass
class Repair:
    """What :func:`repair_with_generator` found for each image."""

    images: np.ndarray           # visible pixels kept, hidden ones from the generator
    generated: np.ndarray        # the generator's whole image for the best noise
    labels: np.ndarray | None    # the digit chosen for each image (conditional generators)
    visible_error: np.ndarray    # squared error on the visible pixels, per image


def repair_with_generator(generator, images, mask, *, steps: int = 200, restarts: int = 2,
                          learning_rate: float = 0.05, prior_weight: float = 1e-3, seed: int = 0) -> Repair:
    """Fill the hidden pixels of ``images`` by searching the generator's noise (see the module doc).

    Every image gets ``restarts`` starting points, and for a conditional generator every one of
    the ten labels; the candidate with the lowest error on the visible pixels wins.
    """
    if steps < 1 or restarts < 1:
        raise ValueError(f"steps is {steps} and restarts is {restarts}; allowed: integers >= 1")
    images = np.asarray(images, np.float32)
    conditional = sampling.is_conditional(generator)
    latent_dim = int(generator.inputs[0].shape[-1])
    labels_tried = 10 if conditional else 1
    per_image = labels_tried * restarts
    # Candidates ordered image-major: image i owns rows [i * per_image, (i + 1) * per_image).
    targets = tf.constant(np.repeat(images, per_image, axis=0))
    candidate_labels = np.tile(np.repeat(np.arange(labels_tried, dtype=np.int32), restarts), len(images))
    noise = tf.Variable(np.random.default_rng(seed).standard_normal((len(targets), latent_dim)).astype(np.float32))
    mask_tensor = tf.constant(mask)
    visible_count = float(np.sum(mask))
    label_tensor = tf.constant(candidate_labels)
    optimizer = keras.optimizers.Adam(learning_rate)

    def draw():
        return generator([noise, label_tensor] if conditional else noise, training=False)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            errors = tf.reduce_sum(tf.square(draw() - targets) * mask_tensor, axis=[1, 2, 3]) / visible_count
            loss = tf.reduce_sum(errors) + prior_weight * tf.reduce_sum(tf.reduce_mean(tf.square(noise), axis=1))
        optimizer.apply_gradients([(tape.gradient(loss, noise), noise)])

    for _ in range(steps):
        step()
    generated = np.asarray(draw())
    errors = masked_mse(generated, np.asarray(targets), mask).reshape(len(images), per_image)
    best = np.argmin(errors, axis=1)
    chosen = np.arange(len(images)) * per_image + best
    return Repair(images=np.where(mask > 0, images, generated[chosen]).astype(np.float32),
                  generated=generated[chosen],
                  labels=candidate_labels[chosen] if conditional else None,
                  visible_error=errors[np.arange(len(images)), best])
