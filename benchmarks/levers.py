"""Screening speed levers (issue 20): one seed, many settings, before the 3-seed runs of time_to_quality.py.

    .venv/bin/python benchmarks/levers.py quality NAME '{"recipe": "dcgan", "hidden_units": 512, "steps": 2500}' ...
    .venv/bin/python benchmarks/levers.py throughput NAME '{"recipe": "dcgan", "jit_compile": true}' ... [--rounds 3]
    .venv/bin/python benchmarks/levers.py table      # the stored results as markdown tables

``quality`` trains each variant in turn for ``steps`` generator steps and judges 1,000 samples of its
weight-averaged generator every ``every`` steps (default 250): the recognized share (and, for the
conditional model, the agreement with the digit asked for) against the step and the training
seconds. The step is what a setting changes about learning; the seconds also depend on how busy the
machine is, so compare them only within one call. ``throughput`` builds every variant, then times
``fit`` calls of ``--steps`` steps in alternating rounds and reports the median steps per second.

A variant is a JSON object: ``recipe`` (mlp, dcgan, wgan-gp, conditional), any setting of
``recipes.build`` that time_to_quality.py's ``--set`` takes (``learning_rate``,
``discriminator_learning_rate``, ``hidden_units``, ``n_critic``, ``penalty_every``, ``jit_compile``,
``steps_per_execution``, ``ema_decay``, ``width``, ...), and any of ``batch_size``, ``seed``, ``steps``,
``every``, ``mixed_bfloat16`` (true: Keras' mixed_bfloat16 policy while the networks are built).
Results go to benchmarks/results/levers-<machine>.json, keyed by NAME (a rerun replaces it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from time_to_quality import settable

RESULTS = Path(__file__).resolve().parent / "results"
# What a variant may set besides recipes.build's settings (time_to_quality.settable): levers.py reads these itself.
OWN_KEYS = ("batch_size", "seed", "steps", "every", "mixed_bfloat16")


def build(variant: dict):
    """recipes.build with the variant's settings, then the ones recipes.build does not take."""
    import keras

    from ganlib import recipes

    build_keys = settable()
    allowed = ("recipe", *build_keys, *OWN_KEYS)
    unknown = set(variant) - set(allowed)
    if unknown or "recipe" not in variant:
        raise ValueError(f"variant {variant}: needs 'recipe'; allowed keys: {', '.join(allowed)}")
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if variant.get("mixed_bfloat16") else "float32")
    try:
        return recipes.build(variant["recipe"], seed=variant.get("seed", 0),
                             **{key: variant[key] for key in build_keys if key in variant})
    finally:
        keras.mixed_precision.set_global_policy("float32")


def quality(name: str, variant: dict, train_digits, reference) -> dict:
    from ganlib import callbacks, training

    gan = build(variant)
    seed, steps, every = variant.get("seed", 0), variant.get("steps", 2500), variant.get("every", 250)
    tracker = callbacks.QualityTracker(reference, n=1000, seed=seed)
    start = time.perf_counter()
    training.train(gan, train_digits.images, steps=steps, batch_size=variant.get("batch_size", 64), seed=seed,
                   labels=train_digits.labels if gan.conditional else None, snapshots=max(1, steps // every),
                   callbacks=[tracker], verbose=0)
    curve = [{"step": r["step"], "train_seconds": round(r["train_seconds"], 1),
              "recognized_share": round(r["recognized_share"], 3),
              **({"label_agreement": round(r["label_agreement"], 3)} if r.get("label_agreement") is not None else {})}
             for r in tracker.records]
    print(f"{name}: {time.perf_counter() - start:.0f} s wall; "
          + ", ".join(f"{r['step']}: {r['recognized_share']:.2f}" for r in curve), flush=True)
    return {"variant": variant, "compile_seconds": tracker.compile_seconds, "curve": curve}


def throughput(variants: dict, rounds: int, steps: int, images, labels) -> dict:
    from ganlib import data

    built = {}
    for name, variant in variants.items():
        gan = build(variant)
        batches = data.make_dataset(images, variant.get("batch_size", 64) * gan.n_critic, 0,
                                    labels=labels if gan.conditional else None)
        gan.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0)   # traces (and compiles) the step
        built[name] = (gan, batches, [])
    for _ in range(rounds):
        for name, (gan, batches, rates) in built.items():
            start = time.perf_counter()
            gan.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0)
            rates.append(steps / (time.perf_counter() - start))
    results = {}
    for name, (_, _, rates) in built.items():
        results[name] = {"variant": variants[name], "steps_per_second": round(statistics.median(rates), 2),
                         "rounds": [round(rate, 2) for rate in rates], "steps_per_round": steps}
        print(f"{name:<24} {results[name]['steps_per_second']:6.1f} steps/s  {results[name]['rounds']}")
    return results


def first_reaching(curve: list[dict], key: str, threshold: float) -> dict | None:
    return next((point for point in curve if point.get(key) is not None and point[key] >= threshold), None)


def markdown(stored: dict) -> str:
    """The screens as two tables: quality against steps and seconds, then throughput."""
    lines = ["| variant | settings (the recipe's own otherwise) | steps/s | 65% recognized | 80% | 95% agreement | "
             "last judged |", "|---|---|---|---|---|---|---|"]
    order = ("mlp", "dcgan", "wgan-gp", "conditional")   # as time_to_quality's table; as stored within a recipe
    for name, entry in sorted(stored["quality"].items(), key=lambda item: order.index(item[1]["variant"]["recipe"])):
        curve = entry["curve"]
        settings = ", ".join(f"{key} {value}" for key, value in entry["variant"].items() if key not in ("steps", "every"))
        cells = []
        for key, threshold in (("recognized_share", 0.65), ("recognized_share", 0.80), ("label_agreement", 0.95)):
            point = first_reaching(curve, key, threshold)
            applies = key != "label_agreement" or entry["variant"]["recipe"] == "conditional"
            cells.append("" if not applies else "-" if point is None
                         else f"step {point['step']:,} ({point['train_seconds']:.0f} s)")
        last = curve[-1]
        lines.append(f"| {name} | {settings} | {last['step'] / last['train_seconds']:.1f} | " + " | ".join(cells)
                     + f" | {last['recognized_share']:.3f} at step {last['step']:,} |")
    lines += ["", "| variant | settings | steps/s (median) | rounds |", "|---|---|---|---|"]
    for name, entry in stored["throughput"].items():
        settings = ", ".join(f"{key} {value}" for key, value in entry["variant"].items())
        lines.append(f"| {name} | {settings} | {entry['steps_per_second']:.1f} | "
                     + ", ".join(f"{rate:.1f}" for rate in entry["rounds"]) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("quality", "throughput", "table"))
    parser.add_argument("variants", nargs="*", help="NAME JSON pairs")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=100, help="steps per timed round (throughput)")
    args = parser.parse_args()
    out = RESULTS / f"levers-cpu{os.cpu_count()}.json"
    if args.mode == "table":
        print(markdown(json.loads(out.read_text())))
        return
    if len(args.variants) % 2 or not args.variants:
        parser.error("variants come in NAME JSON pairs")
    variants = {name: json.loads(text) for name, text in zip(args.variants[::2], args.variants[1::2])}

    import ganlib  # noqa: F401  (imports TensorFlow quietly)
    from ganlib import data, metrics

    train_digits, held_out = data.split_digits(data.load_digits("bundled", verbose=False))
    stored = json.loads(out.read_text()) if out.exists() else {"quality": {}, "throughput": {}}
    if args.mode == "throughput":
        measured = throughput(variants, args.rounds, args.steps, train_digits.images, train_digits.labels)
        stored["throughput"].update({name: {**entry, "measured": time.strftime("%Y-%m-%d")}
                                     for name, entry in measured.items()})
        out.write_text(json.dumps(stored, indent=1) + "\n")
    else:
        reference = metrics.Reference(train_digits.images, held_out.images)
        for name, variant in variants.items():
            stored["quality"][name] = {**quality(name, variant, train_digits, reference),
                                       "measured": time.strftime("%Y-%m-%d")}
            out.write_text(json.dumps(stored, indent=1) + "\n")   # after every variant
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
