"""Two style measures of a digit image: its slant and its ink.

Notebook 07 writes them out to ask whether a conditional generator's noise carries a style that
survives a change of digit; notebook 08 uses them to measure style transfer ("write any digit in
this person's hand"). Both take model-range images, (N, 28, 28, 1) in [-1, 1].
"""

from __future__ import annotations

import numpy as np

from ganlib import data


def slant(images) -> np.ndarray:
    """Lean of the ink, per image: -cov(column, row) / var(row), weighting pixels by intensity.

    0 for an upright stroke; positive when the top leans right (like italics), negative when it
    leans left. An image without ink has no slant: NaN.
    """
    ink = (data.model_range_images(images).astype(np.float64).reshape(-1, 28, 28) + 1) / 2
    rows, cols = np.mgrid[:28, :28]
    mass = ink.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_r = (ink * rows).sum(axis=(1, 2)) / mass
        mean_c = (ink * cols).sum(axis=(1, 2)) / mass
        dr, dc = rows - mean_r[:, None, None], cols - mean_c[:, None, None]
        cov = (ink * dr * dc).sum(axis=(1, 2)) / mass
        var = (ink * dr ** 2).sum(axis=(1, 2)) / mass
        return -cov / var


def ink(images, threshold: float = 0.0) -> np.ndarray:
    """Share of pixels drawn, per image: brighter than ``threshold`` (0 is mid-grey in [-1, 1])."""
    images = data.model_range_images(images)
    return (images.reshape(len(images), -1) > threshold).mean(axis=1)


MEASURES = {"slant": slant, "ink": ink}
