"""Which notebooks `make test` executes with nbval.

Every English notebook runs. The Chinese edition (notebooks/zh/) is generated from the English
notebooks with exactly the same code cells (tests/test_translation_zh.py checks that, and that each
Chinese notebook equals a fresh build), so running all of it again at smoke doubles the notebooks'
share of the test time to re-test the same code. What only a run in notebooks/zh/ can show, that the
language and the relative paths come out right from that folder, two of its notebooks show: 00 (paths,
data) and 01 (the exercise checks' messages in Chinese). `GANLIB_TEST_ZH=all` (`make test-zh`) runs
the whole edition, and a Chinese notebook named on the command line always runs.
"""

import os
from pathlib import Path

CHINESE_IN_EVERY_RUN = {"00_setup_and_data.ipynb", "01_minimax_objective.ipynb"}


def pytest_ignore_collect(collection_path, config):
    path = Path(collection_path)
    if path.suffix != ".ipynb" or path.parent.name != "zh" or path.parent.parent.name != "notebooks":
        return None
    if os.environ.get("GANLIB_TEST_ZH") == "all" or path.name in CHINESE_IN_EVERY_RUN:
        return None
    named = {Path(arg.split("::")[0]).resolve() for arg in config.args}
    return None if path.resolve() in named else True
