"""The atom descriptors: scaled logarithms of the atom-centred fields.

The fields of :func:`~skscatharm.atom_fields` span orders of magnitude across
atoms and columns, and some vanish by symmetry. The atom models compare atoms on
``log(U1 + offset) * scale``, with the offset a small fraction of each column's
median (a finite logarithm everywhere) and the scale that gives each column unit
variance over the training atoms.
"""

import numpy as np


def log_scaling(fields, eps):
    """Offsets and scales of the atom descriptors ``log(U1 + offset) * scale``.

    Parameters
    ----------
    fields : ndarray of shape (n_atoms, n_fields)
        The training atoms' :func:`~skscatharm.atom_fields`.
    eps : float
        Offset as a fraction of each column's median.

    Returns
    -------
    offset, scale : ndarray of shape (n_fields,)
        ``eps * median`` (1 for a column whose median is 0), and the inverse
        spread of the logarithms over the training atoms (0 for a constant column).
    """
    offset = eps * np.median(fields, axis=0)
    # A column that vanishes on most training atoms would have no finite logarithm.
    offset[offset == 0] = 1.0
    spread = np.log(fields + offset).std(axis=0)
    scale = np.divide(1.0, spread, out=np.zeros_like(spread), where=spread > 0)
    return offset, scale


def scaled_logs(fields, offset, scale):
    """The atom descriptors ``log(fields + offset) * scale`` of :func:`log_scaling`.

    Parameters
    ----------
    fields : ndarray of shape (n_atoms, n_fields)
        Any atoms' :func:`~skscatharm.atom_fields`.
    offset, scale : ndarray of shape (n_fields,)
        From :func:`log_scaling` on the training atoms.

    Returns
    -------
    descriptors : ndarray of shape (n_atoms, n_fields)
    """
    return np.log(fields + offset) * scale
