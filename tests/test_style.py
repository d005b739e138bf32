"""Style measures: slant and ink on images whose answers are known by construction."""

import numpy as np
import pytest

from ganlib import style


def line(top_col, bottom_col, rows=(4, 24)):
    """A one-pixel stroke from (rows[0], top_col) to (rows[1], bottom_col), on a blank image."""
    image = -np.ones((28, 28, 1), np.float32)
    for row in range(rows[0], rows[1]):
        fraction = (row - rows[0]) / (rows[1] - rows[0] - 1)
        image[row, int(round(top_col + fraction * (bottom_col - top_col))), 0] = 1.0
    return image


def test_slant_is_zero_upright_positive_leaning_right_and_its_size_is_the_lean():
    upright, right, left = line(14, 14), line(19, 9), line(9, 19)
    slants = style.slant(np.stack([upright, right, left]))
    assert slants[0] == pytest.approx(0.0, abs=1e-9)
    # Top 10 columns to the right of the bottom over 19 rows: a lean of about 10 / 19 columns per row.
    assert slants[1] == pytest.approx(10 / 19, rel=0.05)
    assert slants[2] == pytest.approx(-slants[1])


def test_slant_of_a_blank_image_is_undefined():
    assert np.isnan(style.slant(-np.ones((1, 28, 28, 1))))[0]


def test_ink_is_the_share_of_drawn_pixels():
    images = -np.ones((2, 28, 28, 1), np.float32)
    images[0, :7] = 1.0          # a quarter of the rows drawn
    images[1, :, :14] = -0.2     # darker than mid-grey: not ink at the default threshold
    np.testing.assert_allclose(style.ink(images), [0.25, 0.0])
    assert style.ink(images[1:], threshold=-0.5)[0] == pytest.approx(0.5)


def test_images_that_are_not_model_range_batches_are_refused():
    three_channels = np.zeros((5, 28, 28, 3), np.float32)
    with pytest.raises(ValueError, match=r"images have shape \(5, 28, 28, 3\)"):
        style.slant(three_channels)   # used to return 15 values for 5 images
    with pytest.raises(ValueError, match=r"images is one image of shape \(28, 28, 1\)"):
        style.ink(np.zeros((28, 28, 1), np.float32))   # used to return 28 values
    with pytest.raises(ValueError, match=r"images are uint8 pixels"):
        style.ink(np.zeros((2, 28, 28, 1), np.uint8))
