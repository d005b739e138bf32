"""benchmarks/compile_reuse.py: a GAN reset to a fresh build's state trains exactly as that fresh build does."""

import numpy as np
import pytest

from conftest import load_script, stand_in_gan


@pytest.fixture(scope="module")
def probe():
    load_script("benchmarks/time_to_quality.py")   # the probe imports its helpers as a sibling module
    return load_script("benchmarks/compile_reuse.py")


def train(gan, images, seed):
    from ganlib import training

    training.train(gan, images, steps=6, batch_size=16, seed=seed, snapshots=2, verbose=0)


def test_a_reset_gan_trains_bit_for_bit_as_a_fresh_one_and_without_the_reset_it_does_not(probe, bundled):
    images = bundled.images[:128]
    settings = dict(ema_decay=0.999, learning_rate=2e-3, beta_1=0.5)
    used = stand_in_gan(weights_seed=0, seed=0, **settings)
    train(used, images, seed=0)                                   # its train step is now traced
    fresh = stand_in_gan(weights_seed=1, seed=1, **settings)
    train(fresh, images, seed=1)

    # The networks' weights alone are not the state: the optimizers' moments and the noise seed carry over.
    weights_only = stand_in_gan(weights_seed=0, seed=0, **settings)
    train(weights_only, images, seed=0)
    start = stand_in_gan(weights_seed=1, seed=1, **settings)
    for target, source in ((weights_only.generator, start.generator), (weights_only.discriminator, start.discriminator),
                           (weights_only.ema_generator, start.ema_generator)):
        target.set_weights(source.get_weights())
    train(weights_only, images, seed=1)
    assert not all(np.array_equal(a, b)
                   for a, b in zip(probe.trained_weights(fresh), probe.trained_weights(weights_only)))

    probe.reset_like(used, stand_in_gan(weights_seed=1, seed=1, **settings))
    train(used, images, seed=1)
    assert int(used.g_optimizer.iterations.numpy()) == int(fresh.g_optimizer.iterations.numpy()) == 6
    assert all(np.array_equal(a, b) for a, b in zip(probe.trained_weights(fresh), probe.trained_weights(used)))
