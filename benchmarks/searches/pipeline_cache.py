"""GridSearchCV over a regressor's penalty, with and without ``Pipeline(memory=...)``.

In a grid over the *regressor's* parameters every candidate fits the same
transform on the same training split, so without a cache the scattering
coefficients of each training split are recomputed for every candidate. With
``Pipeline(memory=joblib.Memory(folder))`` the transform's ``fit_transform`` on a
split is computed once and read back for the other candidates. The held-out
molecules of each split are still transformed once per candidate (``predict`` and
``score`` are not cached), and the final refit on all molecules is a new input.

Both searches run in the same process, on the same molecules and splits; the script
counts the molecules each one actually featurized, times both and checks that they
chose the same penalty with the same scores.

Usage: python -m benchmarks.searches.pipeline_cache [--n 60] [--oversampling 2]
    [--J 2] [--L 3] [--n-alphas 4] [--n-splits 3] [--n-jobs -1]
"""

import argparse
import platform
import tempfile
import time

import joblib
import numpy as np
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from skscatharm import BilinearRegressor, SolidHarmonicScattering
from skscatharm.datasets import load_qm7_sample


class CountingScattering(SolidHarmonicScattering):
    """The transformer, counting the molecules it featurizes (class-wide)."""

    n_featurized = 0

    def transform(self, X):
        """Featurize ``X`` and add its length to the count."""
        CountingScattering.n_featurized += len(X)
        return super().transform(X)


def search(X, y, memory, args):
    """Fit the grid search; return it, its wall time and the molecules featurized."""
    pipeline = Pipeline(
        [
            (
                "scattering",
                CountingScattering(
                    J=args.J,
                    L=args.L,
                    oversampling=args.oversampling,
                    n_jobs=args.n_jobs,
                ),
            ),
            ("regressor", BilinearRegressor()),
        ],
        memory=memory,
    )
    grid = GridSearchCV(
        pipeline,
        {"regressor__alpha": np.logspace(-4, 0, args.n_alphas)},
        cv=KFold(args.n_splits, shuffle=True, random_state=0),
        scoring="neg_mean_absolute_error",
    )
    CountingScattering.n_featurized = 0
    start = time.perf_counter()
    grid.fit(X, y)
    return grid, time.perf_counter() - start, CountingScattering.n_featurized


def main():
    """Run both searches and print their times, counts and ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=60, help="QM7 sample molecules")
    parser.add_argument("--oversampling", type=float, default=2.0)
    parser.add_argument("--J", type=int, default=2)
    parser.add_argument("--L", type=int, default=3)
    parser.add_argument("--n-alphas", type=int, default=4, help="grid candidates")
    parser.add_argument("--n-splits", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=-1)
    args = parser.parse_args()

    X, y = load_qm7_sample(return_X_y=True)
    X, y = X[: args.n], y[: args.n]
    print(
        f"{args.n} QM7 molecules, SolidHarmonicScattering(J={args.J}, L={args.L}, "
        f"oversampling={args.oversampling:g}, n_jobs={args.n_jobs}) + "
        f"BilinearRegressor, GridSearchCV over {args.n_alphas} alphas x "
        f"{args.n_splits} splits; {platform.machine()}, {joblib.cpu_count()} CPUs"
    )
    plain, plain_seconds, plain_count = search(X, y, None, args)
    print(f"no cache:   {plain_seconds:7.1f} s, {plain_count:5d} molecules featurized")
    with tempfile.TemporaryDirectory() as folder:
        memory = joblib.Memory(folder, verbose=0)
        cached, cached_seconds, cached_count = search(X, y, memory, args)
    print(
        f"with cache: {cached_seconds:7.1f} s, {cached_count:5d} molecules featurized"
    )
    n_train = args.n - args.n // args.n_splits  # about; KFold sizes differ by <= 1
    expected_plain = args.n_alphas * args.n_splits * args.n + args.n
    expected_cached = (
        args.n_splits * n_train + args.n_alphas * (args.n - n_train) * args.n_splits
    ) + args.n
    print(
        f"expected about {expected_plain} (every candidate, every split) and "
        f"{expected_cached} (training splits once, held-out molecules per candidate)"
    )
    print(
        f"ratio no cache / cache: {plain_seconds / cached_seconds:.2f}x time, "
        f"{plain_count / cached_count:.2f}x molecules featurized"
    )
    same = plain.best_params_ == cached.best_params_ and np.array_equal(
        plain.cv_results_["mean_test_score"], cached.cv_results_["mean_test_score"]
    )
    print(f"same best alpha and scores: {same} (best {plain.best_params_})")


if __name__ == "__main__":
    main()
