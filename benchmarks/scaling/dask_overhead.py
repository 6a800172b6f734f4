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

On a machine shared with other work, wall times measure the load as much as the
engine, so CPU time is measured too: of the worker processes (every child process
of this one, process by process: only the pool at work is busy) and of this
process (which holds the Dask scheduler and the client, or loky's dispatch).

Printed: each block's wall and CPU times and the ratios, the totals; the
per-molecule cost in CPU seconds (loky's workers), Dask's extra CPU per task on the
workers and in the scheduler's process, and the projected wall time for all of QM9
on a 64-core cluster: the workers' CPU (molecules plus Dask's per-task extra) spread
over 64 cores, or the scheduler's per-task CPU in series if that is longer.

Usage: python -m benchmarks.scaling.dask_overhead --data ../shared/data --n 5000
    [--blocks 4] [--oversampling auto] [--tail-tolerance T (default: the transformer's)]
"""

import argparse
import math
import time
from pathlib import Path

import joblib
import numpy as np
import psutil

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


def cpu_seconds():
    """CPU seconds (user + system) of each child process, by pid, and of this one."""
    children = {}
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        children[child.pid] = times.user + times.system
    own = psutil.Process().cpu_times()
    return children, own.user + own.system


def timed_transform(transformer, X, backend):
    """Wall seconds, workers' and own CPU seconds, and ``transformer.transform(X)``
    under ``backend``."""
    children_before, own_before = cpu_seconds()
    with joblib.parallel_config(backend=backend, n_jobs=N_WORKERS):
        start = time.perf_counter()
        features = transformer.transform(X)
        wall = time.perf_counter() - start
    children_after, own_after = cpu_seconds()
    # A process started during the call (a replaced worker) counts whole.
    workers = sum(
        seconds - children_before.get(pid, 0.0)
        for pid, seconds in children_after.items()
    )
    return {"wall": wall, "workers": workers, "own": own_after - own_before}, features


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--n", type=int, default=5000, help="molecules")
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--oversampling", type=_oversampling, default="auto")
    parser.add_argument(
        "--tail-tolerance", type=float, help="default: the transformer's own"
    )
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    arrays = np.load(args.data / "qm9_all_but_1000.npz")
    X_all = pack_molecules(arrays["Z"], arrays["R"])
    rows = np.random.default_rng(args.seed).choice(len(X_all), args.n, replace=False)
    X = X_all[rows]
    tail = (
        {} if args.tail_tolerance is None else {"tail_tolerance": args.tail_tolerance}
    )
    transformer = SolidHarmonicScattering(
        oversampling=args.oversampling, backend="numpy", **tail
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
            f"oversampling={args.oversampling}, "
            f"tail_tolerance={transformer.tail_tolerance}; "
            f"cluster started in {cluster_start:.1f} s (not counted below)"
        )
        print(
            "| block | molecules | first | wall loky / Dask (s) | ratio | "
            "workers' CPU loky / Dask (s) | ratio | own CPU loky / Dask (s) |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        totals = {
            backend: {"wall": 0.0, "workers": 0.0, "own": 0.0}
            for backend in ("loky", "dask")
        }
        tasks = 0
        for number, block in enumerate(np.array_split(np.arange(args.n), args.blocks)):
            order = ("loky", "dask") if number % 2 == 0 else ("dask", "loky")
            times, results = {}, {}
            for backend in order:
                times[backend], results[backend] = timed_transform(
                    transformer, X[block], backend
                )
                for key, value in times[backend].items():
                    totals[backend][key] += value
            if not np.array_equal(results["loky"], results["dask"]):
                raise AssertionError(f"block {number}: Dask and loky differ")
            tasks += n_tasks(len(block), N_WORKERS)
            print(_row(number, len(block), order[0], times))
    cluster.close()
    print(_row("total", args.n, "", totals))

    loky, dask = totals["loky"], totals["dask"]
    per_molecule = loky["workers"] / args.n
    per_task_workers = (dask["workers"] - loky["workers"]) / tasks
    per_task_scheduler = (dask["own"] - loky["own"]) / tasks
    all_tasks = n_tasks(N_ALL, PROJECTED_CORES)
    spread = (N_ALL * per_molecule + all_tasks * max(per_task_workers, 0.0)) / (
        PROJECTED_CORES
    )
    in_series = all_tasks * max(per_task_scheduler, 0.0)
    print(
        f"\nresults identical; wall ratio (Dask / loky) {dask['wall'] / loky['wall']:.3f}, "
        f"workers' CPU ratio {dask['workers'] / loky['workers']:.3f}\n"
        f"per molecule: {per_molecule:.3f} CPU s (loky's workers); Dask's extra CPU "
        f"per task: {per_task_workers * 1e3:.0f} ms on the workers, "
        f"{per_task_scheduler * 1e3:.0f} ms in the scheduler's process ({tasks} "
        f"tasks of up to {CHUNK_BATCHES} molecules)\n"
        f"projected, all {N_ALL:,} QM9 molecules on {PROJECTED_CORES} cores "
        f"({all_tasks} tasks): workers ({N_ALL:,} x {per_molecule:.3f} + "
        f"{all_tasks} x {max(per_task_workers, 0.0):.3f}) / {PROJECTED_CORES} = "
        f"{spread / 3600:.2f} h; scheduler in series {all_tasks} x "
        f"{max(per_task_scheduler, 0.0):.4f} = {in_series / 3600:.3f} h; "
        f"projected {max(spread, in_series) / 3600:.2f} h"
    )


def _row(label, n_molecules, first, times):
    loky, dask = times["loky"], times["dask"]
    return (
        f"| {label} | {n_molecules} | {first} | {loky['wall']:.1f} / "
        f"{dask['wall']:.1f} | {dask['wall'] / loky['wall']:.3f} | "
        f"{loky['workers']:.1f} / {dask['workers']:.1f} | "
        f"{dask['workers'] / loky['workers']:.3f} | {loky['own']:.1f} / "
        f"{dask['own']:.1f} |"
    )


if __name__ == "__main__":
    main()
