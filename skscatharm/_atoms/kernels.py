"""The molecular kernel of the atom models: Gaussian atom kernels summed over pairs.

The kernel between two molecules is the sum of Gaussian kernels between their pairs
of same-element atoms, on the atoms' descriptors. It is the expensive part of
fitting and predicting with the atom models: it is computed in blocks of atom pairs,
on threads, and summed per molecule in the same order whatever the number of
threads, so that the result does not depend on it.
"""

from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from joblib import effective_n_jobs
from threadpoolctl import threadpool_limits

#: Kernel values computed at once (two arrays of this many doubles, 128 MB each).
BLOCK_DOUBLES = 2**24


def summed_atom_kernels(a, b, widths, n_jobs=None):
    """Gaussian kernels summed over pairs of same-element atoms, one per width.

    ``K[w, p, q] = Σ_{i in p, j in q, Z_i = Z_j} exp(-|x_i - x_j|² / (2 w² D))``
    for each ``w`` of ``widths``, with ``D`` the number of descriptor columns. The
    squared distances are computed once for all widths.

    Parameters
    ----------
    a, b : tuple of (descriptors, molecule, numbers, n_molecules)
        Atom descriptors ``(n_atoms, D)``, each row's molecule index (rows grouped
        by molecule in increasing order), its atomic number, and the number of
        molecules.
    widths : sequence of float
    n_jobs : int or None, default=None
        Threads that compute blocks of atom pairs at once (None: 1 unless in a
        :func:`joblib.parallel_config` context; -1: all cores). The result does not
        depend on it, to the last bit: the blocks are added up in the same order.

    Returns
    -------
    kernels : ndarray of shape (len(widths), a's n_molecules, b's n_molecules)
    """
    x_a, molecule_a, numbers_a, n_a = a
    x_b, molecule_b, numbers_b, n_b = b
    scales = 1.0 / (2.0 * np.asarray(widths, dtype=np.float64) ** 2 * x_a.shape[1])
    kernels = np.zeros((len(scales), n_a, n_b))

    def blocks():
        for z in np.intersect1d(numbers_a, numbers_b):
            rows_a = np.flatnonzero(numbers_a == z)
            rows_b = np.flatnonzero(numbers_b == z)
            xb = x_b[rows_b]
            side_b = (xb, (xb**2).sum(axis=1), *_runs(molecule_b[rows_b]))
            chunk = max(1, BLOCK_DOUBLES // len(rows_b))
            for first in range(0, len(rows_a), chunk):
                rows = rows_a[first : first + chunk]
                yield (x_a[rows], *_runs(molecule_a[rows])), side_b

    def block_sums(block):
        (xa, owners_a, starts_a), (xb, norms_b, owners_b, starts_b) = block
        squared = (xa**2).sum(axis=1)[:, None] + norms_b[None, :] - 2.0 * xa @ xb.T
        np.maximum(squared, 0.0, out=squared)
        # Rows of one molecule are contiguous: its sum is one reduceat run.
        sums = np.empty((len(scales), len(owners_a), len(owners_b)))
        for out, scale in zip(sums, scales, strict=True):
            per_molecule_b = np.add.reduceat(np.exp(-scale * squared), starts_b, axis=1)
            out[:] = np.add.reduceat(per_molecule_b, starts_a, axis=0)
        return owners_a, owners_b, sums

    # NumPy's exponentials and sums run on one core and release the GIL, so threads
    # share the work. The distances' matrix products run on one BLAS thread too:
    # BLAS rounds differently on several threads, and the kernel must not depend on
    # n_jobs (the products are a small part of the work).
    with threadpool_limits(1):
        blocks_done = _in_order(block_sums, blocks(), effective_n_jobs(n_jobs))
        for owners_a, owners_b, sums in blocks_done:
            # A molecule cut by a block edge gets its two partial sums added.
            kernels[(slice(None), *np.ix_(owners_a, owners_b))] += sums
    return kernels


def summed_atom_kernel(a, b, width, n_jobs=None):
    """Mean over ``width`` of :func:`summed_atom_kernels`: one molecular kernel.

    Parameters
    ----------
    a, b : tuple of (descriptors, molecule, numbers, n_molecules)
        As in :func:`summed_atom_kernels`.
    width : float or sequence of float
        Several widths give the equal-weight mean of their Gaussian kernels, an
        atom kernel that is both sharp near a training atom and smooth far from it.
    n_jobs : int or None, default=None
        Threads, as in :func:`summed_atom_kernels`.

    Returns
    -------
    kernel : ndarray of shape (a's n_molecules, b's n_molecules)
    """
    return summed_atom_kernels(a, b, np.atleast_1d(width), n_jobs).mean(axis=0)


def _in_order(function, items, n_threads):
    """``map(function, items)`` on ``n_threads`` threads, a few items ahead at most."""
    if n_threads == 1:
        yield from map(function, items)
        return
    with ThreadPoolExecutor(n_threads) as pool:
        pending = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) > 2 * n_threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _runs(owner):
    """Molecules present in the sorted ``owner`` and where each one's rows start."""
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    return owner[starts], starts
