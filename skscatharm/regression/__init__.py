"""Bilinear regressors: quadratic models of an ordinary feature matrix.

- :class:`BilinearRegressor`: all pairwise products, exact ridge solution.
- :class:`FactorizedBilinearRegressor`: low-rank (factorised) bilinear model.
"""

from ._bilinear import BilinearRegressor
from ._factorized import FactorizedBilinearRegressor

__all__ = ["BilinearRegressor", "FactorizedBilinearRegressor"]
