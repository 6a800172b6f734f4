"""Molecule data sets: small samples of QM7 and QM9 shipped with the package."""

from ._samples import load_qm7_sample, load_qm9_sample

__all__ = ["load_qm7_sample", "load_qm9_sample"]
