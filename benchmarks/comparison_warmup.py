"""What a one-step warm-up call costs the time-budgeted comparison runs of notebooks 03 and 04 (issue 20).

    flock /tmp/ganlib-cpu.lock .venv/bin/python benchmarks/comparison_warmup.py [--rounds 3] [--seconds 15 20]

Notebooks 03 (``short_run``) and 04 (``wgan_run``) compare settings at equal training time: each run
gets a ``TimeBudget`` of seconds that leaves the start-up (tracing and, with XLA, compiling) out. They
used to call ``training.train(..., steps=1)`` first. That call runs at one step per call, so the timed
call after it, at 10 steps per call, traces and compiles a second function: the warm-up's compile is
wall time that trains nothing and that the budget does not count. This script times one comparison
run as the notebooks make it (build, compile, train to the budget), with and without the warm-up,
for the DCGAN and WGAN-GP recipes at the notebooks' default budgets, in alternating rounds (the
order of the two flips every round), and reports the median wall seconds and generator steps.
Results go to results/comparison-warmup-cpu2.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "comparison-warmup-cpu2.json"
RECIPES = ("dcgan", "wgan-gp")


def one_run(recipe: str, seconds: float, warm_up: bool, seed: int, images) -> dict:
    """A comparison run as 03 and 04 make one, judging left out: wall seconds and generator steps."""
    from ganlib import recipes, training

    start = time.perf_counter()
    gan = recipes.build(recipe, seed=seed)   # XLA, 10 steps per call: the notebooks' default settings
    if warm_up:
        training.train(gan, images, steps=1, batch_size=64, seed=seed, snapshots=1, verbose=0)
    run = training.train(gan, images, steps=1000 * int(seconds + 1), batch_size=64, seed=seed, snapshots=1,
                         time_budget=seconds, verbose=0)
    return {"wall_seconds": round(time.perf_counter() - start, 2), "steps": run.steps}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, nargs=2, default=(15.0, 20.0), metavar=("DCGAN", "WGAN_GP"),
                        help="training seconds per run (notebooks 03 and 04 at default: 15 and 20)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds is {args.rounds}; allowed: 1 or more")

    from ganlib import data

    images = data.split_digits(data.load_digits("bundled", verbose=False))[0].images   # 03's and 04's 4,000
    runs = {f"{recipe} {arm}": [] for recipe in RECIPES for arm in ("warm-up", "none")}
    for round_ in range(args.rounds):
        arms = (True, False) if round_ % 2 == 0 else (False, True)
        for recipe, seconds in zip(RECIPES, args.seconds):
            for warm_up in arms:
                arm = "warm-up" if warm_up else "none"
                result = one_run(recipe, seconds, warm_up, seed=round_ + 1, images=images)
                runs[f"{recipe} {arm}"].append(result)
                print(f"round {round_ + 1}: {recipe:<8} {arm:<8} {result}", flush=True)
    summary = {name: {"median_wall_seconds": statistics.median(r["wall_seconds"] for r in found),
                      "median_steps": statistics.median(r["steps"] for r in found), "runs": found}
               for name, found in runs.items()}
    RESULTS.write_text(json.dumps({"seconds": dict(zip(RECIPES, args.seconds)), "rounds": args.rounds,
                                   "measured": time.strftime("%Y-%m-%d %H:%M"), "results": summary}, indent=1) + "\n")
    print("\n| run | median wall s | median steps |\n|---|---|---|")
    for name, row in summary.items():
        print(f"| {name} | {row['median_wall_seconds']:.1f} | {row['median_steps']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
