"""Sampling a generator: the noise a seed fixes, and the digits a conditional generator is asked for."""

import numpy as np
import pytest
from conftest import stand_in_generator

from ganlib import sampling


@pytest.fixture(scope="module")
def generators():
    return stand_in_generator(), stand_in_generator(num_classes=10)


def test_samples_follow_the_array_contract_and_the_seed(generators):
    plain, conditional = generators
    first = sampling.sample_generator(plain, 5, seed=3)
    assert first.shape == (5, 28, 28, 1) and first.dtype == np.float32
    np.testing.assert_array_equal(first, sampling.sample_generator(plain, 5, seed=3))
    assert sampling.sample_generator(conditional, 10, labels=sampling.balanced_labels(10)).shape == (10, 28, 28, 1)


@pytest.mark.parametrize("recipe", ["dcgan", "conditional"])
def test_samples_are_keras_predicts_bit_for_bit_in_every_batch_split(recipe):
    # sample_generator calls one traced graph instead of predict (which builds a tf.data pipeline per
    # call); the images must not move, for whole batches, a partial last one and a single image.
    from ganlib import recipes

    gan = recipes.build(recipe, seed=0, jit_compile=False)
    for network in (gan.generator, gan.sampler):
        for n, batch_size in ((1234, 500), (7, 500), (1, 500)):
            noise = sampling.seeded_noise(n, sampling.latent_dim_of(network), seed=n)
            labels = sampling.balanced_labels(n) if recipe == "conditional" else None
            expected = network.predict(sampling.generator_inputs(noise, labels), batch_size=batch_size, verbose=0)
            drawn = sampling.sample_generator(network, n, seed=n, labels=labels, batch_size=batch_size)
            np.testing.assert_array_equal(drawn, np.clip(expected, -1.0, 1.0))
    assert not np.array_equal(drawn, sampling.sample_generator(gan.generator, 1, seed=2, labels=labels))


@pytest.mark.parametrize("n, labels, message", [
    (0, None, "n is 0; allowed: an integer >= 1"),
    (2.5, None, "n is 2.5; allowed: an integer >= 1"),
    (3, "conditional: none", "needs one digit 0-9 per image: labels of shape \\(3,\\); got none"),
    (3, [0, 1], "labels have shape \\(2,\\); allowed: one digit per image, shape \\(3,\\)"),
    (3, [0, 1, 12], "labels hold \\[12\\]; allowed: whole numbers 0 to 9"),
    (3, [0, 1, 2.5], "labels hold \\[2.5\\]; allowed: whole numbers 0 to 9"),   # used to draw a 2
])
def test_requests_that_cannot_be_drawn_are_named(generators, n, labels, message):
    # These used to reach Keras and come back as its errors (an empty batch, a cardinality, an embedding index).
    plain, conditional = generators
    generator = plain if labels is None else conditional
    labels = None if labels == "conditional: none" else labels
    with pytest.raises(ValueError, match=message):
        sampling.sample_generator(generator, n, labels=labels)


def test_an_unconditional_generator_refuses_digits(generators):
    # Keras used to drop the labels with a warning, so the caller got random digits it believed it had chosen.
    plain, _ = generators
    with pytest.raises(ValueError, match="unconditional .* cannot be asked for digits; allowed: labels=None"):
        sampling.sample_generator(plain, 3, labels=[1, 2, 3])


def test_a_whole_gan_a_discriminator_and_a_missing_seed_are_named():
    from conftest import stand_in_gan

    gan = stand_in_gan(run_eagerly=True)
    with pytest.raises(ValueError, match=r"generator is a whole GAN .* gan.sampler"):
        sampling.sample_generator(gan, 4)
    with pytest.raises(ValueError, match=r"generator is not a digit generator"):
        sampling.sample_generator(gan.discriminator, 4)
    with pytest.raises(ValueError, match=r"seed is None; allowed: an integer from 0"):
        sampling.sample_generator(gan.sampler, 4, seed=None)
    with pytest.raises(ValueError, match=r"batch_size is 0; allowed: an integer >= 1"):
        sampling.sample_generator(gan.sampler, 4, batch_size=0)
