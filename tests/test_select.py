"""SelectIntegralPowers: a Q sweep reads columns of one scattering transform."""

import numpy as np
import pytest
from joblib import Memory
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skscatharm import SelectIntegralPowers, SolidHarmonicScattering

ALL_Q = (0.5, 1.0, 2.0, 3.0)


@parametrize_with_checks([SelectIntegralPowers(Q=(1.0,), computed_Q=(1.0,))])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_selection_equals_transform_with_fewer_powers(qm7):
    X = qm7[0][:3]
    params = dict(sigma=0.5, J=1, L=1)  # default accuracy setting
    superset = SolidHarmonicScattering(Q=ALL_Q, **params)
    select = SelectIntegralPowers(Q=(3.0, 1.0), computed_Q=ALL_Q)
    selected = select.fit_transform(superset.fit_transform(X))
    direct = SolidHarmonicScattering(Q=(1.0, 3.0), **params)
    expected = direct.fit_transform(X)
    # Box margins depend on the smallest power, so the two grids differ: each value
    # is within the 1e-3 contract of the converged one, hence within 2e-3 of the other.
    np.testing.assert_allclose(selected, expected, rtol=2e-3)
    names = select.get_feature_names_out(superset.get_feature_names_out())
    assert names.tolist() == direct.get_feature_names_out().tolist()


def test_rejects_powers_not_computed():
    with pytest.raises(ValueError, match=r"subset of computed_Q.*missing \[4.0\]"):
        SelectIntegralPowers(Q=(1.0, 4.0), computed_Q=ALL_Q).fit(np.ones((2, 8)))


def test_rejects_columns_of_another_q():
    with pytest.raises(ValueError, match="not a multiple of len"):
        SelectIntegralPowers(Q=(1.0,), computed_Q=ALL_Q).fit(np.ones((2, 6)))


class CountingScattering(SolidHarmonicScattering):
    """Counts the molecules it transforms (in this process)."""

    transformed = 0

    def transform(self, X):
        CountingScattering.transformed += len(X)
        return super().transform(X)


def test_q_sweep_with_pipeline_memory_transforms_once(q_sweep, tmp_path):
    X, y, computed_Q = q_sweep["X"], q_sweep["y"], q_sweep["computed_Q"]
    pipeline = Pipeline(
        [
            ("scattering", CountingScattering(Q=computed_Q, **q_sweep["params"])),
            ("powers", SelectIntegralPowers(computed_Q=computed_Q)),
            ("ridge", Ridge()),
        ],
        memory=Memory(tmp_path, verbose=0),
    )
    CountingScattering.transformed = 0
    search = GridSearchCV(pipeline, q_sweep["grid"], cv=3).fit(X, y)
    # Each split's training molecules are featurized once (cached across the 6
    # candidates), the refit once more; test molecules are transformed per candidate
    # (Pipeline memory caches fit_transform only), 12 molecules per candidate.
    n_candidates = 6
    assert CountingScattering.transformed == 2 * 12 + 12 + n_candidates * 12
    # The selection reached the ridge: only the right powers give the target back.
    assert search.best_params_["powers__Q"] == q_sweep["best_Q"]
    assert search.best_score_ > 0.999
