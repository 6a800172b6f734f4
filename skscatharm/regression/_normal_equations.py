"""Exact weighted ridge solves through the normal equations of a design matrix.

Both regressors reduce a weighted ridge problem ``sum_i w_i (y_i - f_i.theta -
b0)^2 + theta^T diag(penalty) theta`` to its normal equations: the full bilinear
model with the explicit feature map of its ``K(K+1)/2 + K`` monomials, the
factorised one (alternating least squares) with the design of the free factors
and the linear part.  The design is never held for all rows at once: it is built
and reduced block of rows by block of rows.
"""

import numpy as np
import scipy.linalg

# Rows per block in the blockwise products: bounds temporaries to a few
# ``_CHUNK x n_features`` (or ``_CHUNK x n_parameters``) arrays.
_CHUNK = 8192
# Elements of one block of the design (``rows x n_parameters``), 128 MiB of float64.
_DESIGN_BLOCK_SIZE = 2**24


def _solve_psd(H, g, rebuild=None):
    """Solve ``H x = g`` for symmetric positive (semi-)definite ``H``.

    Cholesky when ``H`` is positive definite; otherwise the minimum-norm
    least-squares solution (e.g. ``alpha=0`` with rank-deficient data).  With
    ``rebuild`` (a function that returns ``H`` again), ``H`` is factorised in
    place, which saves a copy of it, and rebuilt only for the fallback.
    """
    try:
        if rebuild is None:
            c = scipy.linalg.cho_factor(H, lower=True, check_finite=False)
        else:
            # H.T is the Fortran-ordered view LAPACK factorises without a copy
            # (H is symmetric, so it is the same matrix).
            c = scipy.linalg.cho_factor(
                H.T, lower=False, overwrite_a=True, check_finite=False
            )
        x = scipy.linalg.cho_solve(c, g, check_finite=False)
        if np.all(np.isfinite(x)):
            return x
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
        pass
    if rebuild is not None:
        H = rebuild()
    return scipy.linalg.lstsq(H, g, check_finite=False, lapack_driver="gelsd")[0]


def _solve_normal_equations(Z, y, sw, design, column_penalties, fit_intercept):
    """Weighted ridge regression of ``y`` on the design ``design(Z)``, built blockwise.

    Minimises ``sum_i w_i (y_i - F_i.theta - b0)^2 + sum_j p_j theta_j^2`` over
    ``theta`` and (if ``fit_intercept``) the unpenalised ``b0``, where ``F =
    design(Z)``.  ``F^T W F``, ``F^T W y`` and the weighted column sums are
    accumulated over blocks of rows, so only one block of ``F`` exists at a time;
    the intercept is eliminated by centring these sums with the weighted means.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        The data the design is built from.
    y : ndarray of shape (n_samples,)
        Target.
    sw : ndarray of shape (n_samples,)
        Non-negative sample weights with a positive sum.
    design : callable
        Maps a block of consecutive rows of ``Z`` to its design, an array of shape
        ``(n_rows, n_parameters)``; it must act on each row independently.
    column_penalties : sequence of (int, float)
        ``(n_columns, penalty)`` for consecutive blocks of columns of the design,
        in order, covering all ``n_parameters`` columns.
    fit_intercept : bool
        Whether to fit the intercept ``b0`` (else it is 0).

    Returns
    -------
    theta : ndarray of shape (n_parameters,)
        The coefficients of the design's columns.
    intercept : float
        ``b0``.
    """
    widths = [width for width, _ in column_penalties]
    penalty = np.repeat([strength for _, strength in column_penalties], widths)
    P = len(penalty)
    n = Z.shape[0]
    H = np.zeros((P, P))
    g = np.zeros(P)
    s = np.zeros(P)
    rows = int(np.clip(_DESIGN_BLOCK_SIZE // P, 64, _CHUNK))
    for start in range(0, n, rows):
        F = design(Z[start : start + rows])
        wc = sw[start : start + rows]
        Fw = F * wc[:, None]
        H += Fw.T @ F
        g += Fw.T @ y[start : start + rows]
        s += wc @ F
    W = sw.sum()
    if fit_intercept:
        m = s / W
        y_mean = float(sw @ y) / W
        H -= W * np.outer(m, m)
        g -= m * (W * y_mean)
    H[np.diag_indices(P)] += penalty
    theta = _solve_psd(H, g)
    intercept = y_mean - float(m @ theta) if fit_intercept else 0.0
    return theta, intercept
