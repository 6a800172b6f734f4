"""Atom-pair kernel of QM9 molecules on 1 thread against ``n_jobs`` threads.

The kernel summed over same-element atom pairs is the cost of ``AtomKernelRidge``
and ``AtomKernelRidgeCV`` on large sets. Its blocks run on threads (``n_jobs``);
this times ``summed_atom_kernels`` of ``--n`` QM9 molecules with themselves, three
widths, alternating one thread and ``--threads`` threads ``--repeats`` times in the
same process and keeping each one's best wall time, and checks that both give the
same kernel to the last bit.

Usage: OPENBLAS_NUM_THREADS=2 python -m benchmarks.speed.atom_kernel_threads
    --data ../shared/data [--n 3000] [--threads 2]
"""

import argparse
import time
from pathlib import Path

import numpy as np

from skscatharm import AtomKernelRidge, pack_molecules
from skscatharm._atoms.kernels import summed_atom_kernels

WIDTHS = (0.25, 0.5, 1.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    qm9 = np.load(args.data / "qm9_subset20k.npz")
    X = pack_molecules(qm9["Z"][: args.n], qm9["R"][: args.n])
    y = qm9["U0_atom_kcal_mol"][: args.n]
    # The scaled descriptors, as the model computes them for its training atoms.
    model = AtomKernelRidge()
    model._fit_atoms(X, y, np.asarray(WIDTHS))
    atoms = model._training_atoms
    best, kernels = {}, {}
    for _ in range(args.repeats):
        for n_jobs in (1, args.threads):
            start = time.perf_counter()
            kernels[n_jobs] = summed_atom_kernels(atoms, atoms, WIDTHS, n_jobs)
            elapsed = time.perf_counter() - start
            best[n_jobs] = min(best.get(n_jobs, np.inf), elapsed)
    same = np.array_equal(kernels[1], kernels[args.threads])
    print(
        f"{args.n} QM9 molecules, {len(atoms[1])} atoms, {len(WIDTHS)} widths: "
        f"1 thread {best[1]:.1f} s, {args.threads} threads {best[args.threads]:.1f} s, "
        f"speed-up {best[1] / best[args.threads]:.2f}x; identical kernels: {same}"
    )


if __name__ == "__main__":
    main()
