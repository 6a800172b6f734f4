"""The molecular kernel of the atom models: Gaussian atom kernels summed over pairs.

The kernel between two molecules is the sum of Gaussian kernels between their pairs
of same-element atoms, on the atoms' descriptors. It is the expensive part of
fitting and predicting with the atom models: it is computed in blocks of atom pairs,
through joblib (threads by default; the backend of a :func:`joblib.parallel_config`
context otherwise, Dask's included), and the blocks are summed per molecule in
block order, whoever computed them, so that the result does not depend on the
number of workers or on the backend.
"""

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
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
        Workers that compute blocks of atom pairs at once, threads unless a
        :func:`joblib.parallel_config` context names another backend (None: 1
        unless in such a context; -1: all cores). The result does not depend on
        it, nor on the backend, to the last bit: the blocks are added up in the
        same order.

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
            # The same objects for every block of an element: joblib's Dask
            # backend sends each large one to the cluster once per call.
            side_b = (xb, (xb**2).sum(axis=1), *_runs(molecule_b[rows_b]))
            chunk = max(1, BLOCK_DOUBLES // len(rows_b))
            for first in range(0, len(rows_a), chunk):
                rows = rows_a[first : first + chunk]
                yield delayed(_block_sums)(
                    x_a[rows], *_runs(molecule_a[rows]), *side_b, scales
                )

    # In-process threads share the BLAS limit of this process: one thread (see
    # _block_sums), set here once rather than entered and left by each thread.
    with threadpool_limits(1):
        # joblib's Parallel reads an n_jobs of None as 1, where effective_n_jobs
        # takes a parallel_config context's.
        sums_in_order = Parallel(
            n_jobs=effective_n_jobs(n_jobs), prefer="threads", return_as="generator"
        )(blocks())
        for owners_a, owners_b, sums in sums_in_order:
            # A molecule cut by a block edge gets its two partial sums added, in
            # block order.
            kernels[(slice(None), *np.ix_(owners_a, owners_b))] += sums
    return kernels


def _block_sums(xa, owners_a, starts_a, xb, norms_b, owners_b, starts_b, scales):
    """Kernels of one block of atom pairs, summed per pair of molecules.

    Returns
    -------
    owners_a, owners_b : ndarray of int
        The molecules of the block's rows and columns.
    sums : ndarray of shape (len(scales), len(owners_a), len(owners_b))
    """
    # The distances' matrix product runs on one BLAS thread wherever the block is
    # computed (a thread here, another process, a Dask worker): BLAS rounds
    # differently on several threads, and the kernel must not depend on where it
    # ran (the products are a small part of the work). NumPy's exponentials and
    # sums run on one core and release the GIL, so threads share the work.
    # C order too, whatever layout a transport to a worker gave the arrays.
    xa, xb = np.ascontiguousarray(xa), np.ascontiguousarray(xb)
    with threadpool_limits(1):
        squared = (xa**2).sum(axis=1)[:, None] + norms_b[None, :] - 2.0 * xa @ xb.T
    np.maximum(squared, 0.0, out=squared)
    # Rows of one molecule are contiguous: its sum is one reduceat run.
    sums = np.empty((len(scales), len(owners_a), len(owners_b)))
    for out, scale in zip(sums, scales, strict=True):
        per_molecule_b = np.add.reduceat(np.exp(-scale * squared), starts_b, axis=1)
        out[:] = np.add.reduceat(per_molecule_b, starts_a, axis=0)
    return owners_a, owners_b, sums


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
        Workers, as in :func:`summed_atom_kernels`.

    Returns
    -------
    kernel : ndarray of shape (a's n_molecules, b's n_molecules)
    """
    return summed_atom_kernels(a, b, np.atleast_1d(width), n_jobs).mean(axis=0)


def _runs(owner):
    """Molecules present in the sorted ``owner`` and where each one's rows start."""
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    return owner[starts], starts
