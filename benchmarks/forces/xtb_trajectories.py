"""Reference MD trajectories with energies and forces: GFN2-xTB, Langevin at 500 K.

The MD17 molecules (ethanol, malonaldehyde, aspirin) are run with ASE's Langevin
integrator on the GFN2-xTB potential of ``tblite`` (its ASE calculator): each
starting geometry (ASE's ethanol; hand-built malonaldehyde, enol form, and aspirin)
is relaxed with BFGS, given Maxwell-Boltzmann velocities at the temperature,
equilibrated for ``--equilibration`` steps, and then every ``--every``-th step is
kept (decorrelated configurations) until ``--n`` configurations are stored. Each
molecule goes to ``<out>/<name>.extxyz`` (extended XYZ: energy in eV and forces in
eV/Å, as ASE writes them; positions in Å), with the time per xTB force evaluation
in ``<out>/<name>.json``.

Usage: python -m benchmarks.forces.xtb_trajectories --out <folder>
    [--molecules ethanol malonaldehyde aspirin] [--n 3000] [--every 20]
    [--timestep 0.5] [--temperature 500] [--friction 0.01] [--equilibration 2000]
    [--seed 0]

Needs ``ase`` and ``tblite`` (``pip install tblite``; not dependencies of the
package). Run it with ``OMP_NUM_THREADS=1`` (tblite's threads on a busy machine slow it down
many times).
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np


def malonaldehyde():
    """Malonaldehyde, enol form (O=CH-CH=CH-OH with its O-H...O bond), planar start."""
    from ase import Atoms

    positions = [
        [1.230, 0.520, 0.0],  # C, carbonyl
        [0.000, 1.200, 0.0],  # C, central
        [-1.230, 0.520, 0.0],  # C, enol
        [1.300, -0.700, 0.0],  # O, carbonyl
        [-1.300, -0.700, 0.0],  # O, hydroxyl
        [-0.350, -1.050, 0.0],  # H, hydroxyl (bonded to the O above)
        [0.000, 2.280, 0.0],
        [2.160, 1.090, 0.0],
        [-2.160, 1.090, 0.0],
    ]
    return Atoms("C3O2H4", positions=positions)


def aspirin():
    """Aspirin (acetylsalicylic acid), planar start from hand-built coordinates."""
    from ase import Atoms

    ring = [
        [0.000, 1.390, 0.0],  # C1, carries the carboxyl group
        [1.204, 0.695, 0.0],  # C2, carries the acetoxy group
        [1.204, -0.695, 0.0],
        [0.000, -1.390, 0.0],
        [-1.204, -0.695, 0.0],
        [-1.204, 0.695, 0.0],
    ]
    carbons = ring + [
        [0.000, 2.870, 0.0],  # carboxyl C
        [3.750, 0.900, 0.0],  # ester C
        [4.850, 1.900, 0.0],  # methyl C
    ]
    oxygens = [
        [-1.048, 3.475, 0.0],  # carboxyl =O
        [1.160, 3.540, 0.0],  # carboxyl -OH
        [2.416, 1.395, 0.0],  # ester -O-
        [3.950, -0.300, 0.0],  # ester =O
    ]
    hydrogens = [
        [2.139, -1.235, 0.0],
        [0.000, -2.470, 0.0],
        [-2.139, -1.235, 0.0],
        [-2.139, 1.235, 0.0],
        [1.160, 4.510, 0.0],  # carboxyl H
        [5.800, 1.400, 0.0],
        [4.750, 2.550, 0.880],
        [4.750, 2.550, -0.880],
    ]
    return Atoms("C9O4H8", positions=carbons + oxygens + hydrogens)


def ethanol():
    """Ethanol from ASE's G2 collection."""
    from ase.build import molecule

    return molecule("CH3CH2OH")


MOLECULES = {"ethanol": ethanol, "malonaldehyde": malonaldehyde, "aspirin": aspirin}


def xtb_calculator():
    """GFN2-xTB from tblite, quiet."""
    from tblite.ase import TBLite

    return TBLite(method="GFN2-xTB", verbosity=0)


def relaxed(atoms, rng):
    """``atoms`` relaxed by BFGS on GFN2-xTB, from a slightly perturbed start.

    The perturbation (0.02 Å) breaks the mirror symmetry of a planar start, so that
    the relaxation is not held on the plane.
    """
    from ase.optimize import BFGS

    atoms = atoms.copy()
    atoms.positions += rng.normal(0.0, 0.02, atoms.positions.shape)
    atoms.calc = xtb_calculator()
    BFGS(atoms, logfile=None).run(fmax=0.01, steps=500)
    return atoms


def trajectory(atoms, args, rng):
    """Langevin MD on GFN2-xTB; every ``args.every``-th step after equilibration.

    Returns
    -------
    frames : list of ase.Atoms
        Each with a SinglePointCalculator holding its energy and forces.
    seconds_per_step : float
        Wall time per MD step (one xTB energy and forces, and the integrator).
    """
    from ase import units
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.constraints import FixCom
    from ase.md.langevin import Langevin

    masses = atoms.get_masses()[:, None]
    momenta = rng.normal(size=(len(atoms), 3)) * np.sqrt(
        masses * units.kB * args.temperature
    )
    atoms.set_momenta(momenta - momenta.mean(axis=0))
    # The centre of mass stays put (the stored geometries are not drifting away).
    atoms.set_constraint(FixCom())
    dynamics = Langevin(
        atoms,
        timestep=args.timestep * units.fs,
        temperature_K=args.temperature,
        friction=args.friction / units.fs,
        fixcm=False,
        rng=rng,
        logfile=None,
    )
    dynamics.run(args.equilibration)
    frames = []
    start = time.perf_counter()
    while len(frames) < args.n:
        dynamics.run(args.every)
        frame = atoms.copy()
        frame.set_constraint()
        frame.calc = SinglePointCalculator(
            frame,
            energy=atoms.get_potential_energy(),
            # The raw xTB forces: FixCom would adjust them for the integrator.
            forces=atoms.get_forces(apply_constraint=False),
        )
        frames.append(frame)
    seconds_per_step = (time.perf_counter() - start) / (args.n * args.every)
    return frames, seconds_per_step


def force_evaluation_seconds(frames, repeats=50):
    """Median wall time of one xTB energy-and-forces evaluation on stored frames."""
    times = []
    calculator = xtb_calculator()
    for frame in frames[:repeats]:
        atoms = frame.copy()
        atoms.calc = calculator
        start = time.perf_counter()
        atoms.get_forces()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--molecules", nargs="+", default=list(MOLECULES))
    parser.add_argument("--n", type=int, default=3000, help="configurations kept")
    parser.add_argument("--every", type=int, default=20, help="steps between kept")
    parser.add_argument("--timestep", type=float, default=0.5, help="fs")
    parser.add_argument("--temperature", type=float, default=500.0, help="K")
    parser.add_argument("--friction", type=float, default=0.01, help="per fs")
    parser.add_argument("--equilibration", type=int, default=2000, help="steps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from ase.io import write

    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.molecules:
        rng = np.random.default_rng(args.seed)
        start = time.perf_counter()
        atoms = relaxed(MOLECULES[name](), rng)
        frames, per_step = trajectory(atoms, args, rng)
        write(args.out / f"{name}.extxyz", frames, format="extxyz")
        info = {
            "molecule": name,
            "formula": atoms.get_chemical_formula(),
            "n_configurations": len(frames),
            "every": args.every,
            "timestep_fs": args.timestep,
            "temperature_K": args.temperature,
            "friction_per_fs": args.friction,
            "equilibration_steps": args.equilibration,
            "seed": args.seed,
            "seconds_per_md_step": per_step,
            "seconds_per_xtb_force_evaluation": force_evaluation_seconds(frames),
            "wall_seconds": time.perf_counter() - start,
        }
        (args.out / f"{name}.json").write_text(json.dumps(info, indent=2))
        energies = np.array([f.get_potential_energy() for f in frames])
        print(
            f"{name}: {len(frames)} configurations, energy range "
            f"{np.ptp(energies):.3f} eV, {per_step * 1e3:.2f} ms per MD step, "
            f"{info['wall_seconds']:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
