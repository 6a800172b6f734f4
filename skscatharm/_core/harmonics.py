"""Real solid harmonics as polynomials, and the wavelet normalisation of doc/definition.rst §2.

A solid harmonic of degree ``l`` is ``R_lm(u) = |u|^l Y_lm(u/|u|)``: a homogeneous
harmonic polynomial of degree ``l``. Writing it as a combination of the monomials
``x^a y^b z^c`` (``a + b + c = l``) lets the first scattering layer be evaluated as
separable products of one-dimensional factors (see ``_first_layer``).

Every quantity the package returns sums ``|.|^2`` over the order ``m``, which is the
same for any orthonormal basis of the degree-``l`` harmonics (the complex ``Y_l^m``
and any real basis differ by a unitary matrix). So the basis is built here directly
as an orthonormal basis of the kernel of the Laplacian on degree-``l`` polynomials,
orthonormal for the L2 inner product on the unit sphere, with no special functions.
"""

from functools import cache
from math import gamma, pi, sqrt

import numpy as np


@cache
def monomial_exponents(degree):
    """Exponents ``(a, b, c)`` of the monomials ``x^a y^b z^c`` with ``a+b+c = degree``.

    Parameters
    ----------
    degree : int
        Total degree.

    Returns
    -------
    exponents : ndarray of shape (n_monomials, 3)
        ``(degree + 1) (degree + 2) / 2`` rows, ordered by decreasing ``a``, then ``b``.
    """
    rows = [
        (a, b, degree - a - b)
        for a in range(degree, -1, -1)
        for b in range(degree - a, -1, -1)
    ]
    exponents = np.array(rows, dtype=np.int64).reshape(-1, 3)
    exponents.setflags(write=False)
    return exponents


def _sphere_integral_of_monomial(a, b, c):
    """Exact ``∫_{S²} x^a y^b z^c dΩ`` (zero unless every exponent is even)."""
    if a % 2 or b % 2 or c % 2:
        return 0.0
    return (
        2.0
        * gamma((a + 1) / 2)
        * gamma((b + 1) / 2)
        * gamma((c + 1) / 2)
        / gamma((a + b + c + 3) / 2)
    )


def _laplacian_matrix(degree):
    """Matrix of the Laplacian from degree-``degree`` to degree-``degree-2`` monomials."""
    source = monomial_exponents(degree)
    if degree < 2:
        return np.zeros((0, len(source)))
    target = {tuple(e): i for i, e in enumerate(monomial_exponents(degree - 2))}
    laplacian = np.zeros((len(target), len(source)))
    for column, exponent in enumerate(source):
        for axis in range(3):
            power = exponent[axis]
            if power >= 2:
                lowered = exponent.copy()
                lowered[axis] -= 2
                laplacian[target[tuple(lowered)], column] += power * (power - 1)
    return laplacian


@cache
def solid_harmonic_coefficients(degree):
    """Monomial coefficients of an orthonormal real basis of solid harmonics.

    Parameters
    ----------
    degree : int
        The degree ``l >= 0``.

    Returns
    -------
    coefficients : ndarray of shape (2 * degree + 1, n_monomials)
        Row ``m`` gives ``R_lm(u) = sum_i coefficients[m, i] * u**exponents[i]`` with
        ``exponents = monomial_exponents(degree)``. The restrictions of the rows to the
        unit sphere are orthonormal in L2(S²), so ``sum_m R_lm(u) R_lm(v)`` equals
        ``(2l+1)/(4 pi) |u|^l |v|^l P_l(cos angle(u, v))`` (addition theorem).
    """
    exponents = monomial_exponents(degree)
    n_monomials = len(exponents)
    laplacian = _laplacian_matrix(degree)
    # Harmonic polynomials are the kernel of the Laplacian: 2l+1 dimensions.
    if laplacian.shape[0]:
        _, singular_values, vh = np.linalg.svd(laplacian)
        kernel = vh[len(singular_values) :].T
    else:
        kernel = np.eye(n_monomials)
    gram = np.array(
        [
            [_sphere_integral_of_monomial(*(e1 + e2)) for e2 in exponents]
            for e1 in exponents
        ]
    )
    # Orthonormalise the kernel for the sphere inner product (symmetric whitening).
    overlap = kernel.T @ gram @ kernel
    eigenvalues, eigenvectors = np.linalg.eigh(overlap)
    whitening = eigenvectors @ np.diag(eigenvalues**-0.5) @ eigenvectors.T
    coefficients = (kernel @ whitening).T
    assert coefficients.shape == (2 * degree + 1, n_monomials)
    coefficients.setflags(write=False)
    return coefficients


def wavelet_normalisation(degree):
    """The constant ``c_l`` of doc/definition.rst §2.

    It makes ``∫ (Σ_m |psi_{s,l,m}(u)|²)^½ du = 1`` for every width ``s``.

    Parameters
    ----------
    degree : int
        The degree ``l >= 0``.

    Returns
    -------
    c_l : float
    """
    return 1.0 / (
        sqrt(4 * pi * (2 * degree + 1))
        * 2 ** ((degree + 1) / 2)
        * gamma((degree + 3) / 2)
    )
