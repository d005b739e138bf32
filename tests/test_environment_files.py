"""The pip path (pyproject.toml) and the conda path (environment.yml) install the same packages."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def names(requirements):
    return {re.split(r"[ <>=!~;\[]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
            for line in requirements}


def test_environment_yml_and_pyproject_name_the_same_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    from_pyproject = names(project["dependencies"] + [r for extra in project["optional-dependencies"].values()
                                                      for r in extra])
    pip_lines = []
    in_pip = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if re.match(r"\s+- pip:\s*$", line):
            in_pip = True
        elif in_pip and re.match(r"\s+- ", line):
            pip_lines.append(line.split("#")[0].strip()[2:].strip())
    from_conda = names(line for line in pip_lines if not line.startswith("-e"))
    assert from_conda == from_pyproject
    assert any(line.startswith("-e .") for line in pip_lines), "environment.yml must install ganlib itself"


def test_environment_yml_pins_python_311():
    assert re.search(r"^\s+- python=3\.11\b", (ROOT / "environment.yml").read_text(), re.M)
