"""Forces of the atom-kernel models: ``-∂predict/∂r``, exact, invariant, equivariant."""

import copy

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from skscatharm import (
    AtomKernelRidge,
    AtomKernelRidgeCV,
    SparseAtomKernelRidge,
    SparseAtomKernelRidgeCV,
)
from skscatharm.datasets import load_qm7_sample

FIELDS = dict(J=1, L=2)

MODELS = {
    "AtomKernelRidge": AtomKernelRidge(width=(0.25, 1.0), **FIELDS),
    "AtomKernelRidgeCV": AtomKernelRidgeCV(
        widths=(0.5, (0.25, 1.0)), alphas=(1e-4, 1e-2), cv=3, **FIELDS
    ),
    "SparseAtomKernelRidge": SparseAtomKernelRidge(
        n_representatives=60, width=0.5, random_state=0, **FIELDS
    ),
    # Scales between octaves and a large log offset: the force-field settings.
    "SparseAtomKernelRidge-halves": SparseAtomKernelRidge(
        n_representatives=60,
        width=0.5,
        random_state=0,
        scales_per_octave=2,
        eps=3.0,
        **FIELDS,
    ),
    "SparseAtomKernelRidgeCV": SparseAtomKernelRidgeCV(
        n_representatives=60,
        widths=(0.5,),
        alphas=(1e-3,),
        cv=2,
        random_state=0,
        **FIELDS,
    ),
}


def _unpad(row):
    real = row[:, 0] > 0
    return row[real, 0].astype(int), row[real, 1:]


@pytest.fixture(scope="module")
def sample():
    X, y = load_qm7_sample(return_X_y=True)
    # Molecules of H, C, N, O only, so that every test molecule's elements were seen.
    plain = np.flatnonzero(~np.isin(X[:, :, 0], [16]).any(axis=1))
    train = plain[:40]
    tests = [_unpad(X[i]) for i in plain[[100, 200]]]
    return X[train], y[train], tests


@pytest.fixture(scope="module", params=list(MODELS))
def fitted(request, sample):
    from sklearn.base import clone

    X, y, _ = sample
    return clone(MODELS[request.param]).fit(X, y)


def _numerical_forces(model, Z, R, step=1e-4):
    """Five-point central differences of ``-predict``: error of order ``step**4``."""
    multiples = (2, 1, -1, -2)
    moved = []
    for atom in range(len(Z)):
        for axis in range(3):
            for multiple in multiples:
                shifted = R.copy()
                shifted[atom, axis] += multiple * step
                moved.append((Z, shifted))
    values = model.predict(moved).reshape(len(Z), 3, len(multiples))
    stencil = np.array([-1.0, 8.0, -8.0, 1.0]) / (12 * step)
    return -values @ stencil


def test_forces_are_minus_the_derivative_of_the_prediction(fitted, sample):
    for Z, R in sample[2]:
        (forces,) = fitted.predict_forces([(Z, R)])
        numerical = _numerical_forces(fitted, Z, R)
        assert np.abs(forces - numerical).max() < 1e-6 * np.abs(forces).max()


def _kernel_magnitude(model, molecules):
    """``Σ_n Σ_p |c_p| k(x_n, x_p)`` of each molecule: the scale of its sum's rounding."""
    magnitude = copy.deepcopy(model)
    magnitude.dual_coef_ = np.abs(model.dual_coef_)
    magnitude.dressed_atoms_ = np.zeros_like(model.dressed_atoms_)
    magnitude.intercept_ = 0.0
    return magnitude.predict(molecules)


def test_energies_and_forces_in_one_pass(fitted, sample):
    molecules = sample[2]
    energies, forces = fitted.predict_energy_forces(molecules)
    # Equal to rounding: the kernel sums run in another order, so they differ by
    # a few units of rounding of the sum of their terms' magnitudes (the sparse
    # models' coefficients cancel over orders of magnitude), not of the energy.
    predicted = fitted.predict(molecules)
    tolerance = 1e-14 * _kernel_magnitude(fitted, molecules) + 1e-12 * abs(predicted)
    assert np.all(np.abs(energies - predicted) <= tolerance)
    for (Z, _), force, alone in zip(
        molecules, forces, fitted.predict_forces(molecules), strict=True
    ):
        assert force.shape == (len(Z), 3)
        np.testing.assert_allclose(force, alone, rtol=1e-12, atol=1e-12)


def test_forces_add_up_to_zero(fitted, sample):
    for force in fitted.predict_forces(sample[2]):
        assert np.abs(force.sum(axis=0)).max() < 1e-10 * np.abs(force).max()


def test_forces_rotate_with_the_molecule_and_follow_atom_order(fitted, sample):
    Z, R = sample[2][0]
    rotation = Rotation.random(random_state=5).as_matrix()
    order = np.random.default_rng(2).permutation(len(Z))
    moved = R[order] @ rotation.T + np.array([-1.0, 0.5, 3.0])
    (reference,) = fitted.predict_forces([(Z, R)])
    (turned,) = fitted.predict_forces([(Z[order], moved)])
    np.testing.assert_allclose(
        turned, reference[order] @ rotation.T, atol=1e-8 * np.abs(reference).max()
    )


def test_unseen_element_is_named(sample):
    X, y, _ = sample
    model = AtomKernelRidge(**FIELDS).fit(X, y)
    Z = np.array([6, 9])
    R = np.array([[0.0, 0.0, 0.0], [1.35, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"molecule 0: element Z=9"):
        model.predict_forces([(Z, R)])


def test_forces_need_a_fitted_model(sample):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AtomKernelRidge().predict_forces(sample[2])


@pytest.mark.parametrize("name", ["AtomKernelRidge", "SparseAtomKernelRidge"])
def test_forces_follow_a_refit_and_survive_pickling(name, sample):
    """The model atoms grouped by element for the forces are kept between calls:
    a refit on other molecules must replace them (the forces equal a fresh model's),
    and a pickle must not carry them (they are rebuilt after loading)."""
    import pickle

    from sklearn.base import clone

    X, y, tests = sample
    model = clone(MODELS[name]).fit(X[:20], y[:20])
    model.predict_energy_forces(tests)  # builds the grouping of this fit
    model.fit(X[20:], y[20:])
    fresh = clone(MODELS[name]).fit(X[20:], y[20:])
    for ours, theirs in zip(
        model.predict_energy_forces(tests)[1],
        fresh.predict_energy_forces(tests)[1],
        strict=True,
    ):
        np.testing.assert_array_equal(ours, theirs)
    state = model.__getstate__()
    assert not any("element_blocks" in key for key in state)
    loaded = pickle.loads(pickle.dumps(model))
    for ours, theirs in zip(
        loaded.predict_energy_forces(tests)[1],
        fresh.predict_energy_forces(tests)[1],
        strict=True,
    ):
        np.testing.assert_array_equal(ours, theirs)
