"""Image repair: masks, baselines, and the latent search recovering what a generator can explain."""

import keras
import numpy as np
import pytest

from ganlib import repair

LATENT = 4


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
    basis = rng.standard_normal((LATENT, 28 * 28)).astype(np.float32) * 0.3
    noise = keras.Input((LATENT,))
    image = keras.layers.Dense(28 * 28, use_bias=False, kernel_initializer=keras.initializers.Constant(basis))(noise)
    inputs = noise
    if conditional:
        label = keras.Input((), dtype="int32")
        offsets = rng.standard_normal((10, 28 * 28)).astype(np.float32) * 0.5
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
