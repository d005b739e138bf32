"""Checkpoints: a GAN's whole training state, written atomically, and resumed from.

A checkpoint holds every variable training depends on (both networks, the generator's weight
average, both optimizers' state, the noise generator's state), the fixed-noise sample grids and the
history so far, in one ``.npz`` file written under a temporary name and then renamed: a crash in the
middle of a write leaves the previous checkpoint as it was. Nothing is pickled; the file holds only
arrays and a JSON string.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

FILE_NAME = "checkpoint.npz"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used with this model or these settings."""


def fingerprint(settings: dict) -> str:
    """A short, stable name for a set of run settings (the checkpoint's subfolder)."""
    return "run-" + hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


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
    contents["meta"] = np.array(json.dumps(meta))
    handle, partial = tempfile.mkstemp(dir=folder, prefix=".checkpoint-", suffix=".npz.partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **contents)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, folder / FILE_NAME)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return folder / FILE_NAME


def restore(folder, gan) -> tuple[dict, dict[str, np.ndarray]] | None:
    """Load the checkpoint in ``folder`` into ``gan``; returns (meta, arrays), or None if there is none."""
    path = Path(folder) / FILE_NAME
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            contents = {name: stored[name] for name in stored.files}
        meta = json.loads(str(contents["meta"]))
    except Exception as error:  # a truncated or foreign file: numpy and zipfile raise several types
        raise CheckpointError(f"{path} cannot be read ({error}); delete it to start training afresh") from error
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
        variable.assign(value)
    arrays = {name[len("array_"):]: value for name, value in contents.items() if name.startswith("array_")}
    return meta, arrays
