"""An ASE calculator on a fitted atom-kernel model: energies and forces for MD.

``ScatteringCalculator(model)`` hands the energy and forces of
:meth:`~skscatharm.AtomKernelRidge.predict_energy_forces` to ASE, so that
``ase.optimize.BFGS`` relaxes geometries and ``ase.md`` integrators run molecular
dynamics on a model fitted with this package. ASE is an optional dependency
(``pip install skscatharm[ase]``), imported only with this module.
"""

from numbers import Real

import numpy as np

try:
    from ase.calculators.calculator import Calculator, all_changes
    from ase.data import chemical_symbols
    from ase.units import Hartree, kcal, kJ, mol
except ImportError as error:  # pragma: no cover - the message is the point
    raise ImportError(
        "skscatharm.ase needs ASE: pip install skscatharm[ase]"
    ) from error

#: eV per unit of the model's target, for the named units.
ENERGY_UNITS = {
    "eV": 1.0,
    "meV": 1e-3,
    "kcal/mol": kcal / mol,
    "kJ/mol": kJ / mol,
    "Hartree": Hartree,
}


def _electronvolts_per_unit(energy_unit):
    if isinstance(energy_unit, str):
        if energy_unit not in ENERGY_UNITS:
            raise ValueError(
                f"energy_unit must be one of {sorted(ENERGY_UNITS)} or a positive "
                f"number (eV per unit of the target); got {energy_unit!r}"
            )
        return ENERGY_UNITS[energy_unit]
    if (
        isinstance(energy_unit, Real)
        and not isinstance(energy_unit, bool)
        and np.isfinite(energy_unit)
        and energy_unit > 0
    ):
        return float(energy_unit)
    raise ValueError(
        f"energy_unit must be one of {sorted(ENERGY_UNITS)} or a positive number "
        f"(eV per unit of the target); got {energy_unit!r}"
    )


class ScatteringCalculator(Calculator):
    """ASE calculator of the energy and forces of a fitted atom-kernel model.

    The energy is the model's :meth:`predict` of the molecule and the forces its
    :meth:`predict_forces` (exact derivatives), converted from the target's unit
    (and that unit per Å) to eV and eV/Å, ASE's units. Positions are in Å, as
    everywhere in the package.

    Parameters
    ----------
    model : AtomKernelRidge, AtomKernelRidgeCV, SparseAtomKernelRidge or \
SparseAtomKernelRidgeCV
        A fitted atom-kernel model of an energy (any model with
        ``predict_energy_forces`` and ``elements_``).
    energy_unit : {"eV", "meV", "kcal/mol", "kJ/mol", "Hartree"} or float, \
default="eV"
        Unit of the model's target; a number is the eV in one unit of the target.
    **kwargs
        Passed to :class:`ase.calculators.calculator.Calculator`.

    Attributes
    ----------
    model : estimator
        The model.
    electronvolts_per_unit : float
        The conversion of the target to eV.

    Raises
    ------
    ValueError
        At construction, for an unfitted model or an unknown unit; in a
        calculation, for periodic ``Atoms`` (the fields are those of an isolated
        molecule) or an element the model never saw, naming it.

    Examples
    --------
    >>> import numpy as np
    >>> from ase.build import molecule
    >>> from skscatharm import SparseAtomKernelRidge
    >>> from skscatharm.ase import ScatteringCalculator
    >>> rng = np.random.default_rng(0)
    >>> water = molecule("H2O")
    >>> X = [(water.numbers, water.positions + rng.normal(0, 0.05, (3, 3)))
    ...      for _ in range(20)]
    >>> y = [np.sum((R[1:] - R[0]) ** 2) for _, R in X]  # a toy energy in eV
    >>> model = SparseAtomKernelRidge(100, J=1, L=2, random_state=0).fit(X, y)
    >>> water.calc = ScatteringCalculator(model)
    >>> water.get_forces().shape
    (3, 3)
    """

    implemented_properties = ["energy", "free_energy", "forces"]

    def __init__(self, model, *, energy_unit="eV", **kwargs):
        if not hasattr(model, "predict_energy_forces"):
            raise ValueError(
                f"{type(model).__name__} predicts no forces; use an atom-kernel model "
                "(AtomKernelRidge, SparseAtomKernelRidge or their CV variants)"
            )
        if not hasattr(model, "dual_coef_"):
            raise ValueError(
                f"the {type(model).__name__} is not fitted; fit it before making a "
                "calculator of it"
            )
        self.electronvolts_per_unit = _electronvolts_per_unit(energy_unit)
        self.model = model
        self.energy_unit = energy_unit
        super().__init__(**kwargs)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        """Compute the energy (eV) and forces (eV/Å) of ``atoms``.

        Parameters
        ----------
        atoms : ase.Atoms or None
            The molecule (None: the calculator's last one).
        properties : sequence of str
            Properties asked for; energy and forces are always computed together.
        system_changes : sequence of str
            What changed since the last calculation (ASE's bookkeeping).
        """
        super().calculate(atoms, properties, system_changes)
        if np.any(self.atoms.pbc):
            raise ValueError(
                f"ScatteringCalculator computes isolated molecules; these Atoms are "
                f"periodic (pbc={self.atoms.pbc.tolist()}). Set atoms.pbc = False."
            )
        numbers = self.atoms.get_atomic_numbers()
        unseen = np.setdiff1d(numbers, self.model.elements_)
        if unseen.size:
            names = ", ".join(f"{chemical_symbols[z]} (Z={z})" for z in unseen)
            seen = ", ".join(chemical_symbols[z] for z in self.model.elements_)
            raise ValueError(
                f"the model never saw {names}; it was fitted on {seen} only"
            )
        energies, forces = self.model.predict_energy_forces(
            [(numbers, self.atoms.get_positions())]
        )
        energy = float(energies[0]) * self.electronvolts_per_unit
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": forces[0] * self.electronvolts_per_unit,
        }
