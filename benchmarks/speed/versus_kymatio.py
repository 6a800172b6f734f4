"""skscatharm against kymatio 0.3.0, paired molecule by molecule in one process.

Configuration: kymatio's QM7 example (3 channels, sigma = 0.2262 Å, J = 2, L = 3,
Q = (0.5, 1, 2, 3), max_order = 2) on its 192 x 128 x 96 grid
(:class:`benchmarks.kymatio_baseline.matched_width.KymatioQM7`), against
``SolidHarmonicScattering`` at its default setting. Both run on one thread in this
process (BLAS held to one thread; kymatio's NumPy FFT is single-threaded). For every
molecule, ours runs just before and just after kymatio, so that both see the same
load; the ratio is kymatio's time over the mean of ours. With ``--load``, a
CPU-bound process spins on the machine for the whole measurement.

Install kymatio with ``pip install --no-deps kymatio==0.3.0 appdirs configparser``.

Usage: python -m benchmarks.speed.versus_kymatio --data ../shared/data [--n 4]
    [--set qm7] [--load] [--params '{"oversampling": 4}']
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from skscatharm import SolidHarmonicScattering, pack_molecules

FILES = {"qm7": "qm7.npz", "qm9": "qm9_subset20k.npz"}


def _unpad(row):
    real = row[:, 0] > 0
    return row[real, 0].astype(int), row[real, 1:]


def _seconds(function, *args):
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--set", choices=sorted(FILES), default="qm7")
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--load", action="store_true", help="spin a busy process")
    parser.add_argument("--params", type=json.loads, default={})
    args = parser.parse_args()
    arrays = np.load(args.data / FILES[args.set])
    X = pack_molecules(arrays["Z"], arrays["R"])
    rows = np.random.default_rng(0).choice(len(X), args.n, replace=False)

    from benchmarks.kymatio_baseline.matched_width import KymatioQM7

    kymatio = KymatioQM7()
    ours = SolidHarmonicScattering(n_jobs=1, **args.params)
    busy = None
    if args.load:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        with threadpool_limits(1):
            ours.fit_transform(X[rows[:1]])  # imports and cached spectra
            print(
                f"{'molecule':>10s} {'atoms':>5s} {'kymatio s':>10s} "
                f"{'ours s':>8s} {'ratio':>6s}",
                flush=True,
            )
            kymatio_total = ours_total = 0.0
            for row in rows:
                before = _seconds(ours.fit_transform, X[row : row + 1])
                theirs = _seconds(kymatio.coefficients, *_unpad(X[row]))
                after = _seconds(ours.fit_transform, X[row : row + 1])
                mine = (before + after) / 2
                kymatio_total += theirs
                ours_total += mine
                print(
                    f"{row:10d} {len(_unpad(X[row])[0]):5d} {theirs:10.2f} "
                    f"{mine:8.3f} {theirs / mine:6.1f}",
                    flush=True,
                )
    finally:
        if busy is not None:
            busy.kill()
    print(
        f"{args.set}, {args.n} molecules, one thread each"
        f"{', with a busy process' if args.load else ''}: kymatio "
        f"{kymatio_total / args.n:.2f} s/molecule, skscatharm "
        f"{ours_total / args.n:.3f} s/molecule ({args.params or 'default'}): "
        f"{kymatio_total / ours_total:.1f}x"
    )


if __name__ == "__main__":
    main()
