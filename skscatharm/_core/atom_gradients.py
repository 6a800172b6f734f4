"""Exact derivatives of the atom-centred fields with respect to every atomic position.

The field at atom ``n`` is ``U(n) = |F(n)|`` with the vector over the orders ``m``

    F_m(n) = Σ_i w_i g_m(r_n - r_i),   g_m(u) = A R_lm(u) exp(-|u|²/2t²),

``A = (s/t)^l c_l t^(-3-l)`` and ``R_lm`` the real solid harmonics of
:mod:`.harmonics` (doc/definition.rst §7). ``g_m`` is a polynomial times a Gaussian,
so its gradient is ``∇g_m(u) = A exp(-|u|²/2t²) (∇R_lm(u) - R_lm(u) u / t²)`` and

    ∂U(n)/∂r_k = -H(n, k)                for k ≠ n,
    ∂U(n)/∂r_n = Σ_{k ≠ n} H(n, k),      H(n, k) = w_k Σ_m F_m(n) ∇g_m(r_n - r_k) / U(n).

The atom's own term ``w_n g_m(0)`` does not move with the positions, so it is left
out of ``H``; the derivatives over all atoms add up to zero (translation invariance)
by construction. Where ``F(n) = 0`` (``l >= 1`` at a centre of symmetry, say) the
modulus is not differentiable; the derivative returned there is 0, the element of
least norm of its subdifferential ``{J^T v : |v| <= 1}``.

Only array-module calls that CuPy shares are used (``xp`` is NumPy by default).
"""

from functools import cache

import numpy as np

from .harmonics import (
    monomial_exponents,
    solid_harmonic_coefficients,
    wavelet_normalisation,
)
from .plan import first_layer_widths, wavelet_scales

#: A field below this fraction of the sum of the moduli of its terms is taken as 0
#: (rounding level): its derivative is then the subgradient of least norm, 0.
ZERO_FIELD_RTOL = 1e-12

#: Upper bound on the doubles of one block's per-pair arrays (centre atoms are taken
#: in blocks so that memory beyond the result stays flat in the molecule's size).
BLOCK_DOUBLES = 2**21


@cache
def harmonic_gradient_coefficients(degree):
    """Monomial coefficients of ``∂R_lm/∂x``, ``∂R_lm/∂y``, ``∂R_lm/∂z``.

    Parameters
    ----------
    degree : int
        The degree ``l >= 1``.

    Returns
    -------
    coefficients : ndarray of shape (3, 2 * degree + 1, n_monomials(degree - 1))
        In the monomials of :func:`monomial_exponents` of ``degree - 1``.
    """
    source = monomial_exponents(degree)
    target = {tuple(e): i for i, e in enumerate(monomial_exponents(degree - 1))}
    harmonics = solid_harmonic_coefficients(degree)
    derivative = np.zeros((3, len(source), len(target)))
    for column, exponent in enumerate(source):
        for axis in range(3):
            if exponent[axis]:
                lowered = exponent.copy()
                lowered[axis] -= 1
                derivative[axis, column, target[tuple(lowered)]] = exponent[axis]
    return np.einsum("mp,apq->amq", harmonics, derivative)


def _monomials(xp, powers, degree):
    """``x^a y^b z^c`` of degree ``degree`` at every pair: (n_monomials, nb, N)."""
    return xp.stack(
        [
            powers[0][..., a] * powers[1][..., b] * powers[2][..., c]
            for a, b, c in monomial_exponents(degree)
        ]
    )


def first_layer_gradients_at_atoms(
    positions, weights, sigma, sigma_0, J, L, scales_per_octave=1, xp=np
):
    """``U1[j, l]`` at every atom and its derivative with respect to every position.

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
    xp : module, default=numpy
        Array module of the computation (NumPy, CuPy); inputs are host arrays, the
        results are ``xp`` arrays.

    Returns
    -------
    fields : array of shape (n_atoms, n_channels, n_scales, L + 1)
        As :func:`~skscatharm._core.first_layer.first_layer_at_atoms`
        (``n_scales = J * scales_per_octave + 1``).
    gradients : array of shape (n_atoms, n_channels, n_scales, L + 1, n_atoms, 3)
        ``gradients[n, c, j, l, k] = ∂ fields[n, c, j, l] / ∂ r_k`` (per Å).
    """
    positions = np.asarray(positions, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    n_atoms, n_channels = len(positions), len(weights)
    scales = wavelet_scales(sigma_0, J, scales_per_octave)
    widths = first_layer_widths(scales, sigma)
    n_scales = len(scales)
    fields = xp.empty((n_atoms, n_channels, n_scales, L + 1))
    gradients = xp.zeros((n_atoms, n_channels, n_scales, L + 1, n_atoms, 3))
    w = xp.asarray(weights)
    inverse_squares_host = np.array([width**-2 for width in widths])
    inverse_squares = xp.asarray(inverse_squares_host)
    minus_half_inverse_squares = xp.asarray(-0.5 * inverse_squares_host)[:, None, None]
    absolute_w = xp.asarray(np.abs(weights))
    per_centre = (
        n_atoms * n_scales * ((2 * L + 1) * 4 + (L + 1) * (L + 2) + 6 * n_channels)
    )
    block = max(1, min(n_atoms, BLOCK_DOUBLES // max(per_centre, 1)))
    for first in range(0, n_atoms, block):
        last = min(n_atoms, first + block)
        offsets_host = positions[first:last, None, :] - positions[None, :, :]
        # The own term is constant in the positions: no part in the derivatives.
        others_host = np.ones((last - first, n_atoms))
        others_host[np.arange(last - first), np.arange(first, last)] = 0.0
        others = xp.asarray(others_host)
        offsets = xp.asarray(offsets_host)  # (nb, N, 3): r_n - r_i
        squared_distances = (offsets * offsets).sum(axis=-1)
        powers = []
        for axis in range(3):
            column = [xp.zeros((last - first, n_atoms)) + 1.0]
            for _ in range(L):
                column.append(column[-1] * offsets[..., axis])
            powers.append(xp.stack(column, axis=-1))
        for degree in range(L + 1):
            harmonics = xp.asarray(solid_harmonic_coefficients(degree))
            values = xp.einsum(
                "mp,pni->mni", harmonics, _monomials(xp, powers, degree)
            )  # R_lm(r_n - r_i)
            if degree:
                lower = _monomials(xp, powers, degree - 1)
                gradient_values = xp.einsum(
                    "amq,qni->mnia",
                    xp.asarray(harmonic_gradient_coefficients(degree)),
                    lower,
                )
            else:
                gradient_values = xp.zeros((1, last - first, n_atoms, 3))
            # Every scale at once: axis 0 of the arrays below is j.
            amplitudes = xp.asarray(
                np.array(
                    [
                        (scale / width) ** degree
                        * wavelet_normalisation(degree)
                        * width ** (-3 - degree)
                        for scale, width in zip(scales, widths, strict=True)
                    ]
                )
            )
            gaussian = (
                xp.exp(squared_distances[None] * minus_half_inverse_squares)
                * amplitudes[:, None, None]
            )  # (j, nb, N)
            terms = values[None] * gaussian[:, None]  # (j, m, nb, N): g_m(r_n - r_i)
            vector = xp.einsum("ci,jmni->jcnm", w, terms)  # F_m(n)
            modulus = xp.sqrt((vector * vector).sum(axis=-1))  # (j, c, nb)
            bound = xp.einsum("ci,jmni->jcnm", absolute_w, abs(terms))
            size = xp.sqrt((bound * bound).sum(axis=-1))
            fields[first:last, :, :, degree] = modulus.transpose(2, 1, 0)
            zero = modulus <= size * ZERO_FIELD_RTOL
            inverse = (1.0 - zero) / (modulus + zero)
            direction = vector * inverse[..., None]  # F / |F|, 0 where F = 0
            # Σ_m (F_m/|F|) ∇g_m(u) = A e (Σ_m d_m ∇R_m - (Σ_m d_m R_m) u / t²).
            along = xp.einsum("jcnm,mnia->jcnia", direction, gradient_values)
            along = (
                along
                - xp.einsum("jcnm,mni->jcni", direction, values)[..., None]
                * offsets[None, None]
                * inverse_squares[:, None, None, None, None]
            )
            pair = (
                along
                * (gaussian * others[None])[:, None, :, :, None]
                * w[None, :, None, :, None]
            )
            # pair[j, c, n, k] = H(n, k): ∂U(n)/∂r_k = -H (k ≠ n), Σ_k H (k = n).
            block_gradients = -pair
            for local in range(last - first):
                block_gradients[:, :, local, first + local] = pair[:, :, local].sum(
                    axis=2
                )
            gradients[first:last, :, :, degree] = block_gradients.transpose(
                2, 1, 0, 3, 4
            )
    return fields, gradients
