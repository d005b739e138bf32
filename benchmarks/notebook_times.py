"""How long each notebook takes, kernel start included, and the peak memory of its kernel.

    .venv/bin/python benchmarks/notebook_times.py run --variant default [--only 02 03]
    .venv/bin/python benchmarks/notebook_times.py table        (prints the table the guides show)
    .venv/bin/python benchmarks/notebook_times.py cells --variant default   (where each notebook's time went)

A variant is a profile (``smoke``, ``default``, ``full``), or ``pretrained``: the default profile
with ``pretrained = True`` given to every notebook that has that parameter (the shipped generators
instead of training). Each notebook runs through papermill in a child process, in order, as
``make course`` runs them (so later notebooks find the earlier ones' artifacts under artifacts/),
and its wall time and the peak resident memory of that process tree (the kernel is the largest)
are written to results/notebook-times-<variant>.json after every notebook: an interrupted run keeps
what it measured. Before each notebook a two-second matrix-multiply probe records the machine's speed
at that moment (``speed_probe_gflops``; the table's machines line shows its range), because machines
described the same way have run twice as fast in one session as in another. Each run writes its artifacts to
an empty folder of its own (``GANLIB_ARTIFACTS``), so no earlier run's checkpoint is resumed and the
reader's artifacts/ stays as it was. A rerun on another machine or with other parameters starts the
file afresh and says so, rather than mixing results. Heavy: run it under the shared CPU lock, on an idle machine,
e.g. ``flock /tmp/ganlib-cpu.lock .venv/bin/python benchmarks/notebook_times.py run --variant default``.

docs/build_instructors.py and the README's notebook map read these files through ``time_table``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
EXECUTED = ROOT / "build" / "notebook-times"   # the executed copies a run leaves, per variant
VARIANTS = ("smoke", "default", "full", "pretrained")
# Column titles, in the order the table shows them.
COLUMNS = {"smoke": "smoke", "default": "default", "full": "full", "pretrained": "default, shipped generators"}


def results_path(variant: str, results_dir: Path = RESULTS) -> Path:
    return Path(results_dir) / f"notebook-times-{variant}.json"


def notebooks(folder: Path = ROOT / "notebooks") -> list[Path]:
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def parameter_names(path: Path) -> set[str]:
    """The names the notebook's `parameters` cell assigns."""
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return set(re.findall(r"^([A-Za-z_]\w*)\s*=", cell.source, flags=re.M))
    return set()


def parameters_for(variant: str, path: Path) -> dict:
    if variant == "pretrained":
        return {"pretrained": True} if "pretrained" in parameter_names(path) else {}
    return {} if variant == "default" else {"profile": variant}


def machine() -> dict:
    """What the timings depend on; results from another machine are not mixed with these."""
    cpu = platform.processor() or platform.machine()
    try:
        names = re.findall(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), flags=re.M)
        cpu = names[0].strip() if names else cpu
    except OSError:
        pass
    import importlib.metadata as metadata

    versions = {}
    for package in ("tensorflow", "tensorflow-cpu", "keras", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return {"cpu": cpu, "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "python": platform.python_version(), "packages": versions}


def notebook_hash(path: Path) -> str:
    """sha256 of the notebook's cell sources (not its outputs): which version was timed."""
    import nbformat

    cells = nbformat.read(path, as_version=4).cells
    return hashlib.sha256("\0".join(c.cell_type + c.source for c in cells).encode()).hexdigest()[:16]


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def write_json(path: Path, value: dict) -> None:
    """Write under a temporary name, then rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as handle:
        json.dump(value, handle, indent=1)
        handle.write("\n")
    os.replace(handle.name, path)


def run_one(path: Path, parameters: dict, executed: Path, artifacts: Path) -> dict:
    """Run one notebook in a child process; its wall time, status, and the child tree's peak memory."""
    command = [sys.executable, __file__, "_child", str(path), str(executed), json.dumps(parameters)]
    environment = {**os.environ, "GANLIB_ARTIFACTS": str(artifacts)}
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=environment)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    try:
        result = json.loads(output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result = {"status": f"failed: the child process exited with {child.returncode}", "seconds": None}
    # ru_maxrss (KiB on Linux) of a waited-for child: the largest process in its tree, the kernel.
    result["peak_memory_mib"] = round(usage.ru_maxrss / 1024)
    return result


def run(variant: str, only: tuple[str, ...], results_dir: Path, executed_dir: Path) -> int:
    paths = [p for p in notebooks() if not only or p.stem.startswith(tuple(only))]
    if variant == "pretrained":
        # A notebook without the parameter runs exactly as at default: the table says so instead.
        paths = [p for p in paths if "pretrained" in parameter_names(p)]
    if not paths:
        raise SystemExit(f"no notebook matches {' '.join(only)}")
    target = results_path(variant, results_dir)
    here = machine()
    record = {"variant": variant, "machine": here, "notebooks": {}}
    if target.exists():
        previous = json.loads(target.read_text())
        if previous.get("machine") == here:
            record = previous
        else:
            print(f"{target.name} was measured on another machine or software ({previous.get('machine')}); "
                  "starting it afresh")
    # Every run starts from an empty artifacts folder, as a fresh clone does: a finished main run left
    # in artifacts/ would otherwise be resumed (same settings), and its training time not counted.
    artifacts = executed_dir / variant / "artifacts"
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    from ganlib.preflight import speed_probe   # NumPy's matmul speed (imports TensorFlow: here only)

    for path in paths:
        parameters = parameters_for(variant, path)
        print(f"{path.stem} at {variant} {parameters or ''} ...", flush=True)
        probe = speed_probe()
        result = run_one(path, parameters, executed_dir / variant / path.name, artifacts)
        record["notebooks"][path.stem] = {
            **result, "speed_probe_gflops": probe, "parameters": parameters,
            "notebook_sha256": notebook_hash(path), "commit": git_commit(),
            "measured": time.strftime("%Y-%m-%d %H:%M", time.localtime())}
        record["notebooks"] = dict(sorted(record["notebooks"].items()))
        write_json(target, record)
        seconds = result.get("seconds")
        print(f"  {result['status']}" + (f" in {seconds:.0f} s" if seconds is not None else "")
              + f", peak memory {result['peak_memory_mib']} MiB, speed probe {probe:g} GFLOP/s", flush=True)
    return 0 if all(r["status"] == "ok" for r in record["notebooks"].values()) else 1


def _child(path: str, executed: str, parameters: str) -> int:
    from ganlib import runs

    result = runs.run_notebook(Path(path), Path(executed), json.loads(parameters))
    print(json.dumps({"status": result.status, "seconds": round(result.wall_seconds, 1)}))
    return 0


# The table ----------------------------------------------------------------------------------


def load_results(results_dir: Path = RESULTS) -> dict[str, dict]:
    """variant -> its results file, for the variants measured so far."""
    found = {}
    for variant in VARIANTS:
        path = results_path(variant, results_dir)
        if path.exists():
            found[variant] = json.loads(path.read_text())
    return found


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def cell(entry: dict | None, variant: str = "", path_has_pretrained: bool = True) -> str:
    if variant == "pretrained" and not path_has_pretrained:
        return "as default"
    if entry is None:
        return "not measured"
    if entry.get("status") != "ok" or entry.get("seconds") is None:
        return "failed"
    return duration(entry["seconds"])


def time_table(results: dict[str, dict], names: list[str]) -> str:
    """A markdown table, one row per notebook, one column per measured variant; '' when none is."""
    measured = [v for v in VARIANTS if v in results]
    if not measured:
        return ""
    lines = ["| notebook | " + " | ".join(COLUMNS[v] for v in measured) + " | peak memory (default) |",
             "|---" * (len(measured) + 2) + "|"]
    with_parameter = {p.stem for p in notebooks() if "pretrained" in parameter_names(p)}

    def entry(v, name):
        # The shipped-generators column counts a notebook without the parameter at its default time.
        if v == "pretrained" and name not in with_parameter:
            return results.get("default", {}).get("notebooks", {}).get(name)
        return results[v]["notebooks"].get(name)

    for name in names:
        row = [cell(results[v]["notebooks"].get(name), v, name in with_parameter) for v in measured]
        default = results.get("default", {}).get("notebooks", {}).get(name)
        memory = f"{default['peak_memory_mib'] / 1024:.1f} GiB" if default and "peak_memory_mib" in default else "-"
        lines.append(f"| {name} | " + " | ".join(row) + f" | {memory} |")
    totals = []
    for v in measured:
        entries = [entry(v, n) for n in names]
        ok = all(e and e.get("status") == "ok" and e.get("seconds") is not None for e in entries)
        totals.append(duration(sum(e["seconds"] for e in entries)) if ok else "-")
    lines.append("| **all, in order** | " + " | ".join(totals) + " | |")
    return "\n".join(lines)


def machines_line(results: dict[str, dict]) -> str:
    """Where the table's figures come from: machine, software and dates, once per distinct setup."""
    columns_by_setup: dict[str, list[str]] = {}
    for variant, record in results.items():
        m = record.get("machine", {})
        dates = sorted(e.get("measured", "")[:10] for e in record.get("notebooks", {}).values())
        when = dates[0] if dates and dates[0] == dates[-1] else (f"{dates[0]} to {dates[-1]}" if dates else "?")
        packages = ", ".join(f"{k} {v}" for k, v in m.get("packages", {}).items())
        entries = record.get("notebooks", {})
        probed = {name: e["speed_probe_gflops"] for name, e in entries.items() if "speed_probe_gflops" in e}
        speed = ""
        if probed:   # the speed_probe of each notebook's run: a range when the machine's speed changed
            probes = sorted(probed.values())
            span = f"{probes[0]:g}" if probes[0] == probes[-1] else f"{probes[0]:g}-{probes[-1]:g}"
            where = ("each notebook" if len(probed) == len(entries) else
                     ", ".join(name[:2] for name in probed) + " (the older timings recorded none)")
            speed = f"; NumPy float32 matmul probe {span} GFLOP/s before {where}"
        setup = (f"{m.get('cpus', '?')} CPUs ({m.get('cpu', '?')}), Python {m.get('python', '?')}, {packages}; {when}"
                 f"{speed}")
        columns_by_setup.setdefault(setup, []).append(COLUMNS[variant])
    if len(columns_by_setup) == 1:
        return next(iter(columns_by_setup))
    return "; ".join(f"{', '.join(columns)}: {setup}" for setup, columns in columns_by_setup.items())


# Where the time goes -------------------------------------------------------------------------


def slowest_cells(executed: Path, top: int = 5) -> tuple[float, list[tuple[float, str, str]]]:
    """An executed notebook's code cells by papermill's recorded duration, slowest first:
    (total seconds of its code cells, [(seconds, cell id, first line of the cell), ...])."""
    import nbformat

    timed = []
    for cell in nbformat.read(executed, as_version=4).cells:
        seconds = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell.cell_type == "code" and seconds is not None:
            timed.append((float(seconds), cell.get("id", "?"), cell.source.strip().split("\n")[0][:72]))
    timed.sort(key=lambda entry: -entry[0])
    return sum(entry[0] for entry in timed), timed[:top]


def cells_report(variant: str, executed_dir: Path, top: int = 5) -> str:
    """The slowest cells of each notebook that the last `run --variant` left executed."""
    copies = sorted(Path(executed_dir, variant).glob("[0-9][0-9]_*.ipynb"))
    if not copies:
        raise SystemExit(f"no executed notebooks under {Path(executed_dir, variant)}: "
                         f"run `notebook_times.py run --variant {variant}` first")
    lines = []
    for copy in copies:
        total, slowest = slowest_cells(copy, top)
        lines.append(f"{copy.stem}: {total:.0f} s in code cells")
        for seconds, cell_id, first in slowest:
            share = 100 * seconds / max(total, 1e-9)
            lines.append(f"  {seconds:6.0f} s  {share:3.0f}%  {cell_id:<16} {first}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    go = commands.add_parser("run", help="time the notebooks at one variant")
    go.add_argument("--variant", required=True, choices=VARIANTS)
    go.add_argument("--only", nargs="+", default=(), metavar="PREFIX", help="e.g. 02 03")
    go.add_argument("--results", type=Path, default=RESULTS)
    go.add_argument("--executed", type=Path, default=EXECUTED, help="where the executed copies go")
    commands.add_parser("table", help="print the table from the results recorded so far")
    where = commands.add_parser("cells", help="the slowest cells of each notebook the last run executed")
    where.add_argument("--variant", required=True, choices=VARIANTS)
    where.add_argument("--top", type=int, default=5)
    where.add_argument("--executed", type=Path, default=EXECUTED)
    child = commands.add_parser("_child")   # one notebook, in its own process (internal)
    child.add_argument("path")
    child.add_argument("executed")
    child.add_argument("parameters")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.variant, tuple(args.only), args.results, args.executed)
    if args.command == "_child":
        return _child(args.path, args.executed, args.parameters)
    if args.command == "cells":
        print(cells_report(args.variant, args.executed, args.top))
        return 0
    results = load_results()
    print(time_table(results, [p.stem for p in notebooks()]) or "no notebook timings recorded yet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
