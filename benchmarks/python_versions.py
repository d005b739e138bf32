"""Run `make unit` and `make check` on every Python from 3.10 to 3.13 that this machine has.

Each Python gets a fresh clone of the committed HEAD (so nothing untracked helps), its own .venv made
by the Makefile, the unit tests, and the preflight. CI keeps one Python; this is the check for the
others. Results go to benchmarks/results/python-versions.json and a table on stdout.

    python benchmarks/python_versions.py                  # every Python found (pyenv, then PATH)
    python benchmarks/python_versions.py --python /usr/bin/python3.12
"""

from __future__ import annotations

import argparse
import glob
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
RESULTS = ROOT / "benchmarks" / "results" / "python-versions.json"
MINORS = (10, 11, 12, 13)


def version_of(python: str) -> str | None:
    try:
        out = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def find_pythons() -> list[str]:
    """One interpreter per supported minor version: pyenv's first, then python3.X on PATH."""
    found = {}
    for minor in MINORS:
        candidates = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/3.{minor}.*/bin/python3.{minor}")))
        candidates += [path for path in [shutil.which(f"python3.{minor}")] if path]
        for candidate in candidates:
            version = version_of(candidate)
            if version and version.startswith(f"3.{minor}."):
                found[minor] = candidate
                break
    return list(found.values())


def summary_line(output: str) -> str:
    """pytest's closing line, e.g. '180 passed, 2 skipped in 301.2s'."""
    lines = [line.strip("= ") for line in output.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    return lines[-1] if lines else "(no pytest summary)"


def run(command: list[str], cwd: Path, log) -> tuple[int, str, float]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    log.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}\n")
    return done.returncode, done.stdout + done.stderr, time.perf_counter() - start


def check_python(python: str, keep: Path | None) -> dict:
    version = version_of(python)
    scratch = Path(tempfile.mkdtemp(prefix=f"ganlib-py{version}-"))
    clone = scratch / "course"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True,
                            text=True).stdout.strip()
    print(f"Python {version} ({python}) on {commit}: install and unit tests ...", flush=True)
    with open(scratch / "log.txt", "w") as log:
        unit_status, unit_output, unit_seconds = run(["make", f"PYTHON={python}", "unit"], clone, log)
        check_status, check_output, check_seconds = run(["make", "check"], clone, log)
    verdict = [line for line in check_output.splitlines() if line.startswith(("READY", "NOT READY"))]
    result = {"python": version, "interpreter": python, "commit": commit, "date": time.strftime("%Y-%m-%d %H:%M"),
              "unit_tests": summary_line(unit_output), "unit_exit_status": unit_status,
              "install_and_unit_seconds": round(unit_seconds),
              "check": verdict[-1] if verdict else "(no verdict)", "check_seconds": round(check_seconds),
              "log": str(scratch / "log.txt") if keep else None}
    print(f"  unit tests: {result['unit_tests']} (exit {unit_status}); check: {result['check']}", flush=True)
    if keep is None:
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", action="append", help="an interpreter to test (repeatable); default: all found")
    parser.add_argument("--keep", action="store_true", help="keep each clone and its log")
    args = parser.parse_args(argv)
    pythons = args.python or find_pythons()
    if not pythons:
        print("no Python 3.10 to 3.13 found", file=sys.stderr)
        return 1
    results = [check_python(python, Path("keep") if args.keep else None) for python in pythons]
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    # A rerun of some Pythons replaces their rows and keeps the others (each row names its commit and date).
    kept = {}
    if RESULTS.exists():
        previous = json.loads(RESULTS.read_text())
        if previous.get("machine") == machine:
            kept = {r["python"]: r for r in previous.get("results", [])}
    kept.update({r["python"]: r for r in results})
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": machine, "results": sorted(kept.values(), key=lambda r: r["python"])},
                                  indent=2) + "\n")
    print(f"\n{'python':<8} {'unit tests':<40} {'check':<45} minutes")
    for r in results:
        print(f"{r['python']:<8} {r['unit_tests']:<40} {r['check'][:45]:<45} "
              f"{(r['install_and_unit_seconds'] + r['check_seconds']) / 60:.1f}")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    ok = all(r["unit_exit_status"] == 0 and r["check"].startswith("READY") for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
