"""Fetchers for the whole QM7 and QM9 data sets, and readers of their publishers' files.

Each fetcher downloads one file from the publisher once, verifies it, keeps it in the
data home (:func:`~skscatharm.datasets.get_data_home`) and returns a
:class:`~sklearn.utils.Bunch` in the layout of the shipped samples
(:func:`~skscatharm.datasets.load_qm7_sample`): ``data`` of shape
``(n_molecules, max_atoms, 4)`` with columns ``Z, x, y, z`` (Å).

Downloads use :mod:`urllib` only. A download is streamed to a temporary file in the
data home, verified (checksum where the publisher gives one, then the content) and
only then renamed to its final name, so a file under its final name was complete and
correct when it was written. A file that fails verification is deleted.

The expected URLs, checksums, shapes and counts are the module-level constants below;
they are read at call time.
"""

import contextlib
import hashlib
import http.client
import os
import re
import tarfile
import tempfile
import urllib.request
import warnings
from collections.abc import Iterable
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

from .._core.molecules import pack_molecules
from ._home import get_data_home

#: 1 Bohr in Ångström (CODATA 2018).
BOHR_IN_ANGSTROM = 0.529177210903
#: 1 Hartree in kcal/mol (CODATA 2018).
HARTREE_IN_KCAL_MOL = 627.5094740631

# --- QM7 -----------------------------------------------------------------------------

#: Where the publisher (quantum-machine.org) serves ``qm7.mat``.
QM7_URL = "http://quantum-machine.org/data/qm7.mat"
QM7_FILENAME = "qm7.mat"
#: The publisher gives no checksum for ``qm7.mat``; the content is verified instead.
QM7_SHA256 = None
#: Arrays of ``qm7.mat`` and their shapes: Coulomb matrices, atomization energies,
#: the 5 cross-validation folds, atomic numbers and positions (Bohr).
QM7_SHAPES = {
    "X": (7165, 23, 23),
    "T": (1, 7165),
    "P": (5, 1433),
    "Z": (7165, 23),
    "R": (7165, 23, 3),
}

# --- QM9 -----------------------------------------------------------------------------

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

_CHUNK = 1 << 20
_TIMEOUT = 60
_USER_AGENT = "skscatharm (https://pypi.org/project/skscatharm)"


# --- downloading ---------------------------------------------------------------------


def _file_digest(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_digest(found, checksum, what):
    algorithm, expected = checksum
    if found != expected.lower():
        raise OSError(
            f"the {algorithm.upper()} checksum of {what} is {found}, expected "
            f"{expected}; the file is corrupt or not the published one"
        )


def _stream(url, handle, digest):
    """Write the body of ``url`` to ``handle``, updating ``digest`` if not None."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    received = 0
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            announced = response.headers.get("Content-Length")
            while chunk := response.read(_CHUNK):
                handle.write(chunk)
                received += len(chunk)
                if digest is not None:
                    digest.update(chunk)
    except http.client.HTTPException as error:  # e.g. a malformed response
        raise OSError(f"download of {url} failed: {error!r}") from error
    if announced is not None and received != int(announced):
        raise OSError(
            f"download of {url} stopped after {received} of {announced} bytes"
        )


def _download(url, path, checksum, read):
    """Stream ``url`` into a temporary file next to ``path``, verify, then rename.

    ``checksum`` is None or ``(algorithm, hexdigest)``; ``read(temporary_path)``
    verifies the content and returns what the caller needs. On any failure the
    temporary file is deleted and the error propagates.
    """
    handle = tempfile.NamedTemporaryFile(
        prefix=os.path.basename(path) + ".part_",
        dir=os.path.dirname(path),
        delete=False,
    )
    try:
        with handle:
            digest = hashlib.new(checksum[0]) if checksum else None
            _stream(url, handle, digest)
        if digest is not None:
            _check_digest(digest.hexdigest(), checksum, f"the file from {url}")
        result = read(handle.name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(handle.name)
        raise
    os.replace(handle.name, path)
    return result


def _fetch(url, path, checksum, read, download_if_missing):
    """Return ``read(path)``, downloading ``path`` from ``url`` first if needed.

    A cached file is verified again; if it fails, it is downloaded again (when
    allowed) after a warning.
    """
    if os.path.exists(path):
        try:
            if checksum:
                _check_digest(_file_digest(path, checksum[0]), checksum, path)
            return read(path)
        except (OSError, ValueError) as error:
            if not download_if_missing:
                raise
            warnings.warn(
                f"cached file {path} failed verification ({error}); downloading it "
                "again",
                stacklevel=3,
            )
            os.remove(path)
    elif not download_if_missing:
        raise OSError(
            f"{path} is not in the data home and download_if_missing=False; call "
            f"again with download_if_missing=True to download it from {url}, or put "
            "the file there yourself"
        )
    return _download(url, path, checksum, read)


def _description():
    return resources.files(__package__).joinpath("data", "README.rst").read_text()


def _folder(data_home, name):
    folder = os.path.join(get_data_home(data_home), name)
    os.makedirs(folder, exist_ok=True)
    return folder


# --- QM7 -----------------------------------------------------------------------------


def _loadmat(path):
    from scipy.io import loadmat

    try:
        return loadmat(path)
    except Exception as error:  # scipy raises several types for a non-MATLAB file
        raise ValueError(
            f"{path} is not a MATLAB file that scipy.io.loadmat can read: {error}"
        ) from error


def _qm7_arrays(mat, path):
    """Validate the arrays of a ``qm7.mat``-like file and convert to our units."""
    missing = [name for name in ("Z", "R", "T", "P") if name not in mat]
    if missing:
        raise ValueError(f"{path}: arrays {missing} are missing (need Z, R, T, P)")
    Z, R, T, P = (np.asarray(mat[name]) for name in ("Z", "R", "T", "P"))
    if Z.ndim != 2 or R.shape != Z.shape + (3,):
        raise ValueError(
            f"{path}: Z must have shape (n, max_atoms) and R (n, max_atoms, 3); got "
            f"Z {Z.shape} and R {R.shape}"
        )
    n = Z.shape[0]
    if T.size != n:
        raise ValueError(f"{path}: T holds {T.size} values for {n} molecules")
    if P.ndim != 2 or not np.array_equal(np.sort(P, axis=None), np.arange(n)):
        raise ValueError(
            f"{path}: P (shape {P.shape}) must hold the folds as a permutation of "
            f"the 0-based molecule indices 0..{n - 1}"
        )
    numbers = np.rint(Z)
    if not np.array_equal(numbers, Z) or np.any(numbers < 0):
        raise ValueError(f"{path}: Z must hold non-negative integers")
    if T.dtype == np.float32:
        # qm7.mat stores T as float32: keep the decimals that were written (-417.96),
        # not the float32 binary value (-417.95999146).
        target = T.ravel().astype(str).astype(np.float64)
    else:
        target = T.astype(np.float64).ravel()
    if not np.all(np.isfinite(target)) or not np.all(np.isfinite(R)):
        raise ValueError(f"{path}: T and R must be finite")
    return {
        "Z": numbers.astype(np.int64),
        "R": R.astype(np.float64) * BOHR_IN_ANGSTROM,
        "T": target,
        "P": P.astype(np.int64),
    }


def _qm7_bunch(arrays, return_X_y):
    data = pack_molecules(arrays["Z"], arrays["R"])
    if return_X_y:
        return data, arrays["T"]
    return Bunch(
        data=data,
        target=arrays["T"],
        target_names=["atomization energy (kcal/mol)"],
        feature_names=["Z", "x", "y", "z"],
        folds=arrays["P"],
        index=np.arange(len(data)),
        DESCR=_description(),
    )


def load_qm7_mat(path, *, return_X_y=False):
    """Read a local ``qm7.mat`` (the QM7 file of quantum-machine.org).

    Parameters
    ----------
    path : str or path-like
        A MATLAB file with the arrays ``Z`` (atomic numbers, zero padded), ``R``
        (positions, Bohr), ``T`` (atomization energies, kcal/mol) and ``P`` (the
        cross-validation folds, 0-based), as in ``qm7.mat``. The Coulomb matrices
        ``X`` are not read. Any number of molecules is accepted.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data``: array of shape (n_molecules, max_atoms, 4) with columns
        ``Z, x, y, z``, positions in Ångström (``R`` times 0.529177210903);
        ``target``: PBE0 atomization energies (kcal/mol); ``folds``: array of shape
        (n_folds, n_molecules / n_folds), ``folds[k]`` the 0-based molecule indices
        of fold ``k``; ``index``: rows of the file; ``target_names``,
        ``feature_names``; ``DESCR``: provenance, license and citations.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ValueError
        If the file cannot be read or its arrays are missing or inconsistent.

    See Also
    --------
    fetch_qm7 : Download ``qm7.mat`` once and read it.
    load_qm7_sample : 500 molecules of QM7 shipped with the package.
    """
    path = os.fspath(path)
    return _qm7_bunch(_qm7_arrays(_loadmat(path), path), return_X_y)


def _read_verified_qm7(path):
    """Read a downloaded ``qm7.mat``, checking every array against QM7_SHAPES."""
    mat = _loadmat(path)
    for name, shape in QM7_SHAPES.items():
        if name not in mat:
            raise ValueError(f"{path}: array {name!r} is missing")
        if np.shape(mat[name]) != tuple(shape):
            raise ValueError(
                f"{path}: array {name!r} has shape {np.shape(mat[name])}, expected "
                f"{tuple(shape)}"
            )
    return _qm7_arrays(mat, path)


def fetch_qm7(*, data_home=None, download_if_missing=True, return_X_y=False):
    """Load all 7,165 QM7 molecules, downloading ``qm7.mat`` on the first call.

    The file (about 15 MB) comes from its publisher, http://quantum-machine.org,
    and is kept in ``<data_home>/qm7/qm7.mat``. The publisher gives no checksum, so
    each read verifies the content instead: a MATLAB file that
    :func:`scipy.io.loadmat` reads, with arrays ``X`` (7165, 23, 23), ``T``
    (1, 7165), ``P`` (5, 1433), ``Z`` (7165, 23) and ``R`` (7165, 23, 3), ``P`` a
    permutation of the molecule indices and ``Z`` integer. A download that fails
    this is deleted; a cached file that fails it is downloaded again.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Data directory, see :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise an :class:`OSError` instead of downloading a missing file.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As :func:`load_qm7_mat`: ``data`` of shape (7165, 23, 4) (``Z, x, y, z``,
        Å), ``target`` the PBE0 atomization energies (kcal/mol), ``folds`` of shape
        (5, 1433) (0-based; test on ``folds[k]``, train on the others),
        ``index``, ``target_names``, ``feature_names``, ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    OSError
        If the file is missing and ``download_if_missing`` is False, or the
        download fails.
    ValueError
        If the file's content is not the expected one.

    See Also
    --------
    load_qm7_mat : Read a local ``qm7.mat``.
    load_qm7_sample : 500 molecules of QM7 shipped with the package.

    Notes
    -----
    QM7: L. C. Blum, J.-L. Reymond, J. Am. Chem. Soc. 131, 8732 (2009); M. Rupp,
    A. Tkatchenko, K.-R. Müller, O. A. von Lilienfeld, Phys. Rev. Lett. 108, 058301
    (2012). The folds are those of G. Montavon et al., NIPS 25 (2012). See
    ``DESCR`` for the license.

    Examples
    --------
    >>> from skscatharm.datasets import fetch_qm7
    >>> qm7 = fetch_qm7()  # doctest: +SKIP
    >>> qm7.data.shape, qm7.folds.shape  # doctest: +SKIP
    ((7165, 23, 4), (5, 1433))
    """
    path = os.path.join(_folder(data_home, "qm7"), QM7_FILENAME)
    checksum = ("sha256", QM7_SHA256) if QM7_SHA256 else None
    arrays = _fetch(QM7_URL, path, checksum, _read_verified_qm7, download_if_missing)
    return _qm7_bunch(arrays, return_X_y)


# --- QM9 -----------------------------------------------------------------------------


def _number(token):
    """Parse a QM9 number; a few use Mathematica's exponent, e.g. ``2.1997*^-6``."""
    return float(token.replace("*^", "e"))


def _parse_qm9_xyz(text, name):
    """Parse one ``dsgdb9nsd_*.xyz`` record into ``(index, Z, R, properties)``."""
    lines = text.splitlines()
    try:
        n_atoms = int(lines[0])
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
    n, max_atoms = len(records), max(len(record[1]) for record in records)
    Z = np.zeros((n, max_atoms), dtype=np.int8)
    R = np.zeros((n, max_atoms, 3), dtype=np.float64)
    for row, (_, numbers, positions, _) in enumerate(records):
        Z[row, : len(numbers)] = numbers
        R[row, : len(numbers)] = positions
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
        the number in its name), or if ``target`` is unknown.

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


def _save_npz(path, arrays):
    handle = tempfile.NamedTemporaryFile(
        prefix=os.path.basename(path) + ".part_",
        dir=os.path.dirname(path),
        delete=False,
    )
    try:
        with handle:
            np.savez(handle, **arrays)
    except BaseException:
        os.remove(handle.name)
        raise
    os.replace(handle.name, path)


def _load_cache(path):
    """Arrays of the parsed-QM9 cache, or None if it is absent or stale."""
    if not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as cache:
            arrays = {key: cache[key] for key in cache.files}
    except (OSError, ValueError):
        return None
    if int(arrays.pop("cache_version", -1)) != _QM9_CACHE_VERSION:
        return None
    if len(arrays.get("index", ())) != QM9_N_MOLECULES:
        return None
    return arrays


def fetch_qm9(
    *, data_home=None, target="U0_atom", download_if_missing=True, return_X_y=False
):
    """Load all 133,885 QM9 molecules, downloading the archive on the first call.

    The archive ``dsgdb9nsd.xyz.tar.bz2`` (about 86 MB) comes from its publisher,
    figshare (collection 978904, file 3195389), and is kept in
    ``<data_home>/qm9/``. It is verified by its MD5 (the value figshare lists for
    the file) and by parsing: every member must be a QM9 record and there must be
    133,885 of them. The parsed arrays are cached in ``<data_home>/qm9/qm9.npz``,
    so later calls neither download nor parse.

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
    arrays = _load_cache(cache)
    if arrays is None:
        path = os.path.join(folder, QM9_FILENAME)
        checksum = ("md5", QM9_MD5) if QM9_MD5 else None
        arrays = _fetch(
            QM9_URL, path, checksum, _read_verified_qm9, download_if_missing
        )
        _save_npz(cache, {**arrays, "cache_version": _QM9_CACHE_VERSION})
    return _qm9_bunch(arrays, target, return_X_y)
