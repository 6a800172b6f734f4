"""The CuPy backend is the same algorithm as NumPy (run with: pytest -m gpu)."""

import pickle

import numpy as np
import pytest

from skscatharm import SolidHarmonicScattering

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-9), ("float32", 1e-4)])
def test_numpy_and_cupy_backends_agree(qm7, qm9, dtype, rtol):
    X = [*qm7[0][:3], *qm9[0][:2]]
    X = np.stack([np.pad(x, ((0, 29 - len(x)), (0, 0))) for x in X])
    # The same batches on both, so that only the backend differs (the batch
    # changes a molecule's coefficients only by rounding: tests/test_batches.py).
    cpu = SolidHarmonicScattering(backend="numpy", dtype=dtype, batch_size=3)
    cpu = cpu.fit_transform(X)
    gpu = SolidHarmonicScattering(backend="cupy", dtype=dtype, batch_size=3)
    values = gpu.fit_transform(X)
    assert isinstance(values, np.ndarray)
    names = gpu.get_feature_names_out()
    # float32 rounding noise raised to q < 1 is larger (documented): compare q >= 1.
    keep = np.array([dtype == "float64" or not n.endswith("_q0.5") for n in names])
    np.testing.assert_allclose(values[:, keep], cpu[:, keep], rtol=rtol)


def test_zeroth_order_closed_form_agrees_between_backends(qm7):
    """Powers 1 and 2 only: S0 in closed form (pairwise sums), no grid."""
    X = qm7[0][:4]
    params = dict(Q=(1.0, 2.0), max_order=0)
    cpu = SolidHarmonicScattering(backend="numpy", **params).fit_transform(X)
    gpu = SolidHarmonicScattering(backend="cupy", **params).fit_transform(X)
    np.testing.assert_allclose(gpu, cpu, rtol=1e-12)


def test_fitted_gpu_transformer_holds_no_gpu_arrays(qm7):
    transform = SolidHarmonicScattering(backend="cupy").fit(qm7[0][:2])
    restored = pickle.loads(pickle.dumps(transform))
    for value in vars(restored).values():
        assert type(value).__module__.split(".")[0] != "cupy"
    np.testing.assert_allclose(
        restored.set_params(backend="numpy").transform(qm7[0][:1]),
        transform.transform(qm7[0][:1]),
        rtol=1e-9,
    )
