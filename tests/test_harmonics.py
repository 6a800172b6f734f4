"""The solid harmonic basis and the wavelet normalisation of doc/definition.rst §2."""

from math import gamma, pi

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import eval_legendre, sph_harm_y

from skscatharm._core.harmonics import (
    monomial_exponents,
    solid_harmonic_coefficients,
    wavelet_normalisation,
)
from skscatharm._core.second_layer import wavelet_spectrum


def _evaluate(degree, points):
    monomials = (points[:, None, :] ** monomial_exponents(degree)[None]).prod(-1)
    return monomials @ solid_harmonic_coefficients(degree).T


@pytest.mark.parametrize("degree", range(7))
def test_addition_theorem(degree):
    """Σ_m R_lm(u) R_lm(v) = (2l+1)/(4π) |u|^l |v|^l P_l(cos γ): any orthonormal basis."""
    rng = np.random.default_rng(degree)
    u, v = rng.normal(size=(2, 20, 3))
    lhs = (_evaluate(degree, u) * _evaluate(degree, v)).sum(1)
    nu, nv = np.linalg.norm(u, axis=1), np.linalg.norm(v, axis=1)
    cosine = (u * v).sum(1) / (nu * nv)
    rhs = (
        (2 * degree + 1)
        / (4 * pi)
        * (nu * nv) ** degree
        * eval_legendre(degree, cosine)
    )
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("degree", range(5))
def test_same_modulus_as_complex_spherical_harmonics(degree):
    """Σ_m |Y_l^m|² of SciPy's complex harmonics equals that of the real basis."""
    rng = np.random.default_rng(10 + degree)
    points = rng.normal(size=(30, 3))
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    polar, azimuth = np.arccos(unit[:, 2]), np.arctan2(unit[:, 1], unit[:, 0])
    complex_y = np.array(
        [sph_harm_y(degree, m, polar, azimuth) for m in range(-degree, degree + 1)]
    )
    real_y = _evaluate(degree, unit).T
    # Same span: the real values are a unitary transform of the complex ones.
    transform = np.linalg.lstsq(complex_y.T, real_y.T, rcond=None)[0]
    np.testing.assert_allclose(
        transform.conj().T @ transform, np.eye(2 * degree + 1), atol=1e-10
    )


@pytest.mark.parametrize("degree", range(6))
def test_wavelet_modulus_integrates_to_one(degree):
    """∫ (Σ_m |psi_{s,l,m}(u)|²)^½ du = 1 (doc/definition.rst §2), by radial quadrature."""
    c_l = wavelet_normalisation(degree)
    angular = np.sqrt((2 * degree + 1) / (4 * pi))  # (Σ_m |Y_lm|²)^½
    integrand = lambda r: 4 * pi * r**2 * c_l * r**degree * np.exp(-r * r / 2) * angular  # noqa: E731
    value, _ = quad(integrand, 0, np.inf)
    assert value == pytest.approx(1.0, rel=1e-12)


def test_normalisation_closed_form_l0_is_gaussian():
    """For l = 0 the wavelet is the normalised Gaussian g_s: c_0 Y_00 = (2π)^{-3/2}."""
    assert wavelet_normalisation(0) / np.sqrt(4 * pi) == pytest.approx((2 * pi) ** -1.5)
    assert wavelet_normalisation(2) == pytest.approx(
        1 / (np.sqrt(20 * pi) * 2**1.5 * gamma(2.5))
    )


@pytest.mark.parametrize("degree", range(5))
@pytest.mark.parametrize("shape", [(12, 10, 9), (7, 5, 4)])
def test_wavelet_spectrum_is_the_closed_form_on_the_lattice(degree, shape):
    """Each order of ``wavelet_spectrum`` equals ``c_l (2π)^{3/2} (-i)^l
    exp(-s²|k|²/2) R_lm(s k) / h³`` at the frequencies of the half lattice, evaluated
    point by point, and the sum of the squared moduli over the orders is the
    radial closed form of the addition theorem."""
    width, spacing = 0.45, 0.23
    spectrum = wavelet_spectrum.__wrapped__(degree, width, shape, spacing)
    assert spectrum.shape == (2 * degree + 1, shape[0], shape[1], shape[2] // 2 + 1)
    period = np.array(shape) * spacing
    axes = (
        2 * pi * np.fft.fftfreq(shape[0], 1 / shape[0]) / period[0],
        2 * pi * np.fft.fftfreq(shape[1], 1 / shape[1]) / period[1],
        2 * pi * np.arange(shape[2] // 2 + 1) / period[2],
    )
    k = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    norm = wavelet_normalisation(degree) * (2 * pi) ** 1.5 / spacing**3
    envelope = np.exp(-0.5 * width**2 * (k**2).sum(1))
    expected = norm * (-1j) ** degree * envelope[:, None] * _evaluate(degree, width * k)
    np.testing.assert_allclose(
        spectrum.reshape(2 * degree + 1, -1).T, expected, rtol=1e-12, atol=1e-14 * norm
    )
    radial = (
        norm**2
        * envelope**2
        * (2 * degree + 1)
        / (4 * pi)
        * (width * np.linalg.norm(k, axis=1)) ** (2 * degree)
    )
    np.testing.assert_allclose(
        (np.abs(spectrum) ** 2).sum(0).ravel(), radial, rtol=1e-12, atol=1e-14 * norm**2
    )
