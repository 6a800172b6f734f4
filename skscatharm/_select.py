"""Keep the coefficients of some integral powers: sweeps over Q without new convolutions.

Every integral power is read off the same fields, and the power is the fastest-varying
index of the scattering output (SPEC.md column order), so the coefficients of a subset
of powers are a fixed set of columns of the coefficients of a superset. Computing the
superset once and selecting columns in the next pipeline step lets ``GridSearchCV``
tune the powers with ``Pipeline(memory=...)`` caching the scattering step.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted, validate_data


class SelectIntegralPowers(TransformerMixin, BaseEstimator):
    """Select the columns of some integral powers from scattering coefficients.

    Place it after a :class:`~skscatharm.SolidHarmonicScattering` whose ``Q`` holds
    every power of the sweep (``computed_Q``); tuning ``Q`` here then costs a column
    selection instead of a new scattering transform.

    Parameters
    ----------
    Q : sequence of float
        Powers to keep, a subset of ``computed_Q``; the output keeps their order in
        ``computed_Q``.
    computed_Q : sequence of float, default=(0.5, 1.0, 2.0, 3.0)
        The ``Q`` of the scattering step that produced the input.

    Attributes
    ----------
    n_features_in_ : int
        Number of input columns (a multiple of ``len(computed_Q)``).
    feature_names_in_ : ndarray of str
        Input column names, when the input had string column names.
    support_ : ndarray of bool of shape (n_features_in_,)
        The kept columns.

    See Also
    --------
    SolidHarmonicScattering : Computes the coefficients.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatharm import SelectIntegralPowers
    >>> coefficients = np.arange(8.0).reshape(1, 8)  # 2 rows of powers (1, 2, 3, 4)
    >>> SelectIntegralPowers(Q=(2, 4), computed_Q=(1, 2, 3, 4)).fit_transform(
    ...     coefficients)
    array([[1., 3., 5., 7.]])
    """

    _parameter_constraints = {"Q": ["array-like"], "computed_Q": ["array-like"]}

    def __init__(self, Q=(0.5, 1.0, 2.0, 3.0), computed_Q=(0.5, 1.0, 2.0, 3.0)):
        self.Q = Q
        self.computed_Q = computed_Q

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check that ``Q`` is a subset of ``computed_Q`` and that ``X`` fits it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Scattering coefficients computed with ``Q = computed_Q``.
        y : None
            Ignored.

        Returns
        -------
        self : SelectIntegralPowers
        """
        X = validate_data(self, X)
        computed = np.atleast_1d(np.asarray(self.computed_Q, dtype=float))
        kept = np.atleast_1d(np.asarray(self.Q, dtype=float))
        missing = sorted(float(q) for q in set(kept) - set(computed))
        if missing or kept.size == 0:
            raise ValueError(
                f"Q={self.Q} must be a non-empty subset of computed_Q="
                f"{self.computed_Q}; missing {missing}"
            )
        if X.shape[1] % computed.size:
            raise ValueError(
                f"X has {X.shape[1]} columns, not a multiple of "
                f"len(computed_Q)={computed.size}: it was not computed with "
                f"Q={self.computed_Q}"
            )
        self.support_ = np.tile(np.isin(computed, kept), X.shape[1] // computed.size)
        return self

    def transform(self, X):
        """Keep the columns of the selected powers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)

        Returns
        -------
        X_selected : ndarray of shape (n_samples, n_kept)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return X[:, self.support_]

    def get_feature_names_out(self, input_features=None):
        """Names of the kept columns.

        Parameters
        ----------
        input_features : array-like of str, optional
            Input names; defaults to ``feature_names_in_`` or ``x0, x1, ...``.

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(
                self,
                "feature_names_in_",
                np.array([f"x{i}" for i in range(self.n_features_in_)], dtype=object),
            )
        return np.asarray(input_features, dtype=object)[self.support_]
