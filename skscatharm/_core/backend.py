"""The array backend: an array module (NumPy or CuPy) and its FFT.

The scattering core takes every array operation from a :class:`Backend` and never asks
which one it has, so the CPU and GPU paths are the same algorithm.
"""

from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import scipy.fft

BACKENDS = ("auto", "numpy", "cupy")


class Backend:
    """Array operations for the scattering core.

    Parameters
    ----------
    name : {"numpy", "cupy"}
        Which array module.
    xp : module
        ``numpy`` or ``cupy``.
    fft : module
        ``scipy.fft`` or ``cupyx.scipy.fft``.
    workers : int or None
        Threads for ``scipy.fft`` (ignored on CuPy).
    """

    def __init__(self, name, xp, fft, workers=None):
        self.name = name
        self.xp = xp
        self._fft = fft
        self.workers = workers

    def irfftn(self, spectrum, shape):
        """Inverse real FFT over the last ``len(shape)`` axes."""
        axes = tuple(range(-len(shape), 0))
        if self.name == "numpy":
            return self._fft.irfftn(spectrum, s=shape, axes=axes, workers=self.workers)
        return self._fft.irfftn(spectrum, s=shape, axes=axes)

    def asarray(self, array, dtype=None):
        """Move a host array to the backend."""
        return self.xp.asarray(array, dtype=dtype)

    def to_numpy(self, array):
        """Bring a backend array back to NumPy."""
        if self.name == "numpy":
            return np.asarray(array)
        return self.xp.asnumpy(array)

    def free_memory(self):
        """Give cached device memory back (no-op on NumPy)."""
        if self.name == "cupy":
            self.xp.get_default_memory_pool().free_all_blocks()


#: A :class:`Backend` that stands in for CuPy, or None for CuPy itself; set by
#: :func:`substitute_cupy`.
_cupy_substitute = None


@contextmanager
def substitute_cupy(backend):
    """Resolve ``"cupy"`` (and ``"auto"``) to ``backend`` inside the block.

    The GPU code path (batches, the CuPy branches of :class:`Backend`, the
    out-of-memory retry) is otherwise run only where a device is. The test suite
    runs it on every machine through a strict stand-in array module
    (``tests/_strict_xp.py``) that refuses what CuPy refuses.

    Parameters
    ----------
    backend : Backend
        Named ``"cupy"``; returned by :func:`get_backend` for ``"cupy"`` and
        ``"auto"`` until the block ends.
    """
    global _cupy_substitute
    previous, _cupy_substitute = _cupy_substitute, backend
    try:
        yield backend
    finally:
        _cupy_substitute = previous


def gpu_available():
    """Whether ``"auto"`` resolves to the GPU path (CuPy, or its substitute)."""
    return _cupy_substitute is not None or cupy_available()


@lru_cache(maxsize=1)
def cupy_available():
    """Whether CuPy imports and sees at least one CUDA device."""
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # any import or driver failure means "no GPU here"
        return False


def get_backend(name, workers=None):
    """Resolve the ``backend`` parameter.

    Parameters
    ----------
    name : {"auto", "numpy", "cupy"}
        ``"auto"`` picks CuPy when it imports and a CUDA device is present.
    workers : int or None
        Threads for ``scipy.fft`` on the CPU.

    Returns
    -------
    Backend
    """
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {name!r}")
    if name == "auto":
        name = "cupy" if gpu_available() else "numpy"
    if name == "numpy":
        return Backend("numpy", np, scipy.fft, workers)
    if _cupy_substitute is not None:
        return _cupy_substitute
    if not cupy_available():
        raise RuntimeError(
            "backend='cupy' needs CuPy and a CUDA device (pip install "
            "'skscatharm[gpu]'); use backend='numpy' or 'auto' on this machine"
        )
    import cupy
    import cupyx.scipy.fft

    return Backend("cupy", cupy, cupyx.scipy.fft)
