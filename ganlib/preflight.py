"""Is this machine ready for the course? The notebooks' version report, and ``make check``.

``check_environment()`` is what every notebook's setup cell prints: versions and devices.
``run_checks()`` is the workshop preflight (``make check``, ``python -m ganlib check``): versions,
the bundled digits', the judge's and the shipped models' checksums, a few real training steps, the
DCGAN recipe's training speed beside the time table's machine's (and what it makes of the README's
times here), and whether TensorFlow sees a GPU, each on one line, then one READY or NOT READY line.
It takes under a minute.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import dataclass
from typing import Callable

# The Pythons the course supports (TensorFlow 2.21 ships wheels for exactly these).
SUPPORTED_PYTHONS = ((3, 10), (3, 11), (3, 12), (3, 13))
# What the course is tested on: version prefixes.
REQUIRED_VERSIONS = {"tensorflow": "2.21", "keras": "3."}
# The DCGAN recipe's training speed in the session that timed the README's `default` column, minutes
# before its first notebook (benchmarks/results/levers-cpu2.json, "dcgan_recipe_b64", 2026-11-30;
# notebook-times-default.json; the median of 5 rounds of 200 steps), and that column's total.
# TensorFlow's speed is what the notebooks wait for: on a CPU without AVX-512, NumPy's matmul probe
# (speed_probe) swung between 96 and 149 GFLOP/s in one evening, over two sessions, while the DCGAN's
# speed stayed within 12.4-14.7 steps/s (benchmarks/README.md, "The speed line of make check").
REFERENCE_DCGAN_STEPS_PER_SECOND = 39.9
REFERENCE_COURSE_MINUTES = 29.4


def python_supported(version_info=None) -> bool:
    major, minor = (version_info or __import__("sys").version_info)[:2]
    return (major, minor) in SUPPORTED_PYTHONS


def _python_range() -> str:
    first, last = SUPPORTED_PYTHONS[0], SUPPORTED_PYTHONS[-1]
    return f"{first[0]}.{first[1]} to {last[0]}.{last[1]}"


def gpu_names() -> list[str]:
    import tensorflow as tf

    return [gpu.name for gpu in tf.config.list_physical_devices("GPU")]


def check_environment() -> None:
    """Print the versions this kernel runs and the devices it sees; say what does not match."""
    import keras
    import numpy
    import tensorflow as tf

    import ganlib

    python_ok = python_supported()
    found = {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__}
    wanted = {"python": _python_range(), **{name: f"{prefix}*" for name, prefix in REQUIRED_VERSIONS.items()}}
    ok = {"python": python_ok, **{name: found[name].startswith(prefix) for name, prefix in REQUIRED_VERSIONS.items()}}
    for name, version in found.items():
        print(f"{name:<11} {version:<10} {'ok' if ok[name] else 'MISMATCH: the course needs ' + wanted[name]}")
    print(f"{'numpy':<11} {numpy.__version__}")
    print(f"{'ganlib':<11} {ganlib.__version__}")
    print(f"{'devices':<11} {os.cpu_count()} CPU core(s); GPU: {', '.join(gpu_names()) or 'none (the CPU will do)'}")
    if not all(ok.values()):
        print("Reinstall with `make clean-venv check` (pip; add GPU=1 for the GPU install) or "
              "`conda env update -f environment.yml --prune` (conda).")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _versions() -> Check:
    import keras
    import tensorflow as tf

    found = f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}"
    problems = []
    if not python_supported():
        problems.append(f"Python must be {_python_range()}")
    problems += [f"{name} must be {prefix}*" for name, prefix in REQUIRED_VERSIONS.items()
                 if not {"tensorflow": tf.__version__, "keras": keras.__version__}[name].startswith(prefix)]
    return Check("versions", not problems, found + ("" if not problems else " (" + "; ".join(problems) + ")"))


def _notebook_tools() -> Check:
    from importlib.metadata import PackageNotFoundError, version

    found, missing = [], []
    for package in ("jupyterlab", "ipywidgets", "ipykernel", "papermill", "matplotlib"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            missing.append(package)
    if missing:
        return Check("notebook tools", False, "missing: " + ", ".join(missing) + " (reinstall: make clean-venv check)")
    return Check("notebook tools", True, ", ".join(found))


def _bundled_digits() -> Check:
    from ganlib import data

    digits = data.load_digits("bundled", verbose=False)  # checks the sha256 and the class counts
    return Check("bundled digits", True, f"{len(digits.labels):,} digits, sha256 checked")


def _judge() -> Check:
    from ganlib import judge

    judge.load_judge()  # checks data/judge.sha256 before loading
    return Check("digit judge", True, f"{judge.JUDGE_PATH.name}, sha256 checked")


def _shipped_models() -> Check:
    from ganlib import pretrained

    # The shipped generators stand in for training (pretrained = True) and notebook 08 uses them: a
    # damaged file should show up now, not on the day.
    paths = [pretrained.generator_path(name) for name in pretrained.SHIPPED]
    paths += [pretrained.discriminator_path(name) for name in pretrained.DISCRIMINATORS]
    for path in paths:
        pretrained.verify(path)   # raises, saying which file and how to restore it
    return Check("shipped models", True, f"{len(paths)} files, sha256 checked")


def speed_probe(seconds: float = 2.0, size: int = 2048) -> float:
    """This machine's float32 matrix-multiply speed now, in GFLOP/s (NumPy, all cores).

    The time table's runs (benchmarks/notebook_times.py) record it before each notebook, because
    machines described the same way (2 cores, AMD EPYC) have run about twice as fast in one session as
    in another. ``make check`` times TensorFlow itself instead (``dcgan_trial``): this probe can miss
    how much slower TensorFlow runs.
    """
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((size, size), dtype=np.float32), rng.standard_normal((size, size), dtype=np.float32)
    a @ b   # warm-up: thread pool and caches
    repeats, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        repeats += 1
    return round(2 * size**3 * repeats / (time.perf_counter() - start) / 1e9, 1)


@dataclass
class DCGANTrial:
    """The DCGAN recipe trained briefly as the notebooks train it (XLA, 10 steps per compiled call,
    batch 64, the bundled digits)."""

    first_call_steps: int       # its first call: one compiled call's steps
    first_call_seconds: float   # that call's seconds, tracing and compiling included
    losses: dict[str, float]    # after that call
    steps_per_second: float     # then: the median of the timed rounds


def dcgan_trial(steps: int = 50, rounds: int = 3) -> DCGANTrial:
    """Train the DCGAN recipe for one compiling call, then time ``rounds`` rounds of ``steps`` steps.
    The median of the rounds, as the reference speed is a median (of 5 rounds of 200 steps)."""
    from ganlib import data, recipes

    digits = data.load_digits("bundled", verbose=False)
    gan = recipes.build("dcgan", seed=0)
    batches = data.make_dataset(digits.images, 64, seed=0)
    first_call_steps = recipes.STEPS_PER_EXECUTION["dcgan"]
    # shuffle=False: the dataset shuffles itself (Keras warns that it would ignore True, its default).
    start = time.perf_counter()
    history = gan.fit(batches, epochs=1, steps_per_epoch=first_call_steps, verbose=0, shuffle=False).history
    first_call_seconds = time.perf_counter() - start
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        gan.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
        rates.append(steps / (time.perf_counter() - start))
    return DCGANTrial(first_call_steps, first_call_seconds,
                      {name: float(values[-1]) for name, values in history.items()}, statistics.median(rates))


def budgeted_training_seconds(profile: str = "default") -> float:
    """Seconds of training that the course spends in runs with a time budget, which take as long on
    any machine (a slower one trains fewer steps in them): 03's comparison (three settings), 04's
    (two) and 06's sweep and ranking (``runs_planned`` in 06)."""
    from ganlib import course

    dcgan, wgan, board = (course.NOTEBOOKS[name].profiles[profile]
                          for name in ("03_dcgan", "04_wgan_gp", "06_leaderboard"))
    return (3 * dcgan["comparison_seeds"] * dcgan["comparison_seconds"]
            + 2 * wgan["comparison_seeds"] * wgan["comparison_seconds"]
            + len(board["models"]) * (len(board["learning_rate_factors"]) + board["seeds"] - 1) * board["time_budget"])


def speed_report(steps_per_second: float) -> str:
    """What a DCGAN speed means for the README's times, in words: the runs of a fixed number of steps
    scale with it, the time-budgeted ones do not."""
    ratio = REFERENCE_DCGAN_STEPS_PER_SECOND / steps_per_second
    budgeted = budgeted_training_seconds() / 60
    estimate = budgeted + ratio * (REFERENCE_COURSE_MINUTES - budgeted)
    # Starting kernels, compiling and drawing figures do not speed up as training does.
    faster = " (a rough lower bound: not all of a notebook's time speeds up with training)" if ratio < 1 else ""
    return (f"the DCGAN recipe trains {steps_per_second:.1f} steps/s here ({os.cpu_count()} core(s)), "
            f"{REFERENCE_DCGAN_STEPS_PER_SECOND} on the 2-core machine that timed the README's default column: "
            f"runs of a fixed number of steps take about {ratio:.1f} times as long here, and the course at default "
            f"about {estimate:.0f} minutes{faster} ({REFERENCE_COURSE_MINUTES} there; its {budgeted:.1f} minutes of "
            f"time-budgeted runs in 03, 04 and 06 take as long anywhere, with {'fewer' if ratio > 1 else 'more'} steps "
            "here). A rough guide: other work running now slows this trial.")


def _training_and_speed() -> list[Check]:
    import math

    trial = dcgan_trial()
    finite = bool(trial.losses) and all(math.isfinite(value) for value in trial.losses.values())
    training = Check("training", finite,
                     f"{trial.first_call_steps} steps of the DCGAN recipe in {trial.first_call_seconds:.1f} s "
                     "(compiling included), " + ("losses finite" if finite else f"losses not finite: {trial.losses}"))
    return [training, Check("speed", True, speed_report(trial.steps_per_second))]


def _device() -> Check:
    gpus = gpu_names()
    # Not a failure: the default profile is sized for a CPU.
    return Check("GPU", True, ", ".join(gpus) if gpus else "none: the CPU runs every notebook at the default profile")


# A check returns one line, or several when one piece of work answers more than one question.
CHECKS: tuple[Callable[[], Check | list[Check]], ...] = (_versions, _notebook_tools, _bundled_digits, _judge,
                                                         _shipped_models, _training_and_speed, _device)


def run_checks(checks=CHECKS, echo=print) -> bool:
    """Run every check, print one line per result and a verdict; returns whether the machine is ready."""
    results = []
    for check in checks:
        try:
            answers = check()
        except Exception as error:  # any failure is the answer to "is this machine ready?"
            name = check.__name__.strip("_").replace("_", " ")
            answers = Check(name, False, f"{type(error).__name__}: {error}".splitlines()[0])
        for result in answers if isinstance(answers, list) else [answers]:
            results.append(result)
            echo(f"{'ok' if result.ok else 'FAIL':<5}{result.name:<16}{result.detail}")
    failed = [r.name for r in results if not r.ok]
    if failed:
        echo(f"NOT READY: {len(failed)} check(s) failed ({', '.join(failed)}); each line above says what to do.")
    else:
        echo("READY: this machine can run the course.")
    return not failed
