"""skscatharm against kymatio 0.3.0, paired molecule by molecule in one process.

Configuration: kymatio's QM7 example (3 channels, sigma = 0.2262 Å, J = 2, L = 3,
Q = (0.5, 1, 2, 3), max_order = 2) on its 192 x 128 x 96 grid
(:class:`benchmarks.kymatio_baseline.matched_width.KymatioQM7`), against
``SolidHarmonicScattering`` at its default setting, both in this process. With
``--threads one`` (the default) both run on one thread (BLAS held to one thread;
kymatio's NumPy FFT is single-threaded): the ratio per core. With ``--threads
default`` each runs as it would for a user, one process each: ours takes the
threads of the cores that are free (:mod:`skscatharm._core.threads`), kymatio
whatever its NumPy code uses; the CPU seconds of each (all threads) are printed
beside the wall-clock seconds. For every molecule, ours runs just before and just
after kymatio, so that both see the same load; the ratio is kymatio's time over the
mean of ours. With ``--batch K`` (K > 1), ours transforms the same K random molecules
(those of kymatio among them) in one call before and after each of kymatio's, and
its time per molecule is that call's over K: throughput, as a data set is
featurized, where ``--batch 1`` is the latency of one molecule. With ``--load``, a
CPU-bound process spins on the machine for the whole measurement.

Install kymatio with ``pip install --no-deps kymatio==0.3.0 appdirs configparser``.

Usage: python -m benchmarks.speed.versus_kymatio --data ../shared/data [--n 4]
    [--set qm7] [--load] [--threads one|default] [--batch 1]
    [--params '{"oversampling": 4}']
"""

import argparse
import json
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from skscatharm import SolidHarmonicScattering, pack_molecules

FILES = {"qm7": "qm7.npz", "qm9": "qm9_subset20k.npz"}


def _unpad(row):
    real = row[:, 0] > 0
    return row[real, 0].astype(int), row[real, 1:]


def _seconds(function, *args):
    """Wall-clock and CPU seconds (all threads of this process) of one call."""
    start, cpu = time.perf_counter(), time.process_time()
    function(*args)
    return np.array([time.perf_counter() - start, time.process_time() - cpu])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--set", choices=sorted(FILES), default="qm7")
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--load", action="store_true", help="spin a busy process")
    parser.add_argument("--threads", choices=("one", "default"), default="one")
    parser.add_argument("--batch", type=int, default=1, help="molecules per call")
    parser.add_argument("--params", type=json.loads, default={})
    args = parser.parse_args()
    arrays = np.load(args.data / FILES[args.set])
    X = pack_molecules(arrays["Z"], arrays["R"])
    rows = np.random.default_rng(0).choice(len(X), args.n, replace=False)
    others = np.setdiff1d(np.arange(len(X)), rows)
    extra = max(0, args.batch - args.n)
    batch = np.concatenate(
        [rows, np.random.default_rng(1).choice(others, extra, replace=False)]
    )[: args.batch]

    def own(row):
        """The molecules ours transforms beside kymatio's ``row``."""
        return X[batch] if args.batch > 1 else X[row : row + 1]

    from benchmarks.kymatio_baseline.matched_width import KymatioQM7

    kymatio = KymatioQM7()
    ours = SolidHarmonicScattering(n_jobs=1, **args.params)
    busy = None
    if args.load:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        threads = threadpool_limits(1) if args.threads == "one" else nullcontext()
        with threads:
            # Imports and the wavelet spectra of the lattices met, cached.
            ours.fit_transform(own(rows[0]))
            print(
                f"{'molecule':>10s} {'atoms':>5s} {'kymatio s':>10s} "
                f"{'ours s':>8s} {'ratio':>6s} {'CPU s: kymatio':>15s} {'ours':>6s}",
                flush=True,
            )
            kymatio_total = ours_total = 0.0
            for row in rows:
                molecules = own(row)
                before = _seconds(ours.fit_transform, molecules)
                theirs = _seconds(kymatio.coefficients, *_unpad(X[row]))
                after = _seconds(ours.fit_transform, molecules)
                mine = (before + after) / 2 / len(molecules)
                kymatio_total += theirs
                ours_total += mine
                print(
                    f"{row:10d} {len(_unpad(X[row])[0]):5d} {theirs[0]:10.2f} "
                    f"{mine[0]:8.3f} {theirs[0] / mine[0]:6.1f} "
                    f"{theirs[1]:15.2f} {mine[1]:6.3f}",
                    flush=True,
                )
    finally:
        if busy is not None:
            busy.kill()
    each = "one thread each" if args.threads == "one" else "one process each"
    if args.batch > 1:
        each += f", ours on {args.batch} molecules per call"
    print(
        f"{args.set}, {args.n} molecules, {each}"
        f"{', with a busy process' if args.load else ''}: kymatio "
        f"{kymatio_total[0] / args.n:.2f} s/molecule, skscatharm "
        f"{ours_total[0] / args.n:.3f} s/molecule ({args.params or 'default'}): "
        f"{kymatio_total[0] / ours_total[0]:.1f}x (CPU seconds: "
        f"{kymatio_total[1] / args.n:.2f} and {ours_total[1] / args.n:.3f}, "
        f"{kymatio_total[1] / ours_total[1]:.1f}x)"
    )


if __name__ == "__main__":
    main()
