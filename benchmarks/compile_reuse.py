"""One compiled train step reused across short runs: the start-up it saves, and whether it trains the same.

    flock /tmp/ganlib-cpu.lock .venv/bin/python benchmarks/compile_reuse.py [--recipes mlp dcgan wgan-gp] [--steps 200]

Every short run in notebooks 03, 04, 06 and 07 builds its networks afresh, so Keras traces its train
step and XLA compiles it again: 3-7 s of start-up per run (06's `compile s` column), some 40 times
in the course at `default`. A run of the same architecture could instead reuse a GAN that has
already compiled its step, after setting every piece of state to what a fresh build would hold: the
networks' weights (batch-norm statistics included) and the weight average's, both optimizers' slots
and step counters (zeroed) and learning rates, and the noise generator's seed state (`ganlib.reuse.reset_like`).

For each recipe this trains one run to compile the step, then, for seeds 1 and 2 (at the recipe's
learning rate and at twice it, as 06's sweep does), one fresh build and the compiled one reset to
that seed's fresh state, for ``--steps`` steps each, and compares the wall time of the two
``training.train`` calls and every trained weight. Writes
benchmarks/results/compile-reuse-<machine>.json. Notebooks 03, 06 and 07 reuse compiled steps through
``reuse.CompiledGANs`` (benchmarks/README.md, "Reusing a compiled train step").
"""

from __future__ import annotations

import argparse
import json
import time

from time_to_quality import RESULTS, commit, machine_tag, training_digits_and_reference


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipes", nargs="+", default=["mlp", "dcgan", "wgan-gp"],
                        choices=["mlp", "dcgan", "wgan-gp"])
    parser.add_argument("--steps", type=int, default=200, help="steps per run (a multiple of 50)")
    args = parser.parse_args()
    if args.steps < 50 or args.steps % 50:
        parser.error(f"--steps is {args.steps}; allowed: a multiple of 50")

    import ganlib  # noqa: F401  (imports TensorFlow quietly)
    import numpy as np

    from ganlib import recipes, training
    from ganlib.reuse import reset_like, trained_weights

    train_digits, _ = training_digits_and_reference()

    def run(gan, seed):
        started = time.perf_counter()
        training.train(gan, train_digits.images, steps=args.steps, batch_size=64, seed=seed, snapshots=2, verbose=0)
        return round(time.perf_counter() - started, 2)

    rows = []
    for recipe in args.recipes:
        compiled = recipes.build(recipe, seed=0)
        first = run(compiled, 0)
        for seed, factor in ((1, 1.0), (2, 2.0)):
            rate = recipes.LEARNING_RATE[recipe] * factor
            fresh = recipes.build(recipe, seed=seed, learning_rate=rate)
            fresh_seconds = run(fresh, seed)
            reset_like(compiled, recipes.build(recipe, seed=seed, learning_rate=rate))
            reused_seconds = run(compiled, seed)
            difference = max(float(np.max(np.abs(a - b)))
                             for a, b in zip(trained_weights(fresh), trained_weights(compiled)))
            rows.append({"recipe": recipe, "seed": seed, "learning_rate": rate, "first_run_seconds": first,
                         "fresh_seconds": fresh_seconds, "reused_seconds": reused_seconds,
                         "largest_weight_difference": difference})
            print(f"{recipe:<8} seed {seed} x{factor:g}: fresh {fresh_seconds:5.1f} s, reused {reused_seconds:5.1f} s; "
                  f"largest weight difference {difference:.3g}", flush=True)
    out = RESULTS / f"compile-reuse-{machine_tag()}.json"
    out.write_text(json.dumps({"commit": commit(), "steps": args.steps, "runs": rows}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
