"""Full bilinear (quadratic) ridge regression with three exact solvers."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._persistence import VersionedPickleMixin
from .._verbose import Reporter
from ._bilinear_solvers import (
    _choose_solver,
    _dual_allowed,
    _quadratic_forms,
    _solve_cg,
    _solve_dual,
    _solve_primal,
)
from ._preprocessing import _check_fit_inputs, _Standardization

_CG_DEFAULT_MAX_ITER = 1000


class BilinearRegressor(VersionedPickleMixin, RegressorMixin, BaseEstimator):
    """Ridge regression on all pairwise products of the features.

    Fits ``E(c) = sum_{k <= l} A_kl c_k c_l + sum_k b_k c_k + b0`` by exact
    L2-regularised (weighted) least squares.  Features and target are
    standardised internally; the fitted coefficients are reported in the
    original units of ``X`` and ``y``.

    Parameters
    ----------
    alpha : float, default=1.0
        Strength of the L2 penalty ``alpha * ||A_std||_F^2`` on the quadratic
        coefficients of the standardised problem (see Notes), and on the linear
        ones too unless ``alpha_linear`` is given.  The intercept is not
        penalised.

    alpha_linear : float, default=None
        Strength of the L2 penalty ``alpha_linear * ||b_std||^2`` on the linear
        coefficients of the standardised problem.  None means the same as
        ``alpha``.  A linear part often needs far less shrinkage than the
        ``K(K+1)/2`` quadratic coefficients, so the two are worth choosing
        separately; 0 (an unpenalised linear part) is allowed with every
        solver, but the linear part is then unique only if the features are
        linearly independent on the training set (otherwise "dual" returns the
        minimum-norm ``b`` and the other solvers one of the minimisers).
        ``alpha=0`` with a different ``alpha_linear`` is not possible with
        ``solver="dual"`` (a ValueError; "auto" then picks "primal" or "cg").

    solver : {"auto", "dual", "primal", "cg"}, default="auto"
        How the regularised least-squares problem is solved.

        - "dual": kernel ridge with the polynomial kernel
          ``(z.z')^2 + z.z'``; one ``n x n`` Cholesky solve, in place (the
          kernel is the only ``n x n`` array: 2 GiB at ``n = 16,000``).
        - "primal": normal equations of the explicit feature map, built
          blockwise; one ``P x P`` Cholesky solve, ``P = K(K+1)/2 + K``.
        - "cg": preconditioned conjugate gradients on the normal equations,
          with the quadratic form applied implicitly (memory ``O(n K + K^2)``).
        - "auto": the cheapest by operation count of "dual" and "primal"
          (each only if its dense matrices fit in 2 GiB, the dual only up to
          12,000 samples) and "cg" (counted as 500 iterations); in practice
          "dual" for small ``n``, "primal" for small ``K`` and "cg" when ``n``
          and ``K`` are both large.

        All three minimise the same objective and agree to solver precision.

    fit_intercept : bool, default=True
        Whether to fit the unpenalised intercept ``b0``.  If False, the data
        are only scaled (not centred) internally and ``intercept_`` is 0.

    max_iter : int, default=None
        Maximum number of conjugate gradient iterations (``solver="cg"``
        only). None means 1000.

    tol : float, default=1e-6
        Relative residual norm at which conjugate gradients stop
        (``solver="cg"`` only).

    verbose : int, default=0
        Progress printed to standard output: 0 nothing; 1 the solver and its
        time, and with ``solver="cg"`` the relative residual every 10
        iterations and at the last; 2 or more, at every iteration.

    Attributes
    ----------
    coef_matrix_ : ndarray of shape (n_features, n_features)
        Symmetric matrix ``A`` of the quadratic part, ``E = c^T A c + b.c + b0``,
        in original units (so ``A_kl`` for ``k != l`` is half the coefficient
        of the monomial ``c_k c_l``).

    coef_ : ndarray of shape (n_features,)
        Linear coefficients ``b`` in original units.

    intercept_ : float
        Constant term ``b0`` in original units.

    solver_ : str
        The solver that was used.

    n_iter_ : int
        Number of conjugate gradient iterations; 1 for the direct solvers
        (a single factorisation).

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    FactorizedBilinearRegressor : Low-rank bilinear model with ``2RK`` parameters.
    sklearn.linear_model.Ridge : Linear ridge regression (the linear baseline).
    sklearn.kernel_ridge.KernelRidge : Kernel ridge regression.

    Notes
    -----
    Let ``z = (x - mean) / std`` and ``t = (y - mean_y) / std_y`` be the
    weighted standardised data (a zero-variance column becomes a zero column).
    The estimator minimises

    ``sum_i w_i (t_i - z_i^T A z_i - b.z_i - b0)^2
    + alpha * ||A||_F^2 + alpha_linear * ||b||^2``

    over symmetric ``A``, ``b`` and ``b0`` (``alpha_linear = alpha`` when it is
    None).  In terms of the distinct
    monomials, the penalty is ``A_kk^2`` on each square and ``2 A_kl^2`` on
    each cross term, i.e. it is the plain Euclidean norm of the coefficients of
    the feature map ``[z_k^2, sqrt(2) z_k z_l (k < l), z_k]`` whose Gram matrix
    is the polynomial kernel ``(z.z')^2 + z.z'``; with ``alpha_linear != alpha``
    the "dual" solver uses the kernel ``(z.z')^2`` of the quadratic part with
    the linear part as an explicit, separately penalised term (one ``n x n``
    Cholesky factorisation and a ``K x K`` solve).  This penalty is invariant
    under orthogonal rotations of the standardised features.  Because the
    sum of weighted squared residuals is used (as in
    :class:`~sklearn.linear_model.Ridge`), an integer sample weight is
    equivalent to repeating a sample.  The results are invariant to rescaling
    any feature or the target.

    Scale: the features and the target are first divided by powers of two
    (exactly, without rounding) and then standardised, so data of any finite
    scale, 1e-200 or 1e200, fits as well as data of unit scale, and scaling ``X``
    or ``y`` by a power of two scales the predictions exactly.  ``fit`` raises a
    ValueError when the coefficients in original units do not fit in float64
    (a quadratic coefficient is of the order of the target's scale over the
    square of the features', e.g. 1e400 for features of 1e-200), and
    ``predict`` raises one rather than return a non-finite prediction (a
    sample far outside the training scale).

    When to use it: with ``K`` features the model has ``K(K+1)/2 + K``
    coefficients, so it needs many more samples than
    :class:`~sklearn.linear_model.Ridge` (``K`` coefficients, the linear
    baseline, which needs no new class).  It is the right choice when the
    target has genuine pairwise interactions and ``n`` is large compared with
    ``K^2 / 2``; with fewer samples, or when the interaction matrix is
    (close to) low rank, prefer :class:`FactorizedBilinearRegressor`.

    Costs (``n`` samples, ``K`` features, ``P = K(K+1)/2 + K``):

    - "dual": ``O(n^2 K + n^3 / 3)`` time and ``O(n^2)`` memory; best when
      ``n`` is small.
    - "primal": ``O(n P^2 + P^3 / 3)`` time, ``O(P^2)`` memory; best when
      ``K`` is small.
    - "cg": ``O(4 n K^2)`` per iteration and ``O(n K + K^2)`` memory; the only
      option when ``n`` and ``K`` are both large.  Thanks to the rotation and
      diagonal preconditioning, it needs tens of iterations on well-conditioned
      features, but hundreds on scattering coefficients (the counts measured on
      QM9 are in ``benchmarks/README.md``).

    ``predict`` costs ``O(n K^2)``.  Internally all computations are done in
    float64; ``predict`` returns float32 for float32 input.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatharm.regression import BilinearRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = 3 * X[:, 0] * X[:, 1] + 2 * X[:, 2] + 1
    >>> reg = BilinearRegressor(alpha=1e-6).fit(X, y)
    >>> reg.solver_
    'primal'
    >>> print(round(2 * reg.coef_matrix_[0, 1], 4), round(reg.coef_[2], 4))
    3.0 2.0
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "alpha_linear": [Interval(Real, 0, None, closed="left"), None],
        "solver": [StrOptions({"auto", "dual", "primal", "cg"})],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        alpha=1.0,
        alpha_linear=None,
        solver="auto",
        fit_intercept=True,
        max_iter=None,
        tol=1e-6,
        verbose=0,
    ):
        self.alpha = alpha
        self.alpha_linear = alpha_linear
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the bilinear model.

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
        scaling = _Standardization(X, y, sw, self.fit_intercept)
        Z, t = scaling.Z, scaling.t
        del X
        alpha = float(self.alpha)
        alpha_linear = alpha if self.alpha_linear is None else float(self.alpha_linear)
        solver = self.solver
        if solver == "auto":
            solver = _choose_solver(*Z.shape, _dual_allowed(alpha, alpha_linear))
        self.n_iter_ = 1
        reporter = Reporter(type(self).__name__, self.verbose)
        reporter.line(f"solver {solver!r}: {Z.shape[0]} samples, {Z.shape[1]} features")
        if solver == "dual":
            A, b, b0 = _solve_dual(Z, t, sw, alpha, alpha_linear, self.fit_intercept)
        elif solver == "primal":
            A, b, b0 = _solve_primal(Z, t, sw, alpha, alpha_linear, self.fit_intercept)
        else:
            max_iter = _CG_DEFAULT_MAX_ITER if self.max_iter is None else self.max_iter
            A, b, b0, self.n_iter_, converged = _solve_cg(
                *(Z, t, sw, alpha, alpha_linear, self.fit_intercept, max_iter),
                self.tol,
                report=lambda n, residual, last: reporter.iteration(
                    n, f"relative residual {residual:.3e}", last
                ),
            )
            if not converged:
                warnings.warn(
                    f"Conjugate gradients did not reach tol={self.tol} in "
                    f"{max_iter} iterations; increase max_iter.",
                    ConvergenceWarning,
                    stacklevel=2,
                )
        reporter.line(f"solver {solver!r} done in {self.n_iter_} iteration(s)")
        self.solver_ = solver
        scaling.release()
        del Z, t
        self._standardized = (scaling, A, b, b0)
        self.coef_matrix_, self.coef_, self.intercept_ = scaling.to_original_units(
            A, b, b0
        )
        return self

    def predict(self, X):
        """Predict with the fitted bilinear model.

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
        scaling, A, b, b0 = self._standardized
        Z = scaling.features(X)
        with np.errstate(over="ignore", invalid="ignore"):
            f = _quadratic_forms(Z, A, b) + b0
        return scaling.target(f, Z, X.dtype)
