"""Fit time and peak memory of the tri-linear regressor at QM9 size.

``FactorizedMultilinearRegressor(degree=3)`` is fitted once on synthetic data of
the shape of the QM9 training set's scattering coefficients (110,000 samples, 300
features by default), and the script reports the fit's wall and CPU time (the CPU time of all the
process's threads: on a machine shared with other work it is the cost, the wall
time depends on the load), the peak of
the memory traced during it (``tracemalloc``), the process's largest resident
size (``getrusage``), the iterations, and the error on the training samples and
on held-out ones.

The features imitate scattering coefficients: strongly correlated (a low-rank
signal plus a little independent noise, so that the second-moment matrix has a
condition number of about 1e6) and with scales and offsets spread over six
decades.  The target is a known model of the estimator's own form,

    y = sum_{r=1..R3} prod_{j=1..3} (a_rj . x~) + sum_{r=1..R2} (b_r . x~)(c_r . x~)
        + d . x~ + 1,

with ``x~`` the features standardised by the training mean and standard
deviation, plus optional noise (none by default): a fit that finds it has a
training error near zero.

Usage::

    python -m benchmarks.speed.multilinear_fit                  # n=110000, K=300
    python -m benchmarks.speed.multilinear_fit --n 20000 --k 100
"""

import argparse
import platform
import resource
import time
import tracemalloc
import warnings

import numpy as np

from skscatharm import FactorizedMultilinearRegressor


def make_features(rng, n, n_features, rank=20, noise=1e-3):
    """Correlated features at scattering-like scales: low rank plus noise."""
    loadings = rng.normal(size=(rank, n_features)) / np.sqrt(rank)
    signal = rng.normal(size=(n, rank)) @ loadings
    signal += noise * rng.normal(size=(n, n_features))
    scales = 10.0 ** rng.uniform(-3, 3, n_features)
    offsets = 3.0 * scales
    return signal * scales + offsets


def planted_target(rng, X, mean, std, ranks):
    """The known model: products of degrees 3 and 2 of the standardised features."""
    K = X.shape[1]
    Xs = (X - mean) / std
    y = Xs @ rng.normal(size=K) / np.sqrt(K) + 1.0
    for degree, R in zip((2, 3), ranks, strict=True):
        factors = rng.normal(size=(R, degree, K)) / np.sqrt(K)
        y += np.prod(np.einsum("rjk,ik->irj", factors, Xs), axis=2).sum(axis=1)
    return y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=110_000, help="training samples")
    parser.add_argument("--n-test", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=300, help="features")
    parser.add_argument(
        "--planted",
        type=int,
        nargs=2,
        default=(2, 2),
        metavar=("R2", "R3"),
        help="products of degree 2 and 3 in the known model",
    )
    parser.add_argument(
        "--n-components",
        type=int,
        nargs=2,
        default=(2, 3),
        metavar=("R2", "R3"),
        help="products of degree 2 and 3 fitted",
    )
    parser.add_argument("--alpha", type=float, default=1e-6)
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument(
        "--noise", type=float, default=0.0, help="target noise, relative to std(y)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.RandomState(args.seed)
    n = args.n + args.n_test
    X = make_features(rng, n, args.k)
    train, test = slice(0, args.n), slice(args.n, None)
    mean, std = X[train].mean(0), X[train].std(0)
    y = planted_target(rng, X, mean, std, args.planted)
    y += args.noise * y.std() * rng.normal(size=n)
    z = (X[train] - mean) / std
    condition = np.linalg.cond(z.T @ z)
    del z

    model = FactorizedMultilinearRegressor(
        degree=3,
        n_components=args.n_components,
        alpha=args.alpha,
        max_iter=args.max_iter,
        random_state=args.seed,
    )
    X_train, y_train = X[train].copy(), y[train].copy()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start, start_cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X_train, y_train)
    fit_s = time.perf_counter() - start
    fit_cpu_s = time.process_time() - start_cpu
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def relative_rmse(rows):
        error = model.predict(X[rows]) - y[rows]
        return np.sqrt(np.mean(error**2)) / y[train].std()

    print(
        f"n_train={args.n}, n_test={args.n_test}, K={args.k}, "
        f"condition number of the standardised features' second moments "
        f"{condition:.1e}; planted (R2, R3)={tuple(args.planted)}, fitted "
        f"n_components={tuple(args.n_components)}, alpha={args.alpha:g}, "
        f"target noise {args.noise:g}; {platform.machine()}, "
        f"python {platform.python_version()}, numpy {np.__version__}\n"
    )
    print(
        "| fit wall time (s) | fit CPU time (s) | iterations | peak traced during fit (MiB) | "
        "process max RSS (MiB) | RSS before fit (MiB) | training RMSE / std(y) | "
        "held-out RMSE / std(y) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {fit_s:.1f} | {fit_cpu_s:.1f} | {model.n_iter_} | {traced_peak / 2**20:.0f} | "
        f"{max_rss / 1024:.0f} | {rss_before / 1024:.0f} | "
        f"{relative_rmse(train):.2e} | {relative_rmse(test):.2e} |"
    )
    for warning in caught:
        print(f"\nWarning: {warning.message}")


if __name__ == "__main__":
    main()
