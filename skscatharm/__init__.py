"""Solid harmonic wavelet scattering for molecules, in scikit-learn.

``SolidHarmonicScattering`` turns molecules into invariant scattering coefficients;
the regressors in :mod:`skscatharm.regression` fit multilinear models on them, and
``PerAtomRegressor`` fits any of them to a size-extensive target per atom;
``atom_fields`` reads the first-order fields at each atom, ``AtomKernelRidge``
fits a sum of atomic energies on them, and ``AtomKernelRidgeCV`` chooses its width
and ridge by cross-validation from one kernel per width;
``ResidualCorrectionRegressor`` fits a second model to what a first one leaves (an
atom-kernel model corrected on the global coefficients, say).
"""

from ._atoms.fields import atom_fields
from ._atoms.ridge import AtomKernelRidge
from ._atoms.ridge_cv import AtomKernelRidgeCV
from ._atoms.sparse import SparseAtomKernelRidge
from ._atoms.sparse_cv import SparseAtomKernelRidgeCV
from ._core.molecules import pack_molecules
from ._per_atom import PerAtomRegressor
from ._persistence import InconsistentVersionWarning
from ._residual import ResidualCorrectionRegressor
from ._select import SelectIntegralPowers, SelectWavelets
from ._transformer import SolidHarmonicScattering
from ._version import __version__
from .regression import (
    BilinearRegressor,
    FactorizedBilinearRegressor,
    FactorizedMultilinearRegressor,
)

__all__ = [
    "AtomKernelRidge",
    "AtomKernelRidgeCV",
    "BilinearRegressor",
    "FactorizedBilinearRegressor",
    "FactorizedMultilinearRegressor",
    "InconsistentVersionWarning",
    "PerAtomRegressor",
    "ResidualCorrectionRegressor",
    "SelectIntegralPowers",
    "SelectWavelets",
    "SolidHarmonicScattering",
    "SparseAtomKernelRidge",
    "SparseAtomKernelRidgeCV",
    "pack_molecules",
    "__version__",
    "atom_fields",
]
