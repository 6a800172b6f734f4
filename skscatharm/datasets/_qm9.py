"""QM9: read its ``dsgdb9nsd_*.xyz`` files (:func:`load_qm9_xyz`), or fetch them once.

:func:`fetch_qm9` downloads the archive from its publisher once (see
:mod:`._download`), verifies it, keeps it in the data home
(:func:`~skscatharm.datasets.get_data_home`), caches the parsed arrays next to it
and returns a :class:`~sklearn.utils.Bunch` in the layout of the shipped sample
(:func:`~skscatharm.datasets.load_qm9_sample`): ``data`` of shape
``(n_molecules, max_atoms, 4)`` with columns ``Z, x, y, z`` (Å).

The expected URL, checksum and counts are the module-level constants below; they
are read at call time.
"""

import os
import re
import tarfile
from collections.abc import Iterable

import numpy as np
from sklearn.utils import Bunch

from .._core.molecules import pack_molecules, pad_ragged
from ._cache import read_cache, write_cache
from ._download import _fetch, _folder
from ._samples import _description

#: 1 Hartree in kcal/mol (CODATA 2018).
HARTREE_IN_KCAL_MOL = 627.5094740631

#: File 3195389 of figshare article 1057646 (collection 978904, Ramakrishnan et al.
#: 2014): the 133,885 ``dsgdb9nsd_*.xyz`` files.
QM9_URL = "https://ndownloader.figshare.com/files/3195389"
QM9_FILENAME = "dsgdb9nsd.xyz.tar.bz2"
#: MD5 that figshare's API lists for file 3195389 (86,144,227 bytes). It could not be
#: re-read from figshare when this was written; the same value is quoted by several
#: independent public projects, some citing figshare's API, and by PaddleMaterials
#: (``ppmat/datasets/qm9_dataset.py``) for its mirror of the same archive.
QM9_MD5 = "ad1ebd51ee7f5b3a6e32e974e5d54012"
#: Number of molecules (``.xyz`` members) in the archive.
QM9_N_MOLECULES = 133_885
#: Parsed arrays are cached next to the archive in this file.
QM9_CACHE = "qm9.npz"
_QM9_CACHE_VERSION = 1

#: Names of the 15 properties on line 2 of a QM9 ``.xyz`` file, after ``gdb <id>``.
QM9_PROPERTIES = (
    "A",
    "B",
    "C",
    "mu",
    "alpha",
    "homo",
    "lumo",
    "gap",
    "r2",
    "zpve",
    "U0",
    "U",
    "H",
    "G",
    "Cv",
)
_QM9_UNITS = {
    "A": "GHz",
    "B": "GHz",
    "C": "GHz",
    "mu": "Debye",
    "alpha": "Bohr^3",
    "homo": "Hartree",
    "lumo": "Hartree",
    "gap": "Hartree",
    "r2": "Bohr^2",
    "zpve": "Hartree",
    "U0": "Hartree",
    "U": "Hartree",
    "H": "Hartree",
    "G": "Hartree",
    "Cv": "cal/(mol K)",
    "U0_atom": "kcal/mol",
    "U_atom": "kcal/mol",
    "H_atom": "kcal/mol",
    "G_atom": "kcal/mol",
}
#: QM9 atomic reference energies (Hartree) of the free atoms at the QM9 level of
#: theory, for U0, U, H, G: figshare file 3195395 ``atomref.txt`` (article 1057643,
#: "Atomref: Reference thermochemical energies of H, C, N, O, F atoms").
QM9_ATOMREF = {
    1: (-0.500273, -0.498857, -0.497912, -0.510927),
    6: (-37.846772, -37.845355, -37.844411, -37.861317),
    7: (-54.583861, -54.582445, -54.581501, -54.598897),
    8: (-75.064579, -75.063163, -75.062219, -75.079532),
    9: (-99.718730, -99.717314, -99.716370, -99.733544),
}
_ATOMIZED = ("U0", "U", "H", "G")
_ELEMENTS = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9}
#: Names of the shipped sample's targets, accepted as aliases.
_TARGET_ALIASES = {"U0_atom_kcal_mol": "U0_atom", "Cv_cal_mol_K": "Cv"}
_QM9_FILE = re.compile(r"dsgdb9nsd_(\d+)\.xyz$")


def _number(token):
    """Parse a QM9 number; a few use Mathematica's exponent, e.g. ``2.1997*^-6``."""
    return float(token.replace("*^", "e"))


def _parse_qm9_xyz(text, name):
    """Parse one ``dsgdb9nsd_*.xyz`` record into ``(index, Z, R, properties)``."""
    lines = text.splitlines()
    try:
        n_atoms = int(lines[0])
        if n_atoms < 1:
            raise ValueError(f"line 1 announces {n_atoms} atoms; a molecule has >= 1")
        header = lines[1].split()
        if header[0] != "gdb" or len(header) != 2 + len(QM9_PROPERTIES):
            raise ValueError(
                f"line 2 must read 'gdb <id>' and {len(QM9_PROPERTIES)} properties"
            )
        index = int(header[1])
        properties = [_number(token) for token in header[2:]]
        if len(lines) < n_atoms + 2:
            raise ValueError(f"{n_atoms} atoms announced, {len(lines) - 2} lines")
        numbers, positions = [], []
        for line in lines[2 : 2 + n_atoms]:
            tokens = line.split()
            if tokens[0] not in _ELEMENTS:
                raise ValueError(f"unknown element {tokens[0]!r}")
            numbers.append(_ELEMENTS[tokens[0]])
            positions.append([_number(token) for token in tokens[1:4]])
        positions = np.array(positions, dtype=np.float64).reshape(n_atoms, 3)
        # float() parses "nan" and "inf": such a record would give NaN features or
        # targets downstream, far from the file that caused them.
        if not np.all(np.isfinite(positions)):
            row = int(np.flatnonzero(~np.isfinite(positions).all(axis=1))[0])
            raise ValueError(f"atom {row} has a non-finite position {lines[2 + row]!r}")
        if not np.all(np.isfinite(properties)):
            bad = [
                name
                for name, value in zip(QM9_PROPERTIES, properties, strict=True)
                if not np.isfinite(value)
            ]
            raise ValueError(f"properties {bad} are not finite")
    except (ValueError, IndexError) as error:
        raise ValueError(f"{name} is not a QM9 .xyz record: {error}") from error
    match = _QM9_FILE.search(os.path.basename(name))
    if match and int(match.group(1)) != index:
        raise ValueError(f"{name} holds molecule gdb {index}")
    return index, np.array(numbers, dtype=np.int64), positions, properties


def _qm9_records(source):
    """Yield ``(name, text)`` for each QM9 record of ``source``."""
    if isinstance(source, str | os.PathLike):
        source = os.fspath(source)
        if os.path.isdir(source):
            names = sorted(
                name for name in os.listdir(source) if _QM9_FILE.search(name)
            )
            if not names:
                raise ValueError(f"{source} holds no dsgdb9nsd_*.xyz file")
            source = [os.path.join(source, name) for name in names]
        elif tarfile.is_tarfile(source):
            yield from _tar_records(source)
            return
        else:
            source = [source]
    elif not isinstance(source, Iterable):
        raise TypeError(
            "source must be a path (file, directory or tar archive) or a sequence "
            f"of paths, got {type(source).__name__}"
        )
    for path in source:
        with open(path, encoding="utf-8") as handle:
            yield os.fspath(path), handle.read()


def _tar_records(path):
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if member.isfile() and member.name.endswith(".xyz"):
                    text = archive.extractfile(member).read().decode("utf-8")
                    yield f"{path}:{member.name}", text
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ValueError(f"{path} is not a readable tar archive: {error}") from error


def _qm9_arrays(source, sort):
    """Parse QM9 records into padded arrays and one array per property."""
    records = [_parse_qm9_xyz(text, name) for name, text in _qm9_records(source)]
    if not records:
        raise ValueError(f"{source} holds no QM9 .xyz record")
    if sort:
        records.sort(key=lambda record: record[0])
    # int8 atomic numbers keep the cached arrays of all of QM9 small.
    Z = pad_ragged([record[1] for record in records], dtype=np.int8)
    R = pad_ragged([record[2] for record in records], dtype=np.float64)
    values = np.array([record[3] for record in records], dtype=np.float64)
    arrays = {"Z": Z, "R": R, "index": np.array([record[0] for record in records])}
    arrays.update(zip(QM9_PROPERTIES, values.T, strict=True))
    return arrays


def _qm9_frame(arrays):
    """Properties per molecule, with atomization values (kcal/mol) added."""
    Z = arrays["Z"]
    frame = {"index": arrays["index"], "n_atoms": (Z > 0).sum(axis=1)}
    frame.update({name: arrays[name] for name in QM9_PROPERTIES})
    counts = {z: (Z == z).sum(axis=1) for z in QM9_ATOMREF}
    for column, name in enumerate(_ATOMIZED):
        reference = sum(counts[z] * QM9_ATOMREF[z][column] for z in QM9_ATOMREF)
        frame[f"{name}_atom"] = (arrays[name] - reference) * HARTREE_IN_KCAL_MOL
    return frame


def _qm9_bunch(arrays, target, return_X_y):
    name = _TARGET_ALIASES.get(target, target)
    if name not in _QM9_UNITS:
        raise ValueError(
            f"target must be one of {sorted(_QM9_UNITS)} (or "
            f"{sorted(_TARGET_ALIASES)}), got {target!r}"
        )
    data = pack_molecules(arrays["Z"], arrays["R"])
    frame = _qm9_frame(arrays)
    if return_X_y:
        return data, frame[name]
    return Bunch(
        data=data,
        target=frame[name],
        target_names=[f"{name} ({_QM9_UNITS[name]})"],
        feature_names=["Z", "x", "y", "z"],
        index=arrays["index"],
        frame=frame,
        units=dict(_QM9_UNITS),
        DESCR=_description(),
    )


def load_qm9_xyz(source, *, target="U0_atom", return_X_y=False):
    """Read QM9 molecules from ``dsgdb9nsd_*.xyz`` files.

    The format is that of the QM9 release (Ramakrishnan et al. 2014): line 1 the
    number of atoms ``n``; line 2 ``gdb <id>`` and the 15 properties ``A B C mu
    alpha homo lumo gap r2 zpve U0 U H G Cv``; then ``n`` lines ``element x y z
    charge`` (Å, Mulliken charge in e); then frequencies, SMILES and InChI (not
    read). Numbers may use Mathematica's exponent notation, ``1.2*^-6``.

    Parameters
    ----------
    source : str, path-like or sequence of them
        One ``.xyz`` file, a directory (its ``dsgdb9nsd_*.xyz`` files are read), a
        tar archive such as ``dsgdb9nsd.xyz.tar.bz2`` (its ``.xyz`` members are
        read), or a sequence of ``.xyz`` paths (read in that order).
    target : str, default="U0_atom"
        Property returned as ``target``, one of the 15 of the file in its units:
        ``A``, ``B``, ``C`` (rotational constants, GHz), ``mu`` (dipole moment,
        Debye), ``alpha`` (isotropic polarizability, Bohr^3), ``homo``, ``lumo``,
        ``gap`` (Hartree), ``r2`` (electronic spatial extent, Bohr^2), ``zpve``,
        ``U0``, ``U``, ``H``, ``G`` (zero-point energy, internal energy at 0 K and
        298.15 K, enthalpy and free energy at 298.15 K, Hartree, total energies),
        ``Cv`` (heat capacity at 298.15 K, cal/(mol K)); or an atomization value in
        kcal/mol, ``U0_atom``, ``U_atom``, ``H_atom``, ``G_atom``: the molecular
        value minus the sum of the QM9 atomic reference values (negative numbers).
        The names of :func:`load_qm9_sample`, ``"U0_atom_kcal_mol"`` and
        ``"Cv_cal_mol_K"``, are accepted too.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data``: array of shape (n_molecules, max_atoms, 4) with columns
        ``Z, x, y, z`` (Å), ``max_atoms`` the largest molecule read; ``target``;
        ``target_names``: the target's name and unit; ``index``: the QM9 ids
        (``gdb <id>``); ``frame``: dict of arrays of shape (n_molecules,),
        ``index``, ``n_atoms``, the 15 properties (file units) and the four
        atomization values (kcal/mol); ``units``: unit of each ``frame``
        property; ``feature_names``; ``DESCR``. Molecules from a directory or an
        archive are sorted by id.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ValueError
        Naming the file, if a file is not a QM9 record (or its id differs from
        the number in its name; it announces fewer than 1 atom; a position or a
        property is NaN or infinite), or if ``target`` is unknown.

    See Also
    --------
    fetch_qm9 : Download the QM9 archive once and read it.
    load_qm9_sample : 200 molecules of QM9 shipped with the package.

    Notes
    -----
    Atomic reference energies (Hartree; U0, U, H, G), from the QM9 file
    ``atomref.txt`` (figshare file 3195395): H -0.500273, -0.498857, -0.497912,
    -0.510927; C -37.846772, -37.845355, -37.844411, -37.861317; N -54.583861,
    -54.582445, -54.581501, -54.598897; O -75.064579, -75.063163, -75.062219,
    -75.079532; F -99.718730, -99.717314, -99.716370, -99.733544. 1 Hartree =
    627.5094740631 kcal/mol (CODATA 2018).

    Examples
    --------
    >>> from skscatharm.datasets import load_qm9_xyz
    >>> qm9 = load_qm9_xyz("dsgdb9nsd.xyz.tar.bz2", target="Cv")  # doctest: +SKIP
    """
    sort = isinstance(source, str | os.PathLike)
    return _qm9_bunch(_qm9_arrays(source, sort), target, return_X_y)


def _read_verified_qm9(path):
    """Parse the whole QM9 archive and check the number of molecules."""
    arrays = _qm9_arrays(path, sort=True)
    n = len(arrays["index"])
    if n != QM9_N_MOLECULES:
        raise ValueError(f"{path} holds {n} molecules, expected {QM9_N_MOLECULES}")
    if len(np.unique(arrays["index"])) != n:
        raise ValueError(f"{path} holds some molecule ids more than once")
    return arrays


def _check_cache(arrays):
    """Raise ValueError unless ``arrays`` are those of a parsed QM9 archive."""
    missing = sorted({"Z", "R", "index", *QM9_PROPERTIES} - set(arrays))
    if missing:
        raise ValueError(f"arrays {missing} are missing")
    Z, R, index = arrays["Z"], arrays["R"], arrays["index"]
    if len(index) != QM9_N_MOLECULES:
        raise ValueError(f"it holds {len(index)} molecules, expected {QM9_N_MOLECULES}")
    if Z.ndim != 2 or len(Z) != len(index) or R.shape != Z.shape + (3,):
        raise ValueError(f"Z {Z.shape} and R {R.shape} do not match")
    if any(arrays[name].shape != index.shape for name in QM9_PROPERTIES):
        raise ValueError("a property array does not have one value per molecule")
    if not np.all(np.isfinite(R)):
        raise ValueError("R holds non-finite positions")


def fetch_qm9(
    *, data_home=None, target="U0_atom", download_if_missing=True, return_X_y=False
):
    """Load all 133,885 QM9 molecules, downloading the archive on the first call.

    The archive ``dsgdb9nsd.xyz.tar.bz2`` (about 86 MB) comes from its publisher,
    figshare (collection 978904, file 3195389), and is kept in
    ``<data_home>/qm9/``. It is verified by its MD5 (the value figshare lists for
    the file) and by parsing: every member must be a QM9 record and there must be
    133,885 of them. The parsed arrays are cached in ``<data_home>/qm9/qm9.npz``,
    so later calls neither download nor parse. That cache is only a shortcut: one
    that cannot be read (truncated, corrupt, empty) is reported by a warning naming
    it and the archive is parsed again (downloaded again if it is missing too); one
    that cannot be written (a read-only data home) is reported by a warning and
    skipped, so a read-only data home holding the archive can still be used.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Data directory, see :func:`get_data_home`.
    target : str, default="U0_atom"
        Property returned as ``target``: one of the 15 QM9 properties in the
        file's units (e.g. ``"U0"``, Hartree; ``"Cv"``, cal/(mol K)) or an
        atomization value in kcal/mol (e.g. ``"U0_atom"``); see
        :func:`load_qm9_xyz` for the names and units.
    download_if_missing : bool, default=True
        If False, raise an :class:`OSError` instead of downloading a missing file.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As :func:`load_qm9_xyz`, with ``data`` of shape (133885, 29, 4), sorted by
        QM9 id.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    OSError
        If the archive is missing and ``download_if_missing`` is False, the
        download fails or its checksum differs.
    ValueError
        If the archive's content is not the expected one, or ``target`` is
        unknown.

    See Also
    --------
    load_qm9_xyz : Read local QM9 ``.xyz`` files or archives.
    load_qm9_sample : 200 molecules of QM9 shipped with the package.

    Notes
    -----
    All 133,885 molecules are returned, including the 3,054 that failed the QM9
    geometry consistency check (listed in figshare file 3195404,
    ``uncharacterized.txt``); :func:`load_qm9_sample` draws from the other
    130,831. QM9 is distributed under CC0; cite R. Ramakrishnan, P. O. Dral,
    M. Rupp, O. A. von Lilienfeld, Scientific Data 1, 140022 (2014) and
    L. Ruddigkeit et al., J. Chem. Inf. Model. 52, 2864 (2012).

    Examples
    --------
    >>> from skscatharm.datasets import fetch_qm9
    >>> X, y = fetch_qm9(target="U0_atom", return_X_y=True)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (133885, 29, 4)
    """
    folder = _folder(data_home, "qm9")
    cache = os.path.join(folder, QM9_CACHE)
    arrays = read_cache(cache, _QM9_CACHE_VERSION, _check_cache)
    if arrays is None:
        path = os.path.join(folder, QM9_FILENAME)
        checksum = ("md5", QM9_MD5) if QM9_MD5 else None
        arrays = _fetch(
            QM9_URL, path, checksum, _read_verified_qm9, download_if_missing
        )
        write_cache(cache, arrays, _QM9_CACHE_VERSION)
    return _qm9_bunch(arrays, target, return_X_y)
