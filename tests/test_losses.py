"""Losses against values computed by hand, and the gradient penalty against analytic critics."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganlib import losses


def logits(*values):
    return tf.constant(values, dtype=tf.float32)


def test_discriminator_loss_at_even_odds_is_two_log_two():
    # D = 0.5 everywhere: -log 0.5 on the real half plus -log 0.5 on the fake half.
    value = losses.discriminator_loss(logits(0.0, 0.0), logits(0.0, 0.0))
    assert float(value) == pytest.approx(2 * math.log(2), rel=1e-6)


def test_discriminator_loss_matches_binary_cross_entropy_by_hand():
    real, fake = [2.0, -1.0], [0.5, -3.0]
    sigmoid = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    expected = (np.mean([-math.log(sigmoid(r)) for r in real])
                + np.mean([-math.log(1 - sigmoid(f)) for f in fake]))
    assert float(losses.discriminator_loss(logits(*real), logits(*fake))) == pytest.approx(expected, rel=1e-5)


def test_label_smoothing_lowers_the_real_target():
    real = [3.0]
    sigmoid = 1 / (1 + math.exp(-3.0))
    expected = -(0.9 * math.log(sigmoid) + 0.1 * math.log(1 - sigmoid)) + math.log(2)
    value = losses.discriminator_loss(logits(*real), logits(0.0), label_smoothing=0.1)
    assert float(value) == pytest.approx(expected, rel=1e-5)


def test_generator_losses_by_hand():
    d_fake = 0.2  # D(G(z))
    logit = math.log(d_fake / (1 - d_fake))
    assert float(losses.minimax_generator_loss(logits(logit))) == pytest.approx(math.log(1 - d_fake), rel=1e-5)
    assert float(losses.non_saturating_generator_loss(logits(logit))) == pytest.approx(-math.log(d_fake), rel=1e-5)


def test_losses_stay_finite_when_the_discriminator_is_certain():
    extreme = logits(-200.0, 200.0)
    for value in (losses.discriminator_loss(extreme, extreme),
                  losses.minimax_generator_loss(extreme),
                  losses.non_saturating_generator_loss(extreme)):
        assert np.isfinite(float(value))


def test_saturating_loss_has_vanishing_gradient_where_nonsaturating_does_not():
    # Early in training D rejects fakes: D(G(z)) ~ 0.001.
    logit = tf.Variable([math.log(0.001 / 0.999)])
    grads = []
    for loss in (losses.minimax_generator_loss, losses.non_saturating_generator_loss):
        with tf.GradientTape() as tape:
            value = loss(logit)
        grads.append(abs(float(tape.gradient(value, logit)[0])))
    assert grads[0] == pytest.approx(0.001, rel=1e-2)   # d/dl log(1 - sigmoid(l)) = -sigmoid(l)
    assert grads[1] == pytest.approx(0.999, rel=1e-2)   # d/dl -log sigmoid(l) = sigmoid(l) - 1


def test_wasserstein_losses_by_hand():
    real, fake = logits(1.0, 3.0), logits(-2.0, 0.0)
    assert float(losses.wasserstein_critic_loss(real, fake)) == pytest.approx(-1.0 - 2.0)
    assert float(losses.wasserstein_generator_loss(fake)) == pytest.approx(1.0)


def linear_critic(weights):
    """f(x) = <w, x>: its gradient is w everywhere, so every gradient norm is ||w||."""
    w = tf.constant(weights, dtype=tf.float32)
    return lambda x, training=False: tf.reduce_sum(x * w, axis=[1, 2, 3])


def test_gradient_penalty_of_linear_critic_is_norm_minus_one_squared():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(1, 28, 28, 1)).astype(np.float32)
    real = rng.uniform(-1, 1, size=(8, 28, 28, 1)).astype(np.float32)
    fake = rng.uniform(-1, 1, size=(8, 28, 28, 1)).astype(np.float32)
    expected = (np.linalg.norm(w) - 1.0) ** 2
    assert float(losses.gradient_penalty(linear_critic(w), real, fake, seed=1)) == pytest.approx(expected, rel=1e-4)


def test_gradient_penalty_is_zero_for_a_one_lipschitz_linear_critic():
    w = np.zeros((1, 28, 28, 1), np.float32)
    w[0, 0, 0, 0] = 1.0
    real = np.ones((4, 28, 28, 1), np.float32)
    assert float(losses.gradient_penalty(linear_critic(w), real, -real, seed=1)) == pytest.approx(0.0, abs=1e-6)


def test_gradient_penalty_interpolates_per_sample_uniformly():
    # f(x) = 0.5 ||x||^2 has gradient x, so the norm at x_hat = fake + alpha (real - fake) is
    # |alpha| * ||real|| when fake = 0: the norms reveal each sample's alpha.
    critic = lambda x, training=False: 0.5 * tf.reduce_sum(tf.square(x), axis=[1, 2, 3])  # noqa: E731
    real = np.zeros((512, 28, 28, 1), np.float32)
    real[:, 0, 0, 0] = 1.0
    alphas = np.asarray(losses.interpolate_gradient_norms(critic, real, np.zeros_like(real), seed=3))
    assert alphas.min() >= 0.0 and alphas.max() <= 1.0
    assert len(np.unique(np.round(alphas, 6))) > 500          # one weight per sample
    assert alphas.mean() == pytest.approx(0.5, abs=0.05)      # uniform on [0, 1]
    assert np.var(alphas) == pytest.approx(1 / 12, abs=0.02)


def test_gradient_penalty_works_with_a_keras_critic():
    from ganlib.models import build_wgan_critic

    keras.utils.set_random_seed(0)
    critic = build_wgan_critic(width=8)
    real = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)
    value = float(losses.gradient_penalty(critic, real, -real, seed=0))
    assert np.isfinite(value) and value >= 0


def test_divergences_of_known_gaussians():
    from scipy import stats

    from ganlib import divergences

    same, near, far = stats.norm(0, 1), stats.norm(1, 1), stats.norm(30, 1)
    assert divergences.jensen_shannon(same, same) == pytest.approx(0.0, abs=1e-9)
    assert divergences.jensen_shannon(same, far) == pytest.approx(math.log(2), rel=1e-6)
    for q in (same, near, far):
        assert divergences.value_at_optimal_discriminator(same, q) == pytest.approx(
            -math.log(4) + 2 * divergences.jensen_shannon(same, q), abs=1e-7)
    # W1 between equal-variance Gaussians is the distance between their means: no saturation.
    assert divergences.wasserstein_1(same, near) == pytest.approx(1.0, rel=1e-6)
    assert divergences.wasserstein_1(same, far) == pytest.approx(30.0, rel=1e-6)
