"""Generator, discriminator and critic builders.

Discriminators and critics return one raw score per image (a logit, no sigmoid): the losses apply
the sigmoid inside a numerically stable formula. Generators end in tanh, matching images in [-1, 1].
"""

from __future__ import annotations

import keras
from keras import layers

IMAGE_SHAPE = (28, 28, 1)


def build_mlp_generator(latent_dim: int = 100, name: str = "mlp_generator") -> keras.Model:
    """The article's generator: Dense 256-512-1024, LeakyReLU(0.2), BatchNorm(momentum=0.8), tanh."""
    model = keras.Sequential(name=name)
    model.add(keras.Input(shape=(latent_dim,)))
    for units in (256, 512, 1024):
        model.add(layers.Dense(units))
        model.add(layers.LeakyReLU(negative_slope=0.2))
        model.add(layers.BatchNormalization(momentum=0.8))
    model.add(layers.Dense(28 * 28, activation="tanh"))
    model.add(layers.Reshape(IMAGE_SHAPE))
    return model


def build_mlp_discriminator(name: str = "mlp_discriminator") -> keras.Model:
    """The article's discriminator: Flatten, Dense 512-256 with LeakyReLU(0.2), one logit."""
    return keras.Sequential([
        keras.Input(shape=IMAGE_SHAPE),
        layers.Flatten(),
        layers.Dense(512),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dense(256),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dense(1),
    ], name=name)


def build_dcgan_generator(latent_dim: int = 100, width: int = 64, bn_momentum: float = 0.99,
                          hidden_units: int = 0, name: str = "dcgan_generator") -> keras.Model:
    """DCGAN generator: project to 7x7, then two stride-2 transposed convolutions to 28x28.

    Batch norm and ReLU in the hidden layers, tanh at the output (Radford et al., 2015).
    ``hidden_units`` > 0 puts one fully connected layer of that size before the projection (as in
    InfoGAN's MNIST generator): it gives the noise a nonlinear map before any spatial layout.
    """
    front = [layers.Dense(hidden_units, use_bias=False), layers.BatchNormalization(momentum=bn_momentum),
             layers.ReLU()] if hidden_units else []
    return keras.Sequential([
        keras.Input(shape=(latent_dim,)),
        *front,
        layers.Dense(7 * 7 * 2 * width, use_bias=False),
        layers.BatchNormalization(momentum=bn_momentum),
        layers.ReLU(),
        layers.Reshape((7, 7, 2 * width)),
        layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(momentum=bn_momentum),
        layers.ReLU(),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),
    ], name=name)


def _spectrally_normalized(layer, on: bool):
    """``layer`` divided by its largest singular value (Miyato et al., 2018) when ``on``: slope at most 1."""
    return layers.SpectralNormalization(layer) if on else layer


def _strided_convolutions(width: int, normalization: bool, dropout: float, spectral_norm: bool = False):
    """Two stride-2 convolutions with LeakyReLU(0.2), the shared body of discriminator and critic."""
    stack = []
    for filters in (width, 2 * width):
        stack.append(_spectrally_normalized(layers.Conv2D(filters, 4, strides=2, padding="same"), spectral_norm))
        # DCGAN leaves the first layer unnormalized; a WGAN-GP critic has no batch norm at all.
        if normalization and filters != width:
            stack.append(layers.BatchNormalization())
        stack.append(layers.LeakyReLU(negative_slope=0.2))
        if dropout:
            stack.append(layers.Dropout(dropout))
    return stack


def build_dcgan_discriminator(width: int = 64, dropout: float = 0.0, hidden_units: int = 0,
                              spectral_norm: bool = False, name: str = "dcgan_discriminator") -> keras.Model:
    """DCGAN discriminator: strided convolutions (no pooling), batch norm, LeakyReLU, one logit.

    ``hidden_units`` > 0 puts one fully connected layer of that size (batch norm, LeakyReLU) between
    the convolutions and the logit, as in InfoGAN's MNIST discriminator: the score can then combine
    strokes from anywhere in the image, not only add up what each position says.
    ``spectral_norm=True`` is SNGAN's discriminator instead (Miyato et al., 2018): every convolution and
    dense layer spectrally normalized, and no batch norm (benchmarks screen it).
    """
    if spectral_norm:
        back = [_spectrally_normalized(layers.Dense(hidden_units), True),
                layers.LeakyReLU(negative_slope=0.2)] if hidden_units else []
    else:
        back = [layers.Dense(hidden_units, use_bias=False), layers.BatchNormalization(),
                layers.LeakyReLU(negative_slope=0.2)] if hidden_units else []
    return keras.Sequential([
        keras.Input(shape=IMAGE_SHAPE),
        *_strided_convolutions(width, normalization=not spectral_norm, dropout=dropout,
                               spectral_norm=spectral_norm),
        layers.Flatten(),
        *back,
        _spectrally_normalized(layers.Dense(1), spectral_norm),
    ], name=name)


def build_wgan_critic(width: int = 64, hidden_units: int = 0, name: str = "wgan_critic") -> keras.Model:
    """WGAN critic: the DCGAN discriminator without batch norm, one unbounded score.

    Batch norm couples the samples of a batch, which breaks the per-sample gradient penalty.
    ``hidden_units`` > 0 puts one fully connected layer (LeakyReLU, no normalization) before the score.
    """
    back = [layers.Dense(hidden_units), layers.LeakyReLU(negative_slope=0.2)] if hidden_units else []
    return keras.Sequential([
        keras.Input(shape=IMAGE_SHAPE),
        *_strided_convolutions(width, normalization=False, dropout=0.0),
        layers.Flatten(),
        *back,
        layers.Dense(1),
    ], name=name)


def build_conditional_generator(latent_dim: int = 100, width: int = 32, num_classes: int = 10,
                                embedding_dim: int = 50, name: str = "conditional_generator") -> keras.Model:
    """DCGAN generator that draws the digit it is given: inputs ``[noise, label]``.

    The label is looked up in a learned embedding and joined to the noise before the projection,
    so every layer after it can depend on which digit is asked for; the noise is left to carry the
    style (slant, thickness, size).
    """
    noise = keras.Input(shape=(latent_dim,), name="noise")
    label = keras.Input(shape=(), dtype="int32", name="label")
    code = layers.Concatenate()([noise, layers.Embedding(num_classes, embedding_dim)(label)])
    body = build_dcgan_generator(latent_dim + embedding_dim, width, name=f"{name}_body")
    return keras.Model([noise, label], body(code), name=name)


def build_projection_discriminator(width: int = 32, num_classes: int = 10,
                                   name: str = "projection_discriminator") -> keras.Model:
    """DCGAN discriminator that also judges whether an image is the digit it is labelled as.

    Projection (Miyato & Koyama, 2018): score = w . phi(x) + embed(y) . phi(x), where phi(x) are
    the convolutional features. The first term asks "is this a real digit?", the second "is it
    this digit?"; an image of a 3 labelled 7 scores low through the second term alone.
    """
    image = keras.Input(shape=IMAGE_SHAPE, name="image")
    label = keras.Input(shape=(), dtype="int32", name="label")
    features = keras.Sequential([keras.Input(shape=IMAGE_SHAPE),
                                 *_strided_convolutions(width, normalization=True, dropout=0.0),
                                 layers.Flatten()], name=f"{name}_features")(image)
    feature_dim = 7 * 7 * 2 * width
    unconditional = layers.Dense(1)(features)
    projection = layers.Dot(axes=1)([layers.Embedding(num_classes, feature_dim)(label), features])
    return keras.Model([image, label], layers.Add()([unconditional, projection]), name=name)
