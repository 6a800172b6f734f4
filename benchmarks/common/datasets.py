"""The QM9 subset's targets and its one train/test split, shared by its benchmarks."""

import numpy as np

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
