"""QM7 atomization energies: the official 5 folds, hyperparameters by inner CV.

For each of the 5 folds of ``qm7.mat`` (test on fold k, train on the other four), every
model's hyperparameters are chosen by an inner 3-fold cross-validation on the training
folds only (mean absolute error), refit on all training folds and scored on fold k.
Features: ``SolidHarmonicScattering()`` with its defaults (kymatio's QM7 configuration:
3 channels, sigma = 0.2262 Å, J = 2, L = 3, Q = (0.5, 1, 2, 3); 300 features), computed
once and cached by :mod:`benchmarks.common.features`.

Usage: python -m benchmarks.qm7.coefficient_models --data ../shared/data [--oversampling 2]
    [--J 4] [--exclude REGEX] [--models ridge bilinear bilinear-log factorized]

``--J 4 --exclude j4`` scores the J = 3 columns of a cached J = 4 transform, so one
featurization serves several scale settings.
"""

import argparse
from pathlib import Path

import numpy as np

from benchmarks.common.features import add_transform_arguments, dataset_features
from benchmarks.common.models import add_model_arguments, tuned_score


def evaluate(name, features, target, folds, inner_splits, n_jobs, heavy_atoms):
    """The 5-fold protocol for one model; prints each fold and the mean.

    Returns each molecule's prediction by the model fitted without its fold.
    """
    errors = []
    predictions = np.full(len(target), np.nan)
    for k, test in enumerate(folds):
        train = np.setdiff1d(np.arange(len(target)), test)
        result = tuned_score(
            name,
            features,
            target,
            train,
            test,
            inner_splits,
            seed=k,
            n_jobs=n_jobs,
            heavy_atoms=heavy_atoms,
        )
        errors.append((result["mae"], result["rmse"]))
        predictions[test] = result["prediction"]
        print(
            f"{name} fold {k}: MAE {result['mae']:.3f} RMSE {result['rmse']:.3f} "
            f"kcal/mol, best {result['best_params']} "
            f"(inner MAE {result['inner_mae']:.3f}), {result['seconds']:.0f} s",
            flush=True,
        )
    mae, rmse = np.array(errors).T
    print(
        f"{name}: MAE {mae.mean():.3f} ± {mae.std():.3f}, "
        f"RMSE {rmse.mean():.3f} ± {rmse.std():.3f} kcal/mol (5 folds)",
        flush=True,
    )
    return predictions


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_arguments(parser)
    add_transform_arguments(parser)
    parser.add_argument(
        "--predictions",
        type=Path,
        default=None,
        metavar="NPZ",
        help="save each model's out-of-fold predictions (one array per model, "
        "named after it) for error analysis",
    )
    args = parser.parse_args()
    qm7, features = dataset_features("qm7", args.data / "qm7.npz", args)
    if args.features_only:
        return
    target = qm7["T_kcal_mol"]
    heavy_atoms = (qm7["Z"] > 1).sum(axis=1)
    predictions = {}
    for name in args.models:
        predictions[name] = evaluate(
            name,
            features,
            target,
            qm7["folds"],
            args.inner_splits,
            args.n_jobs,
            heavy_atoms,
        )
        if args.predictions is not None:
            np.savez(args.predictions, target=target, **predictions)


if __name__ == "__main__":
    main()
