"""Graded grids: fine among the atoms, coarser in the margins, exact quadrature."""

import numpy as np
import pytest

from skscatharm import SolidHarmonicScattering
from skscatharm._core.geometry import axis_nodes, axis_size
from skscatharm._core.plan import (
    AUTO_MARGIN_OVERSAMPLING,
    AUTO_OVERSAMPLING,
    GRADED_INTERIOR_WIDTHS,
)

WIDTH = 0.5
#: (lower, upper, spacing, margin, coarse, inner) of graded axes: a margin of many
#: coarse spacings, a short box, and a fine spacing far below the coarse one. The
#: margins hold the Gaussians below to 1e-15; the coarse spacing, 1.5 points per
#: width, resolves them times the plane waves of ``FREQUENCIES``.
AXES = [
    (-1.3, 2.9, WIDTH / 2.5, 7.5 * WIDTH, WIDTH / 1.5, WIDTH),
    (0.2, 0.7, WIDTH / 4, 8.5 * WIDTH, WIDTH / 1.5, WIDTH),
    (-4.0, 4.0, WIDTH / 6, 8.5 * WIDTH, WIDTH / 1.5, 0.5 * WIDTH),
]
FREQUENCIES = [0.0, 2.0, 5.0]


@pytest.mark.parametrize("axis", AXES)
def test_graded_axis_is_fine_inside_and_covers_the_margins(axis):
    lower, upper, spacing, margin, coarse, inner = axis
    nodes, weights = axis_nodes(*axis)
    assert nodes[0] <= lower - margin and nodes[-1] >= upper + margin
    assert len(nodes) < (upper - lower + 2 * margin) / spacing  # fewer than uniform
    # Over the interior the spacing exceeds the fine one by at most erfc(2) / 2
    # of the difference.
    interior = (nodes >= lower - inner) & (nodes <= upper + inner)
    excess = 2.4e-3 * (coarse - spacing)
    assert (np.abs(weights[interior] - spacing) <= excess).all()
    both = interior[1:] & interior[:-1]
    assert (np.abs(np.diff(nodes)[both] - spacing) <= excess).all()
    assert 1.5 * spacing < weights.max() <= coarse
    assert axis_size(upper - lower, *axis[2:]) == (
        len(nodes),
        pytest.approx(nodes[-1] - nodes[0] + weights[-1]),
    )


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("frequency", FREQUENCIES)
def test_graded_trapezoid_rule_is_spectrally_accurate(axis, frequency):
    """Gaussians of the field width anywhere in the box, times a plane wave: the
    weighted sum equals the closed form ``t sqrt(2 pi) exp(-t²k²/2 - i k c)``."""
    lower, upper, _, margin, _, _ = axis
    nodes, weights = axis_nodes(*axis)
    for centre in np.linspace(lower, upper, 7):
        values = np.exp(-0.5 * ((nodes - centre) / WIDTH) ** 2)
        total = np.sum(weights * values * np.exp(-1j * frequency * nodes))
        exact = (
            WIDTH
            * np.sqrt(2 * np.pi)
            * np.exp(-0.5 * (WIDTH * frequency) ** 2 - 1j * frequency * centre)
        )
        assert abs(total - exact) < 1e-8 * WIDTH


def test_uniform_axis_when_the_margin_is_not_coarser():
    nodes, weights = axis_nodes(0.0, 1.0, 0.1, 0.5, coarse=0.1, inner=0.1)
    np.testing.assert_allclose(np.diff(nodes), 0.1)
    assert nodes[0] == -0.5 and nodes[-1] >= 1.5 and (weights == 0.1).all()


def test_auto_grades_the_first_layer_grids():
    plan = SolidHarmonicScattering()._plan()
    for j, width in enumerate(plan.first_layer_widths):
        spacing, _, coarse, inner = plan.first_layer_grid(j, plan.degree_groups[0])
        assert spacing == pytest.approx(width / AUTO_OVERSAMPLING)
        assert coarse == pytest.approx(width / AUTO_MARGIN_OVERSAMPLING)
        assert inner == pytest.approx(GRADED_INTERIOR_WIDTHS * width)
    # A number of points per width is one uniform grid, as before "auto".
    plan = SolidHarmonicScattering(oversampling=3.0)._plan()
    assert plan.first_layer_grid(0)[2:] == (None, 0.0)


def test_graded_grids_keep_the_coefficients(qm7):
    """The graded default agrees with the uniform grids of a finer sampling."""
    X = qm7[0][:2]
    params = dict(sigma=0.5, J=1, L=2, channels=("full",))
    graded = SolidHarmonicScattering(**params).fit_transform(X)
    uniform = SolidHarmonicScattering(oversampling=5.0, **params).fit_transform(X)
    np.testing.assert_allclose(graded, uniform, rtol=1e-3)


def test_auto_samples_the_smooth_density_at_the_margins_rate():
    plan = SolidHarmonicScattering()._plan()
    spacing, _ = plan.density_grid()
    assert spacing == pytest.approx(plan.sigma / AUTO_MARGIN_OVERSAMPLING)
    assert SolidHarmonicScattering(oversampling=3.0)._plan().density_grid()[
        0
    ] == pytest.approx(plan.sigma / 3.0)
