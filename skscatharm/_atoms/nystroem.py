"""The Nyström map of the representatives' kernel, element by element.

The sparse model (:mod:`.sparse`) solves its least squares on the features
``Φ = K_nm T`` of a map ``T`` with ``K_mm T T^T K_mm = K_mm`` to rounding; its force
rows (:mod:`.force_fit`) are ``Ψ = -(∂K_nm/∂r) T`` through the same map. ``K_mm`` is
block-diagonal by element, and so is ``T``: per element, ``L^-T`` of the pivoted
Cholesky factor of the representatives' kernel, applied by triangular solves.
"""

import numpy as np
from scipy.linalg import solve_triangular
from scipy.linalg.blas import dtrsm
from scipy.linalg.lapack import dpstrf

from .kernels import summed_atom_kernel


def element_nystroem_maps(representatives, widths, n_jobs=None):
    """The Nyström map of the representatives' kernel, one block per element.

    The kernel between atoms of different elements is zero, so the representatives'
    kernel is block-diagonal by element and so is its Nyström map: each element's
    block is factorised on its own (``Σ_Z M_Z³ / 3`` operations instead of
    ``M³ / 3``, ``Σ_Z M_Z²`` values instead of ``M²``). Each block is factorised by
    Cholesky with complete pivoting (LAPACK ``dpstrf``), stopped at its numerical
    rank (LAPACK's default tolerance: no remaining pivot above ``M_Z`` times the
    rounding unit times the largest diagonal value): the first ``r_Z`` pivoted
    representatives ``S_Z`` span every kernel function of that element's
    representatives to rounding, ``K_SS = L L^T`` exactly, and the map is
    ``T_Z = L^-T`` on ``S_Z`` (0 on the representatives left out, which are
    duplicates to rounding).

    Parameters
    ----------
    representatives : tuple of (descriptors, molecule, numbers, n_molecules)
        The representative atoms, each its own molecule.
    widths : sequence of float
    n_jobs : int or None
        Threads of the kernel.

    Returns
    -------
    maps : list of (columns, L)
        Per element, the kept representatives ``S_Z`` (indices into
        ``representatives``, in pivot order) and the lower-triangular ``L`` of
        shape ``(r_Z, r_Z)``, Fortran-ordered, with ``K_SS = L L^T``.
    """
    x, _, numbers, _ = representatives
    maps = []
    for element in np.unique(numbers):
        columns = np.flatnonzero(numbers == element)
        own = (x[columns], np.arange(len(columns)), numbers[columns], len(columns))
        kernel = summed_atom_kernel(own, own, widths, n_jobs)
        # The kernel is symmetric: its transpose is the Fortran-ordered copy that
        # LAPACK overwrites in place.
        factor, pivots, rank, info = dpstrf(kernel.T, lower=1, overwrite_a=1)
        if info < 0:
            raise RuntimeError(f"dpstrf failed with info={info}")
        kept = columns[pivots[:rank] - 1]
        maps.append((kept, np.asfortranarray(np.tril(factor[:rank, :rank]))))
        del kernel, factor
    return maps


def n_features(maps):
    """Columns of ``Φ``: the numerical ranks of the elements' blocks together."""
    return sum(len(columns) for columns, _ in maps)


def mapped_kernel(kernel, columns, factor):
    """``K[:, S] L^-T``: one element's columns of ``Φ`` from its columns of ``K_nm``.

    A triangular solve: half the operations of a product with an explicit ``T``.
    """
    # kernel[:, columns] is a C-ordered copy, so its transpose is the Fortran
    # array that BLAS overwrites: L X = K_S^T, X^T = K_S L^-T.
    solved = dtrsm(1.0, factor, kernel[:, columns].T, lower=1, overwrite_b=1)
    return solved.T


def mapped_features(kernel, maps):
    """``K T``: every element's columns of ``Φ`` (or ``Ψ``) from rows of ``K_nm``.

    Parameters
    ----------
    kernel : ndarray of shape (n_rows, M)
        Rows of the kernel against the representatives (or of its derivative).
    maps : list of (columns, L)
        From :func:`element_nystroem_maps`.

    Returns
    -------
    features : ndarray of shape (n_rows, r), C order
    """
    features = np.empty((len(kernel), n_features(maps)))
    start = 0
    for columns, factor in maps:
        stop = start + len(columns)
        features[:, start:stop] = mapped_kernel(kernel, columns, factor)
        start = stop
    return features


def apply_map(maps, beta, n_representatives):
    """``T β``: the coefficients of the representatives from those of ``Φ``.

    Representatives left out of the maps (duplicates to rounding) get 0.
    """
    coef = np.zeros(n_representatives)
    start = 0
    for columns, factor in maps:
        stop = start + len(columns)
        coef[columns] = solve_triangular(
            factor, beta[start:stop], lower=True, trans="T"
        )
        start = stop
    return coef
