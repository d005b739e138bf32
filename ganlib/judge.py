"""The digit judge: a small CNN trained on real digits that scores generated ones.

Losses do not say whether a GAN draws good digits; a classifier trained on real digits can. The judge
is trained once, with a fixed seed, on the training split of the bundled digits (``data/train_judge.py``
retrains it) and ships as ``data/judge.keras`` with its sha256, which every load checks. Its
128-number penultimate layer ("features") is the feature space of the Frechet distance and of
precision and recall in ``ganlib.metrics``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
JUDGE_PATH = DATA_DIR / "judge.keras"
CHECKSUM_PATH = DATA_DIR / "judge.sha256"
REPORT_PATH = DATA_DIR / "judge.json"
FEATURES = "features"


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


@functools.lru_cache(maxsize=None)
def load_judge(path: str | None = None):
    """Load the judge (checksum first, then Keras' safe mode) as a model returning (features, probabilities)."""
    import keras

    path = Path(path) if path else JUDGE_PATH
    if not path.is_file():
        raise JudgeError(f"the digit judge's weights are not at {path}: use a checkout of the course "
                         "(pip install -e .), or retrain them with `python data/train_judge.py`")
    expected = CHECKSUM_PATH.read_text().split()[0] if path == JUDGE_PATH else None
    if expected and sha256_of(path) != expected:
        raise JudgeError(f"{path} fails its checksum ({CHECKSUM_PATH.name}): the file is damaged or was "
                         "replaced; restore it with `git checkout data/` or retrain it with "
                         "`python data/train_judge.py`")
    judge = keras.models.load_model(path, compile=False, safe_mode=True)
    features = judge.get_layer(FEATURES).output
    probabilities = keras.layers.Softmax()(judge.get_layer("logits").output)
    return keras.Model(judge.inputs, [features, probabilities], name="judge_with_features")


def judge_digits(images, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """(features (N, 128), class probabilities (N, 10)) for model-range images (N, 28, 28, 1)."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1:] != (28, 28, 1):
        raise ValueError(f"images have shape {images.shape}; the judge takes (N, 28, 28, 1) in [-1, 1]")
    features, probabilities = load_judge().predict(images, batch_size=batch_size, verbose=0)
    return features, probabilities


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
