"""Low-rank (factorised) bilinear regression: L-BFGS or alternating ridge solves."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._persistence import VersionedPickleMixin
from .._verbose import Reporter
from ._bilinear_solvers import (
    _choose_solver,
    _dual_allowed,
    _solve_cg,
    _solve_dual,
    _solve_primal,
)
from ._factor_lbfgs import _WhitenedFactorProblem
from ._normal_equations import _solve_normal_equations
from ._preprocessing import _check_fit_inputs, _Standardization

# Conjugate gradient budget of the bilinear fit used for the initialisation
# when an exact solve is too expensive.
_INIT_CG_ITER = 10
_INIT_CG_TOL = 1e-3
# Relative size of the random perturbation of the initial factors.
_INIT_NOISE = 1e-2


def _initial_factors(A, n_components, rng):
    """Factors ``alpha, beta`` (R x K) with ``sym(sum_r alpha_r beta_r^T) ~ A``.

    ``A`` is split into eigenpairs; the largest positive and the largest
    negative eigenpair form one component
    ``(sqrt(l+) v+ + sqrt(-l-) v-, sqrt(l+) v+ - sqrt(-l-) v-)``, whose
    symmetric part is exactly ``l+ v+ v+^T + l- v- v-^T``; an unpaired eigenpair
    gives ``(sqrt|l| v, sign(l) sqrt|l| v)``.  A small random perturbation (from
    ``rng``) breaks degenerate starts.
    """
    K = A.shape[0]
    lam, V = np.linalg.eigh(A)
    order = np.argsort(-np.abs(lam))
    pos = [i for i in order if lam[i] > 0]
    neg = [i for i in order if lam[i] < 0]
    alpha = np.zeros((n_components, K))
    beta = np.zeros((n_components, K))
    scale = np.sqrt(np.abs(lam).max()) if K else 0.0
    if not scale > 0:
        scale = 1.0
    for r in range(n_components):
        if pos and neg:
            i, j = pos.pop(0), neg.pop(0)
            u, v = np.sqrt(lam[i]) * V[:, i], np.sqrt(-lam[j]) * V[:, j]
            alpha[r], beta[r] = u + v, u - v
        elif pos or neg:
            i = (pos or neg).pop(0)
            u = np.sqrt(abs(lam[i])) * V[:, i]
            alpha[r], beta[r] = u, np.sign(lam[i]) * u
    alpha += _INIT_NOISE * scale * rng.standard_normal(alpha.shape)
    beta += _INIT_NOISE * scale * rng.standard_normal(beta.shape)
    return alpha, beta


def _initial_interactions(Z, y, sw, alpha, alpha_linear, fit_intercept):
    """Interaction matrix of a :class:`BilinearRegressor` fit (standardised).

    Exact ("dual" or "primal") when cheap, otherwise a truncated conjugate
    gradient solve (a few ``O(n K^2)`` iterations).
    """
    solver = _choose_solver(
        *Z.shape, _dual_allowed(alpha, alpha_linear), cg_iterations=_INIT_CG_ITER
    )
    args = (Z, y, sw, alpha, alpha_linear, fit_intercept)
    if solver == "dual":
        return _solve_dual(*args)[0]
    if solver == "primal":
        return _solve_primal(*args)[0]
    return _solve_cg(*args, _INIT_CG_ITER, _INIT_CG_TOL)[0]


def _ridge_step(Z, y, sw, alpha, alpha_linear, fit_intercept, fixed):
    """Exact ridge solve for ``(free factors, b, b0)`` with the others fixed.

    The model ``sum_r (free_r.z)(fixed_r.z) + b.z + b0`` is linear in the free
    factors and ``b``; its design ``[(fixed_r.z) z for each r, z]`` is built
    and reduced to normal equations blockwise over rows.
    """
    R, K = fixed.shape

    def design(rows):
        T = rows @ fixed.T
        products = (T[:, :, None] * rows[:, None, :]).reshape(len(rows), -1)
        return np.hstack([products, rows])

    theta, b0 = _solve_normal_equations(
        Z, y, sw, design, [(R * K, alpha), (K, alpha_linear)], fit_intercept
    )
    return theta[: R * K].reshape(R, K), theta[R * K :], b0


def _factorized_predict(Z, alpha_f, beta_f, b, b0):
    return np.einsum("ir,ir->i", Z @ alpha_f.T, Z @ beta_f.T) + Z @ b + b0


def _objective(Z, y, sw, alpha, alpha_linear, alpha_f, beta_f, b, b0):
    """The documented objective (sum of weighted squares plus penalties)."""
    r = y - _factorized_predict(Z, alpha_f, beta_f, b, b0)
    penalty = alpha * (np.sum(alpha_f**2) + np.sum(beta_f**2)) + alpha_linear * (b @ b)
    return float(sw @ (r * r)) + penalty


def _balance(alpha_f, beta_f):
    """Rescale each pair to equal norms: same fit, never a larger penalty."""
    na = np.linalg.norm(alpha_f, axis=1)
    nb = np.linalg.norm(beta_f, axis=1)
    ok = (na > 0) & (nb > 0)
    s = np.ones_like(na)
    s[ok] = np.sqrt(nb[ok] / na[ok])
    return alpha_f * s[:, None], beta_f / s[:, None]


def _initial_point(Z, y, sw, alpha, alpha_linear, n_components, fit_intercept, rng):
    """Initial factors from the eigenpairs of a bilinear fit (both solvers)."""
    A0 = _initial_interactions(Z, y, sw, alpha, alpha_linear, fit_intercept)
    return _initial_factors(A0, n_components, rng)


def _fit_als(
    Z,
    y,
    sw,
    alpha,
    alpha_linear,
    n_components,
    fit_intercept,
    max_iter,
    tol,
    rng,
    report=None,
):
    """Alternating exact ridge solves.

    ``report(n_iter, objective, last)``, when given, is called after every
    iteration.

    Returns factors, ``b``, ``b0`` (standardised units), n_iter, converged and
    an empty reason.
    """
    alpha_f, beta_f = _initial_point(
        Z, y, sw, alpha, alpha_linear, n_components, fit_intercept, rng
    )
    b, b0 = np.zeros(Z.shape[1]), 0.0
    obj = np.inf
    converged = False
    n_iter = 0
    penalties = (alpha, alpha_linear, fit_intercept)
    for _ in range(max_iter):
        n_iter += 1
        alpha_f, b, b0 = _ridge_step(Z, y, sw, *penalties, beta_f)
        beta_f, b, b0 = _ridge_step(Z, y, sw, *penalties, alpha_f)
        alpha_f, beta_f = _balance(alpha_f, beta_f)
        new_obj = _objective(Z, y, sw, alpha, alpha_linear, alpha_f, beta_f, b, b0)
        done = abs(obj - new_obj) <= tol * max(new_obj, np.finfo(np.float64).tiny)
        if report is not None:
            report(n_iter, new_obj, done or n_iter == max_iter)
        obj = new_obj
        if done:
            converged = True
            break
    return alpha_f, beta_f, b, b0, n_iter, converged, ""


def _fit_lbfgs(
    Z,
    y,
    sw,
    alpha,
    alpha_linear,
    n_components,
    fit_intercept,
    max_iter,
    tol,
    rng,
    report=None,
):
    """L-BFGS on the factors, with the linear part and intercept eliminated.

    ``report(n_iter, objective, last)``, when given, is called after every
    L-BFGS iteration.  The reduced objective, its whitened coordinates and
    gradient are those of :class:`._factor_lbfgs._WhitenedFactorProblem` with
    one group of degree 2; each evaluation costs ``O(n R K)``.

    Returns factors, ``b``, ``b0`` (standardised units), n_iter, converged and
    L-BFGS-B's stopping message.
    """
    K = Z.shape[1]
    R = n_components
    alpha_f, beta_f = _initial_point(
        Z, y, sw, alpha, alpha_linear, n_components, fit_intercept, rng
    )
    problem = _WhitenedFactorProblem(
        Z, y, sw, [(2, R)], [alpha], alpha_linear, fit_intercept
    )
    if problem.m == 0:  # no feature varies: the model is the intercept alone
        zeros = np.zeros((R, K))
        return zeros, zeros.copy(), np.zeros(K), 0.0, 0, True, ""
    x0 = problem.to_whitened([np.stack([alpha_f, beta_f])])
    result = problem.minimize(x0, max_iter, tol, report)
    coef = problem.evaluate(result.x)[2]
    ((alpha_f, beta_f),) = problem.from_whitened(result.x)
    alpha_f, beta_f = _balance(alpha_f, beta_f)
    b = problem.linear_coefficients(coef)
    b0 = 0.0
    if fit_intercept:
        p = sw / sw.sum()
        b0 = float(p @ (y - _factorized_predict(Z, alpha_f, beta_f, b, 0.0)))
    return alpha_f, beta_f, b, b0, int(result.nit), result.status == 0, result.message


class FactorizedBilinearRegressor(VersionedPickleMixin, RegressorMixin, BaseEstimator):
    """Low-rank bilinear regression, ``sum_r (alpha_r.c)(beta_r.c) + b.c + b0``.

    A rank-``n_components`` factorisation of the interaction matrix of
    :class:`BilinearRegressor`, fitted by L-BFGS (default) or by alternating
    exact ridge solves (alternating least squares).  Features and target are
    standardised internally; the fitted parameters are reported in original
    units.

    Parameters
    ----------
    n_components : int, default=1
        Number ``R`` of bilinear terms.  ``R=1`` is the ``2K``-parameter model
        ``(alpha.c)(beta.c) + b.c + b0``.

    alpha : float, default=1.0
        Strength of the L2 penalty ``alpha * sum_r (||alpha_r||^2 +
        ||beta_r||^2)`` on the factors of the standardised problem (see Notes),
        and of the penalty on the linear coefficients too unless
        ``alpha_linear`` is given.  The intercept is not penalised.

    alpha_linear : float, default=None
        Strength of the L2 penalty ``alpha_linear * ||b||^2`` on the linear
        coefficients of the standardised problem.  None means the same as
        ``alpha``.  The linear part usually needs much less shrinkage than the
        factors; 0 (an unpenalised linear part) is allowed.

    solver : {"lbfgs", "als"}, default="lbfgs"
        How the (non-convex) objective is minimised; both start from the same
        point and minimise the same objective.

        - "lbfgs": L-BFGS over the factors, with the linear part and the
          intercept eliminated exactly (a diagonal ridge solve) in each
          evaluation; ``O(n R K)`` per evaluation.
        - "als": alternating least squares; each half iteration is an exact
          ridge solve with ``(R + 1) K`` unknowns, ``O(n ((R + 1) K)^2)``.
          Much slower for large ``R K``, and it can need many iterations.

    max_iter : int, default=200
        Maximum number of iterations: L-BFGS iterations (``solver="lbfgs"``,
        at most ``10 * max_iter`` objective evaluations) or alternating
        iterations of two ridge solves each (``solver="als"``).

    tol : float, default=1e-6
        Stopping tolerance.  "lbfgs": stop when the largest component of the
        gradient of the objective divided by the total sample weight is below
        ``tol`` (or the objective no longer decreases beyond rounding).  "als":
        stop when the relative decrease of the objective in one iteration is
        below ``tol``.

    random_state : int, RandomState instance or None, default=None
        Seeds the small random perturbation of the initial factors (the only
        randomness of the fit).  Pass an int for reproducible results; None
        uses NumPy's global random state.

    verbose : int, default=0
        Progress printed to standard output: 0 nothing; 1 the objective (of
        the standardised problem, divided by the total weight for "lbfgs")
        every 10 iterations and at the end; 2 or more, at every iteration.

    fit_intercept : bool, default=True
        Whether to fit the unpenalised intercept ``b0``.  If False, the data
        are only scaled (not centred) internally and ``intercept_`` is 0.

    Attributes
    ----------
    components_alpha_ : ndarray of shape (n_components, n_features)
        Factors ``alpha_r`` in original units.

    components_beta_ : ndarray of shape (n_components, n_features)
        Factors ``beta_r`` in original units.

    coef_matrix_ : ndarray of shape (n_features, n_features)
        Symmetric part of ``sum_r alpha_r beta_r^T``; the model is
        ``c^T coef_matrix_ c + coef_.c + intercept_``.

    coef_ : ndarray of shape (n_features,)
        Linear coefficients ``b`` in original units.

    intercept_ : float
        Constant term ``b0`` in original units.

    n_iter_ : int
        Number of iterations run (L-BFGS or alternating iterations).

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    BilinearRegressor : Full bilinear model with ``K(K+1)/2 + K`` parameters.
    FactorizedMultilinearRegressor : Products of three or more linear forms as
        well (``degree=2`` is this model's objective, from another start).
    sklearn.linear_model.Ridge : Linear ridge regression (the linear baseline).

    Notes
    -----
    With ``z``, ``t`` the weighted standardised features and target (as in
    :class:`BilinearRegressor`) the estimator minimises

    ``sum_i w_i (t_i - sum_r (alpha_r.z_i)(beta_r.z_i) - b.z_i - b0)^2
    + alpha * sum_r (||alpha_r||^2 + ||beta_r||^2) + alpha_linear * ||b||^2``

    (``alpha_linear = alpha`` when it is None).  At a balanced optimum
    (``||alpha_r|| = ||beta_r||``, which any minimiser satisfies) the penalty on
    the factors equals ``2 alpha`` times the nuclear norm of
    ``sum_r alpha_r beta_r^T`` (for ``R=1``).  As for
    :class:`BilinearRegressor`, an integer sample weight is equivalent to
    repeating a sample.  Data of any finite scale are fitted exactly as in
    :class:`BilinearRegressor` (divided by powers of two before the
    standardisation), with the same ValueError when the coefficients in original
    units, or a prediction, do not fit in float64.

    Both solvers start from the eigen-decomposition of the interaction matrix
    of a :class:`BilinearRegressor` fit with the same ``alpha`` and
    ``alpha_linear`` (exact, or a truncated conjugate-gradient fit of a few
    ``O(n K^2)`` iterations when ``n`` and ``K`` are both large), plus a small
    random perturbation.

    "lbfgs": for fixed factors the optimal ``(b, b0)`` is a ridge solve, which
    is done exactly in every evaluation, so L-BFGS runs over the factors only;
    they are expressed in the eigenbasis of the weighted second moments of
    ``z``, scaled to unit variance (the objective is unchanged; the
    conditioning is far better, as scattering coefficients are strongly
    correlated).  The objective is divided by the total weight, which does not
    move the minimiser and makes ``tol`` scale-free.  Setup ``O(n K^2)``, then
    ``O(n R K)`` time per evaluation and ``O(n K)`` memory.

    "als": for fixed ``beta`` the model is linear in ``(alpha, b, b0)``, so each
    half iteration is an exact weighted ridge solve with ``(R + 1) K``
    unknowns; then the roles are swapped, and each pair is rescaled to equal
    norms (same fit, smaller penalty), so the objective never increases.  Each
    iteration costs ``O(n ((R + 1) K)^2 + ((R + 1) K)^3)`` time and
    ``O(n K + ((R + 1) K)^2)`` memory.

    The problem is not convex.  The parameters are identifiable only up to
    swapping ``alpha_r`` and ``beta_r``, scaling them by ``s`` and ``1/s``, and,
    for ``R > 1``, transformations that keep ``sym(sum_r alpha_r beta_r^T)``;
    compare ``coef_matrix_`` rather than the factors.

    When to use it: it has ``2 R K + K + 1`` parameters instead of
    ``K(K+1)/2 + K + 1``, so it needs far fewer samples than
    :class:`BilinearRegressor` when the interactions are (close to) low rank,
    and its prediction costs ``O(n R K)`` instead of ``O(n K^2)``.  If the
    target is (nearly) linear use :class:`~sklearn.linear_model.Ridge`; if the
    interaction matrix is full rank and ``n >> K^2`` use
    :class:`BilinearRegressor`.  Internally all computations are done in
    float64; ``predict`` returns float32 for float32 input.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatharm.regression import FactorizedBilinearRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 4))
    >>> y = (X[:, 0] + X[:, 1]) * (X[:, 2] - X[:, 3]) + X[:, 0]
    >>> reg = FactorizedBilinearRegressor(alpha=1e-6, random_state=0).fit(X, y)
    >>> print(round(reg.score(X, y), 6))
    1.0
    >>> reg.components_alpha_.shape
    (1, 4)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "alpha_linear": [Interval(Real, 0, None, closed="left"), None],
        "solver": [StrOptions({"lbfgs", "als"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "fit_intercept": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components=1,
        alpha=1.0,
        alpha_linear=None,
        solver="lbfgs",
        max_iter=200,
        tol=1e-6,
        random_state=None,
        fit_intercept=True,
        verbose=0,
    ):
        self.n_components = n_components
        self.alpha = alpha
        self.alpha_linear = alpha_linear
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.fit_intercept = fit_intercept
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the factorised bilinear model.

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
        X, y, sw = _check_fit_inputs(self, X, y, sample_weight)
        rng = check_random_state(self.random_state)
        scaling = _Standardization(X, y, sw, self.fit_intercept)
        Z, t = scaling.Z, scaling.t
        del X
        alpha = float(self.alpha)
        alpha_linear = alpha if self.alpha_linear is None else float(self.alpha_linear)
        fit = _fit_lbfgs if self.solver == "lbfgs" else _fit_als
        reporter = Reporter(type(self).__name__, self.verbose)
        alpha_f, beta_f, b, b0, self.n_iter_, converged, reason = fit(
            Z,
            t,
            sw,
            alpha,
            alpha_linear,
            self.n_components,
            self.fit_intercept,
            self.max_iter,
            self.tol,
            rng,
            report=lambda n, objective, last: reporter.iteration(
                n, f"objective {objective:.6e}", last
            ),
        )
        reporter.line(
            f"{self.solver} stopped after {self.n_iter_} iterations "
            f"({'converged' if converged else 'not converged'})"
        )
        if not converged:
            method = "L-BFGS" if self.solver == "lbfgs" else "Alternating least squares"
            detail = f" ({reason})" if reason else ""
            warnings.warn(
                f"{method} did not reach tol={self.tol} in {self.n_iter_} "
                f"iterations{detail}; increase max_iter.",
                ConvergenceWarning,
                stacklevel=2,
            )
        scaling.release()
        del Z, t
        self._standardized = (scaling, alpha_f, beta_f, b, b0)
        root = scaling.root_ratio()
        self.components_alpha_ = alpha_f * root
        self.components_beta_ = beta_f * root
        A = alpha_f.T @ beta_f
        self.coef_matrix_, self.coef_, self.intercept_ = scaling.to_original_units(
            0.5 * (A + A.T), b, b0
        )
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
        scaling, alpha_f, beta_f, b, b0 = self._standardized
        Z = scaling.features(X)
        with np.errstate(over="ignore", invalid="ignore"):
            f = _factorized_predict(Z, alpha_f, beta_f, b, b0)
        return scaling.target(f, Z, X.dtype)
