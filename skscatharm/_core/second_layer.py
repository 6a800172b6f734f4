"""The second layer: ``S2[j1, j2, l, q] = ∫ U2[j1, j2, l]^q`` (doc/definition.rst §3).

``U2 = (Σ_m |U1[j1,l] * psi_{j2,l,m}|²)^½``: the spectrum of ``U1[j1, l]`` is
evaluated by a pruned DFT (three small matrix products) only at the frequencies of
the coarse lattice of scale ``j2``, multiplied by the wavelet's exact Fourier
transform, and brought back by an inverse real FFT on that coarse lattice.
"""

from functools import lru_cache
from math import ceil, pi

import numpy as np
from scipy.fft import next_fast_len

from .geometry import axis_size
from .harmonics import (
    monomial_exponents,
    solid_harmonic_coefficients,
    wavelet_normalisation,
)
from .integrals import integrate_powers


def _dft_matrices(xp, nodes, weights, frequencies, period, dtype):
    """``w_p exp(-i k (x_p - x_0))`` per molecule, ``(B, K, N)``.

    ``nodes`` and ``weights`` are ``(B, N)``; ``k = 2 pi n / period`` for the
    lattice indices ``frequencies``; phases are relative to each molecule's first
    node, the origin of its lattice.
    """
    offsets = nodes - nodes[:, :1]
    phase = -2 * pi * frequencies[None, :, None] * offsets[:, None, :] / period
    matrices = np.exp(1j * phase) * weights[:, None, :]
    return matrices if xp is None else xp.asarray(matrices, dtype=dtype)


def pruned_spectrum(backend, fields, grid, coarse_shape, period, dtype):
    """Fourier transform of grid fields at the frequencies of a coarse periodic lattice.

    The trapezoid rule on each molecule's grid for ``∫ f(u) exp(-i k·(u - u_0))
    du`` at the ``coarse_shape`` lowest frequencies of the lattice (half of the
    last axis, as ``rfftn``), with ``u_0`` the grid's first node. On a uniform grid
    it equals an FFT of the fields zero-padded to ``period``, cropped, but costs
    three small matrix products instead of a large FFT.

    Parameters
    ----------
    fields : array of shape (B, Nx, Ny, M, Nz)
        Real fields on the grid nodes; ``M`` stacks channels and degrees.
    grid : Grid
        The nodes and trapezoid weights of each molecule.
    coarse_shape : tuple of 3 int
    period : ndarray of shape (3,)
        Lattice period per axis; must exceed each grid's length.
    dtype : numpy dtype
        Real dtype of the fields.

    Returns
    -------
    spectrum : array of shape (B, Kx, Ky, M, Kz // 2 + 1), complex
    """
    xp = backend.xp
    n_batch, nx, ny, n_fields, nz = fields.shape
    kx, ky, kz = coarse_shape
    complex_dtype = np.result_type(dtype, np.complex64)
    (x_nodes, y_nodes, z_nodes), (x_weights, y_weights, z_weights) = (
        grid.nodes,
        grid.weights,
    )
    # Last axis: real input, so the cosine and sine parts are one real product whose
    # interleaved columns are read back as complex numbers.
    z_dft = _dft_matrices(
        None, z_nodes, z_weights, np.arange(kz // 2 + 1), period[2], None
    )  # (B, Kz/2+1, Nz)
    z_real = np.empty((n_batch, nz, 2 * (kz // 2 + 1)))
    z_real[:, :, 0::2] = z_dft.real.transpose(0, 2, 1)
    z_real[:, :, 1::2] = z_dft.imag.transpose(0, 2, 1)
    # One matrix product per molecule over all its lines.
    spectrum = xp.matmul(
        fields.reshape(n_batch, -1, nz), xp.asarray(z_real, dtype=dtype)
    )
    spectrum = spectrum.view(complex_dtype)  # (B, Nx * Ny * M, Kz/2+1)
    y_dft = _dft_matrices(
        xp, y_nodes, y_weights, np.fft.fftfreq(ky, 1 / ky), period[1], complex_dtype
    )
    spectrum = xp.matmul(
        y_dft[:, None], spectrum.reshape(n_batch, nx, ny, -1)
    )  # (B, Nx, Ky, M * (Kz/2+1))
    x_dft = _dft_matrices(
        xp, x_nodes, x_weights, np.fft.fftfreq(kx, 1 / kx), period[0], complex_dtype
    )
    spectrum = xp.matmul(x_dft, spectrum.reshape(n_batch, nx, -1))
    return spectrum.reshape(n_batch, kx, ky, n_fields, kz // 2 + 1)


#: Wavelet spectra kept per process. One molecule needs ``n_pairs * (L + 1)`` of them
#: (12 by default, about 70 MB in all for a QM9-sized molecule); molecules of similar
#: size share their lattices, and the transformer processes them sorted by size.
WAVELET_CACHE_SIZE = 16


@lru_cache(maxsize=WAVELET_CACHE_SIZE)
def wavelet_spectrum(degree, width, coarse_shape, spacing):
    """Exact ``psî_{s,l,m}(k) / spacing³`` of doc/definition.rst §2 on the half lattice of ``rfftn``.

    The lattice has ``coarse_shape`` points ``spacing`` apart (period ``shape *
    spacing``); the factor ``1 / spacing³`` turns the inverse FFT's sum into an
    integral. Returns a read-only complex128 array of shape
    ``(2l+1, Kx, Ky, Kz // 2 + 1)``:
    ``c_l (2 pi)^{3/2} (-i)^l exp(-s²|k|²/2) R_lm(s k) / spacing³``. It depends on
    the molecule only through the lattice shape, which ``next_fast_len`` draws from
    a short list, so it is cached.
    """
    kx, ky, kz = coarse_shape
    period = np.array(coarse_shape) * spacing
    axes = (
        2 * pi * np.fft.fftfreq(kx, 1 / kx) / period[0],
        2 * pi * np.fft.fftfreq(ky, 1 / ky) / period[1],
        2 * pi * np.arange(kz // 2 + 1) / period[2],
    )
    # The envelope and every monomial factorise over the axes: per axis the factors
    # (s k)^a exp(-(s k)²/2), a = 0..l, then one contraction per axis (the last,
    # over x, a matrix product that writes the orders' arrays in place): l + 1
    # multiply-adds per lattice point and order, where forming the monomials on the
    # lattice and combining them cost (l + 1)(l + 2)/2 and more.
    factors = []
    for k in axes:
        scaled = width * k
        factors.append(
            np.stack([scaled**a for a in range(degree + 1)]) * np.exp(-0.5 * scaled**2)
        )
    coefficients = np.zeros((2 * degree + 1,) + (degree + 1,) * 3)
    for column, (a, b, c) in enumerate(monomial_exponents(degree)):
        coefficients[:, a, b, c] = solid_harmonic_coefficients(degree)[:, column]
    partial = np.tensordot(coefficients, factors[2], axes=([3], [0]))  # (m, a, b, Kz')
    partial = np.einsum("mabz,by->mayz", partial, factors[1])  # (m, a, Ky, Kz')
    harmonics = np.matmul(
        factors[0].T, partial.reshape(2 * degree + 1, degree + 1, -1)
    )  # (m, Kx, Ky * Kz')
    factor = wavelet_normalisation(degree) * (2 * pi) ** 1.5 * (-1j) ** degree
    spectrum = (factor * spacing**-3) * harmonics.reshape(
        2 * degree + 1, kx, ky, kz // 2 + 1
    )
    spectrum.setflags(write=False)
    return spectrum


#: Lattice sizes are capped here before ``next_fast_len``: far beyond any memory,
#: and ``next_fast_len`` is slow (and overflows) on astronomically large sizes
#: (which :mod:`skscatharm._core.budget` may count before refusing them).
_LATTICE_CAP = 2**40


def lattice_shape(extent, margin, fine_lengths, coarse_spacing):
    """Shape of the periodic lattice of one second-layer pair.

    It covers the box (``extent``, Å) with the pair's ``margin``, and at least the
    fine first-layer grids (``fine_lengths``, Å per axis), whose fields the pruned
    DFT reads without wrapping; sizes are ``next_fast_len`` ones, so few shapes
    recur.
    """
    return tuple(
        next_fast_len(
            min(_LATTICE_CAP, ceil(max(e + 2 * margin, length) / coarse_spacing)),
            real=True,
        )
        for e, length in zip(extent, fine_lengths, strict=True)
    )


def pair_lattice(plan, j1, j2, extent):
    """The lattice shape of the pair ``(j1, j2)`` for a molecule of box ``extent``.

    What a molecule gets alone: molecules computed in one batch share a lattice,
    so a batch that should give each molecule its own coefficients holds
    molecules of equal :func:`pair_lattices` (see
    :func:`~skscatharm._core.dispatch.scatter_molecules`). Every degree group's
    fine grid of scale ``j1`` fits in it.
    """
    coarse_spacing, margin = plan.second_layer_grid(j1, j2)
    fine_lengths = [0.0, 0.0, 0.0]
    for group in plan.degree_groups:
        grid = plan.first_layer_grid(j1, group)
        fine_lengths = [
            max(length, axis_size(e, *grid)[1])
            for length, e in zip(fine_lengths, extent, strict=True)
        ]
    return lattice_shape(extent, margin, fine_lengths, coarse_spacing)


def pair_lattices(plan, extent):
    """:func:`pair_lattice` of every second-order pair, in the plan's order."""
    return tuple(pair_lattice(plan, j1, j2, extent) for j1, j2 in plan.pairs)


def second_layer_integrals(
    backend,
    plan,
    geometry,
    first_moduli,
    grid,
    j1,
    j2,
    dtype,
    degrees=None,
):
    """``S2[j1, j2, l, q]`` for every channel and degree, shape ``(B, C, D, |Q|)``.

    Parameters
    ----------
    first_moduli : array of shape (B, Nx, Ny, C, D, Nz)
        ``U1[j1, l]`` on the nodes of ``grid`` (a grid of scale ``j1``), for the
        ``D`` degrees ``degrees`` (default: ``0..D-1``).
    grid : Grid
    """
    xp = backend.xp
    n_batch, nx, ny, n_channels, n_degrees, nz = first_moduli.shape
    degrees = tuple(range(n_degrees)) if degrees is None else tuple(degrees)
    coarse_spacing, _ = plan.second_layer_grid(j1, j2)
    # Each molecule's own lattice; a batch of molecules whose lattices differ
    # takes the largest on each axis (and then depends on its composition).
    own = [pair_lattice(plan, j1, j2, e) for e in geometry.upper - geometry.lower]
    coarse_shape = tuple(int(n) for n in np.max(own, axis=0))
    period = np.array(coarse_shape) * coarse_spacing
    spectrum = pruned_spectrum(
        backend,
        first_moduli.reshape(n_batch, nx, ny, n_channels * n_degrees, nz),
        grid,
        coarse_shape,
        period,
        dtype,
    ).reshape(n_batch, *coarse_shape[:2], n_channels, n_degrees, -1)
    # (B, C, L+1, Kx, Ky, Kz/2+1), contiguous: each degree's slice is read per order.
    spectrum = xp.ascontiguousarray(spectrum.transpose(0, 3, 4, 1, 2, 5))
    integrals = []
    for index, degree in enumerate(degrees):
        wavelet = backend.asarray(
            wavelet_spectrum(degree, plan.scales[j2], coarse_shape, coarse_spacing),
            dtype=spectrum.dtype,
        )
        # One order at a time, its square added to the sum in place: the lattice
        # arrays of one order stay in cache between the inverse FFT and the sum,
        # where all 2l+1 at once did not (benchmarks/RESULTS.md §2).
        squared = None
        for order in range(2 * degree + 1):
            field = backend.irfftn(
                spectrum[:, :, index] * wavelet[order], coarse_shape
            )  # (B, C, Kx, Ky, Kz)
            field *= field
            if squared is None:
                squared = field
            else:
                squared += field
            del field  # before the next order's output is allocated
        integrals.append(
            integrate_powers(xp, squared, plan.Q, coarse_spacing**3, (2, 3, 4))
        )
    return xp.stack(integrals, axis=2)
