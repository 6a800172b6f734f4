"""Accuracy of the transform against a converged computation, by coefficient group.

For each molecule (each data set's largest and random ones), the reference is the same
transform on much finer grids and larger boxes: ``oversampling=8`` (twice the
second-layer points per width too) and ``tail_tolerance=1e-12``. The compared
settings' worst relative error is printed per coefficient group (order and degree),
then the worst over all molecules, with whether it holds the accuracy contract
(1e-3 on every coefficient, doc/definition.rst §5). The small-molecule check against
the fully independent brute-force FFT computation is ``tests/test_accuracy.py``.

The aliasing of the moduli's kinks swings with where the grid falls among the
atoms, so with ``--phases K`` each setting is also run at ``K - 1`` other grid
phases and its worst is kept: for ``"auto"``, the fine interior of the graded grids
widened by 1 to 1.2 field widths; for a number or ``"coarse"``, the margins scaled (through the
tail tolerance, down to a third of it), which moves the uniform grid's origin.

Usage: python -m benchmarks.accuracy.transform_error --data ../shared/data [--n 8]
    [--oversampling auto coarse 2.5 3] [--tail-tolerance 1e-4] [--params '{"L": 2}']
    [--phases 3]
"""

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from skscatharm import SolidHarmonicScattering, pack_molecules
from skscatharm._core import plan as plan_module
from skscatharm._core.plan import parse_oversampling, wavelet_layout

CONTRACT = 1e-3


def coefficient_groups(transform):
    """Label of each column's group, e.g. ``S1 l=1``, in the transformer's order."""
    order, _, _, degree = wavelet_layout(
        transform.J, transform.L, transform.max_order, len(transform.Q)
    )
    labels = np.array(
        ["S0" if o == 0 else f"S{o} l={d}" for o, d in zip(order, degree, strict=True)]
    )
    return np.tile(labels, transform.n_features_out_ // len(labels))


def chosen_molecules(data, n, rng):
    """``(label, row)`` of the largest and ``n - 1`` random molecules of each set."""
    for name, file in [("QM7", "qm7.npz"), ("QM9", "qm9_subset20k.npz")]:
        arrays = np.load(data / file)
        X = pack_molecules(arrays["Z"], arrays["R"])
        n_atoms = (arrays["Z"] > 0).sum(1)
        largest = int(np.argmax(n_atoms))
        others = rng.choice(np.delete(np.arange(len(X)), largest), n - 1, replace=False)
        for index in [largest, *map(int, others)]:
            yield f"{name} {index:5d} ({n_atoms[index]:2d} atoms)", X[index : index + 1]


def at_phase(oversampling, phase, n_phases, tail):
    """Transformer parameters of a setting at grid phase ``phase`` of ``n_phases``."""
    fraction = phase / max(1, n_phases)
    plan_module.GRADED_INTERIOR_WIDTHS = INTERIOR_WIDTHS * (1 + 0.2 * fraction)
    params = {"oversampling": oversampling, **tail}
    if oversampling != "auto" and phase:
        default = SolidHarmonicScattering().tail_tolerance
        base = tail.get("tail_tolerance", default)
        params["tail_tolerance"] = base * (1 - 2 / 3 * fraction)
    return params


INTERIOR_WIDTHS = plan_module.GRADED_INTERIOR_WIDTHS


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--n", type=int, default=8, help="molecules per data set")
    parser.add_argument(
        "--oversampling",
        type=parse_oversampling,
        nargs="+",
        default=["auto", 4.0],
        help='settings to compare (numbers, or the presets "auto" and "coarse")',
    )
    parser.add_argument("--reference-oversampling", type=float, default=8.0)
    parser.add_argument(
        "--tail-tolerance",
        type=float,
        default=None,
        help="of the compared settings (default: the transformer's own)",
    )
    parser.add_argument(
        "--params", type=json.loads, default={}, help="other transformer parameters"
    )
    parser.add_argument(
        "--phases", type=int, default=1, help="grid phases per setting (worst kept)"
    )
    parser.add_argument(
        "--reference-cache",
        type=Path,
        help="folder keeping the references between runs (they take minutes each)",
    )
    args = parser.parse_args()
    tail = (
        {} if args.tail_tolerance is None else {"tail_tolerance": args.tail_tolerance}
    )
    worst = {}
    groups = None
    for label, X in chosen_molecules(args.data, args.n, np.random.default_rng(0)):
        reference = SolidHarmonicScattering(
            oversampling=args.reference_oversampling,
            tail_tolerance=1e-12,
            max_grid_bytes=None,
            **args.params,
        )
        cached = None
        if args.reference_cache is not None:
            key = json.dumps([label, args.reference_oversampling, args.params])
            digest = hashlib.sha256(key.encode()).hexdigest()[:16]
            cached = args.reference_cache / f"{digest}.npy"
        start = time.perf_counter()
        if cached is not None and cached.exists():
            reference.fit(X)
            exact = np.load(cached)
        else:
            exact = reference.fit_transform(X)[0]
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                np.save(cached, exact)
        print(f"{label}: reference {time.perf_counter() - start:.0f} s", flush=True)
        if groups is None:
            groups = coefficient_groups(reference)
            names = list(dict.fromkeys(groups))
            print(f"{'':>24s} " + " ".join(f"{g:>8s}" for g in names))
        for oversampling in args.oversampling:
            by_group, times = np.zeros(len(names)), []
            for phase in range(args.phases):
                transform = SolidHarmonicScattering(
                    **at_phase(oversampling, phase, args.phases, tail), **args.params
                )
                start = time.perf_counter()
                values = transform.fit_transform(X)[0]
                times.append(time.perf_counter() - start)
                error = np.abs(values / exact - 1)
                by_group = np.maximum(
                    by_group, [error[groups == g].max() for g in names]
                )
            plan_module.GRADED_INTERIOR_WIDTHS = INTERIOR_WIDTHS
            elapsed = min(times)
            worst[oversampling] = np.maximum(worst.get(oversampling, 0), by_group)
            print(
                f"  oversampling {oversampling!s:<5} {elapsed:6.2f} s "
                + " ".join(f"{e:8.1e}" for e in by_group),
                flush=True,
            )
    print("worst over all molecules:")
    for oversampling, by_group in worst.items():
        verdict = "holds" if by_group.max() <= CONTRACT else "breaks"
        print(
            f"  oversampling {oversampling!s:<5}          "
            + " ".join(f"{e:8.1e}" for e in by_group)
            + f"  {verdict} the 1e-3 contract"
        )


if __name__ == "__main__":
    main()
