r"""
Forces, a geometry relaxation and molecular dynamics with a fitted model
========================================================================

The atom-centred fields are closed-form functions of the positions, so the atom
models' predictions have exact derivatives: ``predict_forces`` returns
:math:`F_n = -\partial \hat E / \partial r_n` for every atom. This example

1. fits :class:`~skscatharm.SparseAtomKernelRidge` on 40 configurations of ethanol
   from a GFN2-xTB molecular-dynamics trajectory at 500 K, on their energies and
   forces together (``fit(X, y, forces=...)``), and on their energies alone;
2. compares the predicted forces with the reference on 20 other configurations;
3. relaxes a distorted geometry with ASE's BFGS through
   :class:`skscatharm.ase.ScatteringCalculator`;
4. runs a short constant-energy (NVE) trajectory with velocity Verlet and plots the
   potential, kinetic and total energies: with forces that are the exact
   derivative of the energy, the total stays constant up to the integrator's error.

The data set is the 60-configuration sample that ships with the package
(:func:`~skscatharm.datasets.load_ethanol_xtb_sample`); energies are in eV and
forces in eV/Å. Larger trajectories and the comparison with sGDML are made by the
project's ``benchmarks/forces`` scripts.
"""

import matplotlib.pyplot as plt
import numpy as np
from ase import Atoms, units
from ase.md.verlet import VelocityVerlet
from ase.optimize import BFGS

from skscatharm import SparseAtomKernelRidge
from skscatharm.ase import ScatteringCalculator
from skscatharm.datasets import load_ethanol_xtb_sample

# %%
# Fit on energies and forces
# --------------------------
# Each force component adds a row to the model's least squares, weighted by
# ``force_weight`` (Å²) against the energies. The first 40 configurations train
# the models; the last 20 test them.

sample = load_ethanol_xtb_sample()
X, energies, forces = sample.data, sample.target, sample.forces
train, test = slice(0, 40), slice(40, None)
parameters = dict(n_representatives=200, width=(0.5, 1.0), alpha=1e-6, random_state=0)

with_forces = SparseAtomKernelRidge(force_weight=0.1, **parameters)
with_forces.fit(X[train], energies[train], forces=forces[train])
energy_only = SparseAtomKernelRidge(**parameters).fit(X[train], energies[train])

reference = forces[test].ravel()
predicted = {}
for label, model in [("energies and forces", with_forces), ("energies", energy_only)]:
    predicted_energies, predicted_forces = model.predict_energy_forces(X[test])
    predicted[label] = np.concatenate(predicted_forces).ravel()
    print(
        f"fit on {label}: energy MAE "
        f"{np.abs(predicted_energies - energies[test]).mean() * 1000:.0f} meV, "
        f"force MAE {np.abs(predicted[label] - reference).mean():.3f} eV/Å"
    )

# %%
# Relax a distorted geometry
# --------------------------
# The calculator hands the model's energy (eV here: ``energy_unit="eV"``, the
# default) and forces to ASE. We pull one test configuration apart by 0.1 Å per
# coordinate at random and let BFGS bring it back.

numbers = X[0, :, 0].astype(int)
rng = np.random.default_rng(0)
atoms = Atoms(numbers=numbers, positions=X[45, :, 1:])
atoms.positions += rng.normal(0.0, 0.1, atoms.positions.shape)
atoms.calc = ScatteringCalculator(with_forces)
relaxation = []  # the optimizer's observers also see the starting geometry
optimizer = BFGS(atoms, logfile=None)
optimizer.attach(lambda: relaxation.append(atoms.get_potential_energy()))
optimizer.run(fmax=0.05, steps=60)
print(
    f"BFGS: {optimizer.nsteps} steps, energy {relaxation[0]:.3f} -> "
    f"{relaxation[-1]:.3f} eV"
)

# %%
# Constant-energy molecular dynamics
# ----------------------------------
# From the relaxed geometry with velocities drawn at 300 K, 400 steps of 0.25 fs.
# The fitted surface is stiffer than xTB's where the 40 training configurations
# thin out, so the time step is shorter than the 0.5 fs that xTB's own dynamics
# take: at 0.5 fs the total energy of this run shows a step of about 15 meV.

masses = atoms.get_masses()[:, None]
momenta = rng.normal(size=(len(atoms), 3)) * np.sqrt(masses * units.kB * 300.0)
atoms.set_momenta(momenta - momenta.mean(axis=0))
dynamics = VelocityVerlet(atoms, timestep=0.25 * units.fs, logfile=None)
trajectory = []
dynamics.attach(
    lambda: trajectory.append(
        (atoms.get_potential_energy(), atoms.get_kinetic_energy())
    )
)
dynamics.run(400)
potential, kinetic = np.array(trajectory).T
total = potential + kinetic
print(
    f"NVE: total energy range {np.ptp(total) * 1000:.1f} meV, kinetic energy range "
    f"{np.ptp(kinetic) * 1000:.0f} meV"
)

# %%
# The figure
# ----------

figure, axes = plt.subplots(1, 3, figsize=(15, 4.5))
limit = np.abs(reference).max() * 1.05
for label, marker in [("energies", "x"), ("energies and forces", "o")]:
    axes[0].scatter(
        reference,
        predicted[label],
        s=8,
        marker=marker,
        alpha=0.6,
        label=f"fit on {label}",
    )
axes[0].plot([-limit, limit], [-limit, limit], color="black", linewidth=0.8)
axes[0].set(
    xlabel="GFN2-xTB force component (eV/Å)",
    ylabel="predicted (eV/Å)",
    title=f"{len(reference)} force components of 20 test configurations",
)
axes[0].legend()
axes[1].plot(np.array(relaxation) - relaxation[-1], marker=".")
axes[1].set(
    xlabel="BFGS step",
    ylabel="energy above the last step (eV)",
    title="relaxing a distorted geometry",
)
axes[1].set_yscale("symlog", linthresh=1e-3)
time_fs = 0.25 * np.arange(1, len(total) + 1)
mean = total.mean()
axes[2].plot(time_fs, potential - mean, label="potential")
axes[2].plot(time_fs, kinetic, label="kinetic")
axes[2].plot(time_fs, total - mean, label="total", color="black")
axes[2].set(
    xlabel="time (fs)",
    ylabel="energy (eV, shifted)",
    title="NVE velocity Verlet, 0.25 fs",
)
axes[2].legend()
figure.tight_layout()
figure.savefig("md_forces.png", dpi=100)
plt.show()
