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
    # "Not a digit" is an outcome of its own: no class counts, no digit covered, no most common digit.
    assert scores["unrecognized_share"] == 1.0
    assert scores["digits_covered"] == 0 and sum(scores["class_histogram"]) == 0
    assert scores["most_common_digit"] is None and scores["most_common_share"] == 0.0
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


def test_classes_are_counted_over_recognized_samples_only():
    confident = np.eye(10)[[3, 3, 3, 7]] * 0.91 + 0.01   # recognized: 3, 3, 3, 7
    unsure = np.full((6, 10), 0.1)
    unsure[:, 8] = 0.19                                  # an uninformed guess that favours 8
    unsure /= unsure.sum(1, keepdims=True)
    probabilities = np.concatenate([confident, unsure])
    assert metrics.recognized(probabilities).tolist() == [True] * 4 + [False] * 6
    assert metrics.unrecognized_share(probabilities) == pytest.approx(0.6)
    histogram = metrics.class_histogram(probabilities)
    assert histogram[3] == 3 and histogram[7] == 1 and histogram[8] == 0 and histogram.sum() == 4
    assert metrics.class_histogram(probabilities, threshold=0.0)[8] == 6   # the argmax-only count
    assert metrics.most_common_digit(probabilities) == (3, 0.75)
    assert metrics.most_common_digit(unsure) == (None, 0.0)
    # Coverage is a share of the recognized samples: 7 has 1 of 4, enough at 20%, not at 30%.
    assert metrics.digits_covered(probabilities) == 2
    assert metrics.digits_covered(probabilities, min_share=0.3) == 1
    assert metrics.digits_covered(unsure) == 0


def test_an_undertrained_generator_and_a_collapsed_one_read_differently():
    every_digit = np.eye(10)[np.arange(50) % 10]      # 5% of 1,000 recognized, every digit among them
    undertrained = np.concatenate([every_digit, np.full((950, 10), 0.1)])
    collapsed = np.eye(10)[np.full(1000, 4)]           # every sample a recognizable 4
    assert metrics.recognized_share(undertrained) == pytest.approx(0.05)
    assert metrics.digits_covered(undertrained) == 10
    assert metrics.recognized_share(collapsed) == 1.0 and metrics.digits_covered(collapsed) == 1


def test_unrecognized_images_never_agree_with_the_requested_digit():
    guess = np.full((4, 10), 0.1)
    guess[:, 8] = 0.19
    guess /= guess.sum(1, keepdims=True)                  # not a digit, the judge's guess is 8
    probabilities = np.concatenate([np.eye(10)[[8, 8, 2, 5]], guess])
    requested = [8, 8, 8, 5, 8, 8, 8, 8]
    assert metrics.label_agreement(probabilities, requested) == pytest.approx(3 / 8)
    assert metrics.label_agreement(probabilities, requested, threshold=0.0) == pytest.approx(7 / 8)
    assert metrics.agreement_among_recognized(probabilities, requested) == pytest.approx(3 / 4)
    assert np.isnan(metrics.agreement_among_recognized(guess, [8] * 4))
    per_digit = metrics.agreement_per_digit(probabilities, requested)
    assert per_digit[8] == pytest.approx(2 / 7) and per_digit[5] == 1.0 and np.isnan(per_digit[0])
    with pytest.raises(ValueError, match="3 labels for 8 images"):
        metrics.label_agreement(probabilities, [8, 8, 8])


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
