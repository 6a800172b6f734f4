"""The shipped GFN2-xTB ethanol sample: shapes, units and physical consistency."""

import numpy as np

from skscatharm.datasets import load_ethanol_xtb_sample


def test_sample_holds_ethanol_configurations_with_energies_and_forces():
    sample = load_ethanol_xtb_sample()
    assert sample.data.shape == (60, 9, 4)
    assert sample.forces.shape == (60, 9, 3)
    numbers = sample.data[:, :, 0].astype(int)
    assert np.all(np.sort(numbers, axis=1) == [1, 1, 1, 1, 1, 1, 6, 6, 8])
    # Forces of an isolated molecule add up to zero; energies near GFN2's -310 eV.
    assert np.abs(sample.forces.sum(axis=1)).max() < 1e-6
    assert np.all(np.abs(sample.target + 310.0) < 2.0)
    X, y = load_ethanol_xtb_sample(return_X_y=True)
    np.testing.assert_array_equal(X, sample.data)
    np.testing.assert_array_equal(y, sample.target)


def test_energies_and_forces_agree_along_the_trajectory():
    # Consecutive configurations are 10 fs apart: the energy change is close to
    # minus the work of the mean force along the displacement (trapezoid rule).
    sample = load_ethanol_xtb_sample()
    R, F, E = sample.data[:, :, 1:], sample.forces, sample.target
    work = -0.5 * ((F[1:] + F[:-1]) * (R[1:] - R[:-1])).sum(axis=(1, 2))
    dE = np.diff(E)
    assert np.corrcoef(work, dE)[0, 1] > 0.9
