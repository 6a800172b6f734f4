"""The in-process thread budget: free cores only, within any BLAS limit in force."""

import numpy as np
from threadpoolctl import threadpool_limits

from skscatharm import SolidHarmonicScattering
from skscatharm._core import dispatch, threads


def test_runnable_tasks_reads_the_running_field(tmp_path):
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("2.53 1.41 1.23 7/137 7621\n")
    assert threads.runnable_tasks(loadavg) == 7
    loadavg.write_text("garbage")
    assert threads.runnable_tasks(loadavg) is None
    assert threads.runnable_tasks(tmp_path / "missing") is None


def test_budget_leaves_the_cores_other_processes_hold(monkeypatch):
    monkeypatch.setattr(threads, "usable_cpus", lambda: 8)
    monkeypatch.setattr(threads, "runnable_tasks", lambda: 1)  # only this one
    with threadpool_limits(limits=8):
        assert threads.thread_budget() == 8
    monkeypatch.setattr(threads, "runnable_tasks", lambda: 4)  # three others
    with threadpool_limits(limits=8):
        assert threads.thread_budget() == 5
    monkeypatch.setattr(threads, "runnable_tasks", lambda: 30)  # saturated
    assert threads.thread_budget() == 1
    monkeypatch.setattr(threads, "runnable_tasks", lambda: None)  # unknown
    with threadpool_limits(limits=8):
        assert threads.thread_budget() == 8


def test_budget_never_exceeds_a_blas_limit(monkeypatch):
    monkeypatch.setattr(threads, "usable_cpus", lambda: 8)
    monkeypatch.setattr(threads, "runnable_tasks", lambda: 1)
    with threadpool_limits(limits=3):
        assert threads.thread_budget() == 3


def test_transform_runs_its_ffts_on_the_budget(monkeypatch, qm7):
    """The in-process path hands the budget to the FFT and holds BLAS to it."""
    seen = []
    original = dispatch.get_backend

    def spy(name, workers=None):
        seen.append(workers)
        return original(name, workers=workers)

    monkeypatch.setattr(dispatch, "get_backend", spy)
    monkeypatch.setattr(dispatch, "thread_budget", lambda: 1)
    params = dict(J=1, L=1, Q=(1.0, 2.0), oversampling=2.0, n_jobs=1)
    values = SolidHarmonicScattering(**params).fit_transform(qm7[0][:2])
    assert seen[-1] == 1
    assert np.isfinite(values).all()
