"""Molecule data sets: shipped QM7/QM9 samples, fetchers for the whole sets, readers."""

from ._home import clear_data_home, get_data_home
from ._qm7 import fetch_qm7, load_qm7_mat
from ._qm9 import fetch_qm9, load_qm9_xyz
from ._readers import read_molecules
from ._samples import load_ethanol_xtb_sample, load_qm7_sample, load_qm9_sample

__all__ = [
    "clear_data_home",
    "fetch_qm7",
    "fetch_qm9",
    "get_data_home",
    "load_ethanol_xtb_sample",
    "load_qm7_mat",
    "load_qm7_sample",
    "load_qm9_sample",
    "load_qm9_xyz",
    "read_molecules",
]
