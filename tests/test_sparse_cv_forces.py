"""SparseAtomKernelRidgeCV on energies and forces: the force weight chosen too."""

import numpy as np
import pytest
from sklearn.model_selection import PredefinedSplit

from skscatharm import SparseAtomKernelRidge, SparseAtomKernelRidgeCV
from skscatharm.datasets import load_ethanol_xtb_sample

PARAMS = dict(J=1, L=2, random_state=0)


@pytest.fixture(scope="module")
def ethanol():
    sample = load_ethanol_xtb_sample()
    return sample.data, sample.target, np.asarray(sample.forces)


def test_held_out_errors_are_those_of_the_model_fit_on_the_other_molecules(ethanol):
    # Held-out molecules that are copies of the training ones leave the descriptors'
    # scaling and the dressed atoms as they are (medians and spreads of duplicated
    # atoms are unchanged), so every candidate's held-out errors are exactly the
    # errors of SparseAtomKernelRidge fit on the training half with that candidate
    # (every atom representative: no draw). The search solves by an
    # eigendecomposition, the model by a Cholesky factorisation: ridges that keep
    # the force-weighted system well conditioned let them agree closely.
    X, y, forces = ethanol
    X, y, forces = X[:12], y[:12], forces[:12]
    doubled = np.concatenate([X, X])
    fold = np.r_[np.full(12, -1), np.zeros(12, dtype=int)]
    widths, force_weights, alphas = (0.5, 1.0), (0.0, 0.3, 3.0), (1e-3, 1e-2)
    search = SparseAtomKernelRidgeCV(
        n_representatives=10_000,
        widths=widths,
        alphas=alphas,
        force_weights=force_weights,
        cv=PredefinedSplit(fold),
        **PARAMS,
    ).fit(doubled, np.concatenate([y, y]), forces=np.concatenate([forces, forces]))
    assert search.cv_force_errors_.shape == (2, 3, 2)
    for i, width in enumerate(widths):
        for j, force_weight in enumerate(force_weights):
            for k, alpha in enumerate(alphas):
                model = SparseAtomKernelRidge(
                    10_000,
                    width=width,
                    alpha=alpha,
                    force_weight=force_weight,
                    **PARAMS,
                ).fit(X, y, forces=forces)
                energies, predicted = model.predict_energy_forces(X)
                np.testing.assert_allclose(
                    search.cv_energy_errors_[i, j, k],
                    np.abs(energies - y).mean(),
                    rtol=2e-5,
                )
                np.testing.assert_allclose(
                    search.cv_force_errors_[i, j, k],
                    np.abs(np.array(predicted) - forces).mean(),
                    rtol=2e-5,
                )


def test_the_choice_follows_score_on(ethanol):
    X, y, forces = ethanol
    X, y, forces = X[:30], y[:30], forces[:30]
    common = dict(
        n_representatives=80,
        widths=(0.5, 1.0),
        alphas=(1e-6, 1e-4, 1e-2),
        force_weights=(0.0, 0.1, 1.0),
        cv=3,
        **PARAMS,
    )
    on_forces = SparseAtomKernelRidgeCV(**common).fit(X, y, forces=forces)
    on_energies = SparseAtomKernelRidgeCV(score_on="energies", **common).fit(
        X, y, forces=forces
    )
    np.testing.assert_array_equal(on_forces.cv_errors_, on_forces.cv_force_errors_)
    np.testing.assert_array_equal(on_energies.cv_errors_, on_energies.cv_energy_errors_)
    np.testing.assert_array_equal(
        on_forces.cv_force_errors_, on_energies.cv_force_errors_
    )
    for search, errors in (
        (on_forces, on_forces.cv_force_errors_),
        (on_energies, on_energies.cv_energy_errors_),
    ):
        i, j, k = np.unravel_index(np.argmin(errors), errors.shape)
        assert search.width_ == common["widths"][i]
        assert search.force_weight_ == common["force_weights"][j]
        assert search.alpha_ == common["alphas"][k]
    # Training on forces is what lowers the held-out force error here.
    assert on_forces.force_weight_ > 0
    assert (
        on_forces.cv_force_errors_[:, 1:].min() < on_forces.cv_force_errors_[:, 0].min()
    )


def test_errors_are_in_the_target_s_units(ethanol):
    # Scaling energies and forces by 1,000 (eV to meV) scales every error by 1,000.
    X, y, forces = ethanol
    X, y, forces = X[:20], y[:20], forces[:20]
    common = dict(
        n_representatives=60, widths=(1.0,), alphas=(1e-4,), force_weights=(1.0,), cv=2
    )
    base = SparseAtomKernelRidgeCV(**common, **PARAMS).fit(X, y, forces=forces)
    # The ridge acts on the fitted scale, which follows the target's power of 2:
    # 1024, not 1000, keeps every candidate the same problem.
    scaled = SparseAtomKernelRidgeCV(**common, **PARAMS).fit(
        X, 1024 * y, forces=1024 * forces
    )
    for name in ("cv_errors_", "cv_energy_errors_", "cv_force_errors_"):
        np.testing.assert_allclose(
            getattr(scaled, name), 1024 * getattr(base, name), rtol=1e-9
        )


def test_without_forces_nothing_changes(ethanol):
    X, y, _ = ethanol
    common = dict(n_representatives=60, widths=(0.5, 1.0), alphas=(1e-4, 1e-2), cv=2)
    search = SparseAtomKernelRidgeCV(force_weights=(5.0,), **common, **PARAMS).fit(
        X[:20], y[:20]
    )
    assert search.cv_errors_.shape == (2, 2)
    assert search.force_weight_ is None
    assert not hasattr(search, "cv_force_errors_")


@pytest.mark.parametrize("bad", [(), (-1.0,), (np.nan,)])
def test_bad_force_weights_are_refused(ethanol, bad):
    X, y, forces = ethanol
    search = SparseAtomKernelRidgeCV(
        n_representatives=20, widths=(1.0,), force_weights=bad, cv=2, **PARAMS
    )
    with pytest.raises(ValueError, match="force_weights"):
        search.fit(X[:6], y[:6], forces=forces[:6])
