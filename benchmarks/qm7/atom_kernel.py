"""QM7, official 5 folds: kernel ridge on atom-centred fields, summed over atom pairs.

Each atom is described by ``skscatharm.atom_fields`` (the first-order fields
``U1[j, l]`` of the three channels read at the atom, in closed form), as
``log(U1 + eps * median)`` scaled to unit variance on the training atoms. Two molecules
are compared by the sum, over pairs of atoms of the same element, of a Gaussian kernel
of width ``w * sqrt(n_features)`` between their descriptors: an atomic-energy model,
``E = Σ_atoms ε_Z(descriptor)``, fit by kernel ridge regression to the atomization
energy minus a least-squares fit on the element counts (the dressed atoms).

Each ``--widths`` argument is one candidate atom kernel: a width, or several joined by
commas (``0.25,0.5,1``) for the equal-weight mean of their Gaussian kernels. Per outer
fold, the candidate and the ridge (``--alphas``) are chosen together by
``--inner-splits``-fold CV on the training molecules (shuffled, seed k), and the
scaling, the medians and the dressed atoms are fit on the training molecules only.
Prints each candidate's inner-CV error, each fold's MAE and choice, then the mean and
spread.

Usage: OPENBLAS_NUM_THREADS=2 python -m benchmarks.qm7.atom_kernel --data ../shared/data
    [--J 2] [--widths 0.25 0.5 0.25,0.5,1] [--predictions out.npz]
"""

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold

from benchmarks.common.atom_kernel import (
    add_widths_argument,
    print_candidates,
    widths_label,
)
from skscatharm import AtomKernelRidgeCV, pack_molecules
from skscatharm._atoms.ridge_cv import DEFAULT_ALPHAS


def evaluate_fold(molecules, target, train, test, args, seed):
    """Fit AtomKernelRidgeCV on ``train`` (inner splits shuffled with ``seed``)."""
    model = AtomKernelRidgeCV(
        widths=args.widths,
        alphas=args.alphas,
        cv=KFold(args.inner_splits, shuffle=True, random_state=seed),
        sigma=args.sigma,
        J=args.J,
        L=args.L,
        eps=args.eps,
    )
    model.fit(molecules[train], target[train])
    print_candidates(model)
    return model.predict(molecules[test]), model.widths_, model.alpha_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of qm7.npz")
    parser.add_argument("--J", type=int, default=2)
    parser.add_argument("--L", type=int, default=3)
    parser.add_argument("--sigma", type=float, default=0.2262)
    add_widths_argument(parser)
    parser.add_argument("--alphas", type=float, nargs="+", default=list(DEFAULT_ALPHAS))
    parser.add_argument("--eps", type=float, default=1e-3)
    parser.add_argument("--inner-splits", type=int, default=5)
    parser.add_argument("--folds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--predictions", type=Path, default=None, metavar="NPZ")
    args = parser.parse_args()

    qm7 = np.load(args.data / "qm7.npz")
    target, folds = qm7["T_kcal_mol"], qm7["folds"]
    molecules = pack_molecules(qm7["Z"], qm7["R"])
    predictions = np.full(len(target), np.nan)
    maes = []
    for k in args.folds:
        start = time.perf_counter()
        test = folds[k]
        train = np.setdiff1d(np.arange(len(target)), test)
        predicted, width, alpha = evaluate_fold(
            molecules, target, train, test, args, seed=k
        )
        predictions[test] = predicted
        maes.append(np.abs(predicted - target[test]).mean())
        rmse = np.sqrt(((predicted - target[test]) ** 2).mean())
        print(
            f"fold {k}: MAE {maes[-1]:.3f} RMSE {rmse:.3f} kcal/mol, widths "
            f"{widths_label(width)}, alpha {alpha:.1e} ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
        if args.predictions is not None:
            np.savez(args.predictions, target=target, atom_kernel=predictions)
    done = ~np.isnan(predictions)
    rmse = np.sqrt(((predictions[done] - target[done]) ** 2).mean())
    print(
        f"atom kernel: MAE {np.mean(maes):.3f} ± {np.std(maes):.3f} kcal/mol over "
        f"{len(maes)} folds, RMSE {rmse:.3f}"
    )


if __name__ == "__main__":
    main()
