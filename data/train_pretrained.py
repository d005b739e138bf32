"""Train the four generators that ship with the course (data/pretrained/), and record how.

    .venv/bin/python data/train_pretrained.py                  # all four, one after another
    .venv/bin/python data/train_pretrained.py --only dcgan     # one of them
    .venv/bin/python data/train_pretrained.py --timing 200     # time 200 steps of each, save nothing

Each recipe trains as its notebook's `full` profile would (ganlib.course.NOTEBOOKS: 02 = mlp,
03 = dcgan, 04 = wgan-gp, 07 = conditional): ganlib.recipes.build with the profile's learning rate,
width and XLA setting, ganlib.training.train with its steps and batch size, seed 0, on the training
split of the bundled digits (ganlib.data.split_digits). The generator shipped is the weight average
(gan.sampler); for the conditional recipe its discriminator ships too (notebook 08's realism term).

Training saves a checkpoint after every twentieth of the run, under --checkpoints (default
artifacts/pretrained/checkpoints, git-ignored): a rerun after an interruption resumes there, and a
rerun after a finished run trains nothing and only exports again. The float32 originals are kept
beside the checkpoints; the shipped files are the compact copies that ganlib.pretrained describes,
with their sha256 in data/pretrained/SHA256SUMS and a JSON record each (recipe, profile, steps,
seconds, and the judge's measures of both the float32 original and the shipped copy on 2,000 samples).
Each generator is stored in the smallest format whose judge measures match the float32 original's
within noise (every format's figures: data/pretrained/formats.json). A newly shipped recipe is then
added to ganlib.pretrained.SHIPPED.

The whole set takes over an hour on a 2-core CPU; run it with `nice -n 19` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

import ganlib
from ganlib import course, data, pretrained, recipes, records, sampling, training

ROOT = Path(__file__).resolve().parents[1]
WORK_DIR = ROOT / "artifacts" / "pretrained"
SEED = 0
SNAPSHOTS = 20          # as the notebooks train: 20 chunks, a checkpoint after each
JUDGED_SAMPLES = 2000
NOISE_SEEDS = (0, 1, 2)  # the float32 original is judged on three noise seeds: the spread is the noise
DISCRIMINATOR_FORMAT = "float16"

# Settings this script trains with in place of a notebook's `full` profile, by recipe, for a profile too
# long for a 2-core CPU (the record names them). None today: notebook 07's `full` profile now trains the
# default's network (width 32) for 20,000 steps, which this script once had to set for itself.
PROFILE_OVERRIDES: dict[str, dict] = {}


def full_profile(recipe: str) -> dict:
    """The `full` profile of the recipe's notebook, with this script's overrides (and which they are)."""
    notebook = pretrained.NOTEBOOK_OF[recipe]
    profile = dict(course.NOTEBOOKS[notebook].profiles["full"])
    overrides = {k: v for k, v in PROFILE_OVERRIDES.get(recipe, {}).items() if profile.get(k) != v}
    # The critic's dense layer is the recipe's constant; a notebook profile that disagrees would train another model.
    if profile.get("critic_hidden_units", recipes.WGAN_CRITIC_HIDDEN_UNITS) != recipes.WGAN_CRITIC_HIDDEN_UNITS:
        sys.exit(f"{notebook}'s full profile has critic_hidden_units={profile['critic_hidden_units']} but "
                 f"ganlib.recipes builds {recipes.WGAN_CRITIC_HIDDEN_UNITS}: update recipes.py or this script")
    profile.update(overrides)
    # The recipe's own settings where the notebook has no parameter for them, so the record names them all.
    profile = {**pretrained.recipe_settings(recipe), **profile}
    return {"notebook": notebook, "profile": "full", "settings": profile, "overrides": overrides}


def build(recipe: str, settings: dict) -> training.GAN:
    return recipes.build(recipe, seed=SEED, width=settings.get("width", 32),
                         learning_rate=settings.get("learning_rate"), jit_compile=settings["jit_compile"],
                         hidden_units=settings.get("hidden_units"), n_critic=settings.get("n_critic"))


def training_digits():
    train, held_out = data.split_digits(data.load_digits("bundled", verbose=False))
    return train, held_out


class ChunkClock(keras.callbacks.Callback):
    """Wall time at the end of every chunk, to time steady training without XLA's first compile."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_epoch_end(self, epoch, logs=None):
        self.times.append((int(self.model.g_optimizer.iterations.numpy()), time.perf_counter()))


def time_recipe(recipe: str, steps: int) -> dict:
    """Seconds per generator step at the full profile's settings, from a short run that saves nothing."""
    plan = full_profile(recipe)
    settings = plan["settings"]
    train, _ = training_digits()
    gan = build(recipe, settings)
    clock = ChunkClock()
    started = time.perf_counter()
    training.train(gan, train.images, labels=train.labels if recipe == "conditional" else None, steps=steps,
                   batch_size=settings["batch_size"], seed=SEED, snapshots=4, callbacks=[clock], verbose=0)
    (first_step, first), (last_step, last) = clock.times[0], clock.times[-1]
    per_step = (last - first) / (last_step - first_step)
    return {"recipe": recipe, "settings": settings, "timed_steps": last_step - first_step,
            "seconds_per_step": round(per_step, 5), "first_chunk_seconds": round(first - started, 1),
            "projected_minutes": round(per_step * settings["steps"] / 60, 1)}


def original_dir(recipe: str) -> Path:
    return WORK_DIR / recipe


def train_recipe(recipe: str, checkpoints: Path) -> dict:
    """Train (or resume, or find finished) one recipe; keep its float32 networks and a run record."""
    plan = full_profile(recipe)
    settings = plan["settings"]
    train, _ = training_digits()
    gan = build(recipe, settings)
    # One folder per recipe and network size: the checkpoint's own key does not name the architecture.
    folder = checkpoints / f"{recipe}-width{settings.get('width', 32)}-steps{settings['steps']}"
    print(f"[{recipe}] {plan['notebook']} full profile {settings}"
          + (f" (overridden here: {plan['overrides']})" if plan["overrides"] else ""), flush=True)
    run = training.train(gan, train.images, labels=train.labels if recipe == "conditional" else None,
                         steps=settings["steps"], batch_size=settings["batch_size"], seed=SEED,
                         snapshots=SNAPSHOTS, artifacts_dir=folder, verbose=2)
    if run.steps < settings["steps"]:
        sys.exit(f"[{recipe}] stopped at step {run.steps} of {settings['steps']}: rerun to resume")
    out = original_dir(recipe)
    out.mkdir(parents=True, exist_ok=True)
    gan.sampler.save(out / "generator.keras")
    if recipe in pretrained.DISCRIMINATORS:
        gan.discriminator.save(out / "discriminator.keras")
    record = {
        "recipe": recipe, "notebook": plan["notebook"], "profile": "full", "settings": settings,
        "profile_overrides": plan["overrides"], "seed": SEED, "data": "bundled digits, training split "
        f"({len(train.labels):,} images; ganlib.data.split_digits, seed 0)", "steps": run.steps,
        "train_seconds": round(run.wall_seconds, 1),
        "timing_note": "wall seconds, resumed runs included, on a 2-core CPU that may have been running other "
                       "jobs: not a benchmark (benchmarks/ times the notebooks)",
        "threads": os.environ.get("TF_NUM_INTRAOP_THREADS", "TensorFlow's default"),
        "generator": "weight average (gan.sampler, ema_decay 0.999)",
        "final_losses": {k: round(v, 4) for k, v in run.final().items()},
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__,
                     "keras": keras.__version__, "ganlib": ganlib.__version__},
    }
    records.write_json(out / "run.json", record)
    print(f"[{recipe}] {run.steps:,} steps in {run.wall_seconds:.0f} s; float32 networks in {out}", flush=True)
    return record


def judge(generator, reference) -> dict:
    from ganlib import metrics

    keep = ("recognized_share", "digits_covered", "classifier_score", "frechet_ratio", "precision", "recall",
            "memorized_share", "label_agreement")
    measures = metrics.evaluate_generator(generator, reference, n=JUDGED_SAMPLES, seed=0)
    if sampling.is_conditional(generator):
        measures["argmax_agreement"] = argmax_agreement(generator)
    return {k: measures[k] if isinstance(measures[k], int) else round(float(measures[k]), 4)
            for k in (*keep, "argmax_agreement") if k in measures}


def argmax_agreement(generator, n: int = JUDGED_SAMPLES, seed: int = 0) -> float:
    """Share of samples whose most likely digit (recognized or not) is the one requested: what notebook
    07's committed default run reported as its label agreement (0.989), before label_agreement also
    required the judge to recognize the digit."""
    from ganlib import judge as digit_judge

    labels = sampling.balanced_labels(n)
    _, probabilities = digit_judge.judge_digits(sampling.sample_generator(generator, n, seed, labels))
    return float(np.mean(probabilities.argmax(axis=1) == labels))


def noise_spread(generator, reference) -> dict:
    """The float32 original's measures on NOISE_SEEDS: each measure's mean and max - min."""
    from ganlib import metrics

    runs = [metrics.evaluate_generator(generator, reference, n=JUDGED_SAMPLES, seed=s) for s in NOISE_SEEDS]
    if sampling.is_conditional(generator):
        for run, s in zip(runs, NOISE_SEEDS):
            run["argmax_agreement"] = argmax_agreement(generator, seed=s)
    spread = {}
    for key in ("recognized_share", "frechet_ratio", "precision", "recall", "label_agreement", "argmax_agreement"):
        if key in runs[0]:
            values = [float(r[key]) for r in runs]
            spread[key] = {"mean": round(float(np.mean(values)), 4), "range": round(max(values) - min(values), 4)}
    return spread


def export_recipe(recipe: str) -> dict:
    """Write the shipped compact copies of a trained recipe, judge them and the originals, record both."""
    from ganlib import metrics

    source = original_dir(recipe)
    record = json.loads((source / "run.json").read_text())
    train, held_out = training_digits()
    reference = metrics.Reference(train.images, held_out.images)
    original = keras.models.load_model(source / "generator.keras", compile=False, safe_mode=True)
    # The smallest format whose judge measures match the float32 original within noise (compare_formats).
    formats = compare_formats(recipe)
    matching = [f for f, row in formats["formats"].items() if row["within_noise"]]
    chosen = min(matching, key=lambda f: formats["formats"][f]["bytes"])
    pretrained.save_compact(original, pretrained.generator_path(recipe), chosen)
    # Into networks built from this run's settings: the record beside the file (which read_compact would
    # build from) is still the previous run's, of another architecture when the recipe changed.
    shipped = pretrained.read_compact(pretrained.generator_path(recipe),
                                      into=pretrained.build_network(recipe, "generator", record["settings"]))
    record["storage"] = pretrained.storage_note(chosen)
    record["discriminator_storage"] = (pretrained.storage_note(DISCRIMINATOR_FORMAT)
                                      if recipe in pretrained.DISCRIMINATORS else None)
    record["judge_float32"] = formats["formats"]["float32"]
    record["judge_float32_noise"] = formats["float32_noise"]
    record["judge_shipped"] = judge(shipped, reference)
    if recipe in pretrained.DISCRIMINATORS:
        d_original = keras.models.load_model(source / "discriminator.keras", compile=False, safe_mode=True)
        # float16: its logits move by at most 0.009 (spread 3.6) at 0.14 MB; int8 moved them by up to 0.30
        # and int4 by 9 (formats.json), too much for a term that 08 differentiates through
        path = pretrained.save_compact(d_original, pretrained.discriminator_path(recipe), DISCRIMINATOR_FORMAT)
        record["discriminator_shipped_vs_float32"] = compare_discriminators(
            d_original, pretrained.read_compact(path, into=pretrained.build_network(
                recipe, "discriminator", record["settings"])), path)
    records.write_json(pretrained.record_path(recipe), record)
    pretrained.write_checksums()
    if recipe not in pretrained.SHIPPED:
        print(f"[{recipe}] now add {recipe!r} to ganlib.pretrained.SHIPPED, and commit its files once", flush=True)
    print(f"[{recipe}] shipped {pretrained.generator_path(recipe).name}: float32 "
          f"{record['judge_float32']} / shipped {record['judge_shipped']}", flush=True)
    return record


def compare_discriminators(original, stored, path) -> dict:
    """How far a stored conditional discriminator's logits move from the original's, on the held-out digits
    with their own labels and with wrong ones (the realism term of notebook 08 reads both)."""
    _, held_out = training_digits()
    labels = held_out.labels.astype(np.int32)
    images = np.concatenate([held_out.images, held_out.images])
    labels = np.concatenate([labels, (labels + 5) % 10])
    a = original.predict([images, labels], batch_size=500, verbose=0).ravel()
    b = stored.predict([images, labels], batch_size=500, verbose=0).ravel()
    return {"bytes": Path(path).stat().st_size, "logits": len(a),
            "logit_max_abs_difference": round(float(np.max(np.abs(a - b))), 4),
            "logit_spread": round(float(np.std(a)), 4), "correlation": round(float(np.corrcoef(a, b)[0, 1]), 6)}


def compare_formats(recipe: str) -> dict:
    """Store the float32 original in every format of ganlib.pretrained and judge each (2,000 samples,
    noise seed 0) beside the original on NOISE_SEEDS; merge the figures into data/pretrained/formats.json."""
    import tempfile

    from ganlib import metrics

    source = original_dir(recipe)
    train, held_out = training_digits()
    reference = metrics.Reference(train.images, held_out.images)
    original = keras.models.load_model(source / "generator.keras", compile=False, safe_mode=True)
    result = {"parameters": int(original.count_params()),
              "keras_float32_bytes": (source / "generator.keras").stat().st_size,
              "float32_noise": noise_spread(original, reference), "formats": {}}
    labels = sampling.balanced_labels(JUDGED_SAMPLES) if sampling.is_conditional(original) else None
    pixels = sampling.sample_generator(original, JUDGED_SAMPLES, 0, labels)
    discriminator = (keras.models.load_model(source / "discriminator.keras", compile=False, safe_mode=True)
                     if recipe in pretrained.DISCRIMINATORS else None)
    with tempfile.TemporaryDirectory() as scratch:
        for format in pretrained.FORMATS:
            path = pretrained.save_compact(original, Path(scratch) / f"{format}.npz", format)
            stored = pretrained.read_compact(path)
            row = {"bytes": path.stat().st_size, **judge(stored, reference)}
            # the same noise through both: how far the stored copy's pixels move (images span [-1, 1])
            row["pixel_mean_abs_difference"] = round(float(np.mean(np.abs(
                sampling.sample_generator(stored, JUDGED_SAMPLES, 0, labels) - pixels))), 5)
            # within noise: every measure moves less than the original's range over noise seeds
            reference_row = result["formats"].get("float32", row)   # float32 comes first in FORMATS
            row["within_noise"] = all(abs(row[k] - reference_row[k]) <= spread["range"]
                                      for k, spread in result["float32_noise"].items())
            if discriminator is not None:
                d_path = pretrained.save_compact(discriminator, Path(scratch) / f"d-{format}.npz", format)
                row["discriminator"] = compare_discriminators(discriminator, pretrained.read_compact(d_path), d_path)
            result["formats"][format] = row
    path = pretrained.PRETRAINED_DIR / "formats.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    table = json.loads(path.read_text()) if path.is_file() else {}
    table[recipe] = result
    records.write_json(path, table)
    for format, row in result["formats"].items():
        print(f"[{recipe}] {format:<8} {row['bytes'] / 1e6:6.2f} MB  "
              + "  ".join(f"{k} {v}" for k, v in row.items() if k not in ("bytes", "discriminator")), flush=True)
        if "discriminator" in row:
            print(f"[{recipe}] {format:<8} discriminator {row['discriminator']}", flush=True)
    print(f"[{recipe}] float32 over noise seeds {NOISE_SEEDS}: {result['float32_noise']}", flush=True)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=pretrained.NAMES, action="append",
                        help="train this recipe only (repeatable); default: all four")
    parser.add_argument("--checkpoints", type=Path, default=WORK_DIR / "checkpoints",
                        help="folder for the resumable training state (default: %(default)s)")
    parser.add_argument("--timing", type=int, metavar="STEPS",
                        help="only time STEPS steps of each recipe and project the full run's minutes")
    parser.add_argument("--export-only", action="store_true",
                        help="skip training: write the shipped files from the float32 originals already trained")
    parser.add_argument("--compare-formats", action="store_true",
                        help="judge the trained originals stored in every format (data/pretrained/formats.json)")
    parser.add_argument("--train-only", action="store_true", help="train and keep the float32 originals; ship nothing")
    args = parser.parse_args(argv)
    names = args.only or list(pretrained.NAMES)
    if args.timing:
        for recipe in names:
            print(json.dumps(time_recipe(recipe, args.timing)), flush=True)
        return
    if args.compare_formats:
        for recipe in names:
            compare_formats(recipe)
        return
    for recipe in names:
        if not args.export_only:
            train_recipe(recipe, args.checkpoints)
        if not args.train_only:
            export_recipe(recipe)


if __name__ == "__main__":
    main()
