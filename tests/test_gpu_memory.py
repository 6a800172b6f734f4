"""Memory planned before allocating: the stage-by-stage count, GPU batches, size guard."""

import time
import tracemalloc

import numpy as np
import pytest
from _strict_xp import strict_backend
from sklearn.utils._param_validation import InvalidParameterError

from skscatharm import SolidHarmonicScattering
from skscatharm._core import dispatch
from skscatharm._core.backend import get_backend
from skscatharm._core.budget import batch_bytes
from skscatharm._core.channels import channel_weights, resolve_channels
from skscatharm._core.geometry import pad_batch, principal_axes_positions
from skscatharm._core.molecules import as_molecules
from skscatharm._core.scattering import scatter_batch

CHEAP = dict(sigma=0.5, J=1, L=2, oversampling=2.0)


def batch_of(X, **params):
    """The plan, the padded batch and the count's arguments for molecules ``X``."""
    transform = SolidHarmonicScattering(**params)
    plan = transform._plan()
    channels = resolve_channels(transform.channels)
    molecules = as_molecules(X)
    geometry = pad_batch(
        [principal_axes_positions(m.positions) for m in molecules],
        [channel_weights(channels, m.numbers, i) for i, m in enumerate(molecules)],
    )
    extent = (geometry.upper - geometry.lower).max(axis=0)
    shape = (extent, geometry.positions.shape[1], len(channels), len(molecules))
    return plan, geometry, shape


def traced_peak(backend, plan, geometry, dtype):
    """Peak bytes that tracemalloc traces during one batch (NumPy reports its arrays).

    A first run fills the per-process caches (wavelet spectra, harmonics), which
    are host memory that a batch does not allocate again.
    """
    scatter_batch(backend, plan, geometry, dtype)
    tracemalloc.start()
    try:
        scatter_batch(backend, plan, geometry, dtype)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def by_atoms(X):
    """Rows of ``X`` from the most atoms to the fewest."""
    return X[np.argsort(-(X[:, :, 0] > 0).sum(1), kind="stable")]


#: Each stage leads in one: the second layer (QM9's largest molecule and a float32
#: batch), the first layer (no second order; its slabs lead on this small grid) and
#: the density grid (S0). Rows of the molecules sorted by atom count.
CASES = {
    "qm9 largest, oversampling 2": ("qm9", 0, 1, dict(oversampling=2.0), "float64"),
    "qm7 batch of 3, float32": ("qm7", 0, 3, CHEAP, "float32"),
    "first layer, q = 1.5": ("qm7", 3, 5, dict(CHEAP, Q=(1.5,), max_order=1), "f8"),
    "density only": ("qm7", 5, 6, dict(max_order=0), "float64"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_count_matches_the_traced_peak_of_the_numpy_path(qm7, qm9, case):
    name, start, stop, params, dtype = CASES[case]
    X = by_atoms((qm7 if name == "qm7" else qm9)[0])[start:stop]
    plan, geometry, shape = batch_of(X, **params)
    dtype = np.dtype(dtype)
    counted = batch_bytes(plan, *shape, dtype.itemsize)
    traced = traced_peak(get_backend("numpy", workers=1), plan, geometry, dtype)
    assert 0.8 < counted / traced < 1.2, (counted, traced)


@pytest.mark.parametrize("case", ["qm7 batch of 3, float32", "first layer, q = 1.5"])
def test_device_count_matches_the_stand_in_peak(qm7, case):
    # The stand-in copies to the device what CuPy copies (host arrays, the inverse
    # FFT's input), so its peak is the device's as far as the arrays go.
    _, start, stop, params, dtype = CASES[case]
    plan, geometry, shape = batch_of(by_atoms(qm7[0])[start:stop], **params)
    backend = strict_backend()
    scatter_batch(backend, plan, geometry, np.dtype(dtype))
    counted = batch_bytes(plan, *shape, np.dtype(dtype).itemsize, device=True)
    assert 0.8 < counted / backend.xp.peak_bytes < 1.2


def test_auto_batch_is_the_largest_within_the_gpu_budget(qm9, monkeypatch):
    X = qm9[0][:40]
    plan, _, (_, n_atoms, n_channels, _) = batch_of(X[:1], oversampling=2.0)
    sizes = np.array([np.ptp(m.positions, axis=0) for m in as_molecules(X)])
    atoms = [len(m.numbers) for m in as_molecules(X)]
    extent = sizes.max(axis=0)

    def peak(n):
        return batch_bytes(plan, extent, max(atoms), n_channels, n, 8, device=True)

    budget = 5.5 * peak(1)
    monkeypatch.setattr(dispatch, "GPU_BATCH_BYTES", budget)
    size = dispatch.batch_size_for("auto", "cupy", plan, sizes, atoms, 3, np.float64)
    assert peak(size) <= budget < peak(size + 1)
    assert dispatch.batch_size_for("auto", "numpy", plan, sizes, atoms, 3, "f8") == 1
    assert dispatch.batch_size_for(7, "cupy", plan, sizes, atoms, 3, "f8") == 7


def test_out_of_memory_is_recognised_by_class_name():
    class OutOfMemoryError(MemoryError):  # as cupy.cuda.memory.OutOfMemoryError
        pass

    class Subclass(OutOfMemoryError):
        pass

    assert dispatch.is_out_of_memory(OutOfMemoryError("device"))
    assert dispatch.is_out_of_memory(Subclass("device"))
    assert not dispatch.is_out_of_memory(MemoryError("host"))
    assert not dispatch.is_out_of_memory(ValueError("OutOfMemoryError"))


def far_apart(distance, axes=1):
    positions = np.zeros((4, 3))
    for axis in range(axes):
        positions[axis + 1, axis] = distance
    return np.array([1, 1, 1, 1]), positions


@pytest.mark.parametrize("axes", [1, 3])
def test_a_molecule_too_large_to_grid_is_refused_before_allocating(qm7, axes):
    water = (np.array([8, 1, 1]), np.array([[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]]))
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"molecule 1 spans .*e\+04.* Å") as error:
        SolidHarmonicScattering(backend="numpy").fit_transform(
            [water, far_apart(1e4, axes)]
        )
    assert time.perf_counter() - start < 0.5
    assert "max_grid_bytes" in str(error.value)


def test_the_guard_uses_the_count_of_the_molecule(qm7):
    X = qm7[0][:1]
    plan, _, shape = batch_of(X, **CHEAP)
    needed = batch_bytes(plan, *shape, 8)
    SolidHarmonicScattering(max_grid_bytes=1.01 * needed, **CHEAP).fit_transform(X)
    with pytest.raises(ValueError, match="molecule 0 spans"):
        SolidHarmonicScattering(max_grid_bytes=0.99 * needed, **CHEAP).fit_transform(X)
    SolidHarmonicScattering(max_grid_bytes=None, **CHEAP).fit_transform(X)
    with pytest.raises(InvalidParameterError, match="max_grid_bytes"):
        SolidHarmonicScattering(max_grid_bytes=-1).fit_transform(X)


def test_the_default_limit_admits_the_shipped_samples(qm7, qm9):
    """The default setting with room, and a converged reference (oversampling 8,
    tail_tolerance 1e-12, as benchmarks/accuracy compares against) at all."""
    limit = SolidHarmonicScattering().max_grid_bytes
    converged = dict(oversampling=8.0, tail_tolerance=1e-12)
    for X in (qm7[0], qm9[0]):
        for molecule in as_molecules(by_atoms(X)[:1]):
            plan, _, shape = batch_of([(molecule.numbers, molecule.positions)])
            assert batch_bytes(plan, *shape, 8) < limit / 4
            plan, _, shape = batch_of(
                [(molecule.numbers, molecule.positions)], **converged
            )
            assert batch_bytes(plan, *shape, 8) < limit
