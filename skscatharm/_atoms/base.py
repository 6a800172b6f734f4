"""What the atom-kernel models share: the fields, the dressed atoms and the ridge.

:class:`~skscatharm.AtomKernelRidge` and :class:`~skscatharm.AtomKernelRidgeCV`
model a molecule's energy as a sum of atomic energies and differ only in how they
get the kernel's width and ridge (given, or chosen by cross-validation). Everything
else, from the molecules to the fitted dual coefficients and the predictions, is
here, in one private base class, so that neither model is a kind of the other.
"""

from numbers import Real

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .._core.molecules import as_molecules
from .._parameters import (
    N_JOBS_CONSTRAINT,
    SCALES_PER_OCTAVE_CONSTRAINT,
    WAVELET_CONSTRAINTS,
)
from .._persistence import VersionedPickleMixin
from .._verbose import Reporter
from ..regression._preprocessing import _binary_exponent
from .descriptors import log_scaling, scaled_logs
from .fields import atom_fields
from .forces import (
    element_blocks,
    forces_from_descriptor_gradient,
    kernel_descriptor_gradient,
)
from .kernels import summed_atom_kernel


def _checked_widths(width, name):
    """``width`` (a number or a sequence of numbers) as a 1-D array of positive floats."""
    widths = np.atleast_1d(np.asarray(width, dtype=np.float64))
    if (
        widths.ndim != 1
        or widths.size == 0
        or not np.all(np.isfinite(widths) & (widths > 0))
    ):
        raise ValueError(
            f"{name} must be a positive number or a non-empty sequence of positive "
            f"numbers; got {width!r}"
        )
    return widths


def _checked_alphas(alphas):
    """``alphas`` as a 1-D array of positive floats, or a ValueError."""
    checked = np.asarray(alphas, dtype=np.float64)
    if checked.ndim != 1 or checked.size == 0 or not np.all(checked > 0):
        raise ValueError(
            f"alphas must be a non-empty sequence of positive numbers; got {alphas!r}"
        )
    return checked


class _BaseAtomKernelRidge(VersionedPickleMixin, RegressorMixin, BaseEstimator):
    """Kernel ridge regression of a sum of atomic energies, less the choice of kernel.

    A subclass's ``fit`` calls :meth:`_fit_atoms`, builds the training kernel for
    the widths it settles on and calls :meth:`_fit_dual`; :meth:`predict` is shared.

    Parameters
    ----------
    sigma, J, L, channels, sigma_0, scales_per_octave
        The fields' parameters, as in :func:`~skscatharm.atom_fields`.
    eps : float
        Offset of the descriptors' logarithm, as a fraction of each column's median.
    n_jobs : int or None
        Workers (joblib) that compute the atom fields and the kernel.
    """

    _parameter_constraints: dict = {
        **WAVELET_CONSTRAINTS,
        "scales_per_octave": SCALES_PER_OCTAVE_CONSTRAINT,
        "eps": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": N_JOBS_CONSTRAINT,
    }

    def __init__(
        self, *, sigma, J, L, channels, sigma_0, scales_per_octave, eps, n_jobs, verbose
    ):
        self.sigma = sigma
        self.J = J
        self.L = L
        self.channels = channels
        self.sigma_0 = sigma_0
        self.scales_per_octave = scales_per_octave
        self.eps = eps
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The input is molecules, as for SolidHarmonicScattering (a padded
        # (n, max_atoms, 4) array or a sequence), not a feature matrix.
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags

    def _reporter(self):
        """Progress lines, as ``verbose`` asks (see :mod:`skscatharm._verbose`)."""
        return Reporter(type(self).__name__, getattr(self, "verbose", 0))

    def _fields(self, molecules):
        return atom_fields(
            molecules,
            sigma=self.sigma,
            J=self.J,
            L=self.L,
            channels=self.channels,
            sigma_0=self.sigma_0,
            scales_per_octave=self.scales_per_octave,
            n_jobs=self.n_jobs,
        )

    def _counts(self, numbers, molecule, n_molecules):
        counts = np.zeros((n_molecules, len(self.elements_)))
        np.add.at(counts, (molecule, np.searchsorted(self.elements_, numbers)), 1.0)
        return counts

    def _fit_atoms(self, X, y, widths, sample_weight=None):
        """Fit everything but the dual coefficients; return the kernel's target.

        The descriptors' scaling, the dressed atoms and the intercept; the target of
        the ridge is what is left of ``y`` after the dressed atoms. With
        ``sample_weight``, the dressed atoms are a weighted least-squares fit and the
        intercept a weighted mean.
        """
        molecules = as_molecules(X)
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (len(molecules),):
            raise ValueError(
                f"y must have shape ({len(molecules)},), one value per molecule; "
                f"got {y.shape}"
            )
        if not np.all(np.isfinite(y)):
            bad = int(np.flatnonzero(~np.isfinite(y))[0])
            raise ValueError(f"y of molecule {bad} is not finite ({y[bad]})")
        # The model is linear in y: fitting y / 2**e (exact) and scaling the
        # coefficients back by 2**e changes no digit, and keeps the solves, the
        # cross-validation errors and the predictions' sums at unit scale however
        # large or small y is (1e300 would overflow a squared error or a sum).
        self._target_exponent = int(_binary_exponent(y))
        y = np.ldexp(y, -self._target_exponent)
        fields = self._fields(molecules)
        self._reporter().line(
            f"fields of {len(fields.numbers)} atoms in {len(molecules)} molecules"
        )
        self.widths_ = widths
        self.elements_ = np.unique(fields.numbers)
        self.offset_, self.scale_ = log_scaling(fields.fields, self.eps)
        self._training_atoms = (
            scaled_logs(fields.fields, self.offset_, self.scale_),
            fields.molecule,
            fields.numbers,
            len(y),
        )
        self.n_atoms_fit_ = len(fields.numbers)
        counts = self._counts(fields.numbers, fields.molecule, len(y))
        if sample_weight is None:
            self.dressed_atoms_, *_ = np.linalg.lstsq(counts, y, rcond=None)
            residual = y - counts @ self.dressed_atoms_
            self.intercept_ = float(residual.mean())
            return residual
        root = np.sqrt(sample_weight)
        self.dressed_atoms_, *_ = np.linalg.lstsq(
            counts * root[:, None], y * root, rcond=None
        )
        residual = y - counts @ self.dressed_atoms_
        self.intercept_ = float(np.average(residual, weights=sample_weight))
        return residual

    def _fit_dual(self, kernel, residual, alpha):
        """Solve ``(K + alpha I) c = residual - intercept`` (``kernel`` is overwritten)."""
        kernel[np.diag_indices_from(kernel)] += alpha
        try:
            factor = cho_factor(kernel, lower=True, overwrite_a=True)
        except LinAlgError as error:
            raise ValueError(
                f"the kernel matrix plus alpha={alpha} is not positive definite "
                "to rounding; increase alpha"
            ) from error
        self.dual_coef_ = cho_solve(factor, residual - self.intercept_)

    def _to_target_units(self, error_power=None):
        """Scale the fitted coefficients (and ``cv_errors_``) back to ``y``'s units.

        Everything is fitted on ``y / 2**e`` (see :meth:`_fit_atoms`); this ends a
        ``fit``. A ValueError names the target's scale when a coefficient, or a
        cross-validation error of power ``error_power``, does not fit in float64.
        """
        exponent = self._target_exponent
        with np.errstate(over="ignore"):
            for name in ("dressed_atoms_", "intercept_", "dual_coef_"):
                setattr(self, name, np.ldexp(getattr(self, name), exponent))
            self.intercept_ = float(self.intercept_)
            if error_power is not None:
                self.cv_errors_ = np.ldexp(self.cv_errors_, error_power * exponent)
        if not all(
            np.all(np.isfinite(getattr(self, name)))
            for name in ("dressed_atoms_", "intercept_", "dual_coef_")
        ):
            raise ValueError(
                f"the fitted coefficients overflow float64 in the units of y (target "
                f"at scale 2**{exponent}; the dual coefficients are of the order of "
                "the target over the ridge alpha). Rescale y towards unit scale."
            )
        if error_power is not None and not np.all(np.isfinite(self.cv_errors_)):
            raise ValueError(
                f"the cross-validation errors overflow float64 (target at scale "
                f"2**{exponent}, {self.error} errors). Use error='absolute' or rescale "
                "y towards unit scale."
            )

    def _model_fields(self, molecules, return_gradients=False):
        """The fields of molecules, refusing elements the model never saw."""
        fields = atom_fields(
            molecules,
            sigma=self.sigma,
            J=self.J,
            L=self.L,
            channels=self.channels,
            sigma_0=self.sigma_0,
            scales_per_octave=self.scales_per_octave,
            n_jobs=self.n_jobs,
            return_gradients=return_gradients,
        )
        unseen = ~np.isin(fields.numbers, self.elements_)
        if unseen.any():
            row = int(np.flatnonzero(unseen)[0])
            raise ValueError(
                f"molecule {fields.molecule[row]}: element Z={fields.numbers[row]} "
                f"was not in the training molecules (elements {self.elements_.tolist()})"
            )
        return fields

    def predict(self, X):
        """Predict the target of molecules.

        Parameters
        ----------
        X : sequence or ndarray
            Molecules; every element must have been seen in training.

        Returns
        -------
        y_pred : ndarray of shape (n_molecules,)

        Raises
        ------
        ValueError
            When a prediction does not fit in float64 (naming the molecule).
        """
        check_is_fitted(self, "dual_coef_")
        molecules = as_molecules(X)
        return self._energies(self._model_fields(molecules), len(molecules))

    def predict_forces(self, X):
        """Predict the forces on the atoms of molecules: ``-∂y/∂r`` per atom.

        The exact derivative of :meth:`predict` with respect to each atom's
        position (closed form through the kernel, the descriptors and the fields;
        doc/definition.rst §8), in the target's unit per Å: eV/Å for a target in
        eV. The forces of a molecule add up to zero, rotate with it and follow its
        atom order. Where a field of an atom vanishes by symmetry (``l >= 1`` at a
        centre of symmetry) the energy has a cusp and its derivative in that field
        is taken as 0.

        Parameters
        ----------
        X : sequence or ndarray
            Molecules; every element must have been seen in training.

        Returns
        -------
        forces : list of ndarray of shape (n_atoms, 3)
            One array per molecule, rows in the molecule's atom order.
        """
        return self.predict_energy_forces(X)[1]

    def predict_energy_forces(self, X):
        """Predict the target and the forces of molecules in one pass of the fields.

        Parameters
        ----------
        X : sequence or ndarray
            Molecules; every element must have been seen in training.

        Returns
        -------
        y_pred : ndarray of shape (n_molecules,)
            As :meth:`predict` (equal to rounding: the sums run in another order).
        forces : list of ndarray of shape (n_atoms, 3)
            As :meth:`predict_forces`.
        """
        check_is_fitted(self, "dual_coef_")
        molecules = as_molecules(X)
        fields = self._model_fields(molecules, return_gradients=True)
        exponent = getattr(self, "_target_exponent", 0)
        atomic, descriptor_gradient = kernel_descriptor_gradient(
            scaled_logs(fields.fields, self.offset_, self.scale_),
            fields.numbers,
            self._element_blocks(),
            self.widths_,
        )
        counts = self._counts(fields.numbers, fields.molecule, len(molecules))
        scaled = (
            counts @ np.ldexp(self.dressed_atoms_, -exponent)
            + np.ldexp(self.intercept_, -exponent)
            + np.bincount(fields.molecule, atomic, minlength=len(molecules))
        )
        forces = forces_from_descriptor_gradient(
            descriptor_gradient, fields, self.offset_, self.scale_
        )
        with np.errstate(over="ignore"):
            energies = np.ldexp(scaled, exponent)
            forces = [np.ldexp(f, exponent) for f in forces]
        for index, force in enumerate(forces):
            if not (np.isfinite(energies[index]) and np.all(np.isfinite(force))):
                raise ValueError(
                    f"the energy or forces of molecule {index} overflow float64 "
                    f"(target fitted at scale 2**{exponent})"
                )
        return energies, forces

    def _element_blocks(self):
        """:func:`~.forces.element_blocks` of the fitted model, kept until it is fit
        again: an MD step evaluates one small molecule, for which regrouping the
        model's atoms by element would cost more than the kernel itself. Not
        pickled (see ``__getstate__``)."""
        fitted = (self.dual_coef_, self._training_atoms)
        cached = self.__dict__.get("_element_blocks_cache")
        if cached is None or any(
            a is not b for a, b in zip(cached[0], fitted, strict=True)
        ):
            exponent = getattr(self, "_target_exponent", 0)
            # At the scale the model was fitted at, as in predict (see _fit_atoms).
            coefficients = np.ldexp(self.dual_coef_, -exponent)[self._training_atoms[1]]
            cached = (fitted, element_blocks(self._training_atoms, coefficients))
            self._element_blocks_cache = cached
        return cached[1]

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_element_blocks_cache", None)
        return state

    def __setstate__(self, state):
        # A model saved before scales_per_octave existed has one scale per octave.
        super().__setstate__({"scales_per_octave": 1, **state})

    def _energies(self, fields, n_molecules):
        """The predicted target from the molecules' fields."""
        descriptors = scaled_logs(fields.fields, self.offset_, self.scale_)
        new = (descriptors, fields.molecule, fields.numbers, n_molecules)
        kernel = summed_atom_kernel(
            new, self._training_atoms, self.widths_, self.n_jobs
        )
        counts = self._counts(fields.numbers, fields.molecule, n_molecules)
        # Summed at the scale the model was fitted at (exactly, see _fit_atoms).
        exponent = getattr(self, "_target_exponent", 0)
        scaled = (
            counts @ np.ldexp(self.dressed_atoms_, -exponent)
            + np.ldexp(self.intercept_, -exponent)
            + kernel @ np.ldexp(self.dual_coef_, -exponent)
        )
        with np.errstate(over="ignore"):
            prediction = np.ldexp(scaled, exponent)
        bad = np.flatnonzero(~np.isfinite(prediction))
        if bad.size:
            raise ValueError(
                f"the prediction of molecule {bad[0]} overflows float64 (target "
                f"fitted at scale 2**{exponent}, prediction {scaled[bad[0]]:.3g} "
                f"times 2**{exponent})"
            )
        return prediction
