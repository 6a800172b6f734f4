"""Every parallel loop runs on a Dask cluster through joblib's Dask backend.

A real ``distributed.LocalCluster`` on loopback (two worker processes of one thread
each), started and closed here: the results equal those of ``n_jobs=1`` to the last
bit, a worker killed in the middle of a run is replaced and the result is whole,
and a grid search over a pipeline runs on the cluster.
"""

import os
import signal
import threading
import time

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscatharm import (
    AtomKernelRidge,
    SolidHarmonicScattering,
    SparseAtomKernelRidge,
    atom_fields,
)
from skscatharm._atoms import fields, kernels, sparse
from skscatharm._core import dispatch

distributed = pytest.importorskip("distributed")

#: The NumPy backend, whose batches go through joblib: under --strict-backend,
#: "auto" resolves to the GPU stand-in, which computes in-process.
CHEAP = dict(sigma=0.5, J=1, L=1, oversampling=2.0, backend="numpy")
ATOMS = dict(J=1, L=1, width=1.0, alpha=1e-6)


@pytest.fixture(scope="module")
def client():
    """Two worker processes of one thread each, on loopback; closed after."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster, timeout=60)
    client.wait_for_workers(2, timeout=60)
    yield client
    client.close()
    cluster.close()


@pytest.fixture
def backends_used(monkeypatch):
    """The joblib backend of every parallel loop of the package, by class name."""
    used = []
    original = joblib.Parallel

    def recording(*args, **kwargs):
        parallel = original(*args, **kwargs)
        used.append(type(parallel._backend).__name__)
        return parallel

    for module in (dispatch, fields, kernels, sparse):
        monkeypatch.setattr(module, "Parallel", recording)
    return used


def test_the_transform_on_the_cluster_equals_one_process(client, qm7, backends_used):
    X = qm7[0][:8]
    expected = SolidHarmonicScattering(n_jobs=1, **CHEAP).fit_transform(X)
    with joblib.parallel_config(backend="dask"):
        values = SolidHarmonicScattering(**CHEAP).fit_transform(X)
    assert backends_used == ["DaskDistributedBackend"]
    np.testing.assert_array_equal(values, expected)


@pytest.mark.parametrize(
    "model",
    [
        AtomKernelRidge(**ATOMS),
        SparseAtomKernelRidge(n_representatives=40, random_state=0, **ATOMS),
    ],
    ids=lambda model: type(model).__name__,
)
def test_atom_kernel_fits_on_the_cluster_equal_one_process(
    client, qm7, model, backends_used, monkeypatch
):
    X, y = qm7[0][:24], qm7[1][:24]
    # Small blocks, so that each element's pairs are several blocks, molecules
    # are cut by block edges, and the sparse model's molecules are several blocks.
    monkeypatch.setattr(kernels, "BLOCK_DOUBLES", 2000)
    monkeypatch.setattr(sparse, "BLOCK_VALUES", 200)
    serial = clone(model).set_params(n_jobs=1).fit(X[:16], y[:16])
    backends_used.clear()
    with joblib.parallel_config(backend="dask"):
        spread = clone(model).fit(X[:16], y[:16])
        predicted = spread.predict(X[16:])
    assert set(backends_used) == {"DaskDistributedBackend"}
    assert len(backends_used) >= 3  # the fields, the kernel, the prediction's
    np.testing.assert_array_equal(predicted, serial.predict(X[16:]))
    np.testing.assert_array_equal(spread.predict(X[:16]), serial.predict(X[:16]))


def test_atom_fields_on_the_cluster_equal_one_process(client, qm7):
    X = qm7[0][:10]
    expected = atom_fields(X, J=1, L=1)
    with joblib.parallel_config(backend="dask"):
        spread = atom_fields(X, J=1, L=1)
    np.testing.assert_array_equal(spread.fields, expected.fields)


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_replaced_and_the_result_is_whole(client, qm7):
    X = qm7[0][:16]
    expected = SolidHarmonicScattering(n_jobs=1, **CHEAP).fit_transform(X)
    pids = client.run(os.getpid)
    killed = {}
    done = threading.Event()

    def kill_a_busy_worker():
        # Kill the first worker seen computing a task of the run, by its pid.
        deadline = time.monotonic() + 60
        while not done.is_set() and time.monotonic() < deadline:
            busy = [worker for worker, keys in client.processing().items() if keys]
            if busy:
                killed["pid"] = pids[busy[0]]
                killed["during_the_run"] = not done.is_set()
                os.kill(killed["pid"], signal.SIGKILL)
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    try:
        with joblib.parallel_config(backend="dask"):
            values = SolidHarmonicScattering(**CHEAP).fit_transform(X)
    finally:
        done.set()
        killer.join()
    assert killed.get("during_the_run"), "no worker was killed during the run"
    np.testing.assert_array_equal(values, expected)
    # The nanny started a new worker process in place of the killed one.
    client.wait_for_workers(2, timeout=60)
    deadline = time.monotonic() + 60
    while len(client.run(os.getpid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    new_pids = set(client.run(os.getpid).values())
    assert len(new_pids) == 2
    assert killed["pid"] not in new_pids


def test_a_grid_search_over_a_pipeline_runs_on_the_cluster(client, qm7):
    X, y = qm7[0][:10], qm7[1][:10]
    pipeline = make_pipeline(
        SolidHarmonicScattering(sigma=0.5, J=0, L=0, oversampling=2.0),
        StandardScaler(),
        Ridge(),
    )
    grid = {"ridge__alpha": [1e-3, 1.0]}
    expected = GridSearchCV(pipeline, grid, cv=2, n_jobs=1).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        search = GridSearchCV(pipeline, grid, cv=2).fit(X, y)
    assert search.best_params_ == expected.best_params_
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], expected.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(search.predict(X), expected.predict(X))


def test_the_command_featurizes_on_the_cluster(client, qm7, tmp_path, backends_used):
    from skscatharm.cli import main

    X = qm7[0][:6]
    path = tmp_path / "molecules.npz"
    np.savez(path, Z=X[:, :, 0].astype(np.int8), R=X[:, :, 1:])
    output = tmp_path / "features.npy"
    options = ["--sigma", "0.5", "--J", "1", "--L", "1", "--oversampling", "2"]
    options += ["--backend", "numpy"]
    address = client.scheduler.address
    status = main(
        ["featurize", str(path), "-o", str(output), "--scheduler", address, *options]
    )
    assert status == 0
    assert backends_used == ["DaskDistributedBackend"]
    expected = SolidHarmonicScattering(n_jobs=1, **CHEAP).fit_transform(X)
    np.testing.assert_array_equal(np.load(output), expected)
