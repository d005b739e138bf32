"""The class-conditional GAN: the label reaches both networks, the train step uses the real labels,
and a generator trained on labelled data draws the class it is asked for."""

import keras
import numpy as np
import pytest

from ganlib import data, metrics, models, recipes, records, sampling, training

LATENT = 8


def test_the_label_changes_what_the_generator_draws():
    keras.utils.set_random_seed(0)
    generator = models.build_conditional_generator(latent_dim=LATENT, width=4)
    noise = np.random.default_rng(0).standard_normal((10, LATENT)).astype(np.float32)
    images = np.asarray(generator.predict([noise, np.arange(10)], verbose=0))
    same_noise_other_label = np.asarray(generator.predict([noise, (np.arange(10) + 1) % 10], verbose=0))
    assert images.shape == (10, 28, 28, 1) and np.abs(images).max() <= 1.0
    assert not np.allclose(images, same_noise_other_label, atol=1e-6)


def test_the_projection_discriminator_scores_image_and_label_together():
    keras.utils.set_random_seed(0)
    discriminator = models.build_projection_discriminator(width=4)
    # Make the label embedding visible: with zero embeddings the label would not matter at all.
    embedding = next(layer for layer in discriminator.layers if isinstance(layer, keras.layers.Embedding))
    embedding.set_weights([np.random.default_rng(1).standard_normal(embedding.get_weights()[0].shape)])
    images = keras.ops.convert_to_tensor(np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32))
    as_zero = np.asarray(discriminator([images, keras.ops.zeros((4,), "int32")]))
    as_seven = np.asarray(discriminator([images, keras.ops.full((4,), 7, "int32")]))
    assert as_zero.shape == (4, 1)
    assert not np.allclose(as_zero, as_seven)


def toy_two_class_data(n=256):
    """Label 0: every pixel -1 (a blank page); label 1: every pixel +1. Nothing else differs."""
    labels = np.arange(n) % 2
    images = np.where(labels[:, None, None, None] == 1, 1.0, -1.0) * np.ones((n, 28, 28, 1))
    return images.astype(np.float32), labels


def tiny_conditional_gan(**kwargs):
    keras.utils.set_random_seed(0)
    noise, label = keras.Input((LATENT,)), keras.Input((), dtype="int32")
    code = keras.layers.Concatenate()([noise, keras.layers.Embedding(2, 4)(label)])
    image = keras.layers.Reshape((28, 28, 1))(keras.layers.Dense(28 * 28, activation="tanh")(code))
    generator = keras.Model([noise, label], image)
    picture, tag = keras.Input((28, 28, 1)), keras.Input((), dtype="int32")
    # Projection, as in models.build_projection_discriminator: the label weighs the image's features.
    features = keras.layers.Dense(16, activation="relu")(keras.layers.Flatten()(picture))
    projection = keras.layers.Dot(axes=1)([keras.layers.Embedding(2, 16)(tag), features])
    discriminator = keras.Model([picture, tag], keras.layers.Add()([keras.layers.Dense(1)(features), projection]))
    gan = training.GAN(generator, discriminator, latent_dim=LATENT, num_classes=2, seed=0, **kwargs)
    gan.compile(g_optimizer=keras.optimizers.Adam(5e-3), d_optimizer=keras.optimizers.Adam(5e-3))
    return gan


def test_a_conditional_gan_learns_to_draw_the_class_it_is_asked_for():
    # If the train step ignored or scrambled the labels, both classes would come out alike.
    images, labels = toy_two_class_data()
    gan = tiny_conditional_gan()
    before = [np.array(w) for w in gan.generator.trainable_weights + gan.discriminator.trainable_weights]
    # 1,200 steps: at 600 the class-1 images had not brightened yet on one CPU (an AVX2-only EPYC: its
    # float arithmetic takes this seeded game along another path than AVX-512 machines do).
    run = training.train(gan, images, labels=labels, steps=1200, batch_size=32, snapshots=3, verbose=0)
    after = gan.generator.trainable_weights + gan.discriminator.trainable_weights
    assert all(not np.allclose(b, np.array(a)) for b, a in zip(before, after)), "some weights never trained"
    noise = np.random.default_rng(0).standard_normal((100, LATENT)).astype(np.float32)
    blank = np.asarray(gan.generator.predict([noise, np.zeros(100, np.int32)], verbose=0))
    inked = np.asarray(gan.generator.predict([noise, np.ones(100, np.int32)], verbose=0))
    # The same noise with the other label: every image dark for class 0, bright for class 1.
    blank, inked = blank.mean(axis=(1, 2, 3)), inked.mean(axis=(1, 2, 3))
    assert (blank < -0.3).all() and (inked > 0.3).all(), (blank.max(), inked.min())
    # The fixed-noise grid asks for the classes in turn: 0, 1, 0, 1, ...
    assert run.grid.labels.tolist() == [0, 1] * 8
    assert run.grid.frames[-1][0].mean() < 0 < run.grid.frames[-1][1].mean()


def test_a_conditional_gan_without_labels_says_so():
    images, _ = toy_two_class_data(64)
    gan = tiny_conditional_gan()
    with pytest.raises(ValueError, match="pass labels= to train"):
        training.train(gan, images, steps=1, batch_size=32, snapshots=1, verbose=0)


@pytest.mark.parametrize("conditional_networks, kwargs, message", [
    (False, {"num_classes": 10}, "the generator takes 1 inputs; a conditional GAN"),
    (True, {}, "the generator takes 2 inputs; an unconditional GAN"),
    (True, {"num_classes": 1}, "num_classes is 1; allowed: an integer >= 2"),
    (True, {"num_classes": 10, "loss": "wasserstein", "gp_weight": 10.0}, "gp_weight is not supported"),
])
def test_networks_and_settings_that_do_not_fit_together_are_refused(conditional_networks, kwargs, message):
    if conditional_networks:
        generator, discriminator = models.build_conditional_generator(LATENT, 4), models.build_projection_discriminator(4)
    else:
        generator, discriminator = models.build_dcgan_generator(LATENT, 4), models.build_dcgan_discriminator(4)
    with pytest.raises(ValueError, match=message):
        training.GAN(generator, discriminator, latent_dim=LATENT, **kwargs)


def test_label_agreement_counts_the_judges_top_class_against_the_request():
    probabilities = np.eye(10)[[3, 3, 7, 1]]
    assert metrics.label_agreement(probabilities, [3, 5, 7, 1]) == 0.75
    per_digit = metrics.agreement_per_digit(probabilities, [3, 5, 7, 1])
    assert per_digit[3] == per_digit[7] == per_digit[1] == 1.0 and per_digit[5] == 0.0
    assert np.isnan(per_digit[0])


def test_a_conditional_generator_is_judged_on_the_digits_it_was_asked_for(bundled):
    # A "generator" that ignores the noise and returns a real digit of the requested class is
    # what a perfect conditional GAN would be: the judge must agree with nearly every request.
    train, held_out = data.split_digits(bundled)
    examples = np.stack([train.images[np.flatnonzero(train.labels == d)[0]] for d in range(10)])
    noise, label = keras.Input((LATENT,)), keras.Input((), dtype="int32")
    lookup = keras.layers.Embedding(10, 28 * 28, embeddings_initializer=keras.initializers.Constant(
        examples.reshape(10, -1)), trainable=False)(label)
    # The noise must reach the output: the Keras that Python 3.10 gets refuses a model with an unused input.
    ignored = 0.0 * keras.ops.sum(noise, axis=-1)[:, None, None, None]
    perfect = keras.Model([noise, label], keras.layers.Reshape((28, 28, 1))(lookup) + ignored)
    reference = metrics.Reference(train.images, held_out.images)
    result = metrics.evaluate_generator(perfect, reference, n=500)
    assert result["label_agreement"] == 1.0
    assert result["agreement_per_digit"] == [1.0] * 10
    assert result["digits_covered"] == 10


def test_the_conditional_recipe_trains_on_labelled_digits_and_saves_a_two_input_generator(bundled, tmp_path):
    gan = recipes.build("conditional", width=4, jit_compile=False)
    run = training.train(gan, bundled.images[:128], labels=bundled.labels[:128], steps=2, batch_size=32,
                         snapshots=1, verbose=0)
    assert run.steps == 2 and gan.conditional
    records.save_run(tmp_path, gan.sampler, {"notebook": "test"}, run)
    reloaded = keras.models.load_model(tmp_path / "generator.keras", safe_mode=True, compile=False)
    assert sampling.is_conditional(reloaded)
