"""Box margins: the fraction of ``∫ |field|^q`` a box leaves outside (doc/definition.rst §4.4)."""

import numpy as np
import pytest
from scipy.integrate import quad

from skscatharm._core.plan import face_tail_fraction, margin_factor

#: (power q, degree p) pairs of the margins the transform uses: the density (p = 0),
#: the first layer (p <= L) and the second layer (p <= 2L), q from 0.5 to 4.
CASES = [(0.5, 0), (0.5, 3), (1.0, 2), (2.0, 6), (3.0, 1), (4.0, 0)]


def radial_profile(power, degree):
    """``r^(p q) exp(-q r²/2)``: a point source's ``|field|^q`` (width 1)."""
    return lambda r: r ** (degree * power) * np.exp(-power * r * r / 2)


@pytest.mark.parametrize(("power", "degree"), CASES)
@pytest.mark.parametrize("x", [0.0, 0.7, 2.0, 4.5])
def test_face_fraction_against_a_direct_integral(power, degree, x):
    """The closed form against the half-space integral done another way: slabs
    ``u_1 = a`` of the plane, each the integral over a disc of the radial profile."""
    profile = radial_profile(power, degree)

    def slab(a):  # ∫ over the plane u_1 = a: 2 pi ∫_0^∞ f(sqrt(a² + ρ²)) ρ dρ
        return (
            2 * np.pi * quad(lambda rho: profile(np.hypot(a, rho)) * rho, 0, np.inf)[0]
        )

    total = 4 * np.pi * quad(lambda r: profile(r) * r * r, 0, np.inf)[0]
    beyond = quad(slab, x, np.inf)[0]
    assert face_tail_fraction(x, power, degree) == pytest.approx(
        beyond / total, rel=1e-7
    )


@pytest.mark.parametrize(("power", "degree"), CASES)
@pytest.mark.parametrize("tolerance", [1e-12, 1e-5, 1e-4, 1e-2])
def test_margin_leaves_the_tolerance_outside_the_box(power, degree, tolerance):
    """The margin puts the tolerance's sixth beyond each face of the box around a
    lone point source; where the profile factorises over the axes (q p = 0) the
    fraction outside the box is known exactly and lies just below the tolerance."""
    x = margin_factor(power, degree, tolerance)
    one_face = face_tail_fraction(x, power, degree)
    assert 6 * one_face == pytest.approx(tolerance, rel=1e-8)
    if degree * power == 0:
        # Separable case: exactly 1 - (1 - 2 f)^3 outside, f the fraction beyond
        # one face (expanded: no cancellation at small f).
        outside = 6 * one_face - 12 * one_face**2 + 8 * one_face**3
        assert outside <= 6 * one_face
        assert outside == pytest.approx(tolerance, rel=tolerance)  # overlaps ~ tol²


@pytest.mark.parametrize(("power", "degree"), CASES)
def test_box_margins_are_narrower_than_ball_margins(power, degree):
    """The ball of radius ``x`` lies in the box, so the box can be narrower: its
    margin leaves no more outside than the ball of the same tolerance would."""
    from scipy.special import gammainccinv

    for tolerance in (1e-12, 1e-5, 1e-3):
        ball = np.sqrt(2 * gammainccinv((degree * power + 3) / 2, tolerance) / power)
        box = margin_factor(power, degree, tolerance)
        assert box < ball
        # ... and shrinks when more is allowed outside.
        assert margin_factor(power, degree, 10 * tolerance) < box
