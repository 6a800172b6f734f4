"""The first layer's slabs of grid planes change its memory and speed, never its values."""

import numpy as np
import pytest

from skscatharm._core import first_layer
from skscatharm._core.backend import get_backend
from skscatharm._core.channels import channel_weights, resolve_channels
from skscatharm._core.first_layer import first_layer_squared_moduli
from skscatharm._core.geometry import BatchGeometry, grid_for
from skscatharm._core.plan import ScatteringPlan, oversampling_setting


@pytest.fixture
def field_inputs():
    rng = np.random.default_rng(3)
    Z = np.array([6, 8, 7, 1, 1])
    R = rng.normal(scale=1.2, size=(5, 3))
    weights = channel_weights(resolve_channels(("full", "valence")), Z, 0)
    geometry = BatchGeometry(R[None], weights[None], R.min(0)[None], R.max(0)[None])
    plan = ScatteringPlan(
        sigma=0.2262,
        sigma_0=0.2262,
        J=1,
        L=3,
        Q=(0.5, 1.0),
        max_order=2,
        tail_tolerance=1e-4,
        **oversampling_setting("auto"),
    )
    group = plan.degree_groups[0]
    grid = grid_for(geometry, *plan.first_layer_grid(0, group))
    width = plan.first_layer_widths[0]
    return geometry, grid, width, (0, 1, 2, 3), (1.0, 0.7, 0.5, 0.3)


def squared_moduli_with_slab(monkeypatch, field_inputs, values):
    monkeypatch.setattr(first_layer, "CPU_SLAB_VALUES", values)
    return first_layer_squared_moduli(get_backend("numpy"), *field_inputs, np.float64)


def test_slab_size_does_not_change_the_fields(monkeypatch, field_inputs):
    geometry, grid, *_ = field_inputs
    nx, ny, nz = grid.shape
    monomials = sum((d + 1) * (d + 2) // 2 for d in (0, 1, 2, 3))
    per_plane = monomials * ny * geometry.weights.shape[1] * nz
    whole = squared_moduli_with_slab(monkeypatch, field_inputs, 10 * nx * per_plane)
    # One plane at a time, and three planes with a shorter last slab.
    assert nx % 3
    for values in (1, 3 * per_plane):
        sliced = squared_moduli_with_slab(monkeypatch, field_inputs, values)
        np.testing.assert_allclose(sliced, whole, rtol=1e-13, atol=0)
    # The fields are not trivially zero, and every plane was written.
    assert np.all(np.isfinite(whole)) and whole.max() > 0
    assert np.all(whole.max(axis=(0, 2, 3, 4, 5)) > 0)
