"""Retrain the digit judge that ships as data/judge.keras, and record its checksums and accuracy.

    .venv/bin/python data/train_judge.py               # retrain, then refit the feature whitening
    .venv/bin/python data/train_judge.py --space-only  # keep judge.keras; refit judge_space.npz only

Trains on the training split of the bundled digits (ganlib.data.split_digits, seed 0), measures
accuracy on the 1,000 held-out digits, fits the whitening of the judge's feature space on the same
training digits (ganlib.judge.fit_space), and writes judge.keras, judge_space.npz, judge.sha256 and
judge.json here. About a minute on a 2-core CPU.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

import ganlib  # noqa: F401  (imports TensorFlow quietly)
from ganlib import data, judge

HERE = Path(__file__).resolve().parent


def write_space(classifier, train_images) -> dict:
    """Fit the "whitened" feature space on the training digits' features and save it; what to record."""
    before_relu, _ = judge.with_features(classifier).predict(train_images, batch_size=500, verbose=0)
    mean, whitening = judge.fit_space(before_relu, judge.SHRINKAGE)
    np.savez(HERE / "judge_space.npz", mean=mean, whitening=whitening)
    return {"space_fitted_on": f"{len(train_images)} bundled training digits (before the ReLU)",
            "space_shrinkage": judge.SHRINKAGE}


def write_checksums() -> None:
    (HERE / "judge.sha256").write_text("".join(f"{judge.sha256_of(HERE / name)}  {name}\n"
                                               for name in ("judge.keras", "judge_space.npz")))


def refit_space_only():
    """Keep the shipped judge (checked against its recorded sha256) and refit its feature whitening."""
    if judge.sha256_of(HERE / "judge.keras") != judge._expected_sha256("judge.keras"):
        raise SystemExit("judge.keras fails its recorded checksum: restore it (git checkout data/) first")
    train, _ = data.split_digits(data.load_digits("bundled"))
    classifier = judge.load_classifier(HERE / "judge.keras")
    record = {**json.loads((HERE / "judge.json").read_text()), **write_space(classifier, train.images)}
    write_checksums()
    (HERE / "judge.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space-only", action="store_true", help="keep judge.keras; refit judge_space.npz only")
    if parser.parse_args().space_only:
        return refit_space_only()
    train, held_out = data.split_digits(data.load_digits("bundled"))
    start = time.perf_counter()
    model = judge.train_judge(train.images, train.labels, seed=0)
    seconds = time.perf_counter() - start
    logits = model.predict(held_out.images, verbose=0)
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    accuracy = float(np.mean(probabilities.argmax(1) == held_out.labels))
    confident = float(np.mean(probabilities.max(1) >= 0.9))
    # Save a fresh, uncompiled copy: the optimizer's state is of no use to anyone loading the judge.
    shipped = judge.build_judge()
    shipped.set_weights(model.get_weights())
    shipped.save(HERE / "judge.keras")
    record = {"trained_on": f"{len(train.labels)} bundled digits (split_digits, seed 0)",
              "held_out": len(held_out.labels), "held_out_accuracy": round(accuracy, 4),
              "held_out_confident_share": round(confident, 4), "train_seconds": round(seconds, 1),
              "seed": 0, "epochs": 15, **write_space(shipped, train.images)}
    write_checksums()
    (HERE / "judge.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
