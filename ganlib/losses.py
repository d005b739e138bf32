"""GAN losses, written on raw discriminator scores (logits) for numerical stability.

With D(x) = sigmoid(logit), the value function is V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))].
Using log sigmoid(l) = -softplus(-l) and log(1 - sigmoid(l)) = -softplus(l) keeps every term
finite even when D is very sure.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops


def discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """-V(D, G): binary cross-entropy on real (target 1) and generated (target 0) images.

    ``label_smoothing`` lowers the real target to 1 - label_smoothing (one-sided smoothing).
    """
    real_target = 1.0 - label_smoothing
    # BCE(target t, logit l) = softplus(l) - t * l
    real_term = ops.mean(ops.softplus(real_logits) - real_target * real_logits)
    fake_term = ops.mean(ops.softplus(fake_logits))
    return real_term + fake_term


def minimax_generator_loss(fake_logits):
    """The saturating loss from the minimax game: E[log(1 - D(G(z)))], which G minimizes."""
    return ops.mean(-ops.softplus(fake_logits))


def non_saturating_generator_loss(fake_logits):
    """The non-saturating loss: -E[log D(G(z))]; strong gradients when D rejects the samples."""
    return ops.mean(ops.softplus(-fake_logits))


def wasserstein_critic_loss(real_scores, fake_scores):
    """The critic maximizes E[f(x)] - E[f(G(z))], so it minimizes the negative."""
    return ops.mean(fake_scores) - ops.mean(real_scores)


def wasserstein_generator_loss(fake_scores):
    return -ops.mean(fake_scores)


def interpolate_gradient_norms(critic, real, fake, seed=None):
    """The norm of the critic's gradient at random points between real and generated images.

    Each sample gets its own interpolation weight alpha ~ U[0, 1] (Gulrajani et al., 2017).
    ``seed`` is an int or a ``keras.random.SeedGenerator``.
    """
    batch = ops.shape(real)[0]
    alpha = keras.random.uniform((batch, 1, 1, 1), seed=seed)
    points = real + alpha * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(points)
        scores = critic(points, training=True)
    gradients = tape.gradient(scores, points)
    return ops.sqrt(ops.sum(ops.square(gradients), axis=[1, 2, 3]) + 1e-12)


def penalty_from_norms(norms):
    """Two-sided penalty pulling each gradient norm towards 1: E[(norm - 1)^2]."""
    return ops.mean(ops.square(norms - 1.0))


def gradient_penalty(critic, real, fake, seed=None):
    """WGAN-GP's penalty: E[(||grad f(x_hat)||_2 - 1)^2] over interpolates x_hat."""
    return penalty_from_norms(interpolate_gradient_norms(critic, real, fake, seed=seed))
