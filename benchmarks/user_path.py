"""The MLP GAN as users train it, against the article's loop as written: steps per second.

    .venv/bin/python benchmarks/user_path.py [--rounds 7] [--steps 150] [--variants ...]

Measures, at batch 64 on the bundled digits, in alternating rounds in one process (each round runs
every variant once, in a rotated order, so that a busy moment of the machine hurts all alike; the
median round counts):

- ``article as written``: notebook 02's copy of the article's code, unchanged (its discriminator
  is compiled with an accuracy metric and, under Keras 3, ends up with no trainable weights, so two
  of its three ``train_on_batch`` calls skip the optimizer: it is *faster* than the fixed loop);
- ``article fixed``: the same with notebook 02's two ``trainable`` lines added;
- ``recipe``: ``recipes.build("mlp")`` (weight average on, XLA) trained by ``fit`` on
  ``data.make_dataset``, one ``fit`` call per round, as a user who calls ``fit`` in chunks runs it;
- ``recipe via train()``: the same through ``training.train`` (sample grid, divergence guard);
- and the levers, one change each from ``recipe``: no weight average, no XLA, other numbers of
  steps per compiled call (``steps_per_execution``; the recipe's own is
  ``recipes.STEPS_PER_EXECUTION["mlp"]``).

Each timed call runs ``--steps`` generator steps (150: what a user's chunk or the issue's measurement
used). Two untimed calls per variant come first (tracing, XLA compiling). Writes
benchmarks/results/user-path-<machine>.json and prints steps per second, the spread (lowest and
highest round) and each variant's ratio to the article's loop as written.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np

import ganlib  # noqa: F401  (imports TensorFlow quietly)
import keras
import tensorflow as tf

from ganlib import data, recipes, training
from time_to_quality import machine_tag

RESULTS = Path(__file__).resolve().parent / "results"
BATCH_SIZE = 64


def article_loop(images, fixed: bool):
    """Notebook 02's cells 287ce189, 73412952, bb93797e and 1e8019ef (``fixed``: 2626b674), at batch 64."""
    from tensorflow.keras.layers import BatchNormalization, Dense, Flatten, Input, LeakyReLU, Reshape
    from tensorflow.keras.models import Model, Sequential
    from tensorflow.keras.optimizers import Adam

    def build_generator():
        model = Sequential()
        model.add(Dense(256, input_dim=100))
        model.add(LeakyReLU(alpha=0.2))
        model.add(BatchNormalization(momentum=0.8))
        model.add(Dense(512))
        model.add(LeakyReLU(alpha=0.2))
        model.add(BatchNormalization(momentum=0.8))
        model.add(Dense(1024))
        model.add(LeakyReLU(alpha=0.2))
        model.add(BatchNormalization(momentum=0.8))
        model.add(Dense(28 * 28 * 1, activation="tanh"))
        model.add(Reshape((28, 28, 1)))
        return model

    def build_discriminator():
        model = Sequential()
        model.add(Flatten(input_shape=(28, 28, 1)))
        model.add(Dense(512))
        model.add(LeakyReLU(alpha=0.2))
        model.add(Dense(256))
        model.add(LeakyReLU(alpha=0.2))
        model.add(Dense(1, activation="sigmoid"))
        return model

    keras.utils.set_random_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the article's deprecated arguments
        discriminator = build_discriminator()
        discriminator.compile(loss="binary_crossentropy", optimizer=Adam(0.0002, 0.5), metrics=["accuracy"])
        generator = build_generator()
        z = Input(shape=(100,))
        img = generator(z)
        discriminator.trainable = False
        valid = discriminator(img)
        combined = Model(z, valid)
        combined.compile(loss="binary_crossentropy", optimizer=Adam(0.0002, 0.5))

    def get_real_images(batch_size):
        return images[np.random.randint(0, len(images), batch_size)]

    def train(epochs, batch_size=128):
        for epoch in range(epochs):
            real_images = get_real_images(batch_size)
            noise = np.random.normal(0, 1, (batch_size, 100))
            generated_images = generator.predict(noise)
            if fixed:
                discriminator.trainable = True
            d_loss_real = discriminator.train_on_batch(real_images, np.ones((batch_size, 1)))
            d_loss_fake = discriminator.train_on_batch(generated_images, np.zeros((batch_size, 1)))
            d_loss = 0.5 * np.add(d_loss_real, d_loss_fake)
            if fixed:
                discriminator.trainable = False
            noise = np.random.normal(0, 1, (batch_size, 100))
            g_loss = combined.train_on_batch(noise, np.ones((batch_size, 1)))
            if epoch % 50 == 0:
                print(f"{epoch} [D loss: {d_loss[0]:.4f}, acc.: {100 * d_loss[1]:.1f}%] [G loss: {g_loss:.4f}]")

    def call(steps):
        # As notebook 02 runs it: Keras' interactive logging off (no progress bar per predict), the
        # loop's own prints kept but not shown here.
        keras.utils.disable_interactive_logging()
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")   # "no trainable weights" (as written)
                train(steps, batch_size=BATCH_SIZE)
        finally:
            keras.utils.enable_interactive_logging()
    return call


def recipe_fit(images, **build_options):
    """``recipes.build("mlp", **build_options)``, trained by one ``fit`` call per timed round.

    Returns the steps actually trained: Keras runs whole executions, so with ``steps_per_execution``
    not dividing ``steps`` it trains a few more."""
    gan = recipes.build("mlp", **build_options)
    dataset = data.make_dataset(images, BATCH_SIZE, seed=0)

    def call(steps):
        before = int(gan.g_optimizer.iterations.numpy())
        gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
        return int(gan.g_optimizer.iterations.numpy()) - before
    return call


def recipe_train(images, **build_options):
    """The same recipe through ``training.train``: one call, one chunk of ``steps`` steps."""
    gan = recipes.build("mlp", **build_options)

    def call(steps):
        training.train(gan, images, steps=steps, batch_size=BATCH_SIZE, snapshots=1, verbose=0)
    return call


VARIANTS = {
    "article as written": lambda images: article_loop(images, fixed=False),
    "article fixed": lambda images: article_loop(images, fixed=True),
    "recipe": lambda images: recipe_fit(images),
    "recipe via train()": lambda images: recipe_train(images),
    "recipe, no weight average": lambda images: recipe_fit(images, ema_decay=None),
    "recipe, no XLA": lambda images: recipe_fit(images, jit_compile=False),
    "recipe, 5 steps per execution": lambda images: recipe_fit(images, steps_per_execution=5),
    "recipe, 10 steps per execution": lambda images: recipe_fit(images, steps_per_execution=10),
    "recipe, 25 steps per execution": lambda images: recipe_fit(images, steps_per_execution=25),
    "recipe, 50 steps per execution": lambda images: recipe_fit(images, steps_per_execution=50),
    "recipe, 25 steps per execution, no weight average":
        lambda images: recipe_fit(images, steps_per_execution=25, ema_decay=None),
}
BASELINE = "article as written"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=150, help="generator steps per timed call")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS), metavar="VARIANT",
                        help="which to measure (default: all); " + "; ".join(VARIANTS))
    parser.add_argument("--out", default=None, help="results file (default: results/user-path-<machine>.json)")
    args = parser.parse_args()
    names = [BASELINE] + [name for name in args.variants if name != BASELINE]
    images = data.split_digits(data.load_digits("bundled", verbose=False))[0].images
    calls = {name: VARIANTS[name](images) for name in names}
    for name, call in calls.items():   # untimed: tracing, compiling, the first data passes
        call(args.steps)
        call(args.steps)
    rates = {name: [] for name in names}
    for round_number in range(args.rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            trained = calls[name](args.steps) or args.steps   # the article's loop trains exactly `steps`
            rates[name].append(trained / (time.perf_counter() - start))
        print(f"round {round_number + 1}/{args.rounds}: "
              + ", ".join(f"{name} {values[-1]:.1f}" for name, values in rates.items()), flush=True)
    base = float(np.median(rates[BASELINE]))
    tag = machine_tag()
    results = {"batch_size": BATCH_SIZE, "steps_per_call": args.steps, "rounds": args.rounds,
               "cpu_count": os.cpu_count(), "tensorflow": tf.__version__, "keras": keras.__version__,
               "variants": {name: {"steps_per_second": float(np.median(values)),
                                   "versus_article_as_written": float(np.median(values)) / base,
                                   "rounds": values} for name, values in rates.items()}}
    out = Path(args.out) if args.out else RESULTS / f"user-path-{tag}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{'variant':<46}{'steps/s':>9}{'lowest':>9}{'highest':>9}{'vs article':>12}")
    for name, values in rates.items():
        median = float(np.median(values))
        print(f"{name:<46}{median:>9.1f}{min(values):>9.1f}{max(values):>9.1f}{median / base:>11.1f}x")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
