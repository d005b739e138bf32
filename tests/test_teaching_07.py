"""Notebook 07 writes its style measures out in full; ganlib.style is what notebook 08 reuses. Same numbers."""

import numpy as np
import pytest

from ganlib import style
from notebook_cells import ROOT, teaching_namespace


@pytest.fixture(scope="module")
def taught():
    return teaching_namespace(ROOT / "notebooks" / "07_conditional_gan.ipynb")


def test_the_notebooks_slant_and_ink_are_ganlibs(taught, bundled):
    rng = np.random.default_rng(0)
    images = np.concatenate([bundled.images[:50], np.tanh(rng.normal(-1, 1.5, (10, 28, 28, 1))).astype(np.float32)])
    np.testing.assert_allclose(taught["slant"](images), style.slant(images), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(taught["ink"](images), style.ink(images))
    assert np.std(style.slant(images)) > 0.05   # the digits differ in slant: the comparison can fail
