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
from joblib import Parallel, delayed, effective_n_jobs
from scipy.linalg import cho_factor, cho_solve, eigh
from scipy.linalg.blas import dsyrk
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight
from threadpoolctl import threadpool_limits

from .._core.molecules import as_molecules
from .._core.progress import progress_bar
from .base import _BaseAtomKernelRidge, _checked_widths
from .force_fit import checked_forces, force_normal_equations
from .kernels import summed_atom_kernel
from .nystroem import apply_map, element_nystroem_maps, mapped_features, n_features
from .representatives import select_representatives

#: Values of ``K_nm`` held at once while accumulating the normal equations. Each
#: block is one rank-k update of the ``r x r`` matrix ``Φ^T W Φ``, which reads and
#: writes all of it: blocks of a thousand or more molecules keep that traffic small
#: against the update's arithmetic.
BLOCK_VALUES = 2**25


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
        Workers of the kernel (joblib).
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

    The blocks are computed through joblib (threads by default, the backend of a
    :func:`joblib.parallel_config` context otherwise, Dask's included) and come
    back in block order, so that sums over them do not depend on who computed a
    block.

    Yields
    ------
    rows : slice
        The block's molecules.
    features : ndarray of shape (n_block_molecules, r)
    """
    n_per_block = max(1, BLOCK_VALUES // representatives[3])
    blocks = list(molecule_blocks(atoms, n_per_block))
    # The maps go flat, as (columns, L) pairs one after another: joblib's Dask
    # backend sends the arrays among a task's arguments to the cluster once (the
    # representatives' and the factors are the same objects in every task), not
    # those inside a list.
    flat_maps = [array for columns_and_factor in maps for array in columns_and_factor]
    features_in_order = Parallel(
        n_jobs=effective_n_jobs(n_jobs), prefer="threads", return_as="generator"
    )(
        delayed(_block_features)(*block, *representatives, widths, *flat_maps)
        for _, block in blocks
    )
    for (first, block), features in zip(blocks, features_in_order, strict=True):
        yield slice(first, first + block[3]), features


def _block_features(x, molecule, numbers, n_molecules, *arguments):
    """``Φ`` of one block of molecules (arguments flattened for joblib).

    ``arguments`` are the representatives' four, the widths, then the maps'
    ``columns, L`` pairs in element order.
    """
    representatives, widths, flat_maps = arguments[:4], arguments[4], arguments[5:]
    kernel = summed_atom_kernel(
        (x, molecule, numbers, n_molecules), representatives, widths, n_jobs=1
    )
    maps = list(zip(flat_maps[::2], flat_maps[1::2], strict=True))
    # One BLAS thread wherever the block is computed: the rounding must not
    # depend on where it ran. The layout of L as it arrives does not matter:
    # dtrsm is handed a Fortran copy of it when it is not Fortran-ordered.
    with threadpool_limits(1):
        return mapped_features(kernel, maps)


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
        "element_shares": [StrOptions({"spread", "count"})],
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
            atoms[0],
            atoms[2],
            self.n_representatives,
            self.selection,
            rng,
            self.element_shares,
        )
        return indices, representative_atoms(atoms, indices)

    def _fit_representatives(
        self, residual, weights, widths, alpha, rng, forces=None, force_weight=0.0
    ):
        """Choose the representatives among the training atoms and solve the ridge.

        With ``forces`` (a pair of the validated molecules and their reference
        forces in the target's units per Å) and ``force_weight > 0``, the force
        components add rows to the least squares (see :mod:`.force_fit`).
        """
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
        if forces is not None and force_weight > 0:
            molecules, reference = forces
            # At the scale of the fitted energies (see _fit_atoms).
            scaled = [np.ldexp(f, -self._target_exponent) for f in reference]
            force_gram, force_moment = force_normal_equations(
                self, molecules, scaled, weights, representatives, maps, self.verbose
            )
            # Lower triangles both (the upper ones are not read).
            gram += force_weight * force_gram
            moment += force_weight * force_moment
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
        Representative atoms in all, shared among the elements as
        ``element_shares`` says (at least one each); every atom when there are
        fewer.
    width : float or sequence of float, default=0.5
        Width of the Gaussian atom kernel, as in :class:`AtomKernelRidge`.
    alpha : float, default=1e-3
        Ridge penalty, on the atomic-energy function's norm in the kernel's space.
    selection : {"kmeans++", "farthest", "random"}, default="kmeans++"
        How each element's representatives are chosen among its training atoms:
        k-means++ seeding (each next atom drawn with probability in proportion to
        its squared distance to the nearest one chosen: spread out, but following
        the atoms' density), farthest-point sampling in the scaled descriptors
        (starting from a random atom; it keeps rare environments, and reads every
        atom once per representative), or uniformly at random. On QM9 k-means++
        gave the lowest validation and test errors of the three
        (benchmarks/RESULTS.md §5.0).
    element_shares : {"spread", "count"}, default="spread"
        How many representatives each element gets. ``"spread"``: the selection
        runs over all training atoms at once, atoms of different elements being
        infinitely far apart, so an element's share follows how spread out its
        atoms' descriptors are, not how many they are (on QM9 it gives the
        hydrogens far fewer than their half, and lowers the validation errors,
        benchmarks/RESULTS.md §5.0g). ``"count"``: in proportion to the element's
        number of training atoms, the selection then run within each element.
        ``selection="random"`` always draws in proportion to the counts.
    force_weight : float, default=1.0
        Weight (Å²) of each squared force-component error against a molecule's
        squared energy error, when ``fit`` is given ``forces``: the objective is
        ``Σ_i w_i [(y_i - ŷ_i)² + force_weight Σ_{k,a} (F_ika - F̂_ika)²] + alpha
        c^T K_mm c``. Choose it on validation data (it trades energy against
        force errors); ignored without ``forces``.
    sigma, J, L, channels, sigma_0, scales_per_octave, eps
        The descriptors' parameters, as in :class:`AtomKernelRidge`.
    n_jobs : int or None, default=None
        Workers that compute the atom fields and the atom kernel over blocks of
        molecules, as in :class:`AtomKernelRidge` (threads, or the workers of a
        :func:`joblib.parallel_config` context's backend, Dask's included;
        joblib's convention: None is 1 unless in such a context, -1 all cores);
        the result does not depend on it, nor on the backend.
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
        "force_weight": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_representatives=5000,
        width=0.5,
        alpha=1e-3,
        *,
        selection="kmeans++",
        element_shares="spread",
        force_weight=1.0,
        sigma=0.2262,
        J=2,
        L=3,
        channels=("full", "valence", "core"),
        sigma_0=None,
        scales_per_octave=1,
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
            scales_per_octave=scales_per_octave,
            eps=eps,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.n_representatives = n_representatives
        self.width = width
        self.alpha = alpha
        self.selection = selection
        self.element_shares = element_shares
        self.force_weight = force_weight
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, forces=None):
        """Fit the atomic-energy model on representative atoms.

        Parameters
        ----------
        X : sequence or ndarray
            Molecules, in any form that :class:`SolidHarmonicScattering` accepts.
        y : array-like of shape (n_molecules,)
            Finite targets (an extensive property, such as an atomization energy).
        sample_weight : array-like of shape (n_molecules,), default=None
            Weights of the molecules in the least-squares fits (dressed atoms,
            intercept and kernel model, and each molecule's force components);
            None weighs them all 1.
        forces : sequence of array-like of shape (n_atoms, 3), default=None
            Reference forces ``-∂y/∂r`` on every atom of every molecule, in the
            target's unit per Å (an ``(n, max_atoms, 3)`` array with a padded
            ``X``). Each component adds a row, of weight ``force_weight``, to the
            least squares of the kernel model (the dressed atoms and the
            intercept are fit on ``y`` alone). None: energies only.

        Returns
        -------
        self : SparseAtomKernelRidge
        """
        widths = _checked_widths(self.width, "width")
        reference = None
        if forces is not None:
            molecules = as_molecules(X)
            reference = (molecules, checked_forces(X, molecules, forces))
        residual, weights = self._start_fit(X, y, widths, sample_weight)
        self._fit_representatives(
            residual,
            weights,
            widths,
            self.alpha,
            check_random_state(self.random_state),
            forces=reference,
            force_weight=self.force_weight,
        )
        self._to_target_units()
        return self
