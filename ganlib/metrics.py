"""Judging generated digits the way the field judges generated images, adapted to digits.

Every measure here works from the digit judge (``ganlib.judge``).

Its class probabilities say whether a sample is a recognizable digit (:func:`recognized`: its most
likely digit has probability >= :data:`CONFIDENT`) and which one. "Not recognized" is an outcome of
its own (the right answer for a non-digit, though a rough digit can land there too): class counts,
digits covered, the most common digit and agreement with a requested digit count recognized samples
only, and :func:`unrecognized_share` is reported beside them. (The judge answers
"uniform over the ten digits" for a non-digit, so its most likely class there is whichever its bias
favours: 8 for every one of 1,000 uniform-noise images.)

Its feature space compares the *distribution* of generated digits with that of real ones (Frechet
distance; precision, recall, density, coverage). The default space, ``judge.SPACE = "whitened"``,
is the judge's 128-unit feature layer taken before its ReLU and measured in units of the real
digits' spread (``ganlib.judge`` says how and why). The layer's ReLU output, used before, put every
non-digit on one point: noise, blank and grey images and a GAN's first 200 steps all scored a
Frechet ratio of 58-59, one real digit repeated scored worse (72.5), and k-NN precision called
noise 100% precise. Measured on :func:`known_cases` (1,000 images each, ratio to real vs real):

==============================  ==========  ============
case                            after ReLU  whitened
==============================  ==========  ============
real digits                     0.94        0.93
real, blurred (sigma 0.5)       1.24        1.56
real + pixel noise (sd 0.3)     3.86        2.43
three classes (0, 1, 7)         25.9        7.75
real, blurred (sigma 1)         6.68        9.46
one class (0)                   52.4        16.5
one digit repeated              72.5        33.5
flat grey (all 0)               59.0        56.9
blank (all -1)                  58.2        59.3
uniform noise                   59.0        74.7
==============================  ==========  ============

Precision of the three non-digit sets went from 1.00 to 0.00. The Frechet distance is one number for
two things, realism and variety: read it beside recognized share (realism as the judge sees it),
precision (are the samples inside the real manifold?) and recall (is the variety there?).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from ganlib import data, judge, sampling

CONFIDENT = 0.9  # a sample is "recognized" when the judge gives one digit at least this probability


def class_probabilities(probabilities, name: str = "probabilities", num_classes: int = 10) -> np.ndarray:
    """``probabilities`` as an (N, 10) array of rows that are probability distributions, or a ValueError.

    The measures below take the judge's class probabilities; images, features or logits passed
    instead would give numbers (a "classifier score" of 20, an agreement of 0) without a word.
    """
    p = np.asarray(probabilities)
    allowed = (f"class probabilities of shape (N, {num_classes}), each row from 0 to 1 and summing to 1, "
               "as judge.judge_digits returns them")
    if p.ndim != 2 or p.shape[1] != num_classes or not np.issubdtype(p.dtype, np.number):
        raise ValueError(f"{name} have shape {p.shape} (dtype {p.dtype}); allowed: {allowed}")
    p = p.astype(np.float64, copy=False)
    if not np.all(np.isfinite(p)) or p.min(initial=0.0) < -1e-6 or p.max(initial=0.0) > 1 + 1e-6 or \
            not np.allclose(p.sum(axis=1), 1.0, atol=1e-2):
        raise ValueError(f"{name} are not probabilities (values from {np.nanmin(p, initial=0.0):g} to "
                         f"{np.nanmax(p, initial=0.0):g}, row sums from {np.nanmin(p.sum(axis=1), initial=1.0):g} "
                         f"to {np.nanmax(p.sum(axis=1), initial=1.0):g}); allowed: {allowed}")
    return p


def recognized(probabilities, threshold: float = CONFIDENT) -> np.ndarray:
    """Which samples the judge recognizes as a digit: its most likely digit has probability >= ``threshold``.

    The judge was trained to answer "uniform over the ten digits" for images that are not digits, so
    the most likely class of an unrecognized sample says nothing (it is whichever class the judge's
    bias favours). Every count of digits below therefore uses recognized samples only.
    """
    return np.max(class_probabilities(probabilities), axis=1) >= threshold


def recognized_share(probabilities, threshold: float = CONFIDENT) -> float:
    """The share of samples whose most likely digit has probability >= ``threshold``."""
    return float(np.mean(recognized(probabilities, threshold)))


def unrecognized_share(probabilities, threshold: float = CONFIDENT) -> float:
    """The share of samples the judge does not recognize as any digit ("not recognized"): 1 - recognized
    share."""
    return 1.0 - recognized_share(probabilities, threshold)


def class_histogram(probabilities, threshold: float = CONFIDENT) -> np.ndarray:
    """How many *recognized* samples the judge assigns to each digit (10 counts).

    The counts sum to the number of recognized samples; the rest are "not recognized" (see
    :func:`unrecognized_share`). ``threshold=0`` counts every sample by its most likely class.
    """
    probabilities = np.asarray(probabilities)
    return np.bincount(np.argmax(probabilities[recognized(probabilities, threshold)], axis=1), minlength=10)


def digits_covered(probabilities, min_share: float = 0.01, threshold: float = CONFIDENT) -> int:
    """How many digits the generator draws when it draws a digit at all: the digits that receive at
    least ``min_share`` of the *recognized* samples (0 when none is recognized).

    Read it beside :func:`recognized_share`, which says how often it draws a digit. An undertrained
    generator draws few recognizable digits but of every kind (low recognized share, 10 covered); a
    collapsed one draws recognizable digits of few kinds (few covered, whatever its recognized share).
    A digit needs at least one recognized sample, so with few recognized samples the count rests on
    few images: read it with their number (1% of 47 samples is less than one, so each digit seen counts).
    """
    histogram = class_histogram(probabilities, threshold)
    return int(np.sum(histogram >= max(min_share * histogram.sum(), 1)))


def most_common_digit(probabilities, threshold: float = CONFIDENT) -> tuple[int | None, float]:
    """(the digit the judge recognizes most often, its share of the recognized samples);
    (None, 0.0) when no sample is recognized."""
    histogram = class_histogram(probabilities, threshold)
    if histogram.sum() == 0:
        return None, 0.0
    return int(np.argmax(histogram)), float(histogram.max() / histogram.sum())


def classifier_score(probabilities, eps: float = 1e-12) -> float:
    """The Inception Score computed with the digit judge: exp(E_x KL(p(y|x) || p(y))).

    1 when every sample gets the same class distribution; 10 when every sample is a confident digit
    and the digits are used equally.
    """
    p = np.clip(class_probabilities(probabilities), eps, 1.0)
    marginal = p.mean(axis=0, keepdims=True)
    return float(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1))))


def frechet_distance(features_a, features_b) -> float:
    """The Frechet distance between Gaussians fitted to two sets of features (FID's formula).

    ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)). It is biased upwards at small sample
    sizes, so compare only distances computed from the same numbers of samples.
    """
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    mean_gap = a.mean(axis=0) - b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    return float(mean_gap @ mean_gap + np.trace(cov_a) + np.trace(cov_b) - 2.0 * _trace_sqrt_product(cov_a, cov_b))


def _trace_sqrt_product(cov_a, cov_b) -> float:
    """Tr((S_a S_b)^(1/2)) for covariance matrices, computed as Tr((A^(1/2) S_b A^(1/2))^(1/2)).

    The symmetric form has real, non-negative eigenvalues, so it stays exact where a general matrix
    square root returns complex round-off or fails on singular matrices (one repeated digit, say).
    """
    values, vectors = linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    inner = linalg.eigvalsh(root_a @ cov_b @ root_a)
    return float(np.sum(np.sqrt(np.clip(inner, 0.0, None))))


def _pairwise_distances(a, b) -> np.ndarray:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(squared, 0.0))


def _kth_neighbour_radius(features, k: int) -> np.ndarray:
    distances = _pairwise_distances(features, features)
    return np.sort(distances, axis=1)[:, k]  # column 0 is the point itself


# The k of the manifold scores: each point's ball reaches its k-th nearest neighbour.
NEIGHBOURS = 3


def manifold_scores(real_features, fake_features, k: int = NEIGHBOURS) -> dict[str, float]:
    """Precision and recall (Kynkaanniemi et al., 2019), density and coverage (Naeem et al., 2020).

    Each set's manifold is the union of balls around its points reaching their k-th nearest
    neighbour. Precision: the share of generated samples inside the real manifold (are they
    realistic?). Recall: the share of real samples inside the generated manifold (is the variety
    there?). One real outlier with a large ball can swallow a whole cluster of bad samples and
    inflate precision; density (how many real balls hold each sample, divided by k: about 1 for
    real data) and coverage (the share of real balls holding at least one sample) resist that.

    Density is not a share: it exceeds 1 when samples crowd where real digits are dense (a sample
    in the middle of a real cluster lies in more than k balls); one real digit repeated, say, scores
    1.3 in the default space. Two real samples of 500 digits score about 0.85-0.9 precision and recall,
    0.9-1 density and 0.85 coverage (k = 3): the ceiling in practice, not 1.
    """
    real_radius = _kth_neighbour_radius(real_features, k)
    fake_radius = _kth_neighbour_radius(fake_features, k)
    distances = _pairwise_distances(fake_features, real_features)  # (fake, real)
    in_real_ball = distances <= real_radius[None, :]
    return {
        "precision": float(np.mean(in_real_ball.any(axis=1))),
        "recall": float(np.mean((distances <= fake_radius[:, None]).any(axis=0))),
        "density": float(in_real_ball.sum() / (k * len(fake_features))),
        "coverage": float(np.mean(in_real_ball.any(axis=0))),
    }


def nearest_distances(images, reference_images, chunk: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """For each image, the pixel-space distance to its nearest reference image, and that image's index."""
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk is {chunk!r}; allowed: an integer >= 1 (images compared at a time)")
    # 0-255 pixels would put every distance a hundred times too far: no near-copies, without a word.
    # Any image shape is allowed (repair compares only the visible pixels), the same for both.
    images = data.model_range_images(images, shape=None)
    reference_images = data.model_range_images(reference_images, "reference_images", shape=None)
    if images.shape[1:] != reference_images.shape[1:]:
        raise ValueError(f"images have shape {images.shape} and reference_images {reference_images.shape}; "
                         "allowed: the same shape per image")
    flat = images.reshape(len(images), -1)
    reference = reference_images.reshape(len(reference_images), -1)
    best, index = np.empty(len(flat)), np.empty(len(flat), dtype=np.int64)
    for start in range(0, len(flat), chunk):
        distances = _pairwise_distances(flat[start:start + chunk], reference)
        index[start:start + chunk] = distances.argmin(axis=1)
        best[start:start + chunk] = distances.min(axis=1)
    return best, index


def copy_threshold(train_images, held_out_images, quantile: float = 0.01) -> float:
    """How close to a training image counts as a near-copy: the 1st percentile of the distances
    from real held-out digits (which no model saw) to their nearest training digit."""
    distances, _ = nearest_distances(held_out_images, train_images)
    return float(np.quantile(distances, quantile))


def memorized_share(images, train_images, threshold: float) -> float:
    """The share of samples closer to some training image than ``threshold`` (near-copies)."""
    if not (isinstance(threshold, (int, float, np.number)) and np.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold is {threshold!r}; allowed: a positive pixel distance "
                         "(a Reference's copy_threshold)")
    distances, _ = nearest_distances(images, train_images)
    return float(np.mean(distances < threshold))


class Reference:
    """Real digits to compare against, with everything about them computed once.

    ``held_out`` digits (no model trained on them) are split into two equal halves: generated
    samples are compared with half A, and half B against half A gives the distance between two real
    samples of the same size, the floor any generator is measured against.

    ``space``: the judge's feature space for the Frechet distance and precision/recall, one of
    ``judge.SPACES`` (the module's docstring says why the default, ``"whitened"``, and what
    ``"after_relu"``, the space used before, did wrong).
    """

    def __init__(self, train_images, held_out_images, seed: int = 0, space: str = judge.SPACE):
        if space not in judge.SPACES:
            raise ValueError(f"space is {space!r}; allowed: " + ", ".join(repr(name) for name in judge.SPACES))
        train_images = data.model_range_images(train_images, "train_images")
        held_out_images = data.model_range_images(held_out_images, "held_out_images")
        if len(held_out_images) < 2 * (NEIGHBOURS + 1):
            # Each half needs a point and its NEIGHBOURS nearest for the manifold scores (and two points for a
            # covariance); fewer ended in NumPy's "infs or NaNs" or an IndexError when images were judged.
            raise ValueError(f"held_out_images holds {len(held_out_images)} image(s); allowed: at least "
                             f"{2 * (NEIGHBOURS + 1)} ({NEIGHBOURS + 1} per half), and about 1,000 for stable "
                             "scores (data.split_digits holds out 1,000)")
        order = np.random.default_rng(seed).permutation(len(held_out_images))
        half = len(order) // 2
        self.train_images = np.asarray(train_images)
        self.half_size = half
        self.space = space
        features, probabilities = judge.judge_digits(held_out_images, space=space)
        self.features_a, self.features_b = features[order[:half]], features[order[half:2 * half]]
        self.real_frechet = frechet_distance(self.features_b, self.features_a)
        self.real_recognized = recognized_share(probabilities)
        self.copy_threshold = copy_threshold(train_images, held_out_images)


def label_agreement(probabilities, labels, threshold: float = CONFIDENT) -> float:
    """Share of images the judge recognizes as the digit they were asked to be.

    An image agrees when the judge's most likely digit is the requested one *and* it is recognized
    (probability >= ``threshold``): an image that is not a digit does not agree with any request, even
    when the judge's uninformed guess happens to fall on the requested digit. ``threshold=0`` counts
    the most likely class alone, recognized or not.
    """
    return float(np.mean(_agrees(probabilities, labels, threshold)))


def agreement_among_recognized(probabilities, labels, threshold: float = CONFIDENT) -> float:
    """Of the images the judge recognizes as some digit, the share that is the digit requested
    (NaN when none is recognized). With :func:`label_agreement` it separates "draws the wrong digit"
    from "draws no digit"."""
    mask = recognized(probabilities, threshold)
    return float(np.mean(_agrees(probabilities, labels, threshold)[mask])) if mask.any() else float("nan")


def agreement_per_digit(probabilities, labels, num_classes: int = 10, threshold: float = CONFIDENT) -> list[float]:
    """:func:`label_agreement` for each requested digit separately (NaN where none was asked for)."""
    agrees, labels = _agrees(probabilities, labels, threshold), np.asarray(labels)
    return [float(np.mean(agrees[labels == digit])) if np.any(labels == digit) else float("nan")
            for digit in range(num_classes)]


def _agrees(probabilities, labels, threshold: float) -> np.ndarray:
    probabilities = class_probabilities(probabilities)
    if np.ndim(labels) == 1 and len(labels) != len(probabilities):
        raise ValueError(f"{len(labels)} labels for {len(probabilities)} images: give one requested digit per image")
    # (N, 1) labels would broadcast against (N,) into an N x N comparison: a wrong share, without a word.
    sampling.check_labels(labels, len(probabilities))
    labels = np.asarray(labels)
    return (np.argmax(probabilities, axis=1) == labels) & recognized(probabilities, threshold)


def known_cases(train, held_out, n: int = 1000, seed: int = 0) -> dict[str, np.ndarray]:
    """Image sets whose verdict is known, to check that the measures say it: name -> n images.

    ``train`` and ``held_out``: ``data.Digits`` (images and labels), as ``data.split_digits`` returns
    them. Real digits come from ``train`` (a Reference compares with held-out digits), so "real
    digits" scores like a second real sample. In order: real digits; two mild degradations of them
    (pixel noise, a slight blur); a stronger blur; real digits of three classes; of one class; one
    held-out digit repeated; and three non-digits: uniform noise, blank images, flat grey images.
    """
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    images, labels = np.asarray(train.images, np.float32), np.asarray(train.labels)

    def draw(pool):   # n images from pool, each used once before any is used twice
        return images[np.resize(rng.permutation(pool), n)]

    real = draw(np.arange(len(labels)))
    blur = lambda sigma: np.clip(ndimage.gaussian_filter(real, sigma=(0, sigma, sigma, 0)), -1, 1)  # noqa: E731
    shape = (n, 28, 28, 1)
    cases = {
        "real digits": real,
        "real + pixel noise (sd 0.3)": np.clip(real + rng.normal(0.0, 0.3, shape), -1, 1),
        "real, blurred (sigma 0.5)": blur(0.5),
        "real, blurred (sigma 1)": blur(1.0),
        "three classes (0, 1, 7)": draw(np.flatnonzero(np.isin(labels, [0, 1, 7]))),
        "one class (0)": draw(np.flatnonzero(labels == 0)),
        "one digit repeated": np.repeat(np.asarray(held_out.images[:1], np.float32), n, axis=0),
        "uniform noise": rng.uniform(-1.0, 1.0, shape),
        "blank (all -1)": np.full(shape, -1.0),
        "flat grey (all 0)": np.zeros(shape),
    }
    return {name: np.asarray(images_, np.float32) for name, images_ in cases.items()}


def evaluate_images(images, reference: Reference, labels=None) -> dict:
    """Every measure of a set of generated images (N >= the reference's half size), as a dict.

    Counts of digits ("class_histogram", "digits_covered", "most_common_digit" and its share) cover
    recognized samples only; "unrecognized_share" is the rest. "frechet_ratio" (distance / real vs
    real), "precision", "recall", "density" and "coverage" are measured in the reference's
    "feature_space". ``labels``: the digits a conditional generator was asked for; adds the judge's
    agreement with them (an unrecognized image agrees with nothing), overall, among recognized
    images, and per digit.
    """
    images = data.model_range_images(images)
    if len(images) < reference.half_size:
        raise ValueError(f"evaluate at least {reference.half_size} images (got {len(images)}): the "
                         "Frechet distance is compared at that sample size")
    features, probabilities = judge.judge_digits(images, space=reference.space)
    # Compare equal-size samples: average the distance over chunks the size of half the held-out set.
    chunks = [features[i:i + reference.half_size]
              for i in range(0, len(features) - reference.half_size + 1, reference.half_size)]
    frechet = float(np.mean([frechet_distance(chunk, reference.features_a) for chunk in chunks]))
    top_digit, top_share = most_common_digit(probabilities)
    return {
        "samples": len(images),
        "recognized_share": recognized_share(probabilities),
        "unrecognized_share": unrecognized_share(probabilities),
        "digits_covered": digits_covered(probabilities),
        "class_histogram": class_histogram(probabilities).tolist(),
        "most_common_digit": top_digit,
        "most_common_share": top_share,
        "classifier_score": classifier_score(probabilities),
        "frechet_distance": frechet,
        "frechet_sample_size": reference.half_size,
        "real_frechet_distance": reference.real_frechet,
        "frechet_ratio": frechet / reference.real_frechet,
        "feature_space": reference.space,
        **manifold_scores(reference.features_a, features[:reference.half_size]),
        "memorized_share": memorized_share(images, reference.train_images, reference.copy_threshold),
        **({} if labels is None else {
            "label_agreement": label_agreement(probabilities, labels),
            "agreement_among_recognized": agreement_among_recognized(probabilities, labels),
            "agreement_per_digit": agreement_per_digit(probabilities, labels)}),
    }


def evaluate_generator(generator, reference: Reference, n: int = 2000, seed: int = 0, labels=None) -> dict:
    """Sample ``n`` digits (fixed noise) and return :func:`evaluate_images` of them.

    A conditional generator (two inputs) is asked for every digit equally (0, 1, ..., 9, 0, ...)
    unless ``labels`` says otherwise.
    """
    if labels is None and sampling.is_conditional(generator):
        labels = sampling.balanced_labels(n)
    return evaluate_images(sampling.sample_generator(generator, n, seed, labels), reference, labels)
