"""Checkpoints: a GAN's whole training state, written atomically, resumed from, and keyed by its settings.

A checkpoint holds every variable training depends on (both networks, the generator's weight
average, both optimizers' state, the noise generator's state), the fixed-noise sample grids, the
history so far and the quality trackers' records (``callbacks.QualityTracker``), in one ``.npz``
file written under a temporary name and then renamed (``records.atomic_path``): a crash in the
middle of a write leaves the previous checkpoint as it was. Nothing is pickled; the file holds only
arrays and a JSON string.

Each run's checkpoint lives in a folder named after its *run key* (:func:`run_key`): everything that
decides the run's trajectory. A rerun with the same settings finds its own folder and resumes; a
rerun with any setting changed gets another folder, so it never resumes, or returns, a model
trained with other settings.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ganlib import records

FILE_NAME = "checkpoint.npz"
FOLDER_NAME = "checkpoints"   # train(artifacts_dir=A) keeps its runs in A/checkpoints/run-<key>/
# Version of the run key's layout: checkpoints written under another layout are never resumed.
RUN_KEY_VERSION = 2


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used with this model or these settings."""


def fingerprint(settings: dict) -> str:
    """A short, stable name for a set of run settings (the checkpoint's subfolder)."""
    return "run-" + hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def run_key(gan, images, labels=None, *, steps: int, snapshots: int, batch_size: int, seed: int,
            time_budget: float | None = None) -> dict:
    """Everything that decides where a training run goes, as a JSON-ready dict.

    - ``key_version``: this layout's version (:data:`RUN_KEY_VERSION`);
    - ``model``: the GAN's class (a subclass may train differently);
    - ``generator``, ``discriminator``: a hash of each network's architecture, its Keras config
      (layers, sizes, activations, initializers, dtypes, trainable flags) with the layer names that
      Keras numbers per process (dense_3) replaced by their position;
    - ``latent_dim``, ``loss``, ``n_critic``, ``gp_weight``, ``penalty_every``, ``clip_value``, ``label_smoothing``,
      ``ema_decay``, ``num_classes``, ``augment``, ``noise_seed``: the GAN's own settings;
    - ``g_optimizer``, ``d_optimizer``: each optimizer's class and full config (learning rate or
      schedule, betas, epsilon, clipping, weight decay, ...) without its numbered name;
    - ``execution``: "xla", "graph" or "eager" (XLA fuses operations, which changes the rounding);
    - ``data``: the training images' count, shape and a hash of their content (which covers their
      source), and whether labels were given (their hash joins it);
    - ``batch_size``, ``seed`` (the data order), ``steps`` (rounded up to whole chunks),
      ``snapshots``, ``time_budget``: the ``train`` call's settings.

    Not in it: the networks' starting weights. They follow from the seed the networks were built
    with, and a notebook rerun after an interruption passes the partly trained networks back in,
    which must resume, not start over. Nor the device: a GPU rounds differently from a CPU.
    """
    key = {
        "key_version": RUN_KEY_VERSION,
        "model": f"{type(gan).__module__}.{type(gan).__qualname__}",
        "generator": architecture_hash(gan.generator),
        "discriminator": architecture_hash(gan.discriminator),
        "latent_dim": gan.latent_dim,
        "loss": gan.loss_name,
        "n_critic": gan.n_critic,
        "gp_weight": gan.gp_weight,
        "penalty_every": getattr(gan, "penalty_every", 1),
        "clip_value": gan.clip_value,
        "label_smoothing": gan.label_smoothing,
        "ema_decay": gan.ema_decay,
        "num_classes": gan.num_classes,
        "augment": bool(getattr(gan, "augment", False)),
        "noise_seed": gan.seed,
        "g_optimizer": optimizer_settings(gan.g_optimizer),
        "d_optimizer": optimizer_settings(gan.d_optimizer),
        "execution": "eager" if gan.run_eagerly else ("xla" if gan.jit_compile else "graph"),
        "data": data_fingerprint(images, labels),
        "batch_size": batch_size,
        "seed": seed,
        "steps": steps,
        "snapshots": snapshots,
        "time_budget": time_budget,
    }
    # As it reads back from a checkpoint's JSON (tuples become lists, NumPy numbers plain ones).
    return json.loads(json.dumps(key, default=_plain))


def architecture_hash(model) -> str:
    """A short hash of a network's architecture, the same for the same architecture built twice."""
    try:
        config = model.get_config()
    except NotImplementedError:   # a subclassed model without get_config: its layers and shapes
        config = [(type(layer).__name__, [list(w.shape) for w in layer.weights]) for layer in model.layers]
    # Keras numbers layer names per process (dense, dense_1, ...): the same network built a second
    # time is called differently. Replace every name by its order of appearance.
    names: dict[str, str] = {}

    def collect(node):
        if isinstance(node, dict):
            for name, value in node.items():
                if name == "name" and isinstance(value, str):
                    names.setdefault(value, f"#{len(names)}")
                collect(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                collect(value)

    def rename(node):
        if isinstance(node, dict):
            return {name: rename(value) for name, value in node.items()}
        if isinstance(node, (list, tuple)):
            return [rename(value) for value in node]
        return names.get(node, node) if isinstance(node, str) else node

    collect(config)
    text = json.dumps(rename(config), sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def optimizer_settings(optimizer) -> dict:
    """An optimizer's class and config, without the name Keras numbers per process (adam_3)."""
    config = {name: value for name, value in optimizer.get_config().items() if name != "name"}
    return {"class": f"{type(optimizer).__module__}.{type(optimizer).__qualname__}", **config}


def data_fingerprint(images, labels=None) -> dict:
    """Count, shape and content hash of the training data (images as float32, labels as int32)."""
    images = np.ascontiguousarray(images, dtype=np.float32)
    digest = hashlib.sha256(images)
    if labels is not None:
        digest.update(np.ascontiguousarray(labels, dtype=np.int32))
    return {"count": len(images), "shape": list(images.shape[1:]), "labels": labels is not None,
            "sha256": digest.hexdigest()[:16]}


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return repr(value)   # anything else Keras puts in a config: its repr is stable enough to compare


def differences(old: dict, new: dict, limit: int = 3) -> str:
    """The settings that differ between two run keys, in a few words: "g_optimizer.learning_rate 0.0002 -> 0.01"."""
    if old.get("key_version") != new.get("key_version"):
        return "it was written by another version of ganlib, whose run keys cover other settings"
    flat_old, flat_new = _flatten(old), _flatten(new)
    names = list(flat_new) + [name for name in flat_old if name not in flat_new]   # in the key's order
    changed = [name for name in names if flat_old.get(name) != flat_new.get(name)]
    # Another optimizer class: its class says it all, not each of its config entries.
    new_classes = {name[:-len("class")] for name in changed if name.endswith(".class")}
    changed = [name for name in changed if name.endswith(".class") or not name.startswith(tuple(new_classes))]
    words = [f"{name} {_short(name, flat_old.get(name))} -> {_short(name, flat_new.get(name))}"
             for name in changed[:limit]]
    if len(changed) > limit:
        words.append(f"and {len(changed) - limit} more")
    return ", ".join(words)


def _flatten(key: dict, prefix: str = "") -> dict:
    flat = {}
    for name, value in key.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[prefix + name] = value
    return flat


def _short(name: str, value) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:.6g}"
    if name.endswith("class") or name == "model":
        return str(value).rsplit(".", 1)[-1]   # keras.src.optimizers.adam.Adam -> Adam
    if isinstance(value, str) and len(value) == 16 and all(c in "0123456789abcdef" for c in value):
        return value[:6]   # a hash: enough to see that it changed
    return str(value)


def read_meta(folder) -> dict | None:
    """The settings and progress stored in ``folder``'s checkpoint, without loading its arrays; None if unreadable."""
    try:
        with np.load(Path(folder) / FILE_NAME, allow_pickle=False) as stored:
            return json.loads(str(stored["meta"]))
    except Exception:   # missing, truncated or foreign: the caller only wants to describe it
        return None


def fresh_run_notice(root, folder, key: dict) -> str | None:
    """One line for a run that starts afresh in ``folder`` while ``root`` holds other runs' checkpoints.

    It names the most recent other run and the settings that differ from it; None when ``root``
    holds no other checkpoint (a first run says nothing). Folders are named from ``root``'s own
    name on (checkpoints/run-...), which keeps the line short and free of machine paths.
    """
    root = Path(root)
    others = [path.parent for path in root.glob(f"*/{FILE_NAME}") if path.parent != Path(folder)]
    if not others:
        return None
    latest = max(others, key=lambda other: (other / FILE_NAME).stat().st_mtime)
    meta = read_meta(latest)
    if meta is None or not isinstance(meta.get("run"), dict):
        why = "cannot be read"
    else:
        why = f"is from other settings ({differences(meta['run'], key)})"
    return f"Starting a fresh run in {root.name}/{Path(folder).name}: the one in {root.name}/{latest.name} {why}."


def training_variables(gan) -> list:
    """Every variable that training reads or writes, in a fixed order."""
    networks = [gan.generator, gan.discriminator] + ([gan.ema_generator] if gan.ema_generator is not None else [])
    for optimizer, network in ((gan.g_optimizer, gan.generator), (gan.d_optimizer, gan.discriminator)):
        if not optimizer.built:
            # An optimizer creates its slots on first use; create them now so they can be saved or restored.
            optimizer.build(network.trainable_variables)
    return ([v for network in networks for v in network.weights]
            + list(gan.g_optimizer.variables) + list(gan.d_optimizer.variables) + [gan.seed_generator.state])


def save(folder, gan, meta: dict, arrays: dict[str, np.ndarray] | None = None) -> Path:
    """Write the checkpoint for ``gan`` into ``folder``, atomically; returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    contents = {f"variable_{i}": np.asarray(v.numpy()) for i, v in enumerate(training_variables(gan))}
    contents.update({f"array_{name}": np.asarray(value) for name, value in (arrays or {}).items()})
    contents["meta"] = np.array(json.dumps(meta, default=_plain))   # trackers' records hold numpy numbers
    # A write that a killed process left half done is of no use to anyone: clear it away.
    records.remove_leftovers(folder / FILE_NAME)
    with records.atomic_path(folder / FILE_NAME) as partial:
        np.savez(partial, **contents)
    return folder / FILE_NAME


def restore(folder, gan, run_key: dict | None = None) -> tuple[dict, dict[str, np.ndarray]] | None:
    """Load the checkpoint in ``folder`` into ``gan``; returns (meta, arrays), or None if there is none.

    With ``run_key``, a checkpoint stored under another key is refused. Every check comes before the
    first variable is assigned, so a refused checkpoint leaves ``gan`` as it was.
    """
    path = Path(folder) / FILE_NAME
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            contents = {name: stored[name] for name in stored.files}
        meta = json.loads(str(contents["meta"]))
    except Exception as error:  # a truncated or foreign file: numpy and zipfile raise several types
        raise CheckpointError(f"{path} cannot be read ({error}); delete it to start training afresh") from error
    # A folder copied or renamed by hand, or two keys with the same 12-hex-digit name.
    if run_key is not None and meta.get("run") != run_key:
        stored_key = meta.get("run") if isinstance(meta.get("run"), dict) else {}
        raise CheckpointError(f"the checkpoint in {folder} is from a run with other settings "
                              f"({differences(stored_key, run_key)}); delete it to start afresh")
    variables = training_variables(gan)
    stored_count = sum(name.startswith("variable_") for name in contents)
    if stored_count != len(variables):
        raise CheckpointError(f"{path} holds {stored_count} variables but this model has {len(variables)}: "
                              "it was written for another model; delete it or use another artifacts_dir")
    for i, variable in enumerate(variables):
        value = contents[f"variable_{i}"]
        if tuple(value.shape) != tuple(variable.shape):
            raise CheckpointError(f"{path}: variable {i} ({variable.path}) has shape {value.shape} there but "
                                  f"{tuple(variable.shape)} here: it was written for another model")
    for i, variable in enumerate(variables):
        variable.assign(contents[f"variable_{i}"])
    arrays = {name[len("array_"):]: value for name, value in contents.items() if name.startswith("array_")}
    return meta, arrays
