"""The pip path (pyproject.toml) and the conda path (environment.yml) install the same packages,
for the same range of Pythons."""

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI (the dev extra installs it)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def names(requirements):
    return {re.split(r"[ <>=!~;\[]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
            for line in requirements}


def test_environment_yml_and_pyproject_name_the_same_packages():
    from_pyproject = names(PROJECT["dependencies"] + [r for extra in PROJECT["optional-dependencies"].values()
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


def test_both_paths_accept_python_310_to_313():
    assert PROJECT["requires-python"] == ">=3.10,<3.14"
    assert re.search(r"^\s+- python>=3\.10,<3\.14\s", (ROOT / "environment.yml").read_text(), re.M)
    classifiers = [c for c in PROJECT["classifiers"] if c.startswith("Programming Language :: Python :: 3.")]
    assert classifiers == [f"Programming Language :: Python :: 3.{minor}" for minor in (10, 11, 12, 13)]


def test_tensorflow_comes_from_one_extra_or_the_other():
    # Both extras pin the same TensorFlow release, so CPU and GPU machines run the same code.
    extras = PROJECT["optional-dependencies"]
    pins = {re.search(r"==([\d.*]+)", line).group(1) for extra in ("cpu", "gpu") for line in extras[extra]}
    assert pins == {"2.21.*"}
    assert any(line.startswith("tensorflow[and-cuda]") for line in extras["gpu"])
    assert not any(line.startswith("tensorflow") for line in PROJECT["dependencies"])
