"""Factorised multilinear regression: sums of products of linear forms, by L-BFGS."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from .._persistence import VersionedPickleMixin
from .._verbose import Reporter
from ._bilinear_solvers import _weighted_outer
from ._factor_lbfgs import _WhitenedFactorProblem
from ._factorized import _balance, _initial_factors
from ._preprocessing import _check_fit_inputs, _Standardization

# Power iterations of the start of each component of degree 3 or more; each is
# two products with the whitened data, O(n K).
_POWER_ITERATIONS = 30
# Sweeps refining the products of one degree together at the start.
_REFINING_SWEEPS = 5
# Relative size of the random perturbation of the initial factors of degree 3 or
# more.  The start gives the factors of one product equal directions, which the
# gradient only slowly separates; a perturbation much larger than the degree-2
# one reached the planted model from more starts in the recovery experiments.
_HIGHER_NOISE = 0.3


def _per_degree(value, degree, name, minimum):
    """``value`` as one number per degree ``2 .. degree`` (ValueError if not)."""
    values = np.asarray(value)
    if values.ndim == 0:
        return np.full(degree - 1, values.item())
    if values.shape != (degree - 1,):
        raise ValueError(
            f"{name} must be a number or one number per degree 2 to {degree} "
            f"({degree - 1} numbers, for degree={degree}); got {values.ndim} "
            f"dimension(s) of shape {values.shape}."
        )
    if not np.all(values >= minimum):
        raise ValueError(f"{name} must be >= {minimum} for every degree; got {value}.")
    return values


def _multilinear_predict(Z, factors, b, b0):
    """``sum_d sum_r prod_j (a_drj . z) + b . z + b0`` (standardised units)."""
    q = None
    for group in factors:
        d = group.shape[0]
        product = Z @ group[0].T
        for j in range(1, d - 1):
            product = product * (Z @ group[j].T)
        term = np.einsum("ir,ir->i", product, Z @ group[d - 1].T)
        q = term if q is None else q + term
    if q is None:
        q = np.zeros(Z.shape[0])
    return q + Z @ b + b0


def _balance_products(group):
    """Rescale the factors of each product to equal norms.

    The product, hence the fit, is unchanged, and the penalty (the sum of the
    squared norms) can only decrease: at fixed product, the sum of squares is
    smallest when the norms are equal (arithmetic against geometric mean).
    """
    if group.shape[0] == 2:
        return np.stack(_balance(group[0], group[1]))
    norms = np.linalg.norm(group, axis=2)  # (d, R)
    ok = np.all(norms > 0, axis=0)
    scale = np.ones_like(norms)
    geometric = np.exp(np.mean(np.log(norms[:, ok]), axis=0))
    scale[:, ok] = geometric / norms[:, ok]
    return group * scale[:, :, None]


def _power_iteration(U, weighted, degree, v):
    """Fixed point of ``v <- T(v, .., v, .) / norm`` from ``v`` (unit vectors)."""
    for _ in range(_POWER_ITERATIONS):
        g = U.T @ (weighted * (U @ v) ** (degree - 1))
        norm = np.linalg.norm(g)
        if not norm > 0:
            break
        v = g / norm
    return v


def _scaled_power(U, p, residual, v, degree):
    """``lam`` with ``lam (U v)^degree`` the least-squares fit of the residual."""
    s = (U @ v) ** degree
    denominator = p @ (s * s)
    lam = float((p * residual) @ s) / denominator if denominator > 0 else 0.0
    return lam, s


def _symmetric_start(U, p, residual, degree, n_components, rng):
    """Products ``lam_r (v_r . u)^degree`` that fit the residual, in weighted LS.

    Each ``v_r`` is a fixed point of the power iteration on the weighted moment
    tensor of order ``degree`` of what the other products leave, ``T = sum_i p_i
    r_i u_i^(x degree)``, never formed: ``v <- T(v, .., v, .) = U^T (p r (U
    v)^(degree - 1))``.  The products are found one by one from the residual
    (from random first vectors), then refined in sweeps, each product in turn
    refitted to the residual of the others (from its own ``v``).
    """
    vs, lams, terms = [], [], []
    for _ in range(n_components):
        v = rng.standard_normal(U.shape[1])
        v = _power_iteration(U, p * residual, degree, v / np.linalg.norm(v))
        lam, s = _scaled_power(U, p, residual, v, degree)
        residual = residual - lam * s
        vs.append(v)
        lams.append(lam)
        terms.append(s)
    for _ in range(_REFINING_SWEEPS if n_components > 1 else 0):
        for r in range(n_components):
            residual = residual + lams[r] * terms[r]
            vs[r] = _power_iteration(U, p * residual, degree, vs[r])
            lams[r], terms[r] = _scaled_power(U, p, residual, vs[r], degree)
            residual = residual - lams[r] * terms[r]
    return vs, lams, residual


def _moment_start(U, p, residual, n_components, rng):
    """Degree-2 factors (whitened) from the residual's second moments.

    For white Gaussian ``u`` and ``r = u^T A u``, Stein's identity gives ``sum_i
    p_i r_i (u_i u_i^T - I) = 2 A`` in expectation (the principal Hessian
    directions of Li, 1992), whatever the linear part: half that matrix is the
    estimate of the interactions, split into factors as in
    :class:`FactorizedBilinearRegressor` (largest eigenpairs, small random
    perturbation).  Their product is then scaled by its least-squares factor (the
    features are not Gaussian).  Unlike a bilinear ridge fit, this moment estimate
    does not spread over the directions of the features that carry little
    variance, which whitening has scaled up.  Returns the factors and the
    residual they leave.
    """
    moments = _weighted_outer(U, p * residual)
    moments[np.diag_indices_from(moments)] -= p @ residual
    alpha_f, beta_f = _initial_factors(0.5 * moments, n_components, rng)
    products = np.einsum("ir,ir->i", U @ alpha_f.T, U @ beta_f.T)
    norm = p @ (products * products)
    scale = float((p * residual) @ products) / norm if norm > 0 else 0.0
    alpha_f *= np.sign(scale) * np.sqrt(abs(scale))
    beta_f *= np.sqrt(abs(scale))
    return alpha_f, beta_f, residual - scale * products


def _initial_point(problem, rng):
    """Optimiser vector to start from, degree by degree from the residual.

    The residual of the linear fit alone, then: degree 2 from its second
    moments (:func:`_moment_start`); each higher degree ``d`` from what is left,
    product by product: a power iteration on the moment tensor of order ``d``
    gives ``lam (v . u)^d`` (:func:`_symmetric_start`), i.e. ``d`` equal factors
    of norm ``|lam|^(1/d)`` (the sign on the first), plus a random perturbation
    that makes the factors of one product differ.
    """
    x = np.zeros(problem.n_rows * problem.m)
    residual = problem.evaluate(x)[3]
    F = x.reshape(problem.n_rows, problem.m)
    (_, R2), *higher = problem.shape
    if R2:
        F[:R2], F[R2 : 2 * R2], residual = _moment_start(
            problem.U, problem.p, residual, R2, rng
        )
    start = 2 * R2
    for d, R in higher:
        vs, lams, residual = _symmetric_start(problem.U, problem.p, residual, d, R, rng)
        for r, (v, lam) in enumerate(zip(vs, lams, strict=True)):
            size = abs(lam) ** (1.0 / d)
            rows = np.tile(size * v, (d, 1))
            rows[0] *= np.sign(lam)
            rows += _HIGHER_NOISE * size * rng.standard_normal(rows.shape)
            F[start + r : start + d * R : R] = rows
        start += d * R
    return x


def _fit_lbfgs(
    Z,
    y,
    sw,
    ranks,
    alphas,
    alpha_linear,
    fit_intercept,
    max_iter,
    tol,
    rng,
    report=None,
):
    """Fit every degree's factors together by L-BFGS (standardised units).

    Returns one ``(d, R_d, K)`` array of factors per degree, ``b``, ``b0``,
    n_iter, converged and L-BFGS-B's stopping message.
    """
    K = Z.shape[1]
    shape = [(d, int(R)) for d, R in enumerate(ranks, start=2)]
    problem = _WhitenedFactorProblem(
        Z, y, sw, shape, list(alphas), alpha_linear, fit_intercept
    )
    if problem.m == 0:  # no feature varies: the model is the intercept alone
        factors = [np.zeros((d, R, K)) for d, R in shape]
        return factors, np.zeros(K), 0.0, 0, True, ""
    x0 = _initial_point(problem, rng)
    if problem.n_rows:
        result = problem.minimize(x0, max_iter, tol, report)
        x, n_iter, converged, message = (
            result.x,
            int(result.nit),
            result.status == 0,
            result.message,
        )
    else:  # no products: the linear part alone, solved exactly
        x, n_iter, converged, message = x0, 0, True, ""
    coef = problem.evaluate(x)[2]
    factors = [_balance_products(group) for group in problem.from_whitened(x)]
    b = problem.linear_coefficients(coef)
    b0 = 0.0
    if fit_intercept:
        p = sw / sw.sum()
        b0 = float(p @ (y - _multilinear_predict(Z, factors, b, 0.0)))
    return factors, b, b0, n_iter, converged, message


class FactorizedMultilinearRegressor(
    VersionedPickleMixin, RegressorMixin, BaseEstimator
):
    """Low-rank multilinear regression, ``sum_d sum_r prod_j (a_drj.c) + b.c + b0``.

    A sum, over the degrees ``d = 2 .. degree``, of ``n_components`` products of
    ``d`` linear forms of the features each, plus a linear part and an
    intercept: with ``degree=3``, the tri-linear regression of Eickenberg et al.
    (2018), ``sum_r (a_r.c)(b_r.c)(e_r.c)`` plus the bilinear terms of
    :class:`FactorizedBilinearRegressor` and a linear part.  Fitted by L-BFGS
    with analytic gradients, every degree's factors together.  Features and
    target are standardised internally; the fitted parameters are reported in
    original units.

    Parameters
    ----------
    degree : int, default=3
        Highest degree ``D`` of the products (at least 2).  ``degree=2`` is the
        model and objective of :class:`FactorizedBilinearRegressor`, from
        another start (see Notes).

    n_components : int or array-like of int, default=1
        Number ``R_d`` of products of each degree: one int for every degree, or
        one per degree ``2 .. degree`` (``degree - 1`` of them; 0 leaves a
        degree out, e.g. ``(0, 4)`` for products of three factors only).

    alpha : float or array-like of float, default=1.0
        Strength of the L2 penalty ``alpha_d * sum_r sum_j ||a_drj||^2`` on the
        factors of degree ``d`` of the standardised problem (see Notes): one
        float for every degree, or one per degree ``2 .. degree``.  Also the
        penalty of the linear coefficients (the degree-2 value) unless
        ``alpha_linear`` is given.  The intercept is not penalised.

    alpha_linear : float, default=None
        Strength of the L2 penalty ``alpha_linear * ||b||^2`` on the linear
        coefficients of the standardised problem.  None means the degree-2
        ``alpha``.  The linear part usually needs much less shrinkage than the
        factors; 0 (an unpenalised linear part) is allowed.

    max_iter : int, default=200
        Maximum number of L-BFGS iterations (at most ``10 * max_iter``
        objective evaluations).

    tol : float, default=1e-6
        Stop when the largest component of the gradient of the objective
        divided by the total sample weight is below ``tol`` (or the objective no
        longer decreases beyond rounding).

    random_state : int, RandomState instance or None, default=None
        Seeds the start: the random perturbation of the initial factors and the
        first vector of each higher-degree power iteration (the only randomness
        of the fit).  Pass an int for reproducible results; None uses NumPy's
        global random state.

    verbose : int, default=0
        Progress printed to standard output: 0 nothing; 1 the objective (of
        the standardised problem divided by the total weight) every 10
        iterations and at the end; 2 or more, at every iteration.

    fit_intercept : bool, default=True
        Whether to fit the unpenalised intercept ``b0``.  If False, the data
        are only scaled (not centred) internally, ``mean_`` is 0 and so is
        ``intercept_``.

    Attributes
    ----------
    components_ : list of ndarray
        ``components_[d - 2]``, of shape ``(n_components_[d - 2], d,
        n_features)``, holds the factors ``a_drj`` of the products of degree
        ``d`` in original units, acting on ``x - mean_``.

    coef_ : ndarray of shape (n_features,)
        Linear coefficients in original units, acting on ``x``.

    intercept_ : float
        Constant term in original units.

    mean_ : ndarray of shape (n_features,)
        Weighted mean of the training features (zeros when
        ``fit_intercept=False``); the model is ``sum_d sum_r prod_j
        (components_[d - 2][r, j] . (x - mean_)) + coef_ . x + intercept_``.

    n_components_ : ndarray of shape (degree - 1,)
        Number of products of each degree ``2 .. degree``.

    n_iter_ : int
        Number of L-BFGS iterations run.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    FactorizedBilinearRegressor : The degree-2 model, also by alternating
        least squares.
    BilinearRegressor : Full bilinear model with ``K(K+1)/2 + K`` parameters.
    sklearn.linear_model.Ridge : Linear ridge regression (the linear baseline).

    Notes
    -----
    With ``z``, ``t`` the weighted standardised features and target (as in
    :class:`BilinearRegressor`) the estimator minimises

    ``sum_i w_i (t_i - sum_{d=2..D} sum_r prod_{j=1..d} (a_drj.z_i) - b.z_i -
    b0)^2 + sum_d alpha_d sum_r sum_j ||a_drj||^2 + alpha_linear ||b||^2``.

    At a minimiser the factors of each product have equal norms, so the
    penalty of one product of degree ``d`` is ``d alpha_d`` times its norm to
    the power ``2/d``.  An integer sample weight is equivalent to repeating a
    sample, and data of any finite scale are fitted exactly as in
    :class:`BilinearRegressor` (divided by powers of two before the
    standardisation), with a ValueError when the coefficients in original
    units, or a prediction, do not fit in float64.

    The fit runs L-BFGS over the factors of every degree at once.  For fixed
    factors the optimal ``(b, b0)`` is a ridge solve, done exactly in every
    evaluation, so L-BFGS moves the factors only; they are expressed in the
    eigenbasis of the weighted second moments of ``z``, scaled to unit variance
    (the objective is unchanged; the conditioning is far better, as scattering
    coefficients are strongly correlated).  The objective is divided by the
    total weight, which makes ``tol`` scale-free.  Setup ``O(n K^2)``, then
    ``O(n K sum_d d R_d)`` time per evaluation and ``O(n (K + sum_d d R_d))``
    memory.

    The start, degree by degree from the residual of the linear part: the
    degree-2 factors from the largest eigenpairs of the residual's weighted
    second moments in the whitened coordinates (by Stein's identity, twice the
    interaction matrix for Gaussian features: the principal Hessian directions),
    scaled by least squares; then each product of higher degree in turn from
    the residual left so far, by a power iteration on the weighted moment tensor
    ``sum_i p_i r_i u_i^(x d)`` (applied, never formed); then a random
    perturbation.  Unlike the bilinear ridge fit that starts
    :class:`FactorizedBilinearRegressor`, these moments do not overfit the
    directions of small variance, and cost ``O(n K^2)`` once.

    The problem is not convex.  The factors are identifiable only up to
    permuting the factors of a product and the products of a degree, and
    scaling factors of one product by numbers whose product is 1 (for more
    than one product, other transformations too); compare predictions rather
    than factors.

    When to use it: with ``K`` features it has ``K (1 + sum_d d R_d) + 1``
    parameters, where the full cubic model would have of the order of
    ``K^3 / 6``; its prediction costs ``O(K sum_d d R_d)`` per sample.  Prefer
    :class:`FactorizedBilinearRegressor` (or ``degree=2``) unless the
    validation error says the third degree helps.  Internally all computations
    are done in float64; ``predict`` returns float32 for float32 input.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatharm.regression import FactorizedMultilinearRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(500, 4))
    >>> X -= X.mean(axis=0)  # centred: the products below are the model's own
    >>> y = X[:, 0] * X[:, 1] * (X[:, 2] - X[:, 3]) + X[:, 0] * X[:, 3] + X[:, 1]
    >>> reg = FactorizedMultilinearRegressor(degree=3, alpha=1e-6, random_state=0)
    >>> print(round(reg.fit(X, y).score(X, y), 6))
    1.0
    >>> [c.shape for c in reg.components_]
    [(1, 2, 4), (1, 3, 4)]
    """

    _parameter_constraints: dict = {
        "degree": [Interval(Integral, 2, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "alpha": [Interval(Real, 0, None, closed="left"), "array-like"],
        "alpha_linear": [Interval(Real, 0, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "fit_intercept": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        degree=3,
        n_components=1,
        alpha=1.0,
        alpha_linear=None,
        max_iter=200,
        tol=1e-6,
        random_state=None,
        fit_intercept=True,
        verbose=0,
    ):
        self.degree = degree
        self.n_components = n_components
        self.alpha = alpha
        self.alpha_linear = alpha_linear
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.fit_intercept = fit_intercept
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the factorised multilinear model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,)
            Target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Individual non-negative weights for each sample.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        ranks = _per_degree(self.n_components, self.degree, "n_components", 0)
        if not np.all(ranks == np.round(ranks)):
            raise ValueError(f"n_components must be integers; got {self.n_components}.")
        ranks = ranks.astype(int)
        alphas = _per_degree(self.alpha, self.degree, "alpha", 0).astype(float)
        X, y, sw = _check_fit_inputs(self, X, y, sample_weight)
        rng = check_random_state(self.random_state)
        scaling = _Standardization(X, y, sw, self.fit_intercept)
        Z, t = scaling.Z, scaling.t
        del X
        alpha_linear = (
            alphas[0] if self.alpha_linear is None else float(self.alpha_linear)
        )
        reporter = Reporter(type(self).__name__, self.verbose)
        factors, b, b0, self.n_iter_, converged, reason = _fit_lbfgs(
            Z,
            t,
            sw,
            ranks,
            alphas,
            alpha_linear,
            self.fit_intercept,
            self.max_iter,
            self.tol,
            rng,
            report=lambda n, objective, last: reporter.iteration(
                n, f"objective {objective:.6e}", last
            ),
        )
        reporter.line(
            f"lbfgs stopped after {self.n_iter_} iterations "
            f"({'converged' if converged else 'not converged'})"
        )
        if not converged:
            detail = f" ({reason})" if reason else ""
            warnings.warn(
                f"L-BFGS did not reach tol={self.tol} in {self.n_iter_} "
                f"iterations{detail}; increase max_iter.",
                ConvergenceWarning,
                stacklevel=2,
            )
        scaling.release()
        del Z, t
        self._standardized = (scaling, factors, b, b0)
        self.n_components_ = ranks
        self.components_ = [
            np.transpose(group, (1, 0, 2)) * scaling.root_ratio(degree)
            for degree, group in enumerate(factors, start=2)
        ]
        self.mean_ = scaling.mean()
        self.coef_, self.intercept_ = scaling.linear_to_original_units(b, b0)
        return self

    def predict(self, X):
        """Predict with the fitted factorised model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted values (float32 for float32 input, float64 otherwise).
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        scaling, factors, b, b0 = self._standardized
        Z = scaling.features(X)
        with np.errstate(over="ignore", invalid="ignore"):
            f = _multilinear_predict(Z, factors, b, b0)
        return scaling.target(f, Z, X.dtype)
