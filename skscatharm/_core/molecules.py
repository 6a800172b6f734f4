"""Input adaptation: every accepted form of "a batch of molecules" becomes one form.

Accepted (see :func:`as_molecules`):

* a sequence of ``(Z, R)`` pairs, ``Z`` of shape ``(n_atoms,)`` and ``R`` of shape
  ``(n_atoms, 3)`` in Ångström;
* a sequence of objects with ``get_atomic_numbers()`` and ``get_positions()``, such as
  ``ase.Atoms`` (ASE itself is never imported here);
* a zero-padded array of shape ``(n_molecules, max_atoms, 4)`` with columns
  ``Z, x, y, z``; rows whose ``Z`` is 0 are padding (see :func:`pack_molecules`).
"""

from dataclasses import dataclass
from numbers import Integral

import numpy as np


@dataclass(frozen=True)
class Molecule:
    """A validated molecule: integer atomic numbers and float64 positions (Å)."""

    numbers: np.ndarray
    positions: np.ndarray

    @property
    def n_atoms(self):
        """Number of atoms."""
        return len(self.numbers)


def pack_molecules(Z, R):
    """Pack zero-padded atomic numbers and positions into the ``(n, max_atoms, 4)`` form.

    This is the layout of the QM7 and QM9 ``.npz`` files: ``Z[i, :n_atoms[i]]`` are the
    atomic numbers of molecule ``i`` followed by zeros, and ``R[i]`` its positions.

    Parameters
    ----------
    Z : array-like of shape (n_molecules, max_atoms)
        Atomic numbers; 0 marks a padding row.
    R : array-like of shape (n_molecules, max_atoms, 3)
        Positions in Ångström.

    Returns
    -------
    packed : ndarray of shape (n_molecules, max_atoms, 4)
        Columns ``Z, x, y, z``, float64, accepted by
        :class:`~skscatharm.SolidHarmonicScattering`.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatharm import pack_molecules
    >>> Z = np.array([[8, 1, 1, 0]])
    >>> R = np.array([[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0], [0, 0, 0]]])
    >>> pack_molecules(Z, R).shape
    (1, 4, 4)
    """
    Z = np.asarray(Z)
    R = np.asarray(R, dtype=np.float64)
    if Z.ndim != 2:
        raise ValueError(f"Z must have shape (n_molecules, max_atoms), got {Z.shape}")
    if R.shape != Z.shape + (3,):
        raise ValueError(
            f"R must have shape {Z.shape + (3,)} to match Z {Z.shape}, got {R.shape}"
        )
    return np.concatenate([Z[..., None].astype(np.float64), R], axis=-1)


def _integer_numbers(values, index):
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(
            f"molecule {index}: atomic numbers must be one-dimensional, "
            f"got shape {values.shape}"
        )
    if values.dtype.kind == "b" or values.dtype.kind not in "iuf":
        raise TypeError(
            f"molecule {index}: atomic numbers must be integers, got dtype "
            f"{values.dtype}"
        )
    if values.dtype.kind == "f":
        if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
            raise ValueError(
                f"molecule {index}: atomic numbers must be integers, got "
                f"{values[~np.isfinite(values) | (values != np.round(values))][:3]}"
            )
    numbers = values.astype(np.int64)
    if np.any(numbers <= 0):
        raise ValueError(
            f"molecule {index}: atomic numbers must be positive, got "
            f"{numbers[numbers <= 0][:3].tolist()}"
        )
    return numbers


def _validated(numbers, positions, index):
    numbers = _integer_numbers(numbers, index)
    try:
        positions = np.asarray(positions, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"molecule {index}: positions must be numeric") from error
    if positions.ndim != 2 or positions.shape[1] != 3:
        raise ValueError(
            f"molecule {index}: positions must have shape (n_atoms, 3), "
            f"got {positions.shape}"
        )
    if len(numbers) != len(positions):
        raise ValueError(
            f"molecule {index}: {len(numbers)} atomic numbers but "
            f"{len(positions)} positions"
        )
    if len(numbers) == 0:
        raise ValueError(f"molecule {index}: it has no atoms")
    bad = ~np.isfinite(positions).all(axis=1)
    if bad.any():
        raise ValueError(
            f"molecule {index}: positions of atom(s) {np.flatnonzero(bad)[:5].tolist()}"
            " are NaN or infinite"
        )
    return Molecule(numbers, positions)


def _is_atoms_like(obj):
    return hasattr(obj, "get_atomic_numbers") and hasattr(obj, "get_positions")


def _from_atoms(atoms, index):
    pbc = getattr(atoms, "pbc", False)
    if np.any(pbc):
        raise ValueError(
            f"molecule {index}: periodic systems (pbc={np.asarray(pbc).tolist()}) "
            "are not supported yet; pass molecules with pbc=False"
        )
    return _validated(atoms.get_atomic_numbers(), atoms.get_positions(), index)


def _from_padded_row(row, index):
    row = np.asarray(row, dtype=np.float64)
    z = row[:, 0]
    real = z != 0
    positions = row[real, 1:]
    if np.any(~np.isfinite(row[real])) or not np.all(np.isfinite(z)):
        bad = np.flatnonzero(~np.isfinite(row).all(axis=1))
        raise ValueError(
            f"molecule {index}: row(s) {bad[:5].tolist()} hold NaN or infinite values"
        )
    return _validated(z[real], positions, index)


def as_molecules(X):
    """Validate a batch of molecules and return a list of :class:`Molecule`.

    Parameters
    ----------
    X : sequence or ndarray
        See the module docstring for the accepted forms.

    Returns
    -------
    list of Molecule

    Raises
    ------
    TypeError, ValueError
        With the index of the offending molecule and the problem.
    """
    if _is_atoms_like(X):
        raise TypeError(
            "X is a single molecule (an Atoms-like object); pass a list of molecules, "
            "e.g. [atoms], so that each molecule is one sample"
        )
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim != 3 or X.shape[-1] != 4:
            raise ValueError(
                "an array of molecules must have shape (n_molecules, max_atoms, 4) "
                f"with columns Z, x, y, z; got {X.shape}. Use "
                "skscatharm.pack_molecules(Z, R) to build it from padded Z and R."
            )
        return [_from_padded_row(row, index) for index, row in enumerate(X)]
    if isinstance(X, str | bytes | dict) or not hasattr(X, "__len__"):
        raise TypeError(
            "X must be a sequence of molecules ((Z, R) pairs or Atoms objects) or an "
            f"array of shape (n_molecules, max_atoms, 4); got {type(X).__name__}"
        )
    molecules = []
    for index, item in enumerate(X):
        if isinstance(item, Molecule):
            molecules.append(item)
        elif _is_atoms_like(item):
            molecules.append(_from_atoms(item, index))
        elif isinstance(item, tuple | list) and len(item) == 2:
            molecules.append(_validated(item[0], item[1], index))
        elif isinstance(item, np.ndarray) and item.ndim == 2 and item.shape[1] == 4:
            molecules.append(_from_padded_row(item, index))
        else:
            what = type(item).__name__
            if isinstance(item, Integral):
                what = "a number (did you pass one molecule's atomic numbers?)"
            raise TypeError(
                f"molecule {index}: expected a (Z, R) pair, an Atoms-like object or "
                f"an (n_atoms, 4) array; got {what}"
            )
    return molecules


def pad_ragged(arrays, axis=0, dtype=np.float64):
    """Stack arrays that differ in length along ``axis``, zero-padded to the longest.

    The one padding helper of the package: molecules of different sizes become the
    rows of one array (padding atoms have atomic number 0 or weight 0, so they add
    nothing to any field).

    Parameters
    ----------
    arrays : sequence of ndarray
        Equal shapes except along ``axis``.
    axis : int, default=0
        The ragged axis of each array.
    dtype : numpy dtype, default=float64

    Returns
    -------
    padded : ndarray of shape (len(arrays), ...)
        ``padded[i]`` holds ``arrays[i]`` at the start of ``axis``, then zeros.
    """
    arrays = [np.asarray(a) for a in arrays]
    length = max((a.shape[axis] for a in arrays), default=0)
    shape = list(arrays[0].shape) if arrays else [0]
    shape[axis] = length
    padded = np.zeros((len(arrays), *shape), dtype=dtype)
    for row, array in enumerate(arrays):
        index = [slice(None)] * array.ndim
        index[axis] = slice(0, array.shape[axis])
        padded[(row, *index)] = array
    return padded
