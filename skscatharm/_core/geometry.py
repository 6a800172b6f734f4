"""Molecules placed for gridding: principal axes, padded batches and their grids.

The coefficients are invariant to rigid motions, so each molecule is gridded in its
own principal axes (the smallest boxes). Molecules computed together are padded to a
common number of atoms with weight-0 atoms, which add nothing to any field.

A grid is a tensor product of one set of nodes per axis, with trapezoid weights.
The nodes are uniform, or *graded* (doc/definition.rst §4): ``spacing`` apart over
the interior, where the fields' kinks lie, and farther apart in the margins, where
every field is smooth and needs fewer points per width. A graded axis is a smooth
map ``x = φ(ξ)`` of the node index, with weights ``φ'(ξ)``: the trapezoid rule in
``ξ``, which keeps the spectral accuracy of the uniform rule for smooth integrands.
"""

from dataclasses import dataclass
from functools import lru_cache
from math import ceil, pi, sqrt

import numpy as np
from scipy.special import erf

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


#: Width, in nodes, of the smooth change of spacing between a graded axis's
#: interior and its margins (the scale of its error function). The trapezoid rule
#: in the node index sees the change as a modulation of the integrand, whose
#: aliasing falls like a Gaussian of this width: at 3.5, a Gaussian field that
#: straddles the change, times a plane wave of the frequencies the second layer
#: reads, is integrated to about 1e-11 of its size (tests/test_graded_grids.py),
#: for a few more nodes than at 1.5 (1e-5).
GRADING_WIDTH = 3.5

#: Nodes, in units of :data:`GRADING_WIDTH`, from the centre of a spacing change
#: to the interior, where the spacing then exceeds the fine one by at most
#: ``erfc(2) / 2`` (0.23 %) of the difference between the two.
GRADING_REACH = 2.0


def _ramp(u):
    """``∫_{-∞}^u (1 + erf s) / 2 ds``, the integral of the smooth step."""
    u = np.asarray(u, dtype=float)
    return 0.5 * (u * (1.0 + erf(u)) + np.exp(-u * u) / sqrt(pi))


@dataclass(frozen=True)
class GradedAxis:
    """Nodes ``φ(ξ)``, ``ξ = 0..n-1``, fine over an interior and coarse outside.

    The spacing is ``φ'(ξ) = fine + (coarse - fine) (S((left - ξ)/w) + S((ξ -
    right)/w))`` with ``S(u) = (1 + erf u) / 2`` and ``w`` :data:`GRADING_WIDTH`:
    ``fine`` between the two changes of spacing (centred at ``left`` and
    ``right``), ``coarse`` beyond them.
    """

    fine: float
    coarse: float
    left: float
    right: float
    n_nodes: int = 0

    def positions(self, index):
        """``φ(ξ) - φ(0)``, closed form."""
        w, rise = GRADING_WIDTH, self.coarse - self.fine
        index = np.asarray(index, dtype=float)
        return self.fine * index + rise * w * (
            _ramp(self.left / w)
            - _ramp((self.left - index) / w)
            + _ramp((index - self.right) / w)
            - _ramp(-self.right / w)
        )

    def spacings(self, index):
        """``φ'(ξ)``: the spacing at ``ξ``, the trapezoid weight of its node."""
        w = GRADING_WIDTH
        index = np.asarray(index, dtype=float)
        steps = erf((self.left - index) / w) + erf((index - self.right) / w)
        return self.fine + (self.coarse - self.fine) * (1.0 + 0.5 * steps)


#: Graded axes kept per process: a molecule needs one per axis, scale and degree
#: group for its grids and again for its second-layer lattices, and the node search
#: below evaluates the closed form many times.
GRADED_AXIS_CACHE_SIZE = 1024


@lru_cache(maxsize=GRADED_AXIS_CACHE_SIZE)
def graded_axis(extent, spacing, margin, coarse, inner):
    """The graded axis over ``extent`` (Å) and its margins, or None if not coarser.

    The interior, the atoms' span widened by ``inner`` on each side, has nodes
    ``spacing`` apart (see :data:`GRADING_REACH`); outside it the spacing rises smoothly to
    ``coarse``, and the nodes reach at least ``margin`` past the atoms on each
    side. Returns the axis and the index ``ξ`` of the interior's first point
    (its position is ``lower - inner``).
    """
    outer = margin - inner
    reach = GRADING_REACH * GRADING_WIDTH
    if coarse is None or coarse < 1.05 * spacing or outer < 2 * reach * spacing:
        return None
    interior = ceil((float(extent) + 2 * inner) / spacing)
    left = max(0, ceil((outer - reach * spacing) / coarse))
    while True:  # the run before the interior covers the outer margin
        axis = GradedAxis(spacing, coarse, left, left + 2 * reach + interior)
        if axis.positions(left + reach) >= outer:
            break
        left += 1
    start, end = left + reach, axis.right - reach
    n_nodes = ceil(end + (start - 0)) + 1
    while axis.positions(n_nodes - 1) - axis.positions(end) < outer:
        n_nodes += 1
    return GradedAxis(spacing, coarse, left, axis.right, n_nodes), start


def axis_nodes(lower, upper, spacing, margin, coarse=None, inner=0.0):
    """Nodes and trapezoid weights of one axis over ``[lower, upper]`` and margins.

    Uniform (``spacing`` apart from ``lower - margin``, as many as reach ``upper +
    margin``) unless :func:`graded_axis` grades it.

    Returns
    -------
    nodes, weights : ndarray of shape (n,)
    """
    graded = graded_axis(upper - lower, spacing, margin, coarse, inner)
    if graded is None:
        n = ceil((float(upper - lower) + 2 * margin) / spacing) + 1
        return lower - margin + spacing * np.arange(n), np.full(n, float(spacing))
    axis, start = graded
    index = np.arange(axis.n_nodes)
    positions = axis.positions(index)
    origin = lower - inner - axis.positions(start)
    return origin + positions, axis.spacings(index)


def axis_size(extent, spacing, margin, coarse=None, inner=0.0):
    """``(n, length)``: the nodes of :func:`axis_nodes` and the length they cover.

    The length is the span of the nodes plus the last spacing (``n * spacing`` on a
    uniform axis): a periodic lattice at least that long holds the nodes without
    wrapping. Python numbers from floats, so that an absurd extent is counted
    without overflow (:mod:`skscatharm._core.budget` counts before allocating).
    """
    graded = graded_axis(extent, spacing, margin, coarse, inner)
    if graded is None:
        n = ceil((float(extent) + 2 * margin) / spacing) + 1
        return n, n * spacing
    axis, _ = graded
    last = axis.n_nodes - 1
    return axis.n_nodes, float(axis.positions(last) + axis.spacings(last))


def grid_shape(extent, spacing, margin, coarse=None, inner=0.0):
    """Nodes per axis of a grid over ``extent`` (Å) plus the margins."""
    return tuple(axis_size(e, spacing, margin, coarse, inner)[0] for e in extent)


@dataclass
class Grid:
    """Tensor-product quadrature nodes of a batch, per molecule and axis.

    Attributes
    ----------
    nodes : tuple of 3 ndarrays of shape (B, n_axis)
        Coordinates (Å) of each molecule's nodes on each axis; past a molecule's
        own nodes, filler coordinates.
    weights : tuple of 3 ndarrays of shape (B, n_axis)
        Trapezoid weights (Å); 0 past a molecule's own nodes, which are left out of
        its fields, so that a molecule's sums do not depend on the rest of the batch.
    """

    nodes: tuple
    weights: tuple

    @property
    def shape(self):
        """The common number of nodes on each axis."""
        return tuple(n.shape[1] for n in self.nodes)

    @property
    def origins(self):
        """``(B, 3)``: each molecule's first node on each axis."""
        return np.stack([n[:, 0] for n in self.nodes], axis=1)

    @classmethod
    def uniform(cls, origins, shape, spacing):
        """Every molecule's nodes ``origins + spacing * i``, ``i < shape``."""
        origins = np.asarray(origins, dtype=float)
        nodes = tuple(
            origins[:, axis, None] + spacing * np.arange(n)[None]
            for axis, n in enumerate(shape)
        )
        return cls(nodes, tuple(np.full_like(n, float(spacing)) for n in nodes))


def grid_for(geometry, spacing, margin, coarse=None, inner=0.0):
    """Each molecule's own :class:`Grid` over its box, padded to common shapes.

    Each molecule's nodes are exactly those it would have alone (:func:`axis_nodes`
    of its own box); the batch's shape is the largest on each axis, and the nodes
    past a molecule's own have weight 0 and no field.
    """
    nodes, weights = [], []
    for axis in range(3):
        own = [
            axis_nodes(lo, hi, spacing, margin, coarse, inner)
            for lo, hi in zip(
                geometry.lower[:, axis], geometry.upper[:, axis], strict=True
            )
        ]
        n = max(len(x) for x, _ in own)
        nodes.append(
            np.stack([np.pad(x, (0, n - len(x)), mode="edge") for x, _ in own])
        )
        weights.append(np.stack([np.pad(w, (0, n - len(w))) for _, w in own]))
    return Grid(tuple(nodes), tuple(weights))
