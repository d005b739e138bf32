"""The Keras callbacks that watch a GAN train: sample grids, guards, a time budget, checkpoints, quality.

``training.train`` wires the first four in; ``QualityTracker`` is added by notebooks and benchmarks
that draw quality-versus-time curves.
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

from ganlib import checkpoints, sampling


class SampleGrid(keras.callbacks.Callback):
    """Record the generator's output for one fixed batch of noise at the end of every epoch.

    The same noise each time means the pictures differ only because the generator learned.
    """

    def __init__(self, latent_dim: int, n: int = 16, seed: int = 0):
        super().__init__()
        self.noise = sampling.seeded_noise(n, latent_dim, seed)
        self.labels = None  # for a conditional GAN: digits 0, 1, ..., 9, 0, ... (set when training starts)
        self.steps: list[int] = []
        self.frames: list[np.ndarray] = []

    def record(self, generator, step: int):
        self.steps.append(int(step))
        self.frames.append(np.asarray(generator(sampling.generator_inputs(self.noise, self.labels), training=False)))

    def on_train_begin(self, logs=None):
        if getattr(self.model, "num_classes", None) and self.labels is None:
            self.labels = sampling.balanced_labels(len(self.noise), self.model.num_classes)
        if not self.frames:
            self.record(self.model.sampler, 0)

    def on_epoch_end(self, epoch, logs=None):
        self.record(self.model.sampler, int(self.model.g_optimizer.iterations.numpy()))


class TrainingDiverged(RuntimeError):
    """Training produced a non-finite loss or collapsed; the message names the last good checkpoint."""


class DivergenceGuard(keras.callbacks.Callback):
    """Stop training, with an error that says what happened, when it goes wrong.

    After every batch: any tracked value that is NaN or infinite. After every chunk ("epoch"): a
    collapse, i.e. the generator drawing (nearly) the same image for every one of 64 noise vectors,
    measured as the average per-pixel standard deviation across them falling below
    ``collapse_std``. It runs before the checkpoint callback, so nothing it flags is saved.
    Collapse is only judged from ``warmup_steps`` generator steps on: a freshly initialized
    generator with batch norm draws nearly one grey image too, and it has not started rather than
    collapsed.
    """

    def __init__(self, collapse_std: float = 0.02, seed: int = 0, warmup_steps: int = 100):
        super().__init__()
        self.collapse_std = collapse_std
        self.warmup_steps = warmup_steps
        self.noise = None
        self.seed = seed
        self.last_good = "none yet (nothing was saved)"

    def _step(self):
        return int(self.model.g_optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        bad = {name: value for name, value in (logs or {}).items() if not np.isfinite(float(value))}
        if bad:
            described = ", ".join(f"{name} = {float(value)}" for name, value in bad.items())
            raise TrainingDiverged(
                f"training diverged at generator step {self._step()}: {described}. Nothing from this "
                f"point was saved; the last good checkpoint is {self.last_good}. Try a lower learning "
                "rate, or the non-saturating or Wasserstein-GP loss.")

    def on_epoch_end(self, epoch, logs=None):
        if self._step() < self.warmup_steps:
            return
        if self.noise is None:
            self.noise = sampling.seeded_noise(64, self.model.latent_dim, self.seed)
        num_classes = getattr(self.model, "num_classes", None)
        labels = sampling.balanced_labels(len(self.noise), num_classes) if num_classes else None
        images = np.asarray(self.model.sampler(sampling.generator_inputs(self.noise, labels), training=False))
        spread = float(images.std(axis=0).mean())
        if spread < self.collapse_std:
            raise TrainingDiverged(
                f"the generator collapsed at step {self._step()}: 64 different noise vectors give nearly "
                f"the same image (average pixel spread {spread:.4f} < {self.collapse_std}). Not saved; the "
                f"last good checkpoint is {self.last_good}.")


class StartUpClock:
    """Tells a run's one-off start-up cost from its training time.

    The first call of the train function traces it and, with XLA, compiles it: seconds that train
    nothing. That call also trains one call's worth of steps (``steps_per_execution`` of them), so
    the start-up cost is the first call's time less the second call's (from the second call's
    start to its end, so callback work between calls is not counted twice). It is known once the
    second call ends; until then ``compile_seconds`` is None.
    """

    def __init__(self):
        self.start(0.0)

    def start(self, now: float):
        self._begin, self._first_end, self._second_begin, self.compile_seconds = now, None, None, None

    def call_begins(self, now: float):
        if self._first_end is not None and self._second_begin is None:
            self._second_begin = now

    def call_ends(self, now: float) -> bool:
        """Note the end of a call; True once ``compile_seconds`` is known."""
        if self.compile_seconds is not None:
            return True
        if self._first_end is None:
            self._first_end = now
            return False
        second_call = now - (self._second_begin if self._second_begin is not None else self._first_end)
        self.compile_seconds = max(0.0, self._first_end - self._begin - second_call)
        return True

    def settle(self, now: float):
        """At the end of a run too short to tell the two apart, count all of it as start-up."""
        if self.compile_seconds is None:
            self.compile_seconds = (self._first_end if self._first_end is not None else now) - self._begin


class TimeBudget(keras.callbacks.Callback):
    """Stop training once ``seconds`` of training time have passed.

    Training time leaves out two things, so that models are compared at equal training time: the
    run's start-up (tracing the train step and, with XLA, compiling it: a fixed cost that trains
    nothing, kept as ``compile_seconds``; see ``StartUpClock``), and the time that ``exclude``d
    callbacks report as ``evaluation_seconds`` (judging samples, say), however often they judge.
    The budget is checked after every call of the train function (``steps_per_execution`` steps)
    from the second call on, so a run may overshoot it by up to one call.
    """

    def __init__(self, seconds: float, already_spent: float = 0.0, exclude=()):
        super().__init__()
        self.seconds, self.already_spent, self.exclude = seconds, already_spent, list(exclude)
        self.exhausted = False
        self.clock = StartUpClock()

    @property
    def compile_seconds(self):
        return self.clock.compile_seconds

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()
        self.clock.start(self._start)

    def on_train_batch_begin(self, batch, logs=None):
        self.clock.call_begins(time.perf_counter())

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if not self.clock.call_ends(now):
            return
        judging = sum(callback.evaluation_seconds for callback in self.exclude)
        if self.already_spent + now - self._start - self.compile_seconds - judging >= self.seconds:
            self.exhausted = True
            self.model.stop_training = True


class Checkpointer(keras.callbacks.Callback):
    """Save the whole training state at the end of every chunk of steps (see ``ganlib.checkpoints``)."""

    def __init__(self, folder, run_key: dict, grid: "SampleGrid", guard: DivergenceGuard | None = None,
                 history: dict | None = None, wall_seconds: float = 0.0, trackers: list | tuple = ()):
        super().__init__()
        self.folder, self.run_key, self.grid, self.guard = Path(folder), run_key, grid, guard
        # The run's QualityTrackers: their records are saved too, so a resumed run keeps its curves.
        self.trackers = list(trackers)
        self.history = {name: list(values) for name, values in (history or {}).items()}
        self.prior_seconds = wall_seconds
        self._start = None

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(float(value))
        step = int(self.model.g_optimizer.iterations.numpy())
        meta = {"run": self.run_key, "epoch": epoch + 1, "step": step, "history": self.history,
                "grid_steps": self.grid.steps, "trackers": [tracker.state() for tracker in self.trackers],
                "wall_seconds": self.prior_seconds + time.perf_counter() - self._start}
        path = checkpoints.save(self.folder, self.model, meta, {"grid_frames": np.stack(self.grid.frames),
                                                                "grid_noise": self.grid.noise})
        if self.guard is not None:
            self.guard.last_good = f"{path} (step {step})"


class QualityTracker(keras.callbacks.Callback):
    """Record quality measures of the generator as it trains, against training time.

    For quality-versus-time curves: each entry holds the generator step, the training seconds so far,
    and :func:`metrics.evaluate_generator`'s measures. By default it judges every ``every`` chunks;
    with ``every_seconds`` it judges on a clock instead: once before training (step 0), then each
    time another ``every_seconds`` of training time has passed, and once at the end, so that a fast
    model and a slow one are judged at the same moments of a time budget. Training time leaves out
    the time spent judging and the run's start-up (tracing and, with XLA, compiling the train step;
    kept as ``compile_seconds``; see ``StartUpClock``).
    """

    def __init__(self, reference: "metrics.Reference", every: int = 1, n: int = 1000, seed: int = 0,
                 generator: str = "sampler", every_seconds: float | None = None):
        super().__init__()
        if every_seconds is not None and not every_seconds > 0:
            raise ValueError(f"every_seconds is {every_seconds!r}; allowed: a number of seconds greater than 0, "
                             "or None (judge every `every` chunks)")
        self.reference, self.every, self.n, self.seed = reference, every, n, seed
        self.every_seconds = every_seconds
        # Which of the GAN's generators to judge: "sampler" (the weight average when there is one)
        # or "generator" (the latest weights).
        self.generator = generator
        self.records: list[dict] = []
        self.prior_train_seconds = 0.0   # training seconds before a resumed run's checkpoint
        self._start = None
        self._next_at = None
        self.clock = StartUpClock()
        self.evaluation_seconds = 0.0  # time spent judging, which is not training time

    @property
    def compile_seconds(self):
        return self.clock.compile_seconds

    def train_seconds(self) -> float:
        return (self.prior_train_seconds + time.perf_counter() - self._start - self.evaluation_seconds
                - (self.compile_seconds or 0.0))

    def state(self) -> dict:
        """What a checkpoint keeps of this tracker: its records and the training seconds so far."""
        return {"records": self.records,
                "train_seconds": self.train_seconds() if self._start is not None else self.prior_train_seconds}

    def restore(self, state: dict):
        """Continue from a checkpoint's :meth:`state`: a resumed run's curves start where it stopped."""
        self.records = [dict(record) for record in state["records"]]
        self.prior_train_seconds = float(state["train_seconds"])

    def on_train_begin(self, logs=None):
        if self.every_seconds is not None and not self.records:
            self._judge(train_seconds=0.0)    # where training starts (step 0 unless resumed), before any of it
        self._start, self.evaluation_seconds = time.perf_counter(), 0.0
        self.clock.start(self._start)
        self._next_at = self.every_seconds
        while self.every_seconds is not None and self._next_at <= self.prior_train_seconds:
            self._next_at += self.every_seconds   # resumed: the next judgement after the restored ones

    def on_train_batch_begin(self, batch, logs=None):
        self.clock.call_begins(time.perf_counter())

    def on_train_batch_end(self, batch, logs=None):
        if not self.clock.call_ends(time.perf_counter()):
            return
        if self.every_seconds is not None and self.train_seconds() >= self._next_at:
            self._judge()
            while self._next_at <= self.records[-1]["train_seconds"]:
                self._next_at += self.every_seconds

    def on_epoch_end(self, epoch, logs=None):
        if self.every_seconds is None and (epoch + 1) % self.every == 0:
            self._judge()

    def on_train_end(self, logs=None):
        self.clock.settle(time.perf_counter())
        if self.every_seconds is not None and self.records[-1]["step"] != self._step():
            self._judge()

    def _step(self) -> int:
        return int(self.model.g_optimizer.iterations.numpy())

    def _judge(self, train_seconds: float | None = None):
        from ganlib import metrics  # here, not at the top: training should not load the judge

        began = time.perf_counter()
        train_seconds = self.train_seconds() if train_seconds is None else train_seconds
        measures = metrics.evaluate_generator(getattr(self.model, self.generator), self.reference, self.n, self.seed)
        self.evaluation_seconds += time.perf_counter() - began
        self.records.append({"step": self._step(), "train_seconds": train_seconds, **measures})
