"""Throughput and memory of SolidHarmonicScattering vs kymatio 0.3.0, same run.

Configuration: kymatio's QM7 example (3 channels, sigma = 0.2262 Å, J = 2, L = 3,
Q = (0.5, 1, 2, 3), max_order = 2). kymatio runs its example's 192x128x96 grid on a few
molecules (its cost does not depend on the molecule); skscatharm runs a random QM7 and
QM9 sample. Speeds are reported as ratios measured in the same process.

Usage: python -m benchmarks.speed.throughput --data ../shared/data [--n 40] [--n-kymatio 3]
"""

import argparse
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np

from skscatharm import SolidHarmonicScattering, pack_molecules


def _unpad(row):
    real = row[:, 0] > 0
    return row[real, 0].astype(int), row[real, 1:]


def throughput(X, **params):
    transform = SolidHarmonicScattering(**params)
    start = time.perf_counter()
    features = transform.fit_transform(X)
    return len(X) / (time.perf_counter() - start), features


def peak_memory_per_molecule(X):
    """Peak traced memory (NumPy registers its buffers) of one molecule at a time."""
    tracemalloc.start()
    SolidHarmonicScattering().fit_transform(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--n-kymatio", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    qm7 = np.load(args.data / "qm7.npz")
    X7 = pack_molecules(qm7["Z"], qm7["R"])[np.sort(rng.choice(7165, args.n, False))]
    qm9 = np.load(args.data / "qm9_subset20k.npz")
    X9 = pack_molecules(qm9["Z"], qm9["R"])
    X9 = X9[np.sort(rng.choice(len(X9), args.n, False))]

    # Imported here so that --help works without kymatio installed.
    from benchmarks.kymatio_baseline.matched_width import KymatioQM7

    kymatio = KymatioQM7()
    kymatio_values, start = [], time.perf_counter()
    for row in X7[: args.n_kymatio]:
        kymatio_values.append(kymatio.coefficients(*_unpad(row)))
    kymatio_rate = args.n_kymatio / (time.perf_counter() - start)
    kymatio_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    print(
        f"kymatio 0.3.0, 1 process: {kymatio_rate:.4f} molecules/s "
        f"({1 / kymatio_rate:.1f} s/molecule), peak RSS {kymatio_peak / 2**30:.2f} GiB"
    )
    for label, params in [
        ("skscatharm default (oversampling 'auto'), 1 process", {"n_jobs": 1}),
        ("skscatharm default, n_jobs=2", {"n_jobs": 2}),
        (
            "skscatharm oversampling 'coarse' (regression setting, outside the "
            "contract), 1 process",
            {"n_jobs": 1, "oversampling": "coarse"},
        ),
        (
            "skscatharm oversampling 'coarse', n_jobs=2",
            {"n_jobs": 2, "oversampling": "coarse"},
        ),
    ]:
        rate, features = throughput(X7, **params)
        print(
            f"QM7 {label}: {rate:.2f} molecules/s = {rate / kymatio_rate:.0f}x kymatio"
        )
        if params == {"n_jobs": 1}:
            ours = features[: args.n_kymatio]
    rate9_one, _ = throughput(X9, n_jobs=1)
    print(
        f"QM9 skscatharm default, 1 process: {rate9_one:.2f} molecules/s "
        f"= {rate9_one / kymatio_rate:.0f}x kymatio"
    )
    rate9, _ = throughput(X9, n_jobs=2)
    print(
        f"QM9 skscatharm default, n_jobs=2: {rate9:.2f} molecules/s "
        f"= {rate9 / kymatio_rate:.0f}x kymatio; all 130,831 QM9 molecules in "
        f"{130831 / rate9 / 3600:.1f} h"
    )
    n_atoms = (X9[:, :, 0] > 0).sum(1)
    largest = X9[[int(np.argmax(n_atoms))]]
    print(
        f"peak memory, largest QM9 sample molecule ({n_atoms.max()} atoms), 1 "
        f"process: {peak_memory_per_molecule(largest) / 2**20:.0f} MiB"
    )

    names = SolidHarmonicScattering().get_feature_names_out()
    relative = np.abs(np.array(kymatio_values) / ours - 1)
    print("relative difference kymatio vs skscatharm (max over molecules/channels):")
    for order in ("S0", "S1", "S2"):
        cells = []
        for q in ("0.5", "1", "2", "3"):
            mask = np.array([f"_{order}_" in n and n.endswith(f"_q{q}") for n in names])
            cells.append(
                f"q={q}: median {np.median(relative[:, mask]):.1e} "
                f"max {relative[:, mask].max():.1e}"
            )
        print(f"  {order}: " + "; ".join(cells))


if __name__ == "__main__":
    main()
