"""Tri-linear against bilinear regression on QM9 scattering coefficients, same folds.

Reads features already computed for some QM9 molecules (an ``.npy`` of shape
``(n, K)`` and the ``.npy`` of their rows in ``qm9_all_but_1000.npz``, as written by
``benchmarks.qm9.featurize_all --n``), and scores, on the same shuffled K folds,

- ``ridge``: ``StandardScaler`` then ``RidgeCV`` (its own leave-one-out choice),
- ``bilinear``: ``FactorizedBilinearRegressor``,
- ``trilinear``: ``FactorizedMultilinearRegressor(degree=3)``,

each factorised model (L-BFGS stopped at ``--max-iter``) with its ``alpha`` chosen (``--alphas``) by 3-fold inner cross-validation
on the training folds (``GridSearchCV``); the ranks and ``alpha_linear`` are fixed
beforehand.  Prints the MAE per fold, mean and standard deviation, and the time
per outer fold.

Usage::

    python -m benchmarks.qm9.multilinear_pilot --data ../shared/data \\
        --features qm9_2000.npy --rows qm9_2000.rows.npy --target U0_atom_kcal_mol
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks.qm9.featurize_all import load_features
from benchmarks.qm9.split_coefficient_models import search_space


def models(args):
    """The three models, fresh for each outer fold: the factorised ones as
    ``benchmarks.qm9.split_coefficient_models`` builds them, their penalty chosen by
    3-fold inner CV."""

    def search(name):
        return GridSearchCV(
            *search_space(name, args),
            cv=KFold(3, shuffle=True, random_state=0),
            scoring="neg_mean_absolute_error",
        )

    return {
        "ridge": make_pipeline(StandardScaler(), RidgeCV(np.logspace(-12, 2, 15))),
        "bilinear": search("bilinear"),
        "trilinear": search("trilinear"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument("--rows", type=Path, required=True)
    parser.add_argument("--target", default="U0_atom_kcal_mol")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--n-bilinear", type=int, default=8)
    parser.add_argument("--n-trilinear", type=int, default=4)
    parser.add_argument("--alpha-linear", type=float, default=1e-6)
    parser.add_argument(
        "--alphas",
        type=float,
        nargs="+",
        default=[1e-2, 1e-1, 1.0, 10.0],
        help="candidate penalties of the products (inner CV)",
    )
    parser.add_argument("--max-iter", type=int, default=200)
    args = parser.parse_args()

    X, rows = load_features(args.features, args.rows)
    with np.load(args.data / "qm9_all_but_1000.npz") as archive:
        y = archive[args.target][rows].astype(np.float64)
    print(
        f"{len(y)} QM9 molecules, {X.shape[1]} coefficients, target {args.target}; "
        f"{args.folds} shuffled folds (seed 0); alpha in {args.alphas} by 3-fold inner CV; "
        f"n_components bilinear {args.n_bilinear}, trilinear "
        f"({args.n_bilinear}, {args.n_trilinear}); alpha_linear {args.alpha_linear:g}"
    )
    errors = {}
    for k, (train, test) in enumerate(
        KFold(args.folds, shuffle=True, random_state=0).split(X)
    ):
        for name, model in models(args).items():
            start = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X[train], y[train])
            cpu = time.process_time() - start
            mae = float(np.mean(np.abs(model.predict(X[test]) - y[test])))
            errors.setdefault(name, []).append(mae)
            chosen = getattr(model, "best_params_", {})
            print(
                f"fold {k} {name:10s} MAE {mae:.4f}  {cpu:.0f} CPU s  {chosen}",
                flush=True,
            )
    print("\n| model | per-fold MAE | MAE (mean ± std) |")
    print("|---|---|---|")
    for name, values in errors.items():
        per_fold = " / ".join(f"{v:.3f}" for v in values)
        print(f"| {name} | {per_fold} | {np.mean(values):.3f} ± {np.std(values):.3f} |")


if __name__ == "__main__":
    main()
