"""All of QM9: SparseAtomKernelRidge fit on the 110,000 training molecules.

The data are ``qm9_all_but_1000.npz`` with its standard split (0 training, 1
validation, 2 test). For each target:

1. the width set and the ridge are chosen by :class:`SparseAtomKernelRidgeCV` with
   one :class:`~sklearn.model_selection.PredefinedSplit`: fit on the first
   ``--search-n`` training molecules with ``--search-representatives``
   representatives, scored on every validation molecule (the choice costs one
   normal-equation accumulation per candidate on that subset);
2. :class:`SparseAtomKernelRidge` with that width and ridge and
   ``--representatives`` representatives is fit on every training molecule, timed,
   with the process's peak memory;
   (``--width`` and ``--alpha`` skip this step: a width and ridge chosen before on
   the validation split);
3. it is scored on the test molecules (and on the validation molecules), and on the
   molecules of each ``--score`` file (any ``.npz`` with ``Z``, ``R`` and the
   target's array, as the shared QM9 files), and saved with ``--save-model``.

Usage: python -m benchmarks.qm9.sparse_atom_kernel --data ../shared/data
    [--targets U0 Cv] [--representatives 5000] [--search-n 20000]
    [--search-representatives 2000] [--widths 0.25 0.5 1 0.25,0.5 0.5,1]
    [--J 2] [--n-train 110000] [--n-jobs -1] [--score FILE.npz ...] [--save-model PREFIX]
    [--width W[,W...] --alpha A]
"""

import argparse
import resource
import time
from pathlib import Path

import joblib
import numpy as np
from sklearn.model_selection import PredefinedSplit

from benchmarks.common.atom_kernel import (
    add_element_shares_argument,
    add_scale_argument,
    add_widths_argument,
    print_candidates,
    width_set,
)
from benchmarks.common.datasets import QM9_TARGETS
from skscatharm import SparseAtomKernelRidge, SparseAtomKernelRidgeCV, pack_molecules


def peak_memory_gib():
    """Peak resident memory of this process so far, GiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def errors(predicted, true):
    """Mean absolute and root mean squared errors."""
    error = predicted - true
    return np.abs(error).mean(), np.sqrt((error**2).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument(
        "--targets", nargs="+", default=list(QM9_TARGETS), choices=QM9_TARGETS
    )
    parser.add_argument("--n-train", type=int, default=110_000)
    parser.add_argument("--representatives", type=int, default=5000)
    parser.add_argument("--search-n", type=int, default=20_000)
    parser.add_argument("--search-representatives", type=int, default=2000)
    add_widths_argument(parser)
    parser.add_argument(
        "--alphas", type=float, nargs="+", default=list(np.logspace(-7, 1, 17))
    )
    parser.add_argument(
        "--width", type=width_set, help="skip the search: this width set, with --alpha"
    )
    parser.add_argument("--alpha", type=float, help="skip the search: this ridge")
    parser.add_argument("--selection", default="farthest")
    add_scale_argument(parser)
    parser.add_argument("--n-jobs", type=int, default=-1, help="kernel threads")
    parser.add_argument("--score", type=Path, nargs="*", default=[])
    parser.add_argument("--save-model", help="prefix of the saved models (joblib)")
    add_element_shares_argument(parser)
    args = parser.parse_args()
    if (args.width is None) != (args.alpha is None):
        parser.error("--width and --alpha go together")

    qm9 = np.load(args.data / "qm9_all_but_1000.npz")
    molecules = pack_molecules(qm9["Z"], qm9["R"])
    split = qm9["split"]
    train = np.flatnonzero(split == 0)[: args.n_train]
    validation, test = np.flatnonzero(split == 1), np.flatnonzero(split == 2)
    search = np.concatenate([train[: args.search_n], validation])
    fold = np.where(np.isin(search, validation), 0, -1)
    chosen_on = (
        f"width and ridge chosen on {args.search_n} training molecules and the "
        "validation molecules"
        if args.width is None
        else "width and ridge given"
    )
    print(
        f"{len(train)} training, {len(validation)} validation, {len(test)} test "
        f"molecules; {chosen_on}",
        flush=True,
    )
    for name in args.targets:
        key, unit = QM9_TARGETS[name]
        target = qm9[key]
        start = time.perf_counter()
        if args.width is None:
            searched = SparseAtomKernelRidgeCV(
                n_representatives=args.search_representatives,
                widths=args.widths,
                alphas=args.alphas,
                cv=PredefinedSplit(fold),
                J=args.J,
                selection=args.selection,
                element_shares=args.element_shares,
                n_jobs=args.n_jobs,
                random_state=0,
            ).fit(molecules[search], target[search])
            print_candidates(searched, prefix=f"{name} ", digits=4)
            width, alpha = searched.width_, searched.alpha_
        else:
            width, alpha = args.width, args.alpha
        chosen = time.perf_counter() - start
        start = time.perf_counter()
        model = SparseAtomKernelRidge(
            n_representatives=args.representatives,
            width=width,
            alpha=alpha,
            J=args.J,
            selection=args.selection,
            element_shares=args.element_shares,
            n_jobs=args.n_jobs,
            random_state=0,
        ).fit(molecules[train], target[train])
        fitted = time.perf_counter() - start
        lines = [
            f"{name} sparse atom kernel, J {args.J}, {model.n_representatives_} "
            f"representatives, width {width}, alpha {alpha:.1e}: choice "
            f"{chosen:.0f} s, fit on {len(train)} molecules {fitted:.0f} s, peak "
            f"memory so far {peak_memory_gib():.1f} GiB"
        ]
        for label, rows in (("validation", validation), ("test", test)):
            mae, rmse = errors(model.predict(molecules[rows]), target[rows])
            lines.append(f"  {label}: MAE {mae:.4f} RMSE {rmse:.4f} {unit}")
        for path in args.score:
            other = np.load(path)
            predicted = model.predict(pack_molecules(other["Z"], other["R"]))
            mae, rmse = errors(predicted, other[key])
            lines.append(f"  {path.name}: MAE {mae:.4f} RMSE {rmse:.4f} {unit}")
        print("\n".join(lines), flush=True)
        if args.save_model:
            joblib.dump(model, f"{args.save_model}_{name}.joblib")


if __name__ == "__main__":
    main()
