"""Read molecules from any file format ASE reads (xyz, extxyz, sdf, ...)."""

import os

import numpy as np

from .._core.molecules import _from_atoms, pack_molecules, pad_ragged

_ASE_MISSING = (
    "read_molecules needs ASE to read molecule files; install it with "
    "`pip install skscatharm[ase]` (or `pip install ase`)"
)


def _import_ase_read():
    try:
        from ase.io import read
    except ImportError as error:
        raise ImportError(_ASE_MISSING) from error
    return read


def _target_value(atoms, target, index):
    """The scalar property ``target`` of one molecule: info first, then results."""
    if target in atoms.info:
        value, origin = atoms.info[target], "atoms.info"
    else:
        results = getattr(atoms.calc, "results", None) or {}
        if target not in results:
            available = sorted(set(atoms.info) | set(results))
            raise ValueError(
                f"molecule {index} has no property {target!r} (neither in the "
                f"comment line / atoms.info nor in calculator results); it has "
                f"{available}"
            )
        value, origin = results[target], "calculator results"
    try:
        value = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"molecule {index}: property {target!r} ({origin}) is not a number: "
            f"{value!r}"
        ) from error
    if value.ndim != 0:
        raise ValueError(
            f"molecule {index}: property {target!r} ({origin}) has shape "
            f"{value.shape}; a target must be one number per molecule"
        )
    return float(value)


def read_molecules(path, format=None, target=None, index=":", *, packed=False):
    """Read molecules from a file in any format that ASE reads.

    Parameters
    ----------
    path : str or path-like
        The file, read with :func:`ase.io.read`.
    format : str, default=None
        ASE's name of the format (``"xyz"``, ``"extxyz"``, ``"sdf"``, ...); None
        lets ASE guess it from the file name and content.
    target : str, default=None
        Name of a per-molecule number to return as targets: a ``key=value`` of the
        extended-xyz comment line (``atoms.info[target]``), else a calculator
        result (e.g. ``"energy"``, which ASE's extxyz reader stores there). Values
        are returned as found, in the file's units.
    index : int, slice or str, default=":"
        Which molecules of the file to read, as ASE's ``index``: ``":"`` all,
        ``0`` the first, ``"-1"`` the last, ``"::2"`` every other.
    packed : bool, default=False
        Return the molecules as one zero-padded array of shape
        ``(n_molecules, max_atoms, 4)`` (see :func:`skscatharm.pack_molecules`)
        instead of a list of pairs.

    Returns
    -------
    X : list of (Z, R) tuples or ndarray of shape (n_molecules, max_atoms, 4)
        The molecules in an input form of
        :class:`~skscatharm.SolidHarmonicScattering`: ``Z`` int64 atomic numbers
        of shape (n_atoms,), ``R`` float64 positions of shape (n_atoms, 3) in the
        file's length unit (Å for xyz and sdf).
    y : ndarray of shape (n_molecules,)
        The targets, only when ``target`` is given.

    Raises
    ------
    ImportError
        If ASE is not installed (``pip install skscatharm[ase]``).
    ValueError
        Naming the molecule (its position among those read), if it lacks ``target``, its target
        is not one number, it is periodic, or it has no valid atoms; naming the
        file, the molecule (its position in the file) and the symbol, if an
        element symbol is unknown.

    See Also
    --------
    skscatharm.pack_molecules : Build the padded array from ``Z`` and ``R``.
    load_qm9_xyz : Read the QM9 ``.xyz`` files with all their properties.

    Examples
    --------
    >>> from skscatharm.datasets import read_molecules
    >>> X, y = read_molecules("molecules.extxyz", target="energy")  # doctest: +SKIP
    """
    read = _import_ase_read()
    path = os.fspath(path)
    try:
        images = read(path, index=index, format=format)
    except KeyError as error:
        # ASE looks each symbol up in a dict: an unknown one ("Xx", "Hx") escapes
        # as a bare KeyError('Xx') that names neither the file nor the molecule.
        symbol = error.args[0] if error.args else None
        if not isinstance(symbol, str) or symbol in _chemical_symbols():
            raise
        raise ValueError(
            f"{path}: molecule {_failing_molecule(path, format)} (0-based, in file "
            f"order) has an unknown element symbol {symbol!r}"
        ) from error
    if not isinstance(images, list):  # an integer index gives one Atoms
        images = [images]
    molecules = [_from_atoms(atoms, number) for number, atoms in enumerate(images)]
    X = [(molecule.numbers, molecule.positions) for molecule in molecules]
    if packed:
        X = _pack(X)
    if target is None:
        return X
    y = np.array(
        [_target_value(atoms, target, number) for number, atoms in enumerate(images)],
        dtype=np.float64,
    )
    return X, y


def _chemical_symbols():
    from ase.data import chemical_symbols

    return set(chemical_symbols)


def _failing_molecule(path, format):
    """Position in the file of the first molecule that ASE cannot read, or '?'."""
    from ase.io import iread

    count = 0
    try:
        for _ in iread(path, index=":", format=format):
            count += 1
    except Exception:  # the failure we are locating, whatever ASE raises for it
        return count
    return "?"


def _pack(pairs):
    if not pairs:  # no molecule to take the shape of the positions from
        return pack_molecules(np.zeros((0, 0), dtype=np.int64), np.zeros((0, 0, 3)))
    Z = pad_ragged([numbers for numbers, _ in pairs], dtype=np.int64)
    R = pad_ragged([positions for _, positions in pairs], dtype=np.float64)
    return pack_molecules(Z, R)
