"""SparseAtomKernelRidge fit on energies and forces: the normal equations, exactly."""

import numpy as np
import pytest

from skscatharm import SparseAtomKernelRidge, atom_fields
from skscatharm._atoms.descriptors import scaled_logs
from skscatharm._atoms.nystroem import apply_map, element_nystroem_maps, n_features
from skscatharm._atoms.sparse import nystroem_features
from skscatharm.datasets import load_ethanol_xtb_sample

PARAMS = dict(J=1, L=2, width=(0.5, 1.0), random_state=0)


@pytest.fixture(scope="module")
def ethanol():
    sample = load_ethanol_xtb_sample()
    return sample.data, sample.target, sample.forces


def test_zero_force_weight_is_the_energy_only_fit(ethanol):
    X, y, forces = ethanol
    energy_only = SparseAtomKernelRidge(60, **PARAMS).fit(X[:20], y[:20])
    weightless = SparseAtomKernelRidge(60, force_weight=0.0, **PARAMS).fit(
        X[:20], y[:20], forces=forces[:20]
    )
    np.testing.assert_array_equal(weightless.dual_coef_, energy_only.dual_coef_)
    weighted = SparseAtomKernelRidge(60, force_weight=1.0, **PARAMS).fit(
        X[:20], y[:20], forces=forces[:20]
    )
    assert not np.allclose(weighted.dual_coef_, energy_only.dual_coef_)


def _nystroem_features(model, X):
    """``Φ = K_nm T`` of molecules and its width, from the model's representatives."""
    params = {k: getattr(model, k) for k in ("sigma", "J", "L", "channels")}
    fields = atom_fields(X, sigma_0=model.sigma_0, **params)
    atoms = (
        scaled_logs(fields.fields, model.offset_, model.scale_),
        fields.molecule,
        fields.numbers,
        len(X),
    )
    representatives = model._training_atoms
    maps = element_nystroem_maps(representatives, model.widths_)
    features = nystroem_features(atoms, representatives, maps, model.widths_)
    return features, n_features(maps)


def test_equals_a_dense_solve_with_force_rows_by_finite_differences(ethanol):
    # The force rows Ψ = -∂Φ/∂r by five-point differences of the Nyström features,
    # stacked under the energy rows, solved densely: the same coefficients.
    X, y, forces = ethanol
    X, y, forces = X[:8], y[:8], forces[:8]
    # A ridge that keeps the system well conditioned: the comparison is of solvers.
    weight, alpha = 0.3, 1e-2
    model = SparseAtomKernelRidge(40, alpha=alpha, force_weight=weight, **PARAMS).fit(
        X, y, forces=forces
    )
    features, rank = _nystroem_features(model, X)
    step = 2e-4
    stencil = np.array([-1.0, 8.0, -8.0, 1.0]) / (12 * step)
    moved = []
    for row in X:
        for atom in range(row.shape[0]):
            for axis in range(3):
                for multiple in (2, 1, -1, -2):
                    shifted = row.copy()
                    shifted[atom, 1 + axis] += multiple * step
                    moved.append(shifted)
    shifted_features, _ = _nystroem_features(model, np.array(moved))
    rows = -(shifted_features.reshape(-1, 4, rank) * stencil[:, None]).sum(1)
    residual = y - (
        np.array([[np.sum(r[:, 0] == z) for z in model.elements_] for r in X])
        @ model.dressed_atoms_
    )
    gram = features.T @ features + weight * rows.T @ rows + alpha * np.eye(rank)
    moment = (
        features.T @ (residual - model.intercept_) + weight * rows.T @ forces.ravel()
    )
    solution = np.linalg.solve(gram, moment)
    # The fitted energies and forces (well conditioned, unlike T β itself).
    energies, predicted_forces = model.predict_energy_forces(X)
    expected_energies = residual - (residual - model.intercept_) + features @ solution
    np.testing.assert_allclose(
        energies - y, expected_energies - residual, atol=1e-6 * np.ptp(y)
    )
    np.testing.assert_allclose(
        np.concatenate(predicted_forces).ravel(),
        rows @ solution,
        atol=1e-6 * np.abs(forces).max(),
    )


def test_reproduces_a_force_field_that_the_model_can_represent(ethanol):
    # The synthetic force field is the model's own family: random coefficients in
    # the span of its Nyström map. 40 energies cannot pin down its 60 coefficients
    # (one per representative kept by the elements' pivoted Cholesky factors);
    # their 1,080 force components can, and the fit on forces recovers the field on
    # configurations it never saw, where the energy-only fit is off by orders of
    # magnitude more (how much depends on the random field). (The energy
    # rows are not exactly representable, as the intercept takes their mean; a large
    # force weight makes them negligible.)
    X, y, _ = ethanol
    train, held = X[:40], X[40:]
    truth = SparseAtomKernelRidge(60, **PARAMS).fit(train, y[:40])
    representatives = truth._training_atoms
    maps = element_nystroem_maps(representatives, truth.widths_)
    truth.dual_coef_ = apply_map(
        maps, np.random.default_rng(0).normal(size=n_features(maps)), representatives[3]
    )
    energies, forces = truth.predict_energy_forces(train)
    reference = np.concatenate(truth.predict_forces(held))
    errors = {}
    for weight in (0.0, 1e11):
        model = SparseAtomKernelRidge(
            60, alpha=1e-12, force_weight=weight, **PARAMS
        ).fit(train, energies, forces=forces)
        predicted = np.concatenate(model.predict_forces(held))
        errors[weight] = np.abs(predicted - reference).max() / np.abs(reference).max()
    assert errors[1e11] < 1e-4
    assert errors[0.0] > 1e3 * errors[1e11]


def test_padded_forces_and_bad_forces(ethanol):
    X, y, forces = ethanol
    padded = np.concatenate([X[:6], np.zeros((6, 2, 4))], axis=1)
    padded_forces = np.concatenate([forces[:6], np.full((6, 2, 3), 9.0)], axis=1)
    a = SparseAtomKernelRidge(30, **PARAMS).fit(X[:6], y[:6], forces=forces[:6])
    b = SparseAtomKernelRidge(30, **PARAMS).fit(padded, y[:6], forces=padded_forces)
    np.testing.assert_allclose(a.dual_coef_, b.dual_coef_, rtol=1e-10)
    model = SparseAtomKernelRidge(30, **PARAMS)
    with pytest.raises(ValueError, match="one array per molecule"):
        model.fit(X[:6], y[:6], forces=forces[:5])
    with pytest.raises(
        ValueError, match=r"molecule 2: forces must have shape \(9, 3\)"
    ):
        model.fit(
            X[:6],
            y[:6],
            forces=[f if i != 2 else f[:8] for i, f in enumerate(forces[:6])],
        )
    bad = forces[:6].copy()
    bad[4, 0, 0] = np.nan
    with pytest.raises(ValueError, match="molecule 4: its forces are not all finite"):
        model.fit(X[:6], y[:6], forces=bad)
    with pytest.raises(ValueError, match="force_weight"):
        SparseAtomKernelRidge(force_weight=-1.0).fit(X[:6], y[:6], forces=forces[:6])
