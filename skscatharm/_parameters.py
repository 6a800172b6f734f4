"""Parameter constraints shared by every estimator and function that takes them.

One definition of what a valid ``sigma``, ``J``, ``L``, ``channels`` or ``sigma_0``
is, reused (as scikit-learn's ``_parameter_constraints`` entries) by
:class:`~skscatharm.SolidHarmonicScattering`, :func:`~skscatharm.atom_fields` and
the atom-kernel models, so that they accept and refuse the same values.
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval

#: The density and wavelets (doc/definition.rst §1-2): atom width, scales, degrees.
WAVELET_CONSTRAINTS = {
    "sigma": [Interval(Real, 0, None, closed="neither")],
    "J": [Interval(Integral, 0, None, closed="left")],
    "L": [Interval(Integral, 0, None, closed="left")],
    "channels": ["array-like"],
    "sigma_0": [None, Interval(Real, 0, None, closed="neither")],
}

#: Processes or threads, with joblib's conventions (None: 1, -1: all cores).
N_JOBS_CONSTRAINT = [None, Integral]
