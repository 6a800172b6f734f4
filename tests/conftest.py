"""Shared fixtures: real molecules from the samples that ship with the package."""

import numpy as np
import pytest
from _strict_xp import strict_backend
from threadpoolctl import threadpool_limits

from skscatharm._core.backend import substitute_cupy
from skscatharm.datasets import load_qm7_sample, load_qm9_sample


def pytest_addoption(parser):
    parser.addoption(
        "--strict-backend",
        action="store_true",
        help=(
            "run with the strict CuPy stand-in (tests/_strict_xp.py) as the 'cupy' "
            "backend, which backend='auto' then selects; with -m gpu, runs the GPU "
            "tests on it"
        ),
    )


@pytest.fixture(scope="session", autouse=True)
def strict_cupy_backend(request):
    """Under ``--strict-backend``, the stand-in is "cupy" (and "auto") for the run.

    Every transform that would pick CuPy on a GPU machine then takes the GPU code
    path (its batches, its out-of-memory retry, the CuPy branches of the backend)
    with an array module that refuses NumPy calls, implicit conversions and mixed
    arrays. Worker processes (``n_jobs``) and subprocesses do not see it; the GPU
    path runs in the main process anyway.
    """
    if not request.config.getoption("--strict-backend"):
        yield None
        return
    with substitute_cupy(strict_backend()) as backend:
        yield backend


def _unpad(row):
    real = row[:, 0] > 0
    return row[real, 0].astype(int), row[real, 1:]


@pytest.fixture(scope="session", autouse=True)
def one_blas_thread():
    """Hold BLAS to one thread for the whole run.

    The tests' arrays are small, and BLAS threads that wait for a busy core spin:
    on two cores shared with other work, two BLAS threads made the in-process
    transforms several times slower. No test depends on the thread count (the
    worker processes of ``n_jobs`` use one BLAS thread anyway).
    """
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def qm7():
    """The shipped QM7 sample as a padded array and targets."""
    return load_qm7_sample(return_X_y=True)


@pytest.fixture(scope="session")
def qm9():
    """The shipped QM9 sample as a padded array and targets."""
    return load_qm9_sample(return_X_y=True)


@pytest.fixture(scope="session")
def molecules(qm7, qm9):
    """A few (Z, R) pairs: QM7 molecules with S, the largest QM7 and QM9 ones."""
    X7, X9 = qm7[0], qm9[0]
    n7, n9 = (X7[:, :, 0] > 0).sum(1), (X9[:, :, 0] > 0).sum(1)
    with_sulfur = int(np.flatnonzero((X7[:, :, 0] == 16).any(1))[0])
    chosen = [
        _unpad(X7[with_sulfur]),
        _unpad(X7[int(np.argmax(n7))]),
        _unpad(X9[int(np.argmax(n9))]),
        _unpad(X9[int(np.argmin(n9))]),
    ]
    return chosen


@pytest.fixture(scope="session")
def q_sweep(qm7):
    """A grid search over ``Q`` whose best candidate is known.

    The target of 12 molecules is their own q=2 zeroth-order coefficient. With one
    column per power (the full channel, zeroth order), only ``Q=(2.0,)`` hands the
    ridge the target itself; the columns of the other powers are correlated with it
    but far from collinear, so their cross-validated R² stays well below 1.
    """
    from skscatharm import SolidHarmonicScattering

    computed_Q = (0.5, 1.0, 2.0, 3.0)
    params = dict(sigma=0.5, oversampling=2.0, max_order=0, channels=("full",))
    X = qm7[0][:12]
    coefficients = SolidHarmonicScattering(Q=computed_Q, **params).fit_transform(X)
    return dict(
        X=X,
        y=coefficients[:, computed_Q.index(2.0)],
        params=params,
        computed_Q=computed_Q,
        # The right answer last: a selection that ignored Q would pick the first.
        grid={"powers__Q": [(0.5,), (3.0,), (2.0,)], "ridge__alpha": [1e-6, 1e-3]},
        best_Q=(2.0,),
    )


def pytest_collection_modifyitems(config, items):
    """Skip GPU tests when no CUDA device is usable (and no stand-in replaces it)."""
    from skscatharm._core.backend import cupy_available

    if cupy_available() or config.getoption("--strict-backend"):
        return
    skip = pytest.mark.skip(reason="needs CuPy and a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
