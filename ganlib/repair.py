"""Restoring damaged digits with a trained generator, and the standard methods it is compared with.

One search does all of it (Yeh et al., 2017; "GAN inversion"): find the generator's input whose
image, passed through what damaged the digit, best matches what is seen. For a digit with part of
it hidden, the damage is the mask and only the visible pixels count; for a noisy digit, the
generator's image is compared with the noisy one (noise is what a generator cannot draw); for a
blurred digit, the generator's image is blurred the same way before the comparison. A small penalty
on the noise's mean square (``prior_weight``) pulls it towards the origin (not towards the shell
around the origin where N(0, I) puts its noise), which discourages it from growing long, and an
optional realism term asks the discriminator whether the image looks like a real digit of its label
(Yeh et al.'s "perceptual loss"). A conditional generator is searched with every label unless the
labels are given, so a repair also says which digit it thinks it is.

The baselines: the average digit and the nearest training digit for hidden pixels; a median or
Gaussian filter for noise; Wiener and Richardson-Lucy deconvolution (scikit-image) for blur.

Masks are arrays of 1 (visible) and 0 (hidden), shaped (28, 28, 1). Images are model-range.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from ganlib import course, metrics, sampling, training
from ganlib.data import model_range_images

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


def check_mask(mask, name: str = "mask") -> None:
    """Raise ``ValueError`` unless ``mask`` is a (28, 28, 1) array of 0s and 1s with a visible pixel.

    Another shape would broadcast against the images into a wrong result, and an all-hidden mask
    leaves nothing to match (every error a division by zero)."""
    mask = np.asarray(mask)
    if mask.shape != (28, 28, 1):
        raise ValueError(f"{name} has shape {mask.shape}; allowed: (28, 28, 1), as make_mask gives")
    if not np.any(mask > 0):
        raise ValueError(f"{name} hides every pixel; allowed: a mask with at least one visible (1) pixel")


def hide(images, mask, fill: float = -1.0) -> np.ndarray:
    """The images as a user would hand them in: hidden pixels set to ``fill`` (background)."""
    check_mask(mask)   # a (28, 28) mask would broadcast (N, 28, 28, 1) images into (N, 28, 28, 28)
    return np.where(mask > 0, model_range_images(images), fill).astype(np.float32)


def masked_mse(images, targets, mask) -> np.ndarray:
    """Mean squared error per image over the pixels where ``mask`` is 1."""
    check_mask(mask)
    images, targets = model_range_images(images), model_range_images(targets, "targets")
    if images.shape != targets.shape:
        raise ValueError(f"images have shape {images.shape} and targets {targets.shape}; allowed: the same shape")
    squared = (images - targets) ** 2 * mask
    return squared.reshape(len(squared), -1).sum(axis=1) / float(np.sum(mask))


def fill_with_mean(images, mask, train_images) -> np.ndarray:
    """Baseline: hidden pixels from the average training digit."""
    check_mask(mask)
    images, train_images = model_range_images(images), model_range_images(train_images, "train_images")
    return np.where(mask > 0, images, np.mean(train_images, axis=0, keepdims=True)).astype(np.float32)


def fill_with_nearest(images, mask, train_images, train_labels=None):
    """Baseline: hidden pixels copied from the training digit that best matches the visible ones.

    Returns the repaired images and, when ``train_labels`` is given, the matched digits' labels.
    """
    check_mask(mask)
    images, train_images = model_range_images(images), model_range_images(train_images, "train_images")
    visible = np.asarray(mask).reshape(-1) > 0
    flat = lambda batch: np.asarray(batch, np.float32).reshape(len(batch), -1)[:, visible]  # noqa: E731
    _, nearest = metrics.nearest_distances(flat(images), flat(train_images))
    repaired = np.where(mask > 0, images, np.asarray(train_images)[nearest]).astype(np.float32)
    return repaired, (None if train_labels is None else np.asarray(train_labels)[nearest])


def gaussian_psf(sigma: float, size: int | None = None) -> np.ndarray:
    """A (size, size) Gaussian blur kernel that sums to 1 (size: odd, about 3 sigma each side by default)."""
    if sigma <= 0:
        raise ValueError(f"sigma is {sigma}; allowed: a positive number of pixels")
    size = size or 2 * int(np.ceil(3 * sigma)) + 1
    offsets = np.arange(size) - size // 2
    profile = np.exp(-offsets ** 2 / (2 * sigma ** 2))
    psf = np.outer(profile, profile)
    return (psf / psf.sum()).astype(np.float32)


def blur(images, psf):
    """The images convolved with ``psf``, the background continued beyond the border (a tensor).

    Differentiable, so the latent search can blur the generator's image inside its loss.
    """
    kernel = tf.constant(np.asarray(psf, np.float32)[:, :, None, None])
    # Ink = image + 1 is 0 on the background, so zero padding continues the background.
    return tf.nn.conv2d(tf.convert_to_tensor(images, tf.float32) + 1.0, kernel, 1, "SAME") - 1.0


def add_noise(images, sigma: float, seed: int = 0) -> np.ndarray:
    """Gaussian pixel noise of standard deviation ``sigma``, clipped to the image range as a sensor would."""
    images = np.asarray(images, np.float32)
    noise = np.random.default_rng(seed).standard_normal(images.shape).astype(np.float32)
    return np.clip(images + sigma * noise, -1.0, 1.0)


def _per_image(images, restore) -> np.ndarray:
    """Apply ``restore`` to each image's ink ((x + 1) / 2 in [0, 1]) and map back to [-1, 1]."""
    ink = (np.asarray(images, np.float64)[..., 0] + 1) / 2
    restored = np.stack([restore(image) for image in ink])
    return (np.clip(restored, 0.0, 1.0) * 2 - 1)[..., None].astype(np.float32)


def denoise_median(images, size: int = 3) -> np.ndarray:
    """Baseline for noise: each pixel replaced by the median of its ``size`` x ``size`` neighbourhood."""
    from scipy import ndimage

    return _per_image(images, lambda ink: ndimage.median_filter(ink, size=size, mode="constant"))


def denoise_gaussian(images, sigma: float = 1.0) -> np.ndarray:
    """Baseline for noise: a Gaussian filter of ``sigma`` pixels."""
    from scipy import ndimage

    return _per_image(images, lambda ink: ndimage.gaussian_filter(ink, sigma, mode="constant"))


def deblur_wiener(images, psf, balance: float = 0.05) -> np.ndarray:
    """Baseline for blur: Wiener deconvolution with the known ``psf`` (scikit-image);
    ``balance`` trades sharpness against amplified noise."""
    from skimage import restoration

    return _per_image(images, lambda ink: restoration.wiener(ink, psf, balance))


def deblur_richardson_lucy(images, psf, iterations: int = 20) -> np.ndarray:
    """Baseline for blur: Richardson-Lucy deconvolution with the known ``psf`` (scikit-image)."""
    from skimage import restoration

    return _per_image(images, lambda ink: restoration.richardson_lucy(ink, psf, num_iter=iterations))


@dataclass
class Search:
    """What :func:`latent_search` found for each image: its best candidate."""

    generated: np.ndarray        # the generator's image, (N, 28, 28, 1)
    noise: np.ndarray            # the noise that draws it, (N, latent_dim)
    labels: np.ndarray | None    # the digit it was drawn as (conditional generators)
    data_error: np.ndarray       # mean squared error of the damaged image against what was seen
    realism: np.ndarray | None   # -log D(image, label), with a discriminator


def latent_search(generator, observed, *, weights=None, forward=None, labels=None, discriminator=None,
                  realism_weight: float = 0.0, steps: int = 200, restarts: int = 2, learning_rate: float = 0.05,
                  prior_weight: float = 1e-3, seed: int = 0, choose_by: str = "loss") -> Search:
    """For each image in ``observed``, the generator input whose image best explains it (module doc).

    ``forward`` (a differentiable function of a batch of images; None: the images themselves) is the
    damage; ``weights`` (28, 28, 1) says which pixels count (1: visible, 0: hidden; None: all).
    ``labels`` (conditional generators) fixes each image's digit; None tries all ten. With a
    ``discriminator`` (two inputs for a conditional generator) and ``realism_weight`` > 0, the loss
    adds ``realism_weight`` x -log D(G(z, y), y). Each image gets ``restarts`` starting points per
    digit tried; the candidate with the lowest loss (without the prior term) wins, or with
    ``choose_by="fit"`` the one that matches what is seen best (the realism term then shapes each
    candidate but does not pick among them).
    """
    if choose_by not in ("loss", "fit"):
        raise ValueError(f"choose_by is {choose_by!r}; allowed: 'loss', 'fit'")
    if not (course.COUNT.accepts(steps) and course.COUNT.accepts(restarts)):
        raise ValueError(f"steps is {steps!r} and restarts is {restarts!r}; allowed: each {course.COUNT.allowed}")
    if realism_weight < 0 or (realism_weight > 0 and discriminator is None):
        raise ValueError(f"realism_weight is {realism_weight}; allowed: 0, or a positive number with a discriminator")
    observed = model_range_images(observed, "observed")   # one (28, 28, 1) image would be searched as 28
    conditional = sampling.is_conditional(generator)
    if labels is not None and not conditional:
        raise ValueError("labels were given but the generator is unconditional (one input: noise)")
    if labels is not None:   # None tries all ten digits
        sampling.check_labels(labels, len(observed), per="observed image")
    if weights is not None:
        check_mask(weights, "weights")
    latent_dim = sampling.latent_dim_of(generator)
    digits = [None] if not conditional else (np.arange(10) if labels is None else None)
    per_image = restarts * (len(digits) if digits is not None else 1)
    # Candidates ordered image-major: image i owns rows [i * per_image, (i + 1) * per_image).
    targets = tf.constant(np.repeat(observed, per_image, axis=0))
    if not conditional:
        candidate_labels = None
    elif labels is None:
        candidate_labels = np.tile(np.repeat(np.arange(10, dtype=np.int32), restarts), len(observed))
    else:
        candidate_labels = np.repeat(np.asarray(labels, np.int32), per_image)
    noise = tf.Variable(np.random.default_rng(seed).standard_normal((len(targets), latent_dim)).astype(np.float32))
    weights = tf.constant(np.ones((28, 28, 1), np.float32) if weights is None else np.asarray(weights, np.float32))
    counted = float(np.sum(weights))
    label_tensor = None if candidate_labels is None else tf.constant(candidate_labels)
    forward = forward or (lambda images: images)
    optimizer = keras.optimizers.Adam(learning_rate)
    use_realism = realism_weight > 0

    def draw():
        return generator(sampling.generator_inputs(noise, label_tensor), training=False)

    def losses(images):
        data = tf.reduce_sum(tf.square(forward(images) - targets) * weights, axis=[1, 2, 3]) / counted
        if not use_realism:
            return data, tf.zeros_like(data)
        scores = discriminator(sampling.generator_inputs(images, label_tensor), training=False)
        return data, tf.nn.softplus(-tf.reshape(scores, [-1]))   # -log D

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            data, realism = losses(draw())
            loss = tf.reduce_sum(data + realism_weight * realism) + \
                prior_weight * tf.reduce_sum(tf.reduce_mean(tf.square(noise), axis=1))
        optimizer.apply_gradients([(tape.gradient(loss, noise), noise)])

    with training.without_remapping():
        for _ in range(steps):
            step()
    generated = draw()
    data, realism = (np.asarray(value) for value in losses(generated))
    total = (data + (realism_weight * realism if choose_by == "loss" else 0.0)).reshape(len(observed), per_image)
    chosen = np.arange(len(observed)) * per_image + np.argmin(total, axis=1)
    return Search(generated=np.asarray(generated)[chosen], noise=np.asarray(noise)[chosen],
                  labels=None if candidate_labels is None else candidate_labels[chosen],
                  data_error=data[chosen], realism=realism[chosen] if use_realism else None)


@dataclass
class Repair:
    """What :func:`repair_with_generator` found for each image."""

    images: np.ndarray           # visible pixels kept, hidden ones from the generator
    generated: np.ndarray        # the generator's whole image for the best noise
    labels: np.ndarray | None    # the digit chosen for each image (conditional generators)
    visible_error: np.ndarray    # squared error on the visible pixels, per image


def repair_with_generator(generator, images, mask, **search) -> Repair:
    """Fill the hidden pixels of ``images`` by :func:`latent_search` on the visible ones.

    ``search``: :func:`latent_search`'s settings (steps, restarts, discriminator, realism_weight, ...).
    """
    images = model_range_images(images)
    check_mask(mask)
    found = latent_search(generator, images, weights=mask, **search)
    return Repair(images=np.where(mask > 0, images, found.generated).astype(np.float32),
                  generated=found.generated, labels=found.labels, visible_error=found.data_error)
