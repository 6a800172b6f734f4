"""What the package's meta-estimators share: the target checked, a wrapped model's
clone fitted and timed, and the input's width read from the fitted model."""

import time

from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_array, check_is_fitted


def checked_target(estimator, y):
    """``y`` as a numeric array, with scikit-learn's error when it is missing."""
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None"
        )
    return check_array(y, input_name="y", ensure_2d=False, dtype="numeric")


def fit_clone(estimator, X, y, fit_params, reporter):
    """A fitted clone of ``estimator``; ``reporter`` prints how long the fit took."""
    start = time.perf_counter()
    fitted = clone(estimator).fit(X, y, **fit_params)
    reporter.line(
        f"{type(fitted).__name__} fitted in {time.perf_counter() - start:.1f} s"
    )
    return fitted


class WrappedFeatureCount:
    """``n_features_in_`` read from the fitted model named by ``_wrapped_model``."""

    #: Name of the fitted attribute that holds the wrapped model.
    _wrapped_model = None

    @property
    def n_features_in_(self):
        """Number of features seen during :meth:`fit` (numeric ``X`` only)."""
        # An AttributeError, as scikit-learn's meta-estimators raise, keeps
        # hasattr() False before fit and for molecule input.
        try:
            check_is_fitted(self)
        except NotFittedError as error:
            raise AttributeError(
                f"{type(self).__name__} has no n_features_in_ before fit"
            ) from error
        return getattr(self, self._wrapped_model).n_features_in_
