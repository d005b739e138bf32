"""The pictures a committed notebook stores, kept small without changing a pixel.

Matplotlib saves every figure as an RGBA PNG, although the course's figures are opaque and many are
pure greyscale (sample grids). Stored as greyscale, as a palette of their few colours, or as RGB
without the alpha channel, the same pixels take far less room: notebook 05's sample grids shrink to
less than half. ``smallest_png`` tries those encodings and keeps one only if it decodes to exactly
the original pixels; ``compact_images`` does so for every PNG output of a notebook (an in-place
render calls it, ``ganlib.runs``), so the notebooks stay within their size budget
(the course keeps each notebook under 1 MB) with the figures as drawn.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image


PNG_TYPE = "image/png"


def _encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


def _candidates(rgba: np.ndarray):
    """Lossless re-encodings that fit these pixels (each is checked after encoding all the same)."""
    if not (rgba[..., 3] == 255).all():
        return   # transparency matters: keep the alpha channel
    rgb = rgba[..., :3]
    if (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all():
        yield Image.fromarray(np.ascontiguousarray(rgb[..., 0]))   # 2-D uint8: mode "L"
        return   # greyscale: one byte per pixel, nothing smaller below
    colours, indices = np.unique(rgb.reshape(-1, 3), axis=0, return_inverse=True)
    if len(colours) <= 256:
        height, width = rgb.shape[:2]
        palette = Image.frombytes("P", (width, height), indices.astype(np.uint8).tobytes())
        palette.putpalette(colours.astype(np.uint8).ravel().tolist())
        yield palette
    yield Image.fromarray(np.ascontiguousarray(rgb))   # (h, w, 3) uint8: mode "RGB"


def smallest_png(data: bytes) -> bytes:
    """The smallest lossless PNG of the same pixels among greyscale, palette and RGB (or ``data``)."""
    original = _pixels(data)
    best = data
    for image in _candidates(original):
        encoded = _encode(image)
        if len(encoded) < len(best) and np.array_equal(_pixels(encoded), original):
            best = encoded
    return best


def compact_images(notebook) -> bool:
    """Re-encode every stored PNG of an nbformat notebook, in place, by ``smallest_png``; True if any
    changed."""
    changed = False
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            stored = output.get("data", {}).get(PNG_TYPE)
            if not stored:
                continue
            data = base64.b64decode(stored)
            smaller = smallest_png(data)
            if smaller is not data:
                output["data"][PNG_TYPE] = base64.b64encode(smaller).decode("ascii")
                changed = True
    return changed
