"""QM7 pilot: which columns of a J = 4 transform help BilinearRegressor.

The first ``--n`` molecules of ``qm7.npz`` (their size distribution matches the whole
set), 5-fold shuffled CV (seed 0), ``BilinearRegressor(solver="dual")`` scored at each
point of a small (alpha, alpha_linear) grid; prints the best CV MAE per column set.
A pilot to choose what deserves the 5-fold protocol of
``benchmarks.qm7.coefficient_models``, not a result:
the penalty is chosen on the same folds it is scored on.

Usage: python -m benchmarks.qm7.column_pilot --data ../shared/data --oversampling 2
    --tail-tolerance 1e-4 --J 4 [--n 3500]
"""

import argparse
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold

from benchmarks.common.features import (
    add_transform_arguments,
    cached_features,
    kept_columns,
    transform_params,
)
from skscatharm import BilinearRegressor, pack_molecules

#: Column sets: name -> regex of the feature names to drop, and whether to take logs.
SUBSETS = {
    "J = 2": (r"j[34]", False),
    "J = 2, plus first order up to j = 4": (r"S2_j\d_j[34]", False),
    "J = 3": (r"j4", False),
    "every computed column (J = 4)": (None, False),
    "log of J = 2": (r"j[34]", True),
    "log of J = 3": (r"j4", True),
}


#: (alphas, alphas_linear) searched on the raw and on the log-coefficients: the
#: log-coefficients' best penalties are smaller.
RAW_GRID = ((0.03, 0.1, 0.3, 1), (1e-7, 1e-6, 1e-5))
LOG_GRID = ((1e-3, 1e-2, 0.1, 1), (1e-8, 1e-6, 1e-4))


def cv_mae(X, y, alphas, alphas_linear):
    """Best mean out-of-fold MAE over the grid, and its (alpha, alpha_linear)."""
    scores = {}
    for train, test in KFold(5, shuffle=True, random_state=0).split(X):
        for alpha in alphas:
            for alpha_linear in alphas_linear:
                model = BilinearRegressor(
                    solver="dual", alpha=alpha, alpha_linear=alpha_linear
                ).fit(X[train], y[train])
                error = np.abs(model.predict(X[test]) - y[test]).mean()
                scores.setdefault((alpha, alpha_linear), []).append(error)
    best = min(scores, key=lambda key: np.mean(scores[key]))
    return np.mean(scores[best]), best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--n", type=int, default=3500)
    add_transform_arguments(parser)
    args = parser.parse_args()
    if args.exclude:
        parser.error("--exclude is not used: the column sets are SUBSETS")
    qm7 = np.load(args.data / "qm7.npz")
    X = pack_molecules(qm7["Z"], qm7["R"])
    features, names = cached_features("qm7", X, **transform_params(args))
    if args.features_only:
        return
    features, y = features[: args.n], qm7["T_kcal_mol"][: args.n]
    for label, (exclude, log) in SUBSETS.items():
        kept = kept_columns(names, exclude)
        columns = np.log(features[:, kept]) if log else features[:, kept]
        grid = LOG_GRID if log else RAW_GRID
        mae, best = cv_mae(columns, y, *grid)
        print(f"{label}: {kept.sum()} columns, CV MAE {mae:.3f} kcal/mol at {best}")


if __name__ == "__main__":
    main()
