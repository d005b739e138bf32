"""Training you can interrupt, resume and trust: checkpoints, resumption, and the divergence guard."""

import json
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from ganlib import checkpoints, training
from ganlib.callbacks import TrainingDiverged

LATENT = 8


def small_gan(ema_decay=0.99, learning_rate=1e-3, generator=None):
    keras.utils.set_random_seed(0)
    generator = generator or keras.Sequential([keras.Input((LATENT,)), keras.layers.Dense(64),
                                               keras.layers.BatchNormalization(), keras.layers.ReLU(),
                                               keras.layers.Dense(784, activation="tanh"),
                                               keras.layers.Reshape((28, 28, 1))], name="g")
    discriminator = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(16),
                                      keras.layers.LeakyReLU(0.2), keras.layers.Dense(1)], name="d")
    gan = training.GAN(generator, discriminator, latent_dim=LATENT, ema_decay=ema_decay, seed=0)
    gan.compile(g_optimizer=keras.optimizers.Adam(learning_rate), d_optimizer=keras.optimizers.Adam(learning_rate))
    return gan


@pytest.fixture(scope="module")
def images(bundled):
    return bundled.images[:320]


class StopAfter(keras.callbacks.Callback):
    """Simulates an interruption (a kernel dying) at the end of a given chunk."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def only_checkpoint(folder):
    found = list(folder.glob("*/" + checkpoints.FILE_NAME))
    assert len(found) == 1, found
    return found[0]


def state(gan):
    return [v.numpy().copy() for v in checkpoints.training_variables(gan)]


def test_a_resumed_run_ends_exactly_where_the_uninterrupted_one_does(images, tmp_path):
    settings = dict(steps=12, batch_size=32, seed=3, snapshots=4, verbose=0)
    straight = small_gan()
    straight_run = training.train(straight, images, **settings)

    interrupted = small_gan()
    with pytest.raises(KeyboardInterrupt):
        training.train(interrupted, images, checkpoint_dir=tmp_path, callbacks=[StopAfter(2)], **settings)
    saved = json.loads(str(np.load(only_checkpoint(tmp_path))["meta"]))
    assert saved["step"] == 6   # chunks 0 and 1 were saved; chunk 2 was interrupted before its save

    resumed = small_gan()       # a fresh process would rebuild the model like this
    run = training.train(resumed, images, checkpoint_dir=tmp_path, **settings)
    assert run.resumed_from == 6 and run.steps == 12
    assert int(resumed.g_optimizer.iterations) == 12
    for a, b in zip(state(straight), state(resumed)):
        np.testing.assert_array_equal(a, b)
    assert run.grid.steps == straight_run.grid.steps == [0, 3, 6, 9, 12]
    np.testing.assert_array_equal(np.stack(run.grid.frames), np.stack(straight_run.grid.frames))
    assert {k: len(v) for k, v in run.history.items()} == {k: 4 for k in straight_run.history}


def test_a_finished_run_is_not_trained_again(images, tmp_path):
    settings = dict(steps=4, batch_size=32, snapshots=2, verbose=0, checkpoint_dir=tmp_path)
    first = small_gan()
    training.train(first, images, **settings)
    again = small_gan()
    run = training.train(again, images, **settings)
    assert run.resumed_from == 4 and int(again.g_optimizer.iterations) == 4
    for a, b in zip(state(first), state(again)):
        np.testing.assert_array_equal(a, b)


def test_other_settings_keep_their_own_checkpoint(images, tmp_path):
    training.train(small_gan(), images, steps=4, batch_size=32, snapshots=2, verbose=0, checkpoint_dir=tmp_path)
    first = only_checkpoint(tmp_path).read_bytes()
    run = training.train(small_gan(), images, steps=4, batch_size=16, snapshots=2, verbose=0, checkpoint_dir=tmp_path)
    assert run.resumed_from == 0                       # not resumed from the other settings' state
    assert len(list(tmp_path.glob("*/" + checkpoints.FILE_NAME))) == 2
    assert first in {p.read_bytes() for p in tmp_path.glob("*/" + checkpoints.FILE_NAME)}


def test_a_write_interrupted_midway_leaves_the_earlier_checkpoint_loadable(images, tmp_path, monkeypatch):
    gan = small_gan()
    training.train(gan, images, steps=2, batch_size=32, snapshots=1, verbose=0, checkpoint_dir=tmp_path)
    tmp_path = only_checkpoint(tmp_path).parent
    good = state(gan)

    def crash_midway(stream, **arrays):
        stream.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(np, "savez", crash_midway)
    with pytest.raises(OSError, match="simulated"):
        checkpoints.save(tmp_path, gan, {"step": 99})
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == [checkpoints.FILE_NAME]   # no partial file left
    fresh = small_gan()
    meta, _ = checkpoints.restore(tmp_path, fresh)
    assert meta["step"] == 2
    for a, b in zip(good, state(fresh)):
        np.testing.assert_array_equal(a, b)


def test_a_damaged_checkpoint_file_is_a_clear_error(tmp_path):
    (tmp_path / checkpoints.FILE_NAME).write_bytes(b"garbage")
    with pytest.raises(checkpoints.CheckpointError, match="cannot be read .* delete it"):
        checkpoints.restore(tmp_path, small_gan())


def test_a_checkpoint_of_another_model_is_refused(images, tmp_path):
    training.train(small_gan(), images, steps=2, batch_size=32, snapshots=1, verbose=0, checkpoint_dir=tmp_path)
    tmp_path = only_checkpoint(tmp_path).parent
    other = small_gan(ema_decay=None)
    with pytest.raises(checkpoints.CheckpointError, match="written for another model"):
        checkpoints.restore(tmp_path, other)


def test_a_nan_loss_stops_training_and_names_the_last_good_checkpoint(images, tmp_path):
    poisoned = images.copy()
    poisoned[:] = np.nan
    with pytest.raises(TrainingDiverged) as error:
        training.train(small_gan(), poisoned, steps=4, batch_size=32, snapshots=2, verbose=0,
                       checkpoint_dir=tmp_path)
    message = str(error.value)
    assert "training diverged at generator step 1" in message and "d_loss = nan" in message
    assert "last good checkpoint is none yet" in message
    assert not list(tmp_path.glob("**/" + checkpoints.FILE_NAME))   # nothing garbage was written


def constant_gan():
    """A GAN whose generator draws the same image for every noise vector, and (nearly) stays so."""
    constant = keras.Sequential([keras.Input((LATENT,)),
                                 keras.layers.Dense(784, kernel_initializer="zeros", activation="tanh"),
                                 keras.layers.Reshape((28, 28, 1))], name="constant")
    return small_gan(ema_decay=None, learning_rate=1e-12, generator=constant)


def test_a_collapsed_generator_is_stopped(images):
    gan = constant_gan()
    with pytest.raises(TrainingDiverged, match="collapsed at step 100: 64 different noise vectors"):
        training.train(gan, images, steps=200, batch_size=32, snapshots=2, verbose=0)


def test_a_generator_that_has_not_started_is_not_called_collapsed(images):
    # Within the first 100 steps uniform output means "not started yet" (an untrained width-64
    # DCGAN's average generator draws one grey image at step 2); the guard waits.
    gan = constant_gan()
    run = training.train(gan, images, steps=4, batch_size=32, snapshots=2, verbose=0)
    assert run.steps == 4


def test_a_killed_training_process_resumes_to_the_right_step(tmp_path):
    command = [sys.executable, "-m", "ganlib", "train", "--recipe", "mlp", "--steps", "400",
               "--snapshots", "40", "--batch-size", "32", "--artifacts-dir", str(tmp_path)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list(tmp_path.glob("checkpoints/*/" + checkpoints.FILE_NAME)) and time.time() < deadline \
            and process.poll() is None:
        time.sleep(0.2)
    checkpoint = only_checkpoint(tmp_path / "checkpoints")
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    killed_at = json.loads(str(np.load(checkpoint)["meta"]))["step"]
    assert 0 < killed_at < 400

    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "Resuming from the checkpoint at step" in finished.stdout
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["steps"] == 400
    assert json.loads(str(np.load(checkpoint)["meta"]))["step"] == 400
    generator = keras.models.load_model(tmp_path / "generator.keras", safe_mode=True)
    assert generator.predict(np.zeros((2, 100), np.float32), verbose=0).shape == (2, 28, 28, 1)
