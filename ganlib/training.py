"""Training a GAN the Keras 3 way: a ``keras.Model`` whose ``train_step`` plays both sides.

``fit()`` drives it, so the progress bar, callbacks and history work as for any Keras model. Each
step trains the discriminator (``n_critic`` times), then the generator, each with its own tape and
optimizer. Nothing here relies on ``trainable`` flags: each optimizer only ever sees its own
network's variables, which is what the Keras 2 recipe got wrong under Keras 3.
"""

from __future__ import annotations

import contextlib
import gc
import math
import numbers
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import keras
import tensorflow as tf
from keras import ops

from ganlib import augment, checkpoints, course, data, losses, sampling
from ganlib.callbacks import Checkpointer, DivergenceGuard, SampleGrid, TimeBudget


def _probabilities(real_scores, fake_scores):
    """Mean D(x) and D(G(z)) as probabilities: how sure the discriminator is of each side."""
    return {"d_real": ops.mean(ops.sigmoid(real_scores)), "d_fake": ops.mean(ops.sigmoid(fake_scores))}


def _distance_estimate(real_scores, fake_scores):
    """The critic's estimate of the Wasserstein distance, E[f(x)] - E[f(G(z))]."""
    return {"w_distance": ops.mean(real_scores) - ops.mean(fake_scores)}


@dataclass(frozen=True)
class GameLoss:
    """One way to score the game: each side's loss, and what the progress bar shows of the discriminator."""

    discriminator: Callable   # (real scores, fake scores, label smoothing) -> the discriminator's loss
    generator: Callable       # (fake scores) -> the generator's loss
    report: Callable          # (real scores, fake scores) -> {name: value}
    reported: tuple[str, ...]  # the names ``report`` returns
    critic: bool              # unbounded scores: gradient penalty and weight clipping apply, smoothing does not


GAME_LOSSES = {
    "non_saturating": GameLoss(losses.discriminator_loss, losses.non_saturating_generator_loss,
                               _probabilities, ("d_real", "d_fake"), critic=False),
    "minimax": GameLoss(losses.discriminator_loss, losses.minimax_generator_loss,
                        _probabilities, ("d_real", "d_fake"), critic=False),
    "wasserstein": GameLoss(lambda real, fake, smoothing: losses.wasserstein_critic_loss(real, fake),
                            losses.wasserstein_generator_loss, _distance_estimate, ("w_distance",), critic=True),
}
LOSSES = tuple(GAME_LOSSES)


def _is_whole(value) -> bool:
    """A whole number (2 or 2.0), not a bool or a string: what a count of steps or classes may be."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer()


class GAN(keras.Model):
    """A generator and a discriminator (or critic) trained against each other.

    ``loss``: ``"non_saturating"`` (the usual choice), ``"minimax"`` (the saturating loss of the
    original game) or ``"wasserstein"`` (WGAN: the discriminator is a critic with unbounded scores).
    ``n_critic`` > 1 trains the discriminator that many times per generator step, each time on its
    own real images: every batch that ``fit()`` hands over holds ``n_critic`` batches (``train()``
    builds its data so), and the generator step uses one batch's worth of noise.
    ``gp_weight`` > 0 adds WGAN-GP's gradient penalty; ``penalty_every`` = k > 1 adds it on one
    critic step in k only, weighted k times (StyleGAN2's lazy regularization: the penalty is the
    critic step's dearest part, as it differentiates the critic twice); k must divide ``n_critic``,
    so the penalized steps are the first of every k in each generator step, and the reported
    ``d_loss`` (the last critic step's) then leaves the penalty out. ``clip_value`` clips the
    critic's weights after each of its steps (the original WGAN). ``label_smoothing`` lowers the real target (the
    two probability losses only). ``GAME_LOSSES`` holds each loss's pair of functions.
    ``augment=True`` shows the discriminator randomly shifted and partly erased real and generated
    images (``ganlib.augment``), which keeps it from memorizing a small training set (notebook 08's
    exercise 5 trains on 100 digits so).
    ``ema_decay`` (e.g. 0.999) keeps an exponential moving average of the generator's weights in
    ``ema_generator``: an average over recent training steps (about 1 / (1 - decay) of them, fewer
    at the start), which smooths out the game's oscillations and usually draws better samples than
    the latest weights.
    ``num_classes`` (e.g. 10) makes it class-conditional: the generator takes ``[noise, label]``,
    the discriminator ``[image, label]``, and the data must come with labels (``train(labels=...)``).
    Generated images get labels drawn uniformly at random, so every digit is practised equally.
    """

    def __init__(self, generator, discriminator, latent_dim: int, loss: str = "non_saturating",
                 n_critic: int = 1, gp_weight: float = 0.0, penalty_every: int = 1,
                 clip_value: float | None = None, label_smoothing: float = 0.0,
                 ema_decay: float | None = None, augment: bool = False,
                 num_classes: int | None = None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if loss not in LOSSES:
            raise ValueError(f"loss is {loss!r}; allowed: " + ", ".join(repr(name) for name in LOSSES))
        # Checked before penalty_every, whose message names n_critic as a divisor.
        if not course.COUNT.accepts(n_critic):
            raise ValueError(f"n_critic is {n_critic!r}; allowed: {course.COUNT.allowed}")
        if not _is_whole(penalty_every) or penalty_every < 1 or n_critic % penalty_every:
            raise ValueError(f"penalty_every is {penalty_every!r}; allowed: an integer >= 1 that divides n_critic "
                             f"({n_critic})")
        if penalty_every > 1 and not gp_weight:
            raise ValueError("penalty_every belongs to a gradient penalty: set gp_weight > 0")
        if (gp_weight or clip_value) and not GAME_LOSSES[loss].critic:
            raise ValueError("gp_weight and clip_value belong to loss='wasserstein'")
        # The real target is 1 - label_smoothing: 1 or more would reward calling real images fake.
        if not (isinstance(label_smoothing, numbers.Real) and 0.0 <= label_smoothing < 1.0):
            raise ValueError(f"label_smoothing is {label_smoothing!r}; allowed: a number from 0 up to (not "
                             "including) 1")
        if label_smoothing and GAME_LOSSES[loss].critic:
            raise ValueError("label_smoothing belongs to loss='non_saturating' or 'minimax': a critic has no target")
        if ema_decay is not None and not 0.0 < ema_decay < 1.0:
            raise ValueError(f"ema_decay is {ema_decay}; allowed: a number between 0 and 1 (e.g. 0.999), or None")
        if num_classes is not None and (not _is_whole(num_classes) or num_classes < 2):
            raise ValueError(f"num_classes is {num_classes!r}; allowed: an integer >= 2, or None (unconditional)")
        if num_classes is not None and gp_weight:
            # Real and generated images carry different labels, so an interpolate has no one label.
            raise ValueError("gp_weight is not supported with num_classes: the course's conditional GAN "
                             "uses the non-saturating loss")
        expected_inputs = 1 if num_classes is None else 2
        for network, role in ((generator, "generator"), (discriminator, "discriminator")):
            if len(network.inputs) != expected_inputs:
                kind = "an unconditional GAN" if num_classes is None else "a conditional GAN (num_classes set)"
                raise ValueError(f"the {role} takes {len(network.inputs)} inputs; {kind} needs {expected_inputs}")
        # The noise is the generator's first input, the digit its second (sampling.network_inputs); a
        # mismatch would otherwise surface only in the first train step.
        noise_size = generator.inputs[0].shape[-1]
        if not course.COUNT.accepts(latent_dim) or (noise_size is not None and latent_dim != noise_size):
            allowed = f"{noise_size}, the size of the generator's noise input" if noise_size else course.COUNT.allowed
            raise ValueError(f"latent_dim is {latent_dim!r}; allowed: {allowed}")
        self.num_classes = num_classes
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.loss_name = loss
        self.game = GAME_LOSSES[loss]
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        self.penalty_every = int(penalty_every)
        self.clip_value = clip_value
        self.label_smoothing = label_smoothing
        self.augment = augment
        self.ema_decay = ema_decay
        self.ema_generator = None
        if ema_decay is not None:
            self.ema_generator = average_copy(generator)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        names = ["d_loss", "g_loss", *self.game.reported] + (["gp", "grad_norm"] if gp_weight else [])
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        # train() may lower steps_per_execution to fit its chunks; each call starts again from this.
        self.requested_steps_per_execution = self.steps_per_execution

    @property
    def metrics(self):
        # Listing the trackers here lets fit() reset them at the start of every epoch.
        return list(self.trackers.values())

    @property
    def sampler(self):
        """The generator to draw samples from: the weight average when there is one."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    @property
    def conditional(self) -> bool:
        return self.num_classes is not None

    def call(self, z, training=False):
        return self.sampler(z, training=training)

    def _noise(self, batch_size):
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    def _random_labels(self, batch_size):
        if not self.conditional:
            return None
        return keras.random.randint((batch_size,), 0, self.num_classes, dtype="int32", seed=self.seed_generator)

    def _generate(self, batch_size, labels):
        return self.generator(sampling.network_inputs(self._noise(batch_size), labels), training=True)

    def _judge(self, images, labels):
        """The discriminator's scores, on augmented images when ``augment`` is on."""
        if self.augment:
            images = augment.diff_augment(images, seed=self.seed_generator)
        return self.discriminator(sampling.network_inputs(images, labels), training=True)

    def _discriminator_step(self, real, real_labels, penalize: bool = True):
        batch_size = ops.shape(real)[0]
        fake_labels = self._random_labels(batch_size)
        fake = self._generate(batch_size, fake_labels)
        with tf.GradientTape() as tape:
            real_scores = self._judge(real, real_labels)
            fake_scores = self._judge(fake, fake_labels)
            d_loss = self.game.discriminator(real_scores, fake_scores, self.label_smoothing)
            if self.gp_weight and penalize:
                norms = losses.interpolate_gradient_norms(self.discriminator, real, fake, seed=self.seed_generator)
                gp = losses.penalty_from_norms(norms)
                d_loss += self.gp_weight * self.penalty_every * gp
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
        if self.clip_value:
            for weight in weights:
                weight.assign(ops.clip(weight, -self.clip_value, self.clip_value))
        stats = {"d_loss": d_loss, **self.game.report(real_scores, fake_scores)}
        if self.gp_weight and penalize:
            stats.update(gp=gp, grad_norm=ops.mean(norms))
        return stats

    def _generator_step(self, batch_size):
        with tf.GradientTape() as tape:
            labels = self._random_labels(batch_size)
            fake_scores = self._judge(self._generate(batch_size, labels), labels)
            g_loss = self.game.generator(fake_scores)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
        if self.ema_generator is not None:
            decay = average_decay(ops.cast(self.g_optimizer.iterations, "float32"), self.ema_decay)
            update_average(self.ema_generator, self.generator, decay)
        return g_loss

    def train_step(self, data):
        real, labels = (data[0], data[1]) if isinstance(data, (tuple, list)) else (data, None)
        if self.conditional and labels is None:
            raise ValueError("a conditional GAN trains on (images, labels): pass labels= to train()")
        # fit() hands over n_critic batches at once (train() sizes them so): each critic step sees
        # its own real images, as in WGAN's algorithm, rather than one batch n_critic times.
        real_batches = ops.split(real, self.n_critic)
        label_batches = ops.split(labels, self.n_critic) if self.conditional else [None] * self.n_critic
        stats = {}
        for step, (real_batch, batch_labels) in enumerate(zip(real_batches, label_batches)):
            # Each critic step reports its losses; the penalty's figures come from the last penalized step.
            stats.update(self._discriminator_step(real_batch, batch_labels, penalize=step % self.penalty_every == 0))
        stats["g_loss"] = self._generator_step(ops.shape(real_batches[0])[0])
        for name, tracker in self.trackers.items():
            tracker.update_state(stats[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def average_copy(network):
    """A copy of ``network`` with its current weights, to hold a moving average of them."""
    copy = keras.models.clone_model(network)
    copy.set_weights(network.get_weights())
    return copy


def update_average(average, network, decay):
    """Move ``average``'s weights towards ``network``'s: decay * average + (1 - decay) * current."""
    # Batch-norm statistics are averaged too, so the average model is self-consistent.
    for averaged, current in zip(average.weights, network.weights):
        averaged.assign(decay * averaged + (1.0 - decay) * current)


def average_decay(step, cap: float, warmup: float = 10.0):
    """The weight average's decay after generator step ``step``: (1 + step) / (warmup + step), at most ``cap``.

    Early on the average covers the few steps there are rather than a thousand mostly untrained ones:
    its horizon, 1 / (1 - decay), is about the last 1 / (warmup - 1) of the steps so far (a ninth with
    the course's 10), until it reaches 1 / (1 - cap) steps (1,000 for 0.999, at step 8,990).
    """
    return ops.minimum(cap, (1.0 + step) / (warmup + step))


@dataclass
class TrainingRun:
    """What :func:`train` returns: per-chunk history, the sample grids, and the time it took.

    ``checkpoint_dir``: the run's own checkpoint folder (``.../checkpoints/run-<key>``), None
    without checkpoints; ``notice``: the one line train printed about resuming, a finished run or starting afresh.
    """

    history: dict[str, list[float]]
    grid: SampleGrid
    steps: int
    wall_seconds: float
    steps_per_epoch: int = 0
    resumed_from: int = 0
    stopped_by_budget: bool = False
    checkpoint_dir: Path | None = None
    notice: str = ""

    def final(self) -> dict[str, float]:
        """The last chunk's value of every tracked quantity."""
        return {name: float(values[-1]) for name, values in self.history.items() if values}


def _fit_steps_per_execution(gan: GAN, steps_per_epoch: int):
    """Set the GAN's ``steps_per_execution`` for chunks of ``steps_per_epoch`` steps.

    The largest divisor of the chunk length up to the value compiled with, and at most half the
    chunk: Keras runs whole executions, so a chunk of 40 steps at 25 steps per execution would train
    50 and the checkpoints' step counts would drift from what ``train`` planned; and two calls per
    chunk let the time budget and quality tracker tell start-up from training (``StartUpClock``)
    before a chunk ends. A chunk of a prime number of steps runs one step per call.
    """
    wanted = getattr(gan, "requested_steps_per_execution", gan.steps_per_execution)
    most = max(1, min(wanted, steps_per_epoch // 2))
    fitting = max(k for k in range(1, most + 1) if steps_per_epoch % k == 0)
    if fitting != gan.steps_per_execution:
        gan.steps_per_execution = fitting
        gan.make_train_function(force=True)   # the compiled loop was traced for the old count


@contextlib.contextmanager
def without_remapping():
    """Turn off Grappler's remapper while a graph is traced and run.

    The remapper fuses a convolution with its bias and activation. In some of the course's graphs it
    cannot, because a gradient needs the unfused nodes: a latent search's gradient through the
    discriminator, a Wasserstein critic's train step without XLA. It then logs an error (harmless: it
    skips the fusion) that would land in a notebook's output.
    """
    before = tf.config.optimizer.get_experimental_options().get("remapping", True)
    tf.config.optimizer.set_experimental_options({"remapping": False})
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options({"remapping": before})


def _check_labels(gan: GAN, images, labels) -> None:
    """Refuse labels that do not fit the GAN or the images here, rather than inside tf.data or a train step."""
    if not gan.conditional:
        if labels is not None:
            raise ValueError("this GAN is unconditional (num_classes None): it trains on images alone; "
                             "allowed: labels=None")
        return
    if labels is None:
        raise ValueError("a conditional GAN trains on (images, labels): pass labels= to train()")
    sampling.check_labels(labels, len(images), num_classes=gan.num_classes)


def train(gan: GAN, images, *, steps: int, batch_size: int, seed: int = 0, labels=None, snapshots: int = 20,
          grid: SampleGrid | None = None, callbacks=(), artifacts_dir=None,
          time_budget: float | None = None, verbose: int = 2) -> TrainingRun:
    """Train for ``steps`` generator steps with ``fit()``, in ``snapshots`` equal chunks ("epochs").

    Each chunk ends with a history entry and a grid of fixed-noise samples; ``steps`` is rounded up
    to whole chunks. ``time_budget`` (seconds) stops training early once that much wall time has
    been spent, for comparisons of models at equal cost; ``steps`` then counts the steps taken.

    With ``artifacts_dir``, the whole training state is saved after every chunk, in
    ``artifacts_dir/checkpoints/run-<key>/``, where the key covers every setting that changes the
    run's trajectory (``checkpoints.run_key``). A later call with the same settings resumes where
    the last one stopped (one whose run already finished returns at once), and continues exactly
    as the uninterrupted run would: same data order, same noise, same optimizer state. A call with
    any setting changed starts a fresh run in its own folder and says so in one line.
    """
    # Keras reads steps_per_epoch 0 or less as "until the data runs out", and the data never does.
    for name, value in (("steps", steps), ("snapshots", snapshots)):
        if not course.COUNT.accepts(value):
            raise ValueError(f"{name} is {value!r}; allowed: {course.COUNT.allowed}")
    if time_budget is not None and not (isinstance(time_budget, numbers.Real) and 0 < time_budget < math.inf):
        raise ValueError(f"time_budget is {time_budget!r}; allowed: a number of seconds greater than 0, or None")
    if not course.RULES["seed"].accepts(seed):
        raise ValueError(f"seed is {seed!r}; allowed: {course.RULES['seed'].allowed}")
    # 0-255 pixels would train a useless model without a word; a flat array or another size would fail
    # deep inside Keras. The generator's output shape is what the discriminator reads.
    images = data.model_range_images(images, shape=tuple(gan.generator.output_shape[1:]))
    _check_labels(gan, images, labels)
    snapshots = max(1, min(snapshots, steps))
    steps_per_epoch = math.ceil(steps / snapshots)
    # One batch per critic step: a generator step consumes n_critic batches of real images.
    if gan.n_critic > 1 and batch_size * gan.n_critic > len(images):
        raise ValueError(f"batch_size is {batch_size}: with n_critic={gan.n_critic}, one generator step needs "
                         f"{batch_size * gan.n_critic} real images and there are {len(images)}; allowed: "
                         f"1 to {len(images) // gan.n_critic}")
    grid = grid or SampleGrid(gan.latent_dim, seed=seed)
    guard = DivergenceGuard(seed=seed)
    judges = [callback for callback in callbacks if hasattr(callback, "evaluation_seconds")]
    history, start_epoch, prior_seconds = {}, 0, 0.0
    extra, folder, notice = [], None, ""
    root = None if artifacts_dir is None else Path(artifacts_dir) / checkpoints.FOLDER_NAME
    if root is not None:
        run_key = checkpoints.run_key(gan, images, labels, steps=snapshots * steps_per_epoch, snapshots=snapshots,
                                      batch_size=batch_size, seed=seed, time_budget=time_budget)
        folder = root / checkpoints.fingerprint(run_key)
        restored = checkpoints.restore(folder, gan, run_key)
        if restored is None:
            notice = checkpoints.fresh_run_notice(root, folder, run_key) or ""
        else:
            meta, arrays = restored
            start_epoch, history, prior_seconds = meta["epoch"], meta["history"], meta["wall_seconds"]
            grid.noise, grid.steps, grid.frames = arrays["grid_noise"], list(meta["grid_steps"]), list(arrays["grid_frames"])
            guard.last_good = f"{folder / checkpoints.FILE_NAME} (step {meta['step']})"
            saved_trackers = meta.get("trackers", [])
            if len(saved_trackers) == len(judges):   # the same trackers, in order: continue their records
                for tracker, state in zip(judges, saved_trackers):
                    tracker.restore(state)
            progress = f"step {meta['step']:,} of {snapshots * steps_per_epoch:,}"
            if start_epoch >= snapshots or (time_budget is not None and prior_seconds >= time_budget):
                spent = ", its time budget spent" if start_epoch < snapshots else ""
                notice = f"Found the finished run's checkpoint ({progress}{spent}): nothing left to train."
            else:
                notice = f"Resuming from the checkpoint at {progress}."
        if notice and verbose:
            print(notice)
        extra = [Checkpointer(folder, run_key, grid, guard, history, prior_seconds, trackers=judges)]
    _fit_steps_per_execution(gan, steps_per_epoch)
    dataset = data.make_dataset(images, batch_size * gan.n_critic, seed, labels=labels,
                                start_batch=start_epoch * steps_per_epoch)
    if time_budget is not None:
        # Collect what earlier runs left behind (networks, traced graphs) before the budget's clock
        # starts: Python's own full collection can pause for seconds, and would then land inside this
        # run's budget (benchmarks/README.md, "Garbage collection between short runs").
        gc.collect()
    budget = [TimeBudget(time_budget, prior_seconds, exclude=judges)] if time_budget is not None else []
    start = time.perf_counter()
    if start_epoch < snapshots and not (time_budget is not None and prior_seconds >= time_budget):
        quiet = gan.game.critic and not gan.jit_compile   # a critic without XLA: see without_remapping
        with without_remapping() if quiet else contextlib.nullcontext():
            fitted = gan.fit(dataset, epochs=snapshots, initial_epoch=start_epoch, steps_per_epoch=steps_per_epoch,
                             callbacks=[*budget, grid, guard, *callbacks, *extra], verbose=verbose, shuffle=False)
        history = extra[0].history if extra else fitted.history
    return TrainingRun(history=history, grid=grid, steps=int(gan.g_optimizer.iterations.numpy()),
                       wall_seconds=prior_seconds + time.perf_counter() - start,
                       steps_per_epoch=steps_per_epoch, resumed_from=start_epoch * steps_per_epoch,
                       stopped_by_budget=bool(budget and budget[0].exhausted), checkpoint_dir=folder, notice=notice)
