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
