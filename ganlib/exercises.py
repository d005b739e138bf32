"""Checks for the notebooks' exercises, and the reference solutions instructors can read.

An exercise cell holds a function for the learner to write; the check cell after it calls one of
the ``check_*`` functions here. A check says "not attempted yet" while the function still raises
``NotImplementedError``, raises :class:`ExerciseError` naming the first input where the answer is
wrong, and prints how many cases passed when it is right.
"""

from __future__ import annotations

import math

import numpy as np

from ganlib import data, losses, metrics
from ganlib.i18n import message


class ExerciseError(AssertionError):
    """The learner's answer disagrees with the reference; the message says where and by how much."""


def check_function(name: str, candidate, reference, cases, atol: float = 1e-5, rtol: float = 1e-4,
                   dtype=None, further_checks=()) -> None:
    """Compare ``candidate(*case)`` with ``reference(*case)`` for every case, and say how it went.

    With ``dtype``, an answer with the right values but another type is wrong too (after the values,
    so a learner fixes those first). ``further_checks``: functions of (name, candidate), run once the
    values are right, each raising :class:`ExerciseError` for what the cases cannot test (how the
    answer is written, say); each counts as one case.

    The messages come from ganlib.i18n's table, in the reader's language (Chinese in notebooks/zh/).
    """
    for number, case in enumerate(cases, start=1):
        try:
            answer = candidate(*case)
        except NotImplementedError:
            print(message("not_attempted", name=name))
            return
        expected = np.asarray(reference(*case))
        if answer is None:
            raise ExerciseError(message("returned_none", name=name, case=number))
        answer = np.asarray(answer)
        if answer.shape != expected.shape:
            raise ExerciseError(message("wrong_shape", name=name, case=number, got=answer.shape,
                                        expected=expected.shape))
        if not np.allclose(answer, expected, atol=atol, rtol=rtol, equal_nan=False):
            gap = np.max(np.abs(answer.astype(float) - expected.astype(float)))
            raise ExerciseError(message("wrong_value", name=name, case=number, inputs=_describe(case),
                                        got=_short(answer), expected=_short(expected), gap=f"{gap:.3g}",
                                        atol=f"{atol:g}", rtol=f"{rtol:g}"))
        if dtype is not None and answer.dtype != np.dtype(dtype):
            raise ExerciseError(message("wrong_dtype", name=name, case=number, got=answer.dtype,
                                        expected=np.dtype(dtype)))
    for further_check in further_checks:
        further_check(name, candidate)
    print(message("correct", name=name, count=len(cases) + len(further_checks)))


# Notebook 00 -----------------------------------------------------------------------------------

def check_to_model_range(candidate) -> None:
    cases = [
        (np.array([0.0, 127.5, 255.0]),),
        (np.array([[0, 255], [51, 204]], dtype=np.uint8),),
        (np.arange(256, dtype=np.uint8).reshape(16, 16),),
    ]
    # The reference solution is ganlib.data.to_model_range. float32 because the networks compute in it:
    # a float64 batch would be converted on every call.
    check_function("to_model_range", candidate, data.to_model_range, cases, atol=1e-6, dtype=np.float32)


# Notebook 01 -----------------------------------------------------------------------------------

def reference_jsd_slope(shift):
    """d/ds JSD(N(0, 1) || N(s, 1)), from the derivative under the integral sign.

    Differentiating JSD = KL(p || m) / 2 + KL(q || m) / 2 with respect to q's mean, the terms in
    dm/ds integrate to zero and what is left is (1/2) E_q[(x - s) log(q(x) / m(x))].
    """
    from scipy import integrate, stats

    p, q = stats.norm(0.0, 1.0), stats.norm(float(shift), 1.0)

    def integrand(x):
        log_p, log_q = p.logpdf(x), q.logpdf(x)
        log_m = np.logaddexp(log_p, log_q) - np.log(2.0)
        return 0.5 * (x - shift) * np.exp(log_q) * (log_q - log_m)
    return integrate.quad(integrand, -60.0, 60.0, limit=500, points=sorted({0.0, float(shift)}))[0]


def check_jsd_slope(candidate) -> None:
    # A central difference of the JSD with a step of 1e-3 to 1e-2 lands well inside these tolerances;
    # a one-sided difference with a coarse step does not.
    cases = [(0.5,), (2.0,), (4.0,), (8.0,)]
    check_function("jsd_slope", candidate, reference_jsd_slope, cases, atol=1e-7, rtol=1e-3)


def reference_optimal_discriminator_from_logs(log_p_data, log_p_g):
    """D* = p_data / (p_data + p_g) = sigmoid(log p_data - log p_g): finite where both densities underflow."""
    from scipy import special

    return special.expit(np.asarray(log_p_data, float) - np.asarray(log_p_g, float))


def check_optimal_discriminator_from_logs(candidate) -> None:
    cases = [
        (np.log([0.3, 0.05, 0.2]), np.log([0.1, 0.05, 0.6])),   # ordinary densities
        (np.array([-1000.0, -1010.0]), np.array([-1010.0, -1000.0])),   # both underflow to 0 as densities
        (np.array([-2.0, -900.0]), np.array([-900.0, -2.0])),   # one side vanishes entirely
    ]
    check_function("optimal_discriminator_from_logs", candidate, reference_optimal_discriminator_from_logs, cases)


# Notebook 02 -----------------------------------------------------------------------------------

def check_smoothed_discriminator_loss(candidate) -> None:
    cases = [
        (np.zeros(4), np.zeros(4), 0.0),                            # even odds, no smoothing: 2 log 2
        (np.array([2.0, -1.0, 0.5]), np.array([-3.0, 0.2]), 0.1),
        (np.array([3.0, 4.0]), np.array([-2.0, 1.0, 0.0]), 0.2),   # batches of different sizes
        (np.array([-200.0, 30.0]), np.array([200.0, -50.0]), 0.1),  # a very sure, very wrong D: still finite
    ]
    # Called with label_smoothing=smoothing, the reference solution is ganlib.losses.discriminator_loss.
    check_function("smoothed_discriminator_loss", candidate,
                   lambda real, fake, smoothing: losses.discriminator_loss(np.float32(real), np.float32(fake),
                                                                           label_smoothing=smoothing), cases)


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


def _input_gradient_norms(critic, points):
    """||d critic / d input|| for each sample of ``points``."""
    import tensorflow as tf

    points = tf.convert_to_tensor(points, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(points)
        scores = critic(points, training=True)
    gradients = tape.gradient(scores, points).numpy()
    return np.sqrt(np.sum(np.square(gradients.reshape(len(gradients), -1)), axis=1))


def reference_one_sided_penalty(critic, real, fake, alpha):
    """mean over samples of max(0, ||grad f(x_hat)|| - 1)^2, with x_hat = real + alpha * (fake - real).

    In TensorFlow, as exercise 2 needs (it trains a critic with this inside a ``tf.function``);
    ``alpha`` None draws one uniform weight per sample.
    """
    import tensorflow as tf

    real, fake = tf.convert_to_tensor(real, tf.float32), tf.convert_to_tensor(fake, tf.float32)
    if alpha is None:
        alpha = tf.random.uniform([tf.shape(real)[0]] + [1] * (len(real.shape) - 1))
    x_hat = real + tf.convert_to_tensor(alpha, tf.float32) * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        scores = critic(x_hat, training=True)
    gradients = tape.gradient(scores, x_hat)
    norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=list(range(1, len(real.shape)))) + 1e-12)
    return tf.reduce_mean(tf.square(tf.nn.relu(norms - 1.0)))


def _toy_critic(input_shape, hidden: int, seed: int, activation: str = "tanh"):
    """A small critic with fixed random weights; its last layer is scaled so that the median input-gradient
    norm on random inputs is 1, so that some samples' slopes lie above 1 and some below."""
    import keras

    rng = np.random.default_rng(seed)
    stack = [keras.layers.Dense(hidden, activation=activation)] if hidden else []
    # Named, so that the instructors' guide lists the same cases whatever models a process built before.
    critic = keras.Sequential([keras.Input(input_shape), keras.layers.Flatten(), *stack, keras.layers.Dense(1)],
                              name=f"toy_critic_{hidden}_units_seed_{seed}")
    critic.set_weights([rng.standard_normal(w.shape).astype(np.float32) / np.sqrt(max(1, w.shape[0]))
                        for w in critic.get_weights()])
    probe = rng.uniform(-1, 1, (64, *input_shape)).astype(np.float32)
    weights = critic.get_weights()
    weights[-2] = weights[-2] / np.median(_input_gradient_norms(critic, probe))
    critic.set_weights(weights)
    return critic


def _linear_critic(input_shape, slope: float, seed: int):
    """f(x) = w . x with ||w|| = slope: its input gradient has norm ``slope`` everywhere."""
    import keras

    critic = keras.Sequential([keras.Input(input_shape), keras.layers.Flatten(), keras.layers.Dense(1, use_bias=False)],
                              name=f"linear_critic_slope_{slope:g}")
    w = np.random.default_rng(seed).standard_normal((int(np.prod(input_shape)), 1))
    critic.set_weights([(slope * w / np.linalg.norm(w)).astype(np.float32)])
    return critic


def _penalty_takes_no_alpha(name, candidate) -> None:
    """Exercise 2 passes ``alpha=None``. With the fake batch equal to the real one, every weight drawn gives the
    same interpolates, so the penalty is known; a None turned into NaN weights, say, gives NaN instead."""
    critic = _toy_critic((28, 28, 1), 16, 6)
    real = np.random.default_rng(6).uniform(-1, 1, (6, 28, 28, 1)).astype(np.float32)
    expected = np.asarray(reference_one_sided_penalty(critic, real, real, np.zeros((6, 1, 1, 1), np.float32)))
    try:
        answer = candidate(critic, real, real.copy(), None)
    except Exception as error:
        raise ExerciseError(message("alpha_none_failed", name=name, error=f"{type(error).__name__}: {error}")) from error
    if answer is None or not np.allclose(np.asarray(answer), expected, atol=1e-5, rtol=1e-3):
        raise ExerciseError(message("alpha_none_wrong", name=name, got=_short(np.asarray(answer)),
                                    expected=_short(expected)))


def _penalty_trains_a_critic(name, candidate) -> None:
    """Exercise 2 trains with the penalty inside a ``tf.function``: it must run there, and its gradient for
    the critic's weights must be the reference's (a NumPy answer runs eagerly but has no such gradient)."""
    import tensorflow as tf

    critic = _toy_critic((2,), 16, 7)
    rng = np.random.default_rng(7)
    real, fake = (tf.constant(points) for points in rng.normal(0, 1, (2, 32, 2)).astype(np.float32))
    alpha = tf.constant(rng.uniform(0, 1, (32, 1)).astype(np.float32))

    def weight_gradients(penalty):
        @tf.function
        def traced():
            with tf.GradientTape() as tape:
                value = penalty(critic, real, fake, alpha)
            return tape.gradient(value, critic.trainable_variables)
        return traced()

    try:
        got = weight_gradients(candidate)
    except Exception as error:
        raise ExerciseError(message("not_in_tensorflow", name=name, error=f"{type(error).__name__}: {error}")) from error
    expected = weight_gradients(reference_one_sided_penalty)
    # The penalty reads only the critic's slopes, so the last layer's bias gets no gradient (None) in either.
    if any(g is None and e is not None for g, e in zip(got, expected)):
        raise ExerciseError(message("no_weight_gradient", name=name))
    pairs = [(np.zeros(v.shape) if g is None else g.numpy(), np.zeros(v.shape) if e is None else e.numpy())
             for g, e, v in zip(got, expected, critic.trainable_variables)]
    if not all(np.allclose(g, e, atol=1e-5, rtol=1e-3) for g, e in pairs):
        gap = max(float(np.max(np.abs(g - e))) for g, e in pairs)
        raise ExerciseError(message("wrong_weight_gradient", name=name, gap=f"{gap:.3g}"))


def check_one_sided_penalty(candidate) -> None:
    rng = np.random.default_rng(0)
    real, fake = rng.uniform(-1, 1, (2, 6, 28, 28, 1)).astype(np.float32)
    alpha = rng.uniform(0, 1, (6, 1, 1, 1)).astype(np.float32)
    ends = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 0.25], np.float32).reshape(6, 1, 1, 1)   # at the real or the fake image
    points_real, points_fake = rng.normal(0, 1, (2, 32, 2)).astype(np.float32)
    cases = [
        (_linear_critic((28, 28, 1), 1.5, 1), real, fake, alpha),     # slope 1.5 everywhere: (0.5)^2
        (_linear_critic((28, 28, 1), 0.6, 2), real, fake, alpha),     # slope 0.6 everywhere: no penalty at all
        (_toy_critic((28, 28, 1), 16, 3), real, fake, alpha),         # slopes on both sides of 1
        (_toy_critic((28, 28, 1), 16, 4), real, fake, ends),          # alpha 0 and 1: the real and the fake images
        (_toy_critic((2,), 32, 5, "relu"), points_real, points_fake,  # 2-D points, as on notebook 04's ring
         rng.uniform(0, 1, (32, 1)).astype(np.float32)),
    ]
    # Then what exercise 2 asks of the same function: alpha=None, and a gradient for the critic's weights.
    check_function("one_sided_penalty", candidate, reference_one_sided_penalty, cases, atol=1e-5, rtol=1e-3,
                   further_checks=(_penalty_takes_no_alpha, _penalty_trains_a_critic))


# Notebook 05 -----------------------------------------------------------------------------------

def check_classifier_score(candidate) -> None:
    rng = np.random.default_rng(0)
    peaked = rng.dirichlet(np.full(10, 0.1), size=200)
    cases = [(np.eye(10)[np.arange(100) % 10],), (np.full((20, 10), 0.1),), (peaked,)]
    check_function("classifier_score", candidate, metrics.classifier_score, cases, atol=1e-4, rtol=1e-4)


# Notebook 06 -----------------------------------------------------------------------------------

def reference_time_to_reach(curve, measure, threshold, higher_is_better=True):
    """The first point's ``train_seconds`` whose ``measure`` reaches ``threshold``; ``math.inf`` if none does."""
    for point in curve:
        value = point[measure]
        if (value >= threshold) if higher_is_better else (value <= threshold):
            return point["train_seconds"]
    return math.inf


def check_time_to_reach(candidate) -> None:
    curve = [{"train_seconds": t, "recognized_share": r, "frechet_ratio": f}
             for t, r, f in ((0.0, 0.0, 40.0), (4.1, 0.2, 12.0), (8.0, 0.5, 6.0), (12.3, 0.45, 8.0), (16.2, 0.7, 3.0))]
    cases = [(curve, "recognized_share", 0.5, True),     # reached exactly at a point: that point counts
             (curve, "recognized_share", 0.6, True),     # the first point above it, not the last
             (curve, "frechet_ratio", 8.0, False),       # lower is better: the first point at or below
             (curve, "recognized_share", 0.9, True),     # never reached: infinity
             (curve, "frechet_ratio", 50.0, False)]      # already there before training
    check_function("time_to_reach", candidate, reference_time_to_reach, cases)


# Notebook 07 -----------------------------------------------------------------------------------

def check_label_agreement(candidate) -> None:
    rng = np.random.default_rng(0)
    unsure = rng.dirichlet(np.ones(10), size=50)
    cases = [(np.eye(10)[[3, 3, 7, 1]], np.array([3, 5, 7, 1])),
             # an unsure row agrees with no request, even where its most likely class is the one asked for
             (unsure, unsure.argmax(axis=1)),
             (np.eye(10)[[3, 3, 7, 1]] * 0.5 + 0.05, np.array([3, 5, 7, 1])),
             (np.concatenate([np.eye(10)[[2, 4]], unsure[:2]]), np.array([2, 4, 0, 0])),
             # exactly at the threshold: 0.9 counts as recognized (>= 0.9), which > 0.9 would miss
             (np.array([[0.9, 0.1] + [0.0] * 8, [0.1, 0.9] + [0.0] * 8]), np.array([0, 0]))]
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
