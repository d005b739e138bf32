"""Checks for the notebooks' exercises, and the reference solutions instructors can read.

An exercise cell holds a function for the learner to write; the check cell after it calls one of
the ``check_*`` functions here. A check says "not attempted yet" while the function still raises
``NotImplementedError``, raises :class:`ExerciseError` naming the first input where the answer is
wrong, and prints how many cases passed when it is right.
"""

from __future__ import annotations

import numpy as np

from ganlib import data, losses, metrics


class ExerciseError(AssertionError):
    """The learner's answer disagrees with the reference; the message says where and by how much."""


def check_function(name: str, candidate, reference, cases, atol: float = 1e-5, rtol: float = 1e-4) -> None:
    """Compare ``candidate(*case)`` with ``reference(*case)`` for every case, and say how it went."""
    for number, case in enumerate(cases, start=1):
        try:
            answer = candidate(*case)
        except NotImplementedError:
            print(f"{name}: not attempted yet. Write it in the cell above, run that cell, then this one.")
            return
        expected = np.asarray(reference(*case))
        if answer is None:
            raise ExerciseError(f"{name} returned None for case {number}: it should return a value")
        answer = np.asarray(answer)
        if answer.shape != expected.shape:
            raise ExerciseError(f"{name}: case {number} gave shape {answer.shape}, expected {expected.shape}")
        if not np.allclose(answer, expected, atol=atol, rtol=rtol, equal_nan=False):
            gap = np.max(np.abs(answer.astype(float) - expected.astype(float)))
            raise ExerciseError(
                f"{name}: case {number} ({_describe(case)}) gave {_short(answer)}, expected "
                f"{_short(expected)} (largest difference {gap:.3g}, tolerance {atol:g} + {rtol:g} x |expected|)")
    print(f"{name}: correct on all {len(cases)} cases.")


# Notebook 00 -----------------------------------------------------------------------------------

def check_to_model_range(candidate) -> None:
    cases = [
        (np.array([0.0, 127.5, 255.0]),),
        (np.array([[0, 255], [51, 204]], dtype=np.uint8),),
        (np.arange(256, dtype=np.uint8).reshape(16, 16),),
    ]
    # The reference solution is ganlib.data.to_model_range.
    check_function("to_model_range", candidate, data.to_model_range, cases, atol=1e-6)


# Notebook 01 -----------------------------------------------------------------------------------

def reference_optimal_discriminator(p_data_values, p_g_values):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x))."""
    p_data_values, p_g_values = np.asarray(p_data_values, float), np.asarray(p_g_values, float)
    return p_data_values / (p_data_values + p_g_values)


def check_optimal_discriminator(candidate) -> None:
    cases = [
        (np.array([1.0, 0.0, 0.3]), np.array([1.0, 0.5, 0.0])),
        (np.array([0.2, 0.05]), np.array([0.6, 0.05])),
        (np.linspace(0.1, 1, 5), np.linspace(1, 0.1, 5)),
    ]
    check_function("optimal_discriminator", candidate, reference_optimal_discriminator, cases)


def reference_value_function(d_real, d_fake):
    """V = mean(log D(x)) + mean(log(1 - D(G(z))))."""
    return np.mean(np.log(d_real)) + np.mean(np.log1p(-np.asarray(d_fake, float)))


def check_value_function(candidate) -> None:
    cases = [
        (np.full(4, 0.5), np.full(4, 0.5)),                  # a coin-flip D: -log 4
        (np.array([0.9, 0.8, 0.99]), np.array([0.1, 0.3])),  # batches of different sizes
        (np.array([0.6]), np.array([0.95, 0.9, 0.2, 0.5])),
    ]
    check_function("value_function", candidate, reference_value_function, cases)


# Notebook 02 -----------------------------------------------------------------------------------

def check_discriminator_loss(candidate) -> None:
    cases = [
        (np.zeros(4), np.zeros(4)),                            # even odds: 2 log 2
        (np.array([2.0, -1.0, 0.5]), np.array([-3.0, 0.2])),
        (np.array([-200.0, 30.0]), np.array([200.0, -50.0])),  # a very sure, very wrong D: still finite
    ]
    # The reference solution is ganlib.losses.discriminator_loss.
    reference = lambda real, fake: losses.discriminator_loss(np.float32(real), np.float32(fake))  # noqa: E731
    check_function("discriminator_loss", candidate, reference, cases)


# Notebook 03 -----------------------------------------------------------------------------------

def reference_lerp(z0, z1, t):
    return (1.0 - t) * np.asarray(z0, float) + t * np.asarray(z1, float)


def check_lerp(candidate) -> None:
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal(100), rng.standard_normal(100)
    cases = [(z0, z1, 0.0), (z0, z1, 1.0), (z0, z1, 0.3), (np.zeros(3), np.ones(3), 0.5)]
    check_function("lerp", candidate, reference_lerp, cases)


# Notebook 04 -----------------------------------------------------------------------------------

def check_penalty_from_norms(candidate) -> None:
    cases = [(np.ones(8),), (np.array([0.0, 2.0]),), (np.array([0.5, 1.5, 3.0, 1.0]),)]
    # The reference solution is ganlib.losses.penalty_from_norms.
    reference = lambda norms: losses.penalty_from_norms(np.float32(norms))  # noqa: E731
    check_function("penalty_from_norms", candidate, reference, cases)


# Notebook 05 -----------------------------------------------------------------------------------

def check_classifier_score(candidate) -> None:
    rng = np.random.default_rng(0)
    peaked = rng.dirichlet(np.full(10, 0.1), size=200)
    cases = [(np.eye(10)[np.arange(100) % 10],), (np.full((20, 10), 0.1),), (peaked,)]
    check_function("classifier_score", candidate, metrics.classifier_score, cases, atol=1e-4, rtol=1e-4)


# Notebook 07 -----------------------------------------------------------------------------------

def check_label_agreement(candidate) -> None:
    rng = np.random.default_rng(0)
    unsure = rng.dirichlet(np.ones(10), size=50)
    cases = [(np.eye(10)[[3, 3, 7, 1]], np.array([3, 5, 7, 1])),
             # an unsure row agrees with no request, even where its most likely class is the one asked for
             (unsure, unsure.argmax(axis=1)),
             (np.eye(10)[[3, 3, 7, 1]] * 0.5 + 0.05, np.array([3, 5, 7, 1])),
             (np.concatenate([np.eye(10)[[2, 4]], unsure[:2]]), np.array([2, 4, 0, 0]))]
    # The reference solution is ganlib.metrics.label_agreement: recognized (max >= 0.9) and the requested digit.
    check_function("label_agreement", candidate, metrics.label_agreement, cases)


# Notebook 08 -----------------------------------------------------------------------------------

def check_masked_mse(candidate) -> None:
    from ganlib import repair

    rng = np.random.default_rng(0)
    images, targets = rng.uniform(-1, 1, (2, 3, 28, 28, 1)).astype(np.float32)
    cases = [(images, targets, repair.make_mask("bottom_half")),
             (images, targets, repair.make_mask("centre_square")),
             (images, images, repair.make_mask("left_half"))]
    # The reference solution is ganlib.repair.masked_mse.
    check_function("masked_mse", candidate, repair.masked_mse, cases)


def _describe(case) -> str:
    return ", ".join(_short(np.asarray(arg)) for arg in case)


def _short(array: np.ndarray) -> str:
    if array.size <= 6:
        return np.array2string(array, precision=4, separator=", ")
    return f"array of shape {array.shape}, first values {np.array2string(array.ravel()[:4], precision=4, separator=', ')}"
