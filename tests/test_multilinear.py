"""Tests for FactorizedMultilinearRegressor (doc/definition.rst §9)."""

import pickle
import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skscatharm.regression import (
    FactorizedBilinearRegressor,
    FactorizedMultilinearRegressor,
)
from skscatharm.regression._factor_lbfgs import _WhitenedFactorProblem


def _features(rng, n, K):
    """Correlated features with very different offsets and scales."""
    mix = np.eye(K) + 0.3 * rng.normal(size=(K, K)) / np.sqrt(K)
    scales = 10.0 ** rng.uniform(-2, 2, K)
    return (rng.normal(size=(n, K)) @ mix) * scales + rng.normal(size=K) * scales


def _products(X, factors):
    """``sum_r prod_j (factors[r, j] . x)`` for factors of shape (R, d, K)."""
    return np.prod(np.einsum("rjk,ik->irj", factors, X), axis=2).sum(axis=1)


def _planted(rng, X, center, ranks):
    """A known model: products of each degree of ``x - center``, linear, constant."""
    s = X.std(0)
    K = X.shape[1]
    Xc = X - center
    y = Xc @ (rng.normal(size=K) / s / np.sqrt(K)) + 1.5
    for d, R in enumerate(ranks, start=2):
        factors = rng.normal(size=(R, d, K)) / s / np.sqrt(K)
        y += _products(Xc, factors)
    return y


def _fit_quietly(reg, X, y, sample_weight=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return reg.fit(X, y, sample_weight=sample_weight)


# The objective and its gradient


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gradient_matches_central_differences(fit_intercept):
    rng = np.random.RandomState(0)
    n, K = 60, 5
    Z = rng.normal(size=(n, K))
    y = rng.normal(size=n)
    sw = rng.uniform(0.5, 2.0, n)
    if fit_intercept:
        Z -= (sw / sw.sum()) @ Z  # standardised features are centred
    shape = [(2, 1), (3, 2), (4, 1)]
    problem = _WhitenedFactorProblem(
        Z, y, sw, shape, [0.3, 0.05, 0.7], 1e-3, fit_intercept
    )
    x = 0.5 * rng.normal(size=problem.n_rows * problem.m)
    value, grad, _, _ = problem.evaluate(x)
    h = 1e-6
    numeric = np.empty_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = h
        numeric[i] = (problem.evaluate(x + step)[0] - problem.evaluate(x - step)[0]) / (
            2 * h
        )
    assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9 * np.abs(grad).max())
    assert value > 0 and np.abs(grad).max() > 1e-2  # not a trivial point


def _documented_objective(reg, X, y, sw, alphas, alpha_linear):
    """The objective of doc/definition.rst §9 as a function of all parameters.

    Computed from the public attributes only: with the weighted standardisation
    ``z = (x - m) / s``, ``t = (y - y_m) / y_s``, the factors of degree ``d`` are
    ``components_ * s / y_s**(1/d)`` and the linear coefficients ``coef_ * s /
    y_s``; the intercept is read from ``predict``.  Returns the parameter vector
    at the fit and the objective as a function of it.
    """
    w = sw / sw.sum()
    m = w @ X if reg.fit_intercept else np.zeros(X.shape[1])
    s = np.sqrt(w @ (X - m) ** 2)
    y_m = w @ y if reg.fit_intercept else 0.0
    y_s = np.sqrt(w @ (y - y_m) ** 2)
    Z, t = (X - m) / s, (y - y_m) / y_s
    groups = [c * s / y_s ** (1.0 / d) for d, c in enumerate(reg.components_, start=2)]
    b = reg.coef_ * s / y_s
    f = (reg.predict(X) - y_m) / y_s
    b0 = np.mean(f - sum(_products(Z, g) for g in groups) - Z @ b)
    sizes = [g.size for g in groups]
    theta = np.concatenate([g.ravel() for g in groups] + [b, [b0]])

    def objective(theta):
        parts = np.split(theta, np.cumsum(sizes + [b.size]))
        factors = [p.reshape(g.shape) for p, g in zip(parts, groups, strict=False)]
        b_, b0_ = parts[-2], parts[-1][0]
        r = t - sum(_products(Z, g) for g in factors) - Z @ b_ - b0_
        penalty = sum(a * np.sum(g**2) for a, g in zip(alphas, factors, strict=True))
        return sw @ r**2 + penalty + alpha_linear * b_ @ b_

    return theta, objective


def _central_gradient(objective, theta, h=1e-6):
    grad = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        grad[i] = (objective(theta + step) - objective(theta - step)) / (2 * h)
    return grad


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_fit_is_a_stationary_point_of_the_documented_objective(fit_intercept):
    rng = np.random.RandomState(1)
    n, K = 200, 4
    X = _features(rng, n, K)
    y = _planted(rng, X, X.mean(0), (1, 1)) + 0.3 * rng.normal(size=n)
    sw = rng.uniform(0.5, 2.0, n)
    alphas, alpha_linear = (2.0, 0.3), 1e-2
    reg = FactorizedMultilinearRegressor(
        n_components=(1, 2),
        alpha=alphas,
        alpha_linear=alpha_linear,
        tol=1e-9,
        max_iter=3000,
        random_state=0,
        fit_intercept=fit_intercept,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y, sample_weight=sw)
    theta, objective = _documented_objective(reg, X, y, sw, alphas, alpha_linear)
    grad = _central_gradient(objective, theta)
    if not fit_intercept:
        grad = grad[:-1]  # the intercept is fixed at 0
    assert np.abs(grad).max() / sw.sum() < 1e-6
    # The penalties are the documented ones, per degree: with the two degrees'
    # penalties swapped the fitted point is far from stationary.
    _, swapped = _documented_objective(reg, X, y, sw, alphas[::-1], alpha_linear)
    assert np.abs(_central_gradient(swapped, theta)).max() / sw.sum() > 1e-3


# What the fit recovers


def test_recovers_a_planted_degree_three_model():
    rng = np.random.RandomState(2)
    n, n_test, K, ranks = 1500, 500, 8, (1, 2)
    X = _features(rng, n + n_test, K)
    # Products of x minus the training mean: the model's own form (centred
    # elsewhere, each product would also add degree-2 terms of higher rank).
    y = _planted(rng, X, X[:n].mean(0), ranks)
    train, test = slice(0, n), slice(n, None)
    # One product more than planted: with exactly two, as for any CP
    # decomposition, some starts end in a local minimum (a few per cent of
    # error); one spare product reached the planted model from every start tried.
    reg = FactorizedMultilinearRegressor(
        n_components=(1, 3), alpha=1e-10, tol=1e-9, max_iter=2000, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X[train], y[train])

    def relative_error(model, rows):
        return np.sqrt(np.mean((model.predict(X[rows]) - y[rows]) ** 2)) / y.std()

    assert relative_error(reg, train) < 1e-5
    assert relative_error(reg, test) < 1e-4
    # The degree-2 restriction does no worse than the bilinear model on the
    # same data, and the third degree is what brings the error down.
    restricted = FactorizedMultilinearRegressor(
        degree=2, n_components=ranks[0], random_state=0
    )
    bilinear = FactorizedBilinearRegressor(n_components=ranks[0], random_state=0)
    restricted, bilinear = (
        _fit_quietly(m, X[train], y[train]) for m in (restricted, bilinear)
    )
    assert relative_error(restricted, test) <= 1.001 * relative_error(bilinear, test)
    assert relative_error(restricted, test) > 0.1


@pytest.mark.parametrize(
    "params",
    [
        dict(n_components=1),
        dict(n_components=3, alpha_linear=1e-3),
        dict(n_components=2, alpha=1e-3, fit_intercept=False),
    ],
    ids=["R1", "R3-alpha-linear", "R2-no-intercept"],
)
def test_degree_two_reaches_the_factorized_bilinear_optimum(params):
    rng = np.random.RandomState(3)
    X = _features(rng, 300, 6)
    y = _planted(rng, X, 0.0, (2,)) + 0.2 * rng.normal(size=300)
    sw = rng.uniform(0.5, 2.0, 300)
    converged = dict(tol=1e-10, max_iter=5000, random_state=0, **params)
    bilinear = FactorizedBilinearRegressor(**converged)
    multilinear = FactorizedMultilinearRegressor(degree=2, **converged)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        bilinear.fit(X, y, sample_weight=sw)
        multilinear.fit(X, y, sample_weight=sw)
    # The same objective from another start (moments, not a bilinear fit): the
    # same minimiser.
    X_new = _features(rng, 100, 6)
    assert_allclose(
        multilinear.predict(X_new),
        bilinear.predict(X_new),
        rtol=1e-6,
        atol=1e-6 * y.std(),
    )


# The estimator's contract


MODELS = [
    FactorizedMultilinearRegressor(n_components=(1, 2), alpha=1e-2, random_state=0),
    FactorizedMultilinearRegressor(
        degree=4, n_components=(0, 1, 1), fit_intercept=False, random_state=0
    ),
]
IDS = ["degree3", "degree4-no-intercept"]


def _cubic_data(rng, n, K=5):
    X = _features(rng, n, K)
    return X, _planted(rng, X, 0.0, (1, 1)) + 0.1 * rng.normal(size=n)


@pytest.mark.parametrize("reg", MODELS, ids=IDS)
def test_public_attributes_reproduce_predict(reg):
    rng = np.random.RandomState(4)
    X, y = _cubic_data(rng, 120)
    reg = _fit_quietly(clone(reg), X, y)
    X_new = _features(rng, 20, 5)
    expected = (
        sum(_products(X_new - reg.mean_, c) for c in reg.components_)
        + X_new @ reg.coef_
        + reg.intercept_
    )
    assert_allclose(reg.predict(X_new), expected, rtol=1e-9, atol=1e-9 * y.std())
    assert [c.shape for c in reg.components_] == [
        (R, d, 5) for d, R in enumerate(reg.n_components_, start=2)
    ]


@pytest.mark.parametrize("reg", MODELS, ids=IDS)
def test_sample_weight_equals_repetition(reg):
    rng = np.random.RandomState(5)
    X, y = _cubic_data(rng, 60)
    sw = rng.randint(0, 4, size=60)
    reg = clone(reg).set_params(tol=1e-10, max_iter=3000)
    weighted = _fit_quietly(clone(reg), X, y, sw)
    repeated = _fit_quietly(clone(reg), np.repeat(X, sw, axis=0), np.repeat(y, sw))
    # The same minimiser, to the flatness of the objective near it.
    assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-5)
    unweighted = _fit_quietly(clone(reg), X, y)
    assert not np.allclose(unweighted.predict(X), weighted.predict(X), rtol=1e-3)


def test_random_state_makes_fits_reproducible_and_seeds_differ():
    rng = np.random.RandomState(6)
    X, y = _cubic_data(rng, 150)
    reg = FactorizedMultilinearRegressor(n_components=2, max_iter=3)
    fits = {}
    for seed, global_seed in [(0, 1), (0, 2), (1, 1)]:
        np.random.seed(global_seed)  # noqa: NPY002 (the global state must not matter)
        fitted = _fit_quietly(clone(reg).set_params(random_state=seed), X, y)
        fits[seed, global_seed] = fitted.predict(X)
    assert_array_equal(fits[0, 1], fits[0, 2])
    assert not np.array_equal(fits[0, 1], fits[1, 1])


@pytest.mark.parametrize("reg", MODELS, ids=IDS)
def test_exact_under_power_of_two_scales_and_finite_at_extreme_scales(reg):
    rng = np.random.RandomState(7)
    X, y = _cubic_data(rng, 80)
    # Converged fits: features scaled by other than a power of two change the
    # standardised problem in its last bits, hence the path of a non-convex fit.
    reg = clone(reg).set_params(tol=1e-11, max_iter=5000)
    reference = _fit_quietly(clone(reg), X, y).predict(X)
    scaled = _fit_quietly(clone(reg), X * 2.0**600, y * 2.0**-900)
    assert_array_equal(scaled.predict(X * 2.0**600), reference * 2.0**-900)
    for x_scale, y_scale in [(1e200, 1.0), (1.0, 1e300), (1e150, 1e300)]:
        fitted = _fit_quietly(clone(reg), X * x_scale, y * y_scale)
        predicted = fitted.predict(X * x_scale)
        assert_allclose(predicted / y_scale, reference, rtol=1e-6, atol=1e-6)
        assert all(np.all(np.isfinite(c)) for c in fitted.components_)
        assert np.all(np.isfinite(fitted.coef_)) and np.isfinite(fitted.intercept_)


def test_coefficients_and_predictions_that_overflow_raise():
    rng = np.random.RandomState(8)
    X, y = _cubic_data(rng, 60)
    reg = FactorizedMultilinearRegressor(n_components=(1, 1), random_state=0)
    # A linear coefficient of the order of 1e300 / 1e-100: no float64 holds it.
    with pytest.raises(
        ValueError, match="coefficients in the units of X and y overflow"
    ):
        _fit_quietly(clone(reg), X * 1e-100, y * 1e300)
    fitted = _fit_quietly(clone(reg), X, y * 1e300)
    with pytest.raises(ValueError, match="prediction of sample 1 is not finite"):
        fitted.predict(X[:3] * [[1.0], [1e10], [1.0]])
    fitted = _fit_quietly(clone(reg), X.astype(np.float32), y)
    assert fitted.predict(X.astype(np.float32)).dtype == np.float32
    assert_allclose(
        fitted.predict(X.astype(np.float32)),
        _fit_quietly(clone(reg), X, y).predict(X),
        rtol=1e-4,
        atol=1e-5 * y.std(),
    )


def test_constant_column_and_constant_target():
    rng = np.random.RandomState(9)
    X, y = _cubic_data(rng, 60, K=3)
    X_const = np.column_stack([X[:, :1], np.full(60, 5.0), X[:, 1:]])
    reg = FactorizedMultilinearRegressor(tol=1e-12, max_iter=3000, random_state=0)
    full = _fit_quietly(clone(reg), X_const, y)
    for c in full.components_:
        assert_allclose(c[:, :, 1], 0.0, atol=1e-12 * np.abs(c).max())
    assert full.coef_[1] == pytest.approx(0.0, abs=1e-12 * np.abs(full.coef_).max())
    assert np.all(np.isfinite(full.predict(X_const)))
    flat = _fit_quietly(clone(reg), X, np.full(60, 2.5))
    assert_allclose(flat.predict(X), 2.5)


@pytest.mark.parametrize(
    "params, message",
    [
        (
            dict(n_components=(1, 2, 3)),
            "n_components must be a number or one number per degree 2 to 3",
        ),
        (dict(alpha=[1.0]), "alpha must be a number or one number per degree 2 to 3"),
        (dict(n_components=(1, 1.5)), "n_components must be integers"),
        (dict(n_components=(1, -1)), "n_components must be >= 0"),
        (dict(alpha=(1.0, -1.0)), "alpha must be >= 0"),
    ],
)
def test_per_degree_parameters_are_checked(params, message):
    X, y = _cubic_data(np.random.RandomState(10), 20)
    with pytest.raises(ValueError, match=re.escape(message)):
        FactorizedMultilinearRegressor(**params).fit(X, y)


def test_convergence_warning_and_verbose_lines(capsys):
    X, y = _cubic_data(np.random.RandomState(11), 100)
    with pytest.warns(ConvergenceWarning, match="L-BFGS did not reach"):
        reg = FactorizedMultilinearRegressor(max_iter=2, tol=1e-12, verbose=2)
        reg.fit(X, y)
    assert reg.n_iter_ == 2
    out = capsys.readouterr().out
    lines = re.findall(
        r"^\[FactorizedMultilinearRegressor\] iteration (\d+):", out, re.M
    )
    assert lines == ["1", "2"]


def test_pickle_round_trip():
    X, y = _cubic_data(np.random.RandomState(12), 80)
    reg = _fit_quietly(clone(MODELS[0]), X, y)
    restored = pickle.loads(pickle.dumps(reg))
    assert_array_equal(restored.predict(X), reg.predict(X))


def test_without_products_it_is_ridge_on_the_standardised_data():
    rng = np.random.RandomState(13)
    X = _features(rng, 80, 4)
    y = X @ rng.normal(size=4) + rng.normal(size=80)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg = FactorizedMultilinearRegressor(n_components=(0, 0), alpha_linear=2.0)
        reg.fit(X, y)
    assert reg.n_iter_ == 0
    # Independent reference: ridge, penalty 2, on the standardised data.
    Z = (X - X.mean(0)) / X.std(0)
    t = (y - y.mean()) / y.std()
    b = np.linalg.solve(Z.T @ Z + 2.0 * np.eye(4), Z.T @ t)
    assert_allclose(reg.predict(X), y.mean() + y.std() * (Z @ b), rtol=1e-10)


@pytest.mark.slow
def test_recovers_a_planted_model_on_correlated_features_at_scale():
    # Features like scattering coefficients: a low-rank signal plus a little noise
    # (condition number of about 1e7), scales over six decades.  A start from a
    # weakly penalised bilinear ridge fit stalled far from the model here.
    rng = np.random.RandomState(15)
    n, n_test, K, rank = 20_000, 2_000, 80, 15
    signal = rng.normal(size=(n + n_test, rank)) @ rng.normal(size=(rank, K))
    X = (signal + 1e-3 * rng.normal(size=signal.shape)) * 10.0 ** rng.uniform(-3, 3, K)
    y = _planted(rng, X, X[:n].mean(0), (2, 2))
    reg = FactorizedMultilinearRegressor(
        n_components=(2, 3), alpha=1e-6, max_iter=1000, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X[:n], y[:n])
    error = reg.predict(X[n:]) - y[n:]
    assert np.sqrt(np.mean(error**2)) / y.std() < 1e-3
