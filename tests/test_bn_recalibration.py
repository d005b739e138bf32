"""benchmarks/bn_recalibration.py: a generator's batch-norm statistics re-estimated from one batch of noise."""

import numpy as np
import pytest

from conftest import load_script


@pytest.fixture(scope="module")
def script():
    load_script("benchmarks/time_to_quality.py")   # the script imports its helpers as a sibling module
    return load_script("benchmarks/bn_recalibration.py")


def test_recalibrate_keeps_one_batchs_statistics_and_restores_the_momentum(script):
    import keras

    from ganlib import models, sampling

    generator = models.build_dcgan_generator(latent_dim=10, width=4, bn_momentum=0.9)
    norms = [layer for layer in generator.layers if isinstance(layer, keras.layers.BatchNormalization)]
    before = [layer.moving_mean.numpy().copy() for layer in norms]
    script.recalibrate(generator, n=256, seed=5)
    assert [layer.momentum for layer in norms] == [0.9] * len(norms)
    assert all(not np.allclose(layer.moving_mean.numpy(), old) for layer, old in zip(norms, before))
    # The first batch norm follows the projection: its moving mean is now exactly that batch's mean.
    projection = keras.Model(generator.inputs, generator.layers[0].output)
    features = projection(sampling.seeded_noise(256, 10, 5)).numpy()
    np.testing.assert_allclose(norms[0].moving_mean.numpy(), features.mean(axis=0), rtol=1e-4, atol=1e-5)
