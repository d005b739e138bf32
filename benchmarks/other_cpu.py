"""One notebook executed on this machine at the default profile, its printed output set beside the committed render's.

    flock /tmp/ganlib-cpu.lock .venv/bin/python benchmarks/other_cpu.py 05

A seeded run gives the same numbers on one kind of machine, but not across CPUs: TensorFlow's float
kernels differ with the instruction set (AVX-512 or only AVX2), so the same seeded game takes another
path. This script records how far that goes for one notebook: it executes the notebook (papermill,
the default profile, its artifacts in a fresh folder of their own, so nothing is resumed) and writes
results/other-cpu-<notebook>.json: the machine (CPU model, whether it has AVX-512, NumPy's float32
matmul speed and the DCGAN recipe's training speed, as ``make check`` measures it, just before the
run), the commit, and for every code cell whose printed text differs
from the committed render's, both texts. Cells that print the same are counted, not listed.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import notebook_times   # benchmarks/: the notebooks, the machine description, atomic writes

ROOT = Path(__file__).resolve().parents[1]


def printed_text(cell) -> str:
    """What a code cell printed: its streams and plain-text results, in order (figures as their repr line)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif "text/plain" in output.get("data", {}):
            parts.append(output["data"]["text/plain"])
    return "".join("".join(part) if isinstance(part, list) else part for part in parts)


def avx512() -> bool | None:
    try:
        return bool(re.search(r"\bavx512f\b", Path("/proc/cpuinfo").read_text()))
    except OSError:
        return None


def compare(committed, executed) -> tuple[int, list[dict]]:
    """Cells printing the same text, and the cells that differ (id, committed text, this machine's)."""
    same, different = 0, []
    by_id = {cell.get("id"): cell for cell in executed.cells if cell.cell_type == "code"}
    for cell in committed.cells:
        if cell.cell_type != "code" or cell.get("id") not in by_id:
            continue
        before, now = printed_text(cell), printed_text(by_id[cell.get("id")])
        if before == now:
            same += 1
        else:
            different.append({"cell": cell.get("id"), "committed": before, "this machine": now})
    return same, different


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", help="a notebook's number or name prefix, e.g. 05")
    args = parser.parse_args(argv)
    matches = [p for p in notebook_times.notebooks() if p.stem.startswith(args.notebook)]
    if len(matches) != 1:
        names = ", ".join(p.stem for p in notebook_times.notebooks())
        parser.error(f"{args.notebook!r} names {len(matches)} notebooks; allowed: one of {names}")
    path = matches[0]

    import nbformat

    from ganlib import runs
    from ganlib.preflight import dcgan_trial, speed_probe   # make check's speed, and the time table's probe

    probe, dcgan = speed_probe(), dcgan_trial().steps_per_second
    executed_path = ROOT / "build" / "other-cpu" / path.name
    executed_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="other-cpu-") as artifacts:
        start = time.perf_counter()
        result = runs.run_notebook(path, executed_path, {"artifacts_dir": str(Path(artifacts) / path.stem)})
        seconds = time.perf_counter() - start
    if result.status != "ok":
        print(f"{path.stem}: {result.status}", file=sys.stderr)
        return 1
    same, different = compare(nbformat.read(path, as_version=4), nbformat.read(executed_path, as_version=4))
    record = {"notebook": path.stem, "profile": "default", "commit": notebook_times.git_commit(),
              "measured": time.strftime("%Y-%m-%d %H:%M"),
              "machine": {**notebook_times.machine(), "avx512": avx512(), "speed_probe_gflops": probe,
                          "dcgan_steps_per_second": round(dcgan, 1)},
              "wall_seconds": round(seconds, 1), "cells_printing_the_same": same, "cells_printing_otherwise": different}
    out = notebook_times.RESULTS / f"other-cpu-{path.stem}.json"
    notebook_times.write_json(out, record)
    print(f"{path.stem}: {seconds:.0f} s; {same} code cells print as committed, {len(different)} otherwise; "
          f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
