"""Input checks, weighted standardisation and coordinate changes for the regressors.

The bilinear models are fitted on standardised features ``z = (x - mean) / scale``
and a standardised target ``(y - y_mean) / y_scale``; the fitted coefficients are
then mapped back to the user's original units with :func:`_to_original_units`.
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


def _weighted_standardize(X, y, sample_weight, fit_intercept):
    """Standardise ``X`` and ``y`` with weighted statistics.

    Returns ``Z, y_std, x_mean, x_scale, y_mean, y_scale`` (all float64).
    With ``fit_intercept=False`` nothing is centred and the scales are the
    weighted root mean squares, so that the model keeps no constant term.
    A zero scale (constant or all-zero column, constant target) is replaced by 1,
    which leaves a zero column instead of NaN.
    """
    w = sample_weight / sample_weight.sum()
    if fit_intercept:
        x_mean = w @ X
        y_mean = float(w @ y)
    else:
        x_mean = np.zeros(X.shape[1])
        y_mean = 0.0
    Z = X - x_mean
    y_c = y - y_mean
    x_scale = np.sqrt(w @ (Z * Z))
    y_scale = float(np.sqrt(w @ (y_c * y_c)))
    # Guard against scales at rounding level of the data (constant columns).
    tiny_x = 1e-12 * np.maximum(np.abs(x_mean), np.finfo(np.float64).tiny)
    constant = ~(x_scale > tiny_x)
    x_scale = np.where(constant, 1.0, x_scale)
    if not y_scale > 1e-12 * max(abs(y_mean), np.finfo(np.float64).tiny):
        y_scale = 1.0
    Z /= x_scale
    Z[:, constant] = 0.0
    return Z, y_c / y_scale, x_mean, x_scale, y_mean, y_scale


def _to_original_units(A, b, b0, x_mean, x_scale, y_mean, y_scale):
    """Map ``z^T A z + b.z + b0`` on standardised data back to original units.

    With ``z = (x - m) / s`` and ``y = y_mean + y_scale * f(z)`` this returns the
    symmetric matrix, linear coefficients and intercept of the same function
    written as ``x^T A' x + b'.x + b0'``.
    """
    inv = 1.0 / x_scale
    A_orig = y_scale * (A * inv[:, None] * inv[None, :])
    A_orig = 0.5 * (A_orig + A_orig.T)
    b_lin = y_scale * b * inv
    b_orig = b_lin - 2.0 * (A_orig @ x_mean)
    b0_orig = y_mean + y_scale * b0 + x_mean @ A_orig @ x_mean - b_lin @ x_mean
    return A_orig, b_orig, float(b0_orig)
