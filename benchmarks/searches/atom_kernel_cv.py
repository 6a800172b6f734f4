"""AtomKernelRidgeCV against GridSearchCV over AtomKernelRidge, same grid and splits.

Both search the same candidate widths and ridges with the same 5 shuffled splits of
the QM7 sample's molecules, in the same process (the ratio is what counts):

* GridSearchCV fits ``AtomKernelRidge`` once per candidate pair and split, each fit
  recomputing the fields, the kernel and a Cholesky factorization;
* ``AtomKernelRidgeCV`` computes the fields and one kernel per distinct width once,
  and one eigendecomposition per split and candidate width serves every ridge.

GridSearchCV also refits the scaling and the dressed atoms in each split, which
``AtomKernelRidgeCV`` fits once on all the molecules, so their scores differ
slightly; both are printed with the held-out MAE of their refit models.

Usage: OPENBLAS_NUM_THREADS=2 python -m benchmarks.searches.atom_kernel_cv [--n 400]
"""

import argparse
import time

import numpy as np
from sklearn.model_selection import GridSearchCV, KFold

from skscatharm import AtomKernelRidge, AtomKernelRidgeCV
from skscatharm._atoms.ridge_cv import DEFAULT_ALPHAS
from skscatharm.datasets import load_qm7_sample

WIDTHS = (0.25, 0.5, (0.25, 0.5, 1.0))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="training molecules")
    args = parser.parse_args()
    X, y = load_qm7_sample(return_X_y=True)
    # The sample is ordered as QM7 (sulfur only in its second half): shuffle, so
    # that the held-out molecules have no element the training ones lack.
    order = np.random.default_rng(0).permutation(len(y))
    train, test = order[: args.n], order[args.n :]
    splits = KFold(5, shuffle=True, random_state=0)

    start = time.perf_counter()
    search = GridSearchCV(
        AtomKernelRidge(),
        {"width": list(WIDTHS), "alpha": list(DEFAULT_ALPHAS)},
        cv=splits,
        scoring="neg_mean_absolute_error",
    ).fit(X[train], y[train])
    grid_time = time.perf_counter() - start
    grid_mae = np.abs(search.predict(X[test]) - y[test]).mean()

    start = time.perf_counter()
    model = AtomKernelRidgeCV(widths=WIDTHS, alphas=DEFAULT_ALPHAS, cv=splits)
    model.fit(X[train], y[train])
    cv_time = time.perf_counter() - start
    cv_mae = np.abs(model.predict(X[test]) - y[test]).mean()

    n_fits = len(WIDTHS) * len(DEFAULT_ALPHAS) * splits.get_n_splits()
    print(f"{args.n} training molecules, {n_fits} candidate fits + refit")
    print(
        f"GridSearchCV(AtomKernelRidge): {grid_time:.1f} s, chose "
        f"{search.best_params_}, CV MAE {-search.best_score_:.3f}, "
        f"held-out MAE {grid_mae:.3f}"
    )
    print(
        f"AtomKernelRidgeCV:             {cv_time:.1f} s, chose width "
        f"{model.width_}, alpha {model.alpha_:.3g}, CV MAE "
        f"{model.cv_errors_.min():.3f}, held-out MAE {cv_mae:.3f}"
    )
    print(f"speed-up: {grid_time / cv_time:.1f}x")


if __name__ == "__main__":
    main()
