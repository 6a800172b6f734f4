"""All of QM9 featurized with kymatio's QM7 configuration at the default setting.

The 129,831 molecules of ``qm9_all_but_1000.npz`` (or ``--n`` of them drawn at
random) go through ``SolidHarmonicScattering(n_jobs=..., memory=...)`` in chunks,
as a user would featurize a large set: the per-molecule cache keeps every chunk, so
an interrupted run resumes where it stopped, and the features are kept outside the
repository (``--out``, one ``.npy`` of all the rows, written in place chunk by chunk,
each row once; the data file's row of each feature row done so far in
``<out>.rows.npy``, rewritten after every chunk). A run stopped part-way therefore
leaves usable features: the first ``len(rows)`` rows of ``--out``, which
:func:`load_features` reads.

``--order random`` takes the molecules in one fixed random order (seed 0) instead of
the file's: every prefix of the run is then a random sample of the training,
validation and test splits, which a run spread over several sittings needs.
``--order test-first`` takes the same order split by split, the test molecules
first, then the validation ones, then the training ones: every model can then be
scored on the whole test split, and chosen on the whole validation split, long
before the run ends, and every prefix of the training molecules is still a random
sample of them.

Prints the molecules per second of the molecules computed in this run, the
projection to all of them, and the peak resident memory of this process and of its
workers.

Usage: python -m benchmarks.qm9.featurize_all --data ../shared/data
    --cache /path/to/cache --out /path/to/qm9_features.npy [--n 2000]
    [--order file|random|test-first] [--n-jobs 2]
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


#: The splits of ``qm9_all_but_1000.npz`` in the order ``--order test-first`` takes.
TEST_FIRST = (2, 1, 0)


def molecule_rows(split, n, order):
    """The data file's rows to featurize, in the order they are computed (``split``:
    the file's split code of each molecule)."""
    rng = np.random.default_rng(0)
    if n is not None:
        return np.sort(rng.choice(len(split), n, replace=False))
    if order == "file":
        return np.arange(len(split))
    permutation = rng.permutation(len(split))
    if order == "random":
        return permutation
    return np.concatenate([permutation[split[permutation] == s] for s in TEST_FIRST])


def rows_path(out):
    """Where the rows of the features in ``out`` are kept."""
    return out.with_suffix(".rows.npy")


def save_rows(out, rows):
    """Record ``rows`` as the rows done (a temporary file first: a run killed while
    writing leaves the previous chunk's complete record)."""
    partial = out.with_suffix(".rows.partial.npy")
    np.save(partial, rows)
    partial.replace(rows_path(out))


def load_features(features, rows=None):
    """The features done so far and their rows of the data file.

    ``features`` is an ``--out`` file of this script, ``rows`` its rows file
    (``<features>.rows.npy`` by default); a run still going or stopped part-way has
    done the first ``len(rows)`` rows.
    """
    features = Path(features)
    rows = np.load(rows_path(features) if rows is None else rows)
    return np.array(np.load(features, mmap_mode="r")[: len(rows)]), rows


def load_runs(features, rows=None):
    """The features of one or more runs merged, each molecule once.

    ``features`` are ``--out`` files (runs in different orders, or stopped at
    different points), ``rows`` their rows files (``None``: each one's own); a
    molecule done by several runs is read from the first that has it.
    """
    rows = [None] * len(features) if not rows else rows
    if len(rows) != len(features):
        raise ValueError(f"{len(features)} feature files but {len(rows)} rows files")
    merged, merged_rows = [], np.empty(0, dtype=np.int64)
    for path, path_rows in zip(features, rows, strict=True):
        X, done = load_features(path, path_rows)
        new = ~np.isin(done, merged_rows)
        merged.append(X[new])
        merged_rows = np.concatenate([merged_rows, done[new]])
    return np.concatenate(merged), merged_rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=None, help="random molecules only")
    parser.add_argument(
        "--order", choices=("file", "random", "test-first"), default="file"
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    arrays = np.load(args.data / "qm9_all_but_1000.npz")
    X = pack_molecules(arrays["Z"], arrays["R"])
    rows = molecule_rows(arrays["split"], args.n, args.order)
    transform = SolidHarmonicScattering(
        n_jobs=args.n_jobs, memory=str(args.cache), verbose=1
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Preallocated on disk: each chunk's rows are written once, in place, where a
    # file rewritten after every chunk would write all of QM9's rows ~100 times.
    features = np.lib.format.open_memmap(
        args.out,
        mode="w+",
        dtype=np.float64,
        shape=(len(rows), transform.fit(X[:1]).n_features_out_),
    )
    start = time.perf_counter()
    for begin in range(0, len(rows), args.chunk):
        chunk = rows[begin : begin + args.chunk]
        features[begin : begin + len(chunk)] = transform.transform(X[chunk])
        done = begin + len(chunk)
        features.flush()
        save_rows(args.out, rows[:done])
        seconds = time.perf_counter() - start
        print(
            f"{done} of {len(rows)} molecules, {done / seconds:.2f} molecules/s "
            f"(cache reads included)",
            flush=True,
        )
    seconds = time.perf_counter() - start
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
