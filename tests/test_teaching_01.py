"""Notebook 01 writes V(D*, G) and the Jensen-Shannon divergence as integrals; ganlib.divergences holds them for notebook 04.

Both must give the same numbers on the same pairs of densities, including pairs that barely overlap
(where the far tails underflow) and pairs of different widths.
"""

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from ganlib import divergences
from tests.notebook_cells import teaching_namespace

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_minimax_objective.ipynb"

PAIRS = [
    (stats.norm(0, 1), stats.norm(0, 1)),
    (stats.norm(0, 1), stats.norm(1, 1)),
    (stats.norm(2, 1), stats.norm(-1, 1.5)),
    (stats.norm(0, 1), stats.norm(3, 0.5)),
    (stats.norm(0, 1), stats.norm(8, 1)),
]


@pytest.fixture(scope="module")
def notebook():
    return teaching_namespace(NOTEBOOK)


@pytest.mark.parametrize("p, q", PAIRS, ids=lambda d: f"N({d.mean():g},{d.std():g})")
def test_the_notebooks_integrals_match_ganlib_divergences(notebook, p, q):
    assert notebook["jensen_shannon"](p, q) == pytest.approx(divergences.jensen_shannon(p, q), abs=1e-9)
    assert notebook["value_at_optimal_discriminator"](p, q) == pytest.approx(
        divergences.value_at_optimal_discriminator(p, q), abs=1e-9)


def test_the_identity_the_notebook_checks_holds_in_ganlib_too():
    # C(G) = -log 4 + 2 JSD, and the JSD is bounded by log 2: a wrong integrand breaks one of these.
    for p, q in PAIRS:
        jsd = divergences.jensen_shannon(p, q)
        assert divergences.value_at_optimal_discriminator(p, q) == pytest.approx(-np.log(4) + 2 * jsd, abs=1e-9)
        assert -1e-12 <= jsd <= np.log(2)
