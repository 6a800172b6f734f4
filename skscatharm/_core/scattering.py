"""The scattering core: doc/definition.rst §3 for a batch of molecules, on any backend.

For a batch of ``B`` molecules padded to ``N`` atoms (padding atoms have weight 0),
:func:`scatter_batch` returns ``S0``, ``S1`` and ``S2`` for every channel:

* ``S0[q] = ∫ |rho|^q``, with ``rho`` sampled in closed form (or, when every power
  is 1 or 2, the integrals themselves in closed form);
* ``S1[j, l, q] = ∫ U1[j, l]^q`` with ``U1`` evaluated exactly at the grid points
  (:mod:`skscatharm._core.first_layer`);
* ``S2[j1, j2, l, q] = ∫ U2[j1, j2, l]^q`` (:mod:`skscatharm._core.second_layer`).

All integrals are trapezoid (voxel-sum) rules, exact to the tolerances of
:mod:`skscatharm._core.plan` because every field is smooth on its own grid.
"""

from math import pi

import numpy as np

from .first_layer import first_layer_squared_moduli
from .geometry import grid_for
from .integrals import integrate_powers
from .second_layer import second_layer_integrals


def zeroth_order(backend, plan, geometry, dtype):
    """``S0[q]`` for every channel, shape ``(B, C, |Q|)``.

    In closed form when every power has one (doc/definition.rst §4): ``S0[1] = Σ_n w_n`` (for
    weights that are all non-negative, where ``|rho| = rho``) and
    ``S0[2] = Σ_{n,n'} w_n w_n' g_{sqrt(2) sigma}(r_n - r_n')``. Otherwise on the
    density grid, the finest of the transform, for every power: one computation
    for all of them.
    """
    xp = backend.xp
    nonnegative = bool((geometry.weights >= 0).all())
    if set(plan.Q) <= ({1.0, 2.0} if nonnegative else {2.0}):
        positions = backend.asarray(geometry.positions, dtype=dtype)
        weights = backend.asarray(geometry.weights, dtype=dtype)
        totals = []
        for power in plan.Q:
            if power == 1:
                totals.append(weights.sum(axis=-1))
                continue
            differences = positions[:, :, None, :] - positions[:, None, :, :]
            width_sq = 2 * plan.sigma**2
            overlap = (
                xp.exp(-(differences**2).sum(axis=-1) / (2 * width_sq))
                / (2 * pi * width_sq) ** 1.5
            )
            totals.append(xp.einsum("bcn,bnk,bck->bc", weights, overlap, weights))
        return xp.stack(totals, axis=-1)
    spacing, margin = plan.density_grid()
    grid = grid_for(geometry, spacing, margin)
    density = first_layer_squared_moduli(
        backend, geometry, grid, plan.sigma, (0,), (1.0,), dtype
    )
    return integrate_powers(xp, density, plan.Q, grid.weights, (1, 2, 5))


def _scale_integrals(backend, plan, geometry, j, group, later, dtype):
    """``S1[j, l, q]`` and ``S2[j, j2, l, q]`` of one degree group at scale ``j``.

    The group's fields are evaluated on their own grid, integrated, and (for the
    pairs ``(j, j2)``, ``j2`` in ``later``) carried through the second layer;
    they are released before the next group's. Returns ``(B, C, D, |Q|)`` and a
    dict ``j2 -> (B, C, D, |Q|)`` for the group's ``D`` degrees.
    """
    xp = backend.xp
    _, degrees = group
    scale, width = plan.scales[j], plan.first_layer_widths[j]
    grid = grid_for(geometry, *plan.first_layer_grid(j, group))
    amplitudes = tuple((scale / width) ** degree for degree in degrees)
    squared = first_layer_squared_moduli(
        backend, geometry, grid, width, degrees, amplitudes, dtype
    )
    first = integrate_powers(xp, squared, plan.Q, grid.weights, (1, 2, 5))
    second = {}
    if later:
        moduli = xp.sqrt(squared, out=squared)
        for j2 in later:
            second[j2] = second_layer_integrals(
                backend,
                plan,
                geometry,
                moduli,
                grid,
                j,
                j2,
                dtype,
                degrees,
            )
    return first, second


def scatter_batch(backend, plan, geometry, dtype=np.float64):
    """All coefficients of a batch: ``(B, C, n_features_per_channel)`` NumPy float64.

    Per channel the order is ``S0[q]``, then ``S1[j, l, q]`` in C order, then
    ``S2[j1, j2, l, q]`` with pairs in lexicographic order.
    """
    xp = backend.xp
    n_batch, n_channels = geometry.weights.shape[:2]
    parts = [zeroth_order(backend, plan, geometry, dtype)]
    if plan.max_order >= 1:
        first, second = [], []
        # The groups' degrees, concatenated, and the order that sorts them back.
        grouped = [d for _, degrees in plan.degree_groups for d in degrees]
        order = sorted(range(len(grouped)), key=grouped.__getitem__)

        def in_degree_order(arrays):
            """``(B, C, D_g, |Q|)`` arrays of the groups as one, by degree."""
            slices = [a[:, :, k : k + 1] for a in arrays for k in range(a.shape[2])]
            return xp.concatenate([slices[i] for i in order], axis=2)

        for j in range(plan.J + 1):
            later = [j2 for j1, j2 in plan.pairs if j1 == j]
            results = [
                _scale_integrals(backend, plan, geometry, j, group, later, dtype)
                for group in plan.degree_groups
            ]
            first.append(in_degree_order([f for f, _ in results]))
            second.extend(in_degree_order([s[j2] for _, s in results]) for j2 in later)
        parts.append(xp.stack(first, axis=2).reshape(n_batch, n_channels, -1))
        if second:
            parts.append(xp.stack(second, axis=2).reshape(n_batch, n_channels, -1))
    coefficients = xp.concatenate(
        [part.reshape(n_batch, n_channels, -1) for part in parts], axis=-1
    )
    return backend.to_numpy(coefficients).astype(np.float64)
