"""Models on the scattering coefficients, on QM9's standard split, with what is featurized.

Reads features that ``benchmarks.qm9.featurize_all`` wrote (``--features``, and the
rows of ``qm9_all_but_1000.npz`` they belong to, ``--rows``, by default each file's
own; several runs are merged, each molecule once): all of QM9, or the
molecules of runs stopped part-way (with ``--order random`` every prefix of such a
run is a random sample of each split). Among the featurized molecules the file's
standard split is kept:

* training (``split == 0``): for each size of ``--sizes``, the first ``n`` of them in
  the order of the features (all of them at most);
* validation (``split == 1``): every hyperparameter is chosen there, on the models
  fit on the training molecules alone;
* test (``split == 2``): the chosen model is scored once there.

Models:

* ``ridge``: ``StandardScaler`` then ``Ridge`` by SVD (the penalty among
  ``--ridge-alphas``; the tiny best penalties of these coefficients need SVD, where
  Cholesky of the normal equations loses digits);
* ``bilinear``: ``FactorizedBilinearRegressor(n_components=--n-bilinear)``;
* ``trilinear``: ``FactorizedMultilinearRegressor(degree=3, n_components=(--n-bilinear,
  --n-trilinear))``, the paper's best model;

each factorised model with its ``alpha`` among ``--alphas`` and ``alpha_linear``
fixed (``--alpha-linear``).

With ``--residual-of PREFIX`` the models combine both views: ``PREFIX_<target>.joblib``
is an atom-kernel model saved by ``benchmarks.qm9.sparse_atom_kernel --save-model``
(fit on QM9's training molecules), each coefficient model fits what it leaves (the
target minus its prediction) and the prediction is their sum; the atom model alone is
scored on the same test molecules beside it. Its training molecules are the ones the
correction is fit on, so the correction sees in-sample residuals (smaller than on new
molecules); the validation molecules, which neither model saw, choose its penalty. With ``--fit-on validation``
the correction is fit on the validation molecules' residuals instead (new molecules
to the atom model, as the test ones are), its penalty chosen by a K-fold CV among
them (``--inner-splits``); the sizes are then the number of validation molecules. Prints, per target, model and size, the validation MAE of
every candidate, the choice, the test MAE and RMSE and the fit's CPU time, and draws
the learning curves with the paper's results on all of QM9 marked (``--figure``).

Usage: python -m benchmarks.qm9.split_coefficient_models --data ../shared/data
    --features qm9_all.npy [more runs' .npy] [--rows ...] [--targets U0 Cv]
    [--models ridge bilinear trilinear] [--sizes 1000 10000 110000]
    [--figure-prefix benchmarks/figures/qm9_coefficient_learning_curve]
    [--save-model PREFIX] [--residual-of PREFIX]
"""

import argparse
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks.common.datasets import QM9_TARGETS
from benchmarks.common.learning_curves import plot_learning_curves
from benchmarks.qm9.featurize_all import load_runs
from skscatharm import FactorizedBilinearRegressor, FactorizedMultilinearRegressor

SPLITS = {"training": 0, "validation": 1, "test": 2}


def search_space(name, args):
    """The estimator of model ``name`` and its penalty's candidates ``{param: values}``."""
    if name == "ridge":
        model = make_pipeline(StandardScaler(), Ridge(solver="svd"))
        return model, {"ridge__alpha": list(args.ridge_alphas)}
    if name == "bilinear":
        model = FactorizedBilinearRegressor(
            n_components=args.n_bilinear,
            alpha_linear=args.alpha_linear,
            max_iter=args.max_iter,
            random_state=0,
        )
    else:
        model = FactorizedMultilinearRegressor(
            degree=3,
            n_components=(args.n_bilinear, args.n_trilinear),
            alpha_linear=args.alpha_linear,
            max_iter=args.max_iter,
            random_state=0,
        )
    return model, {"alpha": list(args.alphas)}


def candidates(name, args):
    """``(label, estimator)`` for every hyperparameter value of model ``name``."""
    model, grid = search_space(name, args)
    ((param, values),) = grid.items()
    return [
        (f"alpha={value:g}", clone(model).set_params(**{param: value}))
        for value in values
    ]


def split_rows(split, rows):
    """Positions in the features of each split's molecules, in the features' order."""
    return {name: np.flatnonzero(split[rows] == code) for name, code in SPLITS.items()}


def fit_and_choose(name, args, X, y, train, validation):
    """Every candidate fit on ``train``; the one with the lowest validation MAE.

    Returns the chosen estimator, its label, its CPU seconds and every candidate's
    validation MAE.
    """
    best, scores = None, {}
    for label, estimator in candidates(name, args):
        start = time.process_time()
        with warnings.catch_warnings():
            # L-BFGS stopping at max_iter is reported, not fatal: the validation
            # error decides.
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X[train], y[train])
        seconds = time.process_time() - start
        scores[label] = float(
            np.abs(estimator.predict(X[validation]) - y[validation]).mean()
        )
        if best is None or scores[label] < scores[best[1]]:
            best = (estimator, label, seconds)
    return (*best, scores)


def fit_and_choose_by_cv(name, args, X, y, rows):
    """The penalty chosen by a shuffled K-fold CV on ``rows`` (``GridSearchCV``), the
    model refit on all of them. Returns what :func:`fit_and_choose` returns, with
    the CPU time of the whole search and the mean CV MAEs."""
    model, grid = search_space(name, args)
    search = GridSearchCV(
        model,
        grid,
        cv=KFold(args.inner_splits, shuffle=True, random_state=0),
        scoring="neg_mean_absolute_error",
    )
    start = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X[rows], y[rows])
    seconds = time.process_time() - start
    ((param, values),) = grid.items()
    scores = {
        f"alpha={value:g}": float(-score)
        for value, score in zip(
            values, search.cv_results_["mean_test_score"], strict=True
        )
    }
    label = f"alpha={search.best_params_[param]:g}"
    return search.best_estimator_, label, seconds, scores


def atom_model_residual(path, qm9, rows, y):
    """What a saved atom model leaves of ``y`` on the molecules ``rows``: the target
    the corrections fit (the atom model's own errors are its negative)."""
    from skscatharm import pack_molecules

    model = joblib.load(path)
    predicted = model.predict(pack_molecules(qm9["Z"][rows], qm9["R"][rows]))
    return y - predicted


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument(
        "--features",
        type=Path,
        nargs="+",
        required=True,
        help="one or more featurize_all outputs, merged (each molecule once)",
    )
    parser.add_argument(
        "--rows", type=Path, nargs="*", help="their rows files (default: their own)"
    )
    parser.add_argument(
        "--targets", nargs="+", default=["U0", "Cv"], choices=QM9_TARGETS
    )
    parser.add_argument(
        "--models",
        nargs="+",
        default=["ridge", "bilinear", "trilinear"],
        choices=("ridge", "bilinear", "trilinear"),
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[110_000])
    parser.add_argument(
        "--ridge-alphas", type=float, nargs="+", default=list(np.logspace(-12, 2, 15))
    )
    parser.add_argument(
        "--alphas", type=float, nargs="+", default=[1e-2, 1e-1, 1.0, 10.0]
    )
    parser.add_argument("--alpha-linear", type=float, default=1e-6)
    parser.add_argument("--n-bilinear", type=int, default=8)
    parser.add_argument("--n-trilinear", type=int, default=4)
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--figure-prefix", type=Path, help="draw <prefix>_<target>.png")
    parser.add_argument(
        "--residual-of", help="prefix of saved atom-kernel models: fit their residual"
    )
    parser.add_argument(
        "--fit-on",
        choices=("training", "validation"),
        default="training",
        help="with --residual-of: fit the correction on the training molecules' "
        "residuals (in-sample for the atom model; penalty chosen on validation) "
        "or on the validation molecules' (out-of-sample; penalty by --inner-splits "
        "-fold CV among them)",
    )
    parser.add_argument("--inner-splits", type=int, default=5)
    parser.add_argument(
        "--save-model",
        type=Path,
        help="keep <prefix>_<target>_<model>.joblib (largest size)",
    )
    args = parser.parse_args()

    X, rows = load_runs(args.features, args.rows)
    qm9 = np.load(args.data / "qm9_all_but_1000.npz")
    positions = split_rows(qm9["split"], rows)
    counts = {name: len(p) for name, p in positions.items()}
    print(
        f"featurized: {len(rows):,} molecules ({counts}), {X.shape[1]} coefficients",
        flush=True,
    )
    for target in args.targets:
        y = qm9[QM9_TARGETS[target][0]][rows].astype(np.float64)
        unit = QM9_TARGETS[target][1]
        if args.residual_of:
            y = atom_model_residual(f"{args.residual_of}_{target}.joblib", qm9, rows, y)
            error = -y[positions["test"]]
            print(
                f"{target} atom model alone on the same test molecules: MAE "
                f"{np.abs(error).mean():.4f} RMSE {np.sqrt((error**2).mean()):.4f} {unit}",
                flush=True,
            )
        curves = {}
        on_validation = args.residual_of and args.fit_on == "validation"
        sizes = (
            [counts["validation"]]
            if on_validation
            else sorted({min(n, counts["training"]) for n in args.sizes})
        )
        for name in args.models:
            for size in sizes:
                if on_validation:
                    model, label, seconds, scores = fit_and_choose_by_cv(
                        name, args, X, y, positions["validation"]
                    )
                else:
                    train = positions["training"][:size]
                    model, label, seconds, scores = fit_and_choose(
                        name, args, X, y, train, positions["validation"]
                    )
                error = model.predict(X[positions["test"]]) - y[positions["test"]]
                mae, rmse = (
                    float(np.abs(error).mean()),
                    float(np.sqrt((error**2).mean())),
                )
                label_curve = f"atom kernel + {name}" if args.residual_of else name
                curves.setdefault(label_curve, ([], []))
                curves[label_curve][0].append(size)
                curves[label_curve][1].append(mae)
                validation = ", ".join(f"{k} {v:.4f}" for k, v in scores.items())
                print(
                    f"{target} {name} n={size}: test MAE {mae:.4f} RMSE {rmse:.4f} {unit} "
                    f"({label}, fit {seconds:.0f} CPU s); validation MAE: {validation}",
                    flush=True,
                )
                if args.save_model and size == sizes[-1]:
                    joblib.dump(model, f"{args.save_model}_{target}_{name}.joblib")
        if args.figure_prefix:
            path = Path(f"{args.figure_prefix}_{target}.png")
            plot_learning_curves(
                target,
                curves,
                f"QM9 scattering coefficients, standard split "
                f"({counts['test']:,} test)",
                path,
            )
            print(f"figure: {path}")


if __name__ == "__main__":
    main()
