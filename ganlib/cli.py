"""``python -m ganlib``: sample digits from a saved generator, draw them, or run the course.

    python -m ganlib sample   --model PATH --n N --out FILE.npy [--digit D] [--seed S]
    python -m ganlib generate --model PATH --n N --out FILE.png [--digit D] [--seed S]
    python -m ganlib course   [--profile default] [--out build | --in-place]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


class CommandError(Exception):
    """A problem with what was asked, reported as one line and exit status 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed; give an integer >= 1")
    return value


def _digit(text: str) -> int:
    if text not in {str(d) for d in range(10)}:
        raise argparse.ArgumentTypeError(f"{text!r} is not a digit; allowed: 0 to 9")
    return int(text)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 0 <= value < 2**31:
        raise argparse.ArgumentTypeError(f"{value} is not allowed; give an integer from 0 to 2147483647")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ganlib", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, suffix, what in (("sample", ".npy", "a float32 array (N, 28, 28, 1) in [-1, 1]"),
                               ("generate", ".png", "a grid picture")):
        command = commands.add_parser(name, help=f"write N generated digits as {what}")
        command.add_argument("--model", required=True, type=Path, help="a generator saved as .keras")
        command.add_argument("--n", required=True, type=_positive_int, help="how many digits")
        command.add_argument("--out", required=True, type=Path, help=f"the {suffix} file to write")
        command.add_argument("--digit", type=_digit, help="which digit (conditional generators only)")
        command.add_argument("--seed", type=_seed, default=0, help="noise seed (default 0)")
        command.set_defaults(suffix=suffix)
    run = commands.add_parser("course", help="execute every notebook in order with papermill")
    run.add_argument("--profile", default="default", choices=("smoke", "default", "full"))
    where = run.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, default=Path("build"), help="folder for executed copies")
    where.add_argument("--in-place", action="store_true", help="store the outputs in notebooks/ itself")
    return parser


def load_generator(path: Path):
    """Load a saved generator with Keras' safe mode on (no arbitrary code is run)."""
    if not path.is_file():
        raise CommandError(f"no model at {path}: train one with a training notebook "
                           "(it writes artifacts/<notebook>/generator.keras) and pass that path")
    if path.suffix != ".keras":
        raise CommandError(f"{path} is not a .keras file; the course saves generators as generator.keras")
    import keras

    try:
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises several types for a damaged or foreign file
        raise CommandError(f"could not load {path} as a Keras model: {error}") from error


def generate_images(generator, n: int, seed: int, digit: int | None = None) -> np.ndarray:
    """N images from ``generator``; a conditional one (two inputs: noise, label) takes ``digit``."""
    inputs = generator.inputs
    latent_dim = int(inputs[0].shape[-1])
    noise = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)
    if len(inputs) == 1:
        if digit is not None:
            raise CommandError("this generator is unconditional: it draws digits at random and "
                               "cannot be asked for one; leave out --digit")
        model_inputs = noise
    else:
        # Without --digit a conditional generator draws every digit in turn: 0, 1, ..., 9, 0, ...
        labels = np.full(n, digit) if digit is not None else np.arange(n) % 10
        model_inputs = [noise, labels.astype(np.int32)]
    images = np.asarray(generator.predict(model_inputs, verbose=0, batch_size=256), dtype=np.float32)
    return np.clip(images, -1.0, 1.0)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "course":
            return _run_course(args)
        if args.out.suffix != args.suffix:
            raise CommandError(f"--out {args.out} should end in {args.suffix} for '{args.command}'")
        images = generate_images(load_generator(args.model), args.n, args.seed, args.digit)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if args.command == "sample":
            np.save(args.out, images)
        else:
            import imageio.v3 as iio

            from ganlib.plotting import image_grid
            iio.imwrite(args.out, image_grid(images))
        print(f"wrote {len(images)} digits to {args.out}")
        return 0
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _run_course(args) -> int:
    from ganlib import course, runs

    notebooks = course.project_root() / "notebooks"
    results = runs.run_course(notebooks, out_dir=args.out, profile=args.profile, in_place=args.in_place)
    print()
    print(runs.format_table(results))
    return 0 if results and all(r.status == "ok" for r in results) else 1
