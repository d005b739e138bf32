"""Profiles and parameter validation for the notebooks' ``parameters`` cells.

Every notebook has one cell tagged ``parameters`` (papermill's convention) holding
``profile = "default"`` and the knobs a user may change. A knob left at ``None`` takes the
profile's value. The cell after it calls :func:`configure`, which checks every value and stops
the notebook at once, naming the bad parameter and what is allowed, and prints the profile in force
and where it came from (the parameters cell, papermill, or ``GANLIB_PROFILE``).
"""

from __future__ import annotations

import ast
import difflib
import math
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

PROFILE_NAMES = ("smoke", "default", "full")
PROFILE_ENV = "GANLIB_PROFILE"
DATA_SOURCES = ("bundled", "mnist", "auto")


class ParameterError(ValueError):
    """A notebook parameter or command-line value that is not allowed."""


@dataclass(frozen=True)
class Rule:
    """What one parameter may hold, with the words that say so in an error."""

    allowed: str
    accepts: Callable[[Any], bool]


def _integer(low: int | None = None, high: int | None = None) -> Rule:
    def accepts(value):
        # bool is an int in Python, but `steps = True` is a mistake, not a step count.
        return (isinstance(value, numbers.Integral) and not isinstance(value, bool)
                and (low is None or value >= low) and (high is None or value <= high))
    if high is None:
        allowed = f"an integer >= {low}"
    else:
        allowed = f"an integer from {low} to {high}"
    return Rule(allowed, accepts)


# For values outside the notebooks' parameters (the command line's --n and --digit).
integer_rule = _integer
# A count of steps, images, restarts, ...: what ganlib's functions check their own arguments against.
COUNT = _integer(1)


def _number(low_exclusive: float, high: float) -> Rule:
    def accepts(value):
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and low_exclusive < value <= high)
    return Rule(f"a number greater than {low_exclusive} and at most {high}", accepts)


def _optional_seconds() -> Rule:
    # None: no limit for a main run (02, 03, 04, 07); in 06, whose profiles set a budget, the profile's.
    return Rule("a finite number of seconds greater than 0, or None (02, 03, 04, 07: no limit; 06: its "
                "profile's budget)",
                lambda value: value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                                                and 0 < value < math.inf))


def _number_list(low_exclusive: float, high: float) -> Rule:
    def accepts(value):
        return (isinstance(value, list) and len(value) > 0
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and low_exclusive < v <= high
                        for v in value))
    return Rule(f"a non-empty list of numbers greater than {low_exclusive} and at most {high}", accepts)


def _choice(choices: tuple[str, ...]) -> Rule:
    return Rule("one of " + ", ".join(repr(c) for c in choices), lambda value: value in choices)


def _boolean() -> Rule:
    return Rule("True or False", lambda value: isinstance(value, bool))


def _path() -> Rule:
    return Rule("a folder path (a string) or None for the default",
                lambda value: value is None or (isinstance(value, str) and value.strip() != ""))


# Every parameter any notebook declares, and what it may hold.
RULES: dict[str, Rule] = {
    "profile": _choice(PROFILE_NAMES),
    "seed": _integer(0, 2**31 - 1),
    "data_source": _choice(DATA_SOURCES),
    "artifacts_dir": _path(),
    "steps": _integer(1),
    "batch_size": _integer(1, 4096),
    "snapshots": _integer(1, 500),
    "latent_dim": _integer(1, 1024),
    "learning_rate": _number(0.0, 1.0),
    "jit_compile": _boolean(),
    "images_per_class": _integer(1, 100),
    "ring_steps": _integer(1),
    "ring_seeds": _integer(1, 10),
    "discriminator_epochs": _integer(1, 200),
    "time_budget": _optional_seconds(),
    "memorize_images": _integer(10, 4000),   # at least one image of each digit (notebook 05)
    "learning_rate_factors": _number_list(0.0, 100.0),
    "models": Rule("a non-empty list of recipes, each at most once, from 'mlp', 'dcgan', 'wgan-gp'",
                   lambda value: (isinstance(value, list) and len(value) > 0 and len(set(value)) == len(value)
                                  and all(model in ("mlp", "dcgan", "wgan-gp") for model in value))),
    "judge_every": _number(0.0, 3600.0),
    "seeds": _integer(1, 20),
    "width": _integer(4, 256),
    "hidden_units": _integer(0, 4096),
    "critic_hidden_units": _integer(0, 4096),
    "n_critic": _integer(1, 20),
    "penalty_every": _integer(1, 20),   # must divide n_critic: training.GAN says so
    "comparison_steps": _integer(1),
    "article_steps": _integer(1),
    "benchmark_steps": _integer(1),
    "generator_path": Rule("a path to a .keras generator (a string), or None for notebook 07's",
                           lambda value: value is None or (isinstance(value, str) and value.endswith(".keras"))),
    "repair_images": _integer(1, 1000),
    "repair_steps": _integer(1),
    "few_per_class": _integer(1, 400),
    "generated_per_class": _integer(1, 1000),
    "augmentation_seeds": _integer(1, 20),
    "classifier_steps": _integer(1),
    "pretrained": _boolean(),
    "comparison_seeds": _integer(1, 20),
    "comparison_seconds": _number(0.0, 3600.0),
    "realism_weight": Rule("a number >= 0 (0: no realism term)",
                           lambda value: isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0),
    "noise_level": _number(0.0, 2.0),
    "blur_sigma": _number(0.0, 5.0),
    "style_sources": _integer(20, 1000),
}


@dataclass(frozen=True)
class NotebookSpec:
    """The parameters one notebook declares, and each profile's values for its ``None`` knobs."""

    parameters: tuple[str, ...]
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    # True where the notebook trains on min(batch_size, its images), so that a batch of any size fits
    # (05); elsewhere one step must fill its batches from the bundled training digits.
    batch_shrinks_to_data: bool = False


# One entry per notebook, keyed by its file name without ".ipynb".
NOTEBOOKS: dict[str, NotebookSpec] = {
    "00_setup_and_data": NotebookSpec(
        parameters=("profile", "data_source", "seed", "images_per_class", "artifacts_dir"),
        profiles={
            "smoke": {"images_per_class": 4},
            "default": {"images_per_class": 10},
            "full": {"images_per_class": 10},
        },
    ),
    "01_minimax_objective": NotebookSpec(
        parameters=("profile", "seed", "steps", "ring_steps", "ring_seeds", "discriminator_epochs", "artifacts_dir"),
        profiles={
            "smoke": {"steps": 60, "ring_steps": 100, "ring_seeds": 1, "discriminator_epochs": 1},
            "default": {"steps": 1500, "ring_steps": 3000, "ring_seeds": 3, "discriminator_epochs": 8},
            "full": {"steps": 3000, "ring_steps": 10000, "ring_seeds": 3, "discriminator_epochs": 20},
        },
    ),
    "02_article_gan": NotebookSpec(
        parameters=("profile", "seed", "data_source", "pretrained", "steps", "batch_size", "article_steps",
                    "benchmark_steps", "jit_compile", "time_budget", "artifacts_dir"),
        profiles={
            "smoke": {"steps": 40, "batch_size": 64, "article_steps": 5, "benchmark_steps": 5, "jit_compile": False},
            "default": {"steps": 4000, "batch_size": 64, "article_steps": 200, "benchmark_steps": 100,
                        "jit_compile": True},
            # full: 7,500 steps, not more: at the recipe's 8e-4 the MLP GAN slowly collapses after ~10,000 steps
            # (ten digits covered until 12,500, four at 30,000; benchmarks/results/quality-at-steps-cpu2.json)
            "full": {"steps": 7500, "batch_size": 64, "article_steps": 200, "benchmark_steps": 200,
                     "jit_compile": True},
        },
    ),
    "03_dcgan": NotebookSpec(
        parameters=("profile", "seed", "data_source", "pretrained", "steps", "batch_size", "width", "hidden_units",
                    "learning_rate", "comparison_seconds", "comparison_seeds", "jit_compile", "time_budget",
                    "artifacts_dir"),
        profiles={
            "smoke": {"steps": 40, "batch_size": 64, "width": 32, "hidden_units": 512, "learning_rate": 2e-3,
                      "comparison_seconds": 1, "comparison_seeds": 1, "jit_compile": False},
            "default": {"steps": 4000, "batch_size": 64, "width": 32, "hidden_units": 512, "learning_rate": 2e-3,
                        "comparison_seconds": 15, "comparison_seeds": 3, "jit_compile": True},
            "full": {"steps": 12000, "batch_size": 64, "width": 32, "hidden_units": 512, "learning_rate": 2e-3,
                     "comparison_seconds": 120, "comparison_seeds": 3, "jit_compile": True},
        },
    ),
    "04_wgan_gp": NotebookSpec(
        parameters=("profile", "seed", "data_source", "pretrained", "steps", "batch_size", "width", "hidden_units",
                    "critic_hidden_units", "n_critic", "penalty_every", "learning_rate", "ring_steps",
                    "comparison_seconds", "comparison_seeds", "jit_compile", "time_budget", "artifacts_dir"),
        profiles={
            "smoke": {"steps": 20, "batch_size": 64, "width": 32, "hidden_units": 512, "critic_hidden_units": 256,
                      "n_critic": 2, "penalty_every": 2, "learning_rate": 1e-3, "ring_steps": 20,
                      "comparison_seconds": 1, "comparison_seeds": 1, "jit_compile": False},
            "default": {"steps": 4000, "batch_size": 64, "width": 32, "hidden_units": 512, "critic_hidden_units": 256,
                        "n_critic": 2, "penalty_every": 2, "learning_rate": 1e-3, "ring_steps": 1000,
                        "comparison_seconds": 15,
                        "comparison_seeds": 3, "jit_compile": True},
            "full": {"steps": 10000, "batch_size": 64, "width": 32, "hidden_units": 512, "critic_hidden_units": 256,
                     "n_critic": 2, "penalty_every": 2, "learning_rate": 1e-3, "ring_steps": 1000,
                     "comparison_seconds": 150,
                     "comparison_seeds": 3, "jit_compile": True},
        },
    ),
    "05_failure_modes": NotebookSpec(
        parameters=("profile", "seed", "data_source", "steps", "batch_size", "memorize_images", "jit_compile",
                    "artifacts_dir"),
        profiles={
            "smoke": {"steps": 20, "batch_size": 64, "memorize_images": 32, "jit_compile": False},
            "default": {"steps": 3000, "batch_size": 64, "memorize_images": 32, "jit_compile": True},
            "full": {"steps": 10000, "batch_size": 64, "memorize_images": 32, "jit_compile": True},
        },
        batch_shrinks_to_data=True,
    ),
    "06_leaderboard": NotebookSpec(
        parameters=("profile", "seed", "data_source", "models", "time_budget", "judge_every",
                    "learning_rate_factors", "seeds", "artifacts_dir"),
        profiles={
            "smoke": {"models": ["mlp", "dcgan"], "time_budget": 1, "judge_every": 0.5,
                      "learning_rate_factors": [1.0], "seeds": 2},
            "default": {"models": ["mlp", "dcgan", "wgan-gp"], "time_budget": 15, "judge_every": 3,
                        "learning_rate_factors": [0.5, 1.0, 2.0], "seeds": 3},
            "full": {"models": ["mlp", "dcgan", "wgan-gp"], "time_budget": 300, "judge_every": 20,
                     "learning_rate_factors": [0.5, 1.0, 2.0], "seeds": 3},
        },
    ),
    "07_conditional_gan": NotebookSpec(
        parameters=("profile", "seed", "data_source", "pretrained", "steps", "batch_size", "width",
                    "learning_rate", "jit_compile", "time_budget", "comparison_steps", "comparison_seeds",
                    "artifacts_dir"),
        profiles={
            "smoke": {"steps": 40, "batch_size": 64, "width": 32, "learning_rate": 8e-4, "jit_compile": False,
                      "comparison_steps": 2, "comparison_seeds": 1},
            # default: 2,400 steps (not 4,000) so that the whole notebook renders in under 10 minutes on 2 cores
            "default": {"steps": 2400, "batch_size": 64, "width": 32, "learning_rate": 8e-4, "jit_compile": True,
                        "comparison_steps": 600, "comparison_seeds": 3},
            # full: the default's networks trained longer (as 03 and 04 do); what ships (data/pretrained/) was
            # trained so at the learning rate before issue 20 (pretrained.describe says so; retrained at 8e-4, its
            # discriminator ranked held-out real digits above uniform noise only 38% of the time: benchmarks/README.md)
            "full": {"steps": 20000, "batch_size": 64, "width": 32, "learning_rate": 8e-4, "jit_compile": True,
                     "comparison_steps": 3000, "comparison_seeds": 5},
        },
    ),
    "08_applications": NotebookSpec(
        parameters=("profile", "seed", "data_source", "generator_path", "repair_images", "repair_steps",
                    "realism_weight", "noise_level", "blur_sigma", "style_sources", "few_per_class",
                    "generated_per_class", "augmentation_seeds", "classifier_steps", "artifacts_dir"),
        profiles={
            "smoke": {"repair_images": 10, "repair_steps": 5, "realism_weight": 0.01, "noise_level": 0.75,
                      "blur_sigma": 2.0, "style_sources": 20, "few_per_class": 10, "generated_per_class": 20,
                      "augmentation_seeds": 2, "classifier_steps": 20},
            # default: 150 search steps and 400 classifier steps (not 200 and 600): under 10 minutes on 2 cores
            "default": {"repair_images": 60, "repair_steps": 150, "realism_weight": 0.01, "noise_level": 0.75,
                        "blur_sigma": 2.0, "style_sources": 60, "few_per_class": 10, "generated_per_class": 100,
                        "augmentation_seeds": 5, "classifier_steps": 400},
            "full": {"repair_images": 200, "repair_steps": 400, "realism_weight": 0.01, "noise_level": 0.75,
                     "blur_sigma": 2.0, "style_sources": 200, "few_per_class": 10, "generated_per_class": 200,
                     "augmentation_seeds": 10, "classifier_steps": 1000},
        },
    ),
}


class Config(dict):
    """A notebook's resolved parameters: a dict that also reads as attributes (``config.steps``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self):
        width = max(len(k) for k in self)
        return "\n".join(f"{k:<{width}} = {v!r}" for k, v in self.items())


def project_root(start: Path | None = None) -> Path:
    """The course's top folder (the one holding ``notebooks/`` and ``ganlib/``): searched for from the
    working directory upwards, then beside this package (an editable install), else the working directory."""
    here = (start or Path.cwd()).resolve()
    package_checkout = Path(__file__).resolve().parents[1]
    for folder in (here, *here.parents, package_checkout):
        if (folder / "notebooks").is_dir() and (folder / "ganlib").is_dir():
            return folder
    return here


ARTIFACTS_ENV = "GANLIB_ARTIFACTS"


def default_artifacts_dir(notebook: str) -> Path:
    """``artifacts/<notebook>`` in the course's top folder, relative to the working directory
    (so that stored notebook outputs show no machine's absolute paths). The environment variable
    ``GANLIB_ARTIFACTS`` names another folder instead (benchmarks/notebook_times.py times a course
    from an empty one, as a fresh clone runs it, without touching the reader's artifacts/); a relative
    one is taken from the course's top folder, so that the course command (run there) and its notebooks'
    kernels (run in notebooks/) mean the same folder."""
    root = os.environ.get(ARTIFACTS_ENV)
    folder = project_root() / root if root else project_root() / "artifacts"   # an absolute root stays as it is
    return Path(os.path.relpath(folder, Path.cwd())) / notebook


def check_parameter(name: str, value: Any) -> None:
    """Raise :class:`ParameterError` unless ``value`` is allowed for ``name``."""
    rule = RULES.get(name)
    if rule is None:
        raise ParameterError(f"unknown parameter {name!r}{_did_you_mean(name, RULES)}")
    if not rule.accepts(value):
        raise ParameterError(f"parameter {name!r} is {value!r}; allowed: {rule.allowed}")


def check_names(notebook: str, names) -> NotebookSpec:
    """Check that ``names`` are all parameters of ``notebook`` (before a papermill run, say)."""
    spec = notebook_spec(notebook)
    for name in names:
        if name not in spec.parameters:
            raise ParameterError(
                f"unknown parameter {name!r} for notebook {notebook}"
                f"{_did_you_mean(name, spec.parameters)}; its parameters are: "
                + ", ".join(spec.parameters))
    return spec


def notebook_spec(notebook: str) -> NotebookSpec:
    if notebook not in NOTEBOOKS:
        raise ParameterError(f"unknown notebook {notebook!r}; known notebooks: " + ", ".join(NOTEBOOKS))
    return NOTEBOOKS[notebook]


def resolve_profile(profile: str) -> str:
    """The profile in force: ``GANLIB_PROFILE`` from the environment wins over the notebook's."""
    from_env = os.environ.get(PROFILE_ENV)
    if from_env is not None:
        if from_env not in PROFILE_NAMES:
            raise ParameterError(f"environment variable {PROFILE_ENV} is {from_env!r}; allowed: "
                                 + RULES["profile"].allowed)
        return from_env
    check_parameter("profile", profile)
    return profile


def configure(notebook: str, namespace: dict[str, Any], echo: Callable[[str], None] | None = print) -> Config:
    """Validate a notebook's parameters, fill the ``None`` knobs from its profile, and say which profile.

    ``namespace`` is the notebook's ``globals()``: its parameters are read from there. In a notebook
    (IPython's input history ``In`` is in the namespace), the names assigned in the last run of the
    parameters cell and in papermill's injected cell (it starts with "# Parameters") are the
    parameters given, so a typo'd name papermill injected is an unknown parameter, while names that
    later cells defined (03's ``snapshots = 20``) do not stop a rerun of this cell. Without that
    history (a script, a test), every plain value in the namespace counts as a parameter given.

    ``echo`` (default ``print``) gets one line naming the profile in force and where it came from;
    the returned config keeps those words as ``config.profile_source``.
    """
    spec = notebook_spec(notebook)
    cells = _parameter_cells(namespace)
    given = _plain_values(namespace) if cells is None else [name for name in _assigned_names(*cells)
                                                             if name in namespace]
    try:
        check_names(notebook, given)
    except ParameterError as error:
        where = ("every plain value in the namespace counts as a parameter here, a name you defined yourself "
                 "too" if cells is None else "names assigned in the parameters cell or injected by papermill "
                 "count as parameters")
        raise ParameterError(f"{error} ({where})") from None
    missing = [name for name in spec.parameters if name not in namespace]
    if missing:
        raise ParameterError(f"notebook {notebook} lacks parameter(s) {', '.join(missing)}: "
                             "run the parameters cell first")
    profile = resolve_profile(namespace["profile"])
    values = Config(notebook=notebook, profile=profile)
    values.profile_source = profile_source(namespace["profile"], cells)
    if echo is not None:
        echo(f"Profile {profile!r}, from {values.profile_source}.")
    for name in spec.parameters:
        if name == "profile":
            continue
        value = _as_python(namespace[name])
        if value is None and name in spec.profiles.get(profile, {}):
            value = spec.profiles[profile][name]
        check_parameter(name, value)
        values[name] = value
    _check_together(values)
    if "artifacts_dir" in values:
        values["artifacts_dir"] = str(Path(values["artifacts_dir"]) if values["artifacts_dir"]
                                      else default_artifacts_dir(notebook))
    return values


def _as_python(value):
    """A NumPy scalar (``steps = counts[2]`` gives an np.int64) as the Python number it stands for: the
    rules ask for Python types, and so does json when the parameters go into metrics.json."""
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return value.item()
    return value


def _check_together(values: Config) -> None:
    """What each value allows alone but not with the others, or not on this machine: said here, before
    anything trains, rather than by a cell minutes later."""
    if "penalty_every" in values and values["n_critic"] % values["penalty_every"]:
        raise ParameterError(f"parameter 'penalty_every' is {values['penalty_every']!r}; allowed: an integer that "
                             f"divides n_critic ({values['n_critic']}), the critic steps it spreads the penalty over")
    if ("batch_size" in values and values.get("data_source") == "bundled"
            and not NOTEBOOKS[values.notebook].batch_shrinks_to_data):
        from ganlib import data

        needed = values["batch_size"] * values.get("n_critic", 1)   # each critic step takes its own batch
        if needed > data.BUNDLED_TRAINING_DIGITS:
            per_step = f" (x {values['n_critic']} critic steps)" if values.get("n_critic", 1) > 1 else ""
            raise ParameterError(f"parameter 'batch_size' is {values['batch_size']}{per_step}: one step needs "
                                 f"{needed:,} training digits and the bundled set has "
                                 f"{data.BUNDLED_TRAINING_DIGITS:,}; allowed: at most "
                                 f"{data.BUNDLED_TRAINING_DIGITS // values.get('n_critic', 1):,}, or "
                                 "data_source='mnist'")
    if values.get("generator_path") is not None and not Path(values["generator_path"]).is_file():
        raise ParameterError(f"parameter 'generator_path' is {values['generator_path']!r}, which is not a file "
                             f"(from the notebook's folder, {Path.cwd()}); allowed: a .keras generator a notebook "
                             "saved, or None for notebook 07's")
    if values.get("artifacts_dir") and Path(values["artifacts_dir"]).is_file():
        raise ParameterError(f"parameter 'artifacts_dir' is {values['artifacts_dir']!r}, which is a file; allowed: a "
                             "folder (made if missing), or None for artifacts/<notebook>")


def profile_source(notebook_profile: str, cells: tuple[str, list[str]] | None = None) -> str:
    """Where the profile in force came from, in words; says when ``GANLIB_PROFILE`` overrides another value.

    ``notebook_profile``: the value of ``profile`` in the notebook; ``cells``: the parameters cell and
    papermill's injected cells as they last ran (None when unknown).
    """
    if cells is None:
        set_by = "the notebook's parameters"
    elif "profile" in _assigned_names("", cells[1]):
        set_by = "papermill's injected parameters"
    else:
        set_by = "the parameters cell"
    from_env = os.environ.get(PROFILE_ENV)
    if from_env is None:
        return set_by
    if from_env == notebook_profile:
        return f"{PROFILE_ENV} (and {set_by}, which say the same)"
    return f"{PROFILE_ENV}, which overrides {notebook_profile!r} from {set_by}"


# Papermill's injected cell begins with this comment (its "injected-parameters" cell).
PAPERMILL_MARK = "# Parameters"
# Names IPython itself puts in a notebook's globals.
_IPYTHON_NAMES = {"In", "Out"}


def _parameter_cells(namespace: dict[str, Any]) -> tuple[str, list[str]] | None:
    """(the parameters cell, papermill's injected cells after it), as last run, from IPython's ``In``.

    The parameters cell is the last cell run that assigns ``profile`` and is not papermill's; None
    when there is no input history or no such cell in it.
    """
    history = namespace.get("In")
    if not isinstance(history, list):
        return None
    sources = [source for source in history if isinstance(source, str)]
    injected = [source.lstrip().startswith(PAPERMILL_MARK) for source in sources]
    found = [i for i, source in enumerate(sources) if not injected[i] and "profile" in _assigned_names(source)]
    if not found:
        return None
    return sources[found[-1]], [source for source, mark in zip(sources[found[-1]:], injected[found[-1]:]) if mark]


def _assigned_names(source: str, more: list[str] = ()) -> list[str]:
    """The names that plain top-level assignments in these cells give values to, in order."""
    names: list[str] = []
    for text in (source, *more):
        try:
            body = ast.parse(text).body
        except SyntaxError:
            continue
        for node in body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            names += [target.id for target in targets if isinstance(target, ast.Name) and target.id not in names]
    return names


def _plain_values(namespace: dict[str, Any]) -> list[str]:
    # Exact types: a Config left by an earlier run of the configure cell is not a parameter.
    plain = (str, int, float, bool, type(None), list, tuple, dict)
    return [name for name, value in namespace.items()
            if not name.startswith("_") and name not in _IPYTHON_NAMES and type(value) in plain]


def _did_you_mean(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
