"""Where Python's garbage collector pauses a series of short time-budgeted runs (notebook 06's pattern).

    .venv/bin/python benchmarks/gc_pauses.py [--rounds 2] [--budget 6] [--modes ...] [--label NAME]

Every run builds a fresh recipe and traces its train step; the run before it leaves tens of thousands
of objects (its models, traced functions, graphs) for the collector. When Python's automatic
full (generation 2) collection finds them, it can pause for seconds, inside whichever run happens to
be allocating: in its start-up or in its budgeted training time. This runs the three recipes x 3 seeds
in a fresh process per mode, alternating modes over ``--rounds`` rounds:

- ``automatic``: the collector left alone (the course before this measurement);
- ``collect first``: ``gc.collect()`` before each run, outside its clock, as ``leaderboard.train_recipe``
  now does (the wall seconds include it);
- ``collect first, autotuner on``: the same, with tf.data's autotuner switched back on for the training
  data (``data.make_dataset`` turns it off: deleting an iterator could wait for the autotuner's thread).

It records every collector pause of 0.5 s or more, the run it fell in, and each run's start-up
(``compile_seconds``), steps and wall seconds. Writes benchmarks/results/gc-pauses-<machine>.json,
or gc-pauses-<label>-<machine>.json with ``--label``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from time_to_quality import commit, machine_tag, RESULTS

MODES = ("automatic", "collect first", "collect first, autotuner on")
RECIPES = ("mlp", "dcgan", "wgan-gp")
SEEDS = (0, 1, 2)
LONG_PAUSE_SECONDS = 0.5


def one_process(mode: str, budget: float) -> dict:
    """Run the series once in this process; the runs with their pauses."""
    import gc
    import time
    import types

    import ganlib  # noqa: F401  (first: it imports TensorFlow quietly)
    from ganlib import data, leaderboard, metrics

    pauses, started = [], [0.0]

    def watch(phase, info):
        if phase == "start":
            started[0] = time.perf_counter()
        elif time.perf_counter() - started[0] >= LONG_PAUSE_SECONDS:
            pauses.append({"generation": info["generation"], "seconds": round(time.perf_counter() - started[0], 2),
                           "collected": info["collected"]})

    if mode == "automatic":
        # train_recipe collects before each run; undo that here, in this process only.
        leaderboard.gc = types.SimpleNamespace(collect=lambda: 0)
    if mode.endswith("autotuner on"):
        import tensorflow as tf

        course_dataset = data.make_dataset
        options = tf.data.Options()
        options.autotune.enabled = True

        def with_autotuner(*args, **kwargs):   # the course's pipeline with the autotuner back on
            return course_dataset(*args, **kwargs).with_options(options)

        data.make_dataset = with_autotuner
    train_digits, held_out = data.split_digits(data.load_digits("bundled"))
    reference = metrics.Reference(train_digits.images, held_out.images)
    gc.callbacks.append(watch)
    runs = []
    for recipe in RECIPES:
        for seed in SEEDS:
            before, clock = len(pauses), time.perf_counter()
            record = leaderboard.train_recipe(recipe, train_digits.images, reference, seed=seed,
                                              time_budget=budget, every_seconds=budget / 3,
                                              label=f"{mode}: {recipe}, seed {seed}")
            runs.append({"recipe": recipe, "seed": seed, "wall_seconds": round(time.perf_counter() - clock, 1),
                         "compile_seconds": round(record["compile_seconds"], 1), "steps": record["steps"],
                         "train_seconds": round(record["train_seconds"], 1), "pauses": pauses[before:]})
    return {"mode": mode, "runs": runs}


def summary(process: dict) -> dict:
    runs = process["runs"]
    return {"mode": process["mode"], "wall_seconds": round(sum(r["wall_seconds"] for r in runs), 1),
            "compile_seconds": [r["compile_seconds"] for r in runs],
            "median_compile_seconds": statistics.median(r["compile_seconds"] for r in runs),
            "max_compile_seconds": max(r["compile_seconds"] for r in runs),
            "long_pauses": [p["seconds"] for r in runs for p in r["pauses"]]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the chosen modes, alternating (default 2)")
    parser.add_argument("--budget", type=float, default=6.0, help="seconds of training per run (default 6)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES)[:2],
                        help="the modes to alternate (default: the first two)")
    parser.add_argument("--label", help="name the results file gc-pauses-LABEL-<machine>.json")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(one_process(args.child, args.budget)), flush=True)
        return
    processes = []
    for round_number in range(args.rounds):
        for mode in args.modes:
            output = subprocess.run([sys.executable, __file__, "--child", mode, "--budget", str(args.budget)],
                                    capture_output=True, text=True, check=True).stdout
            process = json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[7:])
            process["round"] = round_number + 1
            processes.append(process)
            print(json.dumps({"round": round_number + 1, **summary(process)}), flush=True)
    out = RESULTS / f"gc-pauses-{args.label + '-' if args.label else ''}{machine_tag()}.json"
    out.write_text(json.dumps({"commit": commit(), "budget_seconds": args.budget, "modes": args.modes,
                               "recipes": RECIPES, "seeds": SEEDS,
                               "summaries": [summary(p) for p in processes], "processes": processes},
                              indent=1) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
