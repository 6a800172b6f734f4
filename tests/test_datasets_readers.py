"""Readers: any ASE format through read_molecules, and the QM9 .xyz format."""

import io
import sys
import tarfile

import numpy as np
import pytest

from skscatharm import SolidHarmonicScattering, pack_molecules
from skscatharm.datasets import load_qm9_xyz, read_molecules

HARTREE = 627.5094740631  # kcal/mol, CODATA 2018


def _molecules():
    """Three molecules with positions of 6 decimals (exact through extxyz)."""
    rng = np.random.default_rng(7)
    molecules = []
    for numbers in ([8, 1, 1], [6, 1, 1, 1, 1], [7, 6, 1, 16]):
        positions = np.round(rng.normal(scale=1.5, size=(len(numbers), 3)), 6)
        molecules.append((np.array(numbers), positions))
    return molecules


@pytest.fixture
def extxyz(tmp_path):
    """An extxyz file: energies as calculator results, 'gap' in the comment line."""
    ase = pytest.importorskip("ase")
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.io import write

    images = []
    for k, (numbers, positions) in enumerate(_molecules()):
        atoms = ase.Atoms(numbers=numbers, positions=positions)
        atoms.info["gap"] = 0.25 + k
        atoms.calc = SinglePointCalculator(atoms, energy=-10.5 * (k + 1))
        images.append(atoms)
    path = tmp_path / "molecules.extxyz"
    write(path, images, format="extxyz")
    return path


def test_extxyz_molecules_and_targets_round_trip(extxyz):
    X, gap = read_molecules(extxyz, target="gap")
    _, energy = read_molecules(extxyz, target="energy")  # from calculator results
    assert len(X) == 3
    for (Z, R), (numbers, positions) in zip(X, _molecules(), strict=True):
        np.testing.assert_array_equal(Z, numbers)
        np.testing.assert_array_equal(R, positions)
        assert Z.dtype == np.int64 and R.dtype == np.float64
    np.testing.assert_array_equal(gap, [0.25, 1.25, 2.25])
    np.testing.assert_array_equal(energy, [-10.5, -21.0, -31.5])


def test_packed_output_is_the_padded_array(extxyz):
    X = read_molecules(extxyz)
    packed = read_molecules(extxyz, packed=True)
    Z = np.zeros((3, 5), int)
    R = np.zeros((3, 5, 3))
    for i, (numbers, positions) in enumerate(X):
        Z[i, : len(numbers)], R[i, : len(numbers)] = numbers, positions
    np.testing.assert_array_equal(packed, pack_molecules(Z, R))


def test_output_is_accepted_by_the_transformer(extxyz):
    X = read_molecules(extxyz)
    scattering = SolidHarmonicScattering(
        J=1, L=1, Q=(1.0,), max_order=1, backend="numpy"
    )
    a = scattering.fit_transform(X)
    b = scattering.fit_transform(read_molecules(extxyz, packed=True))
    assert a.shape[0] == 3
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("index", "expected"), [(1, [1]), ("-1", [2]), ("::2", [0, 2]), (":", [0, 1, 2])]
)
def test_index_selects_molecules(extxyz, index, expected):
    X, gap = read_molecules(extxyz, target="gap", index=index)
    assert [len(Z) for Z, _ in X] == [len(_molecules()[k][0]) for k in expected]
    np.testing.assert_array_equal(gap, [0.25 + k for k in expected])


def test_missing_target_names_the_molecule(tmp_path):
    ase = pytest.importorskip("ase")
    from ase.io import write

    images = [ase.Atoms(numbers=Z, positions=R) for Z, R in _molecules()]
    images[0].info["gap"] = 1.0
    images[2].info["gap"] = 3.0
    path = tmp_path / "partial.extxyz"
    write(path, images, format="extxyz")
    with pytest.raises(ValueError, match="molecule 1 has no property 'gap'"):
        read_molecules(path, target="gap")


def test_per_atom_target_is_rejected(tmp_path):
    ase = pytest.importorskip("ase")
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.io import write

    Z, R = _molecules()[0]
    atoms = ase.Atoms(numbers=Z, positions=R)
    atoms.calc = SinglePointCalculator(atoms, energy=1.0, forces=np.ones((3, 3)))
    path = tmp_path / "forces.extxyz"
    write(path, [atoms], format="extxyz")
    with pytest.raises(ValueError, match="molecule 0: property 'forces'.*one number"):
        read_molecules(path, target="forces")


def test_periodic_structure_is_rejected(tmp_path):
    ase = pytest.importorskip("ase")
    from ase.io import write

    Z, R = _molecules()[0]
    crystal = ase.Atoms(numbers=Z, positions=R, cell=[5, 5, 5], pbc=True)
    path = tmp_path / "crystal.extxyz"
    write(path, [crystal], format="extxyz")
    with pytest.raises(ValueError, match="molecule 0: periodic"):
        read_molecules(path)


METHANOL_SDF = """methanol
  handwritten

  6  5  0  0  0  0  0  0  0  0999 V2000
   -0.3690    0.0161    0.0072 C   0  0  0  0  0  0  0  0  0  0  0  0
    1.0513   -0.0597   -0.0177 O   0  0  0  0  0  0  0  0  0  0  0  0
   -0.6851    1.0616    0.1013 H   0  0  0  0  0  0  0  0  0  0  0  0
   -0.7731   -0.4009   -0.9236 H   0  0  0  0  0  0  0  0  0  0  0  0
   -0.7375   -0.5637    0.8578 H   0  0  0  0  0  0  0  0  0  0  0  0
    1.3315   -0.5353    0.7921 H   0  0  0  0  0  0  0  0  0  0  0  0
  1  2  1  0
  1  3  1  0
  1  4  1  0
  1  5  1  0
  2  6  1  0
M  END
$$$$
"""


def test_handwritten_sdf(tmp_path):
    pytest.importorskip("ase")
    path = tmp_path / "methanol.sdf"
    path.write_text(METHANOL_SDF)
    [(Z, R)] = read_molecules(path)
    np.testing.assert_array_equal(Z, [6, 8, 1, 1, 1, 1])
    np.testing.assert_array_equal(R[1], [1.0513, -0.0597, -0.0177])
    np.testing.assert_array_equal(R[5], [1.3315, -0.5353, 0.7921])
    with pytest.raises(ValueError, match="molecule 0 has no property 'energy'"):
        read_molecules(path, target="energy")


def test_sdf_written_by_ase(tmp_path):
    ase = pytest.importorskip("ase")
    from ase.io import write
    from ase.io.formats import ioformats

    if not ioformats["sdf"].can_write:
        pytest.skip("this ASE cannot write sdf")
    Z, R = _molecules()[1]
    path = tmp_path / "one.sdf"
    write(path, ase.Atoms(numbers=Z, positions=R), format="sdf")
    [(Z_read, R_read)] = read_molecules(path, format="sdf")
    np.testing.assert_array_equal(Z_read, Z)
    np.testing.assert_allclose(R_read, R, rtol=0, atol=5e-5)  # 4 decimals in sdf


def test_missing_ase_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ase.io", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"pip install skscatharm\[ase\]"):
        read_molecules(tmp_path / "any.xyz")


# --- QM9 .xyz ------------------------------------------------------------------------

# Tab-separated as in the QM9 release; positions with '*^' (Mathematica) exponents.
WATER = (
    "3\n"
    "gdb 3\t799.58812\t437.90386\t282.94545\t1.8511\t6.31\t-0.2928\t0.0687"
    "\t0.3615\t19.0002\t0.021375\t-76.404702\t-76.401867\t-76.400922"
    "\t-76.422349\t6.002\t\n"
    "O\t-0.0343604951\t 0.9775395708\t 0.0076015923\t-0.589706\n"
    "H\t 0.0647664923\t 0.0205721989\t 1.2*^-6\t 0.294853\n"
    "H\t 8.7179037*^-1\t 1.3007924\t-3.4*^-5\t 2.94853*^-1\n"
    "1621.9\t3838.2\t3898.5\n"
    "O\tO\t\n"
    "InChI=1S/H2O/h1H2\tInChI=1S/H2O/h1H2\n"
)
HYDROGEN_FLUORIDE = (
    "2\n"
    "gdb 7\t0.\t626.1\t626.1\t1.78\t5.2\t-0.37\t0.01\t0.38\t13.9\t0.009\t-100.43"
    "\t-100.42\t-100.41\t-100.44\t4.97\t\n"
    "F\t0.\t0.\t0.92\t-0.4\n"
    "H\t0.\t0.\t0.\t0.4\n"
    "4138.3\n"
    "F\tF\t\n"
    "InChI=1S/FH/h1H\tInChI=1S/FH/h1H\n"
)


@pytest.fixture
def qm9_dir(tmp_path):
    folder = tmp_path / "qm9"
    folder.mkdir()
    (folder / "dsgdb9nsd_000007.xyz").write_text(HYDROGEN_FLUORIDE)
    (folder / "dsgdb9nsd_000003.xyz").write_text(WATER)
    (folder / "readme.txt").write_text("not a molecule")
    return folder


def test_qm9_xyz_parses_positions_with_mathematica_exponents(qm9_dir):
    qm9 = load_qm9_xyz(qm9_dir / "dsgdb9nsd_000003.xyz", target="U0")
    np.testing.assert_array_equal(qm9.data[0, :, 0], [8, 1, 1])
    np.testing.assert_array_equal(
        qm9.data[0, :, 1:],
        [
            [-0.0343604951, 0.9775395708, 0.0076015923],
            [0.0647664923, 0.0205721989, 1.2e-6],
            [0.87179037, 1.3007924, -3.4e-5],
        ],
    )
    np.testing.assert_array_equal(qm9.target, [-76.404702])
    assert qm9.target_names == ["U0 (Hartree)"]
    frame = qm9.frame
    np.testing.assert_array_equal(frame["index"], [3])
    np.testing.assert_array_equal(frame["n_atoms"], [3])
    expected = [799.58812, 437.90386, 282.94545, 1.8511, 6.31, -0.2928, 0.0687]
    expected += [0.3615, 19.0002, 0.021375, -76.404702, -76.401867, -76.400922]
    expected += [-76.422349, 6.002]
    names = "A B C mu alpha homo lumo gap r2 zpve U0 U H G Cv".split()
    assert [frame[name][0] for name in names] == expected


def test_qm9_atomization_energies_use_the_published_references(qm9_dir):
    qm9 = load_qm9_xyz(qm9_dir)  # default target: U0_atom, kcal/mol
    np.testing.assert_array_equal(qm9.index, [3, 7])  # sorted by id
    water = (-76.404702 - (-75.064579 + 2 * -0.500273)) * HARTREE
    fluoride = (-100.43 - (-99.718730 - 0.500273)) * HARTREE
    np.testing.assert_allclose(qm9.target, [water, fluoride], rtol=1e-13)
    g_water = (-76.422349 - (-75.079532 + 2 * -0.510927)) * HARTREE
    np.testing.assert_allclose(qm9.frame["G_atom"][0], g_water, rtol=1e-13)
    assert qm9.units["U0_atom"] == "kcal/mol" and qm9.units["Cv"] == "cal/(mol K)"


def test_qm9_sources_directory_list_and_archive(qm9_dir, tmp_path):
    from_dir = load_qm9_xyz(qm9_dir, target="Cv")
    paths = [qm9_dir / "dsgdb9nsd_000007.xyz", qm9_dir / "dsgdb9nsd_000003.xyz"]
    from_list = load_qm9_xyz(paths, target="Cv")  # a list keeps its order
    np.testing.assert_array_equal(from_list.index, [7, 3])
    np.testing.assert_array_equal(from_list.target, [4.97, 6.002])
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in paths:
            archive.add(path, arcname=f"dsgdb9nsd.xyz/{path.name}")
    (tmp_path / "qm9.tar.gz").write_bytes(buffer.getvalue())
    from_tar = load_qm9_xyz(tmp_path / "qm9.tar.gz", target="Cv")
    X, y = load_qm9_xyz(qm9_dir, target="Cv", return_X_y=True)
    for other in (from_tar, from_list):
        order = np.argsort(other.index)
        np.testing.assert_array_equal(other.data[order], from_dir.data)
        np.testing.assert_array_equal(other.target[order], from_dir.target)
    np.testing.assert_array_equal(X, from_dir.data)
    np.testing.assert_array_equal(y, [6.002, 4.97])
    assert from_dir.data.shape == (2, 3, 4)  # padded to the largest molecule
    np.testing.assert_array_equal(from_dir.data[1, 2], [0, 0, 0, 0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (WATER.replace("\nO\t", "\nXx\t", 1), "unknown element 'Xx'"),
        (WATER.replace("gdb 3", "gdb 4"), "holds molecule gdb 4"),
        (WATER.replace("\t6.002\t", "\t"), "line 2 must read"),
        ("3\n" + WATER.split("\n", 1)[1][:200], "3 atoms announced"),
    ],
)
def test_qm9_bad_record_names_the_file(tmp_path, text, message):
    path = tmp_path / "dsgdb9nsd_000003.xyz"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as error:
        load_qm9_xyz(path)
    assert "dsgdb9nsd_000003.xyz" in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0\n" + WATER.split("\n", 1)[1], "announces 0 atoms"),
        ("-1\n" + WATER.split("\n", 1)[1], "announces -1 atoms"),
        (WATER.replace("0.9775395708", "nan"), "atom 0 has a non-finite position"),
        (WATER.replace("1.3007924", "inf"), "atom 2 has a non-finite position"),
        (WATER.replace("\t6.002\t", "\tnan\t"), r"properties \['Cv'\] are not finite"),
    ],
)
def test_qm9_empty_or_non_finite_record_names_the_file(tmp_path, text, message):
    path = tmp_path / "dsgdb9nsd_000003.xyz"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as error:
        load_qm9_xyz(path)
    assert "dsgdb9nsd_000003.xyz" in str(error.value)


def test_unknown_element_symbol_names_the_molecule_and_the_symbol(tmp_path):
    pytest.importorskip("ase")
    path = tmp_path / "bad.xyz"
    path.write_text(
        "2\nfirst\nH 0 0 0\nH 0 0 0.74\n"
        "3\nsecond\nO 0 0 0\nH 0.96 0 0\nH -0.24 0.93 0\n"
        "3\nthird\nO 0 0 0\nXx 0.96 0 0\nH -0.24 0.93 0\n"
    )
    with pytest.raises(
        ValueError, match=r"bad\.xyz: molecule 2 .* unknown element symbol 'Xx'"
    ):
        read_molecules(path)
