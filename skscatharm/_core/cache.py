"""Scattering coefficients kept on disk, one molecule at a time (``memory=``).

A molecule's coefficients depend only on its atoms, its positions, its channel
weights and the parameters that define the transform (the :class:`ScatteringPlan`,
the working precision, and the array backend and batch size, which change the
rounding), not on the other molecules of the input (doc/definition.rst §5).
So they can be stored per molecule under that key and read back whenever the same
molecule is met again: in every split and every candidate of a grid search, held-out
molecules included, and in the final refit. joblib's ``Memory`` does the storing.

A value read back is checked (shape, float64, finite) before it is used: a folder
can be damaged or edited, and a wrong value would otherwise be returned as
features. The folder itself must be trusted: joblib stores pickles, and loading a
crafted pickle runs code.

Many processes may share one folder (the workers of a cluster, two runs at once):
joblib's file store writes each entry under a unique temporary name in the entry's
own folder and renames it into place (``os.replace``, atomic on one file system),
so a reader sees a whole entry or none. An entry that cannot be read all the same
(a file truncated by a full disk or a copy cut short) is treated as absent:
computed again, stored over, and reported with the invalid values.
"""

import dataclasses
import os
import warnings

import joblib
import numpy as np

from .._version import __version__


def _stored_coefficients(
    version, plan, dtype, backend, batch_size, positions, weights, computed=None
):
    """What ``Memory`` caches: returns ``computed``, stored under the other arguments.

    ``computed`` is ignored by the cache key, so a call with freshly computed
    coefficients stores them, and a later call with the same key (and
    ``computed=None``) loads them without running this function.
    """
    return computed


def _invalid(value, n_features):
    """Why ``value`` is not a row of coefficients of length ``n_features``, or None."""
    if not isinstance(value, np.ndarray):
        return f"it is a {type(value).__name__}, not an array"
    if value.shape != (n_features,):
        return f"its shape is {value.shape}, expected ({n_features},)"
    if value.dtype != np.float64:
        return f"its dtype is {value.dtype}, expected float64"
    if not np.all(np.isfinite(value)):
        return "it holds non-finite values"
    return None


class MoleculeCache:
    """Per-molecule store of scattering coefficients.

    Parameters
    ----------
    memory : str, path-like or joblib.Memory
        Where to keep them: a folder, or an object with joblib's ``Memory.cache``.
        It must be trusted: entries are pickles.
    plan : ScatteringPlan
        The transform's configuration; every field enters the key.
    dtype : numpy dtype
        Working precision; enters the key.
    backend : {"numpy", "cupy"}, default="numpy"
        The resolved array backend; enters the key.
    batch_size : int or "auto", default=1
        The ``batch_size`` parameter; enters the key ("auto" on NumPy as 1).
    """

    def __init__(self, memory, plan, dtype, backend="numpy", batch_size=1):
        if isinstance(memory, str | os.PathLike):
            memory = joblib.Memory(location=memory, verbose=0)
        self._cached = memory.cache(_stored_coefficients, ignore=["computed"])
        if backend == "numpy" and batch_size == "auto":
            # One molecule per batch, as dispatch.batch_size_for chooses on the CPU:
            # the same computation as batch_size=1, so the same entries.
            batch_size = 1
        # The version is in the key: a new release may change the numbers. The
        # backend and the batch size are: another FFT, or other array shapes in
        # the products, round differently.
        self._key = (
            __version__,
            dataclasses.astuple(plan),
            np.dtype(dtype).name,
            backend,
            batch_size if batch_size == "auto" else int(batch_size),
        )
        self._n_features_per_channel = plan.n_features_per_channel
        #: ``(molecule_index, reason)`` of each stored value rejected by lookup.
        self.rejected = []

    def lookup(self, positions, weights, molecule_index=None):
        """Stored coefficients of a molecule, or None if absent or invalid.

        A stored value of the wrong shape or dtype, with a non-finite value, or
        whose file cannot be read (truncated, damaged), is treated as absent, so
        it is recomputed and :meth:`store` overwrites it; it is noted in
        :attr:`rejected` for :meth:`warn_rejected`.

        Parameters
        ----------
        positions : ndarray of shape (n_atoms, 3)
            The positions as given (before any centring or rotation).
        weights : ndarray of shape (n_channels, n_atoms)
        molecule_index : int, optional
            Position of the molecule in the input, for :meth:`warn_rejected`.

        Returns
        -------
        coefficients : ndarray of shape (n_features,) or None
        """
        if not self._cached.check_call_in_cache(*self._key, positions, weights):
            return None
        # Shelved, the entry is loaded here, where a file that cannot be read
        # raises (joblib's own call would log it and store None over it).
        shelved = self._cached.call_and_shelve(*self._key, positions, weights)
        try:
            stored = shelved.get()
        except Exception:
            # joblib raises a KeyError both for an entry that vanished in between
            # (another process cleared the folder) and for one it could not load.
            if self._cached.check_call_in_cache(*self._key, positions, weights):
                self.rejected.append((molecule_index, "its file could not be read"))
            return None
        if stored is None:
            return None
        reason = _invalid(stored, len(weights) * self._n_features_per_channel)
        if reason is not None:
            self.rejected.append((molecule_index, reason))
            return None
        return stored

    def warn_rejected(self, shown=3):
        """One warning for the stored values :meth:`lookup` rejected, if any."""
        if not self.rejected:
            return
        examples = "; ".join(
            f"molecule {index}: {reason}" for index, reason in self.rejected[:shown]
        )
        more = "; ..." if len(self.rejected) > shown else ""
        # A UserWarning, not an error: the values are recomputed, so the output is
        # right; but a damaged or edited folder deserves a look.
        warnings.warn(
            f"memory: the stored coefficients of {len(self.rejected)} molecule(s) "
            f"were invalid ({examples}{more}); computed them again and replaced "
            "the entries",
            UserWarning,
            stacklevel=2,
        )

    def store(self, positions, weights, coefficients):
        """Keep the coefficients of a molecule (arguments as :meth:`lookup`)."""
        # ``call`` always writes, where a plain call would keep an existing entry.
        self._cached.call(*self._key, positions, weights, computed=coefficients)
