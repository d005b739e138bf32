"""The digit judge's feature spaces: its classification unchanged, its whitening shipped, checked and reproducible."""

import numpy as np
import pytest

from ganlib import data, judge


@pytest.fixture(scope="module")
def split(bundled):
    return data.split_digits(bundled)


@pytest.fixture(scope="module")
def classifier():
    judge.load_judge()   # checks the checksums first
    return judge.load_classifier(judge.JUDGE_PATH)


def test_probabilities_are_the_shipped_classifiers_softmax(split, classifier):
    # The feature spaces changed; the judge's classification (every "recognized share") did not.
    images = np.concatenate([split[1].images[:300], np.random.default_rng(0).uniform(-1, 1, (100, 28, 28, 1))])
    logits = classifier.predict(images.astype(np.float32), verbose=0)
    expected = np.exp(logits - logits.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    for space in judge.SPACES:
        np.testing.assert_allclose(judge.judge_digits(images, space=space)[1], expected, atol=1e-5)


def test_judging_gives_keras_predict_bit_for_bit_in_every_batch_split(split):
    # judge_digits calls one traced graph instead of predict (which builds a tf.data pipeline per call);
    # the numbers must not move, for a whole batch, several, a partial last one and a single image.
    model = judge.load_judge()
    before_relu_of = {}
    for n, batch_size in ((500, 500), (1234, 500), (7, 500), (1, 500), (300, 64)):
        images = np.concatenate([split[1].images, split[0].images])[:n]
        expected_before_relu, expected_probabilities = model.predict(images, batch_size=batch_size, verbose=0)
        before_relu, probabilities = judge.judge_digits(images, batch_size=batch_size, space="before_relu")
        np.testing.assert_array_equal(probabilities, expected_probabilities)
        np.testing.assert_array_equal(before_relu, expected_before_relu)
        before_relu_of[n] = before_relu
    assert not np.array_equal(before_relu_of[7][:1], before_relu_of[7][1:2])   # not one image repeated


def test_no_images_is_a_clear_error():
    with pytest.raises(ValueError, match=r"images holds 0 image\(s\); allowed: at least 1"):
        judge.judge_digits(np.zeros((0, 28, 28, 1), np.float32))
    with pytest.raises(ValueError, match=r"images hold NaN in 1 of 2 image\(s\); allowed: finite images"):
        judge.judge_digits(np.stack([np.zeros((28, 28, 1)), np.full((28, 28, 1), np.nan)]).astype(np.float32))


def test_the_three_spaces_are_views_of_one_layer(split, classifier):
    import keras

    images = split[1].images[:200]
    relu_layer = keras.Model(classifier.inputs, classifier.get_layer(judge.FEATURES).output)
    after = relu_layer.predict(images, verbose=0)
    before = judge.judge_digits(images, space="before_relu")[0]
    np.testing.assert_allclose(judge.judge_digits(images, space="after_relu")[0], after, atol=1e-4)
    np.testing.assert_allclose(np.maximum(before, 0), after, atol=1e-4)
    mean, whitening = judge.load_space()
    np.testing.assert_allclose(judge.judge_digits(images, space="whitened")[0], (before - mean) @ whitening,
                               rtol=1e-4, atol=1e-3)


def test_the_shipped_whitening_is_refit_from_the_training_digits(split):
    train, _ = split
    before = judge.judge_digits(train.images, space="before_relu")[0]
    mean, whitening = judge.fit_space(before, judge.SHRINKAGE)
    shipped_mean, shipped_whitening = judge.load_space()
    np.testing.assert_allclose(shipped_mean, mean, atol=1e-3)
    np.testing.assert_allclose(shipped_whitening, whitening, atol=1e-4)
    assert judge.report()["space_shrinkage"] == judge.SHRINKAGE


def test_fit_space_whitens_with_shrinkage():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(20000, 3)) * np.array([1.0, 2.0, 4.0]) + 5.0   # variances 1, 4, 16
    mean, whitening = judge.fit_space(features, shrinkage=0.0)
    np.testing.assert_allclose(mean, 5.0, atol=0.1)
    np.testing.assert_allclose(np.cov((features - mean) @ whitening, rowvar=False), np.eye(3), atol=1e-6)
    # Shrinkage 1: one scale for every direction, the root of the average variance (7).
    _, isotropic = judge.fit_space(features, shrinkage=1.0)
    np.testing.assert_allclose(isotropic, np.eye(3) / np.sqrt(7.0), rtol=0.02, atol=1e-3)
    # Halfway: a direction's variance counts as half its own plus half the average (1 -> 4, 16 -> 11.5).
    _, halfway = judge.fit_space(features, shrinkage=0.5)
    np.testing.assert_allclose(np.diag(halfway), 1 / np.sqrt([4.0, 5.5, 11.5]), rtol=0.03)
    with pytest.raises(ValueError, match="shrinkage is 1.5; allowed: 0"):
        judge.fit_space(features, shrinkage=1.5)


def test_a_damaged_whitening_file_is_refused(tmp_path, monkeypatch):
    damaged = tmp_path / judge.SPACE_PATH.name
    stored = dict(np.load(judge.SPACE_PATH))
    np.savez(damaged, mean=stored["mean"] + 1.0, whitening=stored["whitening"])
    monkeypatch.setattr(judge, "SPACE_PATH", damaged)
    judge.load_judge.cache_clear()
    try:
        with pytest.raises(judge.JudgeError, match="judge_space.npz fails its checksum"):
            judge.load_judge()
    finally:
        judge.load_judge.cache_clear()
        judge.load_space.cache_clear()


def test_a_checksum_file_without_the_whitening_is_refused(tmp_path, monkeypatch):
    partial = tmp_path / "judge.sha256"
    partial.write_text(judge.CHECKSUM_PATH.read_text().splitlines()[0] + "\n")   # judge.keras only
    monkeypatch.setattr(judge, "CHECKSUM_PATH", partial)
    judge.load_judge.cache_clear()
    try:
        with pytest.raises(judge.JudgeError, match="records no checksum for judge_space.npz"):
            judge.load_judge()
    finally:
        judge.load_judge.cache_clear()
        judge.load_space.cache_clear()


def test_the_classifier_loads_from_its_weights_alone(split):
    import keras

    built = judge.load_classifier(judge.JUDGE_PATH)
    accuracy = np.mean(built.predict(split[1].images, verbose=0).argmax(1) == split[1].labels)
    assert accuracy == pytest.approx(judge.report()["held_out_accuracy"], abs=0.002)
    try:   # the file's own config loads only in a Keras as new as the one that wrote it
        loaded = keras.models.load_model(judge.JUDGE_PATH, compile=False, safe_mode=True)
    except (TypeError, ValueError):
        return
    for mine, theirs in zip(built.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_a_bad_space_name_is_a_clear_error():
    with pytest.raises(ValueError, match="space is 'logits'; allowed: 'whitened', 'before_relu', 'after_relu'"):
        judge.judge_digits(np.zeros((2, 28, 28, 1)), space="logits")


def test_pixels_outside_the_model_range_are_refused(split):
    # 0-255 pixels used to be judged (and "recognized" 99.7% of the time, without a word).
    held = split[1].images[:20]
    with pytest.raises(ValueError, match=r"images range from 0 to 255; allowed: float images of shape \(N, 28, 28, 1\) in \[-1, 1\]"):
        judge.judge_digits(data.to_pixels(held).astype(np.float32))
    judge.judge_digits(np.clip(held * 1.005, -1.005, 1.005))   # float rounding's few thousandths are let through
