"""``SolidHarmonicScattering``: the scikit-learn transformer from molecules to features."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ._core.backend import BACKENDS
from ._core.channels import channel_weights, resolve_channels
from ._core.dispatch import scattering_coefficients
from ._core.molecules import as_molecules
from ._core.plan import (
    OVERSAMPLING_PRESETS,
    ScatteringPlan,
    oversampling_setting,
    wavelet_layout,
)
from ._parameters import N_JOBS_CONSTRAINT, WAVELET_CONSTRAINTS
from ._persistence import VersionedPickleMixin


class SolidHarmonicScattering(VersionedPickleMixin, TransformerMixin, BaseEstimator):
    """Solid harmonic wavelet scattering coefficients of molecules.

    Each molecule becomes a vector of rotation-, reflection-, translation- and
    permutation-invariant coefficients (Eickenberg et al., J. Chem. Phys. 2018):
    integrals of powers of the density and of the moduli of its convolutions with
    solid harmonic wavelets, at first and second order. The exact definition of
    every coefficient is the page :doc:`/definition` of the documentation
    (``doc/definition.rst``).

    Parameters
    ----------
    sigma : float, default=0.2262
        Width (Å) of the Gaussian placed on each atom. The default is kymatio's QM7
        example (2 voxels of 0.1131 Å).
    J : int, default=2
        Largest scale index: wavelet widths are ``sigma_0 * 2**j`` for ``j = 0..J``.
    L : int, default=3
        Largest degree of the solid harmonics: ``l = 0..L``.
    Q : tuple of float, default=(0.5, 1.0, 2.0, 3.0)
        Integral powers ``q`` (each > 0) of ``∫ |field|^q``. With powers 1 and 2
        only, ``S0`` is computed in closed form (``Σ w`` and a pairwise sum of
        Gaussian overlaps) without a grid, so ``max_order=0, Q=(1, 2)`` costs
        almost nothing.
    max_order : {0, 1, 2}, default=2
        Highest scattering order: 0 keeps ``S0`` (integrals of the density), 1 adds
        ``S1``, 2 adds ``S2``.
    channels : sequence, default=("full", "valence", "core")
        Density channels. Each item is a built-in name (``"full"``: ``w = Z``;
        ``"valence"``: valence electrons; ``"core"``: ``Z`` minus valence; an
        element's symbol such as ``"C"``: 1 on that element's atoms, 0 on the
        others, so that several of them resolve the elements), a mapping
        ``Z -> weight``, a callable ``Z_array -> weights`` (picklable if the
        transformer is to be saved), or a pair ``(name, mapping_or_callable)``.
    sigma_0 : float or None, default=None
        Width (Å) of the finest wavelet; ``None`` means ``sigma``.
    oversampling : float or {"auto", "coarse"}, default="auto"
        The accuracy setting: grid points per width of each first-layer field (the
        second-layer lattices use half as many, and at least 2). ``"auto"``, the
        setting that keeps every coefficient within 1e-3 relative of its converged
        value: 2.5 points per width, 4 for the degree-1 fields, whose moduli
        have cone-shaped kinks at the critical points of the smoothed density
        (their aliasing swings with where the kinks fall on the grid), and 3.2 for
        degree 3, over the atoms; 1.5 in the margins of the first-layer grids, where
        every field is smooth (graded grids). ``"coarse"`` trades that contract for
        speed: 2 points per width for every field, on uniform grids (the same as
        ``oversampling=2``) and at less cost; the odd degrees' kinks then alias
        past 1e-3 on some molecules, errors that are small beside those of a
        regression on the coefficients. A number samples every degree at
        that rate: errors fall like ``oversampling**-4`` (not smoothly at odd
        degrees) and the cost grows like ``oversampling**3``. The errors and
        timings measured at each setting are in ``benchmarks/RESULTS.md``.
    tail_tolerance : float, default=1e-4
        Fraction of each integral allowed to fall outside the sampled box; boxes
        grow like ``sqrt(log(1 / tail_tolerance))``.
    backend : {"auto", "numpy", "cupy"}, default="auto"
        ``"numpy"`` computes on the CPU with NumPy and SciPy; ``"cupy"`` on a CUDA
        GPU; ``"auto"`` uses CuPy when it imports and sees a device. The choice is
        made at each ``transform``, so a saved transformer works on either machine.
    dtype : {"float64", "float32"}, default="float64"
        Working precision; the output is always float64. float32 halves memory and
        is faster on a GPU, but its rounding noise in the near-empty parts of each
        box, raised to a power ``q < 1``, makes those coefficients much less accurate
        than the others (the measured errors are in ``benchmarks/README.md``).
    batch_size : int or "auto", default="auto"
        Molecules computed together (padded to a common grid). ``"auto"`` means 1 on
        the CPU and, on a GPU, as many as keep the batch's work arrays (counted
        stage by stage before they are allocated) within 2 GiB. On a GPU, a batch
        that runs out of device memory is split in halves and retried, and the
        batches after it are no larger than the halves.
    n_jobs : int or None, default=None
        Worker processes (joblib) that compute batches of molecules on the CPU,
        with joblib's convention: ``None`` is 1 unless inside a
        :func:`joblib.parallel_config` context (whose ``n_jobs`` and backend are
        then used), ``-1`` is all cores. Ignored on a GPU, which one process
        drives. In one process, molecules are computed by threads, as many as
        the cores free at the time (a single molecule: its BLAS and FFT threads).
        The coefficients do not depend on it.
    memory : str, joblib.Memory or None, default=None
        Folder (or ``joblib.Memory``) where the coefficients of each molecule are
        kept, under a key made of its atoms, positions and channel weights and of
        every parameter that changes the coefficients; a molecule met again is read
        back instead of computed. In a grid search over the regressor's parameters,
        over ``Q`` with :class:`SelectIntegralPowers`, or over ``J``, ``L`` and
        ``max_order`` with :class:`SelectWavelets`, each molecule is then
        computed once for every split and candidate, held-out molecules and the
        final refit included (``Pipeline(memory=...)`` caches only the training
        side). The resolved backend and ``batch_size`` are in the key (they change
        the rounding of the results); ``n_jobs``, ``verbose`` and ``max_grid_bytes`` are not. A value
        read back is checked (shape, float64, finite) and computed again, with a
        warning, when it is wrong. The folder must be trusted, as for any
        ``joblib.Memory``: its entries are pickles, and loading a crafted one runs
        arbitrary code; do not point it at a folder others can write to. ``None``
        keeps nothing.
    verbose : int, default=0
        When > 0, a progress bar over the molecules (needs tqdm; on standard
        error).
    max_grid_bytes : float or None, default=16 * 2**30
        Largest memory (bytes) that the work arrays of one molecule may take, as
        counted from its extent in its principal axes before anything is
        allocated (the count follows the transform's arrays to within a few
        percent; it grows like the box volume times ``oversampling**3``). A
        molecule over the limit is refused with a ``ValueError`` naming its index
        and its extent in Å: typically positions in the wrong unit or several
        molecules in one. The default leaves room for converged references (the
        largest QM7 molecule at ``oversampling=8`` and ``tail_tolerance=1e-12``
        needs about 6 GiB) and refuses boxes tens of Å wide. ``None`` checks
        nothing.

    Attributes
    ----------
    channel_names_ : list of str
        Names of the channels, in output order.
    n_features_out_ : int
        Number of coefficients per molecule.

        Both are set by ``fit`` and read from the current parameters, so that
        they follow ``set_params`` (the transform learns nothing from data).

    See Also
    --------
    skscatharm.pack_molecules : Build the padded array input from ``Z`` and ``R``.
    skscatharm.regression.FactorizedBilinearRegressor : A regressor for these features.

    Notes
    -----
    Per channel, the columns are ``S0[q]`` for ``q`` in ``Q``; then ``S1[j, l, q]`` in
    C order over ``(j, l, q)``; then ``S2[j1, j2, l, q]`` with ``j1 < j2`` in
    lexicographic order, then ``l``, then ``q``: ``|Q| (1 + (J+1)(L+1) +
    J(J+1)/2 (L+1))`` columns for ``max_order=2``. ``get_feature_names_out`` names
    them, e.g. ``valence_S1_j1_l2_q0.5``.

    The first layer is evaluated in closed form (a Gaussian convolved with a solid
    harmonic wavelet is a solid harmonic wavelet); each scale has its own grid,
    ``width / oversampling`` apart, over the molecule plus the decay of its field;
    the second layer is computed on a coarse lattice by a pruned DFT and an inverse
    FFT. The cost grows with the volume of each molecule, not with a fixed box.

    References
    ----------
    M. Eickenberg, G. Exarchakis, M. Hirn, S. Mallat, L. Thiry, "Solid harmonic
    wavelet scattering for predictions of molecule properties", J. Chem. Phys. 148,
    241732 (2018).

    Examples
    --------
    >>> import numpy as np
    >>> from skscatharm import SolidHarmonicScattering
    >>> water = (np.array([8, 1, 1]),
    ...          np.array([[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]]))
    >>> scattering = SolidHarmonicScattering(sigma=0.5, J=1, L=1, Q=(1.0, 2.0))
    >>> features = scattering.fit_transform([water])
    >>> features.shape
    (1, 42)
    >>> scattering.get_feature_names_out()[:3].tolist()
    ['full_S0_q1', 'full_S0_q2', 'full_S1_j0_l0_q1']
    >>> round(float(features[0, 0]), 6)  # S0[1] is the total charge, 8 + 1 + 1
    10.0
    """

    _parameter_constraints = {
        **WAVELET_CONSTRAINTS,
        "Q": ["array-like"],
        "max_order": [Interval(Integral, 0, 2, closed="both")],
        "oversampling": [
            Interval(Real, 1, None, closed="left"),
            StrOptions(set(OVERSAMPLING_PRESETS)),
        ],
        "tail_tolerance": [Interval(Real, 0, 1e-2, closed="neither")],
        "backend": [StrOptions(set(BACKENDS))],
        "dtype": [StrOptions({"float32", "float64"})],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "n_jobs": N_JOBS_CONSTRAINT,
        "memory": [None, str, HasMethods(["cache"])],
        "verbose": ["verbose"],
        "max_grid_bytes": [None, Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        sigma=0.2262,
        J=2,
        L=3,
        Q=(0.5, 1.0, 2.0, 3.0),
        max_order=2,
        channels=("full", "valence", "core"),
        sigma_0=None,
        oversampling="auto",
        tail_tolerance=1e-4,
        backend="auto",
        dtype="float64",
        batch_size="auto",
        n_jobs=None,
        memory=None,
        verbose=0,
        max_grid_bytes=16 * 2**30,
    ):
        self.sigma = sigma
        self.J = J
        self.L = L
        self.Q = Q
        self.max_order = max_order
        self.channels = channels
        self.sigma_0 = sigma_0
        self.oversampling = oversampling
        self.tail_tolerance = tail_tolerance
        self.backend = backend
        self.dtype = dtype
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose
        self.max_grid_bytes = max_grid_bytes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.requires_fit = False
        return tags

    def _integral_powers(self):
        powers = tuple(float(q) for q in np.atleast_1d(np.asarray(self.Q, dtype=float)))
        if not powers or any(not np.isfinite(q) or q <= 0 for q in powers):
            raise ValueError(
                f"Q must be a non-empty sequence of powers > 0, got {self.Q}"
            )
        if len(set(powers)) != len(powers):
            raise ValueError(f"Q must not repeat a power, got {self.Q}")
        return powers

    def _plan(self):
        self._validate_params()
        return ScatteringPlan(
            sigma=float(self.sigma),
            sigma_0=float(self.sigma if self.sigma_0 is None else self.sigma_0),
            J=int(self.J),
            L=int(self.L),
            Q=self._integral_powers(),
            max_order=int(self.max_order),
            tail_tolerance=float(self.tail_tolerance),
            **oversampling_setting(self.oversampling),
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Check the parameters; the transform learns nothing from data.

        Parameters
        ----------
        X : sequence of molecules or ndarray of shape (n, max_atoms, 4), optional
            Validated if given (see :meth:`transform`).
        y : None
            Ignored.

        Returns
        -------
        self : SolidHarmonicScattering
        """
        self._plan()  # checks the parameters
        channels = resolve_channels(self.channels)
        if X is not None:
            for index, molecule in enumerate(as_molecules(X)):
                channel_weights(channels, molecule.numbers, index)
        self._fitted = True
        return self

    def _fitted_attribute(self, name):
        # Before fit they do not exist (scikit-learn's convention for attributes
        # ending in "_"); a pickle saved before they became properties holds them
        # in its __dict__, which counts as fitted.
        if not (vars(self).get("_fitted") or "channel_names_" in vars(self)):
            raise AttributeError(
                f"{type(self).__name__} has no attribute {name!r} before fit"
            )

    @property
    def channel_names_(self):
        # A property, not a value stored by fit: set_params(channels=...) after fit
        # would leave a stored value stale.
        self._fitted_attribute("channel_names_")
        return [channel.name for channel in resolve_channels(self.channels)]

    @property
    def n_features_out_(self):
        # A property for the same reason: J, L, Q, max_order or channels can change
        # after fit through set_params.
        self._fitted_attribute("n_features_out_")
        plan = self._plan()
        return len(resolve_channels(self.channels)) * plan.n_features_per_channel

    def transform(self, X):
        """Scattering coefficients of each molecule.

        Parameters
        ----------
        X : sequence of molecules or ndarray of shape (n_molecules, max_atoms, 4)
            Each molecule is a ``(Z, R)`` pair (atomic numbers and positions in Å of
            shape ``(n_atoms, 3)``) or an ``ase.Atoms``-like object; or a zero-padded
            array with columns ``Z, x, y, z`` (see :func:`skscatharm.pack_molecules`).

        Returns
        -------
        coefficients : ndarray of shape (n_molecules, n_features_out_), float64
            Every value finite.

        Raises
        ------
        ValueError
            When a coefficient of a molecule would overflow (not be finite): large
            channel weights or large powers ``Q`` make ``∫ |field|^q`` exceed the
            largest float (a coefficient grows like ``weight**q``). The message
            names the first such molecule, the orders, channels and powers.
        """
        plan = self._plan()
        channels = resolve_channels(self.channels)
        molecules = as_molecules(X)
        weights = [
            channel_weights(channels, molecule.numbers, index)
            for index, molecule in enumerate(molecules)
        ]
        return scattering_coefficients(
            plan,
            molecules,
            weights,
            np.dtype(self.dtype),
            memory=self.memory,
            max_grid_bytes=self.max_grid_bytes,
            backend=self.backend,
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns, e.g. ``valence_S2_j0_j2_l1_q0.5``.

        Parameters
        ----------
        input_features : None
            Ignored (the input is molecules, not named columns).

        Returns
        -------
        feature_names_out : ndarray of str
        """
        plan = self._plan()
        order, j1, j2, degree = wavelet_layout(
            plan.J, plan.L, plan.max_order, len(plan.Q)
        )
        powers = np.tile(plan.Q, order.size // len(plan.Q))
        labels = []
        for o, a, b, l, q in zip(order, j1, j2, degree, powers, strict=True):  # noqa: E741
            wavelet = {0: "", 1: f"_j{a}_l{l}", 2: f"_j{a}_j{b}_l{l}"}[int(o)]
            labels.append(f"S{o}{wavelet}_q{q:g}")
        names = [
            f"{channel.name}_{label}"
            for channel in resolve_channels(self.channels)
            for label in labels
        ]
        return np.asarray(names, dtype=object)
