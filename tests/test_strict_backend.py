"""The GPU code path on every machine: the transform with a strict CuPy stand-in.

``tests/_strict_xp.py`` refuses what CuPy refuses (implicit conversion to NumPy,
mixing with NumPy arrays) and also any NumPy function or ufunc called on its
arrays, so these tests fail if the core loses its array-module discipline. The
arithmetic is NumPy's, so the results must equal the NumPy backend's. The real
device still confirms CuPy's own calls (``pytest -m gpu``, benchmarks/gpu_check.sh).
"""

import pickle

import numpy as np
import pytest
from _strict_xp import OutOfMemoryError, StrictArray, StrictBackendError, strict_backend

from skscatharm import SolidHarmonicScattering
from skscatharm._core import dispatch
from skscatharm._core.backend import get_backend, substitute_cupy
from skscatharm._core.channels import channel_weights, resolve_channels
from skscatharm._core.first_layer import first_layer_squared_moduli
from skscatharm._core.geometry import BatchGeometry, Grid

#: Every stage of the transform at a low cost (two scales, degrees up to 2).
CHEAP = dict(sigma=0.5, J=1, L=2, oversampling=2.0)


@pytest.fixture
def strict():
    """The stand-in as "cupy" and "auto"; yields its array module."""
    with substitute_cupy(strict_backend()) as backend:
        yield backend.xp
    assert not backend.xp.numpy_calls, backend.xp.numpy_calls


@pytest.fixture(scope="module")
def X(qm7, qm9):
    """Five molecules of different sizes, padded to a common atom count."""
    rows = [*qm7[0][:3], *qm9[0][:2]]
    return np.stack([np.pad(x, ((0, 29 - len(x)), (0, 0))) for x in rows])


def numpy_and_strict(X, strict, **params):
    cpu = SolidHarmonicScattering(backend="numpy", **params).fit_transform(X)
    gpu = SolidHarmonicScattering(backend="cupy", **params).fit_transform(X)
    assert type(gpu) is np.ndarray and gpu.dtype == np.float64
    return cpu, gpu


def test_stand_in_refuses_what_the_core_must_not_do():
    # The guarantees the other tests rely on: each of these would pass on NumPy.
    xp = strict_backend().xp
    a = xp.asarray(np.ones((2, 3)))
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Unsupported type"):
        a + np.ones(3)
    with pytest.raises(TypeError, match="Unsupported type"):
        xp.matmul(a, np.ones((3, 2)))
    for call in (np.sqrt, np.stack, lambda v: np.ones(3) * v, np.sum):
        with pytest.raises(StrictBackendError):
            call(a)
    assert xp.numpy_calls == ["np.sqrt", "np.stack", "np.multiply", "np.sum"]
    # What CuPy allows: scalars, NumPy's included, and explicit transfers.
    assert isinstance(np.float64(2) * a + 1.0, StrictArray)
    np.testing.assert_array_equal(xp.asnumpy(a * 2), np.full((2, 3), 2.0))


def test_default_parameters_select_the_gpu_path_and_its_batches(X, strict):
    # backend="auto" and batch_size="auto" resolve to the GPU path: one batch here,
    # whose size came from the batch's per-axis box (this crashed on 2+ molecules).
    assert get_backend("auto").xp is strict
    params = dict(CHEAP, Q=(0.5, 2.0))
    values = SolidHarmonicScattering(**params).fit_transform(X)
    assert strict.peak_bytes > 0  # the transform ran on the stand-in
    cpu = SolidHarmonicScattering(backend="numpy", batch_size=len(X), **params)
    np.testing.assert_allclose(values, cpu.fit_transform(X), rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    "dtype, max_order",
    [("float64", 0), ("float64", 1), ("float64", 2), ("float32", 2)],
)
def test_every_order_and_precision_equals_numpy(X, strict, dtype, max_order):
    cpu, gpu = numpy_and_strict(
        X, strict, dtype=dtype, max_order=max_order, batch_size=3, **CHEAP
    )
    # The same operations on the same host arithmetic: equal to rounding.
    np.testing.assert_allclose(gpu, cpu, rtol=1e-12 if dtype == "float64" else 1e-6)


def test_closed_form_zeroth_order_equals_numpy(qm7, strict):
    # Powers 1 and 2 only: S0 from pairwise sums, no grid at all.
    cpu, gpu = numpy_and_strict(
        qm7[0][:4], strict, Q=(1.0, 2.0), max_order=0, batch_size=2
    )
    np.testing.assert_allclose(gpu, cpu, rtol=1e-12)
    assert strict.peak_bytes < 2**20


def test_field_evaluation_of_atom_fields_reference_equals_numpy(molecules, strict):
    # atom_fields is host-only (closed form at the atoms); its reference, the grid
    # field code on one-point grids, runs on either backend.
    Z, R = molecules[0]
    weights = channel_weights(resolve_channels(("full", "valence")), np.asarray(Z), 0)
    geometry = BatchGeometry(R[None], weights[None], R.min(0)[None], R.max(0)[None])
    grid = Grid.uniform(R[:1].copy(), (1, 1, 1), 0.1)
    args = (geometry, grid, 0.7, [0, 1, 2], [1.0, 0.5, 0.2])
    cpu = first_layer_squared_moduli(get_backend("numpy"), *args, np.float64)
    gpu = first_layer_squared_moduli(get_backend("cupy"), *args, np.float64)
    np.testing.assert_allclose(strict.asnumpy(gpu), cpu, rtol=1e-12)


def test_out_of_memory_halves_the_batch_and_retries(qm7):
    X = qm7[0][:8]
    params = dict(CHEAP, max_order=1, batch_size=4)
    peaks = {}
    for size in (2, 4):
        plain = strict_backend()
        with substitute_cupy(plain):
            transform = SolidHarmonicScattering(backend="cupy", **params)
            transform.set_params(batch_size=size).fit_transform(X)
        peaks[size] = plain.xp.peak_bytes
    # A device between the peaks of batches of 2 and 4.
    small = strict_backend(memory_limit=(peaks[2] + peaks[4]) // 2)
    with substitute_cupy(small):
        values = SolidHarmonicScattering(backend="cupy", **params).fit_transform(X)
    # The first batch of 4 failed once; the second was cut to 2 beforehand.
    assert small.xp.out_of_memory == 1
    assert small.xp.frees == 5  # after the failure and after each of 4 batches
    halves = SolidHarmonicScattering(backend="numpy", **dict(params, batch_size=2))
    np.testing.assert_allclose(values, halves.fit_transform(X), rtol=1e-12, atol=0)


def test_out_of_memory_on_one_molecule_raises(X):
    with substitute_cupy(strict_backend(memory_limit=10**5)):
        with pytest.raises(OutOfMemoryError):
            SolidHarmonicScattering(backend="cupy", **CHEAP).fit_transform(X[:2])


def test_other_errors_are_not_retried(X, monkeypatch):
    calls = []

    def failing(*args):
        calls.append(args)
        raise MemoryError("host memory")  # not a device out-of-memory error

    monkeypatch.setattr(dispatch, "scatter_batch", failing)
    with substitute_cupy(strict_backend()):
        with pytest.raises(MemoryError, match="host memory"):
            SolidHarmonicScattering(backend="cupy", batch_size=4).fit_transform(X)
    assert len(calls) == 1


def test_fitted_transformer_holds_no_device_arrays(qm7, strict):
    transform = SolidHarmonicScattering(backend="cupy", **CHEAP).fit(qm7[0][:2])
    restored = pickle.loads(pickle.dumps(transform))
    assert not any(isinstance(v, StrictArray) for v in vars(restored).values())
    np.testing.assert_allclose(
        restored.set_params(backend="numpy").transform(qm7[0][:1]),
        transform.transform(qm7[0][:1]),
        rtol=1e-12,
    )
