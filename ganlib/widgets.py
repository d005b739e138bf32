"""An interactive explorer for a trained generator, built from ipywidgets (works in JupyterLab).

    from ganlib import widgets
    widgets.GeneratorExplorer(generator)      # as the last line of a cell, it shows itself
    widgets.GeneratorExplorer.open("artifacts/07_conditional_gan/generator.keras")   # any saved generator

Controls: which digit (for a conditional generator), a seed that picks the noise vector, sliders
that move the noise along a few fixed directions, truncation of the noise, and a second seed to
interpolate towards. Everything the controls do lives in plain methods (``noise``, ``image``,
``interpolation``), so it can be tested without a browser; the widgets only call them. The same
methods draw the static figures a reader without a live kernel sees instead (``direction_sweep``,
``truncation_sweep``): a widget is not part of a notebook rendered on GitHub or a static page.
"""

from __future__ import annotations

import io
from pathlib import Path

import imageio.v3 as iio
import ipywidgets as w
import numpy as np

from ganlib import plotting, sampling

UPSCALE = 6       # 28 px digits shown at 168 px
STRIP_LENGTH = 8  # images in the interpolation strip


def truncated_noise(seed: int, latent_dim: int, truncation: float | None) -> np.ndarray:
    """Standard normal noise for ``seed``; with ``truncation`` t, entries beyond +-t are redrawn.

    The truncation trick (Brock et al., 2019): noise near the centre of the distribution, where the
    generator saw most of its training noise, gives cleaner but less varied samples.
    """
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(latent_dim)
    if truncation is not None:
        if truncation <= 0:
            raise ValueError(f"truncation is {truncation}; allowed: a positive number, or None for none")
        outside = np.abs(z) > truncation
        while outside.any():
            z[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(z) > truncation
    return z.astype(np.float32)


def slerp(z0, z1, t: float) -> np.ndarray:
    """Spherical interpolation from z0 (t = 0) to z1 (t = 1); keeps the noise at a typical length."""
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    cos = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:   # (nearly) the same direction: the straight line is the arc
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    return ((np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)).astype(np.float32)


def to_png(images, ncols: int | None = None, upscale: int = UPSCALE) -> bytes:
    """PNG bytes of images in [-1, 1], side by side (``ncols`` per row), each pixel ``upscale`` times."""
    grid = plotting.image_grid(images, ncols=ncols or len(images), padding=0)
    pixels = np.kron(grid, np.ones((upscale, upscale), np.uint8))
    buffer = io.BytesIO()
    iio.imwrite(buffer, pixels, extension=".png")
    return buffer.getvalue()


class GeneratorExplorer:
    """Controls and pictures for one generator; ``widget`` is the box to display."""

    @classmethod
    def open(cls, path, **kwargs) -> "GeneratorExplorer":
        """An explorer for a saved generator: a notebook's ``.keras`` file, or a shipped ``.npz`` one
        (``ganlib.pretrained.generator_path(name)``; a shipped file's checksum is checked first)."""
        path = Path(path)
        if path.suffix not in (".keras", ".npz") or not path.is_file():
            raise FileNotFoundError(f"no saved generator at {path}: give the path of a .keras file, such as "
                                    "artifacts/07_conditional_gan/generator.keras after notebook 07 has run, "
                                    "or of a shipped one, pretrained.generator_path('conditional')")
        if path.suffix == ".npz":
            from ganlib import pretrained

            if path.resolve().parent == pretrained.PRETRAINED_DIR.resolve():
                pretrained.verify(path)
            generator = pretrained.read_compact(path)
        else:
            import keras

            generator = keras.models.load_model(path, compile=False, safe_mode=True)
        sampling.check_generator(generator, path)
        return cls(generator, **kwargs)

    def __init__(self, generator, directions: int = 3, seed: int = 0, direction_seed: int = 1234):
        self.generator = generator
        self.conditional = sampling.is_conditional(generator)
        self.latent_dim = int(generator.inputs[0].shape[-1])
        if not 0 <= directions <= self.latent_dim:
            raise ValueError(f"directions is {directions}; allowed: 0 to the latent size ({self.latent_dim})")
        # A few fixed, orthonormal directions in noise space. A GAN's noise has no labelled axes:
        # each direction changes several things at once (slant, width, stroke), which is the lesson.
        basis, _ = np.linalg.qr(np.random.default_rng(direction_seed).standard_normal((self.latent_dim, directions)))
        self.directions = basis.T.astype(np.float32) if directions else np.zeros((0, self.latent_dim), np.float32)
        self.controls = self._build_controls(seed)
        self.picture = w.Image(format="png", layout=w.Layout(width="168px", height="168px"))
        self.strip = w.Image(format="png", layout=w.Layout(width=f"{168 * STRIP_LENGTH // 2}px"))
        self.status = w.Label()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = self._layout()
        self.refresh()

    # --- what the controls compute --------------------------------------------------------

    def noise_for(self, seed: int, truncation: float | None = None, offsets=None) -> np.ndarray:
        """The noise for ``seed``, truncated at ``truncation``, moved by ``offsets`` along the directions."""
        z = truncated_noise(seed, self.latent_dim, truncation)
        if offsets is None or not len(self.directions):
            return z
        return z + np.asarray(offsets, np.float32) @ self.directions

    def noise(self, seed: int | None = None) -> np.ndarray:
        """The noise vector the controls describe (``seed`` overrides the seed control)."""
        c = self.controls
        offsets = [c[f"direction {i + 1}"].value for i in range(len(self.directions))]
        return self.noise_for(c["seed"].value if seed is None else seed, self._truncation(), offsets)

    def generate(self, noise, digit: int | None = None) -> np.ndarray:
        """Images for a batch of noise; ``digit`` (conditional generators) defaults to the digit control."""
        noise = np.atleast_2d(np.asarray(noise, np.float32))
        inputs = noise
        if self.conditional:
            digit = self.controls["digit"].value if digit is None else digit
            inputs = [noise, np.full(len(noise), digit, np.int32)]
        return np.clip(np.asarray(self.generator(inputs, training=False)), -1.0, 1.0)

    def direction_sweep(self, offsets, seed: int | None = None, digit: int | None = None) -> np.ndarray:
        """What each direction slider does: one row per direction, one column per offset along it.

        Returns (directions x len(offsets), 28, 28, 1), row-major, for ``seed`` and ``digit`` (the
        controls' values when None), without truncation.
        """
        seed = self.controls["seed"].value if seed is None else seed
        noise = [self.noise_for(seed, None, np.eye(len(self.directions))[i] * offset)
                 for i in range(len(self.directions)) for offset in offsets]
        return self.generate(np.stack(noise), digit) if noise else np.zeros((0, 28, 28, 1), np.float32)

    def truncation_sweep(self, truncations, seeds, digit: int | None = None) -> np.ndarray:
        """What the truncation slider does: one row per truncation (None: none), one column per seed.

        Returns (len(truncations) x len(seeds), 28, 28, 1), row-major, with no direction offsets.
        """
        noise = [self.noise_for(seed, truncation) for truncation in truncations for seed in seeds]
        return self.generate(np.stack(noise), digit)

    def image(self) -> np.ndarray:
        """The current sample, (28, 28, 1)."""
        return self.generate(self.noise())[0]

    def interpolation(self) -> np.ndarray:
        """STRIP_LENGTH images along the arc from this seed's noise to the second seed's."""
        start, end = self.noise(), self.noise(self.controls["towards seed"].value)
        return self.generate(np.stack([slerp(start, end, t) for t in np.linspace(0, 1, STRIP_LENGTH)]))

    # --- widgets ----------------------------------------------------------------------------

    def _truncation(self):
        # The slider's top end means "no truncation".
        value = self.controls["truncation"].value
        return None if value >= self.controls["truncation"].max else value

    def _build_controls(self, seed: int) -> dict:
        style = {"description_width": "110px"}
        controls = {}
        if self.conditional:
            controls["digit"] = w.ToggleButtons(options=list(range(10)), value=0, description="digit",
                                                style={"button_width": "32px", **style})
        controls["seed"] = w.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed", style=style)
        # continuous_update=False: a slider redraws once, when it is let go, not at every tick of a drag.
        controls["truncation"] = w.FloatSlider(value=3.0, min=0.2, max=3.0, step=0.1, description="truncation",
                                               readout_format=".1f", continuous_update=False, style=style)
        for i in range(len(self.directions)):
            controls[f"direction {i + 1}"] = w.FloatSlider(value=0.0, min=-4.0, max=4.0, step=0.25,
                                                           description=f"direction {i + 1}",
                                                           continuous_update=False, style=style)
        controls["towards seed"] = w.BoundedIntText(value=seed + 1, min=0, max=2**31 - 1,
                                                    description="towards seed", style=style)
        return controls

    def _on_change(self, change):
        self.refresh()

    def refresh(self) -> None:
        self.picture.value = to_png(self.image()[None])
        self.strip.value = to_png(self.interpolation(), upscale=UPSCALE // 2)
        truncation = self._truncation()
        self.status.value = (f"noise length {np.linalg.norm(self.noise()):.1f}; "
                             + ("no truncation" if truncation is None else f"truncated at +-{truncation:.1f}"))

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def _layout(self) -> w.Widget:
        strip_title = w.HTML("<b>from this seed to the other</b> (spherical interpolation)")
        return w.VBox([w.HBox([w.VBox(list(self.controls.values())[:-1]), self.picture]), self.status,
                       self.controls["towards seed"], strip_title, self.strip])
