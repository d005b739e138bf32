"""Stored figures are re-encoded to fewer bytes with exactly the same pixels."""

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
from PIL import Image

from ganlib import stored_images


def figure_png(draw) -> bytes:
    fig, ax = plt.subplots(figsize=(4, 2))
    draw(ax)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def speckled_digits(ax):   # a sample grid: greyscale speckles, as notebook 05 draws them
    ax.imshow(np.random.default_rng(0).integers(0, 256, (28, 112)), cmap="gray", interpolation="nearest")
    ax.set_title("samples")


def coloured_lines(ax):   # curves in colour, antialiased: many colours
    x = np.linspace(0, 3, 100)
    ax.plot(x, np.sin(x), color="tab:blue", label="a")
    ax.plot(x, np.cos(x), color="tab:orange", label="b")
    ax.legend()


def two_colours(ax):   # few colours: fits a palette
    ax.imshow(np.tile([[0, 1], [1, 0]], (8, 8)), cmap="bwr", interpolation="nearest")
    ax.axis("off")


def pixels(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


@pytest.mark.parametrize("draw, mode", [(speckled_digits, "L"), (coloured_lines, None), (two_colours, "P")])
def test_smallest_png_keeps_every_pixel_in_fewer_bytes(draw, mode):
    original = figure_png(draw)
    assert Image.open(io.BytesIO(original)).mode == "RGBA"   # what matplotlib stores
    smaller = stored_images.smallest_png(original)
    assert np.array_equal(pixels(smaller), pixels(original))
    assert len(smaller) < len(original)
    if mode:
        assert Image.open(io.BytesIO(smaller)).mode == mode


def test_transparent_pictures_are_left_as_they_are():
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 3] = 128   # half transparent: dropping the alpha channel would change the picture
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    assert stored_images.smallest_png(buffer.getvalue()) == buffer.getvalue()


def test_compact_images_rewrites_only_the_pngs():
    png = figure_png(speckled_digits)
    cell = nbformat.v4.new_code_cell("show()", outputs=[
        nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(png).decode(),
                                                    "text/plain": "<Figure>"}),
        nbformat.v4.new_output("stream", text="done\n")])
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A"), cell])

    assert stored_images.compact_images(notebook)

    stored = notebook.cells[1].outputs
    assert len(base64.b64decode(stored[0].data["image/png"])) < len(png)
    assert np.array_equal(pixels(base64.b64decode(stored[0].data["image/png"])), pixels(png))
    assert stored[0].data["text/plain"] == "<Figure>" and stored[1].text == "done\n"
    assert notebook.cells[0].source == "# A"
    assert not stored_images.compact_images(notebook)   # a second pass changes nothing


def test_an_in_place_render_stores_its_figures_compactly(tmp_path, monkeypatch):
    from ganlib import runs

    png = figure_png(speckled_digits)
    path = tmp_path / "01_figure.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), path)

    def fake_run(notebook, output, parameters):   # what papermill leaves: RGBA figures, its own metadata
        cell = nbformat.v4.new_code_cell("show()", outputs=[nbformat.v4.new_output(
            "display_data", data={"image/png": base64.b64encode(png).decode()})])
        cell.metadata["papermill"] = {"duration": 1.0}
        nbformat.write(nbformat.v4.new_notebook(cells=[cell]), output)
        return runs.NotebookResult(path.stem, 1.0, "ok", "-")

    monkeypatch.setattr(runs, "run_notebook", fake_run)
    runs.run_course(tmp_path, in_place=True)

    stored = nbformat.read(path, as_version=4).cells[0]
    data = base64.b64decode(stored.outputs[0].data["image/png"])
    assert "papermill" not in stored.metadata
    assert len(data) < len(png) and np.array_equal(pixels(data), pixels(png))
