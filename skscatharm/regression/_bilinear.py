"""Full bilinear (quadratic) ridge regression with three exact solvers."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.linalg
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._preprocessing import (
    _CHUNK,
    _solve_psd,
    _to_original_units,
    _weighted_standardize,
)

# Memory allowed for the dense n x n (dual) or P x P (primal) matrices when
# ``solver="auto"`` picks a solver.
_MEMORY_BUDGET = 2 * 1024**3
# Iterations assumed for the conjugate gradient solver when comparing costs: on
# QM9 scattering coefficients (300 features) it takes 370-720 iterations to the
# default tol; synthetic, better conditioned problems take far fewer.
_CG_ITER_ESTIMATE = 500
_CG_DEFAULT_MAX_ITER = 1000
# Largest n for which "auto" takes the dual: multi-threaded Cholesky of a
# 16,000 x 16,000 matrix crashes (SIGSEGV) in the OpenBLAS that NumPy 2.4 and
# SciPy 1.17 wheels bundle (numpy.linalg.cholesky as well; one thread works),
# and 12,000 was checked to work.
_DUAL_MAX_SAMPLES = 12_000
# Rows of the n x n kernel squared per step (bounds the temporary of G * (G + 1)).
_KERNEL_ROWS = 1024


def _n_params(n_features):
    return n_features * (n_features + 1) // 2 + n_features


def _dual_bytes(n_samples, n_features):
    """Memory of :func:`_solve_dual`: the kernel, factorised in place, and the
    ``n x (K + 1)`` right-hand sides and solutions."""
    return 8.0 * n_samples * (n_samples + 2 * (n_features + 1))


def _choose_solver(
    n_samples, n_features, allow_dual=True, cg_iterations=_CG_ITER_ESTIMATE
):
    """Cheapest exact solver whose dense matrices fit in the memory budget.

    ``allow_dual=False`` leaves out "dual" (it cannot solve ``alpha=0`` with a
    different ``alpha_linear``, see :func:`_solve_dual`); ``cg_iterations`` is
    the number of conjugate gradient iterations the caller will run (or expects).
    """
    K, n = n_features, n_samples
    P = _n_params(K)
    costs = {"cg": cg_iterations * 4.0 * n * K * K}
    if allow_dual and n <= _DUAL_MAX_SAMPLES and _dual_bytes(n, K) <= _MEMORY_BUDGET:
        costs["dual"] = float(n) * n * K + n**3 / 3.0
    if 3 * 8.0 * P * P <= _MEMORY_BUDGET:
        costs["primal"] = float(n) * P * P + P**3 / 3.0
    return min(costs, key=costs.get)


def _quadratic_design(Z, iu, weights):
    """Explicit feature map ``[w_kl z_k z_l (k <= l), z]`` for a block of rows."""
    return np.hstack([Z[:, iu[0]] * Z[:, iu[1]] * weights, Z])


def _dual_allowed(alpha, alpha_linear):
    """Whether :func:`_solve_dual` can solve this penalty exactly."""
    return alpha > 0 or alpha_linear == alpha


def _solve_primal(Z, y, sw, alpha, alpha_linear, fit_intercept):
    """Normal equations on the explicit (centred, weighted) feature map.

    The quadratic block of the feature map has weight ``sqrt(2)`` off the
    diagonal, so that the Euclidean norm of its parameters equals the Frobenius
    norm of the symmetric matrix ``A``; the penalty is ``alpha`` on that block
    and ``alpha_linear`` on the linear block.
    """
    n, K = Z.shape
    iu = np.triu_indices(K)
    weights = np.where(iu[0] == iu[1], 1.0, np.sqrt(2.0))
    P = len(weights) + K
    H = np.zeros((P, P))
    g = np.zeros(P)
    s = np.zeros(P)
    rows = int(np.clip(2**24 // P, 64, _CHUNK))
    for start in range(0, n, rows):
        F = _quadratic_design(Z[start : start + rows], iu, weights)
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
    n_quadratic = len(weights)
    H[np.diag_indices(n_quadratic)] += alpha
    H[np.arange(n_quadratic, P), np.arange(n_quadratic, P)] += alpha_linear
    theta = _solve_psd(H, g)
    A = np.zeros((K, K))
    A[iu] = theta[: len(weights)] / weights
    A = A + np.triu(A, 1).T
    b = theta[len(weights) :]
    b0 = y_mean - float(m @ theta) if fit_intercept else 0.0
    return A, b, b0


def _solve_dual(Z, y, sw, alpha, alpha_linear, fit_intercept):
    """Kernel ridge with the kernel ``(z.z')^2 + z.z'`` (n x n system).

    ``(z.z')^2 = <z z^T, z' z'^T>_F``, so this kernel is the Gram matrix of the
    feature map ``(z z^T, z)`` under the Frobenius inner product: the same
    objective as the primal solver.

    With ``alpha_linear == alpha`` this is one kernel ridge solve.  Otherwise
    the linear part is treated as a parametric term next to the kernel of the
    quadratic part (a "partial spline"): with ``G = K_q + alpha I`` (``K_q``
    the weighted, centred kernel ``(z.z')^2``), minimising over the quadratic
    part first leaves ``alpha (t - Z b)^T G^{-1} (t - Z b) + alpha_linear ||b||^2``,
    so ``b`` solves the ``K x K`` system
    ``(Z^T G^{-1} Z + (alpha_linear / alpha) I) b = Z^T G^{-1} t`` and the dual
    coefficients are ``G^{-1} (t - Z b)``.  This is exact for any
    ``alpha_linear >= 0`` (an unpenalised linear part included) but needs
    ``alpha > 0``; ``alpha = 0 < alpha_linear`` raises.
    """
    if not _dual_allowed(alpha, alpha_linear):
        raise ValueError(
            "solver='dual' cannot fit alpha=0 with alpha_linear != alpha (the "
            "quadratic part would be unpenalised); use solver='primal' or "
            "solver='cg', or a positive alpha."
        )
    separate = alpha_linear != alpha
    p = sw / sw.sum()
    y_c, Z_c = y, Z
    if fit_intercept:
        y_c = y - p @ y
        Z_c = Z - p @ Z
    sq = np.sqrt(sw)
    rhs = sq[:, None] * np.column_stack([y_c, Z_c]) if separate else sq * y_c

    # Factorised in place: the kernel is the only n x n array, rebuilt only if
    # it is not numerically positive definite.
    def kernel():
        return _dual_kernel(Z, sq, p, alpha, separate, fit_intercept)

    solved = _solve_psd(kernel(), rhs, rebuild=kernel)
    if separate:
        # The K x K Schur complement system for b.
        Gy, GZ = solved[:, 0], solved[:, 1:]
        Zs = sq[:, None] * Z_c
        S = Zs.T @ GZ
        S = 0.5 * (S + S.T)
        S[np.diag_indices_from(S)] += alpha_linear / alpha
        if alpha_linear > 0:
            b_lin = _solve_psd(S, Zs.T @ Gy)
        else:
            # An unpenalised linear part is unique only if the features are
            # linearly independent; otherwise take the minimum-norm ``b`` (the
            # limit ``alpha_linear -> 0``), not what rounding makes of Cholesky.
            b_lin = scipy.linalg.lstsq(
                S, Zs.T @ Gy, cond=len(S) * np.finfo(np.float64).eps
            )[0]
        c = Gy - GZ @ b_lin
    else:
        c = solved
    v = sq * c
    A = Z.T @ (v[:, None] * Z)
    b = b_lin if separate else Z.T @ v
    b0 = 0.0
    if fit_intercept:
        M = Z.T @ (p[:, None] * Z)
        z_mean = p @ Z
        A -= v.sum() * M
        if not separate:
            b -= v.sum() * z_mean
        b0 = float(p @ y) - float(np.sum(A * M)) - float(b @ z_mean)
    return 0.5 * (A + A.T), b, b0


def _dual_kernel(Z, sq, p, alpha, separate, fit_intercept):
    """The weighted, centred dual kernel plus ``alpha I``, in one n x n array.

    ``(z.z')^2`` alone when the linear part is ``separate``, else
    ``(z.z')^2 + z.z'``; squared block of rows by block of rows, so the only
    n x n array is the result.
    """
    Kmat = Z @ Z.T
    for start in range(0, len(Kmat), _KERNEL_ROWS):
        block = Kmat[start : start + _KERNEL_ROWS]
        if separate:
            np.square(block, out=block)
        else:
            block *= block + 1.0
    if fit_intercept:
        Kp = Kmat @ p
        Kmat -= Kp[None, :]
        Kmat -= Kp[:, None]
        Kmat += p @ Kp
    Kmat *= sq[:, None]
    Kmat *= sq[None, :]
    Kmat[np.diag_indices_from(Kmat)] += alpha
    return Kmat


def _weighted_outer(U, r):
    """``U^T diag(r) U`` computed blockwise over rows."""
    K = U.shape[1]
    out = np.zeros((K, K))
    for start in range(0, U.shape[0], _CHUNK):
        Uc = U[start : start + _CHUNK]
        out += Uc.T @ (Uc * r[start : start + _CHUNK, None])
    return out


def _quadratic_forms(U, A, b):
    """``u_i^T A u_i + b.u_i`` for every row, blockwise (never n x K^2)."""
    out = np.empty(U.shape[0])
    for start in range(0, U.shape[0], _CHUNK):
        Uc = U[start : start + _CHUNK]
        out[start : start + _CHUNK] = np.einsum("ij,ij->i", Uc @ A, Uc) + Uc @ b
    return out


def _solve_cg(Z, y, sw, alpha, alpha_linear, fit_intercept, max_iter, tol):
    """Preconditioned conjugate gradients on the primal normal equations.

    The unknowns are kept as a symmetric matrix ``A`` and a vector ``b`` with
    the Frobenius inner product, which is the primal parametrisation.  The
    operator is applied implicitly: ``A -> U^T diag(w r) U`` with
    ``r_i = u_i^T A u_i + b.u_i`` (centred), two ``n K^2`` products per
    iteration.  The features are first rotated onto the eigenvectors of their
    weighted second-moment matrix (the objective is invariant under orthogonal
    rotations); in that basis the normal matrix is close to diagonal (exactly so
    for Gaussian features), and its exact diagonal is used as preconditioner.

    Returns ``A, b, b0, n_iter, converged``.
    """
    n, K = Z.shape
    W = sw.sum()
    p = sw / W
    C = _weighted_outer(Z, sw)
    lam, V = np.linalg.eigh(0.5 * (C + C.T))
    U = Z @ V
    y_c = y - p @ y if fit_intercept else y
    u_mean = p @ U if fit_intercept else np.zeros(K)

    # Exact diagonal of the (centred) normal matrix in the rotated basis.
    U2 = U * U
    S = _weighted_outer(U2, sw)
    del U2
    D_A = 2.0 * S
    diag = np.diag_indices(K)
    D_A[diag] = np.diag(S)
    D_b = lam.copy()
    M_u = V.T @ C @ V / W
    if fit_intercept:
        D_A[diag] -= W * np.diag(M_u) ** 2
        D_b -= W * u_mean**2
    D_A += alpha
    D_b += alpha_linear
    D_A[~(D_A > 0)] = 1.0
    D_b[~(D_b > 0)] = 1.0

    def apply(A, b):
        r = _quadratic_forms(U, A, b)
        if fit_intercept:
            r -= p @ r
        r *= sw
        return _weighted_outer(U, r) + alpha * A, U.T @ r + alpha_linear * b

    rA = _weighted_outer(U, sw * y_c)
    rb = U.T @ (sw * y_c)
    rhs_norm = np.sqrt(np.sum(rA * rA) + rb @ rb)
    A = np.zeros((K, K))
    b = np.zeros(K)
    n_iter, converged = 0, True
    if rhs_norm > 0:
        converged = False
        zA, zb = rA / D_A, rb / D_b
        pA, pb = zA.copy(), zb.copy()
        rz = np.sum(rA * zA) + rb @ zb
        for _ in range(max_iter):
            n_iter += 1
            hA, hb = apply(pA, pb)
            curvature = np.sum(pA * hA) + pb @ hb
            if not curvature > 0:  # zero search direction: exact solution
                converged = True
                break
            step = rz / curvature
            A += step * pA
            b += step * pb
            rA -= step * hA
            rb -= step * hb
            if np.sqrt(np.sum(rA * rA) + rb @ rb) <= tol * rhs_norm:
                converged = True
                break
            zA, zb = rA / D_A, rb / D_b
            rz_new = np.sum(rA * zA) + rb @ zb
            pA = zA + (rz_new / rz) * pA
            pb = zb + (rz_new / rz) * pb
            rz = rz_new
    A = 0.5 * (A + A.T)
    b0 = 0.0
    if fit_intercept:
        b0 = float(p @ y) - float(np.sum(A * M_u)) - float(b @ u_mean)
    A_z = V @ A @ V.T
    return 0.5 * (A_z + A_z.T), V @ b, b0, n_iter, converged


def _predict_standardized(X, params):
    x_mean, x_scale, y_mean, y_scale, A, b, b0 = params
    Z = (np.asarray(X, dtype=np.float64) - x_mean) / x_scale
    return y_mean + y_scale * (_quadratic_forms(Z, A, b) + b0)


def _check_fit_inputs(estimator, X, y, sample_weight):
    """Validate fit inputs; returns float64 ``X``, ``y`` and weights."""
    X, y = validate_data(
        estimator,
        X,
        y,
        dtype=[np.float64, np.float32],
        y_numeric=True,
        multi_output=False,
    )
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    if not sample_weight.sum() > 0:
        raise ValueError("The sum of sample_weight must be positive.")
    X64 = np.asarray(X, dtype=np.float64)
    return X64, np.asarray(y, dtype=np.float64), sample_weight


class BilinearRegressor(RegressorMixin, BaseEstimator):
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
          12,000 samples) and "cg" (counted as 500 iterations, what it takes on
          QM9 scattering coefficients); in practice "dual" for small ``n``,
          "primal" for small ``K`` and "cg" when ``n`` and ``K`` are both large.

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
      features, but hundreds on scattering coefficients (370-720 on QM9's at
      ``tol=1e-6``).

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
    }

    def __init__(
        self,
        alpha=1.0,
        alpha_linear=None,
        solver="auto",
        fit_intercept=True,
        max_iter=None,
        tol=1e-6,
    ):
        self.alpha = alpha
        self.alpha_linear = alpha_linear
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

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
        Z, t, x_mean, x_scale, y_mean, y_scale = _weighted_standardize(
            X, y, sw, self.fit_intercept
        )
        del X
        alpha = float(self.alpha)
        alpha_linear = alpha if self.alpha_linear is None else float(self.alpha_linear)
        solver = self.solver
        if solver == "auto":
            solver = _choose_solver(*Z.shape, _dual_allowed(alpha, alpha_linear))
        self.n_iter_ = 1
        if solver == "dual":
            A, b, b0 = _solve_dual(Z, t, sw, alpha, alpha_linear, self.fit_intercept)
        elif solver == "primal":
            A, b, b0 = _solve_primal(Z, t, sw, alpha, alpha_linear, self.fit_intercept)
        else:
            max_iter = _CG_DEFAULT_MAX_ITER if self.max_iter is None else self.max_iter
            A, b, b0, self.n_iter_, converged = _solve_cg(
                Z, t, sw, alpha, alpha_linear, self.fit_intercept, max_iter, self.tol
            )
            if not converged:
                warnings.warn(
                    f"Conjugate gradients did not reach tol={self.tol} in "
                    f"{max_iter} iterations; increase max_iter.",
                    ConvergenceWarning,
                    stacklevel=2,
                )
        self.solver_ = solver
        self._standardized = (x_mean, x_scale, y_mean, y_scale, A, b, b0)
        self.coef_matrix_, self.coef_, self.intercept_ = _to_original_units(
            A, b, b0, x_mean, x_scale, y_mean, y_scale
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
        return _predict_standardized(X, self._standardized).astype(X.dtype, copy=False)
