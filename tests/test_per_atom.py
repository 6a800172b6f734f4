"""PerAtomRegressor: the wrapped regressor sees y / n, and predictions are n times its own.

The sizes are counted here independently of the package, from the padded array's
atomic-number column, so a wrong count (hydrogens counted, padding counted) fails.
"""

import joblib
import numpy as np
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.utils import check_array
from sklearn.utils.estimator_checks import parametrize_with_checks

from skscatharm import BilinearRegressor, PerAtomRegressor, SolidHarmonicScattering
from skscatharm.datasets import load_qm7_sample


@pytest.fixture(scope="module")
def qm7():
    X, y = load_qm7_sample(return_X_y=True)
    return X[:60], y[:60]


def _heavy_atoms(X):
    return (X[:, :, 0] > 1).sum(axis=1)


def _all_atoms(X):
    return (X[:, :, 0] > 0).sum(axis=1)


@pytest.mark.parametrize("atoms, count", [("heavy", _heavy_atoms), ("all", _all_atoms)])
def test_regressor_fits_the_target_per_atom(qm7, atoms, count):
    X, y = qm7
    n = count(X)
    assert len(np.unique(n)) > 3  # sizes differ, so a wrong count shows
    model = PerAtomRegressor(DummyRegressor(), atoms=atoms).fit(X, y)
    # DummyRegressor predicts the mean of what it was fitted on.
    np.testing.assert_allclose(model.regressor_.constant_.ravel(), [np.mean(y / n)])
    np.testing.assert_allclose(model.predict(X), np.mean(y / n) * n)


def test_several_targets_are_each_divided(qm7):
    X, y = qm7
    n = _heavy_atoms(X)
    Y = np.column_stack([y, 2 * y + 1])
    model = PerAtomRegressor(DummyRegressor()).fit(X, Y)
    expected = np.mean(Y / n[:, None], axis=0)
    np.testing.assert_allclose(model.regressor_.constant_.ravel(), expected)
    np.testing.assert_allclose(model.predict(X), n[:, None] * expected)


def test_scattering_pipeline_matches_a_manual_division_and_persists(qm7, tmp_path):
    X, y = qm7
    test = np.arange(12) % 3 == 0
    X_train, y_train, X_test = X[:12][~test], y[:12][~test], X[:12][test]
    n_train, n_test = _heavy_atoms(X_train), _heavy_atoms(X_test)
    assert len(np.unique(n_train)) > 1 and len(np.unique(n_test)) > 1
    pipeline = make_pipeline(
        SolidHarmonicScattering(sigma=0.6, J=1, L=1, oversampling=2.0),
        BilinearRegressor(alpha=1e-3),
    )
    model = PerAtomRegressor(pipeline).fit(X_train, y_train)
    manual = pipeline.fit(X_train, y_train / n_train)
    predicted = model.predict(X_test)
    np.testing.assert_allclose(predicted, manual.predict(X_test) * n_test, rtol=1e-10)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    np.testing.assert_array_equal(joblib.load(path).predict(X_test), predicted)


def test_default_regressor_is_scattering_then_bilinear():
    # The default transform is the finest, so two small molecules keep it quick.
    water = (np.array([8, 1, 1]), np.array([[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]]))
    tetrahedron = 0.63 * np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]])
    methane = (np.array([6, 1, 1, 1, 1]), np.vstack([np.zeros(3), tetrahedron]))
    model = PerAtomRegressor().fit([water, methane], [-230.0, -420.0])
    steps = [type(step) for _, step in model.regressor_.steps]
    assert steps == [SolidHarmonicScattering, BilinearRegressor]
    scattering = model.regressor_.steps[0][1]
    assert scattering.get_params() == SolidHarmonicScattering().get_params()
    assert PerAtomRegressor().regressor is None  # the parameter is left as given
    assert np.all(np.isfinite(model.predict([water])))


def test_atoms_none_is_the_regressor_alone(qm7):
    X, y = qm7
    wrapped = PerAtomRegressor(DummyRegressor(), atoms=None).fit(X, y)
    np.testing.assert_allclose(wrapped.predict(X), np.full(len(y), y.mean()))


def test_callable_sizes_for_feature_matrices():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    sizes = 1 + np.arange(30) % 4
    X[:, 2] = sizes
    y = sizes * (X[:, 0] + 2)
    # y / n is linear in X, so a linear model of it is exact.
    model = PerAtomRegressor(BilinearRegressor(alpha=1e-10), atoms=_third_column)
    np.testing.assert_allclose(model.fit(X, y).predict(X), y, atol=1e-6)
    assert model.n_features_in_ == 3


def _third_column(X):
    return X[:, 2]


def test_molecule_without_heavy_atoms_is_named():
    h2 = (np.array([1, 1]), np.array([[0.0, 0, 0], [0.74, 0, 0]]))
    water = (np.array([8, 1, 1]), np.array([[0.0, 0, 0], [0.96, 0, 0], [0, 0.96, 0]]))
    model = PerAtomRegressor(DummyRegressor())
    with pytest.raises(
        ValueError, match=r"molecule 1: .*heavy atoms is 0.*atoms='all'"
    ):
        model.fit([water, h2], [200.0, 100.0])
    PerAtomRegressor(DummyRegressor(), atoms="all").fit([water, h2], [200.0, 100.0])


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_bad_callable_size_is_named(bad):
    X = np.ones((4, 2))
    model = PerAtomRegressor(DummyRegressor(), atoms=lambda X: np.array([1, 2, bad, 1]))
    with pytest.raises(ValueError, match="molecule 2: atoms"):
        model.fit(X, np.ones(4))


def test_sizes_and_targets_must_agree():
    model = PerAtomRegressor(DummyRegressor(), atoms=lambda X: np.ones(3))
    with pytest.raises(ValueError, match=r"must have shape \(4,\), one size per"):
        model.fit(np.ones((4, 2)), np.ones(4))


def test_grid_search_chooses_what_to_divide_by(qm7):
    X, y = qm7
    # A target exactly proportional to the heavy atoms: only "heavy" fits it.
    y = 5.0 * _heavy_atoms(X)
    search = GridSearchCV(
        PerAtomRegressor(DummyRegressor()),
        {"atoms": ["all", None, "heavy"]},
        cv=KFold(3, shuffle=True, random_state=0),
        scoring="neg_mean_absolute_error",
    ).fit(X, y)
    assert search.best_params_ == {"atoms": "heavy"}
    assert search.best_score_ == pytest.approx(0.0, abs=1e-9)
    assert search.cv_results_["mean_test_score"].min() < -1.0


def _size_from_first_column(X):
    # Validates X as the regressor would, so that scikit-learn's checks of bad input
    # see the errors they expect before the regressor is reached.
    return 1 + np.abs(check_array(X)[:, 0])


@parametrize_with_checks(
    [
        PerAtomRegressor(BilinearRegressor(), atoms=None),
        PerAtomRegressor(BilinearRegressor(), atoms=_size_from_first_column),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
