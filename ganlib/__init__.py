"""ganlib: the thin shared package behind the GAN course's notebooks.

One module per idea a reader meets in the notebooks (``data``, ``models``, ``losses``, ``training``,
``metrics``, ...); the table in docs/ganlib.md lists all of them, and each module's docstring says more.
"""

import contextlib
import os
import sys

__version__ = "0.1.0"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence what native code writes to file descriptor 2 for the duration of the block.

    TensorFlow 2.21 prints start-up notes (oneDNN, absl) from C++ at import, whatever
    TF_CPP_MIN_LOG_LEVEL says, and in a notebook they clutter the first cell's output.
    Python-level errors are unaffected: they are raised, and printed after the block.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


if "tensorflow" not in sys.modules:
    try:
        with _quiet_native_stderr():
            import tensorflow  # noqa: F401
    except ModuleNotFoundError as error:
        if error.name != "tensorflow":
            raise
        # TensorFlow is an extra (the right wheel depends on the machine): say which to install.
        raise ModuleNotFoundError(
            "ganlib needs TensorFlow 2.21, which is not installed in this environment. Install the "
            "course with `make course` (it does this for you), or with pip: "
            "`pip install -e \".[cpu]\"` (any machine) or `pip install -e \".[gpu]\"` (Linux with an "
            "NVIDIA GPU).", name="tensorflow") from None
