"""How the sparse atom kernel's error and cost grow with its number of representatives.

On ``qm9_all_but_1000.npz``: for each number of representatives, a
:class:`SparseAtomKernelRidgeCV` with one width is fit on the first ``--n-train``
training molecules and scored on every validation molecule (one
:class:`~sklearn.model_selection.PredefinedSplit`), its ridge chosen there among
``--alphas``. Prints the best validation MAE of U0 and the wall time of the whole fit
(atom fields of all the molecules, representatives, the split's normal equations and
the refit on training and validation molecules).

Usage: python -m benchmarks.qm9.sparse_representatives --data ../shared/data
    [--representatives 500 1000 2000 4000 8000] [--n-train 20000] [--width 1]
"""

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import PredefinedSplit

from benchmarks.common.atom_kernel import add_element_shares_argument
from benchmarks.common.datasets import qm9_validation_problem
from skscatharm import SparseAtomKernelRidgeCV


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument(
        "--representatives", type=int, nargs="+", default=[500, 1000, 2000, 4000, 8000]
    )
    parser.add_argument("--n-train", type=int, default=20_000)
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument(
        "--alphas", type=float, nargs="+", default=list(np.logspace(-8, 0, 17))
    )
    parser.add_argument("--selection", default="farthest")
    parser.add_argument("--n-jobs", type=int, default=-1, help="kernel threads")
    add_element_shares_argument(parser)
    args = parser.parse_args()

    qm9, rows, molecules, fold = qm9_validation_problem(args.data, args.n_train)
    target = qm9["U0_atom_kcal_mol"][rows]
    print(
        f"U0, {np.sum(fold < 0)} training and {np.sum(fold == 0)} validation molecules, "
        f"width {args.width:g}, {args.selection} representatives",
        flush=True,
    )
    print(
        f"{'representatives':>15s} {'validation MAE':>15s} {'alpha':>8s} {'fit s':>7s}"
    )
    for n_representatives in args.representatives:
        start = time.perf_counter()
        model = SparseAtomKernelRidgeCV(
            n_representatives=n_representatives,
            widths=(args.width,),
            alphas=args.alphas,
            cv=PredefinedSplit(fold),
            selection=args.selection,
            element_shares=args.element_shares,
            n_jobs=args.n_jobs,
            random_state=0,
        ).fit(molecules, target)
        elapsed = time.perf_counter() - start
        print(
            f"{model.n_representatives_:15d} {model.cv_errors_.min():15.4f} "
            f"{model.alpha_:8.1e} {elapsed:7.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
