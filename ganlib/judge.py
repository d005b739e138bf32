"""The digit judge: a small CNN trained on real digits that scores generated ones.

Losses do not say whether a GAN draws good digits; a classifier trained on real digits can. The judge
is trained once, with a fixed seed, on the training split of the bundled digits (``data/train_judge.py``
retrains it) and ships as ``data/judge.keras``; the whitening of its feature space ships as
``data/judge_space.npz``; ``data/judge.sha256`` holds both files' sha256, which every load checks.

It gives two things. Class probabilities (softmax of its last layer) say whether a sample is a
recognizable digit and which one. A feature space, in which ``ganlib.metrics`` compares the
*distribution* of generated digits with that of real ones (Frechet distance, precision and recall),
comes from its 128-unit penultimate layer ("features"), and :data:`SPACES` names three versions of it:

``"after_relu"``   the layer's output, as a classifier uses it. Outlier exposure (below) taught the
                   judge to answer "no digit" for noise by driving all 128 units below zero, so the
                   ReLU maps noise, blank pages, grey squares and a GAN's first blobs to the same point
                   (all zeros): every non-digit set got the same Frechet distance. Kept to show that.
``"before_relu"``  the same units before the ReLU: how far below zero each unit went survives, so
                   different failures land in different places.
``"whitened"``     (the default, :data:`SPACE`) ``before_relu`` measured in units of how much real
                   digits vary along each direction: ``(f - mean) @ whitening``, with mean and
                   covariance from the judge's 4,000 training digits and the covariance shrunk
                   halfway towards its average variance (:data:`SHRINKAGE`). Raw, the few directions
                   that separate the classes dominate every distance, and a non-digit, which moves
                   along directions where real digits hardly vary, sits about as far from the real
                   mean as a typical real digit does (measured for uniform noise). Whitened, such a move counts by how unusual
                   it is for a real digit. The shrinkage keeps directions whose tiny variance is
                   poorly estimated from dominating instead: full whitening (0) lets estimation noise
                   inflate the distance between two real samples, so that real digits of three
                   classes score only 1.9 times that floor; 1 is the raw space, where one real digit
                   repeated scores farther (129) than uniform noise (109). The order of
                   ``metrics.known_cases`` (measured in ``ganlib.metrics``' docstring, pinned by
                   tests/test_metrics.py) is the same for every shrinkage from 0.2 to 0.6; 0.5 is
                   inside that range, not tuned to a decimal.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np

from ganlib import course, data, sampling

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
JUDGE_PATH = DATA_DIR / "judge.keras"
SPACE_PATH = DATA_DIR / "judge_space.npz"
CHECKSUM_PATH = DATA_DIR / "judge.sha256"
REPORT_PATH = DATA_DIR / "judge.json"
FEATURES = "features"
SPACES = ("whitened", "before_relu", "after_relu")
SPACE = "whitened"   # the feature space of ganlib.metrics unless a Reference names another
SHRINKAGE = 0.5      # how far the whitening's covariance is shrunk towards its average variance


class JudgeError(RuntimeError):
    """The judge's weights are missing or fail their checksum."""


def build_judge(name: str = "digit_judge"):
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(128, activation="relu", name=FEATURES),
        layers.Dropout(0.3),
        layers.Dense(10, name="logits"),
    ], name=name)


def sha256_of(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _expected_sha256(name: str) -> str:
    """The sha256 that ``data/judge.sha256`` records for the file ``name``."""
    recorded = dict(reversed(line.split()) for line in CHECKSUM_PATH.read_text().splitlines() if line.strip())
    if name not in recorded:
        raise JudgeError(f"{CHECKSUM_PATH.name} records no checksum for {name}: restore data/ with "
                         "`git checkout data/`, or retrain the judge with `python data/train_judge.py`")
    return recorded[name]


def _checked(path: Path, shipped: Path, what: str) -> Path:
    """``path`` after checking that it exists and, for the shipped file, that it matches its sha256."""
    if not path.is_file():
        raise JudgeError(f"the digit judge's {what} is not at {path}: use a checkout of the course "
                         "(pip install -e .), or retrain the judge with `python data/train_judge.py`")
    if path == shipped and sha256_of(path) != _expected_sha256(shipped.name):
        raise JudgeError(f"{path} fails its checksum ({CHECKSUM_PATH.name}): the file is damaged or was "
                         "replaced; restore it with `git checkout data/` or retrain it with "
                         "`python data/train_judge.py`")
    return path


@functools.lru_cache(maxsize=None)
def load_judge(path: str | None = None):
    """Load the judge (checksums first) as a model returning (features before the ReLU, probabilities);
    the whitening of :func:`load_space` is checked too."""
    path = _checked(Path(path) if path else JUDGE_PATH, JUDGE_PATH, "weights")
    load_space.cache_clear()
    load_space()
    return with_features(load_classifier(path))


def load_classifier(path):
    """The judge's classifier (:func:`build_judge`) with the weights stored at ``path`` (a .keras file).

    Built here and given the weights, rather than rebuilt from the file's config: a config written by
    a newer Keras may not load in an older one (Keras 3.12, the last for Python 3.10), the weights do.
    Reads no checksum; :func:`load_judge` checks the shipped file first.
    """
    classifier = build_judge()
    classifier.load_weights(path)
    return classifier


def with_features(classifier):
    """The classifier of :func:`build_judge` as a model returning (features before the ReLU, probabilities)."""
    import keras

    dense = classifier.get_layer(FEATURES)
    # The same affine map as the "features" layer, without its ReLU; the probabilities still go
    # through the original layer, so the judge's classification is exactly what it was.
    linear = keras.layers.Dense(dense.units, name="features_before_relu")
    before_relu = linear(dense.input)
    linear.set_weights(dense.get_weights())
    probabilities = keras.layers.Softmax()(classifier.get_layer("logits").output)
    return keras.Model(classifier.inputs, [before_relu, probabilities], name="judge_with_features")


@functools.lru_cache(maxsize=None)
def load_space(path: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(mean (128,), whitening (128, 128)) of the "whitened" feature space, checksum checked."""
    path = _checked(Path(path) if path else SPACE_PATH, SPACE_PATH, "feature whitening")
    with np.load(path) as stored:
        return stored["mean"], stored["whitening"]


def fit_space(features_before_relu, shrinkage: float = SHRINKAGE) -> tuple[np.ndarray, np.ndarray]:
    """The mean and whitening matrix of the "whitened" space, from real digits' features before the ReLU.

    Whitening = C_s^(-1/2) with C_s = (1 - shrinkage) C + shrinkage (tr C / d) I, C their covariance:
    every direction is measured in units of the real digits' spread along it, but never in units
    smaller than sqrt(shrinkage) times their average spread.
    """
    if not 0.0 <= shrinkage <= 1.0:
        raise ValueError(f"shrinkage is {shrinkage}; allowed: 0 (full whitening) to 1 (no whitening)")
    features = np.asarray(features_before_relu, np.float64)
    covariance = np.cov(features, rowvar=False)
    dims = covariance.shape[0]
    shrunk = (1.0 - shrinkage) * covariance + shrinkage * np.trace(covariance) / dims * np.eye(dims)
    values, vectors = np.linalg.eigh(shrunk)
    return features.mean(axis=0), (vectors / np.sqrt(values)) @ vectors.T


def embed(features_before_relu, space: str = SPACE) -> np.ndarray:
    """Features in ``space`` (one of :data:`SPACES`), from the judge's features before the ReLU."""
    if space not in SPACES:
        raise ValueError(f"space is {space!r}; allowed: " + ", ".join(repr(name) for name in SPACES))
    features = np.asarray(features_before_relu, np.float32)
    if space == "after_relu":
        return np.maximum(features, 0.0)
    if space == "before_relu":
        return features
    mean, whitening = load_space()
    return ((features - mean) @ whitening).astype(np.float32)


def judge_digits(images, batch_size: int = 500, space: str = SPACE) -> tuple[np.ndarray, np.ndarray]:
    """(features (N, 128) in ``space``, class probabilities (N, 10)) for model-range images (N, 28, 28, 1).

    ``space``: one of :data:`SPACES` (see the module's docstring); the probabilities do not depend on it.
    """
    if space not in SPACES:
        raise ValueError(f"space is {space!r}; allowed: " + ", ".join(repr(name) for name in SPACES))
    if not course.COUNT.accepts(batch_size):
        raise ValueError(f"batch_size is {batch_size!r}; allowed: {course.COUNT.allowed}")
    # 0-255 pixels are "recognized" with confidence: numbers that mean nothing, given without a word.
    images = data.model_range_images(images)
    if np.isnan(images).any():
        raise ValueError(f"images hold NaN in {int(np.isnan(images).any(axis=(1, 2, 3)).sum())} of {len(images)} "
                         "image(s); allowed: finite images in [-1, 1] (a generator that draws NaN has diverged)")
    run = sampling.inference_function(load_judge())   # predict's numbers, without its per-call pipeline
    outputs = [run(images[start:start + batch_size]) for start in range(0, len(images), batch_size)]
    before_relu, probabilities = (np.concatenate([np.asarray(output[k]) for output in outputs]) for k in (0, 1))
    return embed(before_relu, space), probabilities


def report() -> dict:
    """What ``data/train_judge.py`` measured when it trained the shipped judge."""
    return json.loads(REPORT_PATH.read_text())


def make_outliers(real_batch, seed=None):
    """Images that are not digits, made from a batch of real ones: uniform noise, the same digits with
    their pixels shuffled, smooth random blobs, and flat grey images (one quarter each)."""
    import tensorflow as tf

    n = tf.shape(real_batch)[0]
    quarter = n // 4
    noise = tf.random.uniform((quarter, 28, 28, 1), -1.0, 1.0)
    flat = tf.reshape(real_batch[:quarter], (quarter, 28 * 28))
    shuffled = tf.reshape(tf.transpose(tf.random.shuffle(tf.transpose(flat))), (quarter, 28, 28, 1))
    coarse = tf.random.uniform((quarter, 7, 7, 1), -1.0, 1.0)
    blobs = tf.clip_by_value(3.0 * tf.image.resize(coarse, (28, 28), method="bicubic"), -1.0, 1.0)
    grey = tf.ones((n - 3 * quarter, 28, 28, 1)) * tf.random.uniform((n - 3 * quarter, 1, 1, 1), -1.0, 1.0)
    return tf.concat([noise, shuffled, blobs, grey], axis=0)


def train_judge(train_images, train_labels, seed: int = 0, epochs: int = 15, verbose: int = 2):
    """Train a fresh judge on real digits, slightly shifted and rotated so that position does not fool it.

    Each batch also holds non-digits (``make_outliers``) whose target is the uniform distribution over
    the ten digits ("outlier exposure", Hendrycks et al., 2019): without them a classifier calls
    uniform noise a digit with high confidence, and every quality measure built on it would be fooled.
    """
    import keras
    import tensorflow as tf
    from keras import layers

    keras.utils.set_random_seed(seed)
    augment = keras.Sequential([layers.RandomRotation(0.04, fill_value=-1.0, seed=seed),
                                layers.RandomTranslation(0.1, 0.1, fill_value=-1.0, seed=seed)])

    def with_outliers(images, labels):
        outliers = make_outliers(images[:16])
        targets = tf.concat([tf.one_hot(labels, 10), tf.fill((tf.shape(outliers)[0], 10), 0.1)], axis=0)
        return tf.concat([augment(images, training=True), outliers], axis=0), targets

    dataset = (tf.data.Dataset.from_tensor_slices((train_images, train_labels))
               .shuffle(len(train_images), seed=seed).batch(64, drop_remainder=True)
               .map(with_outliers).prefetch(tf.data.AUTOTUNE))
    judge = build_judge()
    judge.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    judge.fit(dataset, epochs=epochs, verbose=verbose)
    return judge
