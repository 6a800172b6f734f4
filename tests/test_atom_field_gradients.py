"""Derivatives of ``atom_fields`` with respect to the atomic positions (closed form)."""

import numpy as np
import pytest
from _strict_xp import StrictModule
from scipy.spatial.transform import Rotation

from skscatharm import atom_fields
from skscatharm._core.atom_gradients import first_layer_gradients_at_atoms

PARAMS = dict(sigma=0.3, sigma_0=0.25, J=2, L=3)


def _small(molecules):
    # The QM7 molecule with sulfur and the smallest QM9 one: generic geometries.
    return [molecules[0], molecules[3]]


def _finite_differences(Z, R, step=1e-5, **params):
    """Central differences of every field with respect to every coordinate."""
    columns = []
    for atom in range(len(Z)):
        for axis in range(3):
            shifted = []
            for sign in (1.0, -1.0):
                moved = R.copy()
                moved[atom, axis] += sign * step
                shifted.append(atom_fields([(Z, moved)], **params).fields)
            columns.append((shifted[0] - shifted[1]) / (2 * step))
    return np.stack(columns, axis=-1).reshape(*columns[0].shape, len(Z), 3)


@pytest.mark.parametrize(
    "params",
    [PARAMS, dict(PARAMS, J=1, scales_per_octave=2)],
    ids=["octaves", "halves"],
)
def test_gradients_match_central_finite_differences(molecules, params):
    for Z, R in _small(molecules):
        result = atom_fields([(Z, R)], return_gradients=True, **params)
        (gradients,) = result.gradients
        numerical = _finite_differences(Z, R, **params)
        scale = np.abs(gradients).max(axis=(0, 2, 3), keepdims=True)
        # Relative to each field's largest derivative: the columns span decades.
        error = np.abs(gradients - numerical) / scale
        assert error.max() < 1e-6


def test_gradients_add_up_to_zero_over_the_atoms(molecules):
    # Translating every atom by the same vector changes no field.
    for Z, R in _small(molecules):
        (gradients,) = atom_fields([(Z, R)], return_gradients=True, **PARAMS).gradients
        total = gradients.sum(axis=2)
        assert np.abs(total).max() < 1e-12 * np.abs(gradients).max()


def test_gradients_rotate_with_the_molecule_and_follow_atom_order(molecules):
    Z, R = molecules[0]
    rotation = Rotation.random(random_state=3).as_matrix() @ np.diag([1, 1, -1])
    order = np.random.default_rng(1).permutation(len(Z))
    moved = R[order] @ rotation.T + np.array([1.0, -4.0, 2.5])
    (reference,) = atom_fields([(Z, R)], return_gradients=True, **PARAMS).gradients
    (turned,) = atom_fields(
        [(Z[order], moved)], return_gradients=True, **PARAMS
    ).gradients
    expected = reference[order][:, :, order] @ rotation.T
    np.testing.assert_allclose(
        turned, expected, rtol=1e-8, atol=1e-10 * np.abs(reference).max()
    )


def test_several_molecules_give_one_block_each(molecules):
    chosen = _small(molecules)
    result = atom_fields(chosen, return_gradients=True, **PARAMS)
    assert len(result.gradients) == len(chosen)
    for (Z, R), gradients in zip(chosen, result.gradients, strict=True):
        (alone,) = atom_fields([(Z, R)], return_gradients=True, **PARAMS).gradients
        assert gradients.shape == (len(Z), result.fields.shape[1], len(Z), 3)
        np.testing.assert_array_equal(gradients, alone)
    without = atom_fields(chosen, **PARAMS)
    assert "gradients" not in without
    np.testing.assert_allclose(result.fields, without.fields, rtol=1e-12, atol=1e-300)


def test_a_field_that_vanishes_by_symmetry_has_derivative_zero():
    # The carbon of methane: l = 1 vanishes by symmetry (tetrahedral), a cone point
    # of the modulus; the derivative returned is the least-norm subgradient, 0.
    h = 1.09 / np.sqrt(3)
    R = np.array([[0, 0, 0], [h, h, h], [h, -h, -h], [-h, h, -h], [-h, -h, h]])
    Z = np.array([6, 1, 1, 1, 1])
    result = atom_fields([(Z, R)], return_gradients=True, channels=("full",), J=1, L=1)
    fields = result.fields.reshape(5, 2, 2)
    gradients = result.gradients[0].reshape(5, 2, 2, 5, 3)
    assert np.abs(fields[0, :, 1]).max() < 1e-12 * fields[1, :, 1].max()
    np.testing.assert_array_equal(gradients[0, :, 1], 0.0)
    # Away from the symmetric point the derivative is a finite difference again.
    R[0] += [0.01, -0.02, 0.005]
    (gradients,) = atom_fields(
        [(Z, R)], return_gradients=True, channels=("full",), J=1, L=1
    ).gradients
    numerical = _finite_differences(Z, R, channels=("full",), J=1, L=1)
    np.testing.assert_allclose(
        gradients, numerical, atol=1e-6 * np.abs(gradients).max()
    )


def test_strict_array_module_gives_the_numpy_result(molecules):
    # Only calls that CuPy shares: the stand-in refuses any NumPy call on its arrays.
    Z, R = molecules[3]
    weights = np.vstack([Z, Z % 5]).astype(float)
    xp = StrictModule()
    fields, gradients = first_layer_gradients_at_atoms(
        R, weights, 0.3, 0.25, 2, 3, xp=xp
    )
    reference = first_layer_gradients_at_atoms(R, weights, 0.3, 0.25, 2, 3)
    np.testing.assert_array_equal(xp.asnumpy(fields), reference[0])
    np.testing.assert_array_equal(xp.asnumpy(gradients), reference[1])


def test_small_blocks_of_centre_atoms_give_the_same_result(molecules, monkeypatch):
    import skscatharm._core.atom_gradients as module

    Z, R = molecules[0]
    weights = Z[None].astype(float)
    reference = first_layer_gradients_at_atoms(R, weights, 0.3, 0.25, 2, 3)
    monkeypatch.setattr(module, "BLOCK_DOUBLES", 1)
    blocked = first_layer_gradients_at_atoms(R, weights, 0.3, 0.25, 2, 3)
    np.testing.assert_allclose(blocked[1], reference[1], rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("value", ["yes", 2])
def test_return_gradients_must_be_a_bool(molecules, value):
    with pytest.raises(ValueError, match="return_gradients"):
        atom_fields(molecules[:1], return_gradients=value)
