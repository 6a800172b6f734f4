"""Bilinear regressors: quadratic models of an ordinary feature matrix.

- :class:`BilinearRegressor`: all pairwise products, exact ridge solution.
- :class:`FactorizedBilinearRegressor`: low-rank (factorised) bilinear model.
- :class:`FactorizedMultilinearRegressor`: sums of products of linear forms up to a
  degree (the tri-linear model at ``degree=3``).
"""

from ._bilinear import BilinearRegressor
from ._factorized import FactorizedBilinearRegressor
from ._multilinear import FactorizedMultilinearRegressor

__all__ = [
    "BilinearRegressor",
    "FactorizedBilinearRegressor",
    "FactorizedMultilinearRegressor",
]
