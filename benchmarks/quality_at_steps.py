"""Quality at fixed step counts: one recipe, one seed, a setting changed, judged along the way.

    .venv/bin/python benchmarks/quality_at_steps.py --label augment --recipe dcgan --augment
    .venv/bin/python benchmarks/quality_at_steps.py --label baseline --recipe dcgan
    .venv/bin/python benchmarks/quality_at_steps.py --label smoothing --recipe dcgan --label-smoothing 0.1

A screen for levers that change *what* a step learns rather than how fast it runs (time_to_quality.py
measures the seconds): quality after the same steps does not depend on how busy the machine is, so
runs can share it. Trains ``recipes.build(recipe, seed)`` (the notebooks' settings; ``--set`` changes
one, as in time_to_quality.py) with ``training.train`` for ``--steps`` steps in chunks of ``--every``,
and judges the weight-averaged generator on 2,000 samples after every chunk
(``callbacks.QualityTracker``). ``--augment`` turns on DiffAugment for the discriminator
(``training.GAN(augment=True)``, ``ganlib.augment``); ``--label-smoothing`` lowers D's target for real
digits. Appends one record per run to benchmarks/results/quality-at-steps-<machine>.json.
"""

from __future__ import annotations

import argparse
import time

from time_to_quality import add_screen_arguments, append_run, commit, overrides_from, training_digits_and_reference


def main():
    import ganlib  # noqa: F401  (imports TensorFlow quietly)

    from ganlib import callbacks, recipes, training

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_screen_arguments(parser, recipes.RECIPES, every=500)
    parser.add_argument("--augment", action="store_true", help="DiffAugment (translation, cutout) for D")
    parser.add_argument("--label-smoothing", type=float, default=0.0, help="D's target for real digits is 1 minus this")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="change one of recipes.build's settings, as in time_to_quality.py")
    args = parser.parse_args()
    if args.steps < 1 or args.every < 1 or args.steps % args.every:
        parser.error(f"--steps {args.steps} and --every {args.every}: both >= 1, and --every must divide --steps")
    if not 0.0 <= args.label_smoothing < 1.0:
        parser.error(f"--label-smoothing is {args.label_smoothing}; allowed: from 0 up to (not including) 1")
    overrides = overrides_from(parser, args.set)
    train_digits, reference = training_digits_and_reference()
    try:   # training.GAN refuses label smoothing for a critic (WGAN-GP), with the reason
        gan = recipes.build(args.recipe, seed=args.seed, augment=args.augment,
                            label_smoothing=args.label_smoothing, **overrides)
    except ValueError as error:
        parser.error(str(error))
    tracker = callbacks.QualityTracker(reference, n=2000, seed=args.seed)
    started = time.perf_counter()
    training.train(gan, train_digits.images, steps=args.steps, batch_size=args.batch_size, seed=args.seed,
                   labels=train_digits.labels if gan.conditional else None, snapshots=args.steps // args.every,
                   callbacks=[tracker], verbose=0)
    run = {"label": args.label, "recipe": args.recipe, "seed": args.seed, "batch_size": args.batch_size,
           "augment": args.augment, "label_smoothing": args.label_smoothing, "set": args.set, "commit": commit(),
           "wall_seconds": round(time.perf_counter() - started, 1),
           "curve": [{"step": r["step"], "recognized_share": r["recognized_share"],
                      "frechet_ratio": round(r["frechet_ratio"], 3), "digits_covered": r["digits_covered"],
                      "recall": r["recall"]} for r in tracker.records]}
    out = append_run("quality-at-steps", run)
    print(f"{args.label} (step: recognized, Frechet ratio, digits covered):\n  " + "\n  ".join(
        f"{p['step']}: {p['recognized_share']:.3f}, {p['frechet_ratio']:.2f}, {p['digits_covered']}" for p in run["curve"]))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
