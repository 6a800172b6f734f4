"""An independent, brute-force computation of the coefficients of doc/definition.rst §3.

Nothing here uses the package's closed forms, monomial harmonics, pruned DFT or
per-scale grids: the density is sampled on one large periodic grid, every convolution
is a full FFT with the wavelet's Fourier transform built from SciPy's complex
``sph_harm_y``, and every integral is a voxel sum. It is slow and only meant for small
molecules and wide Gaussians.
"""

from math import gamma, pi, sqrt

import numpy as np
import scipy.fft
from scipy.special import hyp1f1, sph_harm_y


def _c(l):  # noqa: E741
    return 1 / (sqrt(4 * pi * (2 * l + 1)) * 2 ** ((l + 1) / 2) * gamma((l + 3) / 2))


def _wavelet_hat(k_vectors, k_norm, s, l, m):  # noqa: E741
    polar = np.arccos(np.clip(k_vectors[2] / np.where(k_norm > 0, k_norm, 1), -1, 1))
    azimuth = np.arctan2(k_vectors[1], k_vectors[0])
    return (
        _c(l)
        * (2 * pi) ** 1.5
        * (-1j) ** l
        * (s * k_norm) ** l
        * np.exp(-0.5 * (s * k_norm) ** 2)
        * sph_harm_y(l, m, polar, azimuth)
    )


def reference_coefficients(positions, weights, sigma, J, L, Q, spacing, margin):
    """Coefficients in the package's column order for one channel.

    Parameters
    ----------
    positions : ndarray (N, 3)
    weights : ndarray (N,)
    sigma : float
        Atom width; the wavelets start at ``sigma_0 = sigma``.
    J, L : int
    Q : sequence of float
    spacing : float
        Grid spacing (Å).
    margin : float
        Box margin around the atoms (Å), large enough for every field's tail.
    """
    lower = positions.min(axis=0) - margin
    n = int(np.ceil((positions.max(axis=0) - lower + margin).max() / spacing))
    n += n % 2
    axis = np.arange(n) * spacing
    grid = np.stack(np.meshgrid(*(lower[d] + axis for d in range(3)), indexing="ij"))
    density = np.zeros((n, n, n))
    for r, w in zip(positions, weights, strict=True):
        distance_sq = sum((grid[d] - r[d]) ** 2 for d in range(3))
        density += (
            w * (2 * pi * sigma**2) ** -1.5 * np.exp(-distance_sq / (2 * sigma**2))
        )
    del grid
    frequencies = 2 * pi * np.fft.fftfreq(n, spacing)
    k_vectors = np.stack(
        np.meshgrid(frequencies, frequencies, frequencies, indexing="ij")
    )
    k_norm = np.sqrt((k_vectors**2).sum(axis=0))
    volume = spacing**3

    def integrals(modulus):
        return [volume * (modulus**q).sum() for q in Q]

    def modulus_of_convolutions(field_hat, s, l):  # noqa: E741
        total = np.zeros((n, n, n))
        for m in range(-l, l + 1):
            conv = scipy.fft.ifftn(
                field_hat * _wavelet_hat(k_vectors, k_norm, s, l, m), workers=-1
            )
            total += np.abs(conv) ** 2
        return np.sqrt(total)

    s0 = integrals(np.abs(density))
    density_hat = scipy.fft.fftn(density, workers=-1)
    scales = [sigma * 2**j for j in range(J + 1)]
    s1, first = [], {}
    for j, s in enumerate(scales):
        for l in range(L + 1):  # noqa: E741
            u1 = modulus_of_convolutions(density_hat, s, l)
            s1 += integrals(u1)
            if j < J:
                first[j, l] = scipy.fft.fftn(u1, workers=-1)
    s2 = []
    for j1 in range(J + 1):
        for j2 in range(j1 + 1, J + 1):
            for l in range(L + 1):  # noqa: E741
                s2 += integrals(modulus_of_convolutions(first[j1, l], scales[j2], l))
    return np.array(s0 + s1 + s2)


def s1_squared_closed_form(positions, weights, sigma, scale, degree):
    """Exact ``S1[j, l, 2]`` of doc/definition.rst §4 (a pairwise sum, no grid).

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
    width_sq = scale**2 + sigma**2
    distances_sq = ((positions[:, None, :] - positions[None, :, :]) ** 2).sum(-1)
    pair_sum = (
        weights @ hyp1f1(degree + 1.5, 1.5, -distances_sq / (4 * width_sq)) @ (weights)
    )
    c_l = _c(degree)
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
