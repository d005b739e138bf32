"""The leaderboard's timed runs: judged on a training-time cadence, stopped by a budget on the same
clock, judging and the first (compiling) step left out; and the summaries over seeds."""

import math
import time

import keras
import numpy as np
import pytest
from conftest import garbage_left_behind, stand_in_gan

from ganlib import leaderboard, metrics, recipes, reuse, training

JUDGING_SECONDS = 0.15


@pytest.fixture
def slow_judge(monkeypatch):
    """A stand-in for metrics.evaluate_generator that takes JUDGING_SECONDS and counts its calls."""
    calls = []

    def evaluate(generator, reference, n, seed):
        time.sleep(JUDGING_SECONDS)
        calls.append(n)
        return {"frechet_ratio": 1.0 + len(calls), "recognized_share": 0.5}
    monkeypatch.setattr(metrics, "evaluate_generator", evaluate)
    return calls


class SlowFirstStep(keras.callbacks.Callback):
    """Make the first step look like an XLA compile: it takes `seconds` longer."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.g_optimizer.iterations.numpy()) == 1:
            time.sleep(self.seconds)


def test_tracker_judges_on_a_time_cadence_and_stops_at_the_budget(bundled, slow_judge):
    tracker = leaderboard.TimedQualityTracker(None, every_seconds=0.3, n=500, time_budget=1.2)
    start = time.perf_counter()
    training.train(stand_in_gan(), bundled.images[:512], steps=100_000, batch_size=32, snapshots=1000,
                   callbacks=[SlowFirstStep(0.5), tracker], verbose=0)
    wall = time.perf_counter() - start
    times = [record["train_seconds"] for record in tracker.records]
    steps = [record["step"] for record in tracker.records]
    assert times[0] == 0.0 and steps[0] == 0, "judged once before training"
    assert tracker.stopped_by_budget
    assert 1.2 <= times[-1] < 1.5, "the last judgment is at the budget's end"
    # Between the first and the last, one judgment at the first step after each 0.3 s of training time.
    grid = 0.3 * np.arange(len(times) - 1)
    assert len(times) >= 5 and np.all(times[:-1] >= grid) and np.all(np.array(times[:-1]) < grid + 0.2)
    assert steps == sorted(steps) and steps[-1] > steps[1]
    # The first step's extra half second and the judging are not training time.
    assert tracker.compile_seconds >= 0.5
    assert len(slow_judge) == len(times)
    assert wall >= 1.2 + 0.5 + JUDGING_SECONDS * len(times) - 0.05


def test_a_bad_cadence_or_budget_is_refused():
    with pytest.raises(ValueError, match="every_seconds is 0; allowed: a number of seconds greater than 0"):
        leaderboard.TimedQualityTracker(None, every_seconds=0)
    with pytest.raises(ValueError, match="time_budget is -1; allowed"):
        leaderboard.TimedQualityTracker(None, every_seconds=1, time_budget=-1)


def test_train_recipe_scales_the_recipes_own_learning_rate_and_keeps_its_xla_setting(bundled, slow_judge):
    record = leaderboard.train_recipe("dcgan", bundled.images[:512], None, seed=3, learning_rate_factor=0.5,
                                      time_budget=0.5, every_seconds=0.2)
    own = float(recipes.build("dcgan").g_optimizer.learning_rate.numpy())
    assert record["learning_rate"] == pytest.approx(0.5 * own)
    assert record["jit_compile"] is recipes.JIT_COMPILE["dcgan"]
    assert record["status"] == "ok" and record["steps"] > 0 and record["seed"] == 3
    assert record["curve"][0]["step"] == 0 and record["final"] is record["curve"][-1]
    assert record["final"]["step"] == record["steps"]
    assert record["train_seconds"] >= 0.5


def test_train_recipe_reuses_a_compiled_step_and_trains_as_a_fresh_build(bundled, slow_judge, monkeypatch):
    """With ``compiled``, a second run of a recipe trains on the first run's GAN, reset to its own start."""
    built = []
    monkeypatch.setattr(leaderboard.recipes, "build", lambda recipe, seed, jit_compile: built.append(
        stand_in_gan(weights_seed=seed, seed=seed, learning_rate=1e-3)) or built[-1])
    steps, warm_ups = {}, []

    def stop_after_six(gan, images, **kwargs):
        if not kwargs.get("callbacks"):   # the warm-up of the first run's compiled step
            warm_ups.append(gan)
            return real_train(gan, images, **kwargs)
        steps[len(steps)] = gan
        return real_train(gan, images, **{**kwargs, "steps": 6, "snapshots": 2})
    real_train = training.train
    monkeypatch.setattr(leaderboard.training, "train", stop_after_six)
    compiled = reuse.CompiledGANs()
    runs = [leaderboard.train_recipe("mlp", bundled.images[:256], None, seed=seed, time_budget=60, every_seconds=60,
                                     batch_size=16, learning_rate_factor=factor, compiled=compiled)
            for seed, factor in ((0, 1.0), (1, 2.0))]
    assert steps[1] is steps[0] is built[0] and built[1] is not built[0], "the second run trained the first's GAN"
    assert warm_ups == [built[0]], "only the first run's GAN is warmed up, before its run"
    assert [r["learning_rate"] for r in runs] == [pytest.approx(1e-3), pytest.approx(2e-3)]
    assert float(built[0].g_optimizer.learning_rate.numpy()) == pytest.approx(2e-3)
    fresh = stand_in_gan(weights_seed=1, seed=1, learning_rate=2e-3)
    real_train(fresh, bundled.images[:256], steps=6, batch_size=16, seed=1, snapshots=2, verbose=0)
    assert all(np.array_equal(a, b)
               for a, b in zip(reuse.trained_weights(fresh), reuse.trained_weights(built[0]), strict=True))


def test_train_recipe_collects_the_garbage_of_earlier_runs_before_its_clock_starts(monkeypatch):
    """A full collection of earlier runs' models and graphs can pause for seconds; it must not land in a run."""
    class Stop(Exception):
        pass

    with garbage_left_behind() as freed:
        def build(*args, **kwargs):
            raise Stop(bool(freed))   # whether it had been collected by the time the run is built

        monkeypatch.setattr(leaderboard.recipes, "build", build)
        with pytest.raises(Stop) as stopped:
            leaderboard.train_recipe("mlp", np.zeros((8, 28, 28, 1), "float32"), None, time_budget=1, every_seconds=1)
    assert stopped.value.args == (True,)


def rows_of(values: dict) -> list[dict]:
    """Synthetic runs: {(recipe, factor): [final Frechet ratio per seed]}."""
    return [{"recipe": recipe, "learning_rate_factor": factor, "seed": seed, "final": {"frechet_ratio": value}}
            for (recipe, factor), per_seed in values.items() for seed, value in enumerate(per_seed)]


def test_spread_over_seeds():
    result = leaderboard.spread(rows_of({("mlp", 1): [2.0, 4.0, 9.0]}), "frechet_ratio")
    assert result == {"mean": 5.0, "std": pytest.approx(math.sqrt(13.0)), "min": 2.0, "max": 9.0, "n": 3}
    assert math.isnan(leaderboard.spread(rows_of({("mlp", 1): [2.0]}), "frechet_ratio")["std"])
    with pytest.raises(ValueError, match="no runs"):
        leaderboard.spread([], "frechet_ratio")


def test_best_factor_per_recipe_by_mean_over_seeds():
    rows = rows_of({("mlp", 0.5): [3.0, 3.0], ("mlp", 1): [1.0, 6.0], ("mlp", 2): [4.0, 4.0],
                    ("dcgan", 1): [8.0], ("dcgan", 2): [7.0]})
    assert leaderboard.best_factors(rows) == {"mlp": 0.5, "dcgan": 2}
    assert leaderboard.best_factors(rows, lower_is_better=False) == {"mlp": 2, "dcgan": 1}
    assert list(leaderboard.group(rows, "recipe")) == [("mlp",), ("dcgan",)]


def test_overlapping_ranges_mean_no_difference_shown():
    a, b, c = ({"min": lo, "max": hi} for lo, hi in ((1.0, 2.0), (1.5, 3.0), (2.5, 4.0)))
    assert leaderboard.overlaps(a, b) and leaderboard.overlaps(b, c)
    assert not leaderboard.overlaps(a, c)
