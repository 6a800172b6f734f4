"""Low-rank (factorised) bilinear regression fitted by alternating ridge solves."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._bilinear import (
    _check_fit_inputs,
    _choose_solver,
    _solve_cg,
    _solve_dual,
    _solve_primal,
)
from ._preprocessing import (
    _CHUNK,
    _solve_psd,
    _to_original_units,
    _weighted_standardize,
)

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


def _initial_interactions(Z, y, sw, alpha, fit_intercept):
    """Interaction matrix of a :class:`BilinearRegressor` fit (standardised).

    Exact ("dual" or "primal") when cheap, otherwise a truncated conjugate
    gradient solve (a few ``O(n K^2)`` iterations).
    """
    solver = _choose_solver(*Z.shape)
    args = (Z, y, sw, alpha, alpha, fit_intercept)
    if solver == "dual":
        return _solve_dual(*args)[0]
    if solver == "primal":
        return _solve_primal(*args)[0]
    return _solve_cg(*args, _INIT_CG_ITER, _INIT_CG_TOL)[0]


def _ridge_step(Z, y, sw, alpha, fit_intercept, fixed):
    """Exact ridge solve for ``(free factors, b, b0)`` with the others fixed.

    The model ``sum_r (free_r.z)(fixed_r.z) + b.z + b0`` is linear in the free
    factors and ``b``; its design ``[(fixed_r.z) z for each r, z]`` is built
    and reduced to normal equations blockwise over rows.
    """
    n, K = Z.shape
    R = fixed.shape[0]
    P = (R + 1) * K
    H = np.zeros((P, P))
    g = np.zeros(P)
    s = np.zeros(P)
    rows = int(np.clip(2**24 // P, 64, _CHUNK))
    for start in range(0, n, rows):
        Zc = Z[start : start + rows]
        T = Zc @ fixed.T
        F = np.hstack([(T[:, :, None] * Zc[:, None, :]).reshape(len(Zc), -1), Zc])
        wc = sw[start : start + rows]
        Fw = F * wc[:, None]
        H += Fw.T @ F
        g += Fw.T @ y[start : start + rows]
        s += wc @ F
    W = sw.sum()
    y_mean = 0.0
    if fit_intercept:
        m = s / W
        y_mean = float(sw @ y) / W
        H -= W * np.outer(m, m)
        g -= m * (W * y_mean)
    H[np.diag_indices_from(H)] += alpha
    theta = _solve_psd(H, g)
    b0 = y_mean - float(m @ theta) if fit_intercept else 0.0
    return theta[: R * K].reshape(R, K), theta[R * K :], b0


def _factorized_predict(Z, alpha_f, beta_f, b, b0):
    return np.einsum("ir,ir->i", Z @ alpha_f.T, Z @ beta_f.T) + Z @ b + b0


def _objective(Z, y, sw, alpha, alpha_f, beta_f, b, b0):
    r = y - _factorized_predict(Z, alpha_f, beta_f, b, b0)
    penalty = np.sum(alpha_f**2) + np.sum(beta_f**2) + b @ b
    return float(sw @ (r * r)) + alpha * penalty


def _balance(alpha_f, beta_f):
    """Rescale each pair to equal norms: same fit, never a larger penalty."""
    na = np.linalg.norm(alpha_f, axis=1)
    nb = np.linalg.norm(beta_f, axis=1)
    ok = (na > 0) & (nb > 0)
    s = np.ones_like(na)
    s[ok] = np.sqrt(nb[ok] / na[ok])
    return alpha_f * s[:, None], beta_f / s[:, None]


def _fit_als(Z, y, sw, alpha, n_components, fit_intercept, max_iter, tol, rng):
    """Alternating exact ridge solves; returns factors, b, b0, n_iter, converged."""
    A0 = _initial_interactions(Z, y, sw, alpha, fit_intercept)
    alpha_f, beta_f = _initial_factors(A0, n_components, rng)
    b, b0 = np.zeros(Z.shape[1]), 0.0
    obj = np.inf
    converged = False
    n_iter = 0
    for _ in range(max_iter):
        n_iter += 1
        alpha_f, b, b0 = _ridge_step(Z, y, sw, alpha, fit_intercept, beta_f)
        beta_f, b, b0 = _ridge_step(Z, y, sw, alpha, fit_intercept, alpha_f)
        alpha_f, beta_f = _balance(alpha_f, beta_f)
        new_obj = _objective(Z, y, sw, alpha, alpha_f, beta_f, b, b0)
        if abs(obj - new_obj) <= tol * max(new_obj, np.finfo(np.float64).tiny):
            obj = new_obj
            converged = True
            break
        obj = new_obj
    return alpha_f, beta_f, b, b0, n_iter, converged


class FactorizedBilinearRegressor(RegressorMixin, BaseEstimator):
    """Low-rank bilinear regression, ``sum_r (alpha_r.c)(beta_r.c) + b.c + b0``.

    A rank-``n_components`` factorisation of the interaction matrix of
    :class:`BilinearRegressor`, fitted by alternating exact ridge solves
    (alternating least squares).  Features and target are standardised
    internally; the fitted parameters are reported in original units.

    Parameters
    ----------
    n_components : int, default=1
        Number ``R`` of bilinear terms.  ``R=1`` is the ``2K``-parameter model
        ``(alpha.c)(beta.c) + b.c + b0``.

    alpha : float, default=1.0
        Strength of the L2 penalty
        ``alpha * (sum_r ||alpha_r||^2 + ||beta_r||^2 + ||b||^2)`` on the
        parameters of the standardised problem (see Notes).  The intercept is
        not penalised.

    max_iter : int, default=200
        Maximum number of alternating iterations (each is two ridge solves).

    tol : float, default=1e-6
        Stop when the relative decrease of the objective in one iteration is
        below ``tol``.

    random_state : int, RandomState instance or None, default=None
        Seeds the small random perturbation of the initial factors.  Pass an
        int for reproducible results.

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
        Number of alternating iterations run.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    BilinearRegressor : Full bilinear model with ``K(K+1)/2 + K`` parameters.
    sklearn.linear_model.Ridge : Linear ridge regression (the linear baseline).

    Notes
    -----
    With ``z``, ``t`` the weighted standardised features and target (as in
    :class:`BilinearRegressor`) the estimator minimises

    ``sum_i w_i (t_i - sum_r (alpha_r.z_i)(beta_r.z_i) - b.z_i - b0)^2
    + alpha * (sum_r ||alpha_r||^2 + ||beta_r||^2 + ||b||^2)``.

    For fixed ``beta`` the model is linear in ``(alpha, b, b0)``, so each half
    iteration is an exact weighted ridge solve with ``(R + 1) K`` unknowns;
    then the roles are swapped, and each pair is rescaled to equal norms
    (same fit, smaller penalty), so the objective never increases.  At the
    balanced optimum the penalty on the factors equals ``2 alpha`` times the
    nuclear norm of ``sum_r alpha_r beta_r^T`` (for ``R=1``).  The problem is
    not convex; the initial factors come from the eigen-decomposition of the
    interaction matrix of a (truncated, ``O(n K^2)`` per iteration)
    conjugate-gradient :class:`BilinearRegressor` fit, which places ALS close
    to the optimum.  The parameters are identifiable only up to swapping
    ``alpha_r`` and ``beta_r``, scaling them by ``s`` and ``1/s``, and, for
    ``R > 1``, transformations that keep ``sym(sum_r alpha_r beta_r^T)``; compare
    ``coef_matrix_`` rather than the factors.

    When to use it: it has ``2 R K + K + 1`` parameters instead of
    ``K(K+1)/2 + K + 1``, so it needs far fewer samples than
    :class:`BilinearRegressor` when the interactions are (close to) low rank,
    and its prediction costs ``O(n R K)`` instead of ``O(n K^2)``.  Each
    iteration costs ``O(n ((R + 1) K)^2 + ((R + 1) K)^3)`` time and
    ``O(n K + ((R + 1) K)^2)`` memory.  If the target is (nearly) linear use
    :class:`~sklearn.linear_model.Ridge`; if the interaction matrix is full
    rank and ``n >> K^2`` use :class:`BilinearRegressor`.  Internally all
    computations are done in float64; ``predict`` returns float32 for float32
    input.

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
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "fit_intercept": ["boolean"],
    }

    def __init__(
        self,
        n_components=1,
        alpha=1.0,
        max_iter=200,
        tol=1e-6,
        random_state=None,
        fit_intercept=True,
    ):
        self.n_components = n_components
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.fit_intercept = fit_intercept

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the factorised bilinear model by alternating least squares.

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
        Z, t, x_mean, x_scale, y_mean, y_scale = _weighted_standardize(
            X, y, sw, self.fit_intercept
        )
        del X
        alpha_f, beta_f, b, b0, self.n_iter_, converged = _fit_als(
            Z,
            t,
            sw,
            float(self.alpha),
            self.n_components,
            self.fit_intercept,
            self.max_iter,
            self.tol,
            rng,
        )
        if not converged:
            warnings.warn(
                f"Alternating least squares did not reach tol={self.tol} in "
                f"{self.max_iter} iterations; increase max_iter.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self._standardized = (x_mean, x_scale, y_mean, y_scale, alpha_f, beta_f, b, b0)
        root = np.sqrt(y_scale) / x_scale
        self.components_alpha_ = alpha_f * root
        self.components_beta_ = beta_f * root
        A = alpha_f.T @ beta_f
        self.coef_matrix_, self.coef_, self.intercept_ = _to_original_units(
            0.5 * (A + A.T), b, b0, x_mean, x_scale, y_mean, y_scale
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
        x_mean, x_scale, y_mean, y_scale, alpha_f, beta_f, b, b0 = self._standardized
        Z = (np.asarray(X, dtype=np.float64) - x_mean) / x_scale
        pred = y_mean + y_scale * _factorized_predict(Z, alpha_f, beta_f, b, b0)
        return pred.astype(X.dtype, copy=False)
