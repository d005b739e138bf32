"""Running notebooks with papermill: the whole course in order, or one notebook with parameters."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ganlib import course


@dataclass
class NotebookResult:
    notebook: str
    wall_seconds: float
    status: str          # "ok" or the error's first line
    headline: str        # "name = value" from the run's metrics.json, or "-"


def notebooks_in(folder) -> list[Path]:
    """The course's notebooks in reading order (the number in front of each name)."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def run_notebook(path, output_path, parameters: dict | None = None) -> NotebookResult:
    """Execute one notebook with papermill, after checking the parameter names it will be given."""
    import papermill

    path = Path(path)
    parameters = dict(parameters or {})
    course.check_names(path.stem, parameters)
    for name, value in parameters.items():
        course.check_parameter(name, value)
    # The kernel spec runs `python`: make sure that is this environment's python.
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    Path(output_path).parent.mkdir(parents=True, exist_ok=True)
    started_at, start = time.time(), time.perf_counter()
    status = "ok"
    try:
        papermill.execute_notebook(str(path), str(output_path), parameters=parameters,
                                   cwd=str(path.parent), kernel_name="python3",
                                   progress_bar=False, log_output=False)
    except papermill.PapermillExecutionError as error:
        status = f"failed: {error.ename}: {error.evalue}".splitlines()[0]
    wall_seconds = time.perf_counter() - start
    artifacts_dir = parameters.get("artifacts_dir") or course.default_artifacts_dir(path.stem)
    headline = _headline(Path(artifacts_dir) / "metrics.json", written_after=started_at)
    return NotebookResult(path.stem, wall_seconds, status, headline)


def run_course(notebooks_dir, out_dir=None, profile: str = "default", in_place: bool = False):
    """Execute every notebook in order at ``profile``; stop at the first failure (later ones need it)."""
    results = []
    for path in notebooks_in(notebooks_dir):
        output = path if in_place else Path(out_dir) / path.name
        print(f"running {path.name} at profile {profile!r} ...", flush=True)
        # The notebooks' own profile is "default": inject nothing then, so an in-place render
        # leaves the committed notebook's cells exactly as they were.
        result = run_notebook(path, output, {} if profile == "default" else {"profile": profile})
        if in_place:
            strip_run_metadata(path)
        results.append(result)
        print(f"  {result.status} in {result.wall_seconds:.1f} s", flush=True)
        if result.status != "ok":
            break
    return results


def strip_run_metadata(path) -> None:
    """Drop papermill's per-cell timings and run record, which would churn every committed diff."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.pop("papermill", None)
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, path)


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
        headline = json.loads(metrics_path.read_text())["headline"]
        return f"{headline['name']} = {headline['value']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "-"
