"""Fit a regressor to an extensive target divided by the size of each molecule.

Atomization energies grow about linearly with the number of heavy atoms (each brings
its bonds and its hydrogens). A model of the energy per heavy atom, multiplied back by
the count, extrapolates from the molecules of a training set to smaller and larger ones
better than a model of the energy itself: on QM7 it lowers the error of the twelve
bilinear models of ``benchmarks/common/models.py`` on each of the 5 folds
(``benchmarks/RESULTS.md``).
"""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import _num_samples, check_is_fitted

from ._core.molecules import as_molecules
from ._persistence import VersionedPickleMixin
from ._transformer import SolidHarmonicScattering
from ._verbose import Reporter
from ._wrapping import WrappedFeatureCount, checked_target, fit_clone
from .regression import BilinearRegressor

_COUNTS = {
    "heavy": lambda molecule: int(np.count_nonzero(molecule.numbers > 1)),
    "all": lambda molecule: molecule.n_atoms,
}


def _per_row(sizes, ndim):
    """``sizes`` shaped to scale the rows of a target of ``ndim`` dimensions."""
    return sizes if ndim == 1 else sizes[:, None]


class PerAtomRegressor(
    WrappedFeatureCount, VersionedPickleMixin, RegressorMixin, BaseEstimator
):
    """Regress a size-extensive target per atom and scale the predictions back.

    ``fit(X, y)`` fits ``regressor`` on ``(X, y / n)`` and ``predict(X)`` returns
    ``n * regressor.predict(X)``, where ``n`` is the number of atoms (by default the
    heavy atoms) of each molecule in ``X``. ``X`` reaches the regressor unchanged, so
    it is usually a pipeline that starts with :class:`SolidHarmonicScattering`.

    Parameters
    ----------
    regressor : estimator, default=None
        The model of the target per atom. ``None`` means
        ``make_pipeline(SolidHarmonicScattering(), BilinearRegressor())``.
    atoms : {"heavy", "all"}, callable or None, default="heavy"
        The size ``n`` of each molecule.

        - ``"heavy"``: atoms other than hydrogen; a molecule without any (H2) is an
          error, since it has no energy per heavy atom.
        - ``"all"``: every atom.
        - callable: ``atoms(X)`` returns the sizes, an array of shape
          ``(n_samples,)`` of positive numbers; for an ``X`` that is not molecules,
          such as precomputed features with the sizes in a column.
        - ``None``: no division, the wrapped regressor alone (so that a grid search
          can choose whether to divide).

    verbose : int, default=0
        When > 0, prints to standard output the range of the sizes and the time
        the wrapped regressor's fit took (the regressor's own progress follows its
        own ``verbose``).

    Attributes
    ----------
    regressor_ : estimator
        The fitted clone of ``regressor``.
    n_features_in_ : int
        Only when the fitted regressor has it (numeric ``X``).

    See Also
    --------
    sklearn.compose.TransformedTargetRegressor : Transforms of the target alone.

    Notes
    -----
    Least squares on ``y / n`` weigh each molecule's squared error on ``y`` by
    ``1 / n**2``: the errors of small molecules count more than with ``y``.
    ``sample_weight`` passed to ``fit`` reaches the regressor unchanged.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skscatharm import (
    ...     BilinearRegressor, PerAtomRegressor, SolidHarmonicScattering)
    >>> from skscatharm.datasets import load_qm7_sample
    >>> X, y = load_qm7_sample(return_X_y=True)
    >>> model = PerAtomRegressor(
    ...     make_pipeline(SolidHarmonicScattering(J=0, L=0), BilinearRegressor()))
    >>> model.fit(X[:12], y[:12]).predict(X[12:15]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        "regressor": [HasMethods(["fit", "predict"]), None],
        "atoms": [StrOptions(set(_COUNTS)), callable, None],
        "verbose": ["verbose"],
    }

    _wrapped_model = "regressor_"

    def __init__(self, regressor=None, *, atoms="heavy", verbose=0):
        self.regressor = regressor
        self.atoms = atoms
        self.verbose = verbose

    def _regressor(self):
        """``regressor``, or the default pipeline when it is ``None``."""
        if self.regressor is None:
            return make_pipeline(SolidHarmonicScattering(), BilinearRegressor())
        return self.regressor

    def _sizes(self, X, n_samples):
        """The size of each of the ``n_samples`` molecules of ``X``, validated
        (``None``: no division)."""
        if self.atoms is None:
            return None
        if callable(self.atoms):
            sizes = np.asarray(self.atoms(X), dtype=np.float64)
            what = f"atoms({type(X).__name__})"
        else:
            count = _COUNTS[self.atoms]
            sizes = np.array([count(m) for m in as_molecules(X)], dtype=np.float64)
            what = f"the number of {'heavy ' if self.atoms == 'heavy' else ''}atoms"
        if sizes.shape != (n_samples,):
            raise ValueError(
                f"{what} must have shape ({n_samples},), one size per molecule; "
                f"got {sizes.shape}"
            )
        bad = np.flatnonzero(~(np.isfinite(sizes) & (sizes > 0)))
        if bad.size:
            hint = " (use atoms='all')" if self.atoms == "heavy" else ""
            raise ValueError(
                f"molecule {bad[0]}: {what} is {sizes[bad[0]]:g}; the target per atom "
                f"needs a positive size{hint}"
                + (f" ({bad.size} molecules in all)" if bad.size > 1 else "")
            )
        return sizes

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit the regressor on the target divided by each molecule's size.

        Parameters
        ----------
        X : molecules or array-like
            What ``regressor`` takes; molecules (see
            :class:`SolidHarmonicScattering`) unless ``atoms`` is a callable or
            ``None``.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Size-extensive targets, such as atomization energies.
        **fit_params : dict
            Passed to ``regressor.fit`` (e.g. ``sample_weight``).

        Returns
        -------
        self : PerAtomRegressor
        """
        y = checked_target(self, y)
        sizes = self._sizes(X, len(y))
        reporter = Reporter(type(self).__name__, self.verbose)
        if sizes is not None:
            y = y / _per_row(sizes, y.ndim)
            reporter.line(f"target divided by sizes {sizes.min():g} to {sizes.max():g}")
        self.regressor_ = fit_clone(self._regressor(), X, y, fit_params, reporter)
        return self

    def predict(self, X):
        """Predict the target: the regressor's prediction times each size.

        Parameters
        ----------
        X : molecules or array-like
            As in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        # Sizes first: a molecule without a size fails before the scattering runs.
        sizes = self._sizes(X, _num_samples(X))
        prediction = np.asarray(self.regressor_.predict(X))
        if sizes is None:
            return prediction
        with np.errstate(over="ignore"):
            prediction = prediction * _per_row(sizes, prediction.ndim)
        bad = np.flatnonzero(
            ~np.isfinite(prediction).reshape(len(prediction), -1).all(1)
        )
        if bad.size:
            raise ValueError(
                f"the prediction of molecule {bad[0]} overflows: the regressor's "
                f"prediction per atom times its size {sizes[bad[0]]:g} exceeds the "
                "largest float"
            )
        return prediction

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = get_tags(
            self._regressor()
        ).target_tags.multi_output
        return tags
