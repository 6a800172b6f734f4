"""Keep some columns of scattering coefficients: sweeps without new convolutions.

Every integral power is read off the same fields, and the power is the fastest-varying
index of the scattering output (the column order of doc/definition.rst §3), so the coefficients of a subset
of powers are a fixed set of columns of the coefficients of a superset. The same holds
for scales and degrees: the coefficients of ``J=1, L=2`` are columns of those of
``J=2, L=3`` (each to the accuracy contract: the grids of a larger transform may be
larger). Computing the superset once and selecting columns in the next pipeline step
lets ``GridSearchCV`` tune ``Q``, ``J``, ``L`` and ``max_order`` with the scattering
step cached (``SolidHarmonicScattering(memory=...)`` or ``Pipeline(memory=...)``).
"""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._core.plan import wavelet_layout
from ._persistence import VersionedPickleMixin


class _ColumnSelector(VersionedPickleMixin, TransformerMixin, BaseEstimator):
    """Keeps the columns ``support_`` set by the subclass's ``fit``."""

    def transform(self, X):
        """Keep the selected columns.

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


class SelectIntegralPowers(_ColumnSelector):
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
    SelectWavelets : Selects scales, degrees and orders the same way.

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


class SelectWavelets(_ColumnSelector):
    """Select the coefficients of fewer scales, degrees or orders.

    Place it after a :class:`~skscatharm.SolidHarmonicScattering` computed with the
    largest ``J``, ``L`` and ``max_order`` of a sweep (the ``computed_*`` parameters);
    tuning them here then costs a column selection instead of a new scattering
    transform. The kept columns equal the coefficients of the smaller transform to
    the accuracy contract (1e-3 relative at the default accuracy setting): a larger
    transform may sample its fields on larger grids.

    Parameters
    ----------
    J : int, default=None
        Keep scales ``j <= J`` (both scales of a second-order coefficient).
        None keeps ``computed_J``.
    L : int, default=None
        Keep degrees ``l <= L``. None keeps ``computed_L``.
    max_order : {0, 1, 2}, default=None
        Keep orders up to this one. None keeps ``computed_max_order``.
    computed_J, computed_L, computed_max_order : int, default=2, 3, 2
        The ``J``, ``L`` and ``max_order`` of the scattering step that produced the
        input.
    computed_Q : sequence of float, default=(0.5, 1.0, 2.0, 3.0)
        The ``Q`` of that step (only its length matters here).

    Attributes
    ----------
    n_features_in_ : int
        Number of input columns (a multiple of one channel's column count).
    feature_names_in_ : ndarray of str
        Input column names, when the input had string column names.
    support_ : ndarray of bool of shape (n_features_in_,)
        The kept columns.

    See Also
    --------
    SolidHarmonicScattering : Computes the coefficients.
    SelectIntegralPowers : Selects integral powers the same way.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatharm import SelectWavelets
    >>> # one channel, J=1, L=0, max_order=2, one power: S0, S1 j0, S1 j1, S2 j0-j1
    >>> coefficients = np.array([[10.0, 11.0, 12.0, 13.0]])
    >>> SelectWavelets(J=0, computed_J=1, computed_L=0, computed_Q=(1.0,)).fit_transform(
    ...     coefficients)
    array([[10., 11.]])
    """

    _parameter_constraints = {
        "J": [Interval(Integral, 0, None, closed="left"), None],
        "L": [Interval(Integral, 0, None, closed="left"), None],
        "max_order": [Interval(Integral, 0, 2, closed="both"), None],
        "computed_J": [Interval(Integral, 0, None, closed="left")],
        "computed_L": [Interval(Integral, 0, None, closed="left")],
        "computed_max_order": [Interval(Integral, 0, 2, closed="both")],
        "computed_Q": ["array-like"],
    }

    def __init__(
        self,
        J=None,
        L=None,
        max_order=None,
        computed_J=2,
        computed_L=3,
        computed_max_order=2,
        computed_Q=(0.5, 1.0, 2.0, 3.0),
    ):
        self.J = J
        self.L = L
        self.max_order = max_order
        self.computed_J = computed_J
        self.computed_L = computed_L
        self.computed_max_order = computed_max_order
        self.computed_Q = computed_Q

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check that the selection is within what was computed and that ``X`` fits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Scattering coefficients computed with the ``computed_*`` parameters.
        y : None
            Ignored.

        Returns
        -------
        self : SelectWavelets
        """
        X = validate_data(self, X)
        J = self.computed_J if self.J is None else self.J
        L = self.computed_L if self.L is None else self.L
        order = self.computed_max_order if self.max_order is None else self.max_order
        for name, kept, computed in (
            ("J", J, self.computed_J),
            ("L", L, self.computed_L),
            ("max_order", order, self.computed_max_order),
        ):
            if kept > computed:
                raise ValueError(
                    f"{name}={kept} exceeds computed_{name}={computed}: those "
                    "coefficients were not computed"
                )
        n_powers = np.atleast_1d(np.asarray(self.computed_Q, dtype=float)).size
        layout = wavelet_layout(
            self.computed_J, self.computed_L, self.computed_max_order, n_powers
        )
        per_channel = layout[0].size
        if X.shape[1] % per_channel:
            raise ValueError(
                f"X has {X.shape[1]} columns, not a multiple of the {per_channel} "
                f"coefficients per channel of J={self.computed_J}, L={self.computed_L}, "
                f"max_order={self.computed_max_order} and {n_powers} powers: it was "
                "not computed with the computed_* parameters"
            )
        col_order, j1, j2, degree = layout
        keep = (col_order <= order) & (j1 <= J) & (j2 <= J) & (degree <= L)
        self.support_ = np.tile(keep, X.shape[1] // per_channel)
        return self
