"""Run the code a notebook teaches, outside the notebook, so tests can tie it to ganlib's version.

A notebook writes an idea out in full in cells tagged ``teaching`` (a train step, the networks, the
gradient penalty); ganlib holds the version the rest of the course reuses. ``teaching_namespace``
executes the notebook's setup cells (its imports) and then its ``teaching`` cells, in order, and
returns the names they define, so a test can call both versions on the same inputs.
"""

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TAG = "teaching"


def teaching_cells(path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])]


def teaching_namespace(path) -> dict:
    """The names defined by the setup cells (before the parameters cell) and the teaching cells."""
    notebook = nbformat.read(path, as_version=4)
    parameters_at = next(i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", []))
    setup = [cell.source for cell in notebook.cells[:parameters_at] if cell.cell_type == "code"
             and "check_environment" not in cell.source]
    sources = setup + teaching_cells(path)
    if len(sources) == len(setup):
        raise LookupError(f"{Path(path).name} has no cell tagged {TAG!r}")
    namespace: dict = {"__name__": f"teaching_{Path(path).stem}"}
    for source in sources:
        exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 - the course's own notebooks
    return namespace
