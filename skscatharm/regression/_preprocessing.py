"""Input checks, weighted standardisation and coordinate changes for the regressors.

The bilinear models are fitted on standardised features ``z = (x - mean) / scale``
and a standardised target ``(y - y_mean) / y_scale``, computed after an exact
division by a power of two so that data of any scale (1e-200 or 1e200) is
standardised without overflow or underflow (:class:`_Standardization`); the fitted
coefficients are then mapped back to the user's original units.
All statistics are weighted by ``sample_weight`` and normalised by the total
weight, so that an integer weight is exactly equivalent to repeating a sample.
"""

import numpy as np
from sklearn.utils.validation import _check_sample_weight, validate_data


def _check_fit_inputs(estimator, X, y, sample_weight):
    """Validate fit inputs; returns float64 ``X``, ``y`` and weights."""
    X, y = validate_data(
        estimator,
        X,
        y,
        dtype=[np.float64, np.float32],
        y_numeric=True,
        multi_output=False,
    )
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    if not sample_weight.sum() > 0:
        raise ValueError("The sum of sample_weight must be positive.")
    X64 = np.asarray(X, dtype=np.float64)
    return X64, np.asarray(y, dtype=np.float64), sample_weight


def _binary_exponent(values, axis=None):
    """The exponent ``e`` with ``|values| < 2**e``, at most, of ``values`` along ``axis``.

    Dividing by ``2**e`` (``np.ldexp(values, -e)``) is exact in floating point (it
    changes the exponent, not the digits; only numbers that become subnormal lose
    digits, and those are below ``2**-1022`` of the largest), and it brings the
    largest magnitude into ``[0.5, 1)``.  Every statistic is then computed at unit
    scale, where neither squares overflow nor small values underflow.  Zero has
    exponent 0.
    """
    return np.frexp(np.abs(values).max(axis=axis))[1]


class _Standardization:
    """Weighted standardisation of the features and target, and its inverse.

    ``z = (x / 2**ex - mean) / scale`` and ``y = 2**ey (y_mean + y_scale t)``:
    the power-of-two exponents ``ex`` (one per feature) and ``ey`` carry the data's
    scale exactly, so the means and scales are numbers of order one whatever the
    scale of ``X`` and ``y`` (features of 1e200, a target of 1e300): fitting on
    ``(2**k X, 2**m y)`` gives the same standardised problem, to the last bit, as
    on ``(X, y)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,)
        Non-negative, with a positive sum.
    fit_intercept : bool
        Centre the data; with False nothing is centred and the scales are the
        weighted root mean squares, so that the model keeps no constant term.

    Attributes
    ----------
    Z : ndarray of shape (n_samples, n_features)
        The standardised features (deleted by :meth:`release`).
    t : ndarray of shape (n_samples,)
        The standardised target.
    """

    def __init__(self, X, y, sample_weight, fit_intercept):
        w = sample_weight / sample_weight.sum()
        self.x_exponent = _binary_exponent(X, axis=0)
        self.y_exponent = int(_binary_exponent(y))
        Z = np.ldexp(X, -self.x_exponent)
        y = np.ldexp(y, -self.y_exponent)
        if fit_intercept:
            self.x_mean = w @ Z
            self.y_mean = float(w @ y)
        else:
            self.x_mean = np.zeros(X.shape[1])
            self.y_mean = 0.0
        Z -= self.x_mean
        y_c = y - self.y_mean
        x_scale = np.sqrt(w @ (Z * Z))
        y_scale = float(np.sqrt(w @ (y_c * y_c)))
        # A zero scale (constant or all-zero column, constant target), or one at the
        # rounding level of the data, is replaced by 1: a zero column, not NaN.
        tiny_x = 1e-12 * np.maximum(np.abs(self.x_mean), np.finfo(np.float64).tiny)
        self.constant = ~(x_scale > tiny_x)
        self.x_scale = np.where(self.constant, 1.0, x_scale)
        if not y_scale > 1e-12 * max(abs(self.y_mean), np.finfo(np.float64).tiny):
            y_scale = 1.0
        self.y_scale = y_scale
        Z /= self.x_scale
        Z[:, self.constant] = 0.0
        self.Z = Z
        self.t = y_c / y_scale

    def release(self):
        """Drop the standardised data (keep only what ``predict`` needs)."""
        del self.Z, self.t

    def features(self, X):
        """Standardised features of new samples (float64)."""
        Z = np.ldexp(np.asarray(X, dtype=np.float64), -self.x_exponent)
        Z -= self.x_mean
        Z /= self.x_scale
        return Z

    def target(self, f, Z, dtype=np.float64):
        """Predictions in the units of ``y`` from standardised predictions ``f``.

        Returned in ``dtype`` (that of the input ``X``); raises a ValueError,
        naming the sample and the scale of its standardised features ``Z``, if one
        does not fit in it.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            y = np.ldexp(self.y_mean + self.y_scale * f, self.y_exponent)
            y = y.astype(dtype, copy=False)
        bad = np.flatnonzero(~np.isfinite(y))
        if bad.size:
            i = bad[0]
            raise ValueError(
                f"the prediction of sample {i} is not finite: it overflows "
                f"{np.dtype(dtype).name} "
                f"(the target was fitted at scale 2**{self.y_exponent}, and the "
                f"sample's standardised features reach {np.abs(Z[i]).max():.3g}, "
                "where the training samples have unit variance); its features are "
                "far outside the scale of the training data"
                + (f" ({bad.size} samples in all)" if bad.size > 1 else "")
            )
        return y

    def root_ratio(self, degree=2):
        """``y_scale**(1/degree) / x_scale`` in original units (the factors' scaling).

        A product of ``degree`` factors on the standardised features, times the
        target's scale, is the product of the same factors times this ratio on
        ``x - x_mean``.
        """
        whole, rest = divmod(self.y_exponent, degree)
        if degree == 2:
            root = np.sqrt(self.y_scale * 2.0**rest)
        else:
            root = (self.y_scale * 2.0**rest) ** (1.0 / degree)
        root = root / self.x_scale
        return _finite_in_units(
            np.ldexp(root, whole - self.x_exponent),
            scaling=self,
            degree=None if degree == 2 else degree,
        )

    def linear_to_original_units(self, b, b0):
        """Map ``b.z + b0`` on standardised data back to ``b'.x + b0'``.

        A ValueError names the scales when they do not fit in float64.
        """
        exponents = self.y_exponent - self.x_exponent
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            b_orig = np.ldexp(self.y_scale * b / self.x_scale, exponents)
            x_mean = np.ldexp(self.x_mean, self.x_exponent)
            b0_orig = float(
                np.ldexp(self.y_mean + self.y_scale * b0, self.y_exponent)
                - b_orig @ x_mean
            )
        _finite_in_units(b_orig, b0_orig, scaling=self, degree=1)
        return b_orig, b0_orig

    def mean(self):
        """The weighted feature means in original units (zeros without intercept)."""
        return np.ldexp(self.x_mean, self.x_exponent)

    def to_original_units(self, A, b, b0):
        """Map ``z^T A z + b.z + b0`` on standardised data back to original units.

        Returns the symmetric matrix, linear coefficients and intercept of the same
        function written as ``x^T A' x + b'.x + b0'``; a ValueError names the
        scales when they do not fit in float64.
        """
        inv = 1.0 / self.x_scale
        exponents = self.y_exponent - self.x_exponent
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            A_orig = np.ldexp(
                self.y_scale * (A * inv[:, None] * inv[None, :]),
                exponents[:, None] - self.x_exponent[None, :],
            )
            A_orig = 0.5 * (A_orig + A_orig.T)
            x_mean = np.ldexp(self.x_mean, self.x_exponent)
            b_lin = np.ldexp(self.y_scale * b * inv, exponents)
            b_orig = b_lin - 2.0 * (A_orig @ x_mean)
            b0_orig = float(
                np.ldexp(self.y_mean + self.y_scale * b0, self.y_exponent)
                + x_mean @ A_orig @ x_mean
                - b_lin @ x_mean
            )
        _finite_in_units(A_orig, b_orig, b0_orig, scaling=self)
        return A_orig, b_orig, b0_orig


def _finite_in_units(*arrays, scaling=None, degree=None):
    """Check that coefficients in the user's units are finite (ValueError if not).

    ``degree``, when given, is that of the coefficients' terms (a factor of a
    product of ``degree`` linear forms, or 1 for the linear part), which the
    message quotes; otherwise they are those of a quadratic form.
    """
    if all(np.all(np.isfinite(a)) for a in arrays):
        return arrays[0] if len(arrays) == 1 else arrays
    detail = ""
    if scaling is not None:
        detail = (
            f" (features at scales 2**{scaling.x_exponent.min()} to "
            f"2**{scaling.x_exponent.max()}, target at scale 2**{scaling.y_exponent})"
        )
    if degree is None:
        cause = (
            "a quadratic coefficient is of the order of the target's scale over "
            "the square of the features'"
        )
    elif degree == 1:
        cause = "a linear coefficient is of the order of the target's scale over the features'"
    else:
        cause = (
            f"a factor of a product of {degree} is of the order of the target's scale "
            f"to the power 1/{degree} over the features'"
        )
    raise ValueError(
        "the fitted model's coefficients in the units of X and y overflow float64"
        f"{detail}: {cause}. Rescale X (or y) towards unit scale."
    )
