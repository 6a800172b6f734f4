"""Import kymatio 0.3.0 under SciPy >= 1.17 (benchmark only, never in the package).

kymatio 0.3.0's ``scattering3d/filter_bank.py`` does ``from scipy.special import
sph_harm`` and calls ``sph_harm(m, l, azimuthal, polar)``. SciPy 1.17 removed
``sph_harm``; its replacement has the degree/order and the two angles swapped:

    old: sph_harm(m, n, theta, phi)      theta = azimuth, phi = polar
    new: sph_harm_y(n, m, theta, phi)    theta = polar,   phi = azimuth

so ``sph_harm(m, n, az, pol) == sph_harm_y(n, m, pol, az)`` (same Condon-Shortley
phase and orthonormalisation; checked in ``check_conversion.py``).
"""

import scipy.special


def _sph_harm(m, n, theta, phi):
    """SciPy < 1.17 ``sph_harm``: theta = azimuth, phi = polar angle."""
    return scipy.special.sph_harm_y(n, m, phi, theta)


def load_kymatio():
    """Install the shim if needed, then return kymatio's numpy objects.

    Returns
    -------
    HarmonicScattering3D : type
        ``kymatio.numpy.HarmonicScattering3D`` (numpy frontend).
    generate_weighted_sum_of_gaussians : callable
        ``kymatio.scattering3d.utils.generate_weighted_sum_of_gaussians``.
    """
    if not hasattr(scipy.special, "sph_harm"):
        scipy.special.sph_harm = _sph_harm
    from kymatio.numpy import HarmonicScattering3D
    from kymatio.scattering3d.utils import generate_weighted_sum_of_gaussians

    return HarmonicScattering3D, generate_weighted_sum_of_gaussians
