"""Two models of one target in sequence: a second one fits what the first leaves.

The atom-kernel models and the models on the scattering coefficients see a molecule
in two ways: as a sum of atomic environments, and as a whole. Where the second view
knows something the first misses (collective vibrations for the heat capacity, say),
a model of the first one's residual on the global coefficients adds it; the
validation split decides whether it does (``benchmarks/RESULTS.md``, QM9).
"""

import time
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_predict
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._persistence import VersionedPickleMixin
from ._verbose import Reporter
from ._wrapping import WrappedFeatureCount, checked_target, fit_clone


class ResidualCorrectionRegressor(
    WrappedFeatureCount, VersionedPickleMixin, RegressorMixin, BaseEstimator
):
    """A regressor plus a second regressor fit to what the first leaves.

    ``fit(X, y)`` fits ``estimator`` on ``(X, y)``, then ``correction`` on
    ``(X, y - r)``, where ``r`` is the first model's prediction of the training
    molecules (in-sample, or out-of-fold with ``cv``); ``predict(X)`` returns the sum
    of both predictions. Both receive the same ``X``: for molecules, typically an
    atom-kernel model and a pipeline that starts with
    :class:`SolidHarmonicScattering`.

    Parameters
    ----------
    estimator : estimator
        The first model, such as :class:`SparseAtomKernelRidge`.
    correction : estimator
        The model of the residual, such as
        ``make_pipeline(SolidHarmonicScattering(), FactorizedBilinearRegressor())``.
    cv : None, int, cross-validation generator, iterable or "prefit", default=None
        Which predictions of the first model the correction fits the residual of.

        - ``None``: the in-sample ones of ``estimator`` fit on all of ``X``. They
          are closer to ``y`` than predictions of new molecules (by how much
          depends on how flexible ``estimator`` is), so the correction sees too
          small a residual; a model with far fewer parameters than training
          samples (a sparse atom kernel on a large set) keeps the gap small.
        - int, splitter or iterable of splits: out-of-fold predictions
          (:func:`~sklearn.model_selection.cross_val_predict`), as new molecules
          would get them; costs as many extra fits of ``estimator`` as folds.
          Then ``estimator`` is fit on all of ``X``.
        - ``"prefit"``: ``estimator`` is already fitted; it is used as is, not
          refit (its in-sample residual if ``X`` is its training set).

    n_jobs : int or None, default=None
        Folds fitted in parallel when ``cv`` splits (joblib's convention).
    verbose : int, default=0
        When > 0, prints to standard output the time each stage took and the mean
        absolute residual the correction starts from.

    Attributes
    ----------
    estimator_ : estimator
        The fitted first model (``estimator`` itself with ``cv="prefit"``).
    correction_ : estimator
        The fitted correction.
    n_features_in_ : int
        Only when the fitted first model has it (numeric ``X``).

    See Also
    --------
    sklearn.ensemble.StackingRegressor : Combines the predictions of several
        models by a final one, instead of fitting one model's residual.
    PerAtomRegressor : A target divided by each molecule's size.

    Notes
    -----
    ``sample_weight`` passed to ``fit`` reaches both models (and each fold's fit
    with ``cv``); the residual is weighed as the target is.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skscatharm import ResidualCorrectionRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = X @ [1.0, 2.0, 3.0] + np.sign(X[:, 0])
    >>> model = ResidualCorrectionRegressor(
    ...     Ridge(alpha=1e-6), DecisionTreeRegressor(max_depth=1), cv=5)
    >>> model.fit(X, y).predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "correction": [HasMethods(["fit", "predict"])],
        "cv": ["cv_object", StrOptions({"prefit"})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    _wrapped_model = "estimator_"

    def __init__(self, estimator, correction, *, cv=None, n_jobs=None, verbose=0):
        self.estimator = estimator
        self.correction = correction
        self.cv = cv
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _first_model(self, X, y, fit_params, reporter):
        """The fitted first model and its predictions that the residual is taken of."""
        start = time.perf_counter()
        if isinstance(self.cv, str):  # "prefit"
            try:
                check_is_fitted(self.estimator)
            except NotFittedError as error:
                raise NotFittedError(
                    "cv='prefit' needs a fitted estimator; fit it first or use cv=None"
                ) from error
            estimator = self.estimator
            predicted = estimator.predict(X)
            how = "prefit"
        elif self.cv is None:
            estimator = clone(self.estimator).fit(X, y, **fit_params)
            predicted = estimator.predict(X)
            how = "in-sample"
        else:
            predicted = cross_val_predict(
                clone(self.estimator),
                X,
                y,
                cv=self.cv,
                n_jobs=self.n_jobs,
                params=fit_params,
            )
            estimator = clone(self.estimator).fit(X, y, **fit_params)
            how = "out-of-fold"
        reporter.line(
            f"{type(estimator).__name__}: {how} predictions in "
            f"{time.perf_counter() - start:.1f} s"
        )
        return estimator, np.asarray(predicted, dtype=np.float64).reshape(y.shape)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit the first model, then the correction on its residual.

        Parameters
        ----------
        X : molecules or array-like
            What both models take.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            The target.
        **fit_params : dict
            Passed to both models' ``fit`` (e.g. ``sample_weight``).

        Returns
        -------
        self : ResidualCorrectionRegressor
        """
        y = checked_target(self, y)
        reporter = Reporter(type(self).__name__, self.verbose)
        self.estimator_, predicted = self._first_model(X, y, fit_params, reporter)
        residual = y - predicted
        reporter.line(f"mean absolute residual {np.abs(residual).mean():.6g}")
        self.correction_ = fit_clone(self.correction, X, residual, fit_params, reporter)
        return self

    def predict(self, X):
        """Predict the target: the first model's prediction plus the correction's.

        Parameters
        ----------
        X : molecules or array-like
            As in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        first = np.asarray(self.estimator_.predict(X))
        return first + np.asarray(self.correction_.predict(X)).reshape(first.shape)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        first, second = get_tags(self.estimator), get_tags(self.correction)
        tags.target_tags.multi_output = (
            first.target_tags.multi_output and second.target_tags.multi_output
        )
        for tag in ("allow_nan", "sparse"):
            setattr(
                tags.input_tags,
                tag,
                getattr(first.input_tags, tag) and getattr(second.input_tags, tag),
            )
        return tags
