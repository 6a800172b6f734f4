"""``SparseAtomKernelRidge`` with its width and ridge chosen on held-out molecules.

For every split and candidate width, the sparse model's normal equations are
accumulated once on the split's training molecules; one eigendecomposition of their
``r x r`` matrix then gives the held-out predictions for every ridge at once. With a
single validation split (``cv=PredefinedSplit(...)``, or a list with one pair of
index arrays) the search costs one accumulation per width. With reference forces,
the force rows' normal equations are accumulated once per width too, and each
candidate force weight costs one more eigendecomposition.
"""

import numpy as np
from sklearn.base import _fit_context
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions

from .._core.molecules import as_molecules
from .base import _checked_alphas, _checked_widths
from .force_fit import checked_forces, force_features, force_normal_equations
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
    force_weights : sequence of float, default=(0.1, 1.0, 10.0)
        Candidate force weights (Å², see :class:`SparseAtomKernelRidge`), searched
        when ``fit`` is given ``forces``; ignored otherwise.
    score_on : {"forces", "energies"}, default="forces"
        With ``forces``, whether the candidates are ranked by the held-out error of
        the force components or of the energies (both are kept in
        ``cv_force_errors_`` and ``cv_energy_errors_``); ignored otherwise.
    selection, element_shares, sigma, J, L, channels, sigma_0, scales_per_octave, eps
        As in :class:`SparseAtomKernelRidge`.
    n_jobs, random_state
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
        Held-out error of each candidate pair, over all held-out molecules; with
        ``forces``, of shape ``(len(widths), len(force_weights), len(alphas))``,
        the error that ``score_on`` names.
    force_weight_ : float or None
        The chosen force weight; None without ``forces``.
    cv_energy_errors_, cv_force_errors_ : ndarray of shape \
(len(widths), len(force_weights), len(alphas))
        With ``forces`` only: the held-out errors of the energies (the target's
        unit) and of the force components (the target's unit per Å), each
        candidate's.
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
        "force_weights": ["array-like"],
        "score_on": [StrOptions({"forces", "energies"})],
    }

    def __init__(
        self,
        n_representatives=5000,
        widths=(0.25, 0.5, (0.25, 0.5, 1.0)),
        alphas=DEFAULT_ALPHAS,
        *,
        cv=5,
        error="absolute",
        force_weights=(0.1, 1.0, 10.0),
        score_on="forces",
        selection="kmeans++",
        element_shares="spread",
        sigma=0.2262,
        J=2,
        L=3,
        channels=("full", "valence", "core"),
        sigma_0=None,
        scales_per_octave=1,
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
            scales_per_octave=scales_per_octave,
            eps=eps,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.n_representatives = n_representatives
        self.widths = widths
        self.alphas = alphas
        self.cv = cv
        self.error = error
        self.force_weights = force_weights
        self.score_on = score_on
        self.selection = selection
        self.element_shares = element_shares
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, forces=None):
        """Choose the width and the ridge on held-out molecules, then refit.

        Parameters
        ----------
        X : sequence or ndarray
            Molecules, in any form that :class:`SolidHarmonicScattering` accepts.
        y : array-like of shape (n_molecules,)
            Finite targets.
        sample_weight : array-like of shape (n_molecules,), default=None
            Weights of the molecules in the fits and in the held-out errors.
        forces : sequence of array-like of shape (n_atoms, 3), default=None
            Reference forces ``-∂y/∂r`` in the target's unit per Å, as in
            :meth:`SparseAtomKernelRidge.fit`: the fits are on energies and forces,
            and the force weight is chosen among ``force_weights`` too.

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
        reference = None
        force_weights = [0.0]
        if forces is not None:
            molecules = as_molecules(X)
            reference = (molecules, checked_forces(X, molecules, forces))
            force_weights = _checked_force_weights(self.force_weights)
        residual, weights = self._start_fit(X, y, candidates[0], sample_weight)
        atoms = self._training_atoms
        # One seed for every split and the refit: each draws its own representatives.
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        power = 1 if self.error == "absolute" else 2
        shape = (len(candidates), len(force_weights), len(alphas))
        energy_errors, force_errors = np.zeros(shape), np.zeros(shape)
        held_weight, held_force_weight = 0.0, 0.0
        ranked_on_forces = reference is not None and self.score_on == "forces"
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
            if reference is not None:
                # What the force rows need of the split, the same for every width.
                fit_molecules = [reference[0][i] for i in fit]
                fit_forces = self._scaled_forces(reference[1], fit)
                held_molecules = [reference[0][i] for i in held]
                held_force = self._scaled_forces(reference[1], held)
                held_targets = np.concatenate([f.ravel() for f in held_force])
                component_weights = np.concatenate(
                    [
                        np.full(f.size, w)
                        for f, w in zip(held_force, weights[held], strict=True)
                    ]
                )
                held_force_weight += component_weights.sum()
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
                if reference is None:
                    predicted = intercept + ridge_path(gram, moment, features, alphas)
                    deviation = np.abs(predicted - residual[held]) ** power
                    energy_errors[row, 0] += deviation @ weights[held]
                else:
                    # The force rows read the model's widths: this candidate's.
                    self.widths_ = candidate
                    force_gram, force_moment = force_normal_equations(
                        self,
                        fit_molecules,
                        fit_forces,
                        weights[fit],
                        representatives,
                        maps,
                        self.verbose,
                    )
                    held_rows = force_features(
                        self, held_molecules, representatives, maps
                    )
                    for column, force_weight in enumerate(force_weights):
                        energies, components = ridge_path_with_forces(
                            (gram, moment),
                            (force_gram, force_moment),
                            force_weight,
                            (features, held_rows),
                            alphas,
                        )
                        deviation = np.abs(intercept + energies - residual[held])
                        energy_errors[row, column] += deviation**power @ weights[held]
                        deviation = np.abs(components - held_targets)
                        force_errors[row, column] += (
                            deviation**power @ component_weights
                        )
                ranked = force_errors if ranked_on_forces else energy_errors
                best = int(np.argmin(ranked[row].min(axis=0)))
                reporter.line(
                    f"split {split}, width {self.widths[row]!r}: best alpha so far "
                    f"{alphas[best]:g}"
                )
        energy_errors /= held_weight
        if reference is None:
            self.cv_errors_ = energy_errors[:, 0]
            scores = energy_errors
        else:
            force_errors /= held_force_weight
            self.cv_energy_errors_, self.cv_force_errors_ = energy_errors, force_errors
            scores = force_errors if ranked_on_forces else energy_errors
            self.cv_errors_ = scores
        best_width, best_force, best_alpha = np.unravel_index(
            np.argmin(scores), scores.shape
        )
        self.width_ = self.widths[best_width]
        self.alpha_ = float(alphas[best_alpha])
        self.force_weight_ = None if reference is None else force_weights[best_force]
        self.widths_ = candidates[best_width]
        self._fit_representatives(
            residual,
            weights,
            self.widths_,
            self.alpha_,
            np.random.RandomState(seed),
            forces=reference,
            force_weight=self.force_weight_ or 0.0,
        )
        self._to_target_units(error_power=power)
        if reference is not None:
            # The same scale as cv_errors_ (forces were fitted at the target's scale).
            for name in ("cv_energy_errors_", "cv_force_errors_"):
                setattr(
                    self,
                    name,
                    np.ldexp(getattr(self, name), power * self._target_exponent),
                )
        return self

    def _scaled_forces(self, forces, molecules):
        """Reference forces of some molecules at the scale the model is fitted at."""
        return [np.ldexp(forces[i], -self._target_exponent) for i in molecules]


def _checked_force_weights(force_weights):
    """The candidate force weights as a list of finite non-negative floats."""
    values = [float(w) for w in np.atleast_1d(np.asarray(force_weights, dtype=float))]
    if not values or not all(np.isfinite(w) and w >= 0 for w in values):
        raise ValueError(
            "force_weights must hold at least one finite, non-negative weight; "
            f"got {force_weights!r}"
        )
    return values


def ridge_path_with_forces(equations, force_equations, force_weight, rows, alphas):
    """Held-out energies and force components for each ridge, at one force weight.

    Parameters
    ----------
    equations, force_equations : tuple of (gram, moment)
        The energy and force normal equations of the training molecules (lower
        triangles; neither is modified).
    force_weight : float
    rows : tuple of (features, force_rows)
        ``Φ`` and ``Ψ`` of the held-out molecules.
    alphas : sequence of float

    Returns
    -------
    energies : ndarray of shape (len(alphas), n_held)
        Kernel parts of the energies (without the intercept).
    components : ndarray of shape (len(alphas), n_force_rows)
    """
    (gram, moment), (force_gram, force_moment) = equations, force_equations
    features, force_rows = rows
    combined = np.asfortranarray(gram + force_weight * force_gram)
    predicted = ridge_path(
        combined,
        moment + force_weight * force_moment,
        np.vstack([features, force_rows]),
        alphas,
    )
    return predicted[:, : len(features)], predicted[:, len(features) :]
