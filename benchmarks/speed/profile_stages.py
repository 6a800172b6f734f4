"""Where the transform's time goes: the share of each stage, by cProfile.

One process, one BLAS thread, ``backend="numpy"``: each molecule (by default the
largest of the QM7 and of the QM9 sample shipped with the package, or molecules of
the shared data files with ``--data``) is transformed once to warm up, then once
under :mod:`cProfile`. Each stage's time is the internal time of its functions (the
functions it calls that are not another stage's count for it):

* first layer: the closed-form fields on the grids (``first_layer_squared_moduli``);
* power integrals: ``∫ |f|^q`` (``integrate_powers``);
* pruned DFT: the spectrum of ``U1`` on the coarse lattices (``pruned_spectrum``);
* inverse FFT: the second layer's ``irfftn``;
* wavelet spectra: ``wavelet_spectrum`` (cached across molecules);
* other: everything else (input checks, principal axes, S0, bookkeeping).

Usage: python -m benchmarks.speed.profile_stages [--data ../shared/data]
    [--oversampling auto] [--extra-params '{"L": 2}']
"""

import argparse
import cProfile
import json
import pstats
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from skscatharm import SolidHarmonicScattering, pack_molecules
from skscatharm._core.plan import parse_oversampling
from skscatharm.datasets import load_qm7_sample, load_qm9_sample

#: Stage -> the functions whose time it owns (matched on ``file:function``).
STAGES = {
    "first layer": [("first_layer.py", "first_layer_squared_moduli")],
    "power integrals": [("integrals.py", "integrate_powers")],
    "pruned DFT": [("second_layer.py", "pruned_spectrum")],
    "inverse FFT": [("backend.py", "irfftn")],
    "wavelet spectra": [("second_layer.py", "wavelet_spectrum")],
}


def stage_times(stats):
    """Seconds per stage: the cumulative time of each stage's functions.

    A function called by a stage's function (an einsum, a matmul, pocketfft) counts
    for that stage; the rest of the profile is "other".
    """
    times = dict.fromkeys(STAGES, 0.0)
    for (path, _, name), (_, _, _, cumulative, _) in stats.stats.items():
        for stage, functions in STAGES.items():
            if any(path.endswith(f"_core/{f}") and name == n for f, n in functions):
                times[stage] += cumulative
    return times


def molecules(data):
    """Name and packed row of the largest QM7 and QM9 molecule (sample or data)."""
    if data is None:
        sets = {"QM7": load_qm7_sample().data, "QM9": load_qm9_sample().data}
    else:
        sets = {}
        for name, file in (("QM7", "qm7.npz"), ("QM9", "qm9_subset20k.npz")):
            arrays = np.load(Path(data) / file)
            sets[name] = pack_molecules(arrays["Z"], arrays["R"])
    for name, X in sets.items():
        n_atoms = (X[:, :, 0] > 0).sum(axis=1)
        index = int(np.argmax(n_atoms))
        yield f"{name} {index} ({n_atoms[index]} atoms)", X[index : index + 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="use the shared data files")
    parser.add_argument(
        "--oversampling",
        type=parse_oversampling,
        default="auto",
        help="the transformer's oversampling (a number, or a preset)",
    )
    parser.add_argument("--extra-params", type=json.loads, default={})
    args = parser.parse_args()
    transform = SolidHarmonicScattering(
        backend="numpy", oversampling=args.oversampling, **args.extra_params
    )
    print(f"{'molecule':26s} {'total s':>8s} " + " ".join(f"{s:>16s}" for s in STAGES))
    with threadpool_limits(1):
        for label, X in molecules(args.data):
            transform.fit_transform(X)  # warm up: imports and cached spectra
            profile = cProfile.Profile()
            start = time.perf_counter()
            profile.runcall(transform.fit_transform, X)
            total = time.perf_counter() - start
            times = stage_times(pstats.Stats(profile))
            shares = " ".join(f"{100 * t / total:15.1f}%" for t in times.values())
            other = 100 * (1 - sum(times.values()) / total)
            print(f"{label:26s} {total:8.2f} {shares}  other {other:.1f}%")


if __name__ == "__main__":
    main()
