"""Training a GAN the Keras 3 way: a ``keras.Model`` whose ``train_step`` plays both sides.

``fit()`` drives it, so the progress bar, callbacks and history work as for any Keras model. Each
step trains the discriminator (``n_critic`` times), then the generator, each with its own tape and
optimizer. Nothing here relies on ``trainable`` flags: each optimizer only ever sees its own
network's variables, which is what the Keras 2 recipe got wrong under Keras 3.
"""

from __future__ import annotations

import json
import math
import os
import platform
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ganlib import losses

LOSSES = ("minimax", "non_saturating", "wasserstein")


class GAN(keras.Model):
    """A generator and a discriminator (or critic) trained against each other.

    ``loss``: ``"non_saturating"`` (the usual choice), ``"minimax"`` (the saturating loss of the
    original game) or ``"wasserstein"`` (WGAN: the discriminator is a critic with unbounded scores).
    ``gp_weight`` > 0 adds WGAN-GP's gradient penalty; ``clip_value`` clips the critic's weights
    after each of its steps (the original WGAN). ``label_smoothing`` lowers the real target.
    """

    def __init__(self, generator, discriminator, latent_dim: int, loss: str = "non_saturating",
                 n_critic: int = 1, gp_weight: float = 0.0, clip_value: float | None = None,
                 label_smoothing: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if loss not in LOSSES:
            raise ValueError(f"loss is {loss!r}; allowed: " + ", ".join(repr(name) for name in LOSSES))
        if n_critic < 1:
            raise ValueError(f"n_critic is {n_critic}; allowed: an integer >= 1")
        if (gp_weight or clip_value) and loss != "wasserstein":
            raise ValueError("gp_weight and clip_value belong to loss='wasserstein'")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.loss_name = loss
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        self.clip_value = clip_value
        self.label_smoothing = label_smoothing
        self.seed_generator = keras.random.SeedGenerator(seed)
        names = ["d_loss", "g_loss"]
        if loss == "wasserstein":
            names += ["w_distance"] + (["gp", "grad_norm"] if gp_weight else [])
        else:
            names += ["d_real", "d_fake"]  # mean D(x) and D(G(z)), probabilities
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer

    @property
    def metrics(self):
        # Listing the trackers here lets fit() reset them at the start of every epoch.
        return list(self.trackers.values())

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def _noise(self, batch_size):
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    def _discriminator_step(self, real):
        batch_size = ops.shape(real)[0]
        fake = self.generator(self._noise(batch_size), training=True)
        with tf.GradientTape() as tape:
            real_scores = self.discriminator(real, training=True)
            fake_scores = self.discriminator(fake, training=True)
            if self.loss_name == "wasserstein":
                d_loss = losses.wasserstein_critic_loss(real_scores, fake_scores)
                if self.gp_weight:
                    norms = losses.interpolate_gradient_norms(self.discriminator, real, fake,
                                                              seed=self.seed_generator)
                    gp = losses.penalty_from_norms(norms)
                    d_loss += self.gp_weight * gp
            else:
                d_loss = losses.discriminator_loss(real_scores, fake_scores, self.label_smoothing)
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
        if self.clip_value:
            for weight in weights:
                weight.assign(ops.clip(weight, -self.clip_value, self.clip_value))
        stats = {"d_loss": d_loss}
        if self.loss_name == "wasserstein":
            stats["w_distance"] = ops.mean(real_scores) - ops.mean(fake_scores)
            if self.gp_weight:
                stats.update(gp=gp, grad_norm=ops.mean(norms))
        else:
            stats.update(d_real=ops.mean(ops.sigmoid(real_scores)),
                         d_fake=ops.mean(ops.sigmoid(fake_scores)))
        return stats

    def _generator_step(self, batch_size):
        with tf.GradientTape() as tape:
            fake_scores = self.discriminator(self.generator(self._noise(batch_size), training=True),
                                             training=True)
            if self.loss_name == "wasserstein":
                g_loss = losses.wasserstein_generator_loss(fake_scores)
            elif self.loss_name == "minimax":
                g_loss = losses.minimax_generator_loss(fake_scores)
            else:
                g_loss = losses.non_saturating_generator_loss(fake_scores)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
        return g_loss

    def train_step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data
        for _ in range(self.n_critic):
            stats = self._discriminator_step(real)
        stats["g_loss"] = self._generator_step(ops.shape(real)[0])
        for name, tracker in self.trackers.items():
            tracker.update_state(stats[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}


class SampleGrid(keras.callbacks.Callback):
    """Record the generator's output for one fixed batch of noise at the end of every epoch.

    The same noise each time means the pictures differ only because the generator learned.
    """

    def __init__(self, latent_dim: int, n: int = 16, seed: int = 0):
        super().__init__()
        self.noise = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)
        self.steps: list[int] = []
        self.frames: list[np.ndarray] = []

    def record(self, generator, step: int):
        self.steps.append(int(step))
        self.frames.append(np.asarray(generator(self.noise, training=False)))

    def on_train_begin(self, logs=None):
        if not self.frames:
            self.record(self.model.generator, 0)

    def on_epoch_end(self, epoch, logs=None):
        self.record(self.model.generator, int(self.model.g_optimizer.iterations.numpy()))


@dataclass
class TrainingRun:
    """What :func:`train` returns: per-snapshot history, the sample grids, and the time it took."""

    history: dict[str, list[float]]
    grid: SampleGrid
    steps: int
    wall_seconds: float
    steps_per_epoch: int = 0
    extra: dict = field(default_factory=dict)

    def final(self) -> dict[str, float]:
        """The last snapshot's value of every tracked quantity."""
        return {name: float(values[-1]) for name, values in self.history.items() if values}


def train(gan: GAN, dataset, steps: int, snapshots: int = 20, grid: SampleGrid | None = None,
          callbacks=(), verbose: int = 2) -> TrainingRun:
    """Train for ``steps`` generator steps with ``fit()``, in ``snapshots`` equal chunks ("epochs").

    Each chunk ends with a history entry and a grid of fixed-noise samples. ``steps`` is rounded
    up to a whole number of chunks.
    """
    snapshots = max(1, min(snapshots, steps))
    steps_per_epoch = math.ceil(steps / snapshots)
    grid = grid or SampleGrid(gan.latent_dim)
    start = time.perf_counter()
    history = gan.fit(dataset, epochs=snapshots, steps_per_epoch=steps_per_epoch,
                      callbacks=[grid, *callbacks], verbose=verbose, shuffle=False)
    wall_seconds = time.perf_counter() - start
    return TrainingRun(history=history.history, grid=grid, steps=snapshots * steps_per_epoch,
                       wall_seconds=wall_seconds, steps_per_epoch=steps_per_epoch)


def save_run(artifacts_dir, generator, config: dict, run: TrainingRun | None = None,
             metrics: dict | None = None, headline: tuple[str, float] | None = None) -> Path:
    """Write ``generator.keras`` and ``metrics.json`` under ``artifacts_dir`` (the design contract).

    Both files are written to a temporary name and then renamed, so an interrupted save leaves the
    previous files intact. Returns the folder.
    """
    folder = Path(artifacts_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if generator is not None:
        with tempfile.TemporaryDirectory(dir=folder) as scratch:
            partial = Path(scratch) / "generator.keras"
            generator.save(partial)
            os.replace(partial, folder / "generator.keras")
    record = {
        "notebook": config.get("notebook"),
        "profile": config.get("profile"),
        "parameters": {k: v for k, v in config.items() if k not in ("notebook",)},
        "steps": run.steps if run else None,
        "wall_seconds": round(run.wall_seconds, 2) if run else None,
        "final_losses": run.final() if run else {},
        "metrics": metrics or {},
        "headline": {"name": headline[0], "value": headline[1]} if headline else None,
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__,
                     "keras": keras.__version__},
    }
    write_json_atomically(folder / "metrics.json", record)
    return folder


def write_json_atomically(path, data) -> None:
    path = Path(path)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as handle:
        json.dump(data, handle, indent=2, default=_jsonable)
        handle.write("\n")
    os.replace(handle.name, path)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
