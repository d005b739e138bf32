"""Notebook 05 writes out how digits are counted (``count_digits``): over recognized samples only,
"not a digit" being the rest. ganlib.metrics counts them the same way for every notebook."""

from pathlib import Path

import numpy as np
import pytest

from ganlib import metrics
from tests.notebook_cells import teaching_namespace

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05_failure_modes.ipynb"


@pytest.fixture(scope="module")
def count_digits():
    return teaching_namespace(NOTEBOOK)["count_digits"]


def test_a_hand_counted_case(count_digits):
    uniform = np.full(10, 0.1)
    unsure_five = np.full(10, 0.11 / 9)
    unsure_five[5] = 0.89                     # just below the 0.9 threshold: not a digit
    probabilities = np.stack([np.eye(10)[3], np.eye(10)[3], np.eye(10)[7], uniform, unsure_five, uniform])
    counts, unrecognized = count_digits(probabilities)
    assert counts.tolist() == [0, 0, 0, 2, 0, 0, 0, 1, 0, 0]
    assert unrecognized == pytest.approx(0.5)


@pytest.mark.parametrize("confident_share", [0.0, 0.3, 1.0])
def test_the_notebooks_counts_are_ganlibs(count_digits, confident_share):
    rng = np.random.default_rng(0)
    n = 400
    confident = rng.random(n) < confident_share
    # Confident rows put 0.95 on one digit; the others are spread out (Dirichlet with all ones).
    peaked = 0.05 / 9 + np.eye(10)[rng.integers(0, 10, n)] * (0.95 - 0.05 / 9)
    probabilities = np.where(confident[:, None], peaked, rng.dirichlet(np.ones(10), n))
    counts, unrecognized = count_digits(probabilities)
    np.testing.assert_array_equal(counts, metrics.class_histogram(probabilities))
    assert unrecognized == pytest.approx(metrics.unrecognized_share(probabilities))
    assert counts.sum() == round(n * (1 - unrecognized))
