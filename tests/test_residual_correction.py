"""ResidualCorrectionRegressor: the correction fits the first model's residual.

Each residual is recomputed here independently (in-sample, out-of-fold with the same
folds, or from a prefit model) and the correction compared with a model fit on it
directly, so a wrong residual (sign, in-sample where out-of-fold is asked, a refit
prefit model) fails.
"""

import joblib
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from skscatharm import (
    ResidualCorrectionRegressor,
    SolidHarmonicScattering,
    SparseAtomKernelRidge,
)
from skscatharm.datasets import load_qm7_sample


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = X @ [1.0, -2.0, 0.5, 3.0] + 2.0 * np.sign(X[:, 0]) + 0.1 * rng.normal(size=120)
    return X, y


def test_correction_fits_the_in_sample_residual(data):
    X, y = data
    model = ResidualCorrectionRegressor(Ridge(alpha=10.0), Ridge(alpha=1.0)).fit(X, y)
    first = Ridge(alpha=10.0).fit(X, y)
    second = Ridge(alpha=1.0).fit(X, y - first.predict(X))
    np.testing.assert_allclose(model.estimator_.coef_, first.coef_, rtol=1e-12)
    np.testing.assert_allclose(model.correction_.coef_, second.coef_, rtol=1e-12)
    np.testing.assert_allclose(
        model.predict(X[:7]), first.predict(X[:7]) + second.predict(X[:7]), rtol=1e-12
    )


def test_correction_fits_the_out_of_fold_residual(data):
    X, y = data
    folds = KFold(4, shuffle=True, random_state=0)
    model = ResidualCorrectionRegressor(Ridge(alpha=10.0), Ridge(alpha=1.0), cv=folds)
    model.fit(X, y)
    out_of_fold = cross_val_predict(Ridge(alpha=10.0), X, y, cv=folds)
    second = Ridge(alpha=1.0).fit(X, y - out_of_fold)
    np.testing.assert_allclose(model.correction_.coef_, second.coef_, rtol=1e-12)
    # The first model itself is refit on all of X.
    first = Ridge(alpha=10.0).fit(X, y)
    np.testing.assert_allclose(model.estimator_.coef_, first.coef_, rtol=1e-12)
    # Out-of-fold and in-sample residuals differ, so the two corrections do too.
    in_sample = ResidualCorrectionRegressor(Ridge(alpha=10.0), Ridge(alpha=1.0))
    assert not np.allclose(in_sample.fit(X, y).correction_.coef_, second.coef_)


def test_a_prefit_model_is_used_as_it_is(data):
    X, y = data
    # Fit on other data: a refit on (X, y) would change its coefficients.
    prefit = Ridge(alpha=10.0).fit(X[:40], y[:40] * 2.0)
    coef = prefit.coef_.copy()
    model = ResidualCorrectionRegressor(prefit, Ridge(alpha=1.0), cv="prefit")
    model.fit(X, y)
    assert model.estimator_ is prefit
    np.testing.assert_array_equal(prefit.coef_, coef)
    second = Ridge(alpha=1.0).fit(X, y - prefit.predict(X))
    np.testing.assert_allclose(model.correction_.coef_, second.coef_, rtol=1e-12)


def test_prefit_refuses_an_unfitted_model(data):
    X, y = data
    model = ResidualCorrectionRegressor(Ridge(), Ridge(), cv="prefit")
    with pytest.raises(NotFittedError, match="cv='prefit' needs a fitted estimator"):
        model.fit(X, y)


def test_the_correction_recovers_what_the_first_model_cannot(data):
    X, y = data
    # A linear model misses the step in X[:, 0]; a tree on its residual, a
    # function of X[:, 0] alone, finds it: on new samples the sum is far closer to
    # the noise-free target than the linear model alone.
    model = ResidualCorrectionRegressor(
        LinearRegression(), DecisionTreeRegressor(max_depth=4, random_state=0)
    ).fit(X, y)
    assert model.correction_.tree_.feature[0] == 0
    X_new = np.random.default_rng(1).normal(size=(500, 4))
    y_new = X_new @ [1.0, -2.0, 0.5, 3.0] + 2.0 * np.sign(X_new[:, 0])
    linear_error = np.abs(model.estimator_.predict(X_new) - y_new).mean()
    assert np.abs(model.predict(X_new) - y_new).mean() < 0.5 * linear_error


def test_sample_weight_reaches_both_models(data):
    X, y = data
    weights = np.arange(1, len(y) + 1, dtype=float)
    model = ResidualCorrectionRegressor(Ridge(alpha=10.0), Ridge(alpha=1.0))
    model.fit(X, y, sample_weight=weights)
    first = Ridge(alpha=10.0).fit(X, y, sample_weight=weights)
    second = Ridge(alpha=1.0).fit(X, y - first.predict(X), sample_weight=weights)
    np.testing.assert_allclose(model.estimator_.coef_, first.coef_, rtol=1e-12)
    np.testing.assert_allclose(model.correction_.coef_, second.coef_, rtol=1e-12)


def test_molecules_atom_kernel_corrected_on_the_coefficients(tmp_path):
    X, y = load_qm7_sample(return_X_y=True)
    X, y = X[:40], y[:40]
    atoms = SparseAtomKernelRidge(n_representatives=40, random_state=0)
    coefficients = make_pipeline(SolidHarmonicScattering(J=0, L=0), Ridge(alpha=1.0))
    model = ResidualCorrectionRegressor(atoms, coefficients).fit(X[:30], y[:30])
    first = SparseAtomKernelRidge(n_representatives=40, random_state=0).fit(
        X[:30], y[:30]
    )
    np.testing.assert_allclose(
        model.estimator_.predict(X[30:]), first.predict(X[30:]), rtol=1e-10
    )
    expected = first.predict(X[30:]) + model.correction_.predict(X[30:])
    np.testing.assert_allclose(model.predict(X[30:]), expected, rtol=1e-10)
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_allclose(loaded.predict(X[30:]), expected, rtol=1e-10)


@parametrize_with_checks(
    [
        ResidualCorrectionRegressor(Ridge(), Ridge(alpha=0.1)),
        ResidualCorrectionRegressor(Ridge(), Ridge(alpha=0.1), cv=3),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
