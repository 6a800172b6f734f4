"""Accuracy contract (doc/definition.rst §5) against references computed independently.

``tests/_reference.py`` samples the density on one large periodic grid and does every
convolution with full FFTs (kymatio's method, at a much finer spacing and larger box):
it shares no code path with the package beyond NumPy/SciPy.
"""

import numpy as np
import pytest
from _reference import reference_coefficients

from skscatharm import SolidHarmonicScattering

Q = (0.5, 1.0, 2.0, 3.0)


def _smallest(qm7):
    X = qm7[0]
    n_atoms = (X[:, :, 0] > 0).sum(1)
    row = X[int(np.argmin(n_atoms))]
    row = row[row[:, 0] > 0]
    return row[:, 0].astype(int), row[:, 1:]


@pytest.fixture(scope="module")
def reference_case(qm7):
    """Methane (smallest QM7 sample molecule), wide Gaussians so the brute force fits."""
    Z, R = _smallest(qm7)
    sigma, J, L = 0.75, 1, 1
    t0 = np.sqrt(2) * sigma
    reference = reference_coefficients(
        R, Z.astype(float), sigma, J, L, Q, spacing=t0 / 6, margin=16.0
    )
    return (Z, R), dict(sigma=sigma, J=J, L=L, Q=Q, channels=("full",)), reference


def test_default_accuracy_against_brute_force_reference(reference_case):
    molecule, params, reference = reference_case
    values = SolidHarmonicScattering(**params).fit_transform([molecule])[0]
    np.testing.assert_allclose(values, reference, rtol=1e-3)


def test_accuracy_setting_trades_precision(reference_case):
    """A finer setting is closer to the reference than a coarse one."""
    molecule, params, reference = reference_case
    errors = {}
    for oversampling in (2.0, 6.0):
        values = SolidHarmonicScattering(oversampling=oversampling, **params)
        errors[oversampling] = np.abs(
            values.fit_transform([molecule])[0] / reference - 1
        )
    assert errors[6.0].max() < errors[2.0].max()
    assert errors[6.0].max() < 3e-4


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["qm7", "qm9"])
def test_default_accuracy_against_converged_setting(dataset, request):
    """Default setting within 1e-3 of a converged setting (oversampling 8) on the
    largest sample molecule and two random ones, with the default sigma, J, L, Q."""
    X = request.getfixturevalue(dataset)[0]
    n_atoms = (X[:, :, 0] > 0).sum(1)
    chosen = [int(np.argmax(n_atoms)), 17, 101]
    default = SolidHarmonicScattering().fit_transform(X[chosen])
    converged = SolidHarmonicScattering(oversampling=8.0, tail_tolerance=1e-12)
    np.testing.assert_allclose(default, converged.fit_transform(X[chosen]), rtol=1e-3)


@pytest.mark.slow
def test_odd_degree_aliasing_breaks_coarse_not_the_default(qm7):
    """Methane with L = 2 against the brute force: the kinks of |U1[l=1]| at the
    carbon (a zero of the smoothed density's gradient) alias into the coefficients
    at 2 points per width ("coarse"), past the contract; the default holds it."""
    Z, R = _smallest(qm7)
    sigma, J, L = 0.75, 1, 2
    reference = reference_coefficients(
        R, Z.astype(float), sigma, J, L, Q, spacing=np.sqrt(2) * sigma / 6, margin=16.0
    )
    params = dict(sigma=sigma, J=J, L=L, Q=Q, channels=("full",))

    def worst_error(**setting):
        transform = SolidHarmonicScattering(**params, **setting)
        return np.abs(transform.fit_transform([(Z, R)])[0] / reference - 1).max()

    assert worst_error() <= 1e-3
    assert worst_error(oversampling="coarse") > 1e-3
