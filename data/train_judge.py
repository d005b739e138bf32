"""Retrain the digit judge that ships as data/judge.keras, and record its checksum and accuracy.

    .venv/bin/python data/train_judge.py

Trains on the training split of the bundled digits (ganlib.data.split_digits, seed 0), measures
accuracy on the 1,000 held-out digits, and writes judge.keras, judge.sha256 and judge.json here.
About a minute on a 2-core CPU.
"""

import json
import time
from pathlib import Path

import numpy as np

import ganlib  # noqa: F401  (imports TensorFlow quietly)
from ganlib import data, judge

HERE = Path(__file__).resolve().parent


def main():
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
    (HERE / "judge.sha256").write_text(f"{judge.sha256_of(HERE / 'judge.keras')}  judge.keras\n")
    record = {"trained_on": f"{len(train.labels)} bundled digits (split_digits, seed 0)",
              "held_out": len(held_out.labels), "held_out_accuracy": round(accuracy, 4),
              "held_out_confident_share": round(confident, 4), "train_seconds": round(seconds, 1),
              "seed": 0, "epochs": 15}
    (HERE / "judge.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
