"""QM9's targets, the subset's train/test split and the standard split's validation
problem, shared by the QM9 benchmarks."""

import numpy as np

from skscatharm import pack_molecules

#: Target name -> (array in ``qm9_subset20k.npz``, unit).
QM9_TARGETS = {
    "U0": ("U0_atom_kcal_mol", "kcal/mol"),
    "Cv": ("Cv_cal_mol_K", "cal/mol/K"),
}


def qm9_split(n_molecules, n_train, seed):
    """Training and test indices: a random permutation, the first ``n_train`` train.

    Parameters
    ----------
    n_molecules : int
    n_train : int
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    train, test : ndarray of int
    """
    order = np.random.default_rng(seed).permutation(n_molecules)
    return order[:n_train], order[n_train:]


def qm9_validation_problem(data, n_train):
    """The first ``n_train`` training molecules of QM9's standard split and all its
    validation molecules, as one problem with the fold of a
    :class:`~sklearn.model_selection.PredefinedSplit`.

    Parameters
    ----------
    data : Path
        The folder of ``qm9_all_but_1000.npz``.
    n_train : int

    Returns
    -------
    qm9 : NpzFile
        The whole file (targets are read from it at ``rows``).
    rows : ndarray of int
        The training rows, then the validation rows.
    molecules : ndarray
        Their molecules, packed.
    fold : ndarray of int
        -1 for the training rows, 0 for the validation rows.
    """
    qm9 = np.load(data / "qm9_all_but_1000.npz")
    split = qm9["split"]
    train = np.flatnonzero(split == 0)[:n_train]
    validation = np.flatnonzero(split == 1)
    rows = np.concatenate([train, validation])
    molecules = pack_molecules(qm9["Z"][rows], qm9["R"][rows])
    fold = np.r_[np.full(len(train), -1), np.zeros(len(validation), dtype=int)]
    return qm9, rows, molecules, fold
