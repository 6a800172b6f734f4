"""Scattering coefficients kept on disk, one molecule at a time (``memory=``).

A molecule's coefficients depend only on its atoms, its positions, its channel
weights and the parameters that define the transform (the :class:`ScatteringPlan`
and the working precision), not on the other molecules of the input (doc/definition.rst §5).
So they can be stored per molecule under that key and read back whenever the same
molecule is met again: in every split and every candidate of a grid search, held-out
molecules included, and in the final refit. joblib's ``Memory`` does the storing.
"""

import dataclasses
import os

import joblib
import numpy as np

from .._version import __version__


def _stored_coefficients(version, plan, dtype, positions, weights, computed=None):
    """What ``Memory`` caches: returns ``computed``, stored under the other arguments.

    ``computed`` is ignored by the cache key, so a call with freshly computed
    coefficients stores them, and a later call with the same key (and
    ``computed=None``) loads them without running this function.
    """
    return computed


class MoleculeCache:
    """Per-molecule store of scattering coefficients.

    Parameters
    ----------
    memory : str, path-like or joblib.Memory
        Where to keep them: a folder, or an object with joblib's ``Memory.cache``.
    plan : ScatteringPlan
        The transform's configuration; every field enters the key.
    dtype : numpy dtype
        Working precision; enters the key.
    """

    def __init__(self, memory, plan, dtype):
        if isinstance(memory, str | os.PathLike):
            memory = joblib.Memory(location=memory, verbose=0)
        self._cached = memory.cache(_stored_coefficients, ignore=["computed"])
        # The version is in the key: a new release may change the numbers.
        self._key = (__version__, dataclasses.astuple(plan), np.dtype(dtype).name)

    def lookup(self, positions, weights):
        """Stored coefficients of a molecule, or None if it was never stored.

        Parameters
        ----------
        positions : ndarray of shape (n_atoms, 3)
            The positions as given (before any centring or rotation).
        weights : ndarray of shape (n_channels, n_atoms)

        Returns
        -------
        coefficients : ndarray of shape (n_features,) or None
        """
        if not self._cached.check_call_in_cache(*self._key, positions, weights):
            return None
        # None if the entry vanished in between (another process cleared the
        # folder): the call then stored None, which :meth:`store` overwrites.
        return self._cached(*self._key, positions, weights)

    def store(self, positions, weights, coefficients):
        """Keep the coefficients of a molecule (arguments as :meth:`lookup`)."""
        # ``call`` always writes, where a plain call would keep an existing entry.
        self._cached.call(*self._key, positions, weights, computed=coefficients)
