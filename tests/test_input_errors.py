"""Bad input gets a clear error naming the molecule and the problem."""

import numpy as np
import pytest

from skscatharm import SolidHarmonicScattering, pack_molecules

WATER = (np.array([8, 1, 1]), np.array([[0.0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]]))


def _run(X, **params):
    return SolidHarmonicScattering(sigma=0.6, J=0, L=0, **params).fit_transform(X)


def _with(Z=None, R=None):
    return (
        WATER[0] if Z is None else np.asarray(Z),
        WATER[1] if R is None else np.asarray(R),
    )


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (
            _with(R=[[0, 0, 0], [np.nan, 0, 0], [0, 1, 0]]),
            ValueError,
            "NaN or infinite",
        ),
        (
            _with(R=[[0, 0, 0], [np.inf, 0, 0], [0, 1, 0]]),
            ValueError,
            "NaN or infinite",
        ),
        (_with(Z=[8.0, 1.5, 1.0]), ValueError, "must be integers"),
        (_with(Z=[8, 0, 1]), ValueError, "must be positive"),
        (_with(Z=[8, -1, 1]), ValueError, "must be positive"),
        (_with(Z=["O", "H", "H"]), TypeError, "must be integers"),
        (_with(Z=[8, 1]), ValueError, "2 atomic numbers but 3 positions"),
        (_with(R=[[0, 0], [1, 0], [0, 1]]), ValueError, r"shape \(n_atoms, 3\)"),
        ((np.array([], dtype=int), np.zeros((0, 3))), ValueError, "has no atoms"),
        (_with(Z=[8, 1, 37]), ValueError, "'valence' has no weight for element"),
    ],
)
def test_bad_molecule_is_named(bad, error, message):
    with pytest.raises(error, match=message) as info:
        _run([WATER, WATER, bad])
    assert "molecule 2" in str(info.value)


def test_unknown_element_for_custom_channel():
    with pytest.raises(ValueError, match=r"molecule 1: channel 'charges'.*Z=\[1\]"):
        _run(
            [(np.array([8]), np.zeros((1, 3))), WATER],
            channels=(("charges", {8: -0.8}),),
        )


def _nan_for_hydrogen(Z):
    return np.where(Z == 1, np.nan, Z.astype(float))


@pytest.mark.parametrize(
    "channel, message",
    [
        (
            ("nan_H", _nan_for_hydrogen),
            r"channel 'nan_H' returned non-finite weights \(nan\) for element\(s\) "
            r"Z=\[1\]",
        ),
        (
            ("inf_O", lambda Z: np.where(Z == 8, np.inf, 1.0)),
            r"channel 'inf_O' returned non-finite weights \(inf\) for element\(s\) "
            r"Z=\[8\]",
        ),
        (
            ("one", lambda Z: np.ones(1)),
            r"channel 'one' returned weights of shape \(1,\) for atoms of shape "
            r"\(3,\)",
        ),
        (("scalar", lambda Z: 1.0), r"'scalar' returned weights of shape \(\)"),
        (
            ("pairs", lambda Z: np.ones((len(Z), 2))),
            r"'pairs' returned weights of shape \(3, 2\)",
        ),
        (
            ("words", lambda Z: ["a"] * len(Z)),
            "'words' returned weights that are not numbers",
        ),
    ],
    ids=["nan", "inf", "short", "scalar", "2d", "strings"],
)
def test_bad_channel_output_gets_its_own_message(channel, message):
    with pytest.raises(ValueError, match=message) as info:
        _run([WATER, WATER], channels=("full", channel))
    assert str(info.value).startswith("molecule 0: ")
    assert "has no weight" not in str(info.value)


def test_non_finite_mapping_weight_is_refused_at_once():
    with pytest.raises(ValueError, match=r"channel 1: weights must be finite.*nan"):
        _run([WATER], channels=("full", {8: 6.0, 1: float("nan")}))


def test_padded_array_errors():
    X = pack_molecules(np.array([[8, 1, 1], [0, 0, 0]]), np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="molecule 1: it has no atoms"):
        _run(X)
    X = pack_molecules(np.array([[8, 1, 1]]), np.full((1, 3, 3), np.nan))
    with pytest.raises(ValueError, match="molecule 0: row.*NaN or infinite"):
        _run(X)
    with pytest.raises(ValueError, match=r"\(n_molecules, max_atoms, 4\)"):
        _run(np.zeros((2, 3, 3)))


class FakeAtoms:
    """Enough of ase.Atoms for the adapter, without importing ASE."""

    def __init__(self, pbc=False):
        self.pbc = np.array([pbc] * 3)

    def get_atomic_numbers(self):
        return WATER[0]

    def get_positions(self):
        return WATER[1]


def test_single_atoms_object_is_rejected():
    with pytest.raises(TypeError, match="single molecule.*\\[atoms\\]"):
        _run(FakeAtoms())


def test_periodic_atoms_are_rejected():
    with pytest.raises(ValueError, match="molecule 1: periodic systems.*not supported"):
        _run([FakeAtoms(), FakeAtoms(pbc=True)])


def test_real_ase_atoms_are_accepted():
    ase = pytest.importorskip("ase")
    atoms = ase.Atoms(numbers=WATER[0], positions=WATER[1])
    np.testing.assert_array_equal(_run([atoms]), _run([WATER]))
    atoms.pbc = True
    atoms.cell = np.eye(3) * 10
    with pytest.raises(ValueError, match="periodic"):
        _run([atoms])


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(sigma=-1.0), "sigma"),
        (dict(Q=(0.5, -1.0)), "Q must be"),
        (dict(Q=()), "Q must be"),
        (dict(max_order=3), "max_order"),
        (dict(channels=("full", "spin")), "unknown channel 'spin'"),
        (dict(channels="full"), "channels"),
        (dict(backend="torch"), "backend"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises((ValueError, TypeError), match=message):
        SolidHarmonicScattering(**params).fit([WATER])


def test_not_a_sequence_of_molecules():
    with pytest.raises(TypeError, match="sequence of molecules"):
        _run("water")
    with pytest.raises(TypeError, match="molecule 0: expected a \\(Z, R\\) pair"):
        _run([8, 1, 1])
