"""Loaders for the QM7 and QM9 samples shipped in ``skscatharm/datasets/data``."""

from importlib import resources

import numpy as np
from sklearn.utils import Bunch

from .._core.molecules import pack_molecules


def _read(name):
    with resources.files(__package__).joinpath("data", name).open("rb") as handle:
        with np.load(handle) as archive:
            return {key: archive[key] for key in archive.files}


def _description():
    return resources.files(__package__).joinpath("data", "README.rst").read_text()


def _bunch(arrays, target_key, target_names, return_X_y, index_key):
    data = pack_molecules(arrays["Z"], arrays["R"])
    target = arrays[target_key]
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=target_names,
        feature_names=["Z", "x", "y", "z"],
        index=arrays[index_key],
        extra={k: v for k, v in arrays.items() if k not in ("Z", "R", index_key)},
        DESCR=_description(),
    )


def load_qm7_sample(*, return_X_y=False):
    """Load 500 QM7 molecules with their atomization energies (kcal/mol).

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``data``: array of shape (500, 23, 4) with columns ``Z, x, y, z`` (Å), the
        input form of :class:`~skscatharm.SolidHarmonicScattering`; ``target``:
        PBE0 atomization energies (kcal/mol); ``index``: rows of ``qm7.mat``;
        ``DESCR``: provenance, license and citations.
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from skscatharm.datasets import load_qm7_sample
    >>> X, y = load_qm7_sample(return_X_y=True)
    >>> X.shape, y.shape
    ((500, 23, 4), (500,))
    """
    return _bunch(
        _read("qm7_sample.npz"),
        "energy_kcal_mol",
        ["atomization energy (kcal/mol)"],
        return_X_y,
        "qm7_index",
    )


def load_qm9_sample(*, target="U0_atom_kcal_mol", return_X_y=False):
    """Load 200 QM9 molecules with two of their properties.

    Parameters
    ----------
    target : {"U0_atom_kcal_mol", "Cv_cal_mol_K"}, default="U0_atom_kcal_mol"
        Atomization energy at 0 K (kcal/mol) or heat capacity at 298.15 K
        (cal/mol/K).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        As :func:`load_qm7_sample`, with arrays of shape (200, 29, 4).
    (data, target) : tuple if ``return_X_y`` is True
    """
    if target not in ("U0_atom_kcal_mol", "Cv_cal_mol_K"):
        raise ValueError(
            f"target must be 'U0_atom_kcal_mol' or 'Cv_cal_mol_K', got {target!r}"
        )
    return _bunch(_read("qm9_sample.npz"), target, [target], return_X_y, "qm9_index")


def load_ethanol_xtb_sample(*, return_X_y=False):
    """Load 60 configurations of ethanol from GFN2-xTB MD, with energies and forces.

    A Langevin trajectory at 500 K on the GFN2-xTB potential (tblite), one
    configuration every 10 fs, made by ``benchmarks/forces/xtb_trajectories.py``
    (``--molecules ethanol --n 60 --every 20 --seed 1``); a small sample for
    examples and tests of force models.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``data``: array of shape (60, 9, 4) with columns ``Z, x, y, z`` (Å);
        ``target``: total GFN2-xTB energies (eV); ``forces``: array of shape
        (60, 9, 3), the forces on the atoms (eV/Å); ``DESCR``: provenance.
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from skscatharm.datasets import load_ethanol_xtb_sample
    >>> sample = load_ethanol_xtb_sample()
    >>> sample.data.shape, sample.target.shape, sample.forces.shape
    ((60, 9, 4), (60,), (60, 9, 3))
    """
    arrays = _read("ethanol_xtb_sample.npz")
    data = pack_molecules(arrays["Z"].astype(int), arrays["R"])
    if return_X_y:
        return data, arrays["energy_eV"]
    return Bunch(
        data=data,
        target=arrays["energy_eV"],
        forces=arrays["forces_eV_A"],
        target_names=["GFN2-xTB energy (eV)"],
        feature_names=["Z", "x", "y", "z"],
        DESCR=_description(),
    )
