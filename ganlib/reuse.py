"""Reusing a GAN's compiled train step across short runs of one architecture.

Every fresh GAN traces its train step on its first call into TensorFlow, and with XLA compiles it:
3-7 s of start-up on a 2-core CPU, spent again by every run, although runs of one architecture
compile the same step. A GAN that has already compiled its step can train the next run instead,
once every piece of its state is set to what a fresh build of that run holds: the networks' and the
weight average's weights (batch-norm statistics included), both optimizers' moments, step counters
and learning rates, and the noise generator's seed state. It then trains bit for bit as the fresh
build would (benchmarks/compile_reuse.py, tests/test_reuse.py); only the start-up is gone.

A run that compiles also trains its first steps more slowly than the runs that reuse its step (a
one-off cost that the time budget's start-up clock does not fully leave out: benchmarks/README.md,
"The comparisons' warm-up call"). So in a comparison at equal training time, ``CompiledGANs.use``
can warm each compiled step up with a few steps that are then undone, and every timed run, the first
included, starts on an equal footing.
"""

from __future__ import annotations

import keras

from ganlib import training

# The settings a compiled train step bakes in: two GANs can share one step only where all of these agree.
_STEP_SETTINGS = ("loss_name", "n_critic", "gp_weight", "penalty_every", "clip_value", "label_smoothing",
                  "augment", "ema_decay", "latent_dim", "num_classes", "jit_compile", "requested_steps_per_execution")


def step_settings(gan) -> dict:
    """What ``gan``'s compiled train step depends on besides its variables' values (its class included)."""
    return {"class": type(gan).__name__, **{name: getattr(gan, name, None) for name in _STEP_SETTINGS}}


def _networks(gan) -> list:
    return [gan.generator, gan.discriminator] + ([gan.ema_generator] if gan.ema_generator is not None else [])


def trained_weights(gan) -> list:
    """Every array a run trains, in one flat list: the generator's, the discriminator's and the weight
    average's (to compare two runs weight for weight)."""
    return [array for network in _networks(gan) for array in network.get_weights()]


def starting_state(gan) -> dict:
    """What a GAN starts a run from, to hand to ``restore``: weights, learning rates, noise seed.

    Taken before training; the optimizers' other variables (step counters, moments) start at zero.
    """
    return {"weights": [network.get_weights() for network in _networks(gan)],
            "learning_rates": [float(opt.learning_rate.numpy()) for opt in (gan.g_optimizer, gan.d_optimizer)],
            "seed_state": gan.seed_generator.state.numpy(), "seed": gan.seed}


def restore(gan, state: dict) -> None:
    """Put ``gan`` back to a ``starting_state``, whatever it has trained since."""
    for network, weights in zip(_networks(gan), state["weights"], strict=True):
        network.set_weights(weights)   # raises if the architectures differ
    for optimizer, rate in zip((gan.g_optimizer, gan.d_optimizer), state["learning_rates"]):
        for variable in optimizer.variables:   # the step counter, the moment estimates, and the rate (set next)
            variable.assign(keras.ops.zeros_like(variable))
        optimizer.learning_rate.assign(rate)
    gan.seed_generator.state.assign(state["seed_state"])
    gan.seed = state["seed"]


def reset_like(reused, fresh) -> None:
    """Give ``reused`` (a GAN whose train step is compiled) the state that ``fresh`` (just built) starts from.

    Both must be built the same way (same class, networks, loss and compile settings); only the
    values differ: seeds, initial weights, learning rates.
    """
    mine, theirs = step_settings(reused), step_settings(fresh)
    if mine != theirs:
        differ = {name: (mine[name], theirs[name]) for name in mine if mine[name] != theirs[name]}
        raise ValueError(f"the two GANs compile different train steps (setting: (reused, fresh)): {differ}; "
                         "allowed: GANs built with the same settings")
    restore(reused, starting_state(fresh))


def warm_up_with(images, *, batch_size: int, labels=None, calls: int = 3):
    """A ``warm_up`` for ``CompiledGANs.use``: train a GAN for ``calls`` compiled calls on ``images``
    (with ``labels`` for a conditional GAN), which traces and compiles its step and runs it a little."""
    def warm_up(gan):
        training.train(gan, images, labels=labels, steps=calls * gan.requested_steps_per_execution,
                       batch_size=batch_size, seed=0, snapshots=1, verbose=0)
    return warm_up


class CompiledGANs:
    """The first GAN given for each key is kept; a later one with that key trains on the kept GAN.

    ``use(key, fresh)`` returns ``fresh`` itself the first time a key is seen, and afterwards the
    kept GAN reset to ``fresh``'s starting state (``reset_like``). The key names the architecture
    and settings, e.g. the recipe's name and its XLA setting; ``reset_like`` refuses GANs whose
    compiled steps would differ. With ``warm_up`` (a function that trains a GAN for a few steps),
    the first GAN of a key is trained so, then put back to where it started, before it is returned:
    no run then pays the compile, or the slow steps after it, inside its own clock.

    A kept GAN holds on to the networks it was built with. Code that reads a run's networks through
    references of its own (rather than through the returned GAN) should give each such run a key of
    its own, or use a new ``CompiledGANs``.
    """

    def __init__(self):
        self._kept = {}

    def __len__(self) -> int:
        return len(self._kept)

    def use(self, key, fresh, warm_up=None):
        kept = self._kept.get(key)
        if kept is None:
            if warm_up is not None:
                start = starting_state(fresh)
                warm_up(fresh)
                restore(fresh, start)
            self._kept[key] = fresh
            return fresh
        reset_like(kept, fresh)
        return kept
