"""Time of one energy-and-forces evaluation: the atom model against GFN2-xTB, paired.

For each molecule's trajectory (``<data>/<name>.extxyz``), fits
``SparseAtomKernelRidge`` with ``--representatives`` farthest-point representatives
and the descriptors of ``--J``, ``--channels`` and each of ``--scales-per-octave``
(as ``md17_like``; one model per value, all timed in the same run) on the first
``--n-train`` configurations (energies only: the evaluation cost does not depend on
how the coefficients were fit), then times ``predict_energy_forces`` of one
molecule and a GFN2-xTB single point (tblite's ASE calculator, a fresh calculation
each time) on the same configurations, alternating the two so that both see the
same load. Reports the medians over ``--n`` configurations. Run it with
``OMP_NUM_THREADS=1`` (both on one thread).

Needs ``ase`` and ``tblite``.

Usage: python -m benchmarks.forces.evaluation_time --data <folder>
    [--molecules ethanol malonaldehyde aspirin] [--representatives 1000]
    [--J 2] [--channels charges] [--scales-per-octave 1 [2 ...]] [--n-train 1000]
    [--n 50]
"""

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks.common.channels import CHANNEL_SETS, channel_set
from benchmarks.forces.md17_like import molecules, read_trajectory
from skscatharm import SparseAtomKernelRidge


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument(
        "--molecules", nargs="+", default=["ethanol", "malonaldehyde", "aspirin"]
    )
    parser.add_argument("--representatives", type=int, default=1000)
    parser.add_argument("--J", type=int, default=2, help="largest scale index")
    parser.add_argument("--channels", default="charges", choices=CHANNEL_SETS)
    parser.add_argument(
        "--scales-per-octave", nargs="+", type=int, default=[1], help="one model each"
    )
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--n", type=int, default=50)
    args = parser.parse_args()

    from ase import Atoms
    from tblite.ase import TBLite

    for name in args.molecules:
        path = args.data / f"{name}.extxyz"
        if not path.exists():
            print(f"{name}: no {path}")
            continue
        numbers, R, E, _ = read_trajectory(path)
        models = {
            per_octave: SparseAtomKernelRidge(
                args.representatives,
                J=args.J,
                channels=channel_set(args.channels, numbers),
                scales_per_octave=per_octave,
                selection="farthest",
                random_state=0,
            ).fit(molecules(numbers, R[: args.n_train]), E[: args.n_train])
            for per_octave in args.scales_per_octave
        }
        calculator = TBLite(method="GFN2-xTB", verbosity=0)
        ours, xtb = {per_octave: [] for per_octave in models}, []
        for positions in R[-args.n :]:
            one = [(numbers, positions)]
            for per_octave, model in models.items():
                start = time.perf_counter()
                model.predict_energy_forces(one)
                ours[per_octave].append(time.perf_counter() - start)
            atoms = Atoms(numbers=numbers, positions=positions)
            atoms.calc = calculator
            start = time.perf_counter()
            atoms.get_forces()
            xtb.append(time.perf_counter() - start)
        representatives = next(iter(models.values())).n_representatives_
        timings = ", ".join(
            f"{per_octave} per octave {np.median(times) * 1e3:.2f} ms"
            for per_octave, times in ours.items()
        )
        print(
            f"{name} ({len(numbers)} atoms, {representatives} representatives): "
            f"SparseAtomKernelRidge, scales {timings}; GFN2-xTB "
            f"{np.median(xtb) * 1e3:.2f} ms per energy and forces",
            flush=True,
        )


if __name__ == "__main__":
    main()
