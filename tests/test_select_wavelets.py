"""SelectWavelets: sweeps over J, L and max_order read columns of one transform."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skscatharm import SelectWavelets, SolidHarmonicScattering
from skscatharm._core.plan import wavelet_layout

SUPERSET = dict(J=2, L=1, max_order=2)


@parametrize_with_checks(
    [SelectWavelets(computed_J=0, computed_L=0, computed_max_order=0, computed_Q=(1,))]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def superset(qm7):
    X = qm7[0][:3]
    transform = SolidHarmonicScattering(sigma=0.5, **SUPERSET)  # default accuracy
    return X, transform.fit_transform(X), transform.get_feature_names_out()


@pytest.mark.parametrize(
    "kept", [dict(J=1), dict(L=0), dict(max_order=1), dict(J=1, L=0, max_order=0)]
)
def test_selection_equals_smaller_transform(superset, kept):
    X, coefficients, names = superset
    select = SelectWavelets(
        **kept,
        computed_J=SUPERSET["J"],
        computed_L=SUPERSET["L"],
        computed_max_order=SUPERSET["max_order"],
    )
    selected = select.fit_transform(coefficients)
    direct = SolidHarmonicScattering(sigma=0.5, **{**SUPERSET, **kept})
    expected = direct.fit_transform(X)
    assert select.get_feature_names_out(names).tolist() == (
        direct.get_feature_names_out().tolist()
    )
    # The larger transform may use larger grids: each value is within the 1e-3
    # contract of the converged one, hence within 2e-3 of the other.
    np.testing.assert_allclose(selected, expected, rtol=2e-3)


def test_layout_matches_spec_and_plan():
    # doc/definition.rst §3: |Q| (1 + (J+1)(L+1) + J(J+1)/2 (L+1)) per channel for max_order 2.
    J, L, n_q = 4, 3, 4
    order, j1, j2, degree = wavelet_layout(J, L, 2, n_q)
    assert order.size == n_q * (1 + (J + 1) * (L + 1) + J * (J + 1) // 2 * (L + 1))
    assert np.all(j1[order == 2] < j2[order == 2])
    assert np.all(j2[order < 2] == -1) and np.all(degree[order == 0] == 0)
    # Second-order columns follow the scale pairs in the order the transform
    # computes them (J = 2 would not tell lexicographic from j2-major order).
    pairs = SolidHarmonicScattering(J=J, L=L)._plan().pairs
    second = order == 2
    expected = np.repeat(np.array(pairs), (L + 1) * n_q, axis=0)
    assert np.array_equal(np.column_stack([j1[second], j2[second]]), expected)


def test_rejects_more_than_computed():
    with pytest.raises(ValueError, match="J=3 exceeds computed_J=2"):
        SelectWavelets(J=3).fit(np.ones((2, 300)))


def test_rejects_columns_of_another_transform():
    with pytest.raises(ValueError, match="not a multiple of the 100 coefficients"):
        SelectWavelets().fit(np.ones((2, 299)))
