"""Invariances of doc/definition.rst §5: rotation, reflection, translation, permutation, batch."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from skscatharm import SolidHarmonicScattering

# Default-resolution settings on a cheaper (wider) configuration keep CI fast; the
# invariance does not depend on sigma.
PARAMS = dict(sigma=0.5, J=2, L=2)
# Batching and parallelism only move work around; a small, coarse configuration
# shows it (the grid spacing is the same alone and in a batch).
CHEAP = dict(sigma=0.6, J=1, L=1, oversampling=2.0)


@pytest.fixture(scope="module")
def transform():
    return SolidHarmonicScattering(**PARAMS)


@pytest.fixture(scope="module")
def case(qm7, transform):
    X = qm7[0]
    n_atoms = (X[:, :, 0] > 0).sum(1)
    row = X[int(np.flatnonzero(n_atoms == 15)[0])]
    row = row[row[:, 0] > 0]
    molecule = (row[:, 0].astype(int), row[:, 1:])
    return molecule, transform.fit_transform([molecule])[0]


def _moved(molecule, function):
    Z, R = molecule
    return Z, function(R)


TRANSFORMS = {
    "rotation": lambda R: R @ Rotation.random(random_state=3).as_matrix().T,
    "reflection": lambda R: R * np.array([1.0, -1.0, 1.0]),
    "rotoreflection": lambda R: -R @ Rotation.random(random_state=5).as_matrix().T,
    # 10 Å along a direction that is not a grid axis.
    "translation": lambda R: R + 10.0 * np.array([1.0, -2.0, 2.0]) / 3.0,
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_rigid_motions(case, transform, name):
    molecule, expected = case
    moved = _moved(molecule, TRANSFORMS[name])
    np.testing.assert_allclose(transform.transform([moved])[0], expected, rtol=1e-3)


def test_permutation_of_atoms(case, transform):
    molecule, expected = case
    order = np.random.default_rng(1).permutation(len(molecule[0]))
    permuted = (molecule[0][order], molecule[1][order])
    np.testing.assert_allclose(transform.transform([permuted])[0], expected, rtol=1e-3)


def test_input_forms_agree(case, transform):
    """(Z, R) pairs, Atoms-like objects and the padded array give the same numbers."""
    from skscatharm import pack_molecules

    molecule, expected = case
    Z, R = molecule
    padded = pack_molecules(np.pad(Z, (0, 3))[None], np.pad(R, ((0, 3), (0, 0)))[None])

    class AtomsLike:
        pbc = False

        def get_atomic_numbers(self):
            return Z

        def get_positions(self):
            return R

    np.testing.assert_array_equal(transform.transform(padded)[0], expected)
    np.testing.assert_array_equal(transform.transform([AtomsLike()])[0], expected)


def test_batch_does_not_change_a_molecule(qm7, case):
    """Alone, or padded together with 8 other molecules in batches of 3."""
    molecule, _ = case
    expected = SolidHarmonicScattering(**CHEAP).fit_transform([molecule])[0]
    X = qm7[0]
    others = [
        (row[row[:, 0] > 0, 0].astype(int), row[row[:, 0] > 0, 1:])
        for row in X[100:108]
    ]
    # The case shares its batch with two molecules of more atoms: it is padded.
    assert min(len(others[3][0]), len(others[4][0])) > len(molecule[0])
    batched = SolidHarmonicScattering(batch_size=3, **CHEAP)
    features = batched.fit_transform(others[:4] + [molecule] + others[4:])
    np.testing.assert_allclose(features[4], expected, rtol=1e-3)
    alone = SolidHarmonicScattering(**CHEAP).fit_transform(others[:3])
    np.testing.assert_allclose(features[:3], alone, rtol=1e-3)


def test_parallel_jobs_give_the_same_numbers(qm7):
    X = qm7[0][:4]
    serial = SolidHarmonicScattering(**CHEAP).fit_transform(X)
    parallel = SolidHarmonicScattering(n_jobs=2, **CHEAP).fit_transform(X)
    # Outside the tests the serial run uses every BLAS thread, the workers one: the
    # sums over atoms may be ordered differently, and powers of near-zero field
    # values amplify that rounding to ~1e-8. A wrong molecule order or batch mix-up
    # would be O(1).
    np.testing.assert_allclose(parallel, serial, rtol=1e-7)
