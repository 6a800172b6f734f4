"""A molecule's coefficients do not depend on the molecules that share its batch."""

import numpy as np

from skscatharm import SolidHarmonicScattering
from skscatharm._core.dispatch import _batches
from skscatharm._core.geometry import principal_axes_positions
from skscatharm._core.molecules import as_molecules
from skscatharm._core.second_layer import pair_lattices

PARAMS = dict(sigma=0.5, J=2, L=2, oversampling=2.0)


def test_a_molecules_coefficients_do_not_depend_on_its_batch(qm7, qm9):
    """Batched with others (as on a GPU), a molecule gets its own grids' sums and
    its own second-layer lattices: the coefficients it has alone, to rounding."""
    qm7_padded = np.pad(
        qm7[0][:12], ((0, 0), (0, qm9[0].shape[1] - qm7[0].shape[1]), (0, 0))
    )
    X = np.concatenate([qm7_padded, qm9[0][:12]])
    alone = SolidHarmonicScattering(**PARAMS).fit_transform(X)
    for batch_size in (3, len(X)):
        batched = SolidHarmonicScattering(batch_size=batch_size, **PARAMS)
        np.testing.assert_allclose(batched.fit_transform(X), alone, rtol=1e-12, atol=0)


def test_batches_hold_molecules_of_one_lattice(qm9):
    """Molecules share a batch only where their second-layer lattices agree."""
    plan = SolidHarmonicScattering(**PARAMS)._plan()
    positions = [principal_axes_positions(m.positions) for m in as_molecules(qm9[0])]
    sizes = np.array([np.ptp(p, axis=0) for p in positions])
    batches = _batches(plan, sizes, np.lexsort(sizes.T[::-1]), 5)
    assert sorted(np.concatenate(batches)) == list(range(len(sizes)))
    assert max(len(b) for b in batches) == 5
    for batch in batches:
        assert len({pair_lattices(plan, sizes[i]) for i in batch}) == 1
