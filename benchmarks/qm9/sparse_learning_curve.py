"""Learning curve of SparseAtomKernelRidge on QM9: test MAE against training size.

On ``qm9_all_but_1000.npz`` with its standard split: for each size ``n`` of
``--sizes``, :class:`SparseAtomKernelRidge` with the given width, ridge and number
of representatives (at most the training atoms) is fit on the first ``n`` training
molecules and scored on the test molecules (each size must hold every element of
the test molecules: 1,000 does). The width and ridge are fixed (chosen
beforehand on the validation split, never on the test split). Prints one line per
size (test MAE and RMSE, fit time) and draws the curve, log-log, with the paper's
linear and trilinear results on all of QM9 marked (U0 1.89 and 0.50 kcal/mol, Cv
0.10 and 0.049 cal/mol/K).

Usage: python -m benchmarks.qm9.sparse_learning_curve --data ../shared/data
    [--target U0] [--sizes 1000 2000 5000 10000 20000 50000 110000]
    [--representatives 12000] [--selection farthest] [--width 1] [--alpha 3.2e-5]
    [--J 2]
    [--figure benchmarks/figures/qm9_sparse_learning_curve_U0.png]
"""

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks.common.atom_kernel import (
    add_element_shares_argument,
    add_scale_argument,
)
from benchmarks.common.datasets import QM9_TARGETS
from benchmarks.common.learning_curves import plot_learning_curves
from skscatharm import SparseAtomKernelRidge, pack_molecules


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--target", default="U0", choices=QM9_TARGETS)
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1000, 2000, 5000, 10_000, 20_000, 50_000, 110_000],
    )
    parser.add_argument("--representatives", type=int, default=12_000)
    parser.add_argument("--width", type=float, nargs="+", default=[1.0])
    parser.add_argument("--alpha", type=float, default=3.2e-5)
    parser.add_argument(
        "--selection", default="farthest", choices=("farthest", "kmeans++", "random")
    )
    parser.add_argument("--n-jobs", type=int, default=-1, help="kernel threads")
    add_scale_argument(parser)
    parser.add_argument("--figure", type=Path, help="default: by target")
    add_element_shares_argument(parser)
    args = parser.parse_args()
    figure = args.figure or Path(
        f"benchmarks/figures/qm9_sparse_learning_curve_{args.target}.png"
    )

    qm9 = np.load(args.data / "qm9_all_but_1000.npz")
    split = qm9["split"]
    train, test = np.flatnonzero(split == 0), np.flatnonzero(split == 2)
    molecules = pack_molecules(qm9["Z"], qm9["R"])
    target = qm9[QM9_TARGETS[args.target][0]]
    print(f"{'training':>9s} {'test MAE':>9s} {'test RMSE':>10s} {'fit s':>7s}")
    maes = []
    for size in args.sizes:
        rows = train[:size]
        start = time.perf_counter()
        model = SparseAtomKernelRidge(
            n_representatives=args.representatives,
            width=args.width,
            alpha=args.alpha,
            J=args.J,
            selection=args.selection,
            element_shares=args.element_shares,
            n_jobs=args.n_jobs,
            random_state=0,
        ).fit(molecules[rows], target[rows])
        fitted = time.perf_counter() - start
        error = model.predict(molecules[test]) - target[test]
        maes.append(np.abs(error).mean())
        rmse = np.sqrt((error**2).mean())
        print(f"{size:9d} {maes[-1]:9.4f} {rmse:10.4f} {fitted:7.0f}", flush=True)
    widths = ",".join(f"{w:g}" for w in args.width)
    label = (
        f"SparseAtomKernelRidge, M = {args.representatives} ({args.selection}),\n"
        f"J {args.J}, width {widths}, ridge {args.alpha:g}"
    )
    plot_learning_curves(
        args.target,
        {label: (args.sizes, maes)},
        "QM9, standard split (10,000 test molecules)",
        figure,
    )
    print(f"figure: {figure}")


if __name__ == "__main__":
    main()
