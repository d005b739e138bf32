"""Exercise checks fail on a wrong answer, say so clearly, and pass on the reference."""

import re

import numpy as np
import pytest
from scipy import stats

from ganlib import data, divergences, exercises
from ganlib.exercises import ExerciseError


def stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("check, reference", [
    (exercises.check_to_model_range, data.to_model_range),
    (exercises.check_jsd_slope, exercises.reference_jsd_slope),
    (exercises.check_optimal_discriminator_from_logs, exercises.reference_optimal_discriminator_from_logs),
])
def test_reference_passes_and_a_stub_is_not_attempted(check, reference, capsys):
    check(reference)
    assert re.search(r"correct on all \d+ cases", capsys.readouterr().out)
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


def test_right_values_in_float64_are_named_as_the_wrong_dtype():
    # The exercise asks for float32; pixels / 127.5 - 1 on a float64 array gives the right values in float64.
    with pytest.raises(ExerciseError, match="case 1 has the right values but dtype float64; expected float32"):
        exercises.check_to_model_range(lambda p: np.asarray(p) / 127.5 - 1.0)


def test_uint8_overflow_is_caught():
    # A classic bug: arithmetic in uint8 wraps around (0 * 2 - 255 wraps to 1, not -255).
    def in_uint8(pixels):
        pixels = np.asarray(pixels)
        return ((pixels * 2 - 255) / 255).astype(np.float32)
    with pytest.raises(ExerciseError, match="case 2"):
        exercises.check_to_model_range(in_uint8)


def test_jsd_slope_check_catches_a_coarse_one_sided_difference():
    def jsd(shift):
        return divergences.jensen_shannon(stats.norm(0, 1), stats.norm(shift, 1))
    with pytest.raises(ExerciseError, match="jsd_slope: case 1"):
        exercises.check_jsd_slope(lambda shift: (jsd(shift + 0.5) - jsd(shift)) / 0.5)


def test_optimal_discriminator_from_logs_check_catches_underflow():
    def naive(log_p_data, log_p_g):
        with np.errstate(invalid="ignore"):   # 0 / 0 is the mistake the check must catch
            return np.exp(log_p_data) / (np.exp(log_p_data) + np.exp(log_p_g))
    with pytest.raises(ExerciseError, match=r"optimal_discriminator_from_logs: case 2 .* gave \[nan, nan\]"):
        exercises.check_optimal_discriminator_from_logs(naive)
