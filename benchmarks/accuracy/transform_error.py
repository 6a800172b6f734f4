"""Accuracy of the default setting against a converged computation, on QM7 and QM9.

For each molecule, the reference is the same transform at ``oversampling=8`` and
``tail_tolerance=1e-12`` (errors fall like ``oversampling**-4``, so the reference is
about 40 times more accurate than ``oversampling=4``); the small-molecule check against
the fully independent brute-force FFT computation is ``tests/test_accuracy.py``.

Usage: python -m benchmarks.accuracy.transform_error --data ../shared/data [--n 4]
    [--oversampling 2.5 4] [--tail-tolerance 1e-5]
"""

import argparse
import time
from pathlib import Path

import numpy as np

from skscatharm import SolidHarmonicScattering, pack_molecules


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--n", type=int, default=4, help="molecules per data set")
    parser.add_argument("--oversampling", type=float, nargs="+", default=[2.5, 4.0])
    parser.add_argument("--reference-oversampling", type=float, default=8.0)
    parser.add_argument(
        "--tail-tolerance",
        type=float,
        default=None,
        help="of the compared settings (default: the transformer's own)",
    )
    args = parser.parse_args()
    tail = (
        {} if args.tail_tolerance is None else {"tail_tolerance": args.tail_tolerance}
    )
    rng = np.random.default_rng(0)
    for name, file in [("QM7", "qm7.npz"), ("QM9", "qm9_subset20k.npz")]:
        data = np.load(args.data / file)
        X = pack_molecules(data["Z"], data["R"])
        n_atoms = (data["Z"] > 0).sum(1)
        # The largest molecule plus random ones.
        chosen = [int(np.argmax(n_atoms))] + list(
            rng.choice(len(X), args.n - 1, replace=False)
        )
        for index in chosen:
            reference = SolidHarmonicScattering(
                oversampling=args.reference_oversampling, tail_tolerance=1e-12
            )
            start = time.perf_counter()
            exact = reference.fit_transform(X[index : index + 1])[0]
            reference_time = time.perf_counter() - start
            names = reference.get_feature_names_out()
            line = [f"{name} {index:5d} ({n_atoms[index]:2d} atoms)"]
            for oversampling in args.oversampling:
                transform = SolidHarmonicScattering(oversampling=oversampling, **tail)
                start = time.perf_counter()
                values = transform.fit_transform(X[index : index + 1])[0]
                elapsed = time.perf_counter() - start
                error = np.abs(values / exact - 1)
                worst = int(np.argmax(error))
                s1 = ["_S2_" not in n for n in names]
                line.append(
                    f"osf {oversampling:g}: S0/S1 {error[s1].max():.1e} "
                    f"S2 {error[~np.array(s1)].max():.1e} (worst {names[worst]}) "
                    f"{elapsed:.2f}s"
                )
            line.append(f"reference {reference_time:.0f}s")
            print(" | ".join(line), flush=True)


if __name__ == "__main__":
    main()
