"""Quality measures: real digits score high, noise scores low, collapse and copying are caught."""

import numpy as np
import pytest
from scipy import linalg

from ganlib import data, judge, metrics


@pytest.fixture(scope="module")
def split(bundled):
    return data.split_digits(bundled)


@pytest.fixture(scope="module")
def reference(split):
    train, held_out = split
    return metrics.Reference(train.images, held_out.images)


def evaluate(images, reference):
    return metrics.evaluate_images(np.asarray(images, np.float32), reference)


def test_split_is_stratified_disjoint_and_fixed(bundled, split):
    train, held_out = split
    assert np.bincount(held_out.labels).tolist() == [100] * 10
    assert len(train.labels) == 4000
    again = data.split_digits(bundled)[1]
    np.testing.assert_array_equal(again.images, held_out.images)
    flat_train = {image.tobytes() for image in train.images}
    assert not any(image.tobytes() in flat_train for image in held_out.images)


def test_the_shipped_judge_passes_its_checksum_and_matches_its_report(split):
    _, held_out = split
    _, probabilities = judge.judge_digits(held_out.images)
    accuracy = np.mean(probabilities.argmax(1) == held_out.labels)
    assert accuracy == pytest.approx(judge.report()["held_out_accuracy"], abs=0.002)
    assert accuracy > 0.97


def test_a_damaged_judge_file_is_refused(tmp_path, monkeypatch):
    damaged = tmp_path / "judge.keras"
    damaged.write_bytes(judge.JUDGE_PATH.read_bytes()[:-10] + b"0123456789")
    monkeypatch.setattr(judge, "JUDGE_PATH", damaged)
    judge.load_judge.cache_clear()
    try:
        with pytest.raises(judge.JudgeError, match="fails its checksum"):
            judge.load_judge()
    finally:
        judge.load_judge.cache_clear()


def test_real_held_out_digits_score_high(split, reference):
    train, _ = split
    scores = evaluate(train.images[np.random.default_rng(1).choice(4000, 1000, replace=False)], reference)
    assert scores["recognized_share"] == pytest.approx(reference.real_recognized, abs=0.03)
    assert scores["classifier_score"] > 9.0
    assert scores["digits_covered"] == 10
    assert scores["frechet_ratio"] < 1.5
    assert scores["recall"] > 0.8 and scores["coverage"] > 0.8 and 0.7 < scores["density"] < 1.3


def test_uniform_noise_scores_low(reference):
    noise = np.random.default_rng(0).uniform(-1, 1, (1000, 28, 28, 1))
    scores = evaluate(noise, reference)
    assert scores["recognized_share"] < 0.05
    assert scores["classifier_score"] < 1.5
    assert scores["frechet_ratio"] > 10
    assert scores["recall"] < 0.05 and scores["coverage"] < 0.05 and scores["density"] < 0.5


def test_copies_of_one_digit_cover_one_class_with_low_recall(split, reference):
    _, held_out = split
    scores = evaluate(np.repeat(held_out.images[:1], 1000, axis=0), reference)
    assert scores["digits_covered"] == 1
    assert scores["class_histogram"][held_out.labels[0]] == 1000
    assert scores["classifier_score"] == pytest.approx(1.0, abs=1e-3)
    assert scores["recall"] < 0.05 and scores["coverage"] < 0.05
    assert scores["frechet_ratio"] > 10


def test_training_images_fed_back_are_flagged_as_memorized(split, reference):
    train, held_out = split
    assert evaluate(train.images[:1000], reference)["memorized_share"] == 1.0
    # Real digits no model saw are (by the threshold's definition) rarely that close.
    assert metrics.memorized_share(held_out.images, train.images, reference.copy_threshold) <= 0.02
    # A training image with a little noise added is still a near-copy.
    noisy = np.clip(train.images[:200] + np.random.default_rng(0).normal(0, 0.02, (200, 28, 28, 1)), -1, 1)
    assert metrics.memorized_share(noisy, train.images, reference.copy_threshold) > 0.9


def test_trace_of_matrix_square_root_against_known_values():
    assert metrics._trace_sqrt_product(np.diag([4.0, 9.0]), np.eye(2)) == pytest.approx(5.0)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 6, 6))
    cov_a, cov_b = a @ a.T, b @ b.T  # symmetric positive definite, not commuting
    expected = np.trace(np.real(linalg.sqrtm(cov_a @ cov_b)))
    assert metrics._trace_sqrt_product(cov_a, cov_b) == pytest.approx(expected, rel=1e-6)


def test_frechet_distance_of_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20000, 3))
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    # N(0, I) against N(mu, 4 I): ||mu||^2 + sum (1 + 4 - 2 * 2) = ||mu||^2 + 3
    b = 2 * rng.normal(size=(20000, 3)) + np.array([1.0, 2.0, 0.0])
    assert metrics.frechet_distance(a, b) == pytest.approx(5.0 + 3.0, rel=0.05)


def test_classifier_score_bounds():
    one_hot = np.eye(10)[np.arange(1000) % 10]
    assert metrics.classifier_score(one_hot) == pytest.approx(10.0, rel=1e-6)
    assert metrics.classifier_score(np.tile(one_hot[:1], (1000, 1))) == pytest.approx(1.0)
    assert metrics.classifier_score(np.full((50, 10), 0.1)) == pytest.approx(1.0)


def test_too_few_samples_is_a_clear_error(reference):
    with pytest.raises(ValueError, match="evaluate at least 500 images"):
        evaluate(np.zeros((10, 28, 28, 1)), reference)
