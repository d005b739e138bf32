"""A compact progress display for training: one line per run, rewritten in place.

Keras' ``verbose=2`` prints a line per chunk ("Epoch 7/20 ..."): twenty lines of log in a stored
notebook, and the word "epoch" for what is really a chunk of generator steps. ``ProgressLine`` shows
one line instead, updated as training goes, and leaves only its final state in a saved notebook:

    run = training.train(gan, images, steps=4500, batch_size=64, verbose=0,
                         callbacks=[progress.ProgressLine()])

In a notebook the line is an IPython display that is updated in place; in a terminal it is
rewritten with a carriage return, and ends with a newline when training ends.
"""

from __future__ import annotations

import sys
import time

import keras


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def format_values(logs: dict, keys=None, digits: int = 3) -> str:
    """``name value`` pairs for the tracked quantities, in a fixed order."""
    names = [k for k in (keys or logs) if k in logs]
    return ", ".join(f"{name} {float(logs[name]):.{digits}g}" for name in names)


class ProgressLine(keras.callbacks.Callback):
    """Show "step k of N, seconds, tracked values" as one line that is updated after every chunk.

    ``label`` names the run ("DCGAN, seed 1"); ``keys`` picks which tracked values to show
    (default: all). ``total_steps`` defaults to what ``fit()`` was asked for.
    """

    def __init__(self, label: str = "", keys=None, total_steps: int | None = None):
        super().__init__()
        self.label, self.keys, self.total_steps = label, keys, total_steps
        self._handle = None
        self._start = None
        self.last_line = ""

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()
        if self.total_steps is None:
            params = self.params or {}
            self.total_steps = (params.get("epochs") or 0) * (params.get("steps") or 0) or None
        self._show(self._line(logs or {}), final=False)

    def on_epoch_end(self, epoch, logs=None):
        self._show(self._line(logs or {}), final=False)

    def on_train_end(self, logs=None):
        self._show(self.last_line + (" (stopped early)" if self.model.stop_training else ""), final=True)

    def _step(self) -> int:
        optimizer = getattr(self.model, "g_optimizer", None) or self.model.optimizer
        return int(optimizer.iterations.numpy())

    def _line(self, logs: dict) -> str:
        total = f" of {self.total_steps:,}" if self.total_steps else ""
        seconds = time.perf_counter() - self._start
        values = format_values(logs, self.keys)
        prefix = f"{self.label}: " if self.label else ""
        return f"{prefix}step {self._step():,}{total}, {seconds:.0f} s" + (f"; {values}" if values else "")

    def _show(self, line: str, final: bool) -> None:
        self.last_line = line
        if _in_notebook():
            from IPython.display import display

            shown = {"text/plain": line}
            if self._handle is None:
                self._handle = display(shown, raw=True, display_id=True)
            else:
                self._handle.update(shown, raw=True)
        else:
            sys.stdout.write("\r" + line + ("\n" if final else ""))
            sys.stdout.flush()
