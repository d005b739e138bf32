"""Exercise checks fail on a wrong answer, say so clearly, and pass on the reference."""

import numpy as np
import pytest

from ganlib import data, exercises
from ganlib.exercises import ExerciseError


def stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("check, reference", [
    (exercises.check_to_model_range, data.to_model_range),
    (exercises.check_optimal_discriminator, exercises.reference_optimal_discriminator),
    (exercises.check_value_function, exercises.reference_value_function),
])
def test_reference_passes_and_a_stub_is_not_attempted(check, reference, capsys):
    check(reference)
    assert "correct on all 3 cases" in capsys.readouterr().out
    check(stub)
    assert "not attempted yet" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda p: np.asarray(p, np.float32) / 255.0, r"case 1 .* gave \[0. *, 0.5 *, 1. *\], expected \[-1"),
    (lambda p: None, "returned None"),
    (lambda p: np.zeros(5, np.float32), r"case 1 gave shape \(5,\), expected \(3,\)"),
])
def test_wrong_answers_are_named(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        exercises.check_to_model_range(wrong)


def test_uint8_overflow_is_caught():
    # A classic bug: arithmetic in uint8 wraps around (0 * 2 - 255 wraps to 1, not -255).
    def in_uint8(pixels):
        pixels = np.asarray(pixels)
        return ((pixels * 2 - 255) / 255).astype(np.float32)
    with pytest.raises(ExerciseError, match="case 2"):
        exercises.check_to_model_range(in_uint8)


def test_value_function_check_catches_a_sign_error():
    with pytest.raises(ExerciseError, match="value_function: case 1"):
        exercises.check_value_function(lambda r, f: -(np.mean(np.log(r)) + np.mean(np.log(1 - f))))


def test_value_function_check_catches_a_pooled_mean():
    # Averaging over real and fake together is wrong when the batches differ in size.
    pooled = lambda r, f: np.mean(np.concatenate([np.log(r), np.log(1 - f)])) * 2  # noqa: E731
    with pytest.raises(ExerciseError, match="value_function: case 2"):
        exercises.check_value_function(pooled)


def test_optimal_discriminator_check_catches_the_inverted_ratio():
    with pytest.raises(ExerciseError, match="optimal_discriminator: case 1"):
        exercises.check_optimal_discriminator(lambda a, b: np.asarray(b) / (np.asarray(a) + np.asarray(b)))
