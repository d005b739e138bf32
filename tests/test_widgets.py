"""The generator explorer: each control changes what is drawn in the way it says, without a browser.

A JupyterLab check in a real browser is in tests/browser/ (run on demand; see its README)."""

import io

import imageio.v3 as iio
import keras
import numpy as np
import pytest

from ganlib import widgets

LATENT = 6


class Recorder(keras.Model):
    """A stand-in generator: draws the mean of its noise as one flat grey, and remembers what it got."""

    def __init__(self, conditional):
        noise = keras.Input((LATENT,))
        mean = keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")(noise)
        inputs = noise
        if conditional:   # the label adds zero, but is used: Keras 3.12 refuses an input no output uses
            label = keras.Input((), dtype="int32")
            mean = keras.layers.Add()([mean, keras.layers.Embedding(10, 1, embeddings_initializer="zeros")(label)])
            inputs = [noise, label]
        super().__init__(inputs=inputs, outputs=keras.layers.Reshape((28, 28, 1))(keras.layers.RepeatVector(28 * 28)(mean)))
        self.seen = []

    def __call__(self, inputs, training=False):
        self.seen.append(inputs)
        return super().__call__(inputs, training=training)


def png_pixels(png: bytes) -> np.ndarray:
    return iio.imread(io.BytesIO(png))


@pytest.fixture
def conditional():
    return widgets.GeneratorExplorer(Recorder(conditional=True), directions=2, seed=5)


def test_the_digit_picker_asks_the_generator_for_that_digit(conditional):
    conditional.controls["digit"].value = 7
    noise, labels = conditional.generator.seen[-1]   # the strip: the last call
    assert labels.tolist() == [7] * widgets.STRIP_LENGTH
    assert conditional.generator.seen[-2][1].tolist() == [7]   # the main picture


def test_an_unconditional_generator_gets_no_digit_picker():
    explorer = widgets.GeneratorExplorer(Recorder(conditional=False), directions=1)
    assert "digit" not in explorer.controls
    assert np.asarray(explorer.generator.seen[-1]).shape == (widgets.STRIP_LENGTH, LATENT)


def test_the_seed_picks_the_noise_and_the_picture_follows(conditional):
    picture = conditional.picture.value
    np.testing.assert_allclose(conditional.noise(), widgets.truncated_noise(5, LATENT, None))
    conditional.controls["seed"].value = 6
    np.testing.assert_allclose(conditional.noise(), widgets.truncated_noise(6, LATENT, None))
    assert conditional.picture.value != picture
    assert png_pixels(conditional.picture.value).shape[:2] == (28 * widgets.UPSCALE, 28 * widgets.UPSCALE)


def test_a_direction_slider_moves_the_noise_along_its_direction_only(conditional):
    start = conditional.noise()
    conditional.controls["direction 2"].value = 1.5
    moved = conditional.noise() - start
    np.testing.assert_allclose(moved, 1.5 * conditional.directions[1], atol=1e-5)
    np.testing.assert_allclose(conditional.directions @ conditional.directions.T, np.eye(2), atol=1e-5)


def test_truncation_keeps_every_entry_inside_the_bound(conditional):
    conditional.controls["truncation"].value = 0.5
    assert np.abs(conditional.noise()).max() <= 0.5
    assert "truncated at +-0.5" in conditional.status.value
    conditional.controls["truncation"].value = conditional.controls["truncation"].max
    assert np.abs(conditional.noise()).max() > 0.5 and "no truncation" in conditional.status.value


def test_the_interpolation_strip_runs_from_one_seed_to_the_other(conditional):
    conditional.controls["towards seed"].value = 42
    strip = conditional.interpolation()
    assert strip.shape == (widgets.STRIP_LENGTH, 28, 28, 1)
    noise = conditional.generator.seen[-1][0]
    np.testing.assert_allclose(noise[0], conditional.noise(), atol=1e-5)
    np.testing.assert_allclose(noise[-1], conditional.noise(42), atol=1e-5)
    # Spherical: every point keeps about the length of its ends (a straight line would sag).
    lengths = np.linalg.norm(noise, axis=1)
    assert lengths.min() > 0.9 * min(lengths[0], lengths[-1])


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="directions is 7; allowed: 0 to the latent size"):
        widgets.GeneratorExplorer(Recorder(conditional=False), directions=7)
    with pytest.raises(ValueError, match="truncation is 0"):
        widgets.truncated_noise(0, 4, 0.0)


def test_sliders_redraw_when_let_go_not_at_every_tick_of_a_drag(conditional):
    sliders = [c for c in conditional.controls.values() if c.__class__.__name__ == "FloatSlider"]
    assert len(sliders) == 1 + 2   # truncation and the two directions
    assert all(slider.continuous_update is False for slider in sliders)


def test_the_direction_sweep_moves_one_direction_per_row(conditional):
    offsets = [-2.0, 0.0, 3.0]
    sweep = conditional.direction_sweep(offsets, seed=9, digit=4)
    assert sweep.shape == (2 * len(offsets), 28, 28, 1)
    noise, labels = conditional.generator.seen[-1]
    assert labels.tolist() == [4] * 6
    start = widgets.truncated_noise(9, LATENT, None)
    for row in range(2):
        for column, offset in enumerate(offsets):
            np.testing.assert_allclose(noise[row * 3 + column], start + offset * conditional.directions[row], atol=1e-5)
    # The Recorder draws the noise's mean as a flat grey: offset 0 on each row is the seed's own image.
    np.testing.assert_allclose(sweep[1], sweep[4])


def test_the_truncation_sweep_bounds_each_row_by_its_truncation(conditional):
    truncations, seeds = [0.5, 1.5, None], [0, 1, 2, 3]
    sweep = conditional.truncation_sweep(truncations, seeds, digit=2)
    assert sweep.shape == (len(truncations) * len(seeds), 28, 28, 1)
    noise = conditional.generator.seen[-1][0].reshape(len(truncations), len(seeds), LATENT)
    assert np.abs(noise[0]).max() <= 0.5 and np.abs(noise[1]).max() <= 1.5
    np.testing.assert_allclose(noise[2, 3], widgets.truncated_noise(3, LATENT, None))


def saved_generator(tmp_path, conditional):
    noise = keras.Input((LATENT,))
    drawn = keras.layers.Dense(28 * 28, activation="tanh")(noise)
    inputs = noise
    if conditional:   # the label shifts each digit a little: every input is used (Keras 3.12 requires it)
        label = keras.Input((), dtype="int32")
        drawn = keras.layers.Add()([drawn, keras.layers.Embedding(10, 28 * 28, embeddings_initializer="zeros")(label)])
        inputs = [noise, label]
    image = keras.layers.Reshape((28, 28, 1))(drawn)
    path = tmp_path / "generator.keras"
    keras.Model(inputs, image).save(path)
    return path


@pytest.mark.parametrize("conditional", [True, False], ids=["conditional", "unconditional"])
def test_the_explorer_opens_a_saved_generator_by_path(tmp_path, conditional):
    explorer = widgets.GeneratorExplorer.open(saved_generator(tmp_path, conditional), directions=2, seed=3)
    assert explorer.conditional is conditional and ("digit" in explorer.controls) is conditional
    assert explorer.latent_dim == LATENT and explorer.image().shape == (28, 28, 1)
    assert explorer.controls["seed"].value == 3


def test_opening_a_missing_or_foreign_file_says_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="no saved generator at .*nothing.keras"):
        widgets.GeneratorExplorer.open(tmp_path / "nothing.keras")
    classifier = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    classifier.save(tmp_path / "classifier.keras")
    with pytest.raises(ValueError, match="not a digit generator"):
        widgets.GeneratorExplorer.open(tmp_path / "classifier.keras")


def test_the_explorer_opens_a_generator_stored_the_shipped_way(tmp_path):
    from ganlib import pretrained

    model = keras.models.load_model(saved_generator(tmp_path, conditional=True), compile=False)
    path = pretrained.save_compact(model, tmp_path / "conditional.generator.npz")
    explorer = widgets.GeneratorExplorer.open(path, directions=1)
    assert explorer.conditional and explorer.latent_dim == LATENT
    original = model([explorer.noise()[None], np.zeros(1, np.int32)], training=False)[0]
    np.testing.assert_allclose(explorer.image(), original, atol=0.02)   # the weights survive (int8-stored)
