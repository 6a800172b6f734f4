"""scikit-learn's estimator checks, in full, for the regressors."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skscatharm.regression import (
    BilinearRegressor,
    FactorizedBilinearRegressor,
    FactorizedMultilinearRegressor,
)


@parametrize_with_checks(
    [
        BilinearRegressor(),
        FactorizedBilinearRegressor(),
        BilinearRegressor(solver="dual"),
        BilinearRegressor(solver="primal"),
        # Conjugate gradients stop at a relative residual ``tol``; the weighted
        # and the repeated fits of check_sample_weight_equivalence then agree to
        # about ``tol``, so a tight tol is needed for its 1e-7 comparison.
        BilinearRegressor(solver="cg", tol=1e-10),
        # Separate penalties: the dual solver's partial-spline path (small n).
        BilinearRegressor(alpha_linear=1e-3),
        BilinearRegressor(alpha_linear=0.0),
        FactorizedBilinearRegressor(n_components=2, fit_intercept=False),
        FactorizedBilinearRegressor(solver="als"),
        FactorizedBilinearRegressor(n_components=2, alpha_linear=1e-3),
        FactorizedMultilinearRegressor(),
        # Per-degree ranks and penalties, products of three factors only.  A
        # weak penalty makes the objective flat near its minimum: the weighted
        # and the repeated fits of check_sample_weight_equivalence reach the
        # same minimiser to 1e-7 only with a tight tol.
        FactorizedMultilinearRegressor(
            n_components=(0, 2),
            alpha=(1.0, 0.1),
            fit_intercept=False,
            tol=1e-10,
            max_iter=2000,
        ),
        FactorizedMultilinearRegressor(degree=4, n_components=(1, 1, 1)),
    ]
)
def test_sklearn_compatible_estimator(estimator, check, monkeypatch):
    # The array API checks (numpy namespace only: no array API support is
    # claimed) skip themselves unless SCIPY_ARRAY_API is set.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)
