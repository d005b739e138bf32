"""Pictures of digits and of training: image grids, loss curves, and animations of progress."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ganlib.data import to_pixels
from ganlib.records import atomic_path


def image_grid(images, ncols: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile model-range images (N, 28, 28, 1) into one uint8 picture, ``ncols`` per row."""
    pixels = to_pixels(images)[..., 0]
    n, height, width = pixels.shape
    # No images (02's "not recognized" panel when every sample is recognized) give an empty strip.
    ncols = ncols or max(1, math.ceil(math.sqrt(n)))
    nrows = math.ceil(n / ncols)
    grid = np.zeros((nrows * (height + padding) + padding, ncols * (width + padding) + padding), np.uint8)
    for index, image in enumerate(pixels):
        row, col = divmod(index, ncols)
        top, left = padding + row * (height + padding), padding + col * (width + padding)
        grid[top:top + height, left:left + width] = image
    return grid


def show_images(images, ncols: int | None = None, title: str | None = None, ax=None, size: float = 0.45,
                interpolation: str | None = None):
    """Draw a grid of digits with matplotlib; returns the axes.

    ``interpolation="nearest"`` draws each pixel as a block: for speckled samples the stored PNG is then
    several times smaller than with matplotlib's default smoothing (None)."""
    import matplotlib.pyplot as plt

    grid = image_grid(images, ncols)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(2.0, grid.shape[1] * size / 30), max(2.0, grid.shape[0] * size / 30)))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation=interpolation)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


FRECHET_TICKS = (1, 1.5, 2, 3, 5, 7, 10, 15, 20, 30, 50, 100, 200, 500)


def plain_log_axis(ax, ticks=FRECHET_TICKS):
    """Put ``ax``'s y axis on a log scale labelled with plain numbers (1.5, 2, 3), not 2 x 10^0.

    Matplotlib labels a log axis that spans less than a decade in scientific notation, which reads
    badly for Frechet ratios (about 1 to a few hundred); ``ticks`` are the values that get a label.
    """
    import matplotlib.pyplot as plt

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(plt.FixedLocator(list(ticks)))
    ax.yaxis.set_major_formatter(plt.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(plt.NullFormatter())
    return ax


def plot_history(history: dict, keys=None, steps_per_point: int = 1, ax=None, title: str | None = None):
    """Plot the tracked quantities of a training run against generator steps; returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    for key in keys or history:
        values = np.asarray(history[key], dtype=float)
        ax.plot(np.arange(1, len(values) + 1) * steps_per_point, values, label=key)
    ax.set_xlabel("generator step")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return ax


def save_progress_gif(frames, path, ncols: int | None = None, seconds_per_frame: float = 0.25,
                      scale: int = 2) -> Path:
    """Write the fixed-noise grids recorded over training as an animated GIF (held on the last frame)."""
    import imageio.v3 as iio

    frames = list(frames)
    if not frames:
        raise ValueError("frames is empty (0 grids); allowed: at least 1 batch of images, e.g. the run's "
                         "snapshots of fixed-noise samples")
    pictures = []
    for images in frames:
        grid = image_grid(images, ncols)
        pictures.append(np.kron(grid, np.ones((scale, scale), np.uint8)))
    # Hold the final picture so a reader sees where training ended.
    pictures += [pictures[-1]] * 4
    path = Path(path)
    # Atomic: an interrupted write must leave the previous run's animation, not a truncated GIF.
    with atomic_path(path) as partial:
        iio.imwrite(partial, np.stack(pictures), extension=".gif", duration=int(seconds_per_frame * 1000), loop=0)
    return path
