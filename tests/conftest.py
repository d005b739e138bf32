import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def bundled():
    from ganlib.data import load_digits

    return load_digits("bundled", verbose=False)
