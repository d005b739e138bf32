"""Image repair: masks, baselines, and the latent search recovering what a generator can explain."""

import keras
import numpy as np
import pytest

from ganlib import data, repair

LATENT = 4
EVERY_PIXEL = np.ones((28, 28, 1), np.float32)


def test_masks_hide_what_their_names_say():
    assert repair.make_mask("bottom_half")[14:].max() == 0 and repair.make_mask("bottom_half")[:14].min() == 1
    assert repair.make_mask("left_half")[:, :14].max() == 0
    assert repair.make_mask("centre_square").mean() == pytest.approx(1 - 14 * 14 / 784)
    with pytest.raises(ValueError, match="mask is 'top'; allowed: 'bottom_half'"):
        repair.make_mask("top")


def test_masked_error_counts_visible_pixels_only():
    mask = repair.make_mask("bottom_half")
    target = np.zeros((1, 28, 28, 1), np.float32)
    wrong_below = target.copy()
    wrong_below[:, 14:] = 1.0
    assert repair.masked_mse(wrong_below, target, mask)[0] == 0.0
    assert repair.masked_mse(wrong_below, target, 1 - mask)[0] == 1.0


def test_nearest_fill_recovers_a_training_digit_exactly(bundled):
    mask = repair.make_mask("centre_square")
    images = bundled.images[:5]
    repaired, labels = repair.fill_with_nearest(repair.hide(images, mask), mask, bundled.images[:500],
                                                bundled.labels[:500])
    np.testing.assert_array_equal(repaired, images)
    assert labels.tolist() == bundled.labels[:5].tolist()


def linear_generator(conditional):
    """G(z[, y]) = basis . z (+ the label's own offset image): a generator whose images are known."""
    rng = np.random.default_rng(0)
    # Scaled so that its images lie within [-1, 1], as a tanh generator's do (repair refuses others).
    basis = rng.standard_normal((LATENT, 28 * 28)).astype(np.float32) * 0.1
    noise = keras.Input((LATENT,))
    image = keras.layers.Dense(28 * 28, use_bias=False, kernel_initializer=keras.initializers.Constant(basis))(noise)
    inputs = noise
    if conditional:
        label = keras.Input((), dtype="int32")
        offsets = rng.standard_normal((10, 28 * 28)).astype(np.float32) * 0.15
        offset = keras.layers.Embedding(10, 28 * 28, embeddings_initializer=keras.initializers.Constant(offsets))(label)
        image, inputs = keras.layers.Add()([image, offset]), [noise, label]
    return keras.Model(inputs, keras.layers.Reshape((28, 28, 1))(image))


@pytest.mark.parametrize("conditional", [False, True], ids=["unconditional", "conditional"])
def test_latent_search_fills_the_hidden_part_the_visible_part_determines(conditional):
    generator = linear_generator(conditional)
    truth_noise = np.random.default_rng(1).standard_normal((3, LATENT)).astype(np.float32)
    truth_labels = np.array([2, 7, 4], np.int32)
    originals = generator.predict([truth_noise, truth_labels] if conditional else truth_noise, verbose=0)
    mask = repair.make_mask("bottom_half")
    result = repair.repair_with_generator(generator, repair.hide(originals, mask), mask, steps=300,
                                          restarts=2, learning_rate=0.1, prior_weight=0.0)
    hidden_error = repair.masked_mse(result.images, originals, 1 - mask)
    mean_fill_error = repair.masked_mse(repair.fill_with_mean(repair.hide(originals, mask), mask, originals),
                                        originals, 1 - mask)
    assert hidden_error.max() < 1e-3 < mean_fill_error.min(), (hidden_error, mean_fill_error)
    np.testing.assert_array_equal(result.images * mask, originals * mask)   # visible pixels kept as given
    if conditional:
        assert result.labels.tolist() == truth_labels.tolist()
    else:
        assert result.labels is None


def test_bad_search_settings_are_refused():
    with pytest.raises(ValueError, match="steps is 0"):
        repair.repair_with_generator(linear_generator(False), np.zeros((1, 28, 28, 1)), repair.make_mask("left_half"),
                                     steps=0)


def test_bad_realism_and_label_settings_are_refused():
    with pytest.raises(ValueError, match="realism_weight is 0.1; allowed: 0, or a positive number with a discriminator"):
        repair.latent_search(linear_generator(True), np.zeros((1, 28, 28, 1)), realism_weight=0.1)
    with pytest.raises(ValueError, match="labels were given but the generator is unconditional"):
        repair.latent_search(linear_generator(False), np.zeros((1, 28, 28, 1)), labels=[3])


def test_blur_is_a_convolution_that_continues_the_background(bundled):
    from scipy import ndimage

    psf = repair.gaussian_psf(1.5)
    assert psf.shape == (11, 11) and psf.sum() == pytest.approx(1.0)
    images = bundled.images[:3]
    expected = np.stack([ndimage.convolve(image[..., 0], psf, mode="constant", cval=-1.0) for image in images])
    np.testing.assert_allclose(np.asarray(repair.blur(images, psf))[..., 0], expected, atol=1e-5)
    blank = -np.ones((1, 28, 28, 1), np.float32)
    np.testing.assert_allclose(np.asarray(repair.blur(blank, psf)), blank, atol=1e-6)
    with pytest.raises(ValueError, match="sigma is 0"):
        repair.gaussian_psf(0)


def test_noise_is_seeded_and_stays_in_range(bundled):
    noisy = repair.add_noise(bundled.images[:20], 0.5, seed=3)
    np.testing.assert_array_equal(noisy, repair.add_noise(bundled.images[:20], 0.5, seed=3))
    assert noisy.min() >= -1 and noisy.max() <= 1
    assert 0.3 < np.std(noisy - bundled.images[:20]) < 0.5   # 0.5, less what clipping removes


def test_the_baselines_undo_part_of_the_damage(bundled):
    originals = bundled.images[:30]
    noisy = repair.add_noise(originals, 0.5, seed=0)
    noisy_error = repair.masked_mse(noisy, originals, EVERY_PIXEL).mean()
    assert repair.masked_mse(repair.denoise_median(noisy, 3), originals, EVERY_PIXEL).mean() < 0.6 * noisy_error
    assert repair.masked_mse(repair.denoise_gaussian(noisy, 0.5), originals, EVERY_PIXEL).mean() < 0.8 * noisy_error
    psf = repair.gaussian_psf(1.5)
    blurred = np.asarray(repair.blur(originals, psf))
    for deblurred in (repair.deblur_wiener(blurred, psf, 0.01), repair.deblur_richardson_lucy(blurred, psf, 30)):
        assert deblurred.shape == originals.shape and deblurred.min() >= -1 and deblurred.max() <= 1
        blurred_error = repair.masked_mse(blurred, originals, EVERY_PIXEL).mean()
        assert repair.masked_mse(deblurred, originals, EVERY_PIXEL).mean() < 0.5 * blurred_error


def test_the_search_sees_through_a_blur_it_is_told_about():
    generator = linear_generator(conditional=False)
    truth = generator.predict(np.random.default_rng(2).standard_normal((3, LATENT)).astype(np.float32), verbose=0)
    psf = repair.gaussian_psf(1.0)
    observed = np.asarray(repair.blur(truth, psf))
    found = repair.latent_search(generator, observed, forward=lambda images: repair.blur(images, psf),
                                 steps=300, restarts=2, learning_rate=0.1, prior_weight=0.0)
    sharp_error = repair.masked_mse(found.generated, truth, EVERY_PIXEL)
    assert sharp_error.max() < 1e-3 < repair.masked_mse(observed, truth, EVERY_PIXEL).min(), sharp_error


class LabelCritic(keras.Model):
    """A stand-in discriminator that finds every image real when labelled 3, and fake otherwise."""

    def __init__(self):
        image, label = keras.Input((28, 28, 1)), keras.Input((), dtype="int32")
        scores = np.full((10, 1), -8.0, np.float32)
        scores[3] = 8.0
        score = keras.layers.Reshape((1,))(
            keras.layers.Embedding(10, 1, embeddings_initializer=keras.initializers.Constant(scores))(label))
        # The image counts zero, but is used: Keras 3.12 refuses an input that no output uses.
        ignored = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")(keras.layers.Flatten()(image))
        super().__init__([image, label], keras.layers.Add()([score, ignored]))


def test_the_realism_term_can_overrule_the_best_fit():
    generator = linear_generator(conditional=True)
    truth_noise = np.random.default_rng(1).standard_normal((2, LATENT)).astype(np.float32)
    originals = generator.predict([truth_noise, np.array([7, 7], np.int32)], verbose=0)
    mask = repair.make_mask("left_half")
    settings = dict(weights=mask, steps=100, restarts=1, learning_rate=0.1, discriminator=LabelCritic())
    fit_only = repair.latent_search(generator, originals, **settings)
    assert fit_only.labels.tolist() == [7, 7] and fit_only.realism is None
    realistic = repair.latent_search(generator, originals, realism_weight=10.0, **settings)
    assert realistic.labels.tolist() == [3, 3]
    np.testing.assert_allclose(realistic.realism, np.log1p(np.exp(-8.0)), rtol=1e-4)   # -log sigmoid(8)
    # Chosen by fit, the realism term shapes each candidate but the visible pixels pick the digit.
    fitted = repair.latent_search(generator, originals, realism_weight=10.0, choose_by="fit", **settings)
    assert fitted.labels.tolist() == [7, 7]
    with pytest.raises(ValueError, match="choose_by is 'best'"):
        repair.latent_search(generator, originals, choose_by="best", **settings)


def test_given_labels_are_the_only_digits_searched():
    generator = linear_generator(conditional=True)
    observed = generator.predict([np.zeros((2, LATENT), np.float32), np.array([1, 5], np.int32)], verbose=0)
    found = repair.latent_search(generator, observed, labels=[4, 4], steps=5, restarts=3)
    assert found.labels.tolist() == [4, 4] and found.noise.shape == (2, LATENT)


def test_the_search_leaves_tensorflow_optimizer_options_as_it_found_them():
    import tensorflow as tf

    before = tf.config.optimizer.get_experimental_options().get("remapping", True)
    repair.latent_search(linear_generator(True), np.zeros((1, 28, 28, 1)), steps=1, restarts=1,
                         discriminator=LabelCritic(), realism_weight=1.0)
    assert tf.config.optimizer.get_experimental_options().get("remapping", True) == before


@pytest.mark.parametrize("mask, message", [
    (np.ones((28, 28)), r"mask has shape \(28, 28\); allowed: \(28, 28, 1\)"),   # used to broadcast to (N, 28, 28, 28)
    (np.zeros((28, 28, 1)), "mask hides every pixel"),                          # used to give nan errors
])
def test_a_mask_that_cannot_mean_what_it_says_is_refused(mask, message):
    with pytest.raises(ValueError, match=message):
        repair.repair_with_generator(linear_generator(False), np.zeros((2, 28, 28, 1)), mask, steps=1, restarts=1)


@pytest.mark.parametrize("settings, message", [
    ({"labels": [1, 2, 3]}, r"labels have shape \(3,\); allowed: one digit per observed image, shape \(2,\)"),
    ({"labels": [1, 12]}, r"labels hold \[12\]; allowed: whole numbers 0 to 9"),
    ({"steps": 2.5}, "steps is 2.5 and restarts is 2; allowed: each an integer >= 1"),
    ({"weights": np.ones((28, 28))}, r"weights has shape \(28, 28\)"),
])
def test_search_settings_are_checked_before_the_search(settings, message):
    with pytest.raises(ValueError, match=message):
        repair.latent_search(linear_generator(True), np.zeros((2, 28, 28, 1)), **settings)


def test_a_mask_without_its_channel_and_a_single_image_are_refused(bundled):
    images, mask = bundled.images[:4], repair.make_mask("centre_square")
    with pytest.raises(ValueError, match=r"mask has shape \(28, 28\); allowed: \(28, 28, 1\)"):
        repair.hide(images, mask[..., 0])   # used to broadcast into (4, 28, 28, 28)
    with pytest.raises(ValueError, match=r"mask has shape \(28, 28\)"):
        repair.masked_mse(images, images, mask[..., 0])
    with pytest.raises(ValueError, match=r"observed is one image of shape \(28, 28, 1\); .* observed\[None\]"):
        repair.latent_search(linear_generator(False), images[0], steps=1, restarts=1)   # was searched as 28 images
    with pytest.raises(ValueError, match=r"train_images are uint8 pixels"):
        repair.fill_with_mean(repair.hide(images, mask), mask, data.to_pixels(bundled.images[:100]))
