"""The cost of Dask as the engine: QM9 molecules on a 2-worker LocalCluster against
``n_jobs=2`` (loky) on the same machine, in the same run, block by block.

``--n`` molecules of ``qm9_all_but_1000.npz``, drawn at random with a fixed seed, are
cut into ``--blocks`` blocks. Each block is featurized twice, with the same
transformer: by joblib's default backend (loky, ``n_jobs=2``) and by joblib's Dask
backend on a ``distributed.LocalCluster`` of 2 worker processes of one thread each,
the order of the two alternating from block to block so that a change of the
machine's load falls on both. Both pools are started and warmed up (workers
imported, one small transform) before the clock runs; the cluster's start is
reported apart. The two results must be identical.

Printed: each block's two times and their ratio, the totals and their ratio (Dask
over loky), the per-molecule cost in core-seconds (loky), Dask's extra cost per task
(its extra wall time times the workers, over the tasks it ran), and the projected
time for all of QM9 on a 64-core cluster from those two numbers.

Usage: python -m benchmarks.scaling.dask_overhead --data ../shared/data --n 5000
    [--blocks 4] [--oversampling auto] [--tail-tolerance 1e-5]
"""

import argparse
import math
import time
from pathlib import Path

import joblib
import numpy as np

from skscatharm import SolidHarmonicScattering, pack_molecules
from skscatharm._core.dispatch import CHUNK_BATCHES

#: Molecules of qm9_all_but_1000.npz, the set the projection is for.
N_ALL = 129_831

#: Cores of the cluster of the projection.
PROJECTED_CORES = 64

#: Workers of each pool (processes of one thread).
N_WORKERS = 2


def _oversampling(text):
    return text if text == "auto" else float(text)


def n_tasks(n_molecules, n_workers):
    """Tasks the transform sends for ``n_molecules`` on ``n_workers`` (one molecule
    per batch on the CPU; see ``skscatharm._core.dispatch.scatter_molecules``)."""
    return min(n_molecules, max(4 * n_workers, math.ceil(n_molecules / CHUNK_BATCHES)))


def timed_transform(transformer, X, backend):
    """Wall seconds and result of ``transformer.transform(X)`` under ``backend``."""
    with joblib.parallel_config(backend=backend, n_jobs=N_WORKERS):
        start = time.perf_counter()
        features = transformer.transform(X)
    return time.perf_counter() - start, features


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--n", type=int, default=5000, help="molecules")
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--oversampling", type=_oversampling, default="auto")
    parser.add_argument("--tail-tolerance", type=float, default=1e-5)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    arrays = np.load(args.data / "qm9_all_but_1000.npz")
    X_all = pack_molecules(arrays["Z"], arrays["R"])
    rows = np.random.default_rng(args.seed).choice(len(X_all), args.n, replace=False)
    X = X_all[rows]
    transformer = SolidHarmonicScattering(
        oversampling=args.oversampling,
        tail_tolerance=args.tail_tolerance,
        backend="numpy",
    ).fit(X[:1])
    warm_up = X_all[: N_WORKERS * 2]

    start = time.perf_counter()
    cluster = LocalCluster(
        n_workers=N_WORKERS,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = Client(cluster)
    client.wait_for_workers(N_WORKERS)
    cluster_start = time.perf_counter() - start
    with client:
        for backend in ("loky", "dask"):
            timed_transform(transformer, warm_up, backend)
        print(
            f"{args.n} QM9 molecules (seed {args.seed}), {args.blocks} blocks, "
            f"oversampling={args.oversampling}, tail_tolerance={args.tail_tolerance}; "
            f"cluster started in {cluster_start:.1f} s (not counted below)"
        )
        print("| block | molecules | loky n_jobs=2 (s) | Dask 2 workers (s) | ratio |")
        print("| --- | --- | --- | --- | --- |")
        totals = {"loky": 0.0, "dask": 0.0}
        tasks = 0
        for number, block in enumerate(np.array_split(np.arange(args.n), args.blocks)):
            order = ("loky", "dask") if number % 2 == 0 else ("dask", "loky")
            seconds, results = {}, {}
            for backend in order:
                seconds[backend], results[backend] = timed_transform(
                    transformer, X[block], backend
                )
                totals[backend] += seconds[backend]
            if not np.array_equal(results["loky"], results["dask"]):
                raise AssertionError(f"block {number}: Dask and loky differ")
            tasks += n_tasks(len(block), N_WORKERS)
            print(
                f"| {number} | {len(block)} | {seconds['loky']:.1f} | "
                f"{seconds['dask']:.1f} | {seconds['dask'] / seconds['loky']:.3f} |"
            )
    cluster.close()

    ratio = totals["dask"] / totals["loky"]
    per_molecule = totals["loky"] * N_WORKERS / args.n
    per_task = (totals["dask"] - totals["loky"]) * N_WORKERS / tasks
    all_tasks = n_tasks(N_ALL, PROJECTED_CORES)
    projected = (N_ALL * per_molecule + all_tasks * max(per_task, 0.0)) / (
        PROJECTED_CORES
    )
    print(
        f"\ntotal: loky {totals['loky']:.1f} s, Dask {totals['dask']:.1f} s, "
        f"ratio {ratio:.3f}; results identical\n"
        f"per molecule: {per_molecule:.3f} core-s (loky); Dask's extra cost per "
        f"task: {per_task * 1e3:.0f} worker-ms over {tasks} tasks of up to "
        f"{CHUNK_BATCHES} molecules\n"
        f"projected, all {N_ALL:,} QM9 molecules on {PROJECTED_CORES} cores: "
        f"{all_tasks} tasks, ({N_ALL:,} x {per_molecule:.3f} + {all_tasks} x "
        f"{max(per_task, 0.0):.3f}) / {PROJECTED_CORES} = {projected / 3600:.2f} h"
    )


if __name__ == "__main__":
    main()
