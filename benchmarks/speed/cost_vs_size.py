"""Time per molecule against its number of atoms and its box volume, on QM9.

Molecules are drawn from the QM9 subset in equal numbers per atom count (3 to 29
atoms) and transformed one at a time on one thread, in random order, at the
transformer's default setting (or ``--params``), timed in CPU seconds
(``time.process_time``: on one thread it is the work done, and it is less sensitive
than wall time to other work on the machine). The box volume is that of the
atoms' bounding box in their principal axes, widened by the finest first-layer
grid's margin on every side: the volume the grids cover. Prints one row per molecule
and a least-squares fit of the time against the box volume, and with ``--plot``
saves both scatter plots (matplotlib).

Usage: python -m benchmarks.speed.cost_vs_size --data ../shared/data [--per-size 2]
    [--params '{"oversampling": 4}'] [--plot benchmarks/figures/cost_vs_size.png]
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from skscatharm import SolidHarmonicScattering, pack_molecules
from skscatharm._core.geometry import principal_axes_positions


def box_volume(transform, positions):
    """Å³ covered by the finest first-layer grid of ``positions``."""
    margin = transform._plan().first_layer_grid(0)[1]
    extent = np.ptp(principal_axes_positions(positions), axis=0) + 2 * margin
    return float(np.prod(extent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--per-size", type=int, default=2)
    parser.add_argument("--params", type=json.loads, default={})
    parser.add_argument("--plot", type=Path)
    args = parser.parse_args()
    arrays = np.load(args.data / "qm9_subset20k.npz")
    X = pack_molecules(arrays["Z"], arrays["R"])
    n_atoms = (arrays["Z"] > 0).sum(1)
    rng = np.random.default_rng(0)
    rows = []
    for size in np.unique(n_atoms):
        candidates = np.flatnonzero(n_atoms == size)
        take = min(args.per_size, len(candidates))
        rows.extend(rng.choice(candidates, take, replace=False))
    rows = rng.permutation(rows)
    transform = SolidHarmonicScattering(n_jobs=1, **args.params).fit(X[:1])
    results = []
    with threadpool_limits(1):
        transform.transform(X[:1])  # imports and cached spectra
        print(f"{'molecule':>9s} {'atoms':>5s} {'box Å³':>8s} {'CPU s':>8s}")
        for row in rows:
            real = X[row, :, 0] > 0
            volume = box_volume(transform, X[row, real, 1:])
            start = time.process_time()
            transform.transform(X[row : row + 1])
            seconds = time.process_time() - start
            results.append((n_atoms[row], volume, seconds))
            print(
                f"{row:9d} {n_atoms[row]:5d} {volume:8.0f} {seconds:8.3f}", flush=True
            )
    atoms, volumes, seconds = np.array(results).T
    slope, intercept = np.polyfit(volumes, seconds, 1)
    correlation = np.corrcoef(volumes, seconds)[0, 1]
    print(
        f"time = {intercept:.3f} s + {1000 * slope:.3f} ms/Å³ x box volume "
        f"(r = {correlation:.2f}); against atoms r = "
        f"{np.corrcoef(atoms, seconds)[0, 1]:.2f}; mean {seconds.mean():.3f} s"
    )
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
        left.scatter(atoms, seconds, s=12)
        left.set_xlabel("atoms")
        left.set_ylabel("CPU seconds per molecule (one thread)")
        right.scatter(volumes, seconds, s=12)
        grid = np.linspace(volumes.min(), volumes.max(), 2)
        right.plot(grid, intercept + slope * grid, color="k", lw=1)
        right.set_xlabel("grid box volume (Å³)")
        figure.suptitle("SolidHarmonicScattering on QM9: cost against molecule size")
        figure.tight_layout()
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(args.plot, dpi=110)


if __name__ == "__main__":
    main()
