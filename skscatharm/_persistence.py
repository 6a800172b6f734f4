"""Pickles record the package version; loading one under another version warns.

scikit-learn does this for its own estimators only (``_sklearn_version``, for
modules named ``sklearn.*``). A model of this package saved by one release and
loaded by another may predict differently, or fail later in an obscure way, since
a fitted attribute's meaning can change between releases; so every estimator of
the package stores the version it was saved with, and loading it under another
one emits an :class:`InconsistentVersionWarning`.
"""

import warnings

from ._version import __version__

#: Key of the version in a pickled estimator's state.
VERSION_KEY = "_skscatharm_version"
#: What a pickle saved before versions were recorded reads as.
UNKNOWN_VERSION = "unknown (saved before versions were recorded)"


class InconsistentVersionWarning(UserWarning):
    """An estimator was unpickled under another skscatharm version than it was saved.

    Parameters
    ----------
    estimator_name : str
        Class of the estimator.
    current_version : str
        The version loading it.
    original_version : str
        The version that saved it.

    See Also
    --------
    sklearn.exceptions.InconsistentVersionWarning : The same for scikit-learn's own
        estimators.

    Examples
    --------
    >>> import warnings
    >>> from skscatharm import InconsistentVersionWarning
    >>> warnings.simplefilter("error", InconsistentVersionWarning)  # doctest: +SKIP
    """

    def __init__(self, *, estimator_name, current_version, original_version):
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version
        super().__init__(str(self))

    def __str__(self):
        return (
            f"Trying to unpickle estimator {self.estimator_name} from skscatharm "
            f"version {self.original_version} when using version "
            f"{self.current_version}. This might lead to breaking code or invalid "
            "results. Use at your own risk; refit the estimator under this version "
            "to be sure."
        )


class VersionedPickleMixin:
    """Record the package version in pickles; warn on load under another version.

    Put it first among the bases, before scikit-learn's ``BaseEstimator``, whose
    ``__getstate__``/``__setstate__`` it extends.
    """

    def __getstate__(self):
        state = super().__getstate__()
        return dict(state.items(), **{VERSION_KEY: __version__})

    def __setstate__(self, state):
        # A copy: the caller's dict stays as it was (copy.copy passes its own).
        state = dict(state)
        saved = state.pop(VERSION_KEY, UNKNOWN_VERSION)
        if saved != __version__:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_version=__version__,
                    original_version=saved,
                ),
                stacklevel=2,
            )
        super().__setstate__(state)
