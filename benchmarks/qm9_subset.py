"""QM9 subset: atomization energy U0 and heat capacity Cv, 16,000 train / 4,000 test.

The 20,000 molecules of ``qm9_subset20k.npz`` are split once at random
(``default_rng(seed).permutation``): the first 16,000 train, the other 4,000 test.
Every model's hyperparameters are chosen by an inner cross-validation on the
training molecules only (:mod:`_models`; smaller grids for the bilinear models,
:data:`GRIDS`), then the model is refit on them and scored
once on the test molecules. Features: ``SolidHarmonicScattering`` with its defaults
(kymatio's QM7 configuration: 3 channels, sigma = 0.2262 Å, J = 2, L = 3,
Q = (0.5, 1, 2, 3); 300 features) at the given accuracy setting, computed once and
cached by :mod:`_features`.

Usage: python benchmarks/qm9_subset.py --data ../shared/data [--oversampling 2]
    [--tail-tolerance 1e-4] [--targets U0 Cv] [--models ridge bilinear bilinear-log factorized]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _features import add_transform_arguments, dataset_features  # noqa: E402
from _models import add_model_arguments, tuned_score  # noqa: E402

#: Smaller grids than :data:`_models.MODELS` where a fit on 10,700 molecules is slow:
#: the bilinear penalties around what QM7's 5 folds chose (alpha 0.01-0.1,
#: alpha_linear 1e-10-1e-8, flat between those two), 8 candidates instead of 18.
GRIDS = {
    "bilinear": {"alpha": np.logspace(-3, 0, 4), "alpha_linear": [1e-10, 1e-8]},
    "bilinear-log": {
        "bilinearregressor__alpha": np.logspace(-4, -1, 4),
        "bilinearregressor__alpha_linear": [1e-10, 1e-8],
    },
}

#: Target name -> (array in the archive, unit).
TARGETS = {
    "U0": ("U0_atom_kcal_mol", "kcal/mol"),
    "Cv": ("Cv_cal_mol_K", "cal/mol/K"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_arguments(parser)
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--n-train", type=int, default=16000)
    parser.add_argument("--seed", type=int, default=0, help="seed of the split")
    add_transform_arguments(parser)
    args = parser.parse_args()
    qm9, features = dataset_features("qm9", args.data / "qm9_subset20k.npz", args)
    if args.features_only:
        return
    order = np.random.default_rng(args.seed).permutation(len(features))
    train, test = order[: args.n_train], order[args.n_train :]
    print(f"{len(train)} training and {len(test)} test molecules", flush=True)
    for target_name in args.targets:
        key, unit = TARGETS[target_name]
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
