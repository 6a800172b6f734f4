"""The in-process thread budget: free cores only, within any BLAS limit in force."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from skscatharm import SolidHarmonicScattering
from skscatharm._core import dispatch, threads

#: A cheap transform in this process on the NumPy backend, whose batches go to
#: threads (under --strict-backend, "auto" is the GPU stand-in, one thread).
IN_PROCESS = dict(J=1, L=1, Q=(1.0, 2.0), oversampling=2.0, n_jobs=1, backend="numpy")


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


def test_a_task_runnable_for_one_reading_does_not_cost_a_core(monkeypatch):
    monkeypatch.setattr(threads, "usable_cpus", lambda: 4)
    readings = iter([3, 1, 2, 3, 2, 2, None, None, None])
    monkeypatch.setattr(threads, "runnable_tasks", lambda: next(readings))
    with threadpool_limits(limits=8):
        assert threads.thread_budget() == 4  # a spike: 3, then 1 (this one alone)
        assert threads.thread_budget() == 3  # another process at every reading
        assert threads.thread_budget() == 4  # nothing known: every core


def test_budget_never_exceeds_a_blas_limit(monkeypatch):
    monkeypatch.setattr(threads, "usable_cpus", lambda: 8)
    monkeypatch.setattr(threads, "runnable_tasks", lambda: 1)
    with threadpool_limits(limits=3):
        assert threads.thread_budget() == 3


@pytest.mark.parametrize(
    ("budget", "n_molecules", "fft_workers"),
    [(1, 2, 1), (2, 1, 2), (2, 3, 1)],
    ids=["no free core", "one molecule", "molecules in threads"],
)
def test_transform_gives_the_budget_to_the_fft_of_a_lone_batch(
    monkeypatch, qm7, budget, n_molecules, fft_workers
):
    """One batch gets the budget's FFT (and BLAS) threads; threads over several
    batches get one each."""
    seen = []
    original = dispatch.get_backend

    def spy(name, workers=None):
        seen.append(workers)
        return original(name, workers=workers)

    monkeypatch.setattr(dispatch, "get_backend", spy)
    monkeypatch.setattr(dispatch, "thread_budget", lambda: budget)
    values = SolidHarmonicScattering(**IN_PROCESS).fit_transform(qm7[0][:n_molecules])
    assert seen[-1] == fft_workers
    assert np.isfinite(values).all()


def test_molecules_of_one_process_run_in_threads_one_blas_thread_each(monkeypatch, qm7):
    """With free cores, batches run at once in threads; the values do not change."""
    X = qm7[0][:5]
    monkeypatch.setattr(dispatch, "thread_budget", lambda: 1)
    serial = SolidHarmonicScattering(**IN_PROCESS).fit_transform(X)

    # The first two batches meet at a barrier: if they did not run at once, the
    # wait would time out and the transform fail.
    meeting = threading.Barrier(2, timeout=30)
    blas_threads, original = [], dispatch.scatter_batch

    def meeting_batch(*args, **kwargs):
        blas_threads.append(
            max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
        )
        if len(blas_threads) <= 2:
            meeting.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(dispatch, "scatter_batch", meeting_batch)
    monkeypatch.setattr(dispatch, "thread_budget", lambda: 2)
    threaded = SolidHarmonicScattering(**IN_PROCESS).fit_transform(X)
    assert len(blas_threads) == len(X) and set(blas_threads) == {1}
    np.testing.assert_array_equal(threaded, serial)


def test_an_error_in_a_thread_stops_the_run_and_reaches_the_caller(monkeypatch, qm7):
    X = qm7[0][:12]
    calls, original = [], dispatch.scatter_batch

    def failing_batch(*args, **kwargs):
        calls.append(None)
        if len(calls) == 1:
            raise RuntimeError("the first batch fails")
        time.sleep(0.05)
        return original(*args, **kwargs)

    monkeypatch.setattr(dispatch, "scatter_batch", failing_batch)
    monkeypatch.setattr(dispatch, "thread_budget", lambda: 2)
    with pytest.raises(RuntimeError, match="the first batch fails"):
        SolidHarmonicScattering(**IN_PROCESS).fit_transform(X)
    # The batches not started when the error came back were cancelled.
    assert len(calls) < len(X)


def test_threads_hold_a_few_batches_ahead_not_the_whole_run(monkeypatch, qm7):
    """A large run keeps few results in memory: submission follows completion."""
    outstanding, peak = [0], [0]
    lock = threading.Lock()

    class CountingPool(ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            with lock:
                outstanding[0] += 1
                peak[0] = max(peak[0], outstanding[0])
            future = super().submit(*args, **kwargs)

            def finished(_):
                with lock:
                    outstanding[0] -= 1

            future.add_done_callback(finished)
            return future

    monkeypatch.setattr(dispatch, "ThreadPoolExecutor", CountingPool)
    monkeypatch.setattr(dispatch, "thread_budget", lambda: 2)
    X = qm7[0][:12]
    SolidHarmonicScattering(**IN_PROCESS).fit_transform(X)
    assert outstanding[0] == 0
    assert peak[0] <= dispatch.BATCHES_IN_FLIGHT_PER_THREAD * 2 < len(X)
