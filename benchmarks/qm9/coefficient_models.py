"""QM9 subset: atomization energy U0 and heat capacity Cv, 16,000 train / 4,000 test.

The 20,000 molecules of ``qm9_subset20k.npz`` are split once at random
(``default_rng(seed).permutation``): the first 16,000 train, the other 4,000 test.
Every model's hyperparameters are chosen by an inner cross-validation on the
training molecules only (:mod:`benchmarks.common.models`; smaller grids for the bilinear models,
:data:`GRIDS`), then the model is refit on them and scored
once on the test molecules. Features: ``SolidHarmonicScattering`` with its defaults
(kymatio's QM7 configuration: 3 channels, sigma = 0.2262 Å, J = 2, L = 3,
Q = (0.5, 1, 2, 3); 300 features) at the given accuracy setting, computed once and
cached by :mod:`benchmarks.common.features`.

Usage: python -m benchmarks.qm9.coefficient_models --data ../shared/data [--oversampling 2]
    [--tail-tolerance 1e-4] [--targets U0 Cv] [--models ridge bilinear bilinear-log factorized]
"""

import argparse

import numpy as np

from benchmarks.common.datasets import QM9_TARGETS, qm9_split
from benchmarks.common.features import add_transform_arguments, dataset_features
from benchmarks.common.models import add_model_arguments, tuned_score

#: Smaller grids than :data:`benchmarks.common.models.MODELS` where a fit on 10,700 molecules is slow:
#: the bilinear penalties around what QM7's 5 folds chose (alpha 0.01-0.1,
#: alpha_linear 1e-10-1e-8, flat between those two), 8 candidates instead of 18.
GRIDS = {
    "bilinear": {"alpha": np.logspace(-3, 0, 4), "alpha_linear": [1e-10, 1e-8]},
    "bilinear-log": {
        "bilinearregressor__alpha": np.logspace(-4, -1, 4),
        "bilinearregressor__alpha_linear": [1e-10, 1e-8],
    },
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_arguments(parser)
    parser.add_argument(
        "--targets", nargs="+", default=list(QM9_TARGETS), choices=QM9_TARGETS
    )
    parser.add_argument("--n-train", type=int, default=16000)
    parser.add_argument("--seed", type=int, default=0, help="seed of the split")
    add_transform_arguments(parser)
    args = parser.parse_args()
    qm9, features = dataset_features("qm9", args.data / "qm9_subset20k.npz", args)
    if args.features_only:
        return
    train, test = qm9_split(len(features), args.n_train, args.seed)
    print(f"{len(train)} training and {len(test)} test molecules", flush=True)
    for target_name in args.targets:
        key, unit = QM9_TARGETS[target_name]
        target = qm9[key]
        for name in args.models:
            result = tuned_score(
                name,
                features,
                target,
                train,
                test,
                args.inner_splits,
                0,
                args.n_jobs,
                grid=GRIDS.get(name),
            )
            print(
                f"{target_name} {name}: MAE {result['mae']:.4f} RMSE "
                f"{result['rmse']:.4f} {unit}, best {result['best_params']} "
                f"(inner MAE {result['inner_mae']:.4f}), {result['seconds']:.0f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
