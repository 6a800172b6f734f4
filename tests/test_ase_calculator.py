"""``skscatharm.ase.ScatteringCalculator``: units, refusals, BFGS and NVE dynamics."""

import numpy as np
import pytest

pytest.importorskip("ase")

from ase import Atoms, units  # noqa: E402
from ase.build import molecule  # noqa: E402
from ase.calculators.emt import EMT  # noqa: E402
from ase.md.verlet import VelocityVerlet  # noqa: E402
from ase.optimize import BFGS  # noqa: E402

from skscatharm import BilinearRegressor, SparseAtomKernelRidge  # noqa: E402
from skscatharm.ase import ScatteringCalculator  # noqa: E402


@pytest.fixture(scope="module")
def ethanol_model():
    """A model of ASE's EMT energy (eV) of ethanol, fit on 40 displaced geometries."""
    rng = np.random.default_rng(0)
    base = molecule("CH3CH2OH")
    X, y = [], []
    for _ in range(40):
        atoms = base.copy()
        atoms.positions += rng.normal(0.0, 0.08, atoms.positions.shape)
        atoms.calc = EMT()
        X.append((atoms.numbers, atoms.positions.copy()))
        y.append(atoms.get_potential_energy())
    model = SparseAtomKernelRidge(150, J=1, L=2, random_state=0).fit(X, y)
    return base, model


def test_energy_and_forces_in_electronvolts(ethanol_model):
    base, model = ethanol_model
    atoms = base.copy()
    atoms.calc = ScatteringCalculator(model, energy_unit="kcal/mol")
    energy, forces = model.predict_energy_forces([(atoms.numbers, atoms.positions)])
    factor = units.kcal / units.mol
    assert atoms.get_potential_energy() == pytest.approx(energy[0] * factor, rel=1e-14)
    np.testing.assert_allclose(atoms.get_forces(), forces[0] * factor, rtol=1e-14)


def test_bfgs_lowers_the_energy_of_a_distorted_geometry(ethanol_model):
    base, model = ethanol_model
    atoms = base.copy()
    atoms.positions += np.random.default_rng(3).normal(0.0, 0.15, atoms.positions.shape)
    atoms.calc = ScatteringCalculator(model)
    start_energy = atoms.get_potential_energy()
    BFGS(atoms, logfile=None).run(fmax=0.05, steps=30)
    # Forces of the wrong sign or scale would raise the energy or stall.
    assert atoms.get_potential_energy() < start_energy - 1.0


def test_nve_dynamics_conserves_the_energy(ethanol_model):
    # Velocity Verlet at 0.5 fs over 100 steps from 300 K: the total energy stays
    # within 5 % of the range the kinetic energy sweeps (a force that is not the
    # energy's derivative drifts far past it).
    base, model = ethanol_model
    atoms = base.copy()
    atoms.calc = ScatteringCalculator(model)
    rng = np.random.default_rng(1)
    masses = atoms.get_masses()[:, None]
    momenta = rng.normal(size=(len(atoms), 3)) * np.sqrt(masses * units.kB * 300.0)
    atoms.set_momenta(momenta - momenta.mean(axis=0))
    dynamics = VelocityVerlet(atoms, timestep=0.5 * units.fs, logfile=None)
    energies = []
    dynamics.attach(
        lambda: energies.append(
            (atoms.get_potential_energy(), atoms.get_kinetic_energy())
        )
    )
    dynamics.run(100)
    potential, kinetic = np.array(energies).T
    assert np.ptp(kinetic) > 0.05  # the molecule moves: eV
    assert np.ptp(potential + kinetic) < 0.05 * np.ptp(kinetic)


def test_periodic_atoms_are_refused(ethanol_model):
    base, model = ethanol_model
    atoms = base.copy()
    atoms.cell = [10.0, 10.0, 10.0]
    atoms.pbc = True
    atoms.calc = ScatteringCalculator(model)
    with pytest.raises(ValueError, match="periodic"):
        atoms.get_potential_energy()


def test_unseen_element_is_refused_by_name(ethanol_model):
    _, model = ethanol_model
    atoms = Atoms("CF", positions=[[0, 0, 0], [1.35, 0, 0]])
    atoms.calc = ScatteringCalculator(model)
    with pytest.raises(ValueError, match=r"never saw F \(Z=9\)"):
        atoms.get_forces()


def test_bad_models_and_units_are_refused(ethanol_model):
    _, model = ethanol_model
    with pytest.raises(ValueError, match="not fitted"):
        ScatteringCalculator(SparseAtomKernelRidge())
    with pytest.raises(ValueError, match="predicts no forces"):
        ScatteringCalculator(BilinearRegressor())
    for unit in ("kcal", -1.0, True):
        with pytest.raises(ValueError, match="energy_unit"):
            ScatteringCalculator(model, energy_unit=unit)
