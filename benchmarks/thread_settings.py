"""TensorFlow's thread settings on this machine: steps per second of each recipe under each setting.

    flock /tmp/ganlib-cpu.lock .venv/bin/python benchmarks/thread_settings.py [--rounds 3] [--recipes mlp dcgan wgan-gp]

TensorFlow sizes two thread pools when it starts: intra-op threads (inside one operation, e.g. a
matrix product split across cores) and inter-op threads (independent operations run side by side).
Left alone (0, 0) it picks them from the core count. A pool cannot be resized once TensorFlow has
run an operation, so every (setting, round) runs in a fresh process: it builds each recipe as the
notebooks train it (``recipes.build``: XLA, several steps per call, weight average), makes one
warm-up ``fit`` call (tracing and compiling), then times ``--steps`` steps in one call. Settings
alternate within each round, so a change in the machine's speed falls on all of them. Writes
benchmarks/results/thread-settings-<machine>.json: each setting's steps per second per round and
the median.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from time_to_quality import RESULTS, commit, machine_tag

SETTINGS = {"default (0, 0)": (0, 0), "intra 2, inter 1": (2, 1), "intra 1, inter 2": (1, 2),
            "intra 1, inter 1": (1, 1)}


def child(intra: int, inter: int, recipes_wanted: list[str], steps: int) -> dict:
    """In a fresh process: set the pools, then time each recipe's fit call."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(intra)
    tf.config.threading.set_inter_op_parallelism_threads(inter)
    import ganlib  # noqa: F401  (imports TensorFlow quietly)
    from ganlib import data, recipes

    digits, _ = data.split_digits(data.load_digits("bundled", verbose=False))
    rates = {}
    for recipe in recipes_wanted:
        gan = recipes.build(recipe, seed=0)
        batches = data.make_dataset(digits.images, 64 * gan.n_critic, 0)
        timed = steps * (4 if recipe == "mlp" else 1)   # the MLP's steps are short: time more of them
        gan.fit(batches, epochs=1, steps_per_epoch=timed, verbose=0)   # traces and compiles
        started = time.perf_counter()
        gan.fit(batches, epochs=1, steps_per_epoch=timed, verbose=0)
        rates[recipe] = timed / (time.perf_counter() - started)
    return rates


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--recipes", nargs="+", default=["mlp", "dcgan", "wgan-gp"],
                        choices=["mlp", "dcgan", "wgan-gp"])
    parser.add_argument("--steps", type=int, default=200,
                        help="steps per timed call (a multiple of 50; four times as many for the MLP)")
    parser.add_argument("--child", nargs=2, type=int, metavar=("INTRA", "INTER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rounds < 1 or args.steps < 50 or args.steps % 50:
        parser.error(f"--rounds {args.rounds} and --steps {args.steps}: rounds >= 1, steps a multiple of 50")
    if args.child:
        print(json.dumps(child(*args.child, args.recipes, args.steps)))
        return
    measured = {name: {recipe: [] for recipe in args.recipes} for name in SETTINGS}
    for round_number in range(args.rounds):
        for name, (intra, inter) in SETTINGS.items():
            output = subprocess.run([sys.executable, __file__, "--child", str(intra), str(inter), "--steps",
                                     str(args.steps), "--recipes", *args.recipes],
                                    capture_output=True, text=True, check=True).stdout
            rates = json.loads(output.strip().splitlines()[-1])
            for recipe, rate in rates.items():
                measured[name][recipe].append(round(rate, 2))
            print(f"round {round_number}, {name}: " + ", ".join(f"{r} {v:.1f}" for r, v in rates.items()), flush=True)
    result = {"commit": commit(), "steps_per_call": args.steps,
              "settings": {name: {"intra_op": SETTINGS[name][0], "inter_op": SETTINGS[name][1],
                                  "steps_per_second": {recipe: {"median": statistics.median(values), "rounds": values}
                                                       for recipe, values in per_recipe.items()}}
                           for name, per_recipe in measured.items()}}
    out = RESULTS / f"thread-settings-{machine_tag()}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print("median steps/s:")
    for name, entry in result["settings"].items():
        medians = (f"{recipe} {v['median']:6.1f}" for recipe, v in entry["steps_per_second"].items())
        print(f"  {name:<18} " + "  ".join(medians))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
