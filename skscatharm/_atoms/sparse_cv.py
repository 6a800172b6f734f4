"""``SparseAtomKernelRidge`` with its width and ridge chosen on held-out molecules.

For every split and candidate width, the sparse model's normal equations are
accumulated once on the split's training molecules; one eigendecomposition of their
``r x r`` matrix then gives the held-out predictions for every ridge at once. With a
single validation split (``cv=PredefinedSplit(...)``, or a list with one pair of
index arrays) the search costs one accumulation per width.
"""

import numpy as np
from sklearn.base import _fit_context
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions

from .base import _checked_alphas, _checked_widths
from .ridge_cv import DEFAULT_ALPHAS
from .sparse import (
    _BaseSparseAtomKernelRidge,
    molecule_subset,
    nystroem_features,
    ridge_path,
    sparse_normal_equations,
)


class SparseAtomKernelRidgeCV(_BaseSparseAtomKernelRidge):
    """:class:`SparseAtomKernelRidge` with its width and ridge chosen by validation.

    ``fit`` fits the descriptors' scaling and the dressed atoms once on all the
    training molecules; then, for every split of ``cv``, chooses representatives
    among the split's training atoms, accumulates the model's normal equations for
    every candidate width, and scores every ridge of ``alphas`` on the split's
    held-out molecules; the best pair is refit on all the molecules.

    Parameters
    ----------
    n_representatives : int, default=5000
        As in :class:`SparseAtomKernelRidge`, for every split and the refit.
    widths : sequence, default=(0.25, 0.5, (0.25, 0.5, 1.0))
        Candidate widths, each a width or a sequence of widths whose kernels are
        averaged.
    alphas : sequence of float, default=17 values from 1e-5 to 1e-1
        Candidate ridges.
    cv : int, cross-validation generator or iterable, default=5
        As ``cv`` of :class:`~sklearn.model_selection.GridSearchCV`. One split (a
        :class:`~sklearn.model_selection.PredefinedSplit` with one test fold)
        makes the search cost one normal-equation accumulation per width.
    error : {"absolute", "squared"}, default="absolute"
        The held-out error: mean absolute or mean squared (weighted by
        ``sample_weight`` when given).
    selection, sigma, J, L, channels, sigma_0, eps, n_jobs, random_state
        As in :class:`SparseAtomKernelRidge` (one seed draws the representatives
        of every split and of the refit).
    verbose : int, default=0
        When > 0, a progress bar over each accumulation's molecules (needs tqdm)
        and, on standard output, a line per split and candidate width with its
        best ridge and error.

    Attributes
    ----------
    width_ : float or tuple of float
        The chosen candidate of ``widths``.
    alpha_ : float
        The chosen ridge.
    cv_errors_ : ndarray of shape (len(widths), len(alphas))
        Held-out error of each candidate pair, over all held-out molecules.
    widths_, elements_, dressed_atoms_, intercept_, representatives_, dual_coef_, \
n_representatives_, offset_, scale_, n_atoms_fit_
        As in :class:`SparseAtomKernelRidge`, for the refit model.

    See Also
    --------
    SparseAtomKernelRidge : The model, with a given width and ridge.
    AtomKernelRidgeCV : The exact model's search.

    Examples
    --------
    >>> from skscatharm import SparseAtomKernelRidgeCV
    >>> from skscatharm.datasets import load_qm7_sample
    >>> X, y = load_qm7_sample(return_X_y=True)
    >>> model = SparseAtomKernelRidgeCV(
    ...     n_representatives=200, widths=(0.5, 1.0), alphas=(1e-3, 1e-2), cv=3,
    ...     random_state=0)
    >>> model.fit(X[::2], y[::2]).cv_errors_.shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        **_BaseSparseAtomKernelRidge._parameter_constraints,
        "widths": ["array-like"],
        "alphas": ["array-like"],
        "cv": ["cv_object"],
        "error": [StrOptions({"absolute", "squared"})],
    }

    def __init__(
        self,
        n_representatives=5000,
        widths=(0.25, 0.5, (0.25, 0.5, 1.0)),
        alphas=DEFAULT_ALPHAS,
        *,
        cv=5,
        error="absolute",
        selection="kmeans++",
        sigma=0.2262,
        J=2,
        L=3,
        channels=("full", "valence", "core"),
        sigma_0=None,
        eps=1e-3,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            sigma=sigma,
            J=J,
            L=L,
            channels=channels,
            sigma_0=sigma_0,
            eps=eps,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.n_representatives = n_representatives
        self.widths = widths
        self.alphas = alphas
        self.cv = cv
        self.error = error
        self.selection = selection
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Choose the width and the ridge on held-out molecules, then refit.

        Parameters
        ----------
        X : sequence or ndarray
            Molecules, in any form that :class:`SolidHarmonicScattering` accepts.
        y : array-like of shape (n_molecules,)
            Finite targets.
        sample_weight : array-like of shape (n_molecules,), default=None
            Weights of the molecules in the fits and in the held-out errors.

        Returns
        -------
        self : SparseAtomKernelRidgeCV
        """
        candidates = [
            _checked_widths(candidate, "each candidate of widths")
            for candidate in self.widths
        ]
        if not candidates:
            raise ValueError("widths must hold at least one candidate")
        alphas = _checked_alphas(self.alphas)
        residual, weights = self._start_fit(X, y, candidates[0], sample_weight)
        atoms = self._training_atoms
        # One seed for every split and the refit: each draws its own representatives.
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        power = 1 if self.error == "absolute" else 2
        errors = np.zeros((len(candidates), len(alphas)))
        held_weight = 0.0
        splits = check_cv(self.cv).split(np.zeros((atoms[3], 1)))
        reporter = self._reporter()
        for split, (fit, held) in enumerate(splits):
            fit, held = np.sort(fit), np.sort(held)
            fit_atoms = molecule_subset(atoms, fit)
            rng = np.random.RandomState(seed)
            _, representatives = self._representatives(fit_atoms, rng)
            held_atoms = molecule_subset(atoms, held)
            intercept = np.average(residual[fit], weights=weights[fit])
            held_weight += weights[held].sum()
            for row, candidate in enumerate(candidates):
                maps, gram, moment = sparse_normal_equations(
                    fit_atoms,
                    representatives,
                    residual[fit] - intercept,
                    weights[fit],
                    candidate,
                    self.n_jobs,
                    self.verbose,
                )
                features = nystroem_features(
                    held_atoms, representatives, maps, candidate, self.n_jobs
                )
                predicted = intercept + ridge_path(gram, moment, features, alphas)
                deviation = np.abs(predicted - residual[held]) ** power
                errors[row] += deviation @ weights[held]
                best = int(np.argmin(errors[row]))
                reporter.line(
                    f"split {split}, width {self.widths[row]!r}: best alpha so far "
                    f"{alphas[best]:g}"
                )
        self.cv_errors_ = errors / held_weight
        best_width, best_alpha = np.unravel_index(
            np.argmin(self.cv_errors_), errors.shape
        )
        self.width_ = self.widths[best_width]
        self.alpha_ = float(alphas[best_alpha])
        self.widths_ = candidates[best_width]
        self._fit_representatives(
            residual, weights, self.widths_, self.alpha_, np.random.RandomState(seed)
        )
        self._to_target_units(error_power=power)
        return self
