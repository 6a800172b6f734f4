"""The solvers of the full bilinear model: "primal", "dual" and "cg", and the choice.

All three minimise the objective documented in :class:`BilinearRegressor` on
standardised data ``Z`` (see :mod:`._preprocessing`) and return ``A, b, b0``.
:class:`FactorizedBilinearRegressor` starts from such a fit.
"""

import numpy as np
import scipy.linalg

from ._normal_equations import _CHUNK, _solve_normal_equations, _solve_psd

# Memory allowed for the dense n x n (dual) or P x P (primal) matrices when
# ``solver="auto"`` picks a solver.
_MEMORY_BUDGET = 2 * 1024**3
# Iterations assumed for the conjugate gradient solver when comparing costs: on
# QM9 scattering coefficients (300 features) it takes 370-720 iterations to the
# default tol; synthetic, better conditioned problems take far fewer.
_CG_ITER_ESTIMATE = 500
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
    K = Z.shape[1]
    iu = np.triu_indices(K)
    weights = np.where(iu[0] == iu[1], 1.0, np.sqrt(2.0))
    n_quadratic = len(weights)
    theta, b0 = _solve_normal_equations(
        Z,
        y,
        sw,
        lambda rows: _quadratic_design(rows, iu, weights),
        [(n_quadratic, alpha), (K, alpha_linear)],
        fit_intercept,
    )
    A = np.zeros((K, K))
    A[iu] = theta[:n_quadratic] / weights
    A = A + np.triu(A, 1).T
    b = theta[n_quadratic:]
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


def _solve_cg(Z, y, sw, alpha, alpha_linear, fit_intercept, max_iter, tol, report=None):
    """Preconditioned conjugate gradients on the primal normal equations.

    The unknowns are kept as a symmetric matrix ``A`` and a vector ``b`` with
    the Frobenius inner product, which is the primal parametrisation.  The
    operator is applied implicitly: ``A -> U^T diag(w r) U`` with
    ``r_i = u_i^T A u_i + b.u_i`` (centred), two ``n K^2`` products per
    iteration.  The features are first rotated onto the eigenvectors of their
    weighted second-moment matrix (the objective is invariant under orthogonal
    rotations); in that basis the normal matrix is close to diagonal (exactly so
    for Gaussian features), and its exact diagonal is used as preconditioner.

    ``report(n_iter, relative_residual, last)``, when given, is called after
    every iteration.

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
            residual = np.sqrt(np.sum(rA * rA) + rb @ rb) / rhs_norm
            if report is not None:
                report(n_iter, residual, residual <= tol or n_iter == max_iter)
            if residual <= tol:
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
