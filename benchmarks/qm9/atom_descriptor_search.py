"""Which atom descriptors the sparse atom kernel should use on QM9: a validation search.

On ``qm9_all_but_1000.npz`` with its standard split: for each combination of
``--J``, ``--L`` and ``--channels``, :class:`SparseAtomKernelRidgeCV` with
``--representatives`` k-means++ representatives is fit on the first ``--n-train``
training molecules and scored on every validation molecule (one
:class:`~sklearn.model_selection.PredefinedSplit`), its width among ``--widths`` and
its ridge among ``--alphas`` chosen there. The test molecules are never read.
Prints, per target and descriptor, the best validation MAE, the chosen width and
ridge, the number of descriptor columns and the wall time of the fit.

Channel sets as in :mod:`benchmarks.common.channels` (``charges``, the default;
``elements``, one density per element of QM9; ``both``).

Usage: python -m benchmarks.qm9.atom_descriptor_search --data ../shared/data
    [--targets U0 Cv] [--J 2 3] [--L 3] [--channels charges elements]
    [--representatives 4000] [--n-train 20000] [--widths 1 1.5 0.5,1]

A width set such as ``0.5,1`` is the mean of the Gaussian kernels of its widths.
"""

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import PredefinedSplit

from benchmarks.common.atom_kernel import (
    add_element_shares_argument,
    width_set,
    widths_label,
)
from benchmarks.common.channels import CHANNEL_SETS, channel_set
from benchmarks.common.datasets import QM9_TARGETS, qm9_validation_problem
from skscatharm import SparseAtomKernelRidgeCV

#: QM9's elements.
QM9_ELEMENTS = (1, 6, 7, 8, 9)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--targets", nargs="+", default=["U0"], choices=QM9_TARGETS)
    parser.add_argument("--J", type=int, nargs="+", default=[2])
    parser.add_argument("--L", type=int, nargs="+", default=[3])
    parser.add_argument(
        "--channels", nargs="+", default=["charges", "elements"], choices=CHANNEL_SETS
    )
    parser.add_argument("--representatives", type=int, default=4000)
    parser.add_argument("--n-train", type=int, default=20_000)
    parser.add_argument(
        "--widths", type=width_set, nargs="+", default=[(1.0,)], metavar="W[,W...]"
    )
    parser.add_argument(
        "--alphas", type=float, nargs="+", default=list(np.logspace(-9, -3, 13))
    )
    parser.add_argument("--n-jobs", type=int, default=-1, help="kernel threads")
    add_element_shares_argument(parser)
    args = parser.parse_args()

    qm9, rows, molecules, fold = qm9_validation_problem(args.data, args.n_train)
    print(
        f"{np.sum(fold < 0)} training and {np.sum(fold == 0)} validation molecules, "
        f"{args.representatives} k-means++ representatives, widths {args.widths}",
        flush=True,
    )
    print(
        f"{'target':>6s} {'J':>2s} {'L':>2s} {'channels':>9s} {'columns':>7s} "
        f"{'validation MAE':>14s} {'width':>6s} {'alpha':>8s} {'fit s':>6s}"
    )
    for target_name, J, L, channels in itertools.product(
        args.targets, args.J, args.L, args.channels
    ):
        target = qm9[QM9_TARGETS[target_name][0]][rows]
        start = time.perf_counter()
        model = SparseAtomKernelRidgeCV(
            n_representatives=args.representatives,
            widths=tuple(args.widths),
            alphas=args.alphas,
            cv=PredefinedSplit(fold),
            selection="kmeans++",
            element_shares=args.element_shares,
            J=J,
            L=L,
            channels=channel_set(channels, QM9_ELEMENTS),
            n_jobs=args.n_jobs,
            random_state=0,
        ).fit(molecules, target)
        elapsed = time.perf_counter() - start
        width = model.widths_
        print(
            f"{target_name:>6s} {J:2d} {L:2d} {channels:>9s} {len(model.scale_):7d} "
            f"{model.cv_errors_.min():14.4f} {widths_label(width):>6s} "
            f"{model.alpha_:8.1e} {elapsed:6.0f}",
            flush=True,
        )
        per_width = ", ".join(
            f"{widths_label(w)}: {e:.4f}"
            for w, e in zip(args.widths, model.cv_errors_.min(axis=1), strict=True)
        )
        print(f"{'':>6s} best validation MAE per width: {per_width}", flush=True)


if __name__ == "__main__":
    main()
