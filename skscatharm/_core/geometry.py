"""Molecules placed for gridding: principal axes, padded batches and grid origins.

The coefficients are invariant to rigid motions, so each molecule is gridded in its
own principal axes (the smallest boxes). Molecules computed together are padded to a
common number of atoms with weight-0 atoms, which add nothing to any field.
"""

from dataclasses import dataclass
from math import ceil

import numpy as np

from .molecules import pad_ragged


@dataclass
class BatchGeometry:
    """Molecules of one batch, placed for gridding.

    Attributes
    ----------
    positions : ndarray of shape (B, N, 3)
        Positions (Å) in each molecule's principal axes; padding atoms sit at
        the origin.
    weights : ndarray of shape (B, C, N)
        Channel weights; 0 for padding atoms.
    lower, upper : ndarray of shape (B, 3)
        Bounding box of each molecule's atoms.
    """

    positions: np.ndarray
    weights: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def principal_axes_positions(positions):
    """Positions centred and expressed in their principal axes.

    The coefficients are rotation invariant, so each molecule may be gridded in any
    orientation; its principal axes give the smallest boxes.
    """
    centred = positions - positions.mean(axis=0)
    if len(centred) < 2:
        return centred
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    rotated = centred @ axes.T
    if rotated.shape[1] < 3:  # fewer than 3 atoms: svd returns fewer axes
        rotated = np.pad(rotated, ((0, 0), (0, 3 - rotated.shape[1])))
    return rotated


def pad_batch(positions_list, weights_list):
    """Pad a batch of molecules into a :class:`BatchGeometry`.

    Padding atoms sit at the origin with weight 0, so they add nothing to any field.

    Parameters
    ----------
    positions_list : list of ndarray of shape (n_atoms_i, 3)
    weights_list : list of ndarray of shape (n_channels, n_atoms_i)

    Returns
    -------
    BatchGeometry
    """
    positions = pad_ragged(positions_list, axis=0)
    weights = pad_ragged(weights_list, axis=1)
    lower = np.array([p.min(axis=0) for p in positions_list])
    upper = np.array([p.max(axis=0) for p in positions_list])
    return BatchGeometry(positions, weights, lower, upper)


def grid_shape(extent, spacing, margin):
    """Points per axis of a grid of ``spacing`` over ``extent`` (Å) plus the margins.

    Python integers from floats, so that even an absurd extent is counted without
    overflow (:mod:`skscatharm._core.budget` counts before allocating).
    """
    return tuple(ceil((float(e) + 2 * margin) / spacing) + 1 for e in extent)


def grid_for(geometry, spacing, margin):
    """Origins ``(B, 3)``, a common shape and each molecule's own point counts.

    Each molecule's grid starts at its own bounding box minus the margin and has
    its own number of points per axis (``counts``, ``(B, 3)``), exactly those it
    would have alone; the common shape is the largest, and the points past a
    molecule's counts are left out of its fields (zeros), so a molecule's sums do
    not depend on the rest of the batch.
    """
    origins = geometry.lower - margin
    counts = np.array(
        [grid_shape(e, spacing, margin) for e in geometry.upper - geometry.lower]
    )
    return origins, tuple(int(n) for n in counts.max(axis=0)), counts
