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


# Notebook 04's penalty: exercise 2 calls it with alpha=None and trains a critic with it inside a tf.function,
# so its check also asks for those, once the values are right.

def test_the_penalty_reference_passes_every_case_and_a_stub_is_not_attempted(capsys):
    exercises.check_one_sided_penalty(exercises.reference_one_sided_penalty)
    assert "one_sided_penalty: correct on all 7 cases." in capsys.readouterr().out
    exercises.check_one_sided_penalty(stub)
    assert "not attempted yet" in capsys.readouterr().out


def test_a_penalty_that_cannot_take_alpha_none_is_named():
    def needs_alpha(critic, real, fake, alpha):
        return exercises.reference_one_sided_penalty(critic, real, fake, alpha + 0.0)   # None + 0.0: TypeError
    with pytest.raises(ExerciseError, match="with alpha=None, as exercise 2 calls it, it raised"):
        exercises.check_one_sided_penalty(needs_alpha)


def test_a_penalty_that_takes_a_constant_weight_for_alpha_none_passes(capsys):
    # The None case tests that None is handled (any finite weights give the same interpolates there), not how.
    def halfway(critic, real, fake, alpha):
        return exercises.reference_one_sided_penalty(critic, real, fake, 0.5 if alpha is None else alpha)
    exercises.check_one_sided_penalty(halfway)
    assert "correct on all 7 cases" in capsys.readouterr().out


def test_a_penalty_in_numpy_is_named_as_not_in_tensorflow():
    def in_numpy(critic, real, fake, alpha):
        value = exercises.reference_one_sided_penalty(critic, real, fake, alpha)
        return float(np.asarray(value))   # right eagerly; inside a tf.function there is no array to take
    with pytest.raises(ExerciseError, match="inside a tf.function, where exercise 2 trains with it, it raised"):
        exercises.check_one_sided_penalty(in_numpy)


def test_a_penalty_without_a_gradient_for_the_weights_is_named():
    import tensorflow as tf

    def stopped(critic, real, fake, alpha):
        return tf.stop_gradient(exercises.reference_one_sided_penalty(critic, real, fake, alpha))
    with pytest.raises(ExerciseError, match="gives no gradient for the critic's weights"):
        exercises.check_one_sided_penalty(stopped)


def test_a_penalty_with_the_wrong_gradient_for_the_weights_is_named():
    import tensorflow as tf

    def constant_in_the_weights(critic, real, fake, alpha):
        value = exercises.reference_one_sided_penalty(critic, real, fake, alpha)
        # the right value, with a zero gradient for every weight
        return tf.stop_gradient(value) + 0.0 * tf.reduce_sum(critic(tf.convert_to_tensor(real, tf.float32)))
    with pytest.raises(ExerciseError, match=r"gradient for the critic's weights differs from the reference's"):
        exercises.check_one_sided_penalty(constant_in_the_weights)


def test_a_penalty_that_turns_alpha_none_into_nan_is_named():
    def nan_weights(critic, real, fake, alpha):
        return exercises.reference_one_sided_penalty(critic, real, fake, np.asarray(alpha, np.float32))
    with pytest.raises(ExerciseError, match=r"with alpha=None, on a fake batch equal to the real one .* gave nan"):
        exercises.check_one_sided_penalty(nan_weights)


def test_label_agreement_check_counts_a_probability_of_exactly_0_9_as_recognized():
    # The task says "probability >= 0.9"; an answer with > 0.9 is right everywhere but at the threshold.
    def strict(probabilities, labels):
        probabilities = np.asarray(probabilities)
        return float(np.mean((probabilities.max(axis=1) > 0.9) & (probabilities.argmax(axis=1) == labels)))
    with pytest.raises(ExerciseError, match="label_agreement: case 5"):
        exercises.check_label_agreement(strict)
    from ganlib import metrics
    exercises.check_label_agreement(metrics.label_agreement)
