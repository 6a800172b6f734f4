"""A sparse atom-kernel model: the atomic energies on a few representative atoms.

:class:`~skscatharm.AtomKernelRidge` holds the ``n x n`` kernel of its training
molecules, which stops it near 20,000 molecules. Here each element's atomic energy
is expanded on the kernels of ``M`` representative atoms,
``ε_Z(x) = Σ_m c_m k(x, x_m)``, so a molecule's energy is ``K_nm c`` with
``K_nm[i, m]`` the kernel between representative ``m`` and the atoms of molecule
``i`` summed (the subset-of-regressors, or projected-process, model). Its
regularised least-squares fit

    min_c  Σ_i w_i (y_i - K_nm[i] c)² + alpha c^T K_mm c

is solved through a Nyström map ``T`` with ``T T^T K_mm T T^T = T T^T`` and
``K_mm T T^T K_mm = K_mm`` to rounding: per element, ``L^-T`` of the pivoted
Cholesky factor of the kernel of the representatives that are linearly independent
to rounding (see :func:`element_nystroem_maps`). The molecules' features
``Φ = K_nm T`` give the ridge problem ``(Φ^T W Φ + alpha I) β = Φ^T W y`` and
``c = T β``. ``Φ^T W Φ`` is accumulated over blocks of molecules, so memory holds
one block of ``K_nm``, one ``r x r`` matrix and the elements' factors, never an
``n x M`` or ``n x n`` one. When every training atom
is a representative the model is exactly :class:`~skscatharm.AtomKernelRidge`'s
(the push-through identity ``K^½ A^T (A K A^T + alpha I)^-1 = (K^½ A^T A K^½ +
alpha I)^-1 K^½ A^T``, with ``A`` the molecule-atom incidence matrix).
"""

from numbers import Integral, Real

import numpy as np
from scipy.linalg import cho_factor, cho_solve, eigh, solve_triangular
from scipy.linalg.blas import dsyrk, dtrsm
from scipy.linalg.lapack import dpstrf
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

from .._core.progress import progress_bar
from .base import _BaseAtomKernelRidge, _checked_widths
from .kernels import summed_atom_kernel
from .representatives import select_representatives

#: Values of ``K_nm`` held at once while accumulating the normal equations. Each
#: block is one rank-k update of the ``r x r`` matrix ``Φ^T W Φ``, which reads and
#: writes all of it: blocks of a thousand or more molecules keep that traffic small
#: against the update's arithmetic.
BLOCK_VALUES = 2**25


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


def molecule_blocks(atoms, n_per_block):
    """Consecutive blocks of molecules, each as its own atoms tuple.

    Parameters
    ----------
    atoms : tuple of (descriptors, molecule, numbers, n_molecules)
        Rows grouped by molecule in increasing order.
    n_per_block : int

    Yields
    ------
    first : int
        Index of the block's first molecule.
    block : tuple of (descriptors, molecule, numbers, n_molecules)
        Molecule indices counted from the block's first.
    """
    x, molecule, numbers, n_molecules = atoms
    for first in range(0, n_molecules, n_per_block):
        last = min(first + n_per_block, n_molecules)
        rows = slice(*np.searchsorted(molecule, [first, last]))
        yield first, (x[rows], molecule[rows] - first, numbers[rows], last - first)


def sparse_normal_equations(
    atoms, representatives, target, sample_weight, widths, n_jobs=None, verbose=0
):
    """The Nyström map and the ridge problem's normal equations, block by block.

    Parameters
    ----------
    atoms, representatives : tuple of (descriptors, molecule, numbers, n_molecules)
        The training molecules' atoms and the representative atoms (each its own
        "molecule").
    target : ndarray of shape (n_molecules,)
    sample_weight : ndarray of shape (n_molecules,)
    widths : sequence of float
        The kernel is the mean of the Gaussians of these widths.
    n_jobs : int or None
        Threads of the kernel.
    verbose : int
        Progress bar over the molecules when > 0.

    Returns
    -------
    maps : list of (columns, L)
        The Nyström map, per element (see :func:`element_nystroem_maps`).
    gram : ndarray of shape (r, r), Fortran order
        The lower triangle of ``Φ^T W Φ`` (the upper one is not set).
    moment : ndarray of shape (r,)
        ``Φ^T W target``.
    """
    maps = element_nystroem_maps(representatives, widths, n_jobs)
    # Φ = K_nm T block by block: forming K_nm^T W K_nm first and T^T (.) T after
    # would halve the work, but cancels catastrophically along the kernel's small
    # eigenvalues, where T is large.
    r = n_features(maps)
    gram = np.zeros((r, r), order="F")
    moment = np.zeros(r)
    with progress_bar(atoms[3], "normal equations", verbose > 0) as advance:
        for rows, features in nystroem_feature_blocks(
            atoms, representatives, maps, widths, n_jobs
        ):
            moment += features.T @ (sample_weight[rows] * target[rows])
            features *= np.sqrt(sample_weight[rows])[:, None]
            # A symmetric rank-k update of the lower triangle, in place: half the
            # operations of a product and no second r x r matrix. features.T is
            # Fortran-ordered, so BLAS reads it without a copy.
            gram = dsyrk(1.0, features.T, beta=1.0, c=gram, lower=1, overwrite_c=1)
            advance(len(features))
    return maps, gram, moment


def representative_atoms(atoms, indices):
    """The atoms ``indices`` of ``atoms``, each its own molecule."""
    x, _, numbers, _ = atoms
    return x[indices], np.arange(len(indices)), numbers[indices], len(indices)


def molecule_subset(atoms, molecules):
    """The atoms of some molecules, renumbered ``0..len(molecules)-1``.

    Parameters
    ----------
    atoms : tuple of (descriptors, molecule, numbers, n_molecules)
    molecules : ndarray of int
        Increasing molecule indices.

    Returns
    -------
    tuple of (descriptors, molecule, numbers, n_molecules)
    """
    x, molecule, numbers, _ = atoms
    rows = np.isin(molecule, molecules)
    renumbered = np.searchsorted(molecules, molecule[rows])
    return x[rows], renumbered, numbers[rows], len(molecules)


def nystroem_features(atoms, representatives, maps, widths, n_jobs=None):
    """``Φ = K_nm T`` of some molecules, computed over blocks of molecules.

    Returns
    -------
    features : ndarray of shape (n_molecules, r)
    """
    features = np.empty((atoms[3], n_features(maps)))
    for rows, block in nystroem_feature_blocks(
        atoms, representatives, maps, widths, n_jobs
    ):
        features[rows] = block
    return features


def nystroem_feature_blocks(atoms, representatives, maps, widths, n_jobs=None):
    """``Φ = K_nm T`` over consecutive blocks of molecules, one block at a time.

    ``T`` is block-diagonal by element (:func:`element_nystroem_maps`): each
    element's columns of ``K_nm`` go through its own triangular solve, ``Σ_Z r_Z²``
    operations per molecule instead of the ``2 M r`` of a product with a whole
    ``T``.

    Yields
    ------
    rows : slice
        The block's molecules.
    features : ndarray of shape (n_block_molecules, r)
    """
    n_per_block = max(1, BLOCK_VALUES // representatives[3])
    r = n_features(maps)
    for first, block in molecule_blocks(atoms, n_per_block):
        kernel = summed_atom_kernel(block, representatives, widths, n_jobs)
        features = np.empty((block[3], r))
        start = 0
        for columns, factor in maps:
            stop = start + len(columns)
            features[:, start:stop] = mapped_kernel(kernel, columns, factor)
            start = stop
        del kernel
        yield slice(first, first + block[3]), features


def ridge_solution(gram, moment, alpha):
    """``β = (gram + alpha I)^-1 moment`` by a Cholesky factorisation, in place.

    Only the lower triangle of ``gram`` is read; it is overwritten by the factor
    (without a copy when ``gram`` is in Fortran order).
    """
    gram[np.diag_indices_from(gram)] += alpha
    return cho_solve(cho_factor(gram, lower=True, overwrite_a=True), moment)


def ridge_path(gram, moment, features, alphas):
    """Kernel parts of the predictions for each ridge, from one eigendecomposition.

    Parameters
    ----------
    gram, moment : ndarray
        ``Φ^T W Φ`` (its lower triangle is read; it is overwritten) and
        ``Φ^T W y`` of the training molecules.
    features : ndarray of shape (n_predicted, r)
        ``Φ`` of the predicted molecules.
    alphas : sequence of float

    Returns
    -------
    predictions : ndarray of shape (len(alphas), n_predicted)
    """
    eigenvalues, eigenvectors = eigh(gram, lower=True, overwrite_a=True, driver="evd")
    # Rounding can make the smallest eigenvalues of Φ^T W Φ slightly negative.
    eigenvalues = np.maximum(eigenvalues, 0.0)
    projected = eigenvectors.T @ moment
    rotated = features @ eigenvectors
    return np.array([rotated @ (projected / (eigenvalues + a)) for a in alphas])


class _BaseSparseAtomKernelRidge(_BaseAtomKernelRidge):
    """What the sparse models share: representatives, the weighted fit and its solve.

    Parameters
    ----------
    n_representatives, selection, random_state, verbose
        As in :class:`SparseAtomKernelRidge`; the other parameters as in
        :class:`~skscatharm._atoms.base._BaseAtomKernelRidge`.
    """

    _parameter_constraints: dict = {
        **_BaseAtomKernelRidge._parameter_constraints,
        "n_representatives": [Interval(Integral, 1, None, closed="left")],
        "selection": [StrOptions({"farthest", "kmeans++", "random"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def _start_fit(self, X, y, widths, sample_weight):
        """Fit the descriptors and dressed atoms; the kernel's target and weights."""
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, np.empty(len(np.asarray(y))), ensure_non_negative=True
            )
        residual = self._fit_atoms(X, y, widths, sample_weight)
        n_molecules = self._training_atoms[3]
        weights = np.ones(n_molecules) if sample_weight is None else sample_weight
        return residual, weights

    def _representatives(self, atoms, rng):
        """Indices of the representatives among ``atoms``, and their atoms tuple."""
        indices = select_representatives(
            atoms[0], atoms[2], self.n_representatives, self.selection, rng
        )
        return indices, representative_atoms(atoms, indices)

    def _fit_representatives(self, residual, weights, widths, alpha, rng):
        """Choose the representatives among the training atoms and solve the ridge."""
        atoms = self._training_atoms
        self.representatives_, representatives = self._representatives(atoms, rng)
        maps, gram, moment = sparse_normal_equations(
            atoms,
            representatives,
            residual - self.intercept_,
            weights,
            widths,
            self.n_jobs,
            self.verbose,
        )
        self.dual_coef_ = apply_map(
            maps, ridge_solution(gram, moment, alpha), representatives[3]
        )
        self._reporter().line(f"ridge solved on {len(self.representatives_)} atoms")
        # Predictions read the kernel against the model's atoms: the representatives.
        self._training_atoms = representatives
        self.n_representatives_ = len(self.representatives_)


class SparseAtomKernelRidge(_BaseSparseAtomKernelRidge):
    """:class:`AtomKernelRidge` on representative atoms, for large training sets.

    The same model of a sum of atomic energies (the same descriptors, dressed atoms
    and atom kernel), with each element's atomic energy expanded on the kernels of
    ``n_representatives`` representative training atoms instead of all of them. The
    fit costs ``n_atoms x M`` kernel values and about ``0.7 n_molecules x M²``
    multiply-adds (QM9's proportions of elements), and holds one ``M x M`` matrix
    and the elements' kernel factors; the model keeps the ``M`` representatives.
    With every training atom representative it is exactly
    :class:`AtomKernelRidge`.

    Parameters
    ----------
    n_representatives : int, default=5000
        Representative atoms in all, shared among the elements in proportion to
        their number of training atoms (at least one each); every atom when there
        are fewer.
    width : float or sequence of float, default=0.5
        Width of the Gaussian atom kernel, as in :class:`AtomKernelRidge`.
    alpha : float, default=1e-3
        Ridge penalty, on the atomic-energy function's norm in the kernel's space.
    selection : {"farthest", "kmeans++", "random"}, default="farthest"
        How each element's representatives are chosen among its training atoms:
        farthest-point sampling in the scaled descriptors (starting from a random
        atom; it keeps rare environments), k-means++ seeding (each next atom drawn
        with probability in proportion to its squared distance to the nearest
        one chosen: spread out, but following the atoms' density), or uniformly
        at random.
    sigma, J, L, channels, sigma_0, eps
        The descriptors' parameters, as in :class:`AtomKernelRidge`.
    n_jobs : int or None, default=None
        Threads that compute the atom kernel over blocks of atom pairs, as in
        :class:`AtomKernelRidge` (joblib's convention: None is 1 unless in a
        :func:`joblib.parallel_config` context, -1 all cores); the result does not
        depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of representatives (the first atom of the farthest-point
        sampling, or the random draw), the only randomness of the fit; None uses
        NumPy's global random state.
    verbose : int, default=0
        When > 0, a progress bar over the training molecules (needs tqdm) and a
        line per stage on standard output.

    Attributes
    ----------
    widths_ : ndarray of float
        The widths of the fitted kernel.
    elements_ : ndarray of int
        Atomic numbers seen in training.
    dressed_atoms_ : ndarray of float
        Least-squares energy per atom of each element of ``elements_``.
    intercept_ : float
        Mean of the training target after the dressed atoms.
    representatives_ : ndarray of int
        Indices of the representative atoms among the training atoms (in the order
        of :func:`atom_fields`).
    dual_coef_ : ndarray of shape (n_representatives_,)
        Weight of each representative's kernel in the atomic energies (0 for a
        representative whose kernel is, to rounding, a combination of the others'
        of its element, such as a duplicate).
    n_representatives_ : int
    offset_, scale_ : ndarray of shape (n_fields,)
        The descriptors' offsets and scales.
    n_atoms_fit_ : int
        Atoms in the training molecules.

    See Also
    --------
    AtomKernelRidge : The exact model, on every training atom.

    Examples
    --------
    >>> from skscatharm import SparseAtomKernelRidge
    >>> from skscatharm.datasets import load_qm7_sample
    >>> X, y = load_qm7_sample(return_X_y=True)
    >>> model = SparseAtomKernelRidge(n_representatives=300, random_state=0)
    >>> model.fit(X[::2], y[::2]).predict(X[1::2]).shape
    (250,)
    >>> model.n_representatives_
    300
    """

    _parameter_constraints: dict = {
        **_BaseSparseAtomKernelRidge._parameter_constraints,
        "width": [Interval(Real, 0, None, closed="neither"), "array-like"],
        "alpha": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        n_representatives=5000,
        width=0.5,
        alpha=1e-3,
        *,
        selection="farthest",
        sigma=0.2262,
        J=2,
        L=3,
        channels=("full", "valence", "core"),
        sigma_0=None,
        eps=1e-3,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            sigma=sigma,
            J=J,
            L=L,
            channels=channels,
            sigma_0=sigma_0,
            eps=eps,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.n_representatives = n_representatives
        self.width = width
        self.alpha = alpha
        self.selection = selection
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the atomic-energy model on representative atoms.

        Parameters
        ----------
        X : sequence or ndarray
            Molecules, in any form that :class:`SolidHarmonicScattering` accepts.
        y : array-like of shape (n_molecules,)
            Finite targets (an extensive property, such as an atomization energy).
        sample_weight : array-like of shape (n_molecules,), default=None
            Weights of the molecules in the least-squares fits (dressed atoms,
            intercept and kernel model); None weighs them all 1.

        Returns
        -------
        self : SparseAtomKernelRidge
        """
        widths = _checked_widths(self.width, "width")
        residual, weights = self._start_fit(X, y, widths, sample_weight)
        self._fit_representatives(
            residual, weights, widths, self.alpha, check_random_state(self.random_state)
        )
        self._to_target_units()
        return self
