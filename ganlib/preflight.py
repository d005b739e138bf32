"""Is this machine ready for the course? The notebooks' version report, and ``make check``.

``check_environment()`` is what every notebook's setup cell prints: versions and devices.
``run_checks()`` is the workshop preflight (``make check``, ``python -m ganlib check``): versions,
the bundled digits', the judge's and the shipped models' checksums, a few real training steps, a
speed probe to set beside the time table's machine, and whether TensorFlow sees a GPU, each on one
line, then one READY or NOT READY line. It takes well under a minute.
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from typing import Callable

# The Pythons the course supports (TensorFlow 2.21 ships wheels for exactly these).
SUPPORTED_PYTHONS = ((3, 10), (3, 11), (3, 12), (3, 13))
# What the course is tested on: version prefixes.
REQUIRED_VERSIONS = {"tensorflow": "2.21", "keras": "3."}
# The NumPy matmul probe on the machine that measured the time table (README.md), before each notebook.
REFERENCE_GFLOPS = "222-258"


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

    The time table's runs (benchmarks/notebook_times.py) record it before each notebook, because the
    same machine kind has run about twice as fast in one session as in another; ``make check`` prints
    it beside the time table's, as a rough guide to how long the notebooks will take here.
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


def _speed() -> Check:
    # A rough guide only: TensorFlow's speed need not scale with NumPy's (on a CPU without AVX-512 the
    # probe read 0.57 of the time table's, and notebook 05 took about three times as long, with other
    # work beside it: benchmarks/results/other-cpu-05_failure_modes.json).
    return Check("speed", True, f"NumPy float32 matmul {speed_probe():.0f} GFLOP/s on {os.cpu_count()} core(s), "
                                f"against {REFERENCE_GFLOPS} on the time table's machine (a rough guide to the "
                                "notebooks' times here; other work running now lowers it)")


def _training_steps(steps: int = 20) -> Check:
    import numpy as np

    from ganlib import data, recipes, training

    digits = data.load_digits("bundled", verbose=False)
    gan = recipes.build("mlp", seed=0)
    start = time.perf_counter()
    run = training.train(gan, digits.images[::5], steps=steps, batch_size=64, snapshots=1, verbose=0)
    seconds = time.perf_counter() - start
    losses = run.final()
    if not all(np.isfinite(value) for value in losses.values()):
        return Check("training", False, f"non-finite losses after {steps} steps: {losses}")
    return Check("training", True, f"{run.steps} steps of the MLP GAN in {seconds:.1f} s (compiling included), "
                                   "losses finite")


def _device() -> Check:
    gpus = gpu_names()
    # Not a failure: the default profile is sized for a CPU.
    return Check("GPU", True, ", ".join(gpus) if gpus else "none: the CPU runs every notebook at the default profile")


CHECKS: tuple[Callable[[], Check], ...] = (_versions, _notebook_tools, _bundled_digits, _judge, _shipped_models,
                                           _training_steps, _speed, _device)


def run_checks(checks=CHECKS, echo=print) -> bool:
    """Run every check, print one line each and a verdict; returns whether the machine is ready."""
    results = []
    for check in checks:
        try:
            result = check()
        except Exception as error:  # any failure is the answer to "is this machine ready?"
            name = check.__name__.strip("_").replace("_", " ")
            result = Check(name, False, f"{type(error).__name__}: {error}".splitlines()[0])
        results.append(result)
        echo(f"{'ok' if result.ok else 'FAIL':<5}{result.name:<16}{result.detail}")
    failed = [r.name for r in results if not r.ok]
    if failed:
        echo(f"NOT READY: {len(failed)} check(s) failed ({', '.join(failed)}); each line above says what to do.")
    else:
        echo("READY: this machine can run the course.")
    return not failed
