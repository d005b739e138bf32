"""ganlib.plotting: the pictures' helpers."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from ganlib import plotting  # noqa: E402


def test_a_plain_log_axis_labels_ratios_with_plain_numbers():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [1.1, 2.4, 3.2])
    plotting.plain_log_axis(ax)
    fig.canvas.draw()
    low, high = ax.get_ylim()
    labels = {tick.get_text() for tick in ax.get_yticklabels() if low <= tick.get_position()[1] <= high}
    plt.close(fig)
    assert ax.get_yscale() == "log"
    assert {"1.5", "2", "3"} <= labels                       # not "2 x 10^0" in mathtext
    assert not any("10^" in label or "$" in label for label in labels)


def test_digits_can_be_drawn_pixel_by_pixel_and_default_to_matplotlibs_smoothing():
    import numpy as np

    images = np.zeros((4, 28, 28, 1), np.uint8)
    blocky = plotting.show_images(images, ncols=4, interpolation="nearest")
    default = plotting.show_images(images, ncols=4)
    assert blocky.images[0].get_interpolation() == "nearest"
    assert default.images[0].get_interpolation() == plt.rcParams["image.interpolation"]
    plt.close("all")
