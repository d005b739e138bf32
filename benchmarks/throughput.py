"""Training throughput: the article's loop against ganlib's train step, plain and with XLA.

    .venv/bin/python benchmarks/throughput.py [--rounds 5] [--steps 100] [--batch-size 64]

(--batch-size other than 64 writes throughput-<machine>-batch<N>.json.)

For the MLP GAN (the article's networks) and the DCGAN, measures steps and images per second of

- the article's loop (one ``predict`` and three ``train_on_batch`` calls per step, with the
  ``trainable`` fix of notebook 02, so that it trains what it claims to),
- ``ganlib.training.GAN.train_step`` under ``fit()``,
- the same with XLA (``jit_compile=True``),

in alternating rounds in one process (so that a busy moment hurts all alike; the median round
counts), and expresses each as achieved GFLOP/s against this machine's float32 matrix-multiply peak,
measured in the same run. FLOPs per step are counted by TensorFlow's profiler on the compiled step's
graph. Writes benchmarks/results/throughput-<machine>.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np

import ganlib  # noqa: F401  (imports TensorFlow quietly)
import keras
import tensorflow as tf

from ganlib import data, models, recipes, training
from time_to_quality import machine_tag

RESULTS = Path(__file__).resolve().parent / "results"


def matmul_peak(seconds: float = 3.0) -> dict:
    """The best float32 GFLOP/s of large square matrix products on this machine."""
    best = {}
    for n in (1024, 2048, 4096):
        a = tf.random.normal((n, n))
        b = tf.random.normal((n, n))
        product = tf.function(lambda x, y: tf.reduce_sum(tf.matmul(x, y)))
        product(a, b).numpy()  # warm-up
        repeats, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            product(a, b).numpy()
            repeats += 1
        best[n] = 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9
    return {"gflops": max(best.values()), "by_size": best}


def step_flops(gan: training.GAN, batch_size: int) -> float:
    """Floating-point operations in one ganlib train step, counted on its graph by TF's profiler."""
    spec = tf.TensorSpec((batch_size, 28, 28, 1), tf.float32)
    concrete = tf.function(gan.train_step).get_concrete_function(spec)
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(graph=concrete.graph, options=options)
    return float(profile.total_float_ops)


def article_loop(generator, discriminator_logits, batch_size: int, images):
    """The article's recipe (fixed as in notebook 02) on the given networks; returns a step function."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        discriminator = keras.Sequential([discriminator_logits, keras.layers.Activation("sigmoid")])
        discriminator.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(2e-4, 0.5))
        z = keras.Input((100,))
        discriminator.trainable = False
        combined = keras.Model(z, discriminator(generator(z)))
        combined.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(2e-4, 0.5))
    ones, zeros = np.ones((batch_size, 1)), np.zeros((batch_size, 1))
    rng = np.random.default_rng(0)

    def step():
        real = images[rng.integers(0, len(images), batch_size)]
        fake = generator.predict(rng.normal(0, 1, (batch_size, 100)), verbose=0)
        discriminator.trainable = True
        discriminator.train_on_batch(real, ones)
        discriminator.train_on_batch(fake, zeros)
        discriminator.trainable = False
        combined.train_on_batch(rng.normal(0, 1, (batch_size, 100)), ones)
    return step


BUILDERS = {
    "mlp": (lambda: models.build_mlp_generator(100), models.build_mlp_discriminator),
    "dcgan": (lambda: models.build_dcgan_generator(100, 32), lambda: models.build_dcgan_discriminator(32)),
    # The course's DCGAN (notebook 03, ganlib.recipes): a 1,024-unit dense hidden layer in G and in D.
    "dcgan+dense": (lambda: models.build_dcgan_generator(100, 32, hidden_units=recipes.DCGAN_HIDDEN_UNITS),
                    lambda: models.build_dcgan_discriminator(32, hidden_units=recipes.DCGAN_HIDDEN_UNITS)),
}


def measure(name: str, images, batch_size: int, steps: int, rounds: int) -> dict:
    make_generator, make_discriminator = BUILDERS[name]
    keras.utils.set_random_seed(0)
    loop_step = article_loop(make_generator(), make_discriminator(), batch_size, images)
    gans = {}
    for label, jit in (("ganlib", False), ("ganlib + XLA", True)):
        keras.utils.set_random_seed(0)
        gan = training.GAN(make_generator(), make_discriminator(), latent_dim=100, seed=0)
        gan.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                    d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), jit_compile=jit)
        gans[label] = gan
    flops = step_flops(gans["ganlib"], batch_size)
    dataset = data.make_dataset(images, batch_size, seed=0)

    def run_article(n):
        start = time.perf_counter()
        for _ in range(n):
            loop_step()
        return n / (time.perf_counter() - start)

    def run_ganlib(gan, n):
        start = time.perf_counter()
        gan.fit(dataset, epochs=1, steps_per_epoch=n, verbose=0, shuffle=False)
        return n / (time.perf_counter() - start)

    run_article(5)
    for gan in gans.values():
        run_ganlib(gan, 20)   # tracing and compiling happen here, outside the timed rounds
    rates = {"article loop": [], "ganlib": [], "ganlib + XLA": []}
    for _ in range(rounds):
        rates["article loop"].append(run_article(steps))
        for label, gan in gans.items():
            rates[label].append(run_ganlib(gan, steps))
    result = {}
    for label, values in rates.items():
        median = float(np.median(values))
        result[label] = {"steps_per_second": median, "images_per_second": median * batch_size,
                         "gflops": median * flops / 1e9, "rounds": values}
    result["flops_per_step"] = flops
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    images = data.split_digits(data.load_digits("bundled", verbose=False))[0].images
    peak = matmul_peak()
    results = {"machine": {"platform": platform.platform(), "processor": platform.processor(),
                           "cpu_count": os.cpu_count(), "tensorflow": tf.__version__,
                           "gpus": [g.name for g in tf.config.list_physical_devices("GPU")]},
               "batch_size": args.batch_size, "matmul_peak_gflops": peak, "models": {}}
    for name in BUILDERS:
        results["models"][name] = measure(name, images, args.batch_size, args.steps, args.rounds)
    RESULTS.mkdir(exist_ok=True)
    tag = machine_tag()
    # The default batch keeps the plain name, so earlier results stay comparable.
    suffix = "" if args.batch_size == 64 else f"-batch{args.batch_size}"
    out = RESULTS / f"throughput-{tag}{suffix}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"float32 matmul peak: {peak['gflops']:.0f} GFLOP/s ({os.cpu_count()} CPU cores)\n")
    print(f"{'model':<11} {'how':<14} {'steps/s':>8} {'images/s':>9} {'GFLOP/s':>8} {'of peak':>8} {'vs article':>10}")
    for name, result in results["models"].items():
        base = result["article loop"]["steps_per_second"]
        for label in ("article loop", "ganlib", "ganlib + XLA"):
            r = result[label]
            print(f"{name:<11} {label:<14} {r['steps_per_second']:>8.1f} {r['images_per_second']:>9.0f} "
                  f"{r['gflops']:>8.1f} {r['gflops'] / peak['gflops']:>8.0%} {r['steps_per_second'] / base:>9.1f}x")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
