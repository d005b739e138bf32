"""Notebook 05's training runs at 1 and at 25 train steps per call into TensorFlow.

    .venv/bin/python benchmarks/failure_modes_calls.py [--rounds 3]

Notebook 05 trains nine runs of the article's MLP GAN with ``training.train`` and a per-batch callback
(the generator's gradient norm, probed every 50 steps). It ran one train step per call until issue 20;
it now runs 25 (``steps_per_execution``), as notebook 02's recipe does. This trains 05's baseline
("non-saturating, Adam": 3,000 steps, batch 64, seed 0, XLA, ten chunks, the probe and the progress
line) both ways in alternating rounds in one process, and reports each round's wall time of the
``training.train`` call and what the judge says of 1,000 samples afterwards, so that it shows whether
the two settings train the same steps to the same result. Writes
benchmarks/results/failure-modes-calls-<machine>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from time_to_quality import RESULTS, commit, machine_tag, training_digits_and_reference

CALLS = (1, 25)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args()
    if args.rounds < 1 or args.steps < 10 or args.steps % 10:
        parser.error(f"--rounds {args.rounds} and --steps {args.steps}: rounds >= 1, steps a multiple of 10, >= 10")

    import ganlib  # noqa: F401  (imports TensorFlow quietly)
    import keras
    import tensorflow as tf

    from ganlib import losses, metrics, models, progress, sampling, training

    class GradientProbe(keras.callbacks.Callback):
        """Notebook 05's GeneratorGradientNorm: step 0, then every 50 generator steps."""

        def __init__(self, every=50):
            super().__init__()
            self.every, self.noise, self.norms = every, sampling.seeded_noise(256, 100, 0), []

        def on_train_begin(self, logs=None):
            self.probe()

        def on_train_batch_end(self, batch, logs=None):
            if int(self.model.g_optimizer.iterations.numpy()) % self.every == 0:
                self.probe()

        def probe(self):
            gan = self.model
            with tf.GradientTape() as tape:
                loss = losses.non_saturating_generator_loss(gan.discriminator(gan.generator(self.noise)))
            self.norms.append(float(tf.linalg.global_norm(tape.gradient(loss, gan.generator.trainable_weights))))

    train_digits, reference = training_digits_and_reference()

    def one_run(calls):
        keras.utils.set_random_seed(0)
        gan = training.GAN(models.build_mlp_generator(100), models.build_mlp_discriminator(), latent_dim=100, seed=0)
        gan.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                    d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), jit_compile=True, steps_per_execution=calls)
        probe = GradientProbe()
        started = time.perf_counter()
        training.train(gan, train_digits.images, steps=args.steps, batch_size=64, seed=0, snapshots=10, verbose=0,
                       callbacks=[probe, progress.ProgressLine(f"{calls} per call", keys=["d_real", "d_fake"],
                                                               total_steps=args.steps)])
        seconds = time.perf_counter() - started
        quality = metrics.evaluate_generator(gan.generator, reference, n=1000, seed=0)
        return {"seconds": round(seconds, 1), "recognized_share": quality["recognized_share"],
                "frechet_ratio": round(quality["frechet_ratio"], 4), "last_gradient_norm": round(probe.norms[-1], 4)}

    rounds = {calls: [] for calls in CALLS}
    for round_number in range(args.rounds):
        for calls in CALLS:
            rounds[calls].append(one_run(calls))
            print(f"\nround {round_number}, {calls} per call: {rounds[calls][-1]}", flush=True)
    result = {"commit": commit(), "steps": args.steps, "rounds": {str(k): v for k, v in rounds.items()},
              "median_seconds": {str(k): statistics.median(r["seconds"] for r in v) for k, v in rounds.items()}}
    out = RESULTS / f"failure-modes-calls-{machine_tag()}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"median seconds: {result['median_seconds']}; wrote {out}")


if __name__ == "__main__":
    main()
