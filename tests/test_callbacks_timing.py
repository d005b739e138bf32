"""Training time as the callbacks count it: the first (tracing/compiling) batch and judging are left out."""

import time

import keras
import numpy as np
import pytest
from conftest import stand_in_gan

from ganlib import callbacks, metrics, training

JUDGING_SECONDS = 0.15


class SlowFirstBatch(keras.callbacks.Callback):
    """Make the first batch look like an XLA compile: it takes ``seconds`` longer."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_batch_begin(self, batch, logs=None):
        if int(self.model.g_optimizer.iterations.numpy()) == 0:
            time.sleep(self.seconds)


@pytest.fixture
def slow_judge(monkeypatch):
    calls = []

    def evaluate(generator, reference, n, seed):
        time.sleep(JUDGING_SECONDS)
        calls.append(n)
        return {"recognized_share": 0.5}
    monkeypatch.setattr(metrics, "evaluate_generator", evaluate)
    return calls


def test_the_time_budget_leaves_out_the_first_batch_and_the_judging(bundled, slow_judge):
    tracker = callbacks.QualityTracker(None, every=1)
    start = time.perf_counter()
    run = training.train(stand_in_gan(), bundled.images[:512], steps=100_000, batch_size=32, snapshots=2000,
                         time_budget=1.0, callbacks=[SlowFirstBatch(0.8), tracker], verbose=0)
    wall = time.perf_counter() - start
    assert run.stopped_by_budget
    judged = len(slow_judge)
    assert judged >= 2
    # 1.0 s of training, plus the 0.8 s first batch and every judgment on top.
    assert wall >= 1.0 + 0.8 + JUDGING_SECONDS * judged - 0.05
    # Each judgment's training time excludes both.
    assert tracker.compile_seconds >= 0.8
    assert all(0 <= record["train_seconds"] < 1.2 for record in tracker.records)


def test_quality_is_judged_on_a_training_time_cadence(bundled, slow_judge):
    tracker = callbacks.QualityTracker(None, every_seconds=0.3, n=500)
    training.train(stand_in_gan(), bundled.images[:512], steps=100_000, batch_size=32, snapshots=2000,
                   time_budget=1.2, callbacks=[SlowFirstBatch(0.5), tracker], verbose=0)
    times = [record["train_seconds"] for record in tracker.records]
    steps = [record["step"] for record in tracker.records]
    assert steps[0] == 0 and times[0] < 0.05, "judged once before training"
    grid = 0.3 * np.arange(len(times) - 1)
    assert len(times) >= 5 and np.all(times[:-1] >= grid) and np.all(np.array(times[:-1]) < grid + 0.2)
    assert steps == sorted(steps) and steps[-1] > steps[-2], "and once more where training ended"
    assert len(slow_judge) == len(times)


def test_a_bad_cadence_is_refused():
    with pytest.raises(ValueError, match="every_seconds is 0; allowed: a number of seconds greater than 0"):
        callbacks.QualityTracker(None, every_seconds=0)


def test_start_up_is_the_first_call_less_the_second_and_callback_work_between_calls_is_not_start_up():
    clock = callbacks.StartUpClock()
    clock.start(0.0)
    clock.call_begins(0.0)                  # the first call: tracing, compiling and 25 steps
    assert clock.call_ends(5.0) is False and clock.compile_seconds is None
    clock.call_begins(5.3)                  # 0.3 s of other callbacks' work between the calls
    assert clock.call_ends(5.5) is True     # the second call: 25 steps in 0.2 s
    assert clock.compile_seconds == pytest.approx(4.8)
    clock.call_begins(5.6)
    clock.call_ends(5.8)
    assert clock.compile_seconds == pytest.approx(4.8), "fixed once known"


def test_a_run_too_short_to_tell_start_up_from_training_counts_all_of_it_as_start_up():
    one_call = callbacks.StartUpClock()
    one_call.start(1.0)
    one_call.call_ends(3.0)
    one_call.settle(3.5)
    assert one_call.compile_seconds == pytest.approx(2.0)
    no_call = callbacks.StartUpClock()     # e.g. the run diverged inside its first call
    no_call.start(1.0)
    no_call.settle(2.5)
    assert no_call.compile_seconds == pytest.approx(1.5)
