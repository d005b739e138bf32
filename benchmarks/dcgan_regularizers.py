"""More levers for the DCGAN's plateau, at equal steps: top-k generator updates, R1 on real digits, the hinge loss.

    .venv/bin/python benchmarks/dcgan_regularizers.py base SEED
    .venv/bin/python benchmarks/dcgan_regularizers.py topk SEED          # k falls from the batch towards half of it
    .venv/bin/python benchmarks/dcgan_regularizers.py r1 SEED GAMMA      # e.g. 0.1 or 1.0
    .venv/bin/python benchmarks/dcgan_regularizers.py hinge SEED

Each changes the DCGAN recipe's objective, so they live here as subclasses of ``training.GAN`` rather
than as options of the course's package (none was kept: benchmarks/README.md, "The DCGAN's plateau").

- **Top-k** (Sinha et al., 2020, "Top-k Training of GANs"): the generator's loss counts only the k
  generated images the discriminator scores highest, k falling from the whole batch towards half of
  it (the paper's decay 0.99 per epoch, here per 62.5 steps: 4,000 training digits at batch 64;
  floored at one half, and 34 of 64 at step 4,000).
- **R1** (Mescheder et al., 2018): the discriminator's loss gains gamma / 2 times the mean squared
  norm of its gradient at real digits, on every step.
- **Hinge** (Lim and Ye, 2017; SNGAN, BigGAN): D's loss is mean(relu(1 - D(x))) + mean(relu(1 + D(G(z)))),
  so it stops pushing a score once it is past the margin; G's is -mean(D(G(z))). The recipe's networks,
  optimizer and rate are kept.

Trains ``recipes.build("dcgan", seed)`` for 4,000 steps and judges the weight-averaged generator on
2,000 samples after every 1,000 (as ``quality_at_steps.py``; ``base`` is the recipe itself, to check
that this script reproduces that one's curve). Appends one line per run to
benchmarks/results/dcgan-regularizers-<machine>.jsonl: the run's step, recognized share, Frechet
ratio and digits covered at each judgement, and its wall seconds (not a timing: screens ran one at a
time but beside other work).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time

from time_to_quality import RESULTS, commit, machine_tag, training_digits_and_reference

VARIANTS = ("base", "topk", "r1", "hinge")


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in VARIANTS:
        sys.exit(__doc__.split("\n\n")[1])
    variant, seed = sys.argv[1], int(sys.argv[2])
    gamma = float(sys.argv[3]) if len(sys.argv) == 4 else 0.0
    if variant == "r1" and not gamma > 0:
        sys.exit(f"r1 needs GAMMA > 0 (e.g. 0.1); got {gamma}")

    import ganlib  # noqa: F401  (imports TensorFlow quietly)
    import tensorflow as tf
    from keras import ops

    from ganlib import callbacks, recipes, training

    class TopK(training.GAN):
        """The recipe's GAN whose generator loss counts only the top k scores (the step itself is the recipe's)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.game = dataclasses.replace(self.game, generator=self.top_k_loss)

        def top_k_loss(self, fake_scores):
            scores = ops.reshape(fake_scores, (-1,))
            step = ops.cast(self.g_optimizer.iterations, "float32")
            share = ops.maximum(0.5, ops.power(0.99, step / 62.5))
            k = ops.cast(ops.ceil(share * ops.cast(ops.shape(scores)[0], "float32")), "int32")
            # A mask rather than top_k: XLA needs k known when it compiles, and k changes.
            threshold = ops.take(ops.sort(scores)[::-1], k - 1)
            kept = ops.cast(scores >= threshold, "float32")
            return ops.sum(ops.softplus(-scores) * kept) / ops.sum(kept)   # the non-saturating loss, on the kept

    class R1(training.GAN):
        def _discriminator_step(self, real, real_labels, penalize=True):
            fake = self._generate(ops.shape(real)[0], None)
            with tf.GradientTape() as tape:
                with tf.GradientTape() as inner:
                    inner.watch(real)
                    real_scores = self.discriminator(real, training=True)
                    total = tf.reduce_sum(real_scores)   # inside the inner tape, or its gradient is None
                r1 = ops.mean(ops.sum(ops.square(inner.gradient(total, real)), axis=[1, 2, 3]))
                fake_scores = self.discriminator(fake, training=True)
                d_loss = self.game.discriminator(real_scores, fake_scores, 0.0) + 0.5 * gamma * r1
            weights = self.discriminator.trainable_weights
            self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
            return {"d_loss": d_loss, **self.game.report(real_scores, fake_scores)}

    class Hinge(training.GAN):
        """The recipe's GAN scored with the hinge loss (the step itself is the recipe's)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.game = dataclasses.replace(
                self.game,
                discriminator=lambda real, fake, smoothing: (ops.mean(ops.relu(1.0 - real))
                                                             + ops.mean(ops.relu(1.0 + fake))),
                generator=lambda fake: -ops.mean(fake))

    # recipes.build constructs training.GAN; for the screen it constructs the subclass instead.
    recipe_class = training.GAN
    training.GAN = {"base": recipe_class, "topk": TopK, "r1": R1, "hinge": Hinge}[variant]
    try:
        gan = recipes.build("dcgan", seed=seed)
    finally:
        training.GAN = recipe_class
    train_digits, reference = training_digits_and_reference()
    tracker = callbacks.QualityTracker(reference, n=2000, seed=seed)
    started = time.perf_counter()
    training.train(gan, train_digits.images, steps=4000, batch_size=64, seed=seed, snapshots=4,
                   callbacks=[tracker], verbose=0)
    run = {"variant": variant, "param": gamma, "seed": seed, "wall": round(time.perf_counter() - started, 1),
           "curve": [(r["step"], round(r["recognized_share"], 4), round(r["frechet_ratio"], 3), r["digits_covered"])
                     for r in tracker.records], "commit": commit()}
    out = RESULTS / f"dcgan-regularizers-{machine_tag()}.jsonl"
    with out.open("a") as file:
        file.write(json.dumps(run) + "\n")
    print(json.dumps(run))


if __name__ == "__main__":
    main()
