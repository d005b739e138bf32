"""Which notebooks `make test` executes with nbval.

Every English notebook runs. The Chinese edition (notebooks/zh/) is generated from the English
notebooks with exactly the same code cells (tests/test_translation_zh.py checks that, and that each
Chinese notebook equals a fresh build), so running all of it again at smoke doubles the notebooks'
share of the test time to re-test the same code. What only a run in notebooks/zh/ can show, that the
language, the relative paths and the record come out right from that folder, its notebook 00 shows
(the data, an artifacts folder, an exercise check answering in Chinese). Every message's Chinese, with
the same fields as its English, is tested without a notebook (tests/test_i18n.py), so running 01 here
too (as until 2026-11-30) only re-ran its code for two more of those messages, at about 33 s of CI
time (its nbval cells in one run with --durations=0 on 2026-11-30).
`GANLIB_TEST_ZH=all` (`make test-zh`) runs the whole edition, and a Chinese notebook named on the
command line always runs.
"""

import os
from pathlib import Path

CHINESE_IN_EVERY_RUN = {"00_setup_and_data.ipynb"}


def pytest_ignore_collect(collection_path, config):
    path = Path(collection_path)
    if path.suffix != ".ipynb" or path.parent.name != "zh" or path.parent.parent.name != "notebooks":
        return None
    if os.environ.get("GANLIB_TEST_ZH") == "all" or path.name in CHINESE_IN_EVERY_RUN:
        return None
    named = {Path(arg.split("::")[0]).resolve() for arg in config.args}
    return None if path.resolve() in named else True
