"""A leaderboard: the course's models trained for the same time, judged as they train, over seeds.

Notebook 06 asks which model draws the best digits for a given training time on this machine. Each
run builds a recipe (``ganlib.recipes``, with the recipe's own XLA setting), trains it under a time
budget, and judges its samples every so many seconds of training time, so every run gives a
quality-versus-time curve. Time spent judging, and the run's start-up (tracing and, with XLA,
compiling the train step, a fixed cost that does not train anything), do not count as training.
"""

from __future__ import annotations

import gc

import numpy as np

from ganlib import callbacks, progress, recipes, reuse, training

# Training is stopped by the time budget; this many steps is far more than any budget reaches.
_UNREACHABLE_STEPS = 10_000_000
_STEPS_PER_CHUNK = 100


class TimedQualityTracker(callbacks.QualityTracker):
    """``callbacks.QualityTracker`` on a clock (every ``every_seconds`` of training time, once before
    training and once at the end), which also stops training after ``time_budget`` training seconds.

    The budget is on the tracker's own clock, which leaves out judging and the run's start-up
    (tracing, XLA compiling: ``compile_seconds``), so a fast model and a slow one get the same
    training time and are judged at the same moments of it.
    """

    def __init__(self, reference, every_seconds: float, n: int = 500, seed: int = 0,
                 time_budget: float | None = None, generator: str = "sampler"):
        if not every_seconds > 0:
            raise ValueError(f"every_seconds is {every_seconds!r}; allowed: a number of seconds greater than 0")
        if time_budget is not None and not time_budget > 0:
            raise ValueError(f"time_budget is {time_budget!r}; allowed: a number of seconds greater than 0, or None")
        super().__init__(reference, n=n, seed=seed, generator=generator, every_seconds=float(every_seconds))
        self.time_budget = time_budget
        self.stopped_by_budget = False

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)   # first: it updates the clock and may judge
        over_budget = (self.time_budget is not None and self.compile_seconds is not None
                       and self.train_seconds() >= self.time_budget)
        if over_budget:
            self.stopped_by_budget = True
            self.model.stop_training = True   # on_train_end judges this last point, unless just judged


def train_recipe(recipe: str, images, reference, *, seed: int = 0, learning_rate_factor: float = 1.0,
                 time_budget: float, every_seconds: float, n: int = 500, batch_size: int = 64,
                 jit_compile: bool | None = None, label: str | None = None,
                 compiled: reuse.CompiledGANs | None = None) -> dict:
    """Train one recipe for ``time_budget`` seconds of training time and return its record.

    ``learning_rate_factor`` multiplies the recipe's own learning rate (both networks'), so one sweep
    of factors treats every model alike; ``jit_compile`` None keeps the recipe's own XLA setting
    (``recipes.JIT_COMPILE``). With ``compiled`` (a ``reuse.CompiledGANs``), a recipe that an
    earlier run there already trained reuses that run's compiled train step, reset to this run's
    fresh start, so it skips the start-up and trains exactly as it would have; a recipe's first run
    there warms the step up first (``reuse.CompiledGANs.use``), so that it starts as the later ones
    do. The record holds the settings,
    the steps taken, the training and compile seconds, the quality curve (``curve``: one entry per
    judgment, ``step``, ``train_seconds`` and the measures of ``metrics.evaluate_generator``), and
    ``final``, the curve's last entry. ``status`` is ``"ok"``, or what stopped a run that went wrong
    (its curve then ends where it stopped).
    """
    if time_budget is None or not time_budget > 0:
        raise ValueError(f"time_budget is {time_budget!r}; allowed: a number of seconds greater than 0")
    if not learning_rate_factor > 0:
        raise ValueError(f"learning_rate_factor is {learning_rate_factor!r}; allowed: a number greater than 0")
    # The runs before this one left their models and traced graphs behind. Collect them now, before the
    # clock starts: Python's own full collection, when it comes, pauses for seconds (benchmarks/README,
    # "Garbage collection"), and it would land in whichever run is then tracing or training.
    gc.collect()
    gan = recipes.build(recipe, seed=seed, jit_compile=jit_compile)
    for optimizer in (gan.g_optimizer, gan.d_optimizer):
        optimizer.learning_rate = float(optimizer.learning_rate.numpy()) * learning_rate_factor
    if compiled is not None:
        # A recipe's first run warms its compiled step up first, then starts from scratch as the later runs do.
        gan = compiled.use((recipe, bool(gan.jit_compile), batch_size), gan,
                           warm_up=reuse.warm_up_with(images, batch_size=batch_size))
    rate = float(f"{float(gan.g_optimizer.learning_rate.numpy()):.6g}")   # without float32's round-off digits
    tracker = TimedQualityTracker(reference, every_seconds=every_seconds, n=n, seed=seed, time_budget=time_budget)
    # total_steps=0: the budget, not a step count, ends the run, so the line shows no "of N".
    line = progress.ProgressLine(label or f"{recipe}, learning rate {rate:g}, seed {seed}",
                                 keys=["d_loss", "g_loss"], total_steps=0)
    status = "ok"
    try:
        training.train(gan, images, steps=_UNREACHABLE_STEPS, batch_size=batch_size, seed=seed,
                       snapshots=_UNREACHABLE_STEPS // _STEPS_PER_CHUNK, callbacks=[tracker, line], verbose=0)
    except callbacks.TrainingDiverged as error:
        status = "stopped: " + str(error).split(": ")[0]   # e.g. "the generator collapsed at step 900"
        tracker.on_train_end()
    steps = tracker._step()
    return {"recipe": recipe, "learning_rate_factor": learning_rate_factor, "learning_rate": rate, "seed": seed,
            "status": status, "steps": steps, "train_seconds": tracker.records[-1]["train_seconds"],
            "compile_seconds": tracker.compile_seconds,
            "jit_compile": bool(gan.jit_compile), "curve": tracker.records, "final": tracker.records[-1]}


def spread(rows: list[dict], measure: str) -> dict:
    """Mean, standard deviation (n - 1), minimum and maximum of ``final[measure]`` over ``rows`` (the seeds)."""
    if not rows:
        raise ValueError("no runs to summarize")
    values = np.array([row["final"][measure] for row in rows], dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if len(values) > 1 else float("nan"),
            "min": float(values.min()), "max": float(values.max()), "n": len(values)}


def group(rows: list[dict], *keys: str) -> dict[tuple, list[dict]]:
    """Rows grouped by the values of ``keys`` (e.g. ``"recipe", "learning_rate"``), in first-seen order."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row[key] for key in keys), []).append(row)
    return groups


def best_factors(rows: list[dict], measure: str = "frechet_ratio", lower_is_better: bool = True) -> dict:
    """For each recipe, the learning-rate factor whose runs have the best mean ``final[measure]``."""
    best = {}
    for (recipe, rate), runs in group(rows, "recipe", "learning_rate_factor").items():
        mean = spread(runs, measure)["mean"]
        if recipe not in best or (mean < best[recipe][1] if lower_is_better else mean > best[recipe][1]):
            best[recipe] = (rate, mean)
    return {recipe: rate for recipe, (rate, _) in best.items()}


def overlaps(a: dict, b: dict) -> bool:
    """Whether two :func:`spread` results' ranges over seeds (min to max) overlap: no difference shown."""
    return a["min"] <= b["max"] and b["min"] <= a["max"]
