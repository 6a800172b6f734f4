"""Molecules per second of SolidHarmonicScattering on each backend, shipped samples.

The first ``--n`` molecules of the QM7 and QM9 samples that ship with the package
(no data folder needed) are transformed by each backend in turn, after a warm-up
on two molecules (CuPy's kernels compile on first use). ``batch_size="auto"``
unless ``--batch-size`` is given: the batch the GPU path chose is printed. Each
backend after the first is compared with the first; with different batches the
coefficients differ by up to about 5e-5 relative (each batch pads its molecules
to a common lattice), so a larger difference is the thing to look at.

Usage: python -m benchmarks.speed.gpu_throughput [--backend numpy cupy] [--n 20]
    [--oversampling 2] [--dtype float64] [--out results.json]
"""

import argparse
import json
import time

import numpy as np

from skscatharm import SolidHarmonicScattering
from skscatharm._core import dispatch
from skscatharm._core.backend import get_backend
from skscatharm._core.channels import resolve_channels
from skscatharm._core.geometry import principal_axes_positions
from skscatharm._core.molecules import as_molecules
from skscatharm.datasets import load_qm7_sample, load_qm9_sample


def chosen_batch_size(transform, X):
    """The batch size the transform uses on ``X`` (``"auto"`` resolved as it does)."""
    molecules = as_molecules(X)
    sizes = np.array(
        [np.ptp(principal_axes_positions(m.positions), axis=0) for m in molecules]
    )
    return dispatch.batch_size_for(
        transform.batch_size,
        get_backend(transform.backend).name,
        transform._plan(),
        sizes,
        [len(m.numbers) for m in molecules],
        len(resolve_channels(transform.channels)),
        np.dtype(transform.dtype),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", nargs="+", default=["numpy", "cupy"])
    parser.add_argument("--n", type=int, default=20, help="molecules per sample")
    parser.add_argument("--oversampling", type=float, default=2.0)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--batch-size", default="auto")
    parser.add_argument("--out", help="also write the results to this JSON file")
    args = parser.parse_args()
    batch_size = args.batch_size if args.batch_size == "auto" else int(args.batch_size)
    samples = {
        "QM7": load_qm7_sample(return_X_y=True)[0][: args.n],
        "QM9": load_qm9_sample(return_X_y=True)[0][: args.n],
    }
    results, first = [], {}
    for backend in args.backend:
        device = get_backend(backend).name
        for name, X in samples.items():
            transform = SolidHarmonicScattering(
                backend=backend,
                oversampling=args.oversampling,
                dtype=args.dtype,
                batch_size=batch_size,
            )
            transform.fit_transform(X[:2])  # warm-up
            start = time.perf_counter()
            values = transform.fit_transform(X)
            seconds = time.perf_counter() - start
            reference = first.setdefault(name, values)
            difference = float(np.max(np.abs(values / reference - 1)))
            row = dict(
                backend=backend,
                device=device,
                sample=name,
                n=len(X),
                batch_size=chosen_batch_size(transform, X),
                seconds=seconds,
                molecules_per_s=len(X) / seconds,
                max_relative_difference=difference,
            )
            results.append(row)
            print(
                f"{name} {backend} ({device}): {row['molecules_per_s']:.2f} "
                f"molecules/s ({seconds:.2f} s for {len(X)}, batch "
                f"{row['batch_size']}), max relative difference to "
                f"{args.backend[0]}: {difference:.1e}",
                flush=True,
            )
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(dict(arguments=vars(args), results=results), handle, indent=1)


if __name__ == "__main__":
    main()
