"""``atom_fields``: the first-order fields read at the atoms, against two references."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from skscatharm import (
    AtomKernelRidge,
    AtomKernelRidgeCV,
    SolidHarmonicScattering,
    atom_fields,
)
from skscatharm._core.backend import get_backend
from skscatharm._core.channels import channel_weights, resolve_channels
from skscatharm._core.first_layer import first_layer_squared_moduli
from skscatharm._core.geometry import BatchGeometry, Grid
from skscatharm._core.harmonics import wavelet_normalisation

CHANNELS = ("full", "valence", "core")


def test_matches_the_grid_field_evaluation_at_the_atoms(molecules):
    # The transformer's field code (monomial expansion of the solid harmonics, no
    # addition theorem) evaluated on one-point grids placed on each atom.
    sigma, sigma_0, J, L = 0.3, 0.2, 2, 3
    result = atom_fields(molecules, sigma=sigma, sigma_0=sigma_0, J=J, L=L)
    backend = get_backend("numpy")
    channels = resolve_channels(CHANNELS)
    for index, (Z, R) in enumerate(molecules):
        rows = result.fields[result.molecule == index].reshape(len(Z), 3, J + 1, L + 1)
        weights = channel_weights(channels, np.asarray(Z), index)[None]
        geometry = BatchGeometry(
            positions=R[None],
            weights=weights,
            lower=R.min(0)[None],
            upper=R.max(0)[None],
        )
        for j in range(J + 1):
            scale = sigma_0 * 2**j
            width = np.hypot(scale, sigma)
            for atom in range(len(Z)):
                squared = first_layer_squared_moduli(
                    backend,
                    geometry,
                    Grid.uniform(R[atom][None], (1, 1, 1), 0.1),
                    width,
                    list(range(L + 1)),
                    [(scale / width) ** degree for degree in range(L + 1)],
                    np.float64,
                )
                reference = np.sqrt(squared[0, 0, 0, :, :, 0])
                np.testing.assert_allclose(
                    rows[atom, :, j],
                    reference,
                    rtol=1e-10,
                    atol=1e-14 * reference.max(),
                )


@pytest.mark.parametrize("per_octave", [1, 2, 3])
def test_two_atoms_closed_form(per_octave):
    # For two atoms at distance d, the field at atom 0 is the other atom's wavelet:
    # l = 0 adds atom 0's own Gaussian, l >= 1 sees atom 1 alone, and the sum over m
    # of |Y_l^m|² is (2l + 1) / (4 pi). The scales are sigma 2^(k / per_octave).
    d, sigma, J, L = 1.3, 0.25, 1, 3
    Z = np.array([6, 8])
    R = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, d]])
    result = atom_fields(
        [(Z, R)],
        sigma=sigma,
        J=J,
        L=L,
        channels=("full",),
        scales_per_octave=per_octave,
    )
    n_scales = J * per_octave + 1
    fields = result.fields[0].reshape(n_scales, L + 1)
    for j in range(n_scales):
        scale = sigma * 2 ** (j / per_octave)
        t = np.hypot(scale, sigma)
        for degree in range(L + 1):
            wavelet = (
                wavelet_normalisation(degree)
                * t**-3
                * (d / t) ** degree
                * np.exp(-(d**2) / (2 * t**2))
                * np.sqrt((2 * degree + 1) / (4 * np.pi))
            )
            expected = 8 * (scale / t) ** degree * wavelet
            if degree == 0:
                expected += 6 * (2 * np.pi * t**2) ** -1.5
            assert fields[j, degree] == pytest.approx(expected, rel=1e-12)


def test_invariant_to_rigid_motions_and_equivariant_to_atom_order(molecules):
    Z, R = molecules[0]
    rng = np.random.default_rng(0)
    rotation = Rotation.random(random_state=1).as_matrix() @ np.diag([1, 1, -1])
    order = rng.permutation(len(Z))
    moved = R[order] @ rotation.T + np.array([3.0, -2.0, 7.5])
    reference = atom_fields([(Z, R)]).fields
    np.testing.assert_allclose(
        atom_fields([(Z[order], moved)]).fields, reference[order], rtol=1e-9, atol=1e-12
    )


def test_rows_follow_molecules_and_names(molecules):
    result = atom_fields(molecules, J=1, L=2)
    sizes = [len(Z) for Z, _ in molecules]
    assert result.fields.shape == (sum(sizes), 3 * 2 * 3)
    np.testing.assert_array_equal(result.molecule, np.repeat(np.arange(4), sizes))
    np.testing.assert_array_equal(
        result.numbers, np.concatenate([Z for Z, _ in molecules])
    )
    assert result.feature_names[0] == "U1[full,j=0,l=0]"
    assert result.feature_names[-1] == "U1[core,j=1,l=2]"
    between = atom_fields(molecules[:1], J=1, L=2, scales_per_octave=2)
    assert between.fields.shape[1] == 3 * 3 * 3
    assert list(between.feature_names[3:9:3]) == [
        "U1[full,j=1/2,l=0]",
        "U1[full,j=1,l=0]",
    ]
    # Each molecule's rows are those it gets alone.
    alone = atom_fields([molecules[2]], J=1, L=2).fields
    np.testing.assert_array_equal(result.fields[result.molecule == 2], alone)


def test_core_channel_of_hydrogen_is_zero_not_nan():
    H2 = (np.array([1, 1]), np.array([[0.0, 0.0, 0.0], [0.74, 0.0, 0.0]]))
    fields = atom_fields([H2], channels=("core",)).fields
    assert np.all(fields == 0.0)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"J": -1}, "'J' parameter of atom_fields must be an int in the range"),
        ({"L": 1.5}, "'L' parameter of atom_fields must be an int in the range"),
        ({"sigma": 0.0}, "'sigma' parameter of atom_fields must be a float in"),
        ({"sigma_0": -1.0}, "'sigma_0' parameter of atom_fields must be"),
        ({"scales_per_octave": 0}, "'scales_per_octave' parameter of atom_fields"),
    ],
)
def test_bad_parameters(molecules, params, message):
    with pytest.raises(ValueError, match=message):
        atom_fields(molecules, **params)


@pytest.mark.parametrize(
    "params",
    [{"J": -1}, {"L": 1.5}, {"sigma": 0.0}, {"sigma_0": -1.0}, {"n_jobs": 1.5}],
)
def test_transformer_and_atom_models_refuse_the_same_values(molecules, params):
    """One constraint per shared parameter: every user of it refuses the same."""
    refusal = f"'{next(iter(params))}' parameter"
    with pytest.raises(ValueError, match=refusal):
        SolidHarmonicScattering(**params).fit(molecules)
    for model in (AtomKernelRidge(**params), AtomKernelRidgeCV(**params, cv=2)):
        with pytest.raises(ValueError, match=refusal):
            model.fit(molecules, np.zeros(len(molecules)))


def test_bad_molecule_is_named():
    good = (np.array([1, 1]), np.array([[0.0, 0.0, 0.0], [0.74, 0.0, 0.0]]))
    bad = (np.array([1, 1]), np.array([[0.0, 0.0, 0.0], [np.nan, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="molecule 1"):
        atom_fields([good, bad])


def test_workers_give_the_same_fields_to_the_last_bit(molecules):
    serial = atom_fields(molecules, J=1, L=2)
    threaded = atom_fields(molecules, J=1, L=2, n_jobs=3)
    np.testing.assert_array_equal(threaded.fields, serial.fields)
    np.testing.assert_array_equal(threaded.molecule, serial.molecule)


def test_an_overflow_on_a_worker_names_the_molecule(molecules):
    channels = [("heavy", lambda Z: np.full(len(Z), 1e300))]
    with pytest.raises(ValueError, match=r"molecule 0: its fields are not finite"):
        atom_fields(molecules[:4], J=0, L=0, channels=channels, n_jobs=2)
