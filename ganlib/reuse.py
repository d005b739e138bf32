"""Reusing a GAN's compiled train step across short runs of one architecture.

Every fresh GAN traces its train step on its first call into TensorFlow, and with XLA compiles it:
3-7 s of start-up on a 2-core CPU, spent again by every run, although runs of one architecture
compile the same step. A GAN that has already compiled its step can train the next run instead,
once every piece of its state is set to what a fresh build of that run holds: the networks' and the
weight average's weights (batch-norm statistics included), both optimizers' moments, step counters
and learning rates, and the noise generator's seed state. It then trains bit for bit as the fresh
build would (benchmarks/compile_reuse.py, tests/test_reuse.py); only the start-up is gone.
"""

from __future__ import annotations

import keras

# The settings a compiled train step bakes in: two GANs can share one step only where all of these agree.
_STEP_SETTINGS = ("loss_name", "n_critic", "gp_weight", "penalty_every", "clip_value", "label_smoothing",
                  "augment", "ema_decay", "latent_dim", "num_classes", "jit_compile", "requested_steps_per_execution")


def step_settings(gan) -> dict:
    """What ``gan``'s compiled train step depends on besides its variables' values."""
    return {name: getattr(gan, name, None) for name in _STEP_SETTINGS}


def reset_like(reused, fresh) -> None:
    """Give ``reused`` (a GAN whose train step is compiled) the state that ``fresh`` (just built) starts from.

    Both must be built the same way (same networks, loss and compile settings); only the values
    differ: seeds, initial weights, learning rates.
    """
    mine, theirs = step_settings(reused), step_settings(fresh)
    if mine != theirs:
        differ = {name: (mine[name], theirs[name]) for name in mine if mine[name] != theirs[name]}
        raise ValueError(f"the two GANs compile different train steps (setting: (reused, fresh)): {differ}; "
                         "allowed: GANs built with the same settings")
    pairs = [(reused.generator, fresh.generator), (reused.discriminator, fresh.discriminator)]
    if reused.ema_generator is not None:
        pairs.append((reused.ema_generator, fresh.ema_generator))
    for target, source in pairs:
        target.set_weights(source.get_weights())   # raises if the architectures differ
    for kept, new in ((reused.g_optimizer, fresh.g_optimizer), (reused.d_optimizer, fresh.d_optimizer)):
        rate = float(new.learning_rate.numpy())
        for variable in kept.variables:   # the step counter, the moment estimates, and the rate (set next)
            variable.assign(keras.ops.zeros_like(variable))
        kept.learning_rate.assign(rate)
    reused.seed_generator.state.assign(fresh.seed_generator.state)
    reused.seed = fresh.seed


class CompiledGANs:
    """The first GAN given for each key is kept; a later one with that key trains on the kept GAN.

    ``use(key, fresh)`` returns ``fresh`` itself the first time a key is seen, and afterwards the
    kept GAN reset to ``fresh``'s starting state (``reset_like``). The key names the architecture
    and settings, e.g. the recipe's name and its XLA setting; ``reset_like`` refuses GANs whose
    compiled steps would differ.
    """

    def __init__(self):
        self._kept = {}

    def __len__(self) -> int:
        return len(self._kept)

    def use(self, key, fresh):
        kept = self._kept.setdefault(key, fresh)
        if kept is not fresh:
            reset_like(kept, fresh)
        return kept
