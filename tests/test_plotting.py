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


def test_no_images_make_an_empty_panel_and_no_frames_are_refused(tmp_path):
    import numpy as np
    import pytest

    # A panel of the samples the judge did not recognize can be empty (02 at the smoke profile): an empty
    # strip, not a ZeroDivisionError without ncols, nor a refusal.
    assert plotting.image_grid(np.zeros((0, 28, 28, 1))).shape == (2, 32)
    assert plotting.image_grid(np.zeros((0, 28, 28, 1)), ncols=12).shape == (2, 12 * 30 + 2)
    with pytest.raises(ValueError, match=r"frames is empty \(0 grids\); allowed: at least 1 batch"):
        plotting.save_progress_gif([], tmp_path / "progress.gif")
    assert not (tmp_path / "progress.gif").exists()


def test_an_interrupted_progress_gif_leaves_the_previous_one(tmp_path, monkeypatch):
    import imageio.v3 as iio
    import numpy as np
    import pytest

    frames = [np.zeros((4, 28, 28, 1), np.float32), np.ones((4, 28, 28, 1), np.float32)]
    path = plotting.save_progress_gif(frames, tmp_path / "progress.gif")
    before = path.read_bytes()
    assert iio.imread(path).shape[0] == len(frames)       # written whole (Pillow merges the held frames)

    def interrupted(uri, *args, **kwargs):                  # half a GIF written, then Ctrl-C
        with open(uri, "wb") as file:
            file.write(b"GIF89a")
        raise KeyboardInterrupt

    monkeypatch.setattr(iio, "imwrite", interrupted)
    with pytest.raises(KeyboardInterrupt):
        plotting.save_progress_gif(frames[:1], path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.gif"]
