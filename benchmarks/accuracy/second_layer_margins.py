"""Are the second-layer lattices' margins tight? The exact tail of one atom's field.

The lattice of a pair ``(j1, j2)`` covers the atoms' box widened by a margin of ``x``
widths ``w = sqrt(t_j1² + s_j2²)``, with ``x`` from the bound of
``skscatharm/_core/plan.py`` (``margin_factor``): the share of ``∫ U2^q`` beyond
each face of the box, for a point source whose field is a Gaussian of width ``w``
times a polynomial of degree ``2l`` (``2L`` for the lattice, which every degree
shares). For one atom the field is known exactly: ``U1[j1, l]`` is radial,
``c r^l exp(-r²/2t²)``, so (Funk-Hecke) ``U1 * psi_{j2,l,m} = f(r) Y_lm`` and ``U2 ∝
|f(r)|`` with

    f(r) = ∫ Û1(k) k^l exp(-s² k²/2) j_l(k r) k² dk,   Û1(k) = 4 pi ∫ U1(r) j_0(k r) r² dr.

This script computes both transforms by quadrature and the margin that leaves
``tail_tolerance`` outside by the same six-face rule, and prints it beside the bound
at degree ``2l`` and at ``2L`` (what the lattice uses). Margins below the bound
would mean smaller lattices for free; equal ones mean the lattice size is set by
the field itself.

Usage: python -m benchmarks.accuracy.second_layer_margins [--tail-tolerance 1e-4]
    [--params '{"J": 3}']
"""

import argparse
import json

import numpy as np
from scipy.optimize import brentq
from scipy.special import spherical_jn

from skscatharm import SolidHarmonicScattering
from skscatharm._core.plan import margin_factor

#: Radii and frequencies, in units of the pair's width ``w`` and of ``1 / s_j2``:
#: far enough that the q = 0.5 integrand's share beyond (and the quadrature's
#: rounding, about 1e-16 of the field, raised to 0.5) stays below 1e-7.
RADIUS_WIDTHS, FREQUENCY_SCALE, NODES = 13.0, 14.0, 4001


def one_atom_profile(t, s, degree):
    """Radii and ``|f(r)|`` of one atom's second-layer field (any normalisation)."""
    w = np.hypot(t, s)
    r = np.linspace(0, RADIUS_WIDTHS * w, NODES)
    k = np.linspace(0, FREQUENCY_SCALE / s, NODES)
    dr, dk = r[1] - r[0], k[1] - k[0]
    first = r**degree * np.exp(-0.5 * (r / t) ** 2)
    spectrum = 4 * np.pi * (spherical_jn(0, np.outer(k, r)) @ (first * r**2)) * dr
    wavelet = k**degree * np.exp(-0.5 * (s * k) ** 2)
    field = spherical_jn(degree, np.outer(r, k)) @ (spectrum * wavelet * k**2) * dk
    return r, np.abs(field)


def face_fraction(r, profile, power, x):
    """Share of ``∫ profile^q`` beyond a plane at distance ``x`` from the atom."""
    g = profile**power
    dr = r[1] - r[0]
    total = 4 * np.pi * np.sum(g * r**2) * dr
    beyond = r > x
    return 2 * np.pi * np.sum(g[beyond] * r[beyond] * (r[beyond] - x)) * dr / total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tail-tolerance", type=float, default=None)
    parser.add_argument("--params", type=json.loads, default={})
    args = parser.parse_args()
    transform = SolidHarmonicScattering(**args.params)
    if args.tail_tolerance is not None:
        transform.set_params(tail_tolerance=args.tail_tolerance)
    plan = transform._plan()
    tolerance = plan.tail_tolerance
    print(
        f"margins in widths w, tail_tolerance {tolerance:g}: exact one-atom field / "
        f"bound at degree 2l / bound at degree 2L = {2 * plan.L} (the lattice's)"
    )
    print(f"{'pair':>6s} {'l':>2s} " + " ".join(f"{f'q={q:g}':>20s}" for q in plan.Q))
    for j1, j2 in plan.pairs:
        t, s = plan.first_layer_widths[j1], plan.scales[j2]
        w = np.hypot(t, s)
        for degree in range(plan.L + 1):
            r, profile = one_atom_profile(t, s, degree)
            cells = []
            for q in plan.Q:
                exact = brentq(
                    lambda x, q=q, r=r, f=profile: (
                        6 * face_fraction(r, f, q, x) - tolerance
                    ),
                    0.1 * w,
                    r[-1],
                )
                bound, lattice = (
                    margin_factor(q, d, tolerance) for d in (2 * degree, 2 * plan.L)
                )
                cells.append(f"{exact / w:5.2f} / {bound:5.2f} / {lattice:5.2f}")
            print(
                f"{f'{j1},{j2}':>6s} {degree:2d} "
                + " ".join(f"{c:>20s}" for c in cells)
            )


if __name__ == "__main__":
    main()
