"""Running notebooks with papermill: the whole course in order, or one notebook with parameters."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ganlib import course, records, stored_images


@dataclass
class NotebookResult:
    notebook: str
    wall_seconds: float
    status: str          # "ok" or the error's first line
    headline: str        # "name = value" from the run's metrics.json, or "-"


def notebooks_in(folder) -> list[Path]:
    """The course's notebooks in reading order (the number in front of each name)."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def _kernel_manager_class():
    """Where the system has Unix sockets, the kernel talks to papermill over them (IPC) rather than TCP:
    nothing listens on a port, and ipykernel has no reason to print its "Kernel is running over TCP
    without encryption" warning into the course's output, once per notebook."""
    from jupyter_client.manager import KernelManager
    from jupyter_core.utils import run_sync

    if os.name != "posix":
        return KernelManager

    class LocalSocketKernelManager(KernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.transport = "ipc"
            # The sockets' files go in a folder of their own, not the notebook's folder (jupyter_client's
            # default, "kernel-ipc-<port>" in the working directory), where a killed run would leave them.
            self._socket_dir = tempfile.mkdtemp(prefix="ganlib-kernel-")
            self.ip = os.path.join(self._socket_dir, "kernel-ipc")

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:   # a restarted kernel binds its sockets in the same folder again
                shutil.rmtree(self._socket_dir, ignore_errors=True)

        # The base class binds its synchronous alias to its own coroutine; nbclient calls the alias when
        # the kernel has already died (no shutdown), so it must reach the override too.
        cleanup_resources = run_sync(_async_cleanup_resources)

    return LocalSocketKernelManager


def run_notebook(path, output_path, parameters: dict | None = None) -> NotebookResult:
    """Execute one notebook with papermill, after checking the parameter names it will be given."""
    import papermill

    path = Path(path)
    parameters = dict(parameters or {})
    course.check_names(path.stem, parameters)
    for name, value in parameters.items():
        course.check_parameter(name, value)
    if parameters.get("artifacts_dir"):
        # Absolute: the notebook runs in notebooks/, where a relative path would mean another folder.
        parameters["artifacts_dir"] = str(Path(parameters["artifacts_dir"]).resolve())
    # The kernel spec runs `python`: make sure that is this environment's python.
    here = os.path.dirname(sys.executable)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != here:
        os.environ["PATH"] = here + os.pathsep + os.environ.get("PATH", "")
    Path(output_path).parent.mkdir(parents=True, exist_ok=True)
    started_at, start = time.time(), time.perf_counter()
    status = "ok"
    try:
        papermill.execute_notebook(str(path), str(output_path), parameters=parameters,
                                   cwd=str(path.parent), kernel_name="python3",
                                   progress_bar=False, log_output=False,
                                   kernel_manager_class=_kernel_manager_class())
    except papermill.PapermillExecutionError as error:
        status = f"failed: {error.ename}: {error.evalue}".splitlines()[0]
    wall_seconds = time.perf_counter() - start
    artifacts_dir = parameters.get("artifacts_dir") or course.default_artifacts_dir(path.stem)
    headline = _headline(Path(artifacts_dir) / records.RECORD_NAME, written_after=started_at)
    return NotebookResult(path.stem, wall_seconds, status, headline)


def run_course(notebooks_dir, out_dir=None, profile: str = "default", in_place: bool = False,
               only: tuple[str, ...] = ()):
    """Execute every notebook in order at ``profile``; stop at the first failure (later ones need it).

    ``only``: run just the notebooks whose names start with one of these prefixes ("02", "03_dcgan").
    """
    if any(not prefix.strip() for prefix in only):   # an empty prefix would match every notebook
        raise ValueError(f"--only got an empty name ({', '.join(repr(p) for p in only)}); allowed: notebook "
                         "numbers or name prefixes such as 02 or 03_dcgan")
    paths = [p for p in notebooks_in(notebooks_dir) if not only or p.stem.startswith(tuple(only))]
    if not paths:
        raise ValueError(f"no notebook in {notebooks_dir} matches {', '.join(only)}; allowed: prefixes of "
                         + ", ".join(p.stem for p in notebooks_in(notebooks_dir)))
    # GANLIB_PROFILE wins over the profile asked for here, in every notebook's configure cell (the tests
    # rely on it): say so, and refuse a value no notebook would accept before any kernel starts.
    in_force = course.resolve_profile(profile)
    shown = repr(profile) if in_force == profile else f"{in_force!r} ({course.PROFILE_ENV} overrides {profile!r})"
    results = []
    for path in paths:
        output = path if in_place else Path(out_dir) / path.name
        print(f"running {path.name} at profile {shown} ...", flush=True)
        # The notebooks' own profile is "default": inject nothing then, so an in-place render
        # leaves the committed notebook's cells exactly as they were.
        result = run_notebook(path, output, {} if profile == "default" else {"profile": profile})
        if in_place:
            store_render(path)
        results.append(result)
        print(f"  {result.status} in {result.wall_seconds:.1f} s", flush=True)
        if result.status != "ok":
            break
    return results


def sweep(notebook_path, out_dir, fixed: dict | None = None, vary: dict[str, list] | None = None) -> list[dict]:
    """Run one notebook for every combination of the ``vary`` values (with ``fixed`` for the rest).

    Each run gets its own ``artifacts_dir`` under ``out_dir``; returns one row per run: the
    parameters, the run's status and wall time, and its record (a ``records.RunRecord`` read from
    its metrics.json; None if the run failed or wrote none; a record that cannot be read makes the
    row's status say so).
    """
    notebook_path, out_dir = Path(notebook_path), Path(out_dir)
    fixed, vary = dict(fixed or {}), dict(vary or {})
    if "artifacts_dir" in {**fixed, **vary}:
        raise course.ParameterError("a sweep gives each run its own artifacts_dir under its output folder; "
                                    "allowed: any other parameter (choose the folder with --out)")
    both = sorted(set(fixed) & set(vary))
    if both:
        raise course.ParameterError(f"parameter {both[0]!r} is given both one value and several; allowed: each "
                                    "parameter once")
    for name, values in vary.items():
        if len(set(map(repr, values))) != len(values):
            raise course.ParameterError(f"parameter {name!r} repeats a value ({values}); allowed: each value once")
    # Every name and value checked before the first run: a typo in the last value must not wait for the
    # earlier runs to finish (minutes each).
    course.check_names(notebook_path.stem, {**fixed, **vary})
    for name, value in [*fixed.items(), *((name, v) for name, values in vary.items() for v in values)]:
        course.check_parameter(name, value)
    rows = []
    for values in itertools.product(*vary.values()):   # one empty combination when nothing varies
        chosen = dict(zip(vary, values))
        # Every given value names the folder, the fixed ones too: a sweep with other fixed settings into
        # the same --out must not overwrite (or mix with) this one's runs. No path separators in a name.
        label = re.sub(r"[^\w.=+-]", "_", "-".join(f"{name}={value}" for name, value in {**fixed, **chosen}.items())) \
            or "run"
        artifacts_dir = out_dir / notebook_path.stem / label
        parameters = {**fixed, **chosen, "artifacts_dir": str(artifacts_dir)}
        print(f"{notebook_path.stem} {label} ...", flush=True)
        result = run_notebook(notebook_path, artifacts_dir / "executed.ipynb", parameters)
        record = None
        if result.status == "ok" and (artifacts_dir / records.RECORD_NAME).exists():
            try:
                record = records.load(artifacts_dir / records.RECORD_NAME)
            except records.RecordError as error:
                result.status = f"failed: {error}"
        rows.append({"notebook": notebook_path.stem, "label": label, "parameters": parameters,
                     "status": result.status, "notebook_seconds": result.wall_seconds, "record": record})
        print(f"  {result.status} in {result.wall_seconds:.0f} s", flush=True)
    return rows


def store_render(path) -> None:
    """Make an in-place render fit to commit: drop papermill's per-cell timings and run record, which
    would churn every committed diff, and store the figures compactly (``stored_images``: the same
    pixels in fewer bytes). One read, one atomic write."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.pop("papermill", None)
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    stored_images.compact_images(notebook)
    with records.atomic_path(path) as partial:
        nbformat.write(notebook, partial)


def format_table(results) -> str:
    rows = [("notebook", "wall time", "status", "headline metric")]
    rows += [(r.notebook, f"{r.wall_seconds:.1f} s", r.status, r.headline) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _headline(metrics_path: Path, written_after: float) -> str:
    """The headline metric of a metrics.json that this run wrote (an older one says nothing of it)."""
    try:
        if metrics_path.stat().st_mtime < written_after:
            return "-"
        headline = records.load(metrics_path).headline
    except OSError:
        return "-"
    except records.RecordError:
        return "unreadable metrics.json"
    return "-" if headline is None else f"{headline['name']} = {headline['value']}"
