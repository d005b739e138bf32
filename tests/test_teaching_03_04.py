"""Notebook 03 writes the DCGAN networks out in full, notebook 04 the gradient penalty; ganlib holds the
versions the rest of the course uses. These tests tie each pair together on the same inputs.

03: ``dcgan_generator`` / ``dcgan_discriminator`` (with and without the course's dense layers) against
``ganlib.models.build_dcgan_generator`` / ``build_dcgan_discriminator``: the same layers (type, settings,
output shape, parameter count), and the same outputs once both hold the same weights.
04: ``interpolate_gradient_norms`` / ``gradient_penalty`` against ``ganlib.losses``' functions of the same
names: the same numbers for the same critic, images and interpolation weights (alpha drawn from the same
seed as ganlib draws it), and the exact values for critics whose slope is known.
"""

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganlib import losses, models
from tests.notebook_cells import teaching_namespace

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(scope="module")
def dcgan():
    return teaching_namespace(NOTEBOOKS / "03_dcgan.ipynb")


@pytest.fixture(scope="module")
def penalty():
    return teaching_namespace(NOTEBOOKS / "04_wgan_gp.ipynb")


def layers_of(model):
    """Each layer's type, settings (its config without the name Keras numbers), output shape and parameter count."""
    described = []
    for layer in model.layers:
        settings = {key: value for key, value in layer.get_config().items() if key != "name"}
        described.append((type(layer).__name__, settings, tuple(layer.output.shape), layer.count_params()))
    return described


def random_weights(model, seed=0):
    """Weights drawn at random (batch norm variances kept positive), so that no layer is the identity."""
    rng = np.random.default_rng(seed)
    weights = []
    for weight in model.weights:
        values = rng.normal(0.0, 0.1, weight.shape)
        if "variance" in weight.path:
            values = 0.5 + np.abs(values)
        weights.append(values.astype(np.float32))
    return weights


def assert_same_network(ours, theirs, inputs):
    assert layers_of(ours) == layers_of(theirs)
    assert ours.count_params() == theirs.count_params()
    weights = random_weights(theirs)
    theirs.set_weights(weights)
    ours.set_weights(weights)
    for training in (False, True):   # batch norm's moving statistics, then each batch's own
        np.testing.assert_allclose(ours(inputs, training=training), theirs(inputs, training=training), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("width, hidden_units", [(32, 0), (8, 0), (32, 1024), (8, 16)])
def test_notebook_03_generator_is_ganlibs(dcgan, width, hidden_units):
    noise = np.random.default_rng(1).standard_normal((5, 100)).astype(np.float32)
    ours = dcgan["dcgan_generator"](100, width, hidden_units=hidden_units)
    theirs = models.build_dcgan_generator(100, width, hidden_units=hidden_units)
    assert_same_network(ours, theirs, noise)
    assert ours(noise).shape == (5, 28, 28, 1)


@pytest.mark.parametrize("width, hidden_units", [(32, 0), (8, 0), (32, 1024), (8, 16)])
def test_notebook_03_discriminator_is_ganlibs(dcgan, width, hidden_units):
    images = np.random.default_rng(2).uniform(-1, 1, (5, 28, 28, 1)).astype(np.float32)
    ours = dcgan["dcgan_discriminator"](width, hidden_units=hidden_units)
    theirs = models.build_dcgan_discriminator(width, hidden_units=hidden_units)
    assert_same_network(ours, theirs, images)
    assert ours(images).shape == (5, 1)


def test_notebook_03_paper_networks_have_no_dense_hidden_layer(dcgan):
    # The paper's generator has one dense layer (the projection), its discriminator one (the logit).
    for model in (dcgan["dcgan_generator"](), dcgan["dcgan_discriminator"]()):
        assert sum(isinstance(layer, keras.layers.Dense) for layer in model.layers) == 1


def test_the_check_can_fail(dcgan):
    # A generator with 3 x 3 kernels (notebook 03's exercise 2) is not ganlib's, and the comparison says so.
    ours = models.build_dcgan_generator(100, 8)
    theirs = dcgan["dcgan_generator"](100, 8)
    ours.layers[4].kernel_size = (3, 3)   # only the stated setting differs; the weights' shapes still match
    with pytest.raises(AssertionError):
        assert layers_of(ours) == layers_of(theirs)


def small_critic(seed=0):
    keras.utils.set_random_seed(seed)
    return models.build_wgan_critic(width=4, hidden_units=8)


def images(seed, n=6):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)


@pytest.mark.parametrize("seed", [3, 11])
def test_notebook_04_penalty_is_ganlibs_for_the_same_alpha(penalty, seed):
    critic, real, fake = small_critic(), images(1), images(2)
    # ganlib draws alpha as keras.random.uniform((batch, 1, 1, 1), seed=seed); draw the same numbers here.
    alpha = keras.random.uniform((len(real), 1, 1, 1), seed=seed)
    ours = penalty["interpolate_gradient_norms"](critic, real, fake, alpha)
    theirs = losses.interpolate_gradient_norms(critic, real, fake, seed=seed)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    assert len(set(np.round(np.asarray(ours), 6))) == len(real)   # per-sample norms, not one number repeated
    np.testing.assert_allclose(penalty["gradient_penalty"](critic, real, fake, alpha),
                               losses.gradient_penalty(critic, real, fake, seed=seed), rtol=1e-5)


@pytest.mark.parametrize("where, alpha", [("real", 0.0), ("fake", 1.0)])
def test_notebook_04_alpha_picks_the_point(penalty, where, alpha):
    # alpha = 0 is the real image itself, alpha = 1 the generated one: the norms are the critic's slope there.
    critic, real, fake = small_critic(), images(1), images(2)
    points = tf.convert_to_tensor(real if where == "real" else fake)
    with tf.GradientTape() as tape:
        tape.watch(points)
        scores = critic(points)
    expected = np.linalg.norm(tape.gradient(scores, points).numpy().reshape(len(real), -1), axis=1)
    ours = penalty["interpolate_gradient_norms"](critic, real, fake, np.full((len(real), 1, 1, 1), alpha, np.float32))
    np.testing.assert_allclose(ours, expected, rtol=1e-5)


@pytest.mark.parametrize("slope", [0.5, 1.0, 2.5])
def test_notebook_04_penalty_of_a_linear_critic(penalty, slope):
    # f(x) = w . x has gradient w everywhere: every norm is ||w||, the penalty (||w|| - 1)^2, whatever alpha.
    critic = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1, use_bias=False)])
    w = np.random.default_rng(0).standard_normal((784, 1))
    critic.set_weights([(slope * w / np.linalg.norm(w)).astype(np.float32)])
    norms = penalty["interpolate_gradient_norms"](critic, images(1), images(2))
    np.testing.assert_allclose(norms, slope, rtol=1e-5)
    np.testing.assert_allclose(penalty["gradient_penalty"](critic, images(1), images(2)), (slope - 1.0) ** 2,
                               rtol=1e-4, atol=1e-7)


def test_notebook_04_penalty_draws_one_alpha_per_sample(penalty):
    # A critic whose slope depends on where it is evaluated, f(x) = sum(x^2) / 2: grad = x, norm = ||x_hat||.
    # With fake = 0, x_hat = (1 - alpha) * real: the norms divided by ||real|| are 1 - alpha, one per sample.
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: tf.reduce_sum(x * x, axis=1, keepdims=True) / 2)])
    real = np.tile(np.array([[3.0, 4.0]], np.float32), (400, 1))
    tf.random.set_seed(0)
    fractions = np.asarray(penalty["interpolate_gradient_norms"](critic, real, np.zeros_like(real))) / 5.0
    assert fractions.min() >= 0.0 and fractions.max() <= 1.0
    assert len(np.unique(np.round(fractions, 5))) > 350     # a different alpha for (nearly) every sample
    assert abs(fractions.mean() - 0.5) < 0.05 and abs(fractions.std() - np.sqrt(1 / 12)) < 0.03   # uniform on [0, 1]
