"""Does re-estimating the batch-norm statistics of a weight-averaged generator raise its quality?

    .venv/bin/python benchmarks/bn_recalibration.py

The course's weight average (``training.update_average``) averages the batch-norm moving statistics
along with the weights. The averaged weights' own activations can have other statistics than that
average, so BigGAN-style "standing statistics" (one pass of fresh noise in training mode, its batch
statistics kept) might sharpen the samples. This judges each shipped generator that has batch norm
(``ganlib.pretrained``: DCGAN and WGAN-GP, both weight averages; the MLP for comparison) on 2,000
samples as shipped, then after one pass of 4,096 noise vectors with every batch-norm layer's momentum
set to 0, so its moving statistics become that batch's. Writes
benchmarks/results/bn-recalibration-<machine>.json.
"""

from __future__ import annotations

import argparse
import json

from time_to_quality import RESULTS, commit, machine_tag, training_digits_and_reference

MEASURES = ("recognized_share", "frechet_ratio", "recall")


def recalibrate(generator, n: int = 4096, seed: int = 123) -> None:
    """Replace every batch-norm layer's moving statistics with those of one batch of ``n`` noise vectors."""
    import keras

    from ganlib import sampling

    norms = [layer for layer in generator.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0
    generator(sampling.seeded_noise(n, generator.input_shape[-1], seed), training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum


def main():
    # No options: --help says what the script does, rather than running it.
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args()
    import ganlib  # noqa: F401  (imports TensorFlow quietly)

    from ganlib import metrics, pretrained

    _, reference = training_digits_and_reference()
    results = {"commit": commit(), "samples": 2000, "recalibration_noise": 4096, "generators": {}}
    for name in ("dcgan", "wgan-gp", "mlp"):
        generator = pretrained.load_generator(name)
        shipped = metrics.evaluate_generator(generator, reference, n=2000, seed=0)
        recalibrate(generator)
        recalibrated = metrics.evaluate_generator(generator, reference, n=2000, seed=0)
        results["generators"][name] = {label: {key: round(float(measures[key]), 4) for key in MEASURES}
                                       for label, measures in (("shipped", shipped), ("recalibrated", recalibrated))}
        print(f"{name:<8} " + "; ".join(
            f"{label}: " + ", ".join(f"{key} {value:.3f}" for key, value in values.items())
            for label, values in results["generators"][name].items()), flush=True)
    out = RESULTS / f"bn-recalibration-{machine_tag()}.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
