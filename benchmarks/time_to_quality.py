"""Time to quality: how much training time each of the course's models needs to reach fixed
quality thresholds on this machine.

    .venv/bin/python benchmarks/time_to_quality.py [--budget 300] [--recipes mlp dcgan wgan-gp]

Trains each recipe (ganlib.recipes, the notebooks' settings) for ``--budget`` seconds of training
time, judging 1,000 samples every ``--every`` steps (judging time is not counted), and reports the
training time at which each first reached: 50%, 65% and 80% of samples recognized confidently, and
a Frechet ratio (to real-vs-real) of at most 8. Writes benchmarks/results/time-to-quality-<machine>.json,
keeping the models an earlier run measured and this one did not.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import ganlib  # noqa: F401  (imports TensorFlow quietly)
import tensorflow as tf

from ganlib import callbacks, data, metrics, recipes, training

RESULTS = Path(__file__).resolve().parent / "results"
THRESHOLDS = {"recognized >= 0.50": ("recognized_share", 0.50, max),
              "recognized >= 0.65": ("recognized_share", 0.65, max),
              "recognized >= 0.80": ("recognized_share", 0.80, max),
              "Frechet ratio <= 8": ("frechet_ratio", 8.0, min)}


def first_time(records, key, threshold, better):
    for record in records:
        value = record[key]
        if (value >= threshold) if better is max else (value <= threshold):
            return record["train_seconds"]
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=300.0, help="training seconds per model")
    parser.add_argument("--every", type=int, default=250, help="judge every this many generator steps")
    parser.add_argument("--recipes", nargs="+", default=list(recipes.RECIPES), choices=recipes.RECIPES)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    train_digits, held_out = data.split_digits(data.load_digits("bundled", verbose=False))
    reference = metrics.Reference(train_digits.images, held_out.images)
    results = {"batch_size": args.batch_size, "cpu_count": os.cpu_count(),
               "gpus": [g.name for g in tf.config.list_physical_devices("GPU")], "models": {}}
    tag = "gpu" if results["gpus"] else f"cpu{os.cpu_count()}"
    suffix = "" if args.batch_size == 64 else f"-batch{args.batch_size}"   # as throughput.py names its files
    out = RESULTS / f"time-to-quality-{tag}{suffix}.json"
    if out.exists():   # keep the models measured by earlier runs; this run replaces the ones it measures
        earlier = json.loads(out.read_text())
        for recipe, result in earlier["models"].items():
            result.setdefault("budget_seconds", earlier.get("budget_seconds"))
            results["models"][recipe] = result
    for recipe in args.recipes:
        gan = recipes.build(recipe)
        tracker = callbacks.QualityTracker(reference, every=1, n=1000)
        # Chunks of --every steps; far more chunks than the budget allows, so the budget stops training.
        run = training.train(gan, train_digits.images, steps=args.every * 10_000, batch_size=args.batch_size,
                             labels=train_digits.labels if gan.conditional else None,
                             snapshots=10_000, callbacks=[tracker], time_budget=args.budget, verbose=0)
        reached = {name: first_time(tracker.records, *rule) for name, rule in THRESHOLDS.items()}
        results["models"][recipe] = {"budget_seconds": args.budget, "steps": run.steps,
                                     "records": tracker.records, "reached": reached}
        print(f"{recipe}: {run.steps:,} steps in {args.budget:.0f} s; reached: "
              + ", ".join(f"{k} at {v:.0f} s" if v is not None else f"{k} not reached" for k, v in reached.items()),
              flush=True)
    RESULTS.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{'model':<12}{'budget':>8}" + "".join(f"{name:>20}" for name in THRESHOLDS))
    for recipe, result in results["models"].items():
        cells = [f"{v:.0f} s" if v is not None else "-" for v in result["reached"].values()]
        print(f"{recipe:<12}{result['budget_seconds']:>7.0f}s" + "".join(f"{c:>20}" for c in cells))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
