"""The generators that ship with the course, so that nobody has to wait for a training run.

The four recipes (``ganlib.recipes.RECIPES``) are trained at the ``full`` profile of the notebook that
teaches each: ``"mlp"`` (notebook 02), ``"dcgan"`` (03), ``"wgan-gp"`` (04) and ``"conditional"`` (07),
plus the conditional recipe's discriminator (notebook 08's realism term in image repair). ``SHIPPED``
names those whose files are in this checkout. ``data/train_pretrained.py`` trains them all, one
script, and writes for each:

- ``data/pretrained/<name>.generator.npz``: the weight-averaged generator (``gan.sampler``);
- ``data/pretrained/<name>.json``: how it was trained (notebook, profile, steps, seconds) and the
  judge's measures on 2,000 samples of the float32 original and of the stored copy;
- its sha256 in ``data/pretrained/SHA256SUMS`` (``sha256sum -c`` reads it too), checked before a
  byte of the file is used, as ``ganlib.judge`` does for ``data/judge.keras``.

A notebook loads one in a line::

    generator = pretrained.load_generator("dcgan")                  # the shipped one
    generator, found = pretrained.course_generator("conditional")   # notebook 07's if saved, else shipped
    discriminator = pretrained.course_discriminator(found)          # the one that goes with it, or None

Storage. A float32 ``.keras`` file of the DCGAN or WGAN-GP generator is 6.9 MB (1.70 M parameters),
the MLP's 6.0 MB, the conditional one's 2.1 MB, and every committed binary stays in the repository's
history. So a shipped file is a NumPy ``.npz`` (nothing pickled) holding the model's Keras JSON config
and its weights, arrays of fewer than ``SMALL`` numbers (biases, batch-norm statistics) as float32 and
larger ones (kernels, embeddings) in one of ``FORMATS``: float16, or int8 / int4 with one float32 scale
per output channel (``LEVELS``). They are cast back to float32 when loaded: a notebook gets an
ordinary float32 Keras model. Sizes (zip-compressed): DCGAN 6.3 / 3.2 / 1.6 / 0.74 MB as float32 /
float16 / int8 / int4, MLP 5.5 / 2.8 / 1.4 / 0.63 MB, conditional 1.9 / 0.98 / 0.51 / 0.26 MB.

The rule: the training script judges the float32 original on 2,000 samples for three noise seeds
(the spread of each measure over them is the noise) and each format on the first seed's samples,
and stores the generator in the smallest format whose every measure is within that noise
(all figures: ``data/pretrained/formats.json``). Measured on the conditional generator (20,000 steps):

    format   size     recognized  agreement*  Frechet ratio  precision  recall  mean |pixel change|
    float32  1.92 MB  0.989       0.9945      1.669          0.856      0.684   0
    float16  0.98 MB  0.989       0.9945      1.669          0.856      0.684   0.00003
    int8     0.51 MB  0.989       0.9945      1.670          0.854      0.686   0.0014
    int4     0.26 MB  0.9905      0.995       1.676          0.868      0.660   0.027
    noise: float32 over noise seeds 0-2, max - min: 0.0065, 0.0045, 0.080, 0.038, 0.060
    (* the judge's most likely digit is the requested one)

so it ships as int4 (0.26 MB). The MLP generator (7,500 steps), same measures (no agreement):

    float32  5.54 MB  0.8495  -       2.925  0.902  0.646   0
    float16  2.77 MB  0.8495  -       2.925  0.902  0.646   0.00003
    int8     1.41 MB  0.849   -       2.926  0.902  0.648   0.0012
    int4     0.63 MB  0.847   -       2.889  0.912  0.628   0.021
    noise:                    0.006           0.169  0.008  0.076

where int4 moves precision by more than the noise (0.010 against 0.008): it ships as int8 (1.41 MB).
The DCGAN generator (12,000 steps):

    float32  6.33 MB  0.896   -       1.137  0.864  0.758   0
    float16  3.19 MB  0.896   -       1.137  0.864  0.758   0.00005
    int8     1.61 MB  0.897   -       1.137  0.864  0.754   0.0018
    int4     0.74 MB  0.887   -       1.171  0.884  0.752   0.032
    noise:                    0.0055          0.072  0.022  0.050

where int4 moves the recognized share by 0.009 against a noise of 0.0055: it ships as int8 (1.61 MB).
The WGAN-GP generator (10,000 steps), where every format stays within the noise:

    float32  6.33 MB  0.877   -       1.023  0.856  0.862   0
    float16  3.18 MB  0.877   -       1.023  0.856  0.862   0.00004
    int8     1.64 MB  0.8775  -       1.023  0.858  0.860   0.0013
    int4     0.76 MB  0.869   -       1.030  0.846  0.866   0.022
    noise:                    0.0265          0.026  0.046  0.022

so it ships as int4 (0.76 MB).
The conditional discriminator ships as float16 (0.14 MB): its logits move by at most 0.009 (spread
3.6) where int8 moved them by up to 0.30 and int4 by 9.0, too much for a term that notebook 08
differentiates through; the judge's measures do not apply to a discriminator.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganlib.records import atomic_path

NAMES = ("mlp", "dcgan", "wgan-gp", "conditional")   # the same four as ganlib.recipes.RECIPES
NOTEBOOK_OF = {"mlp": "02_article_gan", "dcgan": "03_dcgan", "wgan-gp": "04_wgan_gp",
               "conditional": "07_conditional_gan"}
DISCRIMINATORS = ("conditional",)                   # recipes whose discriminator ships too
# The ones whose files are in data/pretrained today. wgan-gp is trained by the same script; it joins
# this list when its run has finished (issue 18).
SHIPPED = ("mlp", "dcgan", "wgan-gp", "conditional")
PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "data" / "pretrained"
CHECKSUM_PATH = PRETRAINED_DIR / "SHA256SUMS"
TRAIN_COMMAND = "python data/train_pretrained.py"

FORMATS = ("float32", "float16", "int8", "int4")
SMALL = 4096          # arrays smaller than this stay float32: they cost little and hold the scales that matter
LEVELS = {"int8": 127, "int4": 7}   # symmetric integer grid: -levels .. +levels times a per-channel scale


class PretrainedError(RuntimeError):
    """A shipped model that is missing, fails its checksum, or does not fit where it is used."""


def _check_name(name: str, allowed=NAMES) -> None:
    if name not in allowed:
        raise ValueError(f"no shipped model named {name!r}; allowed: " + ", ".join(repr(n) for n in allowed))


def generator_path(name: str) -> Path:
    _check_name(name)
    return PRETRAINED_DIR / f"{name}.generator.npz"


def discriminator_path(name: str = "conditional") -> Path:
    _check_name(name, DISCRIMINATORS)
    return PRETRAINED_DIR / f"{name}.discriminator.npz"


def record_path(name: str) -> Path:
    _check_name(name)
    return PRETRAINED_DIR / f"{name}.json"


def record(name: str) -> dict:
    """How the shipped ``name`` was trained and what the judge measured (its JSON record)."""
    path = record_path(name)
    if not path.is_file():
        raise PretrainedError(f"the record of the shipped {name} model is not at {_shown(path)}: "
                              f"restore it with `git checkout data/`, or retrain with `{TRAIN_COMMAND} --only {name}`")
    return json.loads(path.read_text())


def load_generator(name: str):
    """The shipped generator ``name`` as a float32 Keras model (its checksum is checked first)."""
    return _load_verified(generator_path(name), name, "generator")


def load_discriminator(name: str = "conditional"):
    """The shipped discriminator of ``name`` (only "conditional" ships one): inputs [image, label], a logit."""
    return _load_verified(discriminator_path(name), name, "discriminator")


@dataclass(frozen=True)
class Found:
    """Where :func:`course_generator` found its generator. Prints as its one-line description."""

    recipe: str
    path: Path      # relative to the working directory where possible (no machine's absolute path in outputs)
    source: str     # "notebook 07" (what that notebook saved), "shipped", or "given" (a path passed in)
    record: dict    # the metrics.json beside a saved generator, or the shipped model's JSON record; {} if none
    line: str       # one line: which file, how it was trained, what the judge measured

    def __str__(self):
        return self.line


def course_generator(recipe: str, path=None, saved=None, verbose: bool = True):
    """The generator to use for ``recipe``: a given file, else the one its notebook saved, else the shipped one.

    ``path``: a ``.keras`` generator to load (it must exist). Without it, ``saved`` (default: the
    recipe's notebook's ``artifacts/<notebook>/generator.keras``) is used when that file exists, and
    the shipped generator otherwise, so a notebook runs on a fresh clone with nothing trained.
    Returns ``(generator, found)``; ``found`` (:class:`Found`) prints as one line saying which it is,
    and ``verbose`` prints that line. A generator of the wrong kind (unconditional where
    ``"conditional"`` is asked for, or the reverse) is refused rather than used.
    """
    _check_name(recipe)
    notebook = NOTEBOOK_OF[recipe]
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no generator at {path} (the path given); pass an existing .keras file, "
                                    f"or None for notebook {notebook[:2]}'s or the shipped one")
        found = _found_saved(recipe, path, "given")
    else:
        if saved is None:
            from ganlib import course

            saved = course.default_artifacts_dir(notebook) / "generator.keras"
        saved = Path(saved)
        found = _found_saved(recipe, saved, f"notebook {notebook[:2]}") if saved.is_file() else None
    if found is None:
        generator = load_generator(recipe)
        found = Found(recipe, _relative(generator_path(recipe)), "shipped", record(recipe), describe(recipe))
    else:
        generator = _load_keras(found.path, recipe)
    if verbose:
        print(found.line)
    return generator, found


def course_discriminator(found: Found):
    """The discriminator that goes with ``found``'s generator, or None where there is none.

    For the shipped generator, the shipped discriminator (only the conditional recipe ships one);
    for a saved one, ``discriminator.keras`` beside it, if the notebook saved one.
    """
    if found.source == "shipped":
        return load_discriminator(found.recipe) if found.recipe in DISCRIMINATORS else None
    beside = Path(found.path).parent / "discriminator.keras"
    if not beside.is_file():
        return None
    import keras

    return keras.models.load_model(beside, compile=False, safe_mode=True)


def describe(name: str) -> str:
    """One line: which shipped model, how it was trained, and how the judge scored it."""
    r = record(name)
    measures = r.get("judge_shipped", {})
    scores = f"recognized {measures['recognized_share']:.3f}" if "recognized_share" in measures else ""
    if "label_agreement" in measures:
        scores += f", agreement with the requested digit {measures['label_agreement']:.3f}"
    earlier = settings_since_changed(name)
    profile = (f"an earlier {r['profile']} profile of notebook {r['notebook'][:2]}, with "
               + ", ".join(f"{key} {value:g}" for key, value in earlier.items())) if earlier else (
               f"notebook {r['notebook'][:2]}'s {r['profile']} profile")
    return (f"the shipped {name} generator {_relative(generator_path(name))} ({profile}, {r['steps']:,} steps"
            + (f"; judge: {scores}" if scores else "") + ")")


# The settings that shape a trained model (run lengths are named by the step count instead).
SHAPING_SETTINGS = ("batch_size", "width", "hidden_units", "critic_hidden_units", "n_critic", "penalty_every",
                    "learning_rate")


def recipe_settings(name: str) -> dict:
    """The shaping settings that ``ganlib.recipes`` fixes for ``name`` (its learning rate; WGAN-GP's critic
    steps and penalized ones): what a notebook without a parameter for one trains with."""
    from ganlib import recipes

    return {"learning_rate": recipes.LEARNING_RATE[name],
            **({"n_critic": recipes.WGAN_N_CRITIC, "penalty_every": recipes.WGAN_PENALTY_EVERY}
               if name == "wgan-gp" else {})}


def settings_since_changed(name: str) -> dict:
    """The shaping settings the shipped ``name`` was trained with where its notebook's profile now
    differs (the recipes changed after it was trained), e.g. ``{"learning_rate": 0.0004}``; {} if none."""
    from ganlib import course

    r = record(name)
    # Today's settings: the notebook's profile, and the recipe's own where the notebook has no parameter.
    profile = {**recipe_settings(name), **course.NOTEBOOKS[r["notebook"]].profiles[r["profile"]]}
    trained = r.get("settings", {})
    return {key: trained[key] for key in SHAPING_SETTINGS
            if key in profile and key in trained and key not in r.get("profile_overrides", {})
            and trained[key] != profile[key]}


def verify(path) -> None:
    """Raise :class:`PretrainedError` unless ``path`` exists and matches its entry in SHA256SUMS."""
    path = Path(path)
    name = path.name.split(".")[0]
    restore = f"restore it with `git checkout data/`, or retrain it with `{TRAIN_COMMAND} --only {name}`"
    if not path.is_file():
        raise PretrainedError(f"the shipped model file {_shown(path)} is missing: {restore}")
    expected = _checksums().get(path.name)
    if expected is None:
        raise PretrainedError(f"{_shown(path)} has no entry in {_shown(CHECKSUM_PATH)}: {restore}")
    if sha256_of(path) != expected:
        raise PretrainedError(f"{_shown(path)} fails its checksum ({CHECKSUM_PATH.name}): the file is damaged "
                              f"or was replaced; {restore}")


def sha256_of(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_checksums() -> Path:
    """Rewrite SHA256SUMS for every shipped model file (the training script calls this)."""
    lines = [f"{sha256_of(path)}  {path.name}\n" for path in sorted(PRETRAINED_DIR.glob("*.npz"))]
    # Atomic: a truncated SHA256SUMS would make every shipped model fail verify().
    with atomic_path(CHECKSUM_PATH) as partial:
        partial.write_text("".join(lines))
    return CHECKSUM_PATH


# -- the compact file format ----------------------------------------------------------------------

def storage_note(format: str) -> dict:
    """How a file in ``format`` stores its weights, in words (for the JSON records)."""
    if format not in FORMATS:
        raise ValueError(f"format is {format!r}; allowed: " + ", ".join(repr(f) for f in FORMATS))
    words = {"float32": "as trained", "float16": "float16, cast back to float32 when loaded"}.get(
        format, f"{format}: one float32 scale per slice along the last axis (a Dense or Conv2D layer's output "
                f"channel), max |w| / {LEVELS.get(format)}; cast back to float32 when loaded")
    return {"format": format, "arrays_of_at_least": SMALL, "stored": words,
            "smaller_arrays": "float32 (biases, batch-norm statistics)"}


def save_compact(model, path, format: str = "int8") -> Path:
    """Write ``model`` (config and weights) to ``path`` as an ``.npz``, large arrays in ``format``."""
    if format not in FORMATS:
        raise ValueError(f"format is {format!r}; allowed: " + ", ".join(repr(f) for f in FORMATS))
    path = Path(path)
    arrays = {"config": np.array(model.to_json()), "format": np.array(format)}
    for i, weight in enumerate(model.get_weights()):
        arrays.update(_encode(f"w{i}", np.asarray(weight, np.float32), format))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(buffer.getvalue())
    partial.replace(path)   # a crash mid-write leaves the previous file as it was
    return path


def read_compact(path, into=None):
    """The Keras model stored at ``path`` by :func:`save_compact`, weights in float32 (no checksum check).

    ``into``: a freshly built model of the same architecture to load the weights into. Without it, a
    shipped file (``<name>.generator.npz`` or ``<name>.discriminator.npz`` with ``<name>.json`` beside
    it) is loaded into ganlib's own builders (:func:`build_network`), as the judge is, and any other
    file is rebuilt from its stored Keras config, which only the Keras version that wrote it is sure to
    read (Keras 3.12, the last for Python 3.10, refuses the config Keras 3.15 writes).
    """
    into = into if into is not None else _shipped_architecture(Path(path))
    try:
        opened = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):   # EOFError: an empty file   # not an .npz: NumPy's own words would suggest loading it unsafely
        opened = None
    if not isinstance(opened, np.lib.npyio.NpzFile):
        raise PretrainedError(f"{path} is not a compact model file written by save_compact; allowed: a .npz "
                              "from data/pretrained/ or from save_compact")
    with opened as stored:
        if into is None:
            import keras

            into = keras.models.model_from_json(str(stored["config"]))
        count = sum(1 for key in stored.files if key.startswith("w") and key.split(".")[0][1:].isdigit()
                    and not key.endswith(".scale"))
        if count != len(into.weights):
            raise ValueError(f"{path} holds {count} weight arrays; the model built for it has {len(into.weights)}")
        weights = [_decode(stored, f"w{i}", tuple(w.shape)) for i, w in enumerate(into.weights)]
    into.set_weights(weights)
    return into


def _shipped_architecture(path: Path):
    """A fresh network for a file named like a shipped one with its record beside it, else None."""
    parts = path.name.split(".")
    if len(parts) != 3 or parts[0] not in NAMES or parts[1] not in ("generator", "discriminator"):
        return None
    if parts[1] == "discriminator" and parts[0] not in DISCRIMINATORS:
        return None
    try:
        settings = json.loads((path.parent / f"{parts[0]}.json").read_text()).get("settings", {})
    except (OSError, ValueError):
        return None
    return build_network(parts[0], parts[1], settings)


def build_network(name: str, role: str = "generator", settings: dict | None = None):
    """A fresh, untrained network of the shipped ``name``'s architecture, from ganlib's builders and the
    settings of its record (``width``, ``hidden_units``)."""
    settings = settings or {}
    width = settings.get("width", 32)
    from ganlib import models, recipes

    if role == "discriminator":
        _check_name(name, DISCRIMINATORS)
        return models.build_projection_discriminator(width)
    _check_name(name)
    if name == "mlp":
        return models.build_mlp_generator(recipes.LATENT_DIM)
    if name == "conditional":
        return models.build_conditional_generator(recipes.LATENT_DIM, width)
    return models.build_dcgan_generator(recipes.LATENT_DIM, width,
                                        hidden_units=settings.get("hidden_units", recipes.DCGAN_HIDDEN_UNITS))


def _encode(key: str, weight: np.ndarray, format: str) -> dict:
    if format == "float32" or weight.size < SMALL:
        return {key: weight}
    if format == "float16":
        return {key + ".f16": weight.astype(np.float16)}
    levels = LEVELS[format]
    flat = weight.reshape(-1, weight.shape[-1])
    scale = np.abs(flat).max(axis=0) / levels
    scale[scale == 0] = 1.0   # an all-zero channel stays zero
    q = np.clip(np.rint(flat / scale), -levels, levels).astype(np.int8)
    if format == "int4":   # two signed 4-bit numbers per byte
        q = (q.ravel() & 0x0F).astype(np.uint8)
        q = np.concatenate([q, np.zeros(len(q) % 2, np.uint8)])
        q = q[0::2] | (q[1::2] << 4)
    return {key + "." + format: q, key + ".scale": scale.astype(np.float32)}


def _decode(stored, key: str, shape: tuple) -> np.ndarray:
    if key in stored:
        return stored[key]
    if key + ".f16" in stored:
        return stored[key + ".f16"].astype(np.float32)
    scale = stored[key + ".scale"]
    if key + ".int8" in stored:
        q = stored[key + ".int8"].astype(np.float32)
    else:
        packed = stored[key + ".int4"]
        nibbles = np.stack([packed & 0x0F, packed >> 4], axis=1).ravel()[:int(np.prod(shape))]
        q = np.where(nibbles > 7, nibbles.astype(np.int16) - 16, nibbles).astype(np.float32)
    return (q.reshape(-1, shape[-1]) * scale).reshape(shape)


# -- helpers ----------------------------------------------------------------------------------------

def _found_saved(recipe: str, path: Path, source: str) -> Found:
    try:
        saved = json.loads((path.parent / "metrics.json").read_text())
    except (OSError, ValueError):
        saved = {}
    saved = saved if isinstance(saved, dict) else {}
    steps, measures = saved.get("steps"), saved.get("metrics") or {}
    trained = [f"{saved['profile']} profile" if saved.get("profile") else "",
               f"{steps:,} steps" if isinstance(steps, int) else ""]
    scores = [f"{label} {measures[key]:.3f}" for key, label in
              (("recognized_share", "recognized"), ("label_agreement", "agreement with the requested digit"))
              if isinstance(measures.get(key), (int, float))]
    details = ", ".join(t for t in trained if t) + (f"; judge: {', '.join(scores)}" if scores else "")
    who = f"notebook {source[-2:]}'s" if source.startswith("notebook") else "the given"
    return Found(recipe, path, source, saved, f"{who} generator {path}" + (f" ({details})" if details else ""))


def _load_keras(path: Path, recipe: str):
    import keras

    from ganlib import sampling

    try:
        generator = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises several types (and misleading advice) for a damaged or foreign file
        raise PretrainedError(f"could not load {path} as a Keras generator ({type(error).__name__}: "
                              f"{str(error).splitlines()[0]}): pass a generator.keras a notebook saved, or None "
                              "for the shipped generator") from error
    try:
        sampling.check_generator(generator, path)
    except ValueError as error:
        raise PretrainedError(f"{error}: pass a generator's file, or None for the shipped generator") from None
    wanted = recipe == "conditional"
    if sampling.is_conditional(generator) != wanted:
        kind = ("a conditional generator (inputs: noise, digit)" if wanted
                else "an unconditional generator (input: noise)")
        raise PretrainedError(f"{path} is not {kind}, as the {recipe!r} recipe needs: pass another file, "
                              "or move this one away to use the shipped generator")
    return generator


def _load_verified(path: Path, name: str, role: str):
    if name not in SHIPPED and not path.is_file():
        raise PretrainedError(f"no trained {name} {role} ships with this version of the course yet: train it with "
                              f"`{TRAIN_COMMAND} --only {name}` (it lands in {_shown(path)}), or run notebook "
                              f"{NOTEBOOK_OF[name][:2]} and use the generator it saves")
    verify(path)
    try:
        return read_compact(path, into=build_network(name, role, record(name).get("settings", {})))
    except Exception as error:   # a file that passes its checksum but does not fit ganlib's builders
        raise PretrainedError(f"the shipped {name} {role} at {_shown(path)} passes its checksum but does not "
                              f"load ({type(error).__name__}: {error}); retrain it with "
                              f"`{TRAIN_COMMAND} --only {name}`") from error


def _checksums() -> dict[str, str]:
    if not CHECKSUM_PATH.is_file():
        return {}
    entries = (line.split() for line in CHECKSUM_PATH.read_text().splitlines() if line.strip())
    return {file_name.lstrip("*"): digest for digest, file_name in entries}


def _relative(path: Path) -> Path:
    """``path`` relative to the working directory, as ``course.default_artifacts_dir`` gives paths."""
    try:
        return Path(os.path.relpath(path))
    except ValueError:   # another drive (Windows)
        return Path(path)


def _shown(path: Path) -> str:
    """A shipped file's path relative to the course's folder (no machine's absolute path in outputs)."""
    try:
        return str(Path(path).resolve().relative_to(PRETRAINED_DIR.parents[1]))
    except ValueError:
        return str(path)
