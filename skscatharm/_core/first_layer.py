"""The first layer in closed form: ``rho * psi_{s,l,m}``, on grids and at atoms.

By the Gaussian identity of doc/definition.rst §4, ``g_sigma * psi_{s,l,m} =
(s/t)^l psi_{t,l,m}`` with ``t² = s² + sigma²``, so

    rho * psi_{s,l,m}(u) = (s/t)^l Σ_n w_n psi_{t,l,m}(u - r_n)

is known exactly at any point: no density is sampled or transformed.
:func:`first_layer_squared_moduli` evaluates ``U1[j,l]²`` on a batch of grids, and
:func:`first_layer_at_atoms` reads ``U1[j,l]`` at each atom of a molecule, where the
sum over orders ``m`` collapses by the addition theorem of spherical harmonics:

    U1[j,l](r_n)² = (2l+1)/(4 pi) Σ_{n',n''} a_{n'} a_{n''} P_l(cos θ_{n'n''}),

with ``a_{n'} = w_{n'} (s/t)^l c_l t^-3 (d/t)^l exp(-d²/2t²)``, ``d = |r_n - r_{n'}|``,
``θ_{n'n''}`` the angle at ``r_n`` between ``r_{n'}`` and ``r_{n''}`` and ``P_l`` the
Legendre polynomial.
"""

import numpy as np
from scipy.special import eval_legendre

from .harmonics import (
    monomial_exponents,
    solid_harmonic_coefficients,
    wavelet_normalisation,
)
from .plan import first_layer_widths, wavelet_scales


def _axis_factors(xp, positions, grid, width, max_degree, dtype):
    """``((x - r_n)/t)^a exp(-(x - r_n)²/2t²)`` per axis: 3 arrays (B, n_axis, N, a).

    Nodes of weight 0 (past a molecule's own nodes on an axis) get factor 0: the
    fields vanish outside each molecule's own grid.
    """
    factors = []
    for nodes, weights in zip(grid.nodes, grid.weights, strict=True):
        delta = (nodes[:, :, None] - positions[:, None, :, len(factors)]) / width
        delta = xp.asarray(delta, dtype=dtype)
        gaussian = xp.exp(-0.5 * delta * delta)
        if not (weights > 0).all():
            inside = np.asarray(weights > 0, dtype=float)  # (B, n_axis)
            gaussian = gaussian * xp.asarray(inside[:, :, None], dtype=dtype)
        powers = [gaussian]
        for _ in range(max_degree):
            powers.append(powers[-1] * delta)
        factors.append(xp.stack(powers, axis=-1))
    return factors


#: Upper bound on the values held by the monomial fields of one slab of grid planes,
#: on the CPU. Each slab's monomial fields are written by one matrix product and
#: read back by the next (the harmonic combinations, then their squares): slabs
#: that fit in a core's L2 cache keep that traffic out of main memory
#: (benchmarks/RESULTS.md §2 measures the transform against larger slabs).
#: Large grids then go one plane at a time.
CPU_SLAB_VALUES = 2**16

#: The same bound on a GPU, where fewer and larger kernels are what counts, and
#: the memory stays flat in the grid size.
DEVICE_SLAB_VALUES = 2**21


def slab_values(device):
    """Values of the monomial fields held per slab: :data:`DEVICE_SLAB_VALUES` on a
    GPU (``device``), :data:`CPU_SLAB_VALUES` otherwise."""
    return DEVICE_SLAB_VALUES if device else CPU_SLAB_VALUES


def first_layer_squared_moduli(
    backend, geometry, grid, width, degrees, amplitudes, dtype
):
    """``Σ_m |Σ_n w_n a_l psi_{t,l,m}(u - r_n)|²`` on each molecule's grid.

    The solid harmonic ``R_lm(u - r_n)`` is a sum of monomials ``x^a y^b z^c`` of
    degree ``l`` and the Gaussian factorises over axes, so each monomial field
    ``Σ_n w_n X_a(x - x_n) Y_b(y - y_n) Z_c(z - z_n)`` is one matrix product
    ``(x, y) x atom`` times ``atom x (channel, z)``; the ``2l + 1`` harmonic fields
    are then small combinations of the monomial fields. Summing over atoms before
    combining costs ``N`` multiply-adds per monomial instead of per monomial and order.
    The grid is processed in slabs of ``x`` planes (:func:`slab_values`).

    Parameters
    ----------
    backend : Backend
    geometry : BatchGeometry
    grid : Grid
        Each molecule's nodes (:func:`~skscatharm._core.geometry.grid_for`); the
        fields are 0 at nodes of weight 0.
    width : float
        Field width ``t``.
    degrees : sequence of int
    amplitudes : sequence of float
        Factor ``a_l`` per degree (``(s/t)^l`` for the first layer, 1 for the density).
    dtype : numpy dtype

    Returns
    -------
    squared_moduli : array of shape (B, Nx, Ny, C, n_degrees, Nz)
    """
    xp = backend.xp
    n_batch, n_atoms = geometry.positions.shape[:2]
    n_channels = geometry.weights.shape[1]
    nx, ny, nz = grid.shape
    max_degree = max(degrees)
    x_factors, y_factors, z_factors = _axis_factors(
        xp, geometry.positions, grid, width, max_degree, dtype
    )
    # z side of every monomial: weights times z factor, (c, B, N, C * Nz) per power c.
    weights = xp.asarray(geometry.weights, dtype=dtype)
    z_side = xp.ascontiguousarray(
        (weights[:, :, :, None, None] * z_factors.transpose(0, 2, 3, 1)[:, None])
        .transpose(3, 0, 2, 1, 4)
        .reshape(max_degree + 1, n_batch, n_atoms, n_channels * nz)
    )
    # Monomials are homogeneous of their degree, so each degree's rows are one slice.
    monomials, combinations = [], []
    for degree, amplitude in zip(degrees, amplitudes, strict=True):
        scale = amplitude * wavelet_normalisation(degree) * width**-3
        exponents = [tuple(e) for e in monomial_exponents(degree)]
        rows = slice(len(monomials), len(monomials) + len(exponents))
        monomials.extend(exponents)
        coefficients = solid_harmonic_coefficients(degree) * scale  # (2l+1, n_mono)
        combinations.append((rows, xp.asarray(coefficients, dtype=dtype)))
    squared = xp.empty((n_batch, nx, ny, n_channels, len(degrees), nz), dtype=dtype)
    per_plane = len(monomials) * n_batch * ny * n_channels * nz
    slab = max(1, min(nx, slab_values(backend.name != "numpy") // per_plane))
    for x0 in range(0, nx, slab):
        x1 = min(nx, x0 + slab)
        n_points = (x1 - x0) * ny
        fields = xp.empty(
            (len(monomials), n_batch, n_points, n_channels * nz), dtype=dtype
        )
        xy_cache = {}
        for row, (a, b, c) in enumerate(monomials):
            if (a, b) not in xy_cache:
                xy_cache[(a, b)] = (
                    x_factors[:, x0:x1, None, :, a] * y_factors[:, None, :, :, b]
                ).reshape(n_batch, n_points, n_atoms)
            fields[row] = xp.matmul(xy_cache[(a, b)], z_side[c])
        for position, (rows, coefficients) in enumerate(combinations):
            harmonic = xp.matmul(
                coefficients, fields[rows].reshape(coefficients.shape[1], -1)
            )  # (2l+1, B * points * C * Nz)
            squared[:, x0:x1, :, :, position, :] = xp.einsum(
                "mp,mp->p", harmonic, harmonic
            ).reshape(n_batch, x1 - x0, ny, n_channels, nz)
    return squared


def first_layer_at_atoms(positions, weights, sigma, sigma_0, J, L, scales_per_octave=1):
    """``U1[j, l]`` of every channel at every atom of one molecule (closed form).

    Parameters
    ----------
    positions : ndarray of shape (n_atoms, 3)
    weights : ndarray of shape (n_channels, n_atoms)
        Channel weights.
    sigma, sigma_0 : float
        Atom width and finest wavelet width (Å).
    J, L : int
        Largest scale index and largest degree.
    scales_per_octave : int, default=1
        Scales ``j = 0, 1/K, ..., J`` (:func:`~.plan.wavelet_scales`).

    Returns
    -------
    fields : ndarray of shape (n_atoms, n_channels, J * scales_per_octave + 1, L + 1)
    """
    offsets = positions[:, None, :] - positions[None, :, :]  # r_n - r_n'
    distances = np.linalg.norm(offsets, axis=-1)
    # An atom has no direction from itself; its own term has (d/t)^l = 0 for l >= 1
    # and P_0 = 1 for l = 0, so a zero direction is exact.
    directions = np.divide(
        offsets,
        distances[..., None],
        out=np.zeros_like(offsets),
        where=distances[..., None] > 0,
    )
    cosines = np.clip(np.einsum("nid,njd->nij", directions, directions), -1.0, 1.0)
    n_atoms, n_channels = len(positions), len(weights)
    scales = wavelet_scales(sigma_0, J, scales_per_octave)
    fields = np.empty((n_atoms, n_channels, len(scales), L + 1))
    widths = first_layer_widths(scales, sigma)
    for degree in range(L + 1):
        legendre = eval_legendre(degree, cosines)
        for j, (scale, width) in enumerate(zip(scales, widths, strict=True)):
            ratio = distances / width
            radial = (
                (scale / width) ** degree
                * wavelet_normalisation(degree)
                * width**-3
                * ratio**degree
                * np.exp(-0.5 * ratio**2)
            )
            amplitudes = radial[None, :, :] * weights[:, None, :]  # (c, n, n')
            squared = (
                (2 * degree + 1)
                / (4 * np.pi)
                * np.einsum("cni,cnj,nij->nc", amplitudes, amplitudes, legendre)
            )
            # Rounding can leave a tiny negative sum where the field vanishes.
            fields[:, :, j, degree] = np.sqrt(np.maximum(squared, 0.0))
    return fields
