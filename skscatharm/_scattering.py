"""The scattering core: SPEC.md §3 for a batch of molecules, on any array backend.

For a batch of ``B`` molecules padded to ``N`` atoms (padding atoms have weight 0),
:func:`scatter_batch` returns ``S0``, ``S1`` and ``S2`` for every channel:

* ``S0[q] = ∫ |rho|^q``, with ``rho`` sampled in closed form (or, when every power
  is 1 or 2, the integrals themselves in closed form);
* ``S1[j, l, q] = ∫ U1[j, l]^q`` where, by the Gaussian identity of SPEC §4,
  ``rho * psi_{s,l,m} = (s/t)^l sum_n w_n psi_{t,l,m}(. - r_n)`` with
  ``t² = s² + sigma²``: the first layer is evaluated exactly at the grid points and no
  density is ever sampled or transformed;
* ``S2[j1, j2, l, q] = ∫ U2[j1, j2, l]^q`` with ``U2 = (Σ_m |U1[j1,l] * psi_{j2,l,m}|²)^½``:
  the spectrum of ``U1[j1, l]`` is evaluated by a pruned DFT (three small matrix
  products) only at the frequencies of the coarse lattice of scale ``j2``, multiplied by
  the wavelet's exact Fourier transform, and brought back by an inverse real FFT on
  that coarse lattice.

All integrals are trapezoid (voxel-sum) rules, exact to the tolerances of
:mod:`skscatharm._plan` because every field is smooth on its own grid.
"""

from dataclasses import dataclass
from functools import lru_cache
from math import ceil, gamma, pi

import numpy as np
from scipy.fft import next_fast_len

from ._harmonics import (
    monomial_exponents,
    solid_harmonic_coefficients,
    wavelet_normalisation,
)


@dataclass
class BatchGeometry:
    """Molecules of one batch, placed for gridding.

    Attributes
    ----------
    positions : ndarray of shape (B, N, 3)
        Positions (Å) in each molecule's principal axes; padding atoms sit on atom 0.
    weights : ndarray of shape (B, C, N)
        Channel weights; 0 for padding atoms.
    lower, upper : ndarray of shape (B, 3)
        Bounding box of each molecule's atoms.
    """

    positions: np.ndarray
    weights: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def grid_for(geometry, spacing, margin):
    """Origins ``(B, 3)`` and a common shape for grids of ``spacing`` with ``margin``.

    Each molecule's grid starts at its own bounding box minus the margin, so the sample
    points of a molecule do not depend on the rest of the batch; molecules smaller than
    the largest only get extra (negligible) points at the far end.
    """
    origins = geometry.lower - margin
    extents = geometry.upper - geometry.lower + 2 * margin
    shape = tuple(int(n) for n in np.ceil(extents.max(axis=0) / spacing) + 1)
    return origins, shape


def _axis_factors(xp, positions, origins, shape, spacing, width, max_degree, dtype):
    """``((x - r_n)/t)^a exp(-(x - r_n)²/2t²)`` per axis: 3 arrays (B, n_axis, N, a)."""
    factors = []
    for axis in range(3):
        coordinates = origins[:, axis, None] + spacing * np.arange(shape[axis])
        delta = (coordinates[:, :, None] - positions[:, None, :, axis]) / width
        delta = xp.asarray(delta, dtype=dtype)
        powers = [xp.exp(-0.5 * delta * delta)]
        for _ in range(max_degree):
            powers.append(powers[-1] * delta)
        factors.append(xp.stack(powers, axis=-1))
    return factors


#: Upper bound on the doubles held by the monomial fields of one slab of grid planes;
#: slabs keep the working set in cache and the memory flat in the grid size.
SLAB_DOUBLES = 2**21


def first_layer_squared_moduli(
    backend, geometry, origins, shape, spacing, width, degrees, amplitudes, dtype
):
    """``Σ_m |Σ_n w_n a_l psi_{t,l,m}(u - r_n)|²`` on each molecule's grid.

    The solid harmonic ``R_lm(u - r_n)`` is a sum of monomials ``x^a y^b z^c`` of
    degree ``l`` and the Gaussian factorises over axes, so each monomial field
    ``Σ_n w_n X_a(x - x_n) Y_b(y - y_n) Z_c(z - z_n)`` is one matrix product
    ``(x, y) x atom`` times ``atom x (channel, z)``; the ``2l + 1`` harmonic fields
    are then small combinations of the monomial fields. Summing over atoms before
    combining costs ``N`` multiply-adds per monomial instead of per monomial and order.
    The grid is processed in slabs of ``x`` planes.

    Parameters
    ----------
    backend : Backend
    geometry : BatchGeometry
    origins : ndarray of shape (B, 3)
    shape : tuple of 3 int
    spacing, width : float
        Grid spacing and field width ``t``.
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
    nx, ny, nz = shape
    max_degree = max(degrees)
    x_factors, y_factors, z_factors = _axis_factors(
        xp, geometry.positions, origins, shape, spacing, width, max_degree, dtype
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
    slab = max(1, min(nx, SLAB_DOUBLES // per_plane))
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


def integrate_powers(xp, squared_modulus, powers, cell_volume, axes):
    """``cell_volume * Σ |f|^q`` over ``axes`` for each ``q``, from ``|f|²``.

    Returns an array with the remaining axes followed by one axis over ``powers``.
    The usual powers avoid ``pow``: ``|f|^2`` is ``|f|²`` itself (so ``q = 2`` keeps
    full precision), and ``|f|^0.5, |f|, |f|^3`` come from square roots. Sums are
    einsum contractions, which read each array once without temporaries (``|f|^3``
    is contracted as ``|f| · |f|²``).
    """
    letters = "abcdefghijklmnopqrstuvwxyz"[: squared_modulus.ndim]
    kept = "".join(c for i, c in enumerate(letters) if i not in axes)
    total = f"{letters}->{kept}"
    modulus = None
    totals = []
    for power in powers:
        if power == 2:
            totals.append(xp.einsum(total, squared_modulus))
            continue
        if modulus is None:
            modulus = xp.sqrt(squared_modulus)
        if power == 1:
            totals.append(xp.einsum(total, modulus))
        elif power == 3:
            totals.append(xp.einsum(f"{letters},{total}", modulus, squared_modulus))
        elif power == 0.5:
            totals.append(xp.einsum(total, xp.sqrt(modulus)))
        else:
            totals.append(xp.einsum(total, modulus**power))
    return xp.stack(totals, axis=-1) * cell_volume


def _dft_matrix(xp, n_samples, spacing, frequencies, period, dtype):
    """``exp(-i k p h)`` for lattice frequencies ``k = 2 pi n / period``."""
    phase = -2 * pi * np.outer(frequencies, np.arange(n_samples)) * spacing / period
    return xp.asarray(np.exp(1j * phase), dtype=dtype)


def pruned_spectrum(backend, fields, fine_spacing, coarse_shape, period, dtype):
    """Fourier transform of grid fields at the frequencies of a coarse periodic lattice.

    Equals an FFT of the fields zero-padded to ``period`` at the fine spacing, cropped
    to the ``coarse_shape`` lowest frequencies (half of the last axis, as ``rfftn``),
    but costs three small matrix products instead of a large FFT.

    Parameters
    ----------
    fields : array of shape (B, Nx, Ny, M, Nz)
        Real fields on the fine grid; ``M`` stacks channels and degrees.
    fine_spacing : float
    coarse_shape : tuple of 3 int
    period : ndarray of shape (3,)
        Lattice period per axis; must exceed each fine grid's length.
    dtype : numpy dtype
        Real dtype of the fields.

    Returns
    -------
    spectrum : array of shape (B, Kx, Ky, M, Kz // 2 + 1), complex
        ``fine_spacing³ Σ_p f(p) exp(-i k·(p - origin))``.
    """
    xp = backend.xp
    n_batch, nx, ny, n_fields, nz = fields.shape
    kx, ky, kz = coarse_shape
    complex_dtype = np.result_type(dtype, np.complex64)
    # Last axis: real input, so the cosine and sine parts are one real product whose
    # interleaved columns are read back as complex numbers.
    z_dft = _dft_matrix(np, nz, fine_spacing, np.arange(kz // 2 + 1), period[2], None)
    z_real = np.empty((nz, 2 * (kz // 2 + 1)))
    z_real[:, 0::2] = z_dft.real.T
    z_real[:, 1::2] = z_dft.imag.T
    # One matrix product over all lines (a stacked matmul would loop over tiny ones).
    spectrum = xp.matmul(fields.reshape(-1, nz), xp.asarray(z_real, dtype=dtype))
    spectrum = spectrum.view(complex_dtype)  # (B * Nx * Ny * M, Kz/2+1)
    y_dft = _dft_matrix(
        xp, ny, fine_spacing, np.fft.fftfreq(ky, 1 / ky), period[1], complex_dtype
    )
    spectrum = xp.matmul(y_dft, spectrum.reshape(n_batch, nx, ny, -1))
    x_dft = _dft_matrix(
        xp, nx, fine_spacing, np.fft.fftfreq(kx, 1 / kx), period[0], complex_dtype
    )
    spectrum = xp.matmul(x_dft, spectrum.reshape(n_batch, nx, -1))
    return spectrum.reshape(n_batch, kx, ky, n_fields, kz // 2 + 1) * fine_spacing**3


#: Wavelet spectra kept per process. One molecule needs ``n_pairs * (L + 1)`` of them
#: (12 by default, about 70 MB in all for a QM9-sized molecule); molecules of similar
#: size share their lattices, and the transformer processes them sorted by size.
WAVELET_CACHE_SIZE = 16


@lru_cache(maxsize=WAVELET_CACHE_SIZE)
def wavelet_spectrum(degree, width, coarse_shape, spacing):
    """Exact ``psî_{s,l,m}(k) / spacing³`` of SPEC §2 on the half lattice of ``rfftn``.

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
    sx, sy, sz = (width * k for k in axes)
    envelope = np.exp(
        -0.5
        * (sx[:, None, None] ** 2 + sy[None, :, None] ** 2 + sz[None, None, :] ** 2)
    )
    exponents = monomial_exponents(degree)
    monomials = np.stack(
        [
            sx[:, None, None] ** a * sy[None, :, None] ** b * sz[None, None, :] ** c
            for a, b, c in exponents
        ]
    )
    harmonics = np.tensordot(solid_harmonic_coefficients(degree), monomials, axes=1)
    factor = wavelet_normalisation(degree) * (2 * pi) ** 1.5 * (-1j) ** degree
    spectrum = (factor * spacing**-3) * harmonics * envelope
    spectrum.setflags(write=False)
    return spectrum


def second_layer_integrals(
    backend, plan, geometry, first_moduli, fine_origins, fine_spacing, j1, j2, dtype
):
    """``S2[j1, j2, l, q]`` for every channel and degree, shape ``(B, C, L+1, |Q|)``.

    Parameters
    ----------
    first_moduli : array of shape (B, Nx, Ny, C, L+1, Nz)
        ``U1[j1, l]`` on the fine grid of scale ``j1``.
    """
    xp = backend.xp
    n_batch, nx, ny, n_channels, n_degrees, nz = first_moduli.shape
    coarse_spacing, margin = plan.second_layer_grid(j1, j2)
    extents = (geometry.upper - geometry.lower).max(axis=0) + 2 * margin
    fine_lengths = np.array([nx, ny, nz]) * fine_spacing
    coarse_shape = tuple(
        next_fast_len(ceil(max(length, fine) / coarse_spacing), real=True)
        for length, fine in zip(extents, fine_lengths, strict=True)
    )
    period = np.array(coarse_shape) * coarse_spacing
    spectrum = pruned_spectrum(
        backend,
        first_moduli.reshape(n_batch, nx, ny, n_channels * n_degrees, nz),
        fine_spacing,
        coarse_shape,
        period,
        dtype,
    ).reshape(n_batch, *coarse_shape[:2], n_channels, n_degrees, -1)
    # (B, C, L+1, Kx, Ky, Kz/2+1), contiguous: each degree's slice is read per order.
    spectrum = xp.ascontiguousarray(spectrum.transpose(0, 3, 4, 1, 2, 5))
    integrals = []
    for degree in range(n_degrees):
        wavelet = backend.asarray(
            wavelet_spectrum(degree, plan.scales[j2], coarse_shape, coarse_spacing),
            dtype=spectrum.dtype,
        )
        fields = backend.irfftn(
            spectrum[:, :, degree, None] * wavelet[None, None], coarse_shape
        )  # (B, C, 2l+1, Kx, Ky, Kz)
        squared = xp.einsum("bcmxyz,bcmxyz->bcxyz", fields, fields)
        integrals.append(
            integrate_powers(xp, squared, plan.Q, coarse_spacing**3, (2, 3, 4))
        )
    return xp.stack(integrals, axis=2)


def zeroth_order(backend, plan, geometry, dtype):
    """``S0[q]`` for every channel, shape ``(B, C, |Q|)``.

    In closed form when every power has one (SPEC §4): ``S0[1] = Σ_n w_n`` (for
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
    origins, shape = grid_for(geometry, spacing, margin)
    density = first_layer_squared_moduli(
        backend, geometry, origins, shape, spacing, plan.sigma, (0,), (1.0,), dtype
    )
    return integrate_powers(xp, density, plan.Q, spacing**3, (1, 2, 5))


def scatter_batch(backend, plan, geometry, dtype=np.float64):
    """All coefficients of a batch: ``(B, C, n_features_per_channel)`` NumPy float64.

    Per channel the order is ``S0[q]``, then ``S1[j, l, q]`` in C order, then
    ``S2[j1, j2, l, q]`` with pairs in lexicographic order.
    """
    xp = backend.xp
    n_batch, n_channels = geometry.weights.shape[:2]
    parts = [zeroth_order(backend, plan, geometry, dtype)]
    if plan.max_order >= 1:
        degrees = tuple(range(plan.L + 1))
        first, second = [], []
        for j, (scale, width) in enumerate(
            zip(plan.scales, plan.first_layer_widths, strict=True)
        ):
            spacing, margin = plan.first_layer_grid(j)
            origins, shape = grid_for(geometry, spacing, margin)
            amplitudes = tuple((scale / width) ** degree for degree in degrees)
            squared = first_layer_squared_moduli(
                backend,
                geometry,
                origins,
                shape,
                spacing,
                width,
                degrees,
                amplitudes,
                dtype,
            )
            first.append(integrate_powers(xp, squared, plan.Q, spacing**3, (1, 2, 5)))
            later = [j2 for j1, j2 in plan.pairs if j1 == j]
            if later:
                moduli = xp.sqrt(squared, out=squared)
                for j2 in later:
                    second.append(
                        second_layer_integrals(
                            backend,
                            plan,
                            geometry,
                            moduli,
                            origins,
                            spacing,
                            j,
                            j2,
                            dtype,
                        )
                    )
            del squared
        parts.append(xp.stack(first, axis=2).reshape(n_batch, n_channels, -1))
        if second:
            parts.append(xp.stack(second, axis=2).reshape(n_batch, n_channels, -1))
    coefficients = xp.concatenate(
        [part.reshape(n_batch, n_channels, -1) for part in parts], axis=-1
    )
    return backend.to_numpy(coefficients).astype(np.float64)


def s1_squared_closed_form(positions, weights, sigma, scale, degree):
    """Exact ``S1[j, l, 2]`` from SPEC.md §4 (a pairwise sum, no grid).

    Parameters
    ----------
    positions : ndarray of shape (N, 3)
    weights : ndarray of shape (N,)
    sigma, scale : float
        Atom width and wavelet width ``s``.
    degree : int

    Returns
    -------
    float
    """
    from scipy.special import hyp1f1

    width_sq = scale**2 + sigma**2
    distances_sq = ((positions[:, None, :] - positions[None, :, :]) ** 2).sum(-1)
    pair_sum = (
        weights @ hyp1f1(degree + 1.5, 1.5, -distances_sq / (4 * width_sq)) @ (weights)
    )
    c_l = wavelet_normalisation(degree)
    return (
        scale ** (2 * degree)
        * c_l**2
        * (2 * degree + 1)
        / (4 * pi)
        * 2
        * pi
        * gamma(degree + 1.5)
        * width_sq ** (-degree - 1.5)
        * pair_sum
    )
