"""Time to quality: how much training time each of the course's models needs to reach fixed
quality thresholds on this machine, over several seeds.

    .venv/bin/python benchmarks/time_to_quality.py --label before [--seeds 0 1 2] [--recipes mlp dcgan]
                                                   [--budget SECONDS] [--judge-every SECONDS]

Trains each recipe (``ganlib.recipes``, the notebooks' settings) once per seed for a budget of
training seconds, judging 1,000 samples of its weight-averaged generator on a clock (every
``--judge-every`` seconds of training; judging time and the run's start-up, tracing and compiling,
are not counted: ``callbacks.StartUpClock``),
and reports the training time at which each seed first reached each threshold: 50%, 65%, 80% and
90% of samples recognized confidently, a Frechet ratio (to real-vs-real) of at most 8, and for the
conditional model 95% agreement between the digit asked for and the digit the judge recognizes.
A threshold is reached at the first judgement that meets it, so a time is exact to within one
judging interval. Per recipe it reports the median over seeds and the spread (lowest, highest); a
seed that did not reach a threshold within its budget counts as slower than every seed that did.

Writes benchmarks/results/time-to-quality-<machine>[-batch<N>]-<label>.json after every seed (an
interrupted run keeps the seeds it finished; a rerun with the same label replaces only the
(recipe, seed) pairs it measures). The file records the commit and each recipe's settings, so that
a "before" and an "after" file say what they measured. ``--set KEY=VALUE`` changes one of the
recipe's settings for a label. Seconds depend on how busy the machine is, so compare two settings
seed by seed in alternation, e.g.

    for seed in 0 1 2; do
      time_to_quality.py --label before --recipes mlp --seeds $seed
      time_to_quality.py --label lr4 --recipes mlp --seeds $seed --set learning_rate=4e-4
    done
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import re
import subprocess
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
THRESHOLDS = {"recognized >= 0.50": ("recognized_share", 0.50, max),
              "recognized >= 0.65": ("recognized_share", 0.65, max),
              "recognized >= 0.80": ("recognized_share", 0.80, max),
              "recognized >= 0.90": ("recognized_share", 0.90, max),
              "Frechet ratio <= 8": ("frechet_ratio", 8.0, min),
              "agreement >= 0.95": ("label_agreement", 0.95, max)}
# The table (issue 20): which threshold each model is held to, and the target in seconds.
TARGETS = (("mlp", "recognized >= 0.65", 30), ("dcgan", "recognized >= 0.80", 90),
           ("dcgan", "recognized >= 0.90", 300), ("wgan-gp", "recognized >= 0.80", 180),
           ("conditional", "agreement >= 0.95", 60))
NAMES = {"mlp": "MLP GAN (02)", "dcgan": "DCGAN (03)", "wgan-gp": "WGAN-GP (04)", "conditional": "conditional (07)"}
# Training seconds per seed: enough for today's settings to pass each model's targets, with room.
BUDGETS = {"mlp": 90.0, "dcgan": 900.0, "wgan-gp": 600.0, "conditional": 150.0}
# Judging interval in training seconds: short enough to resolve the targets, long enough that
# judging (about a second per 1,000 samples) does not dominate the wall time.
JUDGE_EVERY = {"mlp": 5.0, "dcgan": 20.0, "wgan-gp": 20.0, "conditional": 5.0}


def first_record(records, key, threshold, better):
    """The first judgement that meets the threshold; None if none does."""
    for record in records:
        value = record.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if (value >= threshold) if better is max else (value <= threshold):
            return record
    return None


def first_time(records, key, threshold, better):
    """Training seconds of the first judgement that meets the threshold; None if none does."""
    record = first_record(records, key, threshold, better)
    return None if record is None else record["train_seconds"]


def summarize(times: list[float | None]) -> dict:
    """Median and spread over seeds; a seed that never reached the threshold sorts last."""
    keyed = sorted(math.inf if t is None else t for t in times)
    n = len(keyed)
    middle = keyed[n // 2] if n % 2 else (keyed[n // 2 - 1] + keyed[n // 2]) / 2
    finite = lambda t: None if math.isinf(t) else t  # noqa: E731
    return {"median": finite(middle), "lowest": finite(keyed[0]), "highest": finite(keyed[-1]),
            "seeds_reached": sum(t is not None for t in times), "seeds": n}


def machine_tag() -> str:
    """How a results file names the machine: "gpu" when TensorFlow sees one, else "cpu<cores>"."""
    import tensorflow as tf

    return "gpu" if tf.config.list_physical_devices("GPU") else f"cpu{os.cpu_count()}"


def append_run(name: str, run: dict) -> Path:
    """Add ``run`` to the ``runs`` of benchmarks/results/<name>-<machine>.json (the screens' files); its path."""
    out = RESULTS / f"{name}-{machine_tag()}.json"
    results = json.loads(out.read_text()) if out.exists() else {"runs": []}
    results["runs"].append(run)
    out.write_text(json.dumps(results, indent=1) + "\n")
    return out


def commit() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "ganlib"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes to ganlib/" if dirty else "")


def settings(gan) -> dict:
    """What the recipe trains with, as recorded beside its times."""
    optimizer = gan.g_optimizer
    as_set = lambda value: float(f"{float(value):.6g}")  # noqa: E731  (2e-4, not its float32 0.000199999...)
    return {"learning_rate": as_set(optimizer.learning_rate.numpy()), "beta_1": as_set(optimizer.beta_1),
            "beta_2": as_set(optimizer.beta_2), "n_critic": gan.n_critic, "gp_weight": gan.gp_weight,
            "penalty_every": gan.penalty_every,
            "ema_decay": gan.ema_decay, "jit_compile": bool(gan.jit_compile),
            "steps_per_execution": int(gan.steps_per_execution),
            "parameters": {"generator": gan.generator.count_params(),
                           "discriminator": gan.discriminator.count_params()}}


# recipes.build's keyword arguments that --set may not change: the recipe and the seed are arguments of
# their own here, and augment and label_smoothing are flags of their own in quality_at_steps.py.
NOT_SETTABLE = ("recipe", "seed", "augment", "label_smoothing")


def settable() -> tuple[str, ...]:
    """The recipes.build settings that --set may change, read from its signature: a new one needs no list."""
    import inspect

    from ganlib import recipes

    return tuple(name for name in inspect.signature(recipes.build).parameters if name not in NOT_SETTABLE)


def parse_overrides(pairs: list[str]) -> dict:
    """``["learning_rate=4e-4", "ema_decay=None"]`` -> keyword arguments for ``recipes.build``."""
    overrides, allowed = {}, settable()
    for pair in pairs:
        key, _, text = pair.partition("=")
        if key not in allowed or not text:
            raise ValueError(f"--set {pair!r}: expected KEY=VALUE with KEY one of {', '.join(allowed)}")
        try:
            overrides[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise ValueError(f"--set {pair!r}: {text!r} is not a Python literal (a number, a tuple of numbers, True/False or None)") from None
    return overrides


def overrides_from(parser, pairs):
    """``--set`` pairs as keyword arguments for ``recipes.build``, or the parser's one-line error."""
    try:
        return parse_overrides(pairs)
    except ValueError as error:
        parser.error(str(error))


def add_screen_arguments(parser, recipe_names, every: int):
    """The arguments of a one-run, fixed-steps screen (quality_at_steps.py, weight_average.py)."""
    parser.add_argument("--label", required=True, help="names the run in the results file")
    parser.add_argument("--recipe", choices=recipe_names, default="dcgan")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--every", type=int, default=every, help="judge after every this many steps")
    parser.add_argument("--batch-size", type=int, default=64)


def training_digits_and_reference():
    """The bundled digits' training split, and the judge's reference (training and held-out digits)."""
    from ganlib import data, metrics

    train_digits, held_out = data.split_digits(data.load_digits("bundled", verbose=False))
    return train_digits, metrics.Reference(train_digits.images, held_out.images)


def measure(recipe: str, seed: int, budget: float, judge_every: float, batch_size: int, train_digits, reference,
            overrides: dict | None = None):
    from ganlib import callbacks, recipes, training

    gan = recipes.build(recipe, seed=seed, **(overrides or {}))
    tracker = callbacks.QualityTracker(reference, n=1000, seed=seed, every_seconds=judge_every)
    # Far more steps than the budget allows, in long chunks: the budget stops training.
    run = training.train(gan, train_digits.images, steps=10_000_000, batch_size=batch_size, seed=seed,
                         labels=train_digits.labels if gan.conditional else None, snapshots=10_000,
                         callbacks=[tracker], time_budget=budget, verbose=0)
    reached = {name: first_time(tracker.records, *rule) for name, rule in THRESHOLDS.items()}
    return {"steps": run.steps, "compile_seconds": tracker.compile_seconds, "records": tracker.records,
            "reached": reached}, settings(gan)


def main():
    import ganlib  # noqa: F401  (imports TensorFlow quietly; here, so that the tables import this file cheaply)
    import tensorflow as tf

    from ganlib import recipes

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", required=True,
                        help="names the results file, e.g. 'before' or 'after' (letters, digits, '-')")
    parser.add_argument("--recipes", nargs="+", default=list(recipes.RECIPES), choices=recipes.RECIPES)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--budget", type=float, default=None,
                        help="training seconds per seed (default per recipe: "
                             + ", ".join(f"{r} {s:.0f}" for r, s in BUDGETS.items()) + ")")
    parser.add_argument("--judge-every", type=float, default=None,
                        help="judge every this many training seconds (default per recipe: "
                             + ", ".join(f"{r} {s:.0f}" for r, s in JUDGE_EVERY.items()) + ")")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="change one of the recipe's settings for this label (recipes.build's "
                             + ", ".join(settable()) + "), e.g. --set learning_rate=4e-4")
    args = parser.parse_args()
    if not args.label.replace("-", "").isalnum():
        parser.error(f"--label is {args.label!r}; allowed: letters, digits and '-'")
    overrides = overrides_from(parser, args.set)
    train_digits, reference = training_digits_and_reference()
    gpus = [g.name for g in tf.config.list_physical_devices("GPU")]
    tag = machine_tag()
    suffix = "" if args.batch_size == 64 else f"-batch{args.batch_size}"   # as throughput.py names its files
    out = RESULTS / f"time-to-quality-{tag}{suffix}-{args.label}.json"
    results = json.loads(out.read_text()) if out.exists() else {
        "label": args.label, "batch_size": args.batch_size, "cpu_count": os.cpu_count(), "gpus": gpus, "models": {}}
    for recipe in args.recipes:
        budget = args.budget or BUDGETS[recipe]
        judge_every = args.judge_every or JUDGE_EVERY[recipe]
        for seed in args.seeds:
            measured, recipe_settings = measure(recipe, seed, budget, judge_every, args.batch_size,
                                                train_digits, reference, overrides)
            entry = results["models"].setdefault(recipe, {"seeds": {}})
            entry.update(commit=commit(), settings=recipe_settings)
            entry["seeds"][str(seed)] = {"budget_seconds": budget, "judge_every_seconds": judge_every,
                                         "commit": entry["commit"], **measured}
            RESULTS.mkdir(exist_ok=True)
            out.write_text(json.dumps(results, indent=2) + "\n")   # after every seed: an interruption loses one
            print(f"{recipe} seed {seed}: {measured['steps']:,} steps in {budget:.0f} s; reached: "
                  + ", ".join(f"{k} at {v:.0f} s" for k, v in measured["reached"].items() if v is not None),
                  flush=True)
    print_table(results)
    print(f"\nwrote {out}")


def describe(times: list[float | None], budget: float | None = None) -> str:
    """One cell: "25 s (20-30 s)", "85 s (80-85 s; 1 of 3 not in 90 s)", "not in 90 s (1 of 3 reached it)"."""
    summary = summarize(times)
    reached = sorted(t for t in times if t is not None)
    missing = f"{len(times) - len(reached)} of {len(times)} not in {budget:.0f} s" if budget else \
        f"{len(times) - len(reached)} of {len(times)} not reached"
    if summary["median"] is None:
        return f"not in {budget:.0f} s ({len(reached)} of {len(times)} reached it)" if budget else "not reached"
    lowest, highest = f"{reached[0]:.0f}", f"{reached[-1]:.0f}"
    spread = "" if lowest == highest else f"{lowest}-{highest} s"
    notes = "; ".join(part for part in (spread, missing if len(reached) < len(times) else "") if part)
    return f"{summary['median']:.0f} s" + (f" ({notes})" if notes else "")


def seed_times(entry: dict, threshold: str) -> list[float | None]:
    return [first_time(run["records"], *THRESHOLDS[threshold]) for run in entry["seeds"].values()]


def print_table(results: dict):
    print(f"\n{'model':<12}{'quality':<22}median (spread over seeds)")
    for recipe, threshold, _ in TARGETS:
        if recipe in results["models"]:
            print(f"{recipe:<12}{threshold:<22}{describe(seed_times(results['models'][recipe], threshold))}")


def median_steps(entry: dict, threshold: str) -> float | None:
    """The median over seeds of the generator step at which each reached the threshold (not reached
    sorts last; None when the median seed did not reach it). Not necessarily the step of the seed
    with the median time."""
    steps = []
    for run in entry["seeds"].values():
        record = first_record(run["records"], *THRESHOLDS[threshold])
        steps.append(None if record is None else record["step"])
    return summarize(steps)["median"]


LABEL_ORDER = ("before", "after")


def load_labelled(results_dir: Path = RESULTS) -> dict[str, dict]:
    """Every labelled results file, keyed "<label> (<machine>)": before, then after, then the rest by name."""
    found = {}
    for path in sorted(results_dir.glob("time-to-quality-*-*.json")):
        results = json.loads(path.read_text())
        if "label" not in results:   # the single-seed files of earlier versions of this script
            continue
        machine = f"{results['cpu_count']} CPUs" if not results.get("gpus") else "GPU"
        batch = "" if results["batch_size"] == 64 else f", batch {results['batch_size']}"
        found[f"{results['label']} ({machine}{batch})"] = results
    rank = lambda key: (LABEL_ORDER.index(key.split(" ")[0]) if key.split(" ")[0] in LABEL_ORDER else 99, key)  # noqa: E731
    return {key: found[key] for key in sorted(found, key=rank)}


def markdown_table(labelled: dict[str, dict]) -> str:
    """The issue's table for the README: one column per results file (e.g. before, after)."""
    header = "| model (notebook) | quality | target | " + " | ".join(labelled) + " |"
    lines = [header, "|---" * (3 + len(labelled)) + "|"]
    for recipe, threshold, target in TARGETS:
        cells = []
        for results in labelled.values():
            entry = results["models"].get(recipe)
            if entry is None:
                cells.append("not measured")
                continue
            budget = min(run["budget_seconds"] for run in entry["seeds"].values())
            steps = median_steps(entry, threshold)
            cells.append(describe(seed_times(entry, threshold), budget)
                         + (f", {steps:,.0f} steps" if steps is not None else ""))
        quality = threshold.replace("recognized >= ", "").replace("agreement >= ", "agreement ")
        quality = re.sub(r"0\.(\d\d)", lambda m: f"{int(m.group(1))}%", quality)
        quality = quality if "agreement" in quality else quality + " recognized"
        lines.append(f"| {NAMES[recipe]} | {quality} | <= {target} s | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
