"""Exercise checks fail on a wrong answer, say so clearly, and pass on the reference."""

import numpy as np
import pytest

from ganlib import data, exercises
from ganlib.exercises import ExerciseError


def test_reference_passes(capsys):
    assert exercises.check_to_model_range(data.to_model_range) is True
    assert "correct on all 3 cases" in capsys.readouterr().out


def test_not_attempted_is_not_an_error(capsys):
    def stub(pixels):
        raise NotImplementedError
    assert exercises.check_to_model_range(stub) is False
    assert "not attempted yet" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda p: np.asarray(p, np.float32) / 255.0, "case 1 .* gave \\[0. *, 0.5 *, 1. *\\], expected \\[-1"),
    (lambda p: None, "returned None"),
    (lambda p: np.zeros(5, np.float32), "case 1 gave shape \\(5,\\), expected \\(3,\\)"),
])
def test_wrong_answers_are_named(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        exercises.check_to_model_range(wrong)


def test_uint8_overflow_is_caught():
    # A classic bug: arithmetic in uint8 wraps around.
    with pytest.raises(ExerciseError, match="case 2"):
        exercises.check_to_model_range(lambda p: (np.asarray(p) / 127.5 - 1).astype(np.float32)
                                       if np.asarray(p).dtype != np.uint8 else (np.asarray(p) * 2 - 255).astype(np.float32))
