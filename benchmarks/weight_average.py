"""How long a weight average: several averages of one training run's generator, judged side by side.

    .venv/bin/python benchmarks/weight_average.py --label dcgan-4000 --recipe dcgan --seed 0 \
        --steps 4000 --every 1000 --averages 10:0.999 4:0.999 2:0.9995

The course's generators are judged as a moving average of their weights (``training.GAN(ema_decay=)``),
whose decay after step t is ``training.average_decay``: (1 + t) / (warmup + t), at most a cap. With
the course's warmup of 10 the average covers about the last ninth of the steps so far, so the cap of
0.999 (1,000 steps) is not reached before step 8,990: in a 4,000-step run the average covers about
the last 450 steps. This screen asks whether a longer average draws better digits.

Each ``WARMUP:CAP`` is one more average, kept beside the GAN's own in the same run. The averages do
not feed back into training, so every one of them sees exactly the same training steps: their
differences are the average's alone, with no seed-to-seed noise and for the cost of one run. The
latest weights and the GAN's own average are judged too, on 2,000 samples after every ``--every``
steps (``metrics.evaluate_generator``). Appends one record per run to
benchmarks/results/weight-average-<machine>.json.
"""

from __future__ import annotations

import argparse
import time

from time_to_quality import add_screen_arguments, append_run, commit, overrides_from, training_digits_and_reference


def parse_average(text: str) -> tuple[float, float]:
    """``"4:0.999"`` -> (4.0, 0.999): the warmup (> 1) and the cap (between 0 and 1) of one average."""
    try:
        warmup, cap = (float(part) for part in text.split(":"))
    except ValueError:
        raise ValueError(f"average {text!r}: write WARMUP:CAP, e.g. 4:0.999") from None
    if not warmup > 1.0 or not 0.0 < cap < 1.0:
        raise ValueError(f"average {text!r}: the warmup must be greater than 1 and the cap between 0 and 1")
    return warmup, cap


def add_averages(gan, averages: list[tuple[float, float]]) -> list:
    """Keep one more copy of ``gan``'s generator per (warmup, cap), averaged after every generator step.

    Wraps the GAN's generator step, so it must run before the first ``fit`` traces the train step.
    Returns the averaged copies, in the order given.
    """
    from keras import ops

    from ganlib import training

    copies = [training.average_copy(gan.generator) for _ in averages]
    plain_step = gan._generator_step

    def generator_step(batch_size):
        g_loss = plain_step(batch_size)
        step = ops.cast(gan.g_optimizer.iterations, "float32")
        for copy, (warmup, cap) in zip(copies, averages):
            training.update_average(copy, gan.generator, training.average_decay(step, cap, warmup))
        return g_loss

    gan._generator_step = generator_step
    return copies


def main():
    import ganlib  # noqa: F401  (imports TensorFlow quietly)
    import keras

    from ganlib import metrics, recipes, training

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_screen_arguments(parser, recipes.RECIPES, every=1000)
    parser.add_argument("--averages", nargs="+", default=["4:0.999", "2:0.9995"], metavar="WARMUP:CAP",
                        help="averages to keep beside the GAN's own (warmup 10, cap 0.999)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="change one of recipes.build's settings, as in time_to_quality.py")
    args = parser.parse_args()
    if args.steps < 1 or args.every < 1 or args.steps % args.every:
        parser.error(f"--steps {args.steps} and --every {args.every}: both >= 1, and --every must divide --steps")
    try:
        averages = [parse_average(text) for text in args.averages]
    except ValueError as error:
        parser.error(str(error))
    overrides = overrides_from(parser, args.set)
    train_digits, reference = training_digits_and_reference()
    gan = recipes.build(args.recipe, seed=args.seed, **overrides)
    if gan.ema_generator is None:
        parser.error("the GAN keeps no weight average of its own (ema_decay=None): nothing to compare with")
    names = ["latest weights", f"10:{gan.ema_decay:g} (the course's)", *args.averages]
    generators = [gan.generator, gan.ema_generator, *add_averages(gan, averages)]
    curves = {name: [] for name in names}

    class Judge(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            step = int(gan.g_optimizer.iterations.numpy())
            for name, generator in zip(names, generators):
                measures = metrics.evaluate_generator(generator, reference, 2000, args.seed)
                curves[name].append({"step": step, "recognized_share": measures["recognized_share"],
                                     "frechet_ratio": round(measures["frechet_ratio"], 3),
                                     "digits_covered": measures["digits_covered"], "recall": measures["recall"]})

    started = time.perf_counter()
    training.train(gan, train_digits.images, steps=args.steps, batch_size=args.batch_size, seed=args.seed,
                   labels=train_digits.labels if gan.conditional else None, snapshots=args.steps // args.every,
                   callbacks=[Judge()], verbose=0)
    run = {"label": args.label, "recipe": args.recipe, "seed": args.seed, "steps": args.steps,
           "batch_size": args.batch_size, "set": args.set, "commit": commit(),
           "wall_seconds": round(time.perf_counter() - started, 1), "curves": curves}
    out = append_run("weight-average", run)
    for name, curve in curves.items():
        print(f"{name:>24}: " + "  ".join(f"{p['step']}: {p['recognized_share']:.3f} ({p['frechet_ratio']:.2f})"
                                          for p in curve))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
