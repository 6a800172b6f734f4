"""Peak memory of BilinearRegressor's dual solver against the size of its kernel.

The dual solve needs one ``n x n`` kernel; everything else is ``O(n K)``. This
script fits ``BilinearRegressor(solver="dual")`` on random features and reports the
peak of NumPy's traced allocations during the fit in units of ``8 n^2`` bytes (one
float64 ``n x n`` array), beside what ``solver="auto"`` would choose at that size.

Usage: python -m benchmarks.memory.dual_solver [--n 2000 4000] [--k 300]
"""

import argparse
import time
import tracemalloc

import numpy as np

from skscatharm import BilinearRegressor
from skscatharm.regression import _bilinear


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[2000, 4000])
    parser.add_argument("--k", type=int, default=300)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for n in args.n:
        X = rng.normal(size=(n, args.k))
        y = X[:, 0] * X[:, 1] + X[:, 2] + 0.1 * rng.normal(size=n)
        for alpha_linear in (None, 1e-8):
            model = BilinearRegressor(
                alpha=0.1, alpha_linear=alpha_linear, solver="dual"
            )
            tracemalloc.start()
            start = time.perf_counter()
            model.fit(X, y)
            seconds = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(
                f"n={n} K={args.k} alpha_linear={alpha_linear}: peak "
                f"{peak / 2**20:.0f} MiB = {peak / (8.0 * n * n):.2f} x (8 n^2), "
                f"{seconds:.1f} s; auto picks {_bilinear._choose_solver(n, args.k)!r}",
                flush=True,
            )


if __name__ == "__main__":
    main()
