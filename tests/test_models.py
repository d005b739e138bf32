"""Model builders: output shapes, value ranges, and the architecture choices the notebooks teach."""

import keras
import numpy as np
import pytest
from keras import layers

from ganlib import models


def dense_units(model):
    """The sizes of a model's fully connected layers, in order."""
    return [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)]


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


@pytest.mark.parametrize("build", [models.build_mlp_generator, models.build_dcgan_generator])
def test_generators_map_noise_to_images_in_tanh_range(build):
    generator = build(latent_dim=16)
    z = np.random.default_rng(0).normal(size=(5, 16)).astype(np.float32) * 10
    images = np.asarray(generator(z, training=False))
    assert images.shape == (5, 28, 28, 1)
    assert images.min() >= -1.0 and images.max() <= 1.0


@pytest.mark.parametrize("build", [models.build_mlp_discriminator, models.build_dcgan_discriminator,
                                   models.build_wgan_critic])
def test_discriminators_score_each_image_with_one_unbounded_number(build):
    discriminator = build()
    scores = np.asarray(discriminator(np.zeros((3, 28, 28, 1), np.float32)))
    assert scores.shape == (3, 1)
    assert discriminator.layers[-1].get_config()["activation"] == "linear"


def test_article_generator_has_the_articles_layers():
    generator = models.build_mlp_generator(latent_dim=100)
    dense = [layer.units for layer in generator.layers if isinstance(layer, layers.Dense)]
    assert dense == [256, 512, 1024, 784]
    momenta = {layer.momentum for layer in generator.layers if isinstance(layer, layers.BatchNormalization)}
    assert momenta == {0.8}
    # 100*256+256 + 256*512+512 + 512*1024+1024 + 1024*784+784 + 3 BN layers (4 params per unit)
    expected = (100 * 256 + 256 + 256 * 512 + 512 + 512 * 1024 + 1024 + 1024 * 784 + 784
                + 4 * (256 + 512 + 1024))
    assert generator.count_params() == expected


def test_wgan_critic_has_no_batch_norm():
    for critic in (models.build_wgan_critic(), models.build_wgan_critic(hidden_units=16)):
        assert not any(isinstance(layer, layers.BatchNormalization) for layer in critic.layers)
    assert any(isinstance(layer, layers.BatchNormalization) for layer in models.build_dcgan_discriminator().layers)


def test_dcgan_uses_strided_convolutions_not_pooling():
    for model in (models.build_dcgan_generator(), models.build_dcgan_discriminator()):
        assert not any("Pooling" in type(layer).__name__ for layer in model.layers)
        strided = [layer for layer in model.layers if hasattr(layer, "strides")]
        assert strided and all(layer.strides == (2, 2) for layer in strided)


def test_dcgan_generator_front_layer_is_optional():
    plain = models.build_dcgan_generator(latent_dim=10, width=4)
    fronted = models.build_dcgan_generator(latent_dim=10, width=4, hidden_units=32)
    assert dense_units(plain) == [7 * 7 * 8]
    assert dense_units(fronted) == [32, 7 * 7 * 8]
    assert fronted(np.zeros((2, 10), np.float32)).shape == (2, 28, 28, 1)


def test_dcgan_discriminator_hidden_layer_is_optional():
    plain = models.build_dcgan_discriminator(width=4)
    hidden = models.build_dcgan_discriminator(width=4, hidden_units=32)
    assert dense_units(plain) == [1]
    assert dense_units(hidden) == [32, 1]
    # Batch norm and LeakyReLU follow the hidden layer, as after every other hidden layer of D.
    kinds = [type(layer).__name__ for layer in hidden.layers]
    assert kinds[-4:] == ["Dense", "BatchNormalization", "LeakyReLU", "Dense"]
    assert hidden(np.zeros((2, 28, 28, 1), np.float32)).shape == (2, 1)


def test_wgan_critic_hidden_layer_is_optional():
    assert dense_units(models.build_wgan_critic(width=4)) == [1]
    hidden = models.build_wgan_critic(width=4, hidden_units=16)
    assert dense_units(hidden) == [16, 1]
    assert hidden.layers[-1].get_config()["activation"] == "linear"   # an unbounded score
    assert hidden(np.zeros((2, 28, 28, 1), np.float32)).shape == (2, 1)
