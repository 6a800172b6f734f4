"""Kernel ridge regression of an atomic-energy model on atom-centred fields.

A molecule's energy is modelled as a sum of atomic energies, one function per element
of its atom's surroundings, ``E = Σ_n ε_{Z_n}(x_n)``, where ``x_n`` are the logarithms
of :func:`atom_fields` at atom ``n``. With a Gaussian kernel between atoms of the
same element, kernel ridge regression fits that sum directly: the kernel between two
molecules is the sum of the atom kernels over their pairs of same-element atoms. On
the QM7 5 folds it is the package's most accurate energy model
(``benchmarks/RESULTS.md``).
"""

from numbers import Real

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval

from .base import _BaseAtomKernelRidge, _checked_widths
from .kernels import summed_atom_kernel


class AtomKernelRidge(_BaseAtomKernelRidge):
    """Kernel ridge regression of a sum of atomic energies on atom-centred fields.

    ``fit(X, y)`` reads the first-order fields of :func:`atom_fields` at every atom
    of the molecules ``X``, takes ``log(U1 + eps * median)`` of each column and
    scales it to unit variance over the training atoms, fits ``y`` by least squares
    on the element counts (the "dressed atoms"), and fits the rest by kernel ridge
    regression with the kernel summed over pairs of same-element atoms (see
    :func:`summed_atom_kernel`). The prediction is a sum over the molecule's atoms,
    so it is extensive, and invariant to rotations, translations and atom order.

    Parameters
    ----------
    width : float or sequence of float, default=0.5
        Width of the Gaussian atom kernel, in units of ``sqrt(n_features)`` of the
        scaled descriptors (about the typical distance between two atoms'
        descriptors is ``sqrt(2)``). Several widths, such as ``(0.25, 0.5, 1.0)``,
        give the equal-weight mean of their kernels.
    alpha : float, default=1e-3
        Ridge penalty.
    sigma, J, L, channels, sigma_0, scales_per_octave
        The fields' parameters, as in :func:`atom_fields`.
    eps : float, default=1e-3
        Offset, as a fraction of each column's median, that keeps the logarithm of
        a field finite where it vanishes by symmetry (``l >= 1`` at the centre of a
        symmetric molecule). A small offset compares atoms on the fields' orders of
        magnitude (suited to energies across many molecules); an offset of the
        order of the median or more makes the descriptors nearly linear in the
        fields (suited to the small displacements of one molecule's vibrations,
        where it gave more accurate forces: benchmarks/RESULTS.md §9).
    n_jobs : int or None, default=None
        Workers that compute the atom fields and the atom kernel, in ``fit`` and
        ``predict``, each on a block of molecules or of atom pairs: threads, or
        the workers of the backend that a :func:`joblib.parallel_config` context
        names (Dask's included); joblib's convention: None is 1 unless in such a
        context, -1 all cores. The results do not depend on it, nor on the
        backend, to the last bit.
    verbose : int, default=0
        Progress printed to standard output when > 0: one line per stage (the
        fields, the kernel, the solve) with its time.

    Attributes
    ----------
    widths_ : ndarray of float
        The widths of the fitted kernel.
    elements_ : ndarray of int
        Atomic numbers seen in training; others are an error at predict time.
    dressed_atoms_ : ndarray of float
        Least-squares energy per atom of each element of ``elements_``.
    intercept_ : float
        Mean of the training target after the dressed atoms.
    dual_coef_ : ndarray of shape (n_training_molecules,)
    offset_, scale_ : ndarray of shape (n_fields,)
        The descriptors' offsets (before the logarithm) and scales (after).
    n_atoms_fit_ : int
        Atoms in the training molecules, whose descriptors the model keeps.

    See Also
    --------
    atom_fields : The descriptors.
    AtomKernelRidgeCV : The same model with its width and ridge chosen by
        cross-validation.
    PerAtomRegressor : Models of the target per heavy atom on global coefficients.

    Notes
    -----
    Fitting computes ``n_atoms²`` atom kernels and solves one ``n x n`` system
    (``n`` training molecules), so it holds an ``n x n`` float64 kernel, and the
    model keeps every training atom's descriptor. A grid search recomputes the
    kernel for every candidate and split; :class:`AtomKernelRidgeCV` computes it
    once per width and shares it across the splits and the ridges. Measured times
    and memory are in ``benchmarks/README.md``.

    The model is linear in ``y``: it is fitted on ``y`` divided by a power of two
    (exactly), so targets of any finite scale (1e300 or 1e-300) give the same
    digits, scaled; ``fit`` raises a ValueError when a coefficient in the units of
    ``y`` does not fit in float64 (the dual coefficients are of the order of
    ``y / alpha``), and ``predict`` when a prediction does not. The same holds
    for the other atom models.

    Examples
    --------
    >>> from skscatharm import AtomKernelRidge
    >>> from skscatharm.datasets import load_qm7_sample
    >>> X, y = load_qm7_sample(return_X_y=True)
    >>> model = AtomKernelRidge().fit(X[::2], y[::2])
    >>> model.predict(X[1::2]).shape
    (250,)
    """

    _parameter_constraints: dict = {
        **_BaseAtomKernelRidge._parameter_constraints,
        "width": [Interval(Real, 0, None, closed="neither"), "array-like"],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        width=0.5,
        alpha=1e-3,
        *,
        sigma=0.2262,
        J=2,
        L=3,
        channels=("full", "valence", "core"),
        sigma_0=None,
        scales_per_octave=1,
        eps=1e-3,
        n_jobs=None,
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
        self.width = width
        self.alpha = alpha

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the atomic-energy model.

        Parameters
        ----------
        X : sequence or ndarray
            Molecules, in any form that :class:`SolidHarmonicScattering` accepts.
        y : array-like of shape (n_molecules,)
            Finite targets (an extensive property, such as an atomization energy).

        Returns
        -------
        self : AtomKernelRidge
        """
        residual = self._fit_atoms(X, y, _checked_widths(self.width, "width"))
        kernel = summed_atom_kernel(
            self._training_atoms, self._training_atoms, self.widths_, self.n_jobs
        )
        reporter = self._reporter()
        reporter.line(f"kernel of {len(kernel)} molecules")
        self._fit_dual(kernel, residual, self.alpha)
        reporter.line("ridge solved")
        self._to_target_units()
        return self
