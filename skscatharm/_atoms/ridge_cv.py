"""``AtomKernelRidge`` with its width and ridge chosen by cross-validation.

A grid search over ``AtomKernelRidge`` recomputes the atom kernel for every candidate
and every split, and the kernel is the expensive part. Here the kernel of the
training molecules is computed once per width, every split's model is a sub-block of
it, and one eigendecomposition per split and candidate width gives the fit for every
ridge at once.
"""

import numpy as np
from scipy.linalg import eigh
from sklearn.base import _fit_context
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import StrOptions

from .base import _BaseAtomKernelRidge, _checked_alphas, _checked_widths
from .kernels import summed_atom_kernels

#: Default candidate ridges: 4 per decade from 1e-5 to 1e-1.
DEFAULT_ALPHAS = tuple(float(a) for a in np.logspace(-5, -1, 17))


def ridge_path(kernel, target, fit, held, alphas):
    """Kernel ridge predictions on ``held`` for each ridge, from one eigendecomposition.

    The model fit on the rows ``fit`` of ``kernel`` is ``mean + K c`` with
    ``(K + alpha I) c = target - mean`` and ``mean`` the mean of ``target[fit]``.

    Parameters
    ----------
    kernel : ndarray of shape (n, n)
        Kernel between all molecules.
    target : ndarray of shape (n,)
    fit, held : ndarray of int
        Indices of the training and the predicted molecules.
    alphas : sequence of float

    Returns
    -------
    predictions : ndarray of shape (len(alphas), len(held))
    """
    mean = target[fit].mean()
    eigenvalues, eigenvectors = eigh(kernel[np.ix_(fit, fit)])
    projected = eigenvectors.T @ (target[fit] - mean)
    cross = kernel[np.ix_(held, fit)] @ eigenvectors
    # Rounding can make the smallest eigenvalues of a positive kernel slightly negative.
    eigenvalues = np.maximum(eigenvalues, 0.0)
    return np.array([mean + cross @ (projected / (eigenvalues + a)) for a in alphas])


class AtomKernelRidgeCV(_BaseAtomKernelRidge):
    """:class:`AtomKernelRidge` with its width and ridge chosen by cross-validation.

    ``fit`` computes the kernel of the training molecules once for every width that
    appears in ``widths``, scores every pair of a candidate width and a ridge of
    ``alphas`` by cross-validation on those molecules, and refits the best pair on
    all of them. The descriptors' scaling and the dressed atoms do not depend on
    the width or the ridge: they are fit once, on all the training molecules, and
    only the kernel ridge is refit in each split.

    Parameters
    ----------
    widths : sequence, default=(0.25, 0.5, (0.25, 0.5, 1.0))
        Candidate widths. Each is a width, or a sequence of widths whose kernels
        are averaged (as ``width`` of :class:`AtomKernelRidge`).
    alphas : sequence of float, default=17 values from 1e-5 to 1e-1
        Candidate ridges, log-spaced by default.
    cv : int, cross-validation generator or iterable, default=5
        As ``cv`` of :class:`~sklearn.model_selection.GridSearchCV`; an int gives
        unshuffled :class:`~sklearn.model_selection.KFold`.
    error : {"absolute", "squared"}, default="absolute"
        The cross-validation error: mean absolute or mean squared.
    sigma, J, L, channels, sigma_0, scales_per_octave, eps, n_jobs
        As in :class:`AtomKernelRidge`.
    verbose : int, default=0
        Progress printed to standard output when > 0: a line per stage (the
        fields, the kernels), one per candidate width with its best ridge and
        error, and one for the refit.

    Attributes
    ----------
    width_ : float or tuple of float
        The chosen candidate of ``widths``.
    alpha_ : float
        The chosen ridge.
    cv_errors_ : ndarray of shape (len(widths), len(alphas))
        Cross-validation error of each candidate pair, over all training molecules.
    widths_, elements_, dressed_atoms_, intercept_, dual_coef_, offset_, scale_, \
n_atoms_fit_
        As in :class:`AtomKernelRidge`, for the model refit with ``width_`` and
        ``alpha_``.

    See Also
    --------
    AtomKernelRidge : The model, with a given width and ridge.

    Notes
    -----
    Fitting keeps one ``n x n`` float64 training kernel per distinct width (``n``
    training molecules) and does ``len(widths) * n_splits`` eigendecompositions of
    a split's kernel; the number of ridges costs almost nothing. Measured times are
    in ``benchmarks/README.md``.

    Examples
    --------
    >>> from skscatharm import AtomKernelRidgeCV
    >>> from skscatharm.datasets import load_qm7_sample
    >>> X, y = load_qm7_sample(return_X_y=True)
    >>> model = AtomKernelRidgeCV(widths=(0.5, 1.0), alphas=(1e-3, 1e-2), cv=3)
    >>> model = model.fit(X[::2], y[::2])
    >>> model.cv_errors_.shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        **_BaseAtomKernelRidge._parameter_constraints,
        "widths": ["array-like"],
        "alphas": ["array-like"],
        "cv": ["cv_object"],
        "error": [StrOptions({"absolute", "squared"})],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        widths=(0.25, 0.5, (0.25, 0.5, 1.0)),
        alphas=DEFAULT_ALPHAS,
        *,
        cv=5,
        error="absolute",
        sigma=0.2262,
        J=2,
        L=3,
        channels=("full", "valence", "core"),
        sigma_0=None,
        scales_per_octave=1,
        eps=1e-3,
        n_jobs=None,
        verbose=0,
    ):
        super().__init__(
            sigma=sigma,
            J=J,
            L=L,
            channels=channels,
            sigma_0=sigma_0,
            scales_per_octave=scales_per_octave,
            eps=eps,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.widths = widths
        self.alphas = alphas
        self.cv = cv
        self.error = error

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Choose the width and the ridge by cross-validation, then refit.

        Parameters
        ----------
        X : sequence or ndarray
            Molecules, in any form that :class:`SolidHarmonicScattering` accepts.
        y : array-like of shape (n_molecules,)
            Finite targets (an extensive property, such as an atomization energy).

        Returns
        -------
        self : AtomKernelRidgeCV
        """
        candidates = [
            _checked_widths(candidate, "each candidate of widths")
            for candidate in self.widths
        ]
        if not candidates:
            raise ValueError("widths must hold at least one candidate")
        alphas = _checked_alphas(self.alphas)
        residual = self._fit_atoms(X, y, candidates[0])
        distinct = np.unique(np.concatenate(candidates))
        # One pass over the atom pairs gives every width's kernel.
        per_width = summed_atom_kernels(
            self._training_atoms, self._training_atoms, distinct, self.n_jobs
        )
        reporter = self._reporter()
        reporter.line(f"kernels of {len(residual)} molecules, {len(distinct)} widths")
        splits = list(check_cv(self.cv).split(np.zeros((len(residual), 1))))
        power = 1 if self.error == "absolute" else 2
        errors = np.zeros((len(candidates), len(alphas)))
        for row, candidate in enumerate(candidates):
            kernel = per_width[np.searchsorted(distinct, candidate)].mean(axis=0)
            for fit, held in splits:
                predicted = ridge_path(kernel, residual, fit, held, alphas)
                errors[row] += (np.abs(predicted - residual[held]) ** power).sum(1)
            if reporter:
                best = int(np.argmin(errors[row]))
                # In y's units: the errors are of y / 2**e (see _fit_atoms).
                with np.errstate(over="ignore"):
                    error = np.ldexp(
                        errors[row, best] / len(residual),
                        power * self._target_exponent,
                    )
                reporter.line(
                    f"width {self.widths[row]!r}: best alpha {alphas[best]:g}, "
                    f"{self.error} error {error:.6g}"
                )
        self.cv_errors_ = errors / len(residual)
        best_width, best_alpha = np.unravel_index(
            np.argmin(self.cv_errors_), errors.shape
        )
        self.width_ = self.widths[best_width]
        self.alpha_ = float(alphas[best_alpha])
        self.widths_ = candidates[best_width]
        kernel = per_width[np.searchsorted(distinct, self.widths_)].mean(axis=0)
        del per_width
        self._fit_dual(kernel, residual, self.alpha_)
        self._to_target_units(error_power=power)
        reporter.line(f"refit with width {self.width_!r} and alpha {self.alpha_:g}")
        return self
