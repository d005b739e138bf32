"""The course's trained models as recipes: architecture, loss and optimizer settings in one place.

Notebooks 02-04 and 07 build these step by step; the command line (``python -m ganlib train``) and the
benchmarks build them from here, with the same settings.
"""

from __future__ import annotations

import numbers

import keras

from ganlib import course, models, training

RECIPES = ("mlp", "dcgan", "wgan-gp", "conditional")
LATENT_DIM = 100
# One fully connected layer of this size in each DCGAN network and in the WGAN-GP generator; notebook
# 03 measures the layers against the DCGAN paper's settings. 512, not InfoGAN's 1,024: about the same
# quality per step at 1.2 to 1.5 times the steps per second (benchmarks/README.md, "Speed levers").
DCGAN_HIDDEN_UNITS = 512
# The WGAN-GP critic's dense layer is smaller: the gradient penalty differentiates the critic twice,
# so its cost counts once per critic step, n_critic times per generator step (notebook 04).
WGAN_CRITIC_HIDDEN_UNITS = 256
# Critic steps per generator step in WGAN-GP: 2, not the paper's 5. Five critic steps buy more per
# generator step, but two take 2.3 times the generator steps per second; with the higher learning rate
# and 512 dense units they reach every quality level sooner (benchmarks/README.md, "Speed levers").
WGAN_N_CRITIC = 2
# WGAN-GP's gradient penalty on the first of the two critic steps only, weighted twice (lazy
# regularization): 1.18 times the steps per second, and about the same quality per step over three seeds
# (benchmarks/README.md, "The lazy penalty").
WGAN_PENALTY_EVERY = 2

# Adam's learning rate for both networks, measured per recipe for the time to reach each quality
# level (benchmarks/README.md, "Speed levers"): 4 to 10 times the DCGAN paper's 2e-4.
LEARNING_RATE = {"mlp": 8e-4, "dcgan": 2e-3, "wgan-gp": 1e-3, "conditional": 8e-4}
# XLA compiles each recipe's train step. Measured: it pays for the MLP, and for the DCGAN with several
# steps per call (not without them); WGAN-GP and the conditional model compiled with XLA before too
# (benchmarks/README.md).
JIT_COMPILE = {"mlp": True, "dcgan": True, "wgan-gp": True, "conditional": True}
# Train steps per compiled call (Keras' ``steps_per_execution``): fewer trips from Python into
# TensorFlow per step, with the same steps on the same data (benchmarks/user_path.py for the MLP).
STEPS_PER_EXECUTION = {"mlp": 25, "dcgan": 10, "wgan-gp": 10, "conditional": 10}


def build(recipe: str, seed: int = 0, width: int = 32, learning_rate: float | None = None,
          jit_compile: bool | None = None, ema_decay: float | None = 0.999,
          steps_per_execution: int | None = None, hidden_units: int | None = None,
          n_critic: int | None = None, augment: bool = False, label_smoothing: float = 0.0,
          discriminator_hidden_units: int | None = None, discriminator_dropout: float = 0.0,
          discriminator_learning_rate: float | None = None,
          penalty_every: int | None = None, discriminator_spectral_norm: bool = False,
          generator_width: int | None = None, adam_betas: tuple[float, float] | None = None) -> training.GAN:
    """A compiled ``training.GAN`` for ``recipe``; ``learning_rate``, ``jit_compile``,
    ``steps_per_execution``, ``hidden_units`` and ``n_critic`` None keep the recipe's own.
    ``width`` is the convolutions' width (the MLP has none: it takes only the default, 32).
    ``augment`` and ``label_smoothing`` go to ``training.GAN`` (off in every recipe; benchmarks screen them).
    ``hidden_units`` is the fully connected layer of the DCGAN's two networks and of the WGAN-GP's
    generator (0: none); ``discriminator_hidden_units`` gives the DCGAN's discriminator a layer of another
    size (None: the same as the generator's), and ``discriminator_dropout`` dropout after each of its
    convolutions (0: none, as in the recipe); ``n_critic`` is WGAN-GP's critic steps per generator step.
    ``discriminator_learning_rate`` gives D (or the critic) a rate of its own, the two-timescale rule
    (None: the generator's, as in every recipe). ``penalty_every`` = k puts WGAN-GP's gradient penalty
    on one critic step in k, weighted k times (``training.GAN``; None: the recipe's own).
    ``discriminator_spectral_norm`` gives the DCGAN SNGAN's discriminator (spectral norm, no batch norm;
    off in the recipe, screened by the benchmarks). ``generator_width`` gives the DCGAN's generator
    convolutions of another width than its discriminator's (None: ``width`` for both, as in the recipe).
    ``adam_betas`` sets Adam's (beta_1, beta_2) for both networks (None: the recipe's own, below)."""
    if recipe not in RECIPES:
        raise ValueError(f"recipe is {recipe!r}; allowed: " + ", ".join(repr(r) for r in RECIPES))
    # Keras reads these by truthiness: jit_compile="no" would compile with XLA, and a run's record
    # would not say so.
    for name, value, allowed in (("jit_compile", jit_compile, "True, False or None (the recipe's own)"),
                                 ("augment", augment, "True or False")):
        if not (isinstance(value, bool) or (value is None and name == "jit_compile")):
            raise ValueError(f"{name} is {value!r}; allowed: {allowed}")
    if jit_compile is None:
        jit_compile = JIT_COMPILE[recipe]
    if steps_per_execution is None:
        steps_per_execution = STEPS_PER_EXECUTION[recipe]
    if int(steps_per_execution) != steps_per_execution or steps_per_execution < 1:
        raise ValueError(f"steps_per_execution is {steps_per_execution!r}; allowed: an integer >= 1")
    if hidden_units is None:
        hidden_units = DCGAN_HIDDEN_UNITS
    elif recipe not in ("dcgan", "wgan-gp"):
        raise ValueError(f"hidden_units is for the 'dcgan' and 'wgan-gp' recipes, not {recipe!r}")
    elif int(hidden_units) != hidden_units or hidden_units < 0:
        raise ValueError(f"hidden_units is {hidden_units!r}; allowed: an integer >= 0 (0: no hidden layer)")
    if discriminator_hidden_units is None:
        discriminator_hidden_units = hidden_units
    elif recipe != "dcgan":
        raise ValueError(f"discriminator_hidden_units is for the 'dcgan' recipe, not {recipe!r}")
    elif int(discriminator_hidden_units) != discriminator_hidden_units or discriminator_hidden_units < 0:
        raise ValueError(f"discriminator_hidden_units is {discriminator_hidden_units!r}; allowed: an integer >= 0 "
                         "(0: no hidden layer)")
    if generator_width is not None and recipe != "dcgan":
        raise ValueError(f"generator_width is for the 'dcgan' recipe, not {recipe!r}")
    if generator_width is not None and (int(generator_width) != generator_width or generator_width < 1):
        raise ValueError(f"generator_width is {generator_width!r}; allowed: an integer >= 1, or None (width)")
    if discriminator_spectral_norm and recipe != "dcgan":
        raise ValueError(f"discriminator_spectral_norm is for the 'dcgan' recipe, not {recipe!r}")
    if discriminator_dropout and recipe != "dcgan":
        raise ValueError(f"discriminator_dropout is for the 'dcgan' recipe, not {recipe!r}")
    if not (isinstance(discriminator_dropout, (int, float)) and 0.0 <= discriminator_dropout < 1.0):
        raise ValueError(f"discriminator_dropout is {discriminator_dropout!r}; allowed: a number from 0 up to (not "
                         "including) 1")
    if n_critic is None:
        n_critic = WGAN_N_CRITIC
    elif recipe != "wgan-gp":
        raise ValueError(f"n_critic is for the 'wgan-gp' recipe, not {recipe!r}")
    elif int(n_critic) != n_critic or n_critic < 1:
        raise ValueError(f"n_critic is {n_critic!r}; allowed: an integer >= 1")
    if penalty_every is None:
        penalty_every = WGAN_PENALTY_EVERY
    elif recipe != "wgan-gp":
        raise ValueError(f"penalty_every is for the 'wgan-gp' recipe, not {recipe!r}")
    if adam_betas is not None and not (isinstance(adam_betas, (tuple, list)) and len(adam_betas) == 2
                                       and all(isinstance(b, (int, float)) and 0.0 <= b < 1.0 for b in adam_betas)):
        raise ValueError(f"adam_betas is {adam_betas!r}; allowed: two numbers from 0 up to (not including) 1, "
                         "or None (the recipe's own)")
    # The MLP has no convolutions. Its default passes: data/train_pretrained.py gives every recipe width=32.
    if recipe == "mlp" and width != 32:
        raise ValueError(f"width is {width!r}; allowed for 'mlp', which has no convolutions: only the default, 32 "
                         "(other widths are for 'dcgan', 'wgan-gp' and 'conditional')")
    if not course.COUNT.accepts(width):
        raise ValueError(f"width is {width!r}; allowed: {course.COUNT.allowed}")
    keras.utils.set_random_seed(seed)
    common = dict(latent_dim=LATENT_DIM, ema_decay=ema_decay, seed=seed, augment=augment,
                  label_smoothing=label_smoothing)
    if recipe == "mlp":   # notebook 02: the article's networks, Adam beta_1 0.5
        gan = training.GAN(models.build_mlp_generator(LATENT_DIM), models.build_mlp_discriminator(), **common)
    elif recipe == "dcgan":   # notebook 03: the DCGAN guidelines plus a dense hidden layer in G and D, Adam beta_1 0.5
        gan = training.GAN(models.build_dcgan_generator(LATENT_DIM, generator_width or width,
                                                        hidden_units=hidden_units),
                           models.build_dcgan_discriminator(width, dropout=discriminator_dropout,
                                                            hidden_units=discriminator_hidden_units,
                                                            spectral_norm=bool(discriminator_spectral_norm)),
                           **common)
    elif recipe == "conditional":   # notebook 07: DCGAN told which digit to draw; projection discriminator
        gan = training.GAN(models.build_conditional_generator(LATENT_DIM, width),
                           models.build_projection_discriminator(width), num_classes=10, **common)
    else:   # notebook 04: WGAN-GP, lambda 10, n_critic critic steps; G's dense layer as in 03; Adam betas (0, 0.9)
        gan = training.GAN(models.build_dcgan_generator(LATENT_DIM, width, hidden_units=hidden_units),
                           models.build_wgan_critic(width, hidden_units=WGAN_CRITIC_HIDDEN_UNITS),
                           loss="wasserstein", n_critic=int(n_critic), gp_weight=10.0,
                           penalty_every=penalty_every, **common)
    # None means the recipe's own rate; any other value is used as given, so it must be a usable rate
    # (0 or NaN would train nothing, a negative rate would climb the loss).
    for name, value in (("learning_rate", learning_rate), ("discriminator_learning_rate", discriminator_learning_rate)):
        # bool is a Real: a learning rate of True would train at 1.
        if value is not None and (isinstance(value, bool) or not (isinstance(value, numbers.Real) and 0 < value <= 1)):
            own = "the recipe's own" if name == "learning_rate" else "the generator's rate"
            raise ValueError(f"{name} is {value!r}; allowed: a number greater than 0 and at most 1, or None ({own})")
    rate = LEARNING_RATE[recipe] if learning_rate is None else float(learning_rate)
    d_rate = rate if discriminator_learning_rate is None else float(discriminator_learning_rate)
    betas = (0.0, 0.9) if recipe == "wgan-gp" else (0.5, 0.999)   # WGAN-GP: the paper's Algorithm 1
    if adam_betas is not None:
        betas = tuple(float(b) for b in adam_betas)
    gan.compile(g_optimizer=keras.optimizers.Adam(rate, beta_1=betas[0], beta_2=betas[1]),
                d_optimizer=keras.optimizers.Adam(d_rate, beta_1=betas[0], beta_2=betas[1]),
                jit_compile=jit_compile, steps_per_execution=int(steps_per_execution))
    return gan
