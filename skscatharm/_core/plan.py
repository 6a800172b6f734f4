"""Where each field is sampled: scales, grid spacings and box margins (doc/definition.rst §4).

Every field the transform integrates is a smooth field of some width ``w`` (a sum of
Gaussians of width ``w`` times polynomials) or the modulus of one. It is sampled on its
own grid, of spacing ``w / oversampling``, over the bounding box of the atoms widened
on each side by a margin ``w * x``, where ``x`` makes the part of ``∫ |field|^q`` left
outside the box smaller than ``tail_tolerance`` (bound below). Fine scales thus get
fine, small grids and coarse scales coarse ones, instead of one grid for every scale.
"""

from dataclasses import dataclass
from functools import cached_property, lru_cache
from math import exp, sqrt

import numpy as np
from scipy.optimize import brentq
from scipy.special import gammaincc, gammainccinv, gammaln

#: The second-layer fields ``U1 * psi_j2`` are band-limited by the wavelet, so their
#: lattice needs fewer points per width than the first-layer moduli ``U1``, which have
#: kinks where the field vanishes (at density maxima for l = 1): sampling those kinks
#: aliases into the spectrum that the second layer reads, an error that falls like
#: ``oversampling**-4`` but swings with where the kinks sit on the grid. Measured
#: (benchmarks/accuracy/transform_error.py): the second layer is converged to 1e-4
#: at 2 points per width, while the degree-1 first-layer fields need about 4 for 1e-3
#: in the worst case (the other degrees 2.5: ``AUTO_OVERSAMPLING``).
SECOND_LAYER_MIN_OVERSAMPLING = 2.0


#: ``oversampling="auto"``: the setting that holds the accuracy contract
#: (doc/definition.rst §5) at the least cost measured
#: (benchmarks/accuracy/transform_error.py, benchmarks/RESULTS.md §1): the degree-1
#: fields, whose moduli have cone-shaped kinks, at 4 points per width
#: (``AUTO_DEGREE_OVERSAMPLING``), degree 3 at 3.2, every other degree at 2.5. The
#: aliasing of the moduli swings with where the grid falls among the atoms; over
#: grid phases, degree 3 at 2.5 reached 1.1e-3 (S2, QM7's largest molecule), at
#: 3.2 at most 3.5e-4. The other splits measured broke the contract: degree 1 at 3
#: (1.0e-3 on methane, L = 3), degrees 1 and 3 at 4 with the rest at 2 (1.3e-3 on
#: QM7).
AUTO_OVERSAMPLING = 2.5
AUTO_DEGREE_OVERSAMPLING = ((1, 4.0), (3, 3.2))

#: ``oversampling="auto"``: points per width in the first-layer grids' margins,
#: which are graded (:mod:`skscatharm._core.geometry`). There every field is
#: smooth (the moduli's kinks lie among the atoms: a critical point of a sum of
#: Gaussians with positive weights is inside their convex hull), and the trapezoid
#: rule needs only to resolve the field and the frequencies that the second layer
#: reads: ``spacing < 2 pi / (k_f + k_2)`` with ``k_f ≈ 5 / t_j1`` the field's band
#: and ``k_2 ≈ 6 / s_j2`` the wavelet's, which 1.5 points per width ``t_j1``
#: satisfies for every pair ``j1 < j2``.
AUTO_MARGIN_OVERSAMPLING = 1.5

#: The fine spacing of a graded grid covers the atoms' box widened by this many
#: field widths on each side.
GRADED_INTERIOR_WIDTHS = 1.0


#: ``oversampling="coarse"``: every degree at this many points per width, on
#: uniform grids (at 2 points per width the margins are too narrow to grade).
#: Cheaper than ``"auto"``, and outside the accuracy contract: the kinks of the
#: odd-degree moduli alias more on the coarser grid (the errors and timings measured
#: are in benchmarks/RESULTS.md §1 and §2).
COARSE_OVERSAMPLING = 2.0

#: The presets of the ``oversampling`` parameter.
OVERSAMPLING_PRESETS = ("auto", "coarse")


def parse_oversampling(text):
    """An ``oversampling`` value from a command line: a preset's name, or a number."""
    return text if text in OVERSAMPLING_PRESETS else float(text)


def oversampling_setting(oversampling):
    """Plan fields for the ``oversampling`` parameter (a number, or a preset).

    Presets (:data:`OVERSAMPLING_PRESETS`): ``"auto"`` holds the accuracy contract
    at the least cost measured; ``"coarse"`` trades it for speed. A number samples
    every degree at that rate on uniform grids.
    """
    if isinstance(oversampling, str) and oversampling == "auto":
        return {
            "oversampling": AUTO_OVERSAMPLING,
            "degree_oversampling": AUTO_DEGREE_OVERSAMPLING,
            "margin_oversampling": AUTO_MARGIN_OVERSAMPLING,
        }
    if isinstance(oversampling, str) and oversampling == "coarse":
        oversampling = COARSE_OVERSAMPLING
    return {
        "oversampling": float(oversampling),
        "degree_oversampling": (),
        "margin_oversampling": None,
    }


def face_tail_fraction(x, power, degree):
    """Fraction of ``∫ |field|^q`` beyond a plane ``x`` widths from a point source.

    For a field ``(d/w)^degree exp(-d²/2w²)`` around a point, integrating over the
    half-space ``{u_1 > x w}`` in cylindrical shells about the normal through the
    point gives ``2 pi ∫_x^∞ g(r) r (r - x) dr`` against the total
    ``4 pi ∫_0^∞ g(r) r² dr``, with ``g(r) = r^(degree q) exp(-q r²/2)``; both are
    incomplete gamma functions:
    ``(Q(s, y) - sqrt(y) Γ(s - 1/2)/Γ(s) Q(s - 1/2, y)) / 2`` with
    ``s = (degree q + 3)/2``, ``y = q x²/2`` and ``Q`` the regularised upper
    incomplete gamma function.
    """
    shape = (degree * power + 3) / 2
    y = power * x * x / 2
    ratio = exp(gammaln(shape - 0.5) - gammaln(shape))
    return 0.5 * (gammaincc(shape, y) - sqrt(y) * ratio * gammaincc(shape - 0.5, y))


@lru_cache(maxsize=1024)
def margin_factor(power, degree, tail_tolerance):
    """Box margin, in units of the field width, that leaves ``tail_tolerance`` outside.

    A box that reaches ``x`` widths past every atom on each of its six faces
    leaves outside, of a point source's ``∫ |field|^q``, at most the sum of the
    fractions beyond each face (:func:`face_tail_fraction`): ``x`` solves
    ``6 face_tail_fraction(x) = tail_tolerance``. (A ball of radius ``x`` widths,
    which the box contains, would leave ``Q((degree q + 3)/2, q x²/2)``: the
    regularised upper incomplete gamma function, a bound looser by about a factor
    of 10 in the tolerance, which therefore needs wider margins.)

    Parameters
    ----------
    power : float
        The integral power ``q > 0``.
    degree : int
        Degree of the polynomial factor of the field.
    tail_tolerance : float
        Fraction of the integral allowed outside, in ``(0, 1)``.

    Returns
    -------
    x : float
    """
    # The ball of radius x holding all but tail_tolerance / 6 lies inside the
    # half-space bounded at x, so it brackets the root from above.
    upper = sqrt(2 * gammainccinv((degree * power + 3) / 2, tail_tolerance / 6) / power)
    return brentq(
        lambda x: 6 * face_tail_fraction(x, power, degree) - tail_tolerance,
        0.0,
        upper,
        xtol=1e-10,
    )


def wavelet_scales(sigma_0, J, scales_per_octave=1):
    """Wavelet widths ``s_j = sigma_0 2^j`` for ``j = 0..J`` (doc/definition.rst §2).

    With ``scales_per_octave = K > 1``, ``j`` runs over ``0, 1/K, 2/K, ..., J``
    (the atom fields' finer radial sampling, doc/definition.rst §7).
    """
    return tuple(
        sigma_0 * 2.0 ** (k / scales_per_octave)
        for k in range(J * scales_per_octave + 1)
    )


def first_layer_widths(scales, sigma):
    """Widths ``t_j = sqrt(s_j² + sigma²)`` of the first-layer fields ``rho * psi_j``."""
    return tuple(sqrt(s**2 + sigma**2) for s in scales)


@dataclass(frozen=True)
class ScatteringPlan:
    """Scales, widths, spacings and margins of one configuration of the transform.

    Parameters
    ----------
    sigma : float
        Width of the atomic Gaussians (Å).
    sigma_0 : float
        Width of the finest wavelet (Å); scales are ``sigma_0 * 2**j``.
    J : int
        Largest scale index.
    L : int
        Largest degree.
    Q : tuple of float
        Integral powers.
    max_order : {0, 1, 2}
        Highest scattering order.
    oversampling : float
        Grid points per field width.
    tail_tolerance : float
        Fraction of each integral allowed outside the box.
    degree_oversampling : tuple of (int, float) pairs, default=()
        Degrees whose first-layer fields are sampled at a rate of their own, each
        on its own grid: the degree-1 moduli have cone-shaped kinks where the
        smoothed density has a critical point (the three orders vanish there
        together; for degrees 2 and more, five or more orders would have to), and
        need more points per width. Empty: ``oversampling``, one grid for every
        degree.
    margin_oversampling : float or None, default=None
        Grid points per width in the margins of the first-layer grids, which are
        then graded: fine over the atoms' box widened by
        :data:`GRADED_INTERIOR_WIDTHS` widths, coarser beyond. None: uniform grids.
    """

    sigma: float
    sigma_0: float
    J: int
    L: int
    Q: tuple
    max_order: int
    oversampling: float
    tail_tolerance: float
    degree_oversampling: tuple = ()
    margin_oversampling: float | None = None

    @property
    def second_layer_oversampling(self):
        """Points per width on the second-layer lattices: half, and at least 2."""
        return max(SECOND_LAYER_MIN_OVERSAMPLING, self.oversampling / 2)

    @cached_property
    def scales(self):
        """Wavelet widths ``s_j = sigma_0 2^j`` for ``j = 0..J``."""
        return wavelet_scales(self.sigma_0, self.J)

    @cached_property
    def first_layer_widths(self):
        """Widths ``t_j = sqrt(s_j² + sigma²)`` of the first-layer fields."""
        return first_layer_widths(self.scales, self.sigma)

    @cached_property
    def pairs(self):
        """Second-order scale pairs ``(j1, j2)``, ``j1 < j2``, in lexicographic order."""
        if self.max_order < 2:
            return ()
        return tuple(
            (j1, j2) for j1 in range(self.J + 1) for j2 in range(j1 + 1, self.J + 1)
        )

    @cached_property
    def degree_groups(self):
        """First-layer degrees that share a grid: ``((oversampling, degrees), ...)``.

        The degrees sampled at ``oversampling`` first, then each degree of
        :attr:`degree_oversampling` (up to ``L``, and at another rate) on its own.
        """
        own = [
            (rate, (degree,))
            for degree, rate in self.degree_oversampling
            if degree <= self.L and rate != self.oversampling
        ]
        shared = tuple(d for d in range(self.L + 1) if all(d not in g for _, g in own))
        return ((self.oversampling, shared), *own) if shared else tuple(own)

    def _margin(self, width, degree, powers):
        return width * max(
            margin_factor(q, degree, self.tail_tolerance) for q in powers
        )

    def density_grid(self):
        """``(spacing, margin)`` for the density itself (order 0).

        The density is smooth everywhere (a sum of Gaussians: no modulus, no
        kink), so graded plans sample all of it at the margins' rate.
        """
        oversampling = self.margin_oversampling or self.oversampling
        return self.sigma / oversampling, self._margin(self.sigma, 0, self.Q)

    def first_layer_grid(self, j, group=None):
        """``(spacing, margin, coarse, inner)`` for the first-layer fields at scale ``j``.

        ``group`` is one of :attr:`degree_groups` (default: the first): its
        oversampling sets the spacing, its largest degree the margin. A field that
        also feeds the second layer enters a linear convolution, so its box must
        hold its ``q = 1`` mass too. ``coarse`` and ``inner`` grade the grid
        (:func:`~skscatharm._core.geometry.axis_nodes`): the spacing in the margins
        and the widening of the fine interior (None and 0: uniform).
        """
        oversampling, degrees = group or self.degree_groups[0]
        width = self.first_layer_widths[j]
        powers = self.Q + ((1.0,) if any(j == j1 for j1, _ in self.pairs) else ())
        margin = self._margin(width, max(degrees), powers)
        if self.margin_oversampling is None:
            return width / oversampling, margin, None, 0.0
        coarse = width / self.margin_oversampling
        return width / oversampling, margin, coarse, GRADED_INTERIOR_WIDTHS * width

    def second_layer_grid(self, j1, j2):
        """``(spacing, margin)`` of the output lattice of the pair ``(j1, j2)``.

        ``U1[j1] * psi_{j2}`` is band-limited by the wavelet: its spectrum carries
        ``exp(-s_j2² |k|²/2)``, so it is sampled at ``s_j2 / oversampling``. It decays
        like a Gaussian of width ``sqrt(t_j1² + s_j2²)`` times a polynomial of degree
        up to ``2 L``.
        """
        spread = sqrt(self.first_layer_widths[j1] ** 2 + self.scales[j2] ** 2)
        return (
            self.scales[j2] / self.second_layer_oversampling,
            self._margin(spread, 2 * self.L, self.Q),
        )

    @property
    def n_features_per_channel(self):
        """``|Q| (1 + (J+1)(L+1) + J(J+1)/2 (L+1))`` for ``max_order = 2``."""
        n_first = (self.J + 1) * (self.L + 1) if self.max_order >= 1 else 0
        n_second = len(self.pairs) * (self.L + 1)
        return len(self.Q) * (1 + n_first + n_second)


def wavelet_layout(J, L, max_order, n_powers):
    """Which wavelets each column of one channel's coefficients comes from.

    Parameters
    ----------
    J, L, max_order : int
        The transform's largest scale index, largest degree and order.
    n_powers : int
        Number of integral powers (``len(Q)``), the fastest-varying index.

    Returns
    -------
    order, j1, j2, degree : ndarrays of int of shape (n_columns,)
        Order of each column (0, 1 or 2), its first- and second-layer scale indices
        (-1 where there is none) and its degree (0 for ``S0``), in the transform's
        column order (doc/definition.rst §3).
    """
    rows = [(0, -1, -1, 0)]
    if max_order >= 1:
        rows += [(1, j, -1, l) for j in range(J + 1) for l in range(L + 1)]  # noqa: E741
    if max_order >= 2:
        rows += [
            (2, j1, j2, l)
            for j1 in range(J + 1)
            for j2 in range(j1 + 1, J + 1)
            for l in range(L + 1)  # noqa: E741
        ]
    return tuple(np.repeat(np.array(rows), n_powers, axis=0).T)
