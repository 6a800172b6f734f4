"""QM7: read the publisher's ``qm7.mat`` (:func:`load_qm7_mat`), or fetch it once.

:func:`fetch_qm7` downloads the file from its publisher once (see
:mod:`._download`), verifies it, keeps it in the data home
(:func:`~skscatharm.datasets.get_data_home`) and returns a
:class:`~sklearn.utils.Bunch` in the layout of the shipped sample
(:func:`~skscatharm.datasets.load_qm7_sample`): ``data`` of shape
``(n_molecules, max_atoms, 4)`` with columns ``Z, x, y, z`` (Å).

The expected URL, checksum and shapes are the module-level constants below; they
are read at call time.
"""

import os

import numpy as np
from sklearn.utils import Bunch

from .._core.molecules import pack_molecules
from ._download import _fetch, _folder
from ._samples import _description

#: 1 Bohr in Ångström (CODATA 2018).
BOHR_IN_ANGSTROM = 0.529177210903

#: Where the publisher (quantum-machine.org) serves ``qm7.mat``.
QM7_URL = "http://quantum-machine.org/data/qm7.mat"
QM7_FILENAME = "qm7.mat"
#: SHA-256 of the publisher's ``qm7.mat``, checked at download and at every read
#: when set. The publisher gives none, and no copy of the file known to be exact
#: was at hand to compute it when this was written, so it is None: the content is
#: verified instead, and the SHA-256 of the first
#: verified download is recorded in ``qm7.mat.sha256`` and checked at every later
#: read. Set it from that record of a download from the publisher.
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
    and is kept in ``<data_home>/qm7/qm7.mat``. The publisher gives no checksum:
    the SHA-256 of the first verified download is recorded in
    ``<data_home>/qm7/qm7.mat.sha256`` and each later read checks the file against
    it (a file changed on disk is downloaded again). Each read also verifies the
    content: a MATLAB file that
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
        If the file is missing and ``download_if_missing`` is False, the
        download fails, or (with ``download_if_missing=False``) the cached file
        no longer has the SHA-256 recorded at its download.
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
