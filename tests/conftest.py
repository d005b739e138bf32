"""Shared fixtures, and the stand-in networks that tests train instead of the course's larger ones.

Test files import the builders directly (``from conftest import stand_in_gan``): they are plain
functions, so a test can build as many networks as it needs, each with other settings.
"""

import contextlib
import gc
import importlib.util
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

LATENT = 8   # the stand-ins' noise size: small enough to train in milliseconds
ROOT = Path(__file__).resolve().parents[1]


def load_script(relative_path: str):
    """A script of the repository (``"benchmarks/levers.py"``) imported as a module named after its file."""
    path = ROOT / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module        # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def bundled():
    from ganlib.data import load_digits

    return load_digits("bundled", verbose=False)


def stand_in_generator(latent_dim: int = LATENT, hidden: int = 0, num_classes: int | None = None,
                       zeros: bool = False, name: str = "stand_in_generator"):
    """A generator with the course's contract: noise (and a digit) -> (N, 28, 28, 1) in [-1, 1].

    ``hidden`` > 0 puts Dense(hidden), batch norm and ReLU in front (state a checkpoint must carry);
    ``num_classes`` makes it conditional (inputs [noise, digit], the digit embedded);
    ``zeros`` starts every weight at zero: it draws the same grey image for every noise vector.
    """
    import keras
    from keras import layers

    noise = keras.Input((latent_dim,))
    inputs, features = noise, noise
    if num_classes is not None:
        label = keras.Input((), dtype="int32")
        inputs = [noise, label]
        features = layers.Concatenate()([noise, layers.Embedding(num_classes, latent_dim)(label)])
    if hidden:
        features = layers.ReLU()(layers.BatchNormalization()(layers.Dense(hidden)(features)))
    pixels = layers.Dense(28 * 28, activation="tanh", kernel_initializer="zeros" if zeros else "glorot_uniform")(features)
    return keras.Model(inputs, layers.Reshape((28, 28, 1))(pixels), name=name)


def stand_in_discriminator(hidden: int = 16, num_classes: int | None = None, name: str = "stand_in_discriminator"):
    """A discriminator (or critic): image (and digit) -> one unbounded score per image."""
    import keras
    from keras import layers

    image = keras.Input((28, 28, 1))
    features = layers.LeakyReLU(0.2)(layers.Dense(hidden)(layers.Flatten()(image)))
    score = layers.Dense(1)(features)
    if num_classes is None:
        return keras.Model(image, score, name=name)
    # A projection discriminator: the score plus <embedding(digit), features>.
    label = keras.Input((), dtype="int32")
    projection = layers.Dot(axes=1)([layers.Embedding(num_classes, hidden)(label), features])
    return keras.Model([image, label], layers.Add()([score, projection]), name=name)


def stand_in_gan(generator=None, discriminator=None, *, hidden: int = 64, num_classes: int | None = None,
                 learning_rate: float = 1e-3, optimizer: str = "adam", beta_1: float = 0.9,
                 jit_compile: bool = False, run_eagerly: bool = False, weights_seed: int = 0, **gan_settings):
    """A compiled ``training.GAN`` of stand-in networks, built from ``keras.utils.set_random_seed(weights_seed)``.

    ``gan_settings`` go to ``training.GAN`` (loss, n_critic, ema_decay, seed, ...; ``seed`` defaults to 0).
    ``run_eagerly`` skips tracing the train step: a few steps take a fraction of a second instead of seconds.
    """
    import keras

    from ganlib import training

    keras.utils.set_random_seed(weights_seed)
    generator = generator or stand_in_generator(hidden=hidden, num_classes=num_classes)
    discriminator = discriminator or stand_in_discriminator(num_classes=num_classes)
    gan = training.GAN(generator, discriminator, latent_dim=generator.inputs[0].shape[-1],
                       num_classes=num_classes, **{"seed": 0, **gan_settings})

    def make():
        if optimizer == "adam":
            return keras.optimizers.Adam(learning_rate, beta_1=beta_1)
        return keras.optimizers.get({"class_name": optimizer, "config": {"learning_rate": learning_rate}})
    gan.compile(g_optimizer=make(), d_optimizer=make(), jit_compile=jit_compile, run_eagerly=run_eagerly)
    return gan


@contextlib.contextmanager
def garbage_left_behind():
    """A reference cycle, as an earlier run's networks and graphs leave behind, that only an explicit
    ``gc.collect()`` frees: the automatic collector is off inside the block. Yields a list that holds
    True once the cycle has been freed."""
    freed = []

    class Cycle:
        def __del__(self):
            freed.append(True)

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        cycle = Cycle()
        cycle.itself = cycle
        del cycle
        yield freed
    finally:
        if was_enabled:
            gc.enable()
