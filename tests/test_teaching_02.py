"""Notebook 02 writes the GAN's train_step out in full (``MinimalGAN``); ganlib.training.GAN takes the same step.

Both start from the same weights, see the same real batches and draw the same noise (each seeds a
``keras.random.SeedGenerator`` with the same number and draws from it in the same order: the
discriminator's fakes, then the generator's). With ``loss="non_saturating"`` and no EMA they must
report the same losses and end with the same weights, up to float32 rounding: the notebook writes
-log D(x) as softplus(-l), ganlib as softplus(l) - l.
"""

from pathlib import Path

import keras
import numpy as np
import pytest

from ganlib import models, training
from tests.notebook_cells import teaching_namespace

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02_article_gan.ipynb"
LATENT_DIM = 100


@pytest.fixture(scope="module")
def minimal_gan_class():
    return teaching_namespace(NOTEBOOK)["MinimalGAN"]


def build(make_gan, noise_seed=3):
    keras.utils.set_random_seed(0)   # the same initial weights for both
    gan = make_gan(models.build_mlp_generator(LATENT_DIM), models.build_mlp_discriminator(), noise_seed)
    gan.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    return gan


def weights(gan):
    return [w.numpy() for w in gan.generator.weights + gan.discriminator.weights]


def largest_gap(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


@pytest.fixture(scope="module")
def real_images():
    return np.random.default_rng(1).uniform(-1, 1, (48, 28, 28, 1)).astype(np.float32)


def train_both(minimal_gan_class, real_images, noise_seeds=(3, 3)):
    notebook = build(lambda g, d, s: minimal_gan_class(g, d, latent_dim=LATENT_DIM, seed=s), noise_seeds[0])
    library = build(lambda g, d, s: training.GAN(g, d, latent_dim=LATENT_DIM, loss="non_saturating", seed=s),
                    noise_seeds[1])
    assert largest_gap(weights(notebook), weights(library)) == 0.0, "both must start from the same weights"
    start = weights(notebook)
    # Three steps of 16 images each, in order, driven by fit() as in the notebook.
    histories = [gan.fit(real_images, batch_size=16, epochs=1, shuffle=False, verbose=0).history
                 for gan in (notebook, library)]
    return notebook, library, histories, start


def test_the_notebooks_train_step_matches_ganlibs(minimal_gan_class, real_images):
    notebook, library, (mine, theirs), start = train_both(minimal_gan_class, real_images)
    for name in ("d_loss", "g_loss"):
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-5, err_msg=name)
    assert notebook.g_optimizer.iterations.numpy() == library.g_optimizer.iterations.numpy() == 3
    # Both networks moved (Adam's first steps are about 2e-4 per weight) ...
    assert largest_gap(weights(notebook), start) > 1e-4
    # ... and they moved the same way: the gap is float32 rounding, far below one step.
    assert largest_gap(weights(notebook), weights(library)) < 1e-5


def test_the_comparison_can_fail_other_noise_gives_other_numbers(minimal_gan_class, real_images):
    # The same comparison with another noise seed for ganlib: losses and weights must then differ,
    # so agreement above is not an accident of the setup.
    notebook, library, (mine, theirs), _ = train_both(minimal_gan_class, real_images, noise_seeds=(3, 4))
    assert abs(mine["g_loss"][0] - theirs["g_loss"][0]) > 1e-4
    assert largest_gap(weights(notebook), weights(library)) > 1e-5
