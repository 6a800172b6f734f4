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

#: Workers, with joblib's convention: None is 1 unless inside a
#: ``joblib.parallel_config`` context, -1 is all cores, -2 all but one. What runs in
#: parallel (processes over molecules, threads over atom pairs) is said by each
#: estimator's docstring; no result depends on it. The conventions of ``n_jobs``,
#: ``verbose`` and ``random_state`` are in doc/user_guide.rst ("Parameters shared
#: by the estimators") and, for ``verbose``, in :mod:`skscatharm._verbose`.
N_JOBS_CONSTRAINT = [None, Integral]

#: Wavelet scales per octave of the atom fields (doc/definition.rst §7), shared by
#: :func:`~skscatharm.atom_fields` and the atom-kernel models.
SCALES_PER_OCTAVE_CONSTRAINT = [Interval(Integral, 1, None, closed="left")]
