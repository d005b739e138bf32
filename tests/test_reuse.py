"""ganlib.reuse: a GAN reset to a fresh build's state trains exactly as that fresh build does."""

import numpy as np
import pytest
from conftest import stand_in_gan

from ganlib import reuse, training

SETTINGS = dict(ema_decay=0.999, learning_rate=2e-3, beta_1=0.5)


def train(gan, images, seed):
    training.train(gan, images, steps=6, batch_size=16, seed=seed, snapshots=2, verbose=0)


def same_weights(a, b) -> bool:
    """Whether two GANs hold equal arrays in every trained weight (reuse.trained_weights)."""
    return all(np.array_equal(x, y) for x, y in zip(reuse.trained_weights(a), reuse.trained_weights(b), strict=True))


def test_a_reset_gan_trains_bit_for_bit_as_a_fresh_one_and_without_the_reset_it_does_not(bundled):
    images = bundled.images[:128]
    used = stand_in_gan(weights_seed=0, seed=0, **SETTINGS)
    train(used, images, seed=0)                                   # its train step is now traced
    fresh = stand_in_gan(weights_seed=1, seed=1, **SETTINGS)
    train(fresh, images, seed=1)

    # The networks' weights alone are not the state: the optimizers' moments and the noise seed carry over.
    weights_only = stand_in_gan(weights_seed=0, seed=0, **SETTINGS)
    train(weights_only, images, seed=0)
    start = stand_in_gan(weights_seed=1, seed=1, **SETTINGS)
    for target, source in ((weights_only.generator, start.generator), (weights_only.discriminator, start.discriminator),
                           (weights_only.ema_generator, start.ema_generator)):
        target.set_weights(source.get_weights())
    train(weights_only, images, seed=1)
    assert not same_weights(fresh, weights_only)

    reuse.reset_like(used, stand_in_gan(weights_seed=1, seed=1, **SETTINGS))
    assert used.seed == 1
    train(used, images, seed=1)
    assert int(used.g_optimizer.iterations.numpy()) == int(fresh.g_optimizer.iterations.numpy()) == 6
    assert same_weights(fresh, used)


def test_compiled_gans_keeps_the_first_gan_per_key_and_resets_it_for_the_next(bundled):
    compiled = reuse.CompiledGANs()
    first = stand_in_gan(weights_seed=0, seed=0, **SETTINGS)
    assert compiled.use("stand-in", first) is first and len(compiled) == 1
    train(first, bundled.images[:128], seed=0)
    second = stand_in_gan(weights_seed=1, seed=1, **{**SETTINGS, "learning_rate": 4e-3})
    assert compiled.use("stand-in", second) is first and len(compiled) == 1
    assert int(first.g_optimizer.iterations.numpy()) == 0
    assert float(first.d_optimizer.learning_rate.numpy()) == pytest.approx(4e-3)
    assert same_weights(first, second)
    other = stand_in_gan(weights_seed=2, seed=2, **SETTINGS)
    assert compiled.use("another", other) is other and len(compiled) == 2


def test_gans_that_compile_different_steps_are_refused():
    with pytest.raises(ValueError, match=r"different train steps .*'ema_decay': \(0.999, 0.99\).*allowed: GANs built "
                                         r"with the same settings"):
        reuse.reset_like(stand_in_gan(**SETTINGS), stand_in_gan(**{**SETTINGS, "ema_decay": 0.99}))
    with pytest.raises(ValueError):   # the same settings, but networks of another size
        reuse.reset_like(stand_in_gan(**SETTINGS), stand_in_gan(hidden=32, **SETTINGS))


def test_a_warmed_up_first_gan_is_put_back_and_trains_as_a_fresh_one(bundled):
    images = bundled.images[:128]
    fresh = stand_in_gan(weights_seed=3, seed=3, **SETTINGS)
    train(fresh, images, seed=3)
    warmed_steps = []

    def warm_up(gan):
        train(gan, images, seed=9)
        warmed_steps.append(int(gan.g_optimizer.iterations.numpy()))

    compiled = reuse.CompiledGANs()
    first = stand_in_gan(weights_seed=3, seed=3, **SETTINGS)
    assert compiled.use("stand-in", first, warm_up=warm_up) is first
    assert warmed_steps == [6] and int(first.g_optimizer.iterations.numpy()) == 0
    train(first, images, seed=3)
    assert same_weights(fresh, first)
    # A key already compiled is not warmed up again.
    compiled.use("stand-in", stand_in_gan(weights_seed=4, seed=4, **SETTINGS), warm_up=warm_up)
    assert warmed_steps == [6]


def test_a_gan_of_another_class_is_refused(bundled):
    class Other(training.GAN):
        pass

    used, other = stand_in_gan(**SETTINGS), stand_in_gan(**SETTINGS)
    other.__class__ = Other
    with pytest.raises(ValueError, match=r"'class': \('GAN', 'Other'\)"):
        reuse.reset_like(used, other)
