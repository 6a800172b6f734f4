"""L-BFGS over the factors of a sum of products of linear forms.

Both factorised regressors fit, on standardised features ``z`` and target ``t``,

``t ~ sum_d sum_r prod_{j=1..d} (a_drj . z) + b . z + b0``

(degree ``d = 2`` only for :class:`FactorizedBilinearRegressor`, ``d = 2 .. D``
for :class:`FactorizedMultilinearRegressor`) with the penalty ``alpha_d`` on the
squared norms of the degree-``d`` factors and ``alpha_linear`` on ``b``.  This
module holds what they share: the whitened coordinates, the reduced objective (the
linear part and the intercept eliminated exactly), its analytic gradient and the
L-BFGS call.

Factors are held as one array per degree, of shape ``(d, R_d, K)``: factor ``j``
of component ``r``.  In the optimiser's vector they come degree by degree, then
factor by factor, then component by component, so that for ``d = 2`` the rows are
``alpha_1 .. alpha_R, beta_1 .. beta_R``.
"""

import numpy as np
import scipy.optimize

from ._bilinear_solvers import _weighted_outer

# L-BFGS-B's relative-reduction stop, ``f_k - f_{k+1} <= ftol * max(|f|, 1)``:
# the scaled objective is below 1, so any positive ftol would act as an absolute
# threshold far above its rounding error and stop at gradients of about
# sqrt(ftol); 0 stops only when the objective no longer decreases at all.
_FTOL = 0.0


def _whitened_basis(Z, p, alpha):
    """Rotation and scaling that make L-BFGS well conditioned.

    Returns ``V, root, eig`` with ``V`` (K x m) the eigenvectors of the
    weighted second-moment matrix ``C = Z^T diag(p) Z`` whose eigenvalues
    ``eig`` are above rounding level, and ``root = sqrt(eig + alpha)``.  In the
    coordinates ``u = (z V) / root`` the data are white (up to the penalty),
    which is what a first-order method needs: scattering coefficients are
    strongly correlated, so ``C`` has a condition number of 1e8 or more.  The
    directions left out carry no data (``z.v = 0`` for every sample, to
    rounding); the exact minimiser has no component along them when
    ``alpha > 0`` (its gradient lies in the row space of ``Z``), and when
    ``alpha = 0`` they do not change the objective.
    """
    C = _weighted_outer(Z, p)
    eig, V = np.linalg.eigh(0.5 * (C + C.T))
    top = eig.max() if eig.size else 0.0
    keep = eig > max(Z.shape[1] * np.finfo(np.float64).eps * top, 0.0)
    eig, V = eig[keep], V[:, keep]
    return V, np.sqrt(eig + alpha), eig


def _products(projections, shape):
    """Sum of the products and, for each factor, the product of the others.

    ``projections`` (n x rows) holds ``a_drj . u`` for every factor, laid out
    as in the module docstring; ``shape`` lists ``(d, R_d)`` per degree.
    Returns ``q`` (n,), ``sum_d sum_r prod_j (a_drj . u)``, and ``others`` (n x
    rows), the product over the other factors of the same component (the
    derivative of ``q`` with respect to ``a_drj . u``).  Prefix and suffix
    products avoid dividing by a projection that may be zero; for ``d = 2``
    ``others`` is exactly the other factor's projection.
    """
    q = None
    others = np.empty_like(projections)
    start = 0
    for d, R in shape:
        cols = [projections[:, start + j * R : start + (j + 1) * R] for j in range(d)]
        prefix = [None] * d
        running = None
        for j in range(d):
            prefix[j] = running
            running = cols[j] if running is None else running * cols[j]
        suffix = [None] * d
        running = None
        for j in reversed(range(d)):
            suffix[j] = running
            running = cols[j] if running is None else cols[j] * running
        for j in range(d):
            block = others[:, start + j * R : start + (j + 1) * R]
            if prefix[j] is None:
                block[...] = suffix[j]
            elif suffix[j] is None:
                block[...] = prefix[j]
            else:
                np.multiply(prefix[j], suffix[j], out=block)
        term = np.einsum("ir,ir->i", prefix[d - 1], cols[d - 1])
        q = term if q is None else q + term
        start += d * R
    if q is None:
        q = np.zeros(projections.shape[0])
    return q, others


class _WhitenedFactorProblem:
    """The reduced objective in whitened coordinates, and its minimisation.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        Standardised features.
    y : ndarray of shape (n_samples,)
        Standardised target.
    sw : ndarray of shape (n_samples,)
        Sample weights (positive sum).
    shape : list of (int, int)
        ``(degree, n_components)`` of each group of factors, in order.
    alphas : list of float
        Penalty of each group's factors.
    alpha_linear : float
        Penalty of the linear coefficients.
    fit_intercept : bool
        Whether the intercept is free.

    Notes
    -----
    The objective is divided by the total weight ``W`` (same minimiser; it makes
    ``tol`` an absolute gradient tolerance on a problem of unit scale, as in
    scikit-learn's other L-BFGS fits).  For fixed factors the best ``(b, b0)`` is
    a ridge solve which, in the eigenbasis of the feature second moments, is
    diagonal; it is done exactly inside every evaluation (variable projection),
    and by the envelope theorem the gradient of this reduced objective is the
    partial gradient in the factors.  So L-BFGS only sees the whitened factor
    coordinates, and the linear part, whose conditioning is the worst
    (``alpha_linear`` is often tiny), never slows it down.  The whitening uses
    the smallest factor penalty (any positive scaling gives the same objective;
    with one degree it is that degree's).  Each evaluation costs
    ``O(n m rows)`` with ``rows = sum_d d R_d`` and ``m <= K``.
    """

    def __init__(self, Z, y, sw, shape, alphas, alpha_linear, fit_intercept):
        W = sw.sum()
        self.p = p = sw / W
        self.shape = shape
        self.fit_intercept = fit_intercept
        lams = [alpha / W for alpha in alphas]
        lam_lin = alpha_linear / W
        self.lam_lin = lam_lin
        whitening = min(lams) if lams else lam_lin
        self.V, self.root, eig = _whitened_basis(Z, p, whitening)
        self.m = self.V.shape[1]
        self.y_c = y - p @ y if fit_intercept else y
        if self.m == 0:
            return
        U = Z @ self.V
        U /= self.root
        if fit_intercept:
            U -= p @ U  # zero to rounding already; exact centring keeps b0 separate
        self.U = U
        # Penalty lam * ||a||^2 in the whitened coordinates, per group.
        self.pens = [lam / self.root**2 for lam in lams]
        # Ridge for the linear part in these coordinates: U^T diag(p) U = diag(eig
        # / root^2), penalty lam_lin * ||coef / root||^2 (every kept eig is > 0).
        self.gain = self.root**2 / (eig + lam_lin)
        self.n_rows = sum(d * R for d, R in shape)

    def to_whitened(self, factors):
        """Optimiser vector of factors given in standardised coordinates."""
        # One product per factor (not one stacked product): the same arithmetic
        # as the bilinear model's ``alpha @ V``, ``beta @ V``.
        rows = [factor @ self.V for group in factors for factor in group]
        if not rows:
            return np.zeros(0)
        return (np.vstack(rows) * self.root).ravel()

    def from_whitened(self, x):
        """Factors in standardised coordinates, one ``(d, R_d, K)`` array per group."""
        F = x.reshape(self.n_rows, self.m) / self.root
        factors, start = [], 0
        for d, R in self.shape:
            group = [
                F[start + j * R : start + (j + 1) * R] @ self.V.T for j in range(d)
            ]
            factors.append(np.stack(group))
            start += d * R
        return factors

    def evaluate(self, x):
        """Reduced objective, its gradient, the linear coefficients and residual."""
        F = x.reshape(self.n_rows, self.m)
        P = self.U @ F.T
        q, others = _products(P, self.shape)
        p = self.p
        r = self.y_c - q
        if self.fit_intercept:
            r -= p @ r
        coef = self.gain * (self.U.T @ (p * r))
        r -= self.U @ coef
        pr = p * r
        lin = coef / self.root
        value = pr @ r
        pen_rows = np.empty_like(F)
        start = 0
        for (d, R), pen in zip(self.shape, self.pens, strict=True):
            block = F[start : start + d * R]
            value += pen @ (block * block).sum(0)
            pen_rows[start : start + d * R] = pen
            start += d * R
        value += self.lam_lin * (lin @ lin)
        # d/da_drj = -2 sum_i p_i r_i (prod of the other factors) u_i + 2 pen a_drj.
        grad = -2.0 * (others * pr[:, None]).T @ self.U + 2.0 * pen_rows * F
        return value, grad.ravel(), coef, r

    def linear_coefficients(self, coef):
        """``b`` in standardised coordinates from the whitened ``coef``."""
        return (coef / self.root) @ self.V.T

    def minimize(self, x0, max_iter, tol, report=None):
        """L-BFGS-B from ``x0``; returns scipy's result.

        ``report(n_iter, objective, last)``, when given, is called after every
        iteration (``last`` is never set: L-BFGS-B says it stopped only on
        return, and the caller reports the end).
        """
        n_iter = [0]

        def callback(intermediate_result):
            n_iter[0] += 1
            report(n_iter[0], intermediate_result.fun, False)

        return scipy.optimize.minimize(
            lambda x: self.evaluate(x)[:2],
            x0,
            jac=True,
            method="L-BFGS-B",
            options={
                "maxiter": max_iter,
                "maxfun": 10 * max_iter,
                "gtol": tol,
                "ftol": _FTOL,
                "maxls": 50,
            },
            callback=None if report is None else callback,
        )
