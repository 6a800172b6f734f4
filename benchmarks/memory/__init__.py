"""How much memory do the regressors' solvers need?"""
