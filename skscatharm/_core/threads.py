"""How many threads in-process work may use: the cores that are free right now.

Threads that wait for a core held by another process spin and slow everyone down, so
the transform does not take every core of a busy machine. The budget is the number
of CPUs this process may run on, less the tasks of other processes that are runnable
now (Linux's ``/proc/loadavg``, the least of a few readings), and never more than
a BLAS limit in force (``threadpoolctl.threadpool_limits``, as joblib sets in its
worker processes).
"""

import os
import time
from pathlib import Path

from threadpoolctl import threadpool_info


def usable_cpus():
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def runnable_tasks(path="/proc/loadavg"):
    """Tasks runnable on the machine now, this one included, or None if unknown."""
    try:
        return int(Path(path).read_text().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return None


#: Readings of the runnable tasks, :data:`SAMPLE_SECONDS` apart, whose least counts:
#: a process that holds a core is runnable at every reading, where a task that
#: wakes for a moment (a thread of this process, a worker winding down after a
#: run) is caught by one reading in a hundred, and must not cost a core.
SAMPLES = 3
SAMPLE_SECONDS = 0.001


def least_runnable_tasks():
    """The least of :data:`SAMPLES` readings of :func:`runnable_tasks`, or None."""
    readings = []
    for sample in range(SAMPLES):
        if sample:
            time.sleep(SAMPLE_SECONDS)
        readings.append(runnable_tasks())
    known = [r for r in readings if r is not None]
    return min(known) if known else None


def thread_budget():
    """Threads for in-process work: free cores, at least 1, at most the BLAS limit.

    Returns
    -------
    n_threads : int
    """
    budget = usable_cpus()
    running = least_runnable_tasks()
    if running is not None:
        # The task reading /proc/loadavg is this one: the others hold cores.
        budget -= max(0, running - 1)
    limits = [
        info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"
    ]
    if limits:
        budget = min(budget, *limits)
    return max(1, budget)
