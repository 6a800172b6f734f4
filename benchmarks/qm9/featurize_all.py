"""All of QM9 featurized with kymatio's QM7 configuration at the default setting.

The 129,831 molecules of ``qm9_all_but_1000.npz`` (or ``--n`` of them drawn at
random) go through ``SolidHarmonicScattering(n_jobs=..., memory=...)`` in chunks,
as a user would featurize a large set: the per-molecule cache keeps every chunk, so
an interrupted run resumes where it stopped, and the features are kept outside the
repository (``--out``, one ``.npy`` in the order of the data file). Prints the
molecules per second of the molecules computed in this run, the projection to all
of them, and the peak resident memory of this process and of its workers.

Usage: python -m benchmarks.qm9.featurize_all --data ../shared/data
    --cache /path/to/cache --out /path/to/qm9_features.npy [--n 2000] [--n-jobs 2]
"""

import argparse
import resource
import time
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

from skscatharm import SolidHarmonicScattering, pack_molecules

N_ALL = 129_831


def _peak_rss_gib():
    """Peak resident memory of the calling process (GiB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=None, help="random molecules only")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    arrays = np.load(args.data / "qm9_all_but_1000.npz")
    X = pack_molecules(arrays["Z"], arrays["R"])
    rows = np.arange(len(X))
    if args.n is not None:
        rows = np.sort(np.random.default_rng(0).choice(len(X), args.n, replace=False))
    transform = SolidHarmonicScattering(
        n_jobs=args.n_jobs, memory=str(args.cache), verbose=1
    )
    features = np.empty((len(rows), transform.fit(X[:1]).n_features_out_))
    start = time.perf_counter()
    for begin in range(0, len(rows), args.chunk):
        chunk = rows[begin : begin + args.chunk]
        features[begin : begin + len(chunk)] = transform.transform(X[chunk])
    seconds = time.perf_counter() - start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, features)
    np.save(args.out.with_suffix(".rows.npy"), rows)
    rate = len(rows) / seconds
    own = _peak_rss_gib()
    # joblib reuses its worker processes: ask them for their own peaks.
    workers = max(
        Parallel(n_jobs=args.n_jobs)(delayed(_peak_rss_gib)() for _ in range(8))
    )
    print(
        f"{len(rows)} molecules in {seconds:.0f} s: {rate:.2f} molecules/s "
        f"(n_jobs={args.n_jobs}; molecules read back from the cache count too); "
        f"all {N_ALL:,} in {N_ALL / rate / 3600:.1f} h; peak RSS {own:.2f} GiB "
        f"(this process), {workers:.2f} GiB (largest of the worker processes asked)"
    )


if __name__ == "__main__":
    main()
