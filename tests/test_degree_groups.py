"""oversampling="auto": degrees 1 and 3 each on a grid of its own, the others on one."""

import numpy as np
import pytest

from skscatharm import SolidHarmonicScattering, _transformer
from skscatharm._core.plan import (
    AUTO_DEGREE_OVERSAMPLING,
    AUTO_MARGIN_OVERSAMPLING,
    AUTO_OVERSAMPLING,
)

AUTO_KINK_OVERSAMPLING = dict(AUTO_DEGREE_OVERSAMPLING)[1]

PARAMS = dict(sigma=0.5, J=1, channels=("full", "valence"))


def _columns(transform, pattern):
    names = transform.get_feature_names_out()
    return np.array([pattern in name for name in names])


@pytest.fixture(scope="module")
def molecules(qm7):
    return qm7[0][:3]


def _one_rate(monkeypatch, oversampling):
    """Plans sample every degree at ``oversampling`` on the graded grids of "auto"."""
    setting = dict(
        oversampling=oversampling,
        degree_oversampling=(),
        margin_oversampling=AUTO_MARGIN_OVERSAMPLING,
    )
    monkeypatch.setattr(_transformer, "oversampling_setting", lambda _: setting)


def test_auto_samples_degree_1_at_its_own_rate(molecules, monkeypatch):
    """S1 of degree 1 under "auto" is that of a transform whose every degree
    (L = 1) is sampled at the kink rate; the other degrees' S1 are those of the
    smooth rate, to the bit (each S1 reads its own degree's field only)."""
    auto = SolidHarmonicScattering(L=2, **PARAMS)
    values = auto.fit_transform(molecules)
    _one_rate(monkeypatch, AUTO_KINK_OVERSAMPLING)
    kink = SolidHarmonicScattering(L=1, **PARAMS)
    kink_values = kink.fit_transform(molecules)
    degree_1 = _columns(auto, "_S1_") & _columns(auto, "_l1_")
    np.testing.assert_array_equal(
        values[:, degree_1],
        kink_values[:, _columns(kink, "_S1_") & _columns(kink, "_l1_")],
    )
    _one_rate(monkeypatch, AUTO_OVERSAMPLING)
    smooth = SolidHarmonicScattering(L=2, **PARAMS)
    smooth_values = smooth.fit_transform(molecules)
    others = _columns(auto, "_S1_") & ~_columns(auto, "_l1_")
    np.testing.assert_array_equal(values[:, others], smooth_values[:, others])
    # The second layer of degree 1 reads the finer field too: closer to the kink
    # rate than to the smooth one.
    second_1 = _columns(auto, "_S2_") & _columns(auto, "_l1_")
    _one_rate(monkeypatch, AUTO_KINK_OVERSAMPLING)
    finer = SolidHarmonicScattering(L=2, **PARAMS)
    finer_values = finer.fit_transform(molecules)
    assert (
        np.abs(values[:, second_1] / finer_values[:, second_1] - 1).max()
        < np.abs(smooth_values[:, second_1] / finer_values[:, second_1] - 1).max()
    )


def test_a_number_samples_every_degree_alike(molecules):
    """oversampling=x is one grid for every degree: the same as before "auto"."""
    transform = SolidHarmonicScattering(L=2, oversampling=3.0, **PARAMS)
    plan = transform._plan()
    assert plan.degree_groups == ((3.0, (0, 1, 2)),)
    assert SolidHarmonicScattering(L=2, **PARAMS)._plan().degree_groups == (
        (AUTO_OVERSAMPLING, (0, 2)),
        (AUTO_KINK_OVERSAMPLING, (1,)),
    )
    assert SolidHarmonicScattering(L=3, **PARAMS)._plan().degree_groups == (
        (AUTO_OVERSAMPLING, (0, 2)),
        *((rate, (degree,)) for degree, rate in AUTO_DEGREE_OVERSAMPLING),
    )


def test_auto_is_validated():
    with pytest.raises(ValueError, match="oversampling"):
        SolidHarmonicScattering(oversampling="fast").fit(
            [(np.array([1]), np.zeros((1, 3)))]
        )


def test_coarse_is_every_degree_at_two_points_per_width(molecules):
    """oversampling="coarse" names the uniform 2-point setting: the same plan and
    coefficients as oversampling=2, on grids smaller than "auto"'s."""
    coarse = SolidHarmonicScattering(L=2, oversampling="coarse", **PARAMS)
    two = SolidHarmonicScattering(L=2, oversampling=2.0, **PARAMS)
    assert coarse._plan() == two._plan()
    np.testing.assert_array_equal(
        coarse.fit_transform(molecules), two.fit_transform(molecules)
    )
    plan, auto = coarse._plan(), SolidHarmonicScattering(L=2, **PARAMS)._plan()
    for j in range(plan.J + 1):
        spacing = plan.first_layer_grid(j)[0]
        assert all(spacing > auto.first_layer_grid(j, g)[0] for g in auto.degree_groups)
