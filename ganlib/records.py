"""What a run leaves behind: ``generator.keras`` and its record ``metrics.json``, written safely.

Three things live here, because they are one promise (nothing half-written, nothing misread):

- :func:`atomic_path`, the one way the course writes a file that others read (records, checkpoints,
  saved generators): write to a temporary name beside the target, then rename. An interrupted or
  failed write leaves the previous file as it was and no temporary file behind.
- :class:`RunRecord`, the schema of ``metrics.json``, with its one writer :func:`save_run`.
- :func:`load`, the one reader: every tool and notebook that reads a record goes through it, so a
  damaged or foreign file gets an error that names it instead of a ``KeyError`` three cells later.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORD_NAME = "metrics.json"
GENERATOR_NAME = "generator.keras"
# The training animation notebooks 02-04 write beside the generator: it shows the run that trained it.
PROGRESS_NAME = "progress.gif"
# Temporary files are named ".<name>.<random>.partial<suffix>" beside the file they replace.
PARTIAL_MARK = ".partial"
# 1: the fields below without record_format, profile_source and checkpoint (records written before
# issue 17); 2: this layout. A reader accepts both; a newer number is refused with a clear error.
RECORD_FORMAT = 2


class RecordError(ValueError):
    """A ``metrics.json`` that cannot be read as a run record (damaged, foreign, or too new)."""


# ---------------------------------------------------------------------------------------------
# Writing files atomically


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; when the block ends without an error, move it onto ``path``.

    The temporary name keeps ``path``'s suffix (Keras and NumPy insist on ``.keras`` and ``.npz``)
    and starts with a dot. Whatever the block raises, the temporary file is removed and ``path``
    keeps its previous content. The file's bytes are flushed to disk before the rename, so a
    crash of the machine leaves the old file or the new one, not an empty one. A file replaced keeps
    its permissions, and a symbolic link its place: the file it points to is the one replaced.
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fresh name, not a file made by mkstemp: the writer creates it, with the usual permissions.
    partial = path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}{PARTIAL_MARK}{path.suffix}"
    try:
        yield partial
        descriptor = os.open(partial, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        if path.exists():
            os.chmod(partial, stat.S_IMODE(path.stat().st_mode))
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()


def remove_leftovers(path) -> list[Path]:
    """Delete temporary files that a killed writer of ``path`` left beside it; returns them.

    Only for folders with one writer (a run's checkpoint folder): another process's write in
    progress would look the same.
    """
    path = Path(path)
    leftovers = list(path.parent.glob(f".{path.name}.*{PARTIAL_MARK}{path.suffix}"))
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    return leftovers


def write_json(path, data) -> Path:
    """Write ``data`` as indented JSON, atomically (NumPy numbers and arrays become plain JSON)."""
    with atomic_path(path) as partial:
        text = json.dumps(data, indent=2, default=_jsonable)   # fails before anything is written
        partial.write_text(text + "\n")
    return Path(path)


def _jsonable(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


# ---------------------------------------------------------------------------------------------
# The run record


@dataclass
class RunRecord:
    """``metrics.json``: what one notebook run (or ``python -m ganlib train``) measured, for later readers.

    Fields, as written to the file:

    ``record_format``   int: the layout's version (:data:`RECORD_FORMAT`).
    ``notebook``        str or None: the notebook's name ("03_dcgan"); None for the command line.
    ``profile``         str or None: the profile in force ("smoke", "default", "full").
    ``profile_source``  str or None: where that profile came from (the parameters cell,
                        papermill, or ``GANLIB_PROFILE``, and what it overrode), as configure printed it.
    ``parameters``      dict: every resolved parameter of the run (the notebook's ``config``).
    ``steps``           int or None: generator steps actually taken (fewer than asked when a time
                        budget stopped training); None for a notebook that does not train.
    ``wall_seconds``    float or None: seconds of training, resumed parts included.
    ``final_losses``    dict name -> float: the last chunk's value of each tracked loss/statistic.
    ``metrics``         dict: the notebook's own measurements; the training notebooks store
                        ``metrics.evaluate_generator``'s measures here (``recognized_share``,
                        ``frechet_ratio``, ...), other notebooks their own results.
    ``headline``        {"name": str, "value": number or None} or None: the one number a table
                        of runs shows (``python -m ganlib course``, ``sweep``).
    ``checkpoint``      str or None: the checkpoint folder of the training run (``run-<key>``, under
                        ``checkpoints/``), which names the exact settings it was trained with.
    ``versions``        dict: python, tensorflow and keras versions that wrote it.
    """

    notebook: str | None
    profile: str | None
    parameters: dict[str, Any]
    steps: int | None
    wall_seconds: float | None
    final_losses: dict[str, float]
    metrics: dict[str, Any]
    headline: dict[str, Any] | None
    versions: dict[str, str]
    profile_source: str | None = None
    checkpoint: str | None = None
    record_format: int = RECORD_FORMAT

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        order = ["record_format", "notebook", "profile", "profile_source", "parameters", "steps", "wall_seconds",
                 "final_losses", "metrics", "headline", "checkpoint", "versions"]
        return {name: values[name] for name in order}


# What each field may hold: (a check, the words for an error).
_FIELDS = {
    "record_format": (lambda v: _is_int(v), "an integer"),
    "notebook": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "profile": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "profile_source": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "parameters": (lambda v: isinstance(v, dict), "an object"),
    "steps": (lambda v: v is None or _is_int(v), "an integer or null"),
    "wall_seconds": (lambda v: v is None or _is_number(v), "a number or null"),
    "final_losses": (lambda v: isinstance(v, dict) and all(_is_number(x) for x in v.values()),
                     "an object of numbers"),
    "metrics": (lambda v: isinstance(v, dict), "an object"),
    "headline": (lambda v: v is None or (isinstance(v, dict) and isinstance(v.get("name"), str)
                                         and "value" in v), 'null or {"name": ..., "value": ...}'),
    "checkpoint": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "versions": (lambda v: isinstance(v, dict), "an object"),
}
_ADDED_IN_FORMAT_2 = ("record_format", "profile_source", "checkpoint")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def from_dict(values, source: str = "a record") -> RunRecord:
    """A :class:`RunRecord` from a parsed ``metrics.json``; :class:`RecordError` naming ``source`` if it is not one."""
    advice = ("rerun the notebook (or command) that writes it, or delete it")
    if not isinstance(values, dict):
        raise RecordError(f"{source} is not a run record: it holds a JSON {type(values).__name__}, "
                          f"not an object with the fields {', '.join(_FIELDS)}; {advice}")
    record_format = values.get("record_format", 1)
    if not _is_int(record_format) or record_format < 1:
        raise RecordError(f"{source}: record_format is {record_format!r}; allowed: 1 to {RECORD_FORMAT}")
    if record_format > RECORD_FORMAT:
        raise RecordError(f"{source} was written in record format {record_format} by a newer ganlib; this one "
                          f"reads formats 1 to {RECORD_FORMAT}: update the course (git pull, make course)")
    required = [name for name in _FIELDS if record_format >= 2 or name not in _ADDED_IN_FORMAT_2]
    missing = [name for name in required if name not in values]
    if missing:
        raise RecordError(f"{source} is not a run record that ganlib wrote: it lacks the field(s) "
                          f"{', '.join(missing)}; {advice}")
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise RecordError(f"{source} is not a run record that ganlib wrote: unknown field(s) {', '.join(unknown)}")
    for name, (accepts, allowed) in _FIELDS.items():
        if name in values and not accepts(values[name]):
            raise RecordError(f"{source}: field {name!r} is {values[name]!r}; allowed: {allowed}; {advice}")
    return RunRecord(**{**values, "record_format": RECORD_FORMAT})


def load(path) -> RunRecord:
    """Read the run record at ``path`` (a ``metrics.json``, or the folder that holds one).

    Raises ``FileNotFoundError`` when there is none, and :class:`RecordError`, naming the file and
    what is wrong with it, when it is damaged (not JSON) or not a run record.
    """
    path = Path(path)
    if path.is_dir():
        path = path / RECORD_NAME
    if not path.is_file():
        raise FileNotFoundError(f"no run record at {path}: run the notebook that writes it first")
    try:
        values = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RecordError(f"{path} is damaged (not valid JSON: {error}); rerun the notebook (or command) "
                          "that writes it, or delete it") from None
    return from_dict(values, source=str(path))


def save_run(artifacts_dir, generator, config: dict, run=None, metrics: dict | None = None,
             headline: tuple[str, float] | None = None) -> Path:
    """Write ``generator.keras`` (unless ``generator`` is None) and ``metrics.json`` under ``artifacts_dir``.

    The one writer of run records. ``config``: the run's parameters (a notebook's ``config``);
    ``run``: what ``training.train`` returned; ``metrics``: the run's measurements; ``headline``:
    (name, value) of the number a table of runs shows. Each file is written atomically, and the old
    record is deleted once the new generator is complete, just before it replaces the old one, so an
    interrupted save leaves the previous run's files, or a generator without a record, never a mix.
    With ``generator`` None, the ``generator.keras`` and ``progress.gif`` that an earlier run left in
    the folder are deleted: the new record does not describe them, and readers
    (``pretrained.course_generator``) take a generator and the record beside it as one run.
    Returns the folder.
    """
    import keras
    import tensorflow as tf

    folder = Path(artifacts_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for name in (GENERATOR_NAME, RECORD_NAME):   # what a save killed midway left (one run writes here)
        remove_leftovers(folder / name)
    if generator is not None:
        with atomic_path(folder / GENERATOR_NAME) as partial:
            generator.save(partial)
            # The new generator is complete and about to replace the old: the old record goes now, so a
            # save stopped before the new record is written never leaves the old record beside it.
            (folder / RECORD_NAME).unlink(missing_ok=True)
    else:   # before the record: stopped in between, the folder holds the old record and no generator
        for name in (GENERATOR_NAME, PROGRESS_NAME):
            (folder / name).unlink(missing_ok=True)
    record = RunRecord(
        notebook=config.get("notebook"),
        profile=config.get("profile"),
        profile_source=getattr(config, "profile_source", None),
        parameters={name: value for name, value in config.items() if name != "notebook"},
        steps=run.steps if run else None,
        wall_seconds=round(run.wall_seconds, 2) if run else None,
        final_losses=run.final() if run else {},
        metrics=dict(metrics or {}),
        headline={"name": headline[0], "value": headline[1]} if headline else None,
        checkpoint=run.checkpoint_dir.name if run is not None and run.checkpoint_dir is not None else None,
        versions={"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__},
    )
    values = json.loads(json.dumps(record.to_dict(), default=_jsonable))   # NumPy numbers -> plain JSON
    from_dict(values, source=f"the record for {folder / RECORD_NAME}")   # what we write, we can read
    write_json(folder / RECORD_NAME, values)
    return folder
