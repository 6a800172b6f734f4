"""Tests for BilinearRegressor and FactorizedBilinearRegressor."""

import pickle
import tracemalloc
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score

import skscatharm.regression._bilinear as bilinear_module
from skscatharm.regression import BilinearRegressor, FactorizedBilinearRegressor

SOLVERS = ["dual", "primal", "cg"]


def _features(rng, n, K):
    """Correlated features with very different offsets and scales."""
    mix = np.eye(K) + 0.3 * rng.normal(size=(K, K)) / np.sqrt(K)
    scales = 10.0 ** rng.uniform(-2, 2, K)
    return (rng.normal(size=(n, K)) @ mix) * scales + rng.normal(size=K) * scales


def _quadratic(X, A, b, b0):
    return np.einsum("ij,jk,ik->i", X, A, X) + X @ b + b0


def _reference_fit(X, y, sw, alpha, fit_intercept, alpha_linear=None):
    """Independent dense solve of the documented objective.

    Standardise with weighted statistics, build the explicit feature map
    ``[z_k^2, sqrt(2) z_k z_l (k < l), z, 1]`` and solve the penalised normal
    equations (penalty ``alpha`` on the quadratic block, ``alpha_linear`` on
    the linear one) with numpy.linalg.solve; return (A, b, b0) in original
    units.
    """
    if alpha_linear is None:
        alpha_linear = alpha
    n, K = X.shape
    w = sw / sw.sum()
    m = w @ X if fit_intercept else np.zeros(K)
    s = np.sqrt(w @ (X - m) ** 2)
    ym = w @ y if fit_intercept else 0.0
    ys = np.sqrt(w @ (y - ym) ** 2)
    Z, t = (X - m) / s, (y - ym) / ys
    pairs = [(k, j) for k in range(K) for j in range(k, K)]
    cols = [Z[:, k] * Z[:, j] * (1.0 if k == j else np.sqrt(2.0)) for k, j in pairs]
    F = np.column_stack(cols + [Z] + ([np.ones(n)] if fit_intercept else []))
    penalty = np.full(F.shape[1], float(alpha))
    penalty[len(pairs) : len(pairs) + K] = alpha_linear
    if fit_intercept:
        penalty[-1] = 0.0
    theta = np.linalg.solve(F.T @ (sw[:, None] * F) + np.diag(penalty), F.T @ (sw * t))
    A = np.zeros((K, K))
    for (k, j), value in zip(pairs, theta, strict=False):
        A[k, j] = A[j, k] = value if k == j else value / np.sqrt(2.0)
    b = theta[len(pairs) : len(pairs) + K]
    b0 = theta[-1] if fit_intercept else 0.0
    # z^T A z + b.z + b0 with z = (x - m) / s, times ys, plus ym; expanded in x.
    A_x = ys * A / np.outer(s, s)
    b_x = ys * b / s - 2 * A_x @ m
    b0_x = ym + ys * b0 + m @ A_x @ m - ys * (b / s) @ m
    return A_x, b_x, b0_x


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("shape", [(40, 5), (15, 6)])
@pytest.mark.parametrize("solver", SOLVERS)
def test_exact_solvers_match_dense_reference(solver, shape, fit_intercept):
    rng = np.random.RandomState(0)
    X = _features(rng, *shape)
    y = rng.normal(size=shape[0]) + 1e-3 * X[:, 0] * X[:, 1]
    sw = rng.uniform(0.0, 3.0, shape[0])
    A, b, b0 = _reference_fit(X, y, sw, 0.3, fit_intercept)
    reg = BilinearRegressor(
        alpha=0.3, solver=solver, fit_intercept=fit_intercept, tol=1e-14
    )
    reg.fit(X, y, sample_weight=sw)
    assert reg.solver_ == solver
    scale = np.linalg.norm(A)
    assert_allclose(reg.coef_matrix_, A, rtol=0, atol=1e-8 * scale)
    assert_allclose(reg.coef_, b, rtol=1e-8, atol=1e-8 * np.linalg.norm(b))
    assert_allclose(reg.intercept_, b0, rtol=1e-8, atol=1e-10)
    X_new = _features(np.random.RandomState(1), 10, shape[1])
    expected = _quadratic(X_new, A, b, b0)
    assert_allclose(reg.predict(X_new), expected, rtol=1e-8)
    if not fit_intercept:
        assert reg.intercept_ == 0.0


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "alpha, alpha_linear",
    [(0.3, 1e-3), (1e-2, 5.0), (0.3, 0.0), (0.0, 0.3)],
    ids=["weak-linear", "strong-linear", "unpenalised-linear", "unpenalised-A"],
)
@pytest.mark.parametrize("solver", SOLVERS)
def test_alpha_linear_matches_dense_reference(
    solver, alpha, alpha_linear, fit_intercept
):
    # 40 samples, 5 features: 15 + 5 coefficients, so even a zero penalty on
    # one block leaves a unique minimiser.
    rng = np.random.RandomState(2)
    X = _features(rng, 40, 5)
    y = rng.normal(size=40) + 1e-3 * X[:, 0] * X[:, 1] + 1e-2 * X[:, 2]
    sw = rng.uniform(0.0, 3.0, 40)
    reg = BilinearRegressor(
        alpha=alpha,
        alpha_linear=alpha_linear,
        solver=solver,
        fit_intercept=fit_intercept,
        tol=1e-14,
    )
    if solver == "dual" and alpha == 0:
        with pytest.raises(ValueError, match="solver='dual' cannot fit alpha=0"):
            reg.fit(X, y, sample_weight=sw)
        return
    reg.fit(X, y, sample_weight=sw)
    A, b, b0 = _reference_fit(X, y, sw, alpha, fit_intercept, alpha_linear)
    assert_allclose(reg.coef_matrix_, A, rtol=0, atol=1e-8 * np.linalg.norm(A))
    assert_allclose(reg.coef_, b, rtol=0, atol=1e-8 * np.linalg.norm(b))
    assert_allclose(reg.intercept_, b0, rtol=1e-8, atol=1e-10)
    X_new = _features(np.random.RandomState(1), 10, 5)
    assert_allclose(reg.predict(X_new), _quadratic(X_new, A, b, b0), rtol=1e-8)
    # The two penalties are genuinely different from a single one.
    A_one, b_one, _ = _reference_fit(X, y, sw, alpha, fit_intercept)
    assert not np.allclose(b, b_one, rtol=1e-3)


def test_alpha_linear_none_means_alpha():
    rng = np.random.RandomState(3)
    X = rng.normal(size=(30, 4))
    y = X[:, 0] * X[:, 1] + rng.normal(size=30)
    for solver in SOLVERS:
        default = BilinearRegressor(alpha=0.7, solver=solver).fit(X, y)
        same = BilinearRegressor(alpha=0.7, alpha_linear=0.7, solver=solver).fit(X, y)
        assert_array_equal(default.predict(X), same.predict(X))


def test_auto_solver_avoids_dual_for_unpenalised_quadratic_part():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 40)), rng.normal(size=30)
    assert BilinearRegressor(alpha=0.0).fit(X, y).solver_ == "dual"
    reg = BilinearRegressor(alpha=0.0, alpha_linear=1.0).fit(X, y)
    assert reg.solver_ != "dual"


def test_solvers_agree_with_each_other():
    rng = np.random.RandomState(3)
    X = rng.normal(size=(60, 7))
    y = X[:, 0] * X[:, 3] - X[:, 2] + rng.normal(size=60)
    for alpha_linear in [None, 1e-4]:
        fits = [
            BilinearRegressor(
                alpha=0.5, alpha_linear=alpha_linear, solver=s, tol=1e-14
            ).fit(X, y)
            for s in SOLVERS
        ]
        for other in fits[1:]:
            assert_allclose(other.coef_matrix_, fits[0].coef_matrix_, rtol=1e-8)
            assert_allclose(other.coef_, fits[0].coef_, rtol=1e-8)
            assert_allclose(other.intercept_, fits[0].intercept_, rtol=1e-8)
        assert fits[2].n_iter_ > 1
        assert fits[0].n_iter_ == fits[1].n_iter_ == 1


def test_auto_solver_by_size():
    rng = np.random.RandomState(0)
    wide = BilinearRegressor().fit(rng.normal(size=(30, 40)), rng.normal(size=30))
    assert wide.solver_ == "dual"
    tall = BilinearRegressor().fit(rng.normal(size=(3000, 4)), rng.normal(size=3000))
    assert tall.solver_ == "primal"
    # Too large for either dense matrix within the memory budget.
    assert bilinear_module._choose_solver(110_000, 300) == "cg"
    # The dual's one n x n kernel fits the budget and beats CG's hundreds of
    # iterations; above 12,000 samples "auto" avoids the threaded Cholesky that
    # crashes in the bundled OpenBLAS.
    assert bilinear_module._choose_solver(12_000, 300) == "dual"
    assert bilinear_module._choose_solver(16_000, 300) == "cg"
    # A truncated CG of 10 iterations (the factorised start) is the cheaper one.
    assert bilinear_module._choose_solver(12_000, 300, cg_iterations=10) == "cg"


def test_dual_singular_kernel_falls_back_to_minimum_norm():
    # Repeated molecules make the unpenalised kernel singular: the in-place
    # Cholesky fails and the dual must still give the primal's minimum-norm fit.
    rng = np.random.RandomState(3)
    X = rng.normal(size=(5, 3))
    X = np.vstack([X, X[:2]])
    y = rng.normal(size=5)
    y = np.r_[y, y[:2]]
    dual = BilinearRegressor(alpha=0.0, solver="dual").fit(X, y)
    primal = BilinearRegressor(alpha=0.0, solver="primal").fit(X, y)
    assert_allclose(dual.predict(X), y, atol=1e-8)
    assert_allclose(dual.coef_matrix_, primal.coef_matrix_, atol=1e-8)
    assert_allclose(dual.coef_, primal.coef_, atol=1e-8)


@pytest.mark.parametrize("solver", SOLVERS)
def test_bilinear_recovers_planted_model(solver):
    rng = np.random.RandomState(0)
    n, K = 2000, 30
    X = _features(rng, n + 500, K)
    s = X.std(0)
    A = rng.normal(size=(K, K)) / np.outer(s, s) / K
    A = 0.5 * (A + A.T)
    b = rng.normal(size=K) / s / np.sqrt(K)
    y = _quadratic(X, A, b, 3.0)
    y += 1e-3 * y.std() * rng.normal(size=len(y))
    reg = BilinearRegressor(solver=solver).fit(X[:n], y[:n])
    assert r2_score(y[n:], reg.predict(X[n:])) >= 0.999
    err = np.linalg.norm(reg.coef_matrix_ - A) / np.linalg.norm(A)
    assert err <= 1e-2


@pytest.mark.parametrize("solver", ["lbfgs", "als"])
@pytest.mark.parametrize("n_components", [1, 2])
def test_factorized_recovers_planted_model(n_components, solver):
    rng = np.random.RandomState(1)
    n, K = 2000, 30
    X = _features(rng, n + 500, K)
    s = X.std(0)
    a = rng.normal(size=(n_components, K)) / s / np.sqrt(K)
    c = rng.normal(size=(n_components, K)) / s / np.sqrt(K)
    b = rng.normal(size=K) / s / np.sqrt(K)
    y = np.einsum("ir,ir->i", X @ a.T, X @ c.T) + X @ b - 2.0
    y += 1e-3 * y.std() * rng.normal(size=len(y))
    reg = FactorizedBilinearRegressor(
        n_components=n_components, solver=solver, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X[:n], y[:n])
    assert r2_score(y[n:], reg.predict(X[n:])) >= 0.999
    M = a.T @ c
    M = 0.5 * (M + M.T)
    err = np.linalg.norm(reg.coef_matrix_ - M) / np.linalg.norm(M)
    assert err <= 1e-2
    # The public factors define the same symmetric matrix.
    P = reg.components_alpha_.T @ reg.components_beta_
    assert_allclose(reg.coef_matrix_, 0.5 * (P + P.T), rtol=1e-10)
    assert reg.components_alpha_.shape == (n_components, K)


def _standardized_objective(reg, X, y, sw):
    """The documented objective of a fitted factorised model, and its gradient.

    Computed from the public attributes and ``predict`` only: with the weighted
    standardisation ``z = (x - m) / s``, ``t = (y - y_m) / y_s``, the factors
    are ``alpha_r * s / sqrt(y_s)`` and the linear coefficients
    ``(coef_ + 2 coef_matrix_ m) * s / y_s``.  Returns the objective and the
    largest gradient component (factors and ``b``) divided by the total weight.
    """
    w = sw / sw.sum()
    m = w @ X if reg.fit_intercept else np.zeros(X.shape[1])
    s = np.sqrt(w @ (X - m) ** 2)
    y_m = w @ y if reg.fit_intercept else 0.0
    y_s = np.sqrt(w @ (y - y_m) ** 2)
    Z, t = (X - m) / s, (y - y_m) / y_s
    a = reg.components_alpha_ * s / np.sqrt(y_s)
    c = reg.components_beta_ * s / np.sqrt(y_s)
    b = (reg.coef_ + 2 * reg.coef_matrix_ @ m) * s / y_s
    r = t - (reg.predict(X) - y_m) / y_s
    alpha = reg.alpha
    alpha_linear = alpha if reg.alpha_linear is None else reg.alpha_linear
    value = sw @ r**2 + alpha * (np.sum(a**2) + np.sum(c**2)) + alpha_linear * b @ b
    wr = sw * r
    grads = [
        -2 * (Z @ c.T * wr[:, None]).T @ Z + 2 * alpha * a,
        -2 * (Z @ a.T * wr[:, None]).T @ Z + 2 * alpha * c,
        -2 * Z.T @ wr + 2 * alpha_linear * b,
    ]
    return value, max(np.abs(g).max() for g in grads) / sw.sum()


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha_linear", [None, 1e-3, 0.0, 3.0])
def test_factorized_solvers_reach_the_same_optimum(alpha_linear, fit_intercept):
    rng = np.random.RandomState(3)
    n, K, R = 300, 8, 2
    X = _features(rng, n, K)
    s = X.std(0)
    a, c = rng.normal(size=(R, K)) / s, rng.normal(size=(R, K)) / s
    y = np.einsum("ir,ir->i", X @ a.T, X @ c.T) + X @ (rng.normal(size=K) / s)
    y += 0.3 * y.std() * rng.normal(size=n)
    sw = rng.uniform(0.5, 2.0, n)
    fits = {}
    for solver, tol in [("lbfgs", 1e-10), ("als", 1e-13)]:
        reg = FactorizedBilinearRegressor(
            n_components=R,
            alpha=1.0,
            alpha_linear=alpha_linear,
            solver=solver,
            tol=tol,
            max_iter=5000,
            random_state=0,
            fit_intercept=fit_intercept,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            fits[solver] = reg.fit(X, y, sample_weight=sw)
    (f_lbfgs, g_lbfgs), (f_als, g_als) = (
        _standardized_objective(fits[k], X, y, sw) for k in ("lbfgs", "als")
    )
    assert f_lbfgs == pytest.approx(f_als, rel=1e-8)
    # Both are stationary points of the documented objective, with the
    # documented penalties (a wrong alpha_linear shows up in the b gradient).
    assert g_lbfgs < 1e-7 and g_als < 1e-6
    # The objective is flat at the optimum: 1e-8 in it is ~1e-5 in the fit.
    assert_allclose(
        fits["lbfgs"].predict(X), fits["als"].predict(X), rtol=0, atol=1e-5 * y.std()
    )


def _both(**kwargs):
    return [
        BilinearRegressor(**kwargs),
        BilinearRegressor(solver="cg", tol=1e-12, **kwargs),
        FactorizedBilinearRegressor(n_components=2, random_state=0, **kwargs),
        FactorizedBilinearRegressor(
            n_components=2, solver="als", random_state=0, **kwargs
        ),
    ]


BOTH_IDS = ["auto", "cg", "factorized", "factorized-als"]


@pytest.mark.parametrize("reg", _both(), ids=BOTH_IDS)
def test_public_attributes_reproduce_predict(reg):
    rng = np.random.RandomState(4)
    X = _features(rng, 80, 5)
    y = X[:, 0] * X[:, 1] + rng.normal(size=80) * X[:, 2].std()
    reg.fit(X, y)
    X_new = _features(rng, 20, 5)
    expected = _quadratic(X_new, reg.coef_matrix_, reg.coef_, reg.intercept_)
    assert_allclose(reg.predict(X_new), expected, rtol=1e-8, atol=1e-8)
    assert_allclose(reg.coef_matrix_, reg.coef_matrix_.T)


@pytest.mark.parametrize("reg", _both(alpha=2.0), ids=BOTH_IDS)
def test_sample_weight_equals_repetition(reg):
    rng = np.random.RandomState(5)
    X = _features(rng, 50, 6)
    y = X[:, 0] * X[:, 1] / (X[:, 0].std() * X[:, 1].std()) + rng.normal(size=50)
    sw = rng.randint(0, 4, size=50)
    weighted = pickle.loads(pickle.dumps(reg)).fit(X, y, sample_weight=sw)
    repeated = pickle.loads(pickle.dumps(reg)).fit(
        np.repeat(X, sw, axis=0), np.repeat(y, sw)
    )
    assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-7)
    assert_allclose(weighted.coef_matrix_, repeated.coef_matrix_, rtol=1e-6)
    # Non-uniform weights change the fit (the weights are not ignored).
    unweighted = pickle.loads(pickle.dumps(reg)).fit(X, y)
    assert not np.allclose(unweighted.predict(X), weighted.predict(X), rtol=1e-3)


@pytest.mark.parametrize("reg", _both(alpha=5.0), ids=BOTH_IDS)
def test_invariance_to_feature_and_target_scaling(reg):
    rng = np.random.RandomState(6)
    X = rng.normal(size=(120, 5))
    y = X[:, 0] * X[:, 1] + X[:, 2] + 0.3 * rng.normal(size=120)
    f = np.array([1e-3, 1.0, 50.0, 1e3, 0.2])
    shift = np.array([0.0, 100.0, -3.0, 1e4, 7.0])
    c, d = 1e4, -300.0
    base = pickle.loads(pickle.dumps(reg)).fit(X, y)
    scaled = pickle.loads(pickle.dumps(reg)).fit(X * f + shift, c * y + d)
    X_new = rng.normal(size=(30, 5))
    assert_allclose(
        scaled.predict(X_new * f + shift), c * base.predict(X_new) + d, rtol=1e-7
    )
    # Pure rescaling maps the quadratic form as A -> c A / (f f^T).
    rescaled = pickle.loads(pickle.dumps(reg)).fit(X * f, c * y)
    assert_allclose(
        rescaled.coef_matrix_,
        c * base.coef_matrix_ / np.outer(f, f),
        rtol=1e-6,
        atol=1e-9 * np.abs(c * base.coef_matrix_ / np.outer(f, f)).max(),
    )


@pytest.mark.parametrize("reg", _both(), ids=BOTH_IDS)
def test_zero_variance_column(reg):
    rng = np.random.RandomState(7)
    X = rng.normal(size=(60, 4))
    y = X[:, 0] * X[:, 1] + X[:, 2]
    X_const = np.column_stack([X[:, :2], np.full(60, 5.0), X[:, 2:]])
    if isinstance(reg, FactorizedBilinearRegressor):
        # Compare converged fits (the random start depends on n_features).
        reg.set_params(tol=1e-13, max_iter=5000)
    full = pickle.loads(pickle.dumps(reg)).fit(X_const, y)
    assert np.all(np.isfinite(full.coef_matrix_))
    assert_allclose(full.coef_matrix_[2], 0.0, atol=1e-12)
    assert full.coef_[2] == pytest.approx(0.0, abs=1e-12)
    ref = pickle.loads(pickle.dumps(reg)).fit(X, y)
    assert_allclose(full.predict(X_const), ref.predict(X), rtol=1e-7, atol=1e-9)
    # A constant target gives a constant prediction, not NaN.
    flat = pickle.loads(pickle.dumps(reg)).fit(X, np.full(60, 2.5))
    assert_allclose(flat.predict(X), 2.5)


@pytest.mark.parametrize("solver", ["lbfgs", "als"])
def test_factorized_random_state_determinism(solver):
    rng = np.random.RandomState(8)
    X = rng.normal(size=(200, 8))
    y = (X[:, 0] + X[:, 1]) * (X[:, 2] - X[:, 3]) + 0.5 * rng.normal(size=200)
    fits = []
    for seed in [11, 22]:
        np.random.seed(seed)  # noqa: NPY002 (the global state must not matter)
        reg = FactorizedBilinearRegressor(
            n_components=2, solver=solver, random_state=0, max_iter=3
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits.append(reg.fit(X, y))
    assert_array_equal(fits[0].components_alpha_, fits[1].components_alpha_)
    assert_array_equal(fits[0].predict(X), fits[1].predict(X))
    # ... and random_state is actually used.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        other = FactorizedBilinearRegressor(
            n_components=2, solver=solver, random_state=1, max_iter=3
        ).fit(X, y)
    assert not np.array_equal(other.components_alpha_, fits[0].components_alpha_)


def test_convergence_warnings():
    rng = np.random.RandomState(9)
    X = rng.normal(size=(100, 6))
    y = X[:, 0] * X[:, 1] + rng.normal(size=100)
    with pytest.warns(ConvergenceWarning, match="Alternating least squares"):
        reg = FactorizedBilinearRegressor(solver="als", max_iter=1, tol=0.0)
        reg.fit(X, y)
    assert reg.n_iter_ == 1
    with pytest.warns(ConvergenceWarning, match="L-BFGS did not reach"):
        reg = FactorizedBilinearRegressor(max_iter=2, tol=1e-12).fit(X, y)
    assert reg.n_iter_ == 2
    with pytest.warns(ConvergenceWarning, match="Conjugate gradients"):
        reg = BilinearRegressor(solver="cg", max_iter=2, tol=1e-12).fit(X, y)
    assert reg.n_iter_ == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for solver in ["lbfgs", "als"]:
            reg = FactorizedBilinearRegressor(solver=solver).fit(X, y)
            assert reg.n_iter_ < 200
        assert BilinearRegressor(solver="cg").fit(X, y).n_iter_ < 1000


@pytest.mark.parametrize("reg", _both(), ids=BOTH_IDS)
def test_pickle_round_trip(reg):
    rng = np.random.RandomState(10)
    X = rng.normal(size=(70, 5))
    y = X[:, 0] * X[:, 4] + X[:, 1]
    reg.fit(X, y)
    restored = pickle.loads(pickle.dumps(reg))
    assert_array_equal(restored.predict(X), reg.predict(X))
    assert_array_equal(restored.coef_matrix_, reg.coef_matrix_)


@pytest.mark.parametrize("reg", _both(), ids=BOTH_IDS)
def test_float32_input(reg):
    rng = np.random.RandomState(11)
    X = rng.normal(size=(150, 5))
    y = X[:, 0] * X[:, 1] - X[:, 3] + 0.1 * rng.normal(size=150)
    fit64 = pickle.loads(pickle.dumps(reg)).fit(X, y)
    fit32 = pickle.loads(pickle.dumps(reg)).fit(X.astype(np.float32), y)
    pred32 = fit32.predict(X.astype(np.float32))
    assert pred32.dtype == np.float32
    assert fit64.predict(X).dtype == np.float64
    assert pred32.shape == (150,)
    assert_allclose(pred32, fit64.predict(X), rtol=1e-4, atol=1e-5)


def test_cg_never_builds_the_quadratic_design():
    rng = np.random.RandomState(12)
    n, K = 20_000, 60
    X = rng.normal(size=(n, K))
    y = X[:, 0] * X[:, 1] + X[:, 2]
    reg = BilinearRegressor(solver="cg", tol=1e-4)
    tracemalloc.start()
    reg.fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    design_bytes = 8 * n * (K * (K + 1) // 2 + K)  # about 300 MB
    assert peak < design_bytes / 6
    assert reg.score(X, y) > 0.999


@pytest.mark.slow
def test_cg_recovery_at_scale():
    rng = np.random.RandomState(13)
    n, K = 30_000, 100
    X = _features(rng, n + 2000, K)
    s = X.std(0)
    A = rng.normal(size=(K, K)) / np.outer(s, s) / K
    A = 0.5 * (A + A.T)
    y = _quadratic(X, A, rng.normal(size=K) / s, 1.0)
    y += 1e-3 * y.std() * rng.normal(size=len(y))
    reg = BilinearRegressor().fit(X[:n], y[:n])
    assert reg.solver_ == "cg"
    assert r2_score(y[n:], reg.predict(X[n:])) >= 0.999
    assert np.linalg.norm(reg.coef_matrix_ - A) / np.linalg.norm(A) <= 2e-2


@pytest.mark.slow
def test_factorized_recovery_at_scale_with_truncated_cg_start():
    rng = np.random.RandomState(14)
    n, K, R = 40_000, 120, 2
    X = _features(rng, n + 2000, K)
    s = X.std(0)
    a = rng.normal(size=(R, K)) / s / np.sqrt(K)
    c = rng.normal(size=(R, K)) / s / np.sqrt(K)
    y = np.einsum("ir,ir->i", X @ a.T, X @ c.T) + X @ (rng.normal(size=K) / s)
    y += 1e-3 * y.std() * rng.normal(size=len(y))
    # Too large for an exact start: the initialisation is a truncated CG fit.
    assert bilinear_module._choose_solver(n, K) == "cg"
    reg = FactorizedBilinearRegressor(n_components=R, random_state=0)
    reg.fit(X[:n], y[:n])
    assert r2_score(y[n:], reg.predict(X[n:])) >= 0.999
    M = a.T @ c
    M = 0.5 * (M + M.T)
    assert np.linalg.norm(reg.coef_matrix_ - M) / np.linalg.norm(M) <= 1e-2
