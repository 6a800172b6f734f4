"""No coefficient or prediction is ever NaN or inf (issue 22, item 3).

An input that would make one gets a ValueError that names the molecule (for the
transform) or the scale of the features or target (for the regressors), never a
NumPy warning beside a wrong number. The regressors that can fit such data exactly,
by scaling it internally by a power of two, do so.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

from skscatharm import (
    AtomKernelRidge,
    AtomKernelRidgeCV,
    BilinearRegressor,
    FactorizedBilinearRegressor,
    PerAtomRegressor,
    SolidHarmonicScattering,
    SparseAtomKernelRidge,
    SparseAtomKernelRidgeCV,
    atom_fields,
)

WATER = (np.array([8, 1, 1]), np.array([[0.0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]]))
METHANE = (
    np.array([6, 1, 1, 1, 1]),
    np.array(
        [
            [0, 0, 0],
            [1.09, 0, 0],
            [-0.36, 1.03, 0],
            [-0.36, -0.5, 0.9],
            [-0.36, -0.5, -0.9],
        ]
    ),
)
#: Channel weights under which only oxygen overflows.
HUGE_O = {1: 1.0, 6: 1.0, 8: 1e200}


def _scattering(**params):
    return SolidHarmonicScattering(
        sigma=0.5, J=1, L=1, backend="numpy", oversampling=2.0, **params
    )


@pytest.mark.parametrize(
    "params, cause",
    [
        ({"Q": (1000.0,)}, r"powers q up to 1000"),
        ({"Q": (1.0, 2.0), "channels": ["full", HUGE_O]}, r"weights up to 1e\+200"),
        # S0 of powers 1 and 2 only is computed in closed form, without a grid.
        ({"Q": (1.0, 2.0), "max_order": 0, "channels": [HUGE_O]}, r"up to 1e\+200"),
        (
            {"Q": (1.0, 3.0), "dtype": "float32", "channels": [{1: 1, 6: 1, 8: 1e30}]},
            r"overflow float32",
        ),
    ],
)
def test_overflowing_coefficients_name_the_molecule(params, cause):
    # Methane comes first and has no oxygen: with large oxygen weights only water
    # (molecule 1) overflows; with Q=1000 both do, and the first batch computed
    # (batches are checked as they finish, in the order of their boxes) is named.
    bad = "[01]" if params["Q"] == (1000.0,) else "1"
    with pytest.raises(ValueError, match=rf"molecule {bad}: .*not finite") as e:
        _scattering(**params).fit_transform([METHANE, WATER])
    assert e.match(cause)


def test_overflow_is_checked_before_the_cache_stores(tmp_path):
    scattering = _scattering(Q=(1.0, 2.0), channels=[HUGE_O], memory=str(tmp_path))
    for _ in range(2):  # the second run would read back an inf if one were stored
        with pytest.raises(ValueError, match="molecule 1: .*not finite"):
            scattering.fit_transform([METHANE, WATER])


def test_overflow_in_worker_processes_names_the_molecule():
    scattering = _scattering(Q=(1000.0,), n_jobs=2, batch_size=1)
    # Both overflow; the workers' results come back as they finish.
    with pytest.raises(ValueError, match="molecule [01]: .*not finite"):
        scattering.fit_transform([WATER, METHANE])


def test_atom_fields_overflow_names_the_molecule():
    with pytest.raises(ValueError, match=r"molecule 1: its fields are not finite"):
        atom_fields([METHANE, WATER], J=0, L=1, channels=[HUGE_O])


# Regressors of a feature matrix: exact at any scale, or a clear error.


def _bilinear_models():
    return [
        BilinearRegressor(alpha=1e-3, solver="dual"),
        BilinearRegressor(alpha=1e-3, solver="primal"),
        BilinearRegressor(alpha=1e-3, solver="cg", tol=1e-10),
        FactorizedBilinearRegressor(alpha=1e-3, random_state=0),
        FactorizedBilinearRegressor(alpha=1e-3, solver="als", random_state=0),
    ]


def _bilinear_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    return X, X[:, 0] * X[:, 1] + X[:, 2] + 0.5


@pytest.mark.parametrize("model", _bilinear_models(), ids=repr)
def test_bilinear_fit_is_exact_under_power_of_two_scales(model):
    X, y = _bilinear_data()
    reference = clone(model).fit(X, y).predict(X)
    scaled = clone(model).fit(X * 2.0**600, y * 2.0**-900).predict(X * 2.0**600)
    # The data are divided by a power of two before anything is computed: the
    # standardised problem, hence the prediction's digits, are the same.
    assert_array_equal(scaled, reference * 2.0**-900)


@pytest.mark.parametrize("model", _bilinear_models(), ids=repr)
@pytest.mark.parametrize(
    "x_scale, y_scale", [(1e200, 1.0), (1.0, 1e300), (1e150, 1e300)]
)
def test_bilinear_fit_features_and_targets_of_extreme_scale(model, x_scale, y_scale):
    X, y = _bilinear_data()
    reference = clone(model).fit(X, y).predict(X)
    fitted = clone(model).fit(X * x_scale, y * y_scale)
    predicted = fitted.predict(X * x_scale)
    assert np.all(np.isfinite(predicted))
    assert_allclose(predicted / y_scale, reference, rtol=1e-9, atol=1e-9)
    assert np.all(np.isfinite(fitted.coef_matrix_)) and np.isfinite(fitted.intercept_)


@pytest.mark.parametrize("model", _bilinear_models()[::3], ids=repr)
def test_bilinear_coefficients_that_overflow_raise(model):
    X, y = _bilinear_data()
    # A quadratic coefficient of the order of 1 / 1e-400: no float64 holds it.
    with pytest.raises(
        ValueError, match="coefficients in the units of X and y overflow"
    ):
        clone(model).fit(X * 1e-200, y)


@pytest.mark.parametrize("model", _bilinear_models()[::3], ids=repr)
def test_bilinear_prediction_that_overflows_raises(model):
    X, y = _bilinear_data()
    fitted = clone(model).fit(X, y * 1e300)
    with pytest.raises(ValueError, match="prediction of sample 1 is not finite"):
        fitted.predict(X[:3] * [[1.0], [1e10], [1.0]])
    # float32 input gets a float32 prediction: it must fit in float32 too.
    fitted = clone(model).fit(X.astype(np.float32), y * 1e37)
    with pytest.raises(
        ValueError, match="sample 0 is not finite: it overflows float32"
    ):
        fitted.predict((X[:2] * 1e3).astype(np.float32))


# Atom models: the target's scale is divided out exactly.


@pytest.fixture(scope="module")
def qm7_small(qm7):
    X, y = qm7
    return X[:40], y[:40], X[40:50]


def _atom_models():
    small = {"J": 0, "L": 1, "channels": ("full",)}
    cv = {"widths": (0.5, 1.0), "alphas": (1e-3, 1e-1), "cv": 3}
    return [
        AtomKernelRidge(**small),
        AtomKernelRidgeCV(**small, **cv),
        # Farthest-point representatives: on these molecules they give dual
        # coefficients large enough to overflow below float64's largest target,
        # which the overflow test needs (k-means++ ones stay below |y| there).
        SparseAtomKernelRidge(30, **small, selection="farthest", random_state=0),
        SparseAtomKernelRidgeCV(
            30, **small, **cv, selection="farthest", random_state=0
        ),
    ]


@pytest.mark.parametrize("model", _atom_models(), ids=lambda m: type(m).__name__)
def test_atom_models_fit_targets_of_extreme_scale(model, qm7_small):
    X, y, X_new = qm7_small
    reference = clone(model).fit(X, y)
    for scale in (2.0**990, 2.0**-1000):
        fitted = clone(model).fit(X, y * scale)
        # Exact: the model is linear in y and y is divided by a power of two.
        assert_array_equal(fitted.predict(X_new), reference.predict(X_new) * scale)
        assert_array_equal(fitted.dual_coef_, reference.dual_coef_ * scale)
    if hasattr(reference, "cv_errors_"):
        # The choice of width and ridge does not move with the scale (squared
        # errors of 1e300 would overflow and tie at inf).
        fitted = clone(model).set_params(error="absolute").fit(X, y * 1e300)
        assert (fitted.width_, fitted.alpha_) == (reference.width_, reference.alpha_)
        assert_allclose(fitted.cv_errors_ / 1e300, reference.cv_errors_, rtol=1e-9)


@pytest.mark.parametrize("model", _atom_models(), ids=lambda m: type(m).__name__)
def test_atom_models_that_overflow_raise(model, qm7_small):
    X, y, _ = qm7_small
    if hasattr(model, "cv_errors_") or "CV" in type(model).__name__:
        with pytest.raises(ValueError, match="cross-validation errors overflow"):
            clone(model).set_params(error="squared").fit(X, y * 1e300)
    with pytest.raises(ValueError, match=r"overflow float64 in the units of y"):
        # |y| up to 2.2e3 * 8e304: dual coefficients of y / alpha do not fit.
        clone(model).fit(X, y * 8e304)


def test_per_atom_prediction_that_overflows_raises():
    X, y = _bilinear_data()
    # The size is the last column, constant in training (so the model ignores
    # it): 1 for the training molecules, 1000 for those predicted.
    X = np.column_stack([X, np.ones(len(X))])
    model = PerAtomRegressor(BilinearRegressor(), atoms=lambda X: X[:, -1])
    model.fit(X, (y - y.min() + 1.0) * 1e305)  # targets up to 1e306
    large = X[:2] * [1, 1, 1, 1000]
    with pytest.raises(ValueError, match="prediction of molecule 0 overflows"):
        model.predict(large)
