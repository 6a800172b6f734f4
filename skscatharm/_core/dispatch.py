"""From molecules to coefficients: cache look-ups, batches, processes, progress.

:func:`scattering_coefficients` is everything ``SolidHarmonicScattering.transform``
does once the parameters are checked: read back the molecules already in the cache,
grid the others in their principal axes, group molecules of similar boxes into
batches, spread the batches over processes (joblib), and store what was computed.
"""

from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import ExitStack
from itertools import islice

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from threadpoolctl import threadpool_limits

from .backend import get_backend
from .budget import batch_bytes, check_grid_bytes
from .cache import MoleculeCache
from .finite import check_finite_coefficients
from .geometry import pad_batch, principal_axes_positions
from .progress import progress_bar
from .scattering import scatter_batch
from .second_layer import pair_lattices
from .threads import thread_budget

#: Bytes one GPU batch may hold at its peak (all its work arrays, as counted by
#: :func:`~skscatharm._core.budget.batch_bytes`).
GPU_BATCH_BYTES = 2 * 1024**3


#: Most batches one worker task computes before its results come back.
CHUNK_BATCHES = 8

#: Batches submitted ahead per thread when one process computes them in threads.
BATCHES_IN_FLIGHT_PER_THREAD = 2


def batch_size_for(batch_size, backend_name, plan, sizes, n_atoms, n_channels, dtype):
    """Molecules per batch: ``batch_size``, or for ``"auto"`` 1 on the CPU and on a
    GPU the most that keep the batch's counted peak within :data:`GPU_BATCH_BYTES`
    (at least 1).

    ``sizes`` is ``(n_molecules, 3)``: batches are padded to the largest box on each
    axis and to the most atoms, so the count takes those.
    """
    if batch_size != "auto":
        return int(batch_size)
    if backend_name == "numpy":
        return 1
    extent = np.max(sizes, axis=0)

    def peak(n_batch):
        itemsize = np.dtype(dtype).itemsize
        return batch_bytes(
            plan, extent, max(n_atoms), n_channels, n_batch, itemsize, device=True
        )

    # The count grows with the batch: bisect for the largest batch that fits.
    low, high = 1, len(sizes)
    while low < high:
        middle = (low + high + 1) // 2
        if peak(middle) <= GPU_BATCH_BYTES:
            low = middle
        else:
            high = middle - 1
    return low


def _batches(plan, sizes, order, size):
    """Indices of each batch: up to ``size`` molecules of one second-layer lattice.

    A batch's molecules share a lattice per pair, so they are grouped by the
    lattices they would have alone (few shapes: ``next_fast_len`` sizes); with
    the first-layer points past each molecule's own grid left out, a molecule's
    coefficients are then those it has alone. Within a group, molecules keep
    ``order`` (similar boxes together, so padding costs little).
    """
    if size == 1:
        return [order[i : i + 1] for i in range(len(order))]
    groups = {}
    for index in order:
        groups.setdefault(pair_lattices(plan, sizes[index]), []).append(index)
    return [
        np.array(group[k : k + size])
        for group in groups.values()
        for k in range(0, len(group), size)
    ]


def is_out_of_memory(error):
    """Whether ``error`` is a device out-of-memory error (CuPy's, by class name).

    The name is matched so that CuPy need not be imported (and so that a stand-in
    can raise one); a NumPy ``MemoryError`` is not one: the CPU batches are single
    molecules, with nothing to split.
    """
    return any(cls.__name__ == "OutOfMemoryError" for cls in type(error).__mro__)


def _scatter_batches(backend_name, plan, dtype, batches, payload, workers):
    """Compute several batches in one (worker) process: list of
    ``(indices, (B, C, F) array)``."""
    backend = get_backend(backend_name, workers=workers)
    return list(_scatter_halving(backend, plan, dtype, batches, payload))


def _scatter_halving(backend, plan, dtype, batches, payload):
    """Compute ``batches`` in turn, yielding ``(indices, (B, C, F) array)``.

    A batch that runs out of device memory is split in halves, and the batches
    after it are cut to the halves' size, so that the run goes on at the size that
    fits instead of failing; a single molecule that does not fit raises.
    """
    pending = deque(zip(batches, payload, strict=True))
    largest = max(len(indices) for indices in batches)
    while pending:
        indices, (positions_list, weights_list) = pending.popleft()
        if len(indices) <= largest:
            result = None
            try:
                geometry = pad_batch(positions_list, weights_list)
                # An overflow is reported as a ValueError naming the molecule
                # (check_finite_coefficients), not as NumPy's warning beside a
                # wrong number.
                with np.errstate(over="ignore", invalid="ignore"):
                    result = scatter_batch(backend, plan, geometry, dtype)
            except Exception as error:
                if len(indices) == 1 or not is_out_of_memory(error):
                    raise
                largest = (len(indices) + 1) // 2
            # Cached device blocks go back after each batch (and after a failure,
            # out of the except block, whose error held the batch's arrays).
            backend.free_memory()
            if result is not None:
                yield indices, result
                continue
        parts = range(0, len(indices), largest)
        pending.extendleft(
            (
                indices[k : k + largest],
                (positions_list[k : k + largest], weights_list[k : k + largest]),
            )
            for k in reversed(parts)
        )


def _scatter_in_threads(backend_name, plan, dtype, batches, payload, threads, context):
    """Batches computed by ``threads`` threads of this process, as they finish.

    Yields ``(indices, (B, C, F) array)`` like :func:`_scatter_halving`. At most
    :data:`BATCHES_IN_FLIGHT_PER_THREAD` batches per thread are submitted ahead,
    so that a large run holds a few results at a time, not all of them. The pool
    is shut down when ``context`` closes (a run that stops early, on an error or
    an interrupt, cancels the batches not started).
    """
    pool = context.enter_context(ThreadPoolExecutor(max_workers=threads))
    backend = get_backend(backend_name, workers=1)
    waiting = zip(batches, payload, strict=True)
    running = set()

    def submit(count):
        for indices, molecules in islice(waiting, count):
            running.add(
                pool.submit(_scatter_one, backend, plan, dtype, indices, molecules)
            )

    context.callback(lambda: [future.cancel() for future in running])
    submit(BATCHES_IN_FLIGHT_PER_THREAD * threads)
    while running:
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        running.difference_update(finished)
        submit(len(finished))
        for future in finished:
            yield future.result()


def _scatter_one(backend, plan, dtype, indices, molecules):
    """One CPU batch: ``(indices, (B, C, F) array)``."""
    return next(_scatter_halving(backend, plan, dtype, [indices], [molecules]))


def scatter_molecules(
    plan,
    positions,
    weights,
    dtype,
    *,
    backend,
    batch_size,
    n_jobs,
    verbose,
    on_batch=None,
):
    """Coefficients of molecules given as centred positions and channel weights.

    Parameters
    ----------
    plan : ScatteringPlan
    positions : list of ndarray of shape (n_atoms_i, 3)
        Positions in each molecule's principal axes.
    weights : list of ndarray of shape (n_channels, n_atoms_i)
    dtype : numpy dtype
        Working precision.
    backend : {"auto", "numpy", "cupy"}
    batch_size : int or "auto"
    n_jobs : int or None
        Processes over batches on the CPU (joblib conventions); 1 on a GPU.
    verbose : int
        Progress bar when > 0.
    on_batch : callable or None
        Called as ``on_batch(indices, values)`` as soon as each batch is done
        (indices into ``positions``), so that work is kept if the run stops.

    Returns
    -------
    coefficients : ndarray of shape (n_molecules, n_channels * n_features_per_channel)
    """
    on_batch = on_batch or (lambda indices, values: None)
    backend_name = get_backend(backend).name
    n_channels = weights[0].shape[0]
    output = np.empty((len(positions), n_channels * plan.n_features_per_channel))
    sizes = np.array([np.ptp(p, axis=0) for p in positions])
    # Molecules of similar boxes go together, so padding a batch costs little.
    order = np.lexsort(sizes.T[::-1])
    n_atoms = [len(p) for p in positions]
    size = batch_size_for(
        batch_size, backend_name, plan, sizes, n_atoms, n_channels, dtype
    )
    batches = _batches(plan, sizes, order, size)
    payload = [([positions[i] for i in b], [weights[i] for i in b]) for b in batches]
    n_jobs = 1 if backend_name == "cupy" else effective_n_jobs(n_jobs)
    with progress_bar(len(positions), "scattering", verbose > 0) as advance:
        with ExitStack() as context:
            if n_jobs == 1:
                threads = thread_budget()
                if backend_name == "numpy" and threads > 1 and len(batches) > 1:
                    # In this process, one batch per free core: threads over
                    # batches, each with one BLAS and FFT thread (NumPy, BLAS and
                    # the FFT release the GIL in their loops).
                    context.enter_context(threadpool_limits(1))
                    done = _scatter_in_threads(
                        backend_name, plan, dtype, batches, payload, threads, context
                    )
                else:
                    # One batch (or no free core): BLAS and FFT threads only on
                    # the cores free now.
                    context.enter_context(threadpool_limits(threads))
                    serial = get_backend(backend_name, workers=threads)
                    done = _scatter_halving(serial, plan, dtype, batches, payload)
            else:
                # Several chunks per process keep the load balanced, and chunks of
                # a few batches report (progress bar) and store (memory=) often;
                # they come back as they finish, in any order.
                n_chunks = min(
                    len(batches), max(4 * n_jobs, -(-len(batches) // CHUNK_BATCHES))
                )
                chunks = [range(k, len(batches), n_chunks) for k in range(n_chunks)]
                results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
                    delayed(_scatter_batches)(
                        backend_name,
                        plan,
                        dtype,
                        [batches[i] for i in chunk],
                        [payload[i] for i in chunk],
                        workers=1,
                    )
                    for chunk in chunks
                )
                done = (pair for chunk_results in results for pair in chunk_results)
            for indices, result in done:
                output[indices] = result.reshape(len(indices), -1)
                on_batch(indices, output[indices])
                advance(len(indices))
    return output


def scattering_coefficients(
    plan, molecules, weights, dtype, *, memory, max_grid_bytes=None, **dispatch
):
    """Coefficients of ``molecules``, read from ``memory`` where it holds them.

    Parameters
    ----------
    plan : ScatteringPlan
    molecules : list of Molecule
    weights : list of ndarray of shape (n_channels, n_atoms_i)
        Channel weights of each molecule.
    dtype : numpy dtype
    memory : str, joblib.Memory or None
        Per-molecule cache (:class:`~skscatharm._core.cache.MoleculeCache`).
    max_grid_bytes : float or None
        A molecule to compute whose work arrays would exceed this many bytes is
        refused before anything is allocated (ValueError naming it).
    **dispatch
        ``backend``, ``batch_size``, ``n_jobs`` and ``verbose`` of
        :func:`scatter_molecules`.

    Returns
    -------
    coefficients : ndarray of shape (n_molecules, n_channels * n_features_per_channel)
        Every value finite.

    Raises
    ------
    ValueError
        When a computed coefficient overflows (not finite), naming the molecule.
    """
    n_channels = weights[0].shape[0] if weights else 0
    output = np.empty((len(molecules), n_channels * plan.n_features_per_channel))
    to_compute = list(range(len(molecules)))
    cache = None
    if memory is not None:
        backend_name = get_backend(dispatch["backend"]).name
        cache = MoleculeCache(memory, plan, dtype, backend_name, dispatch["batch_size"])
    if cache is not None:
        to_compute = []
        for index, molecule in enumerate(molecules):
            stored = cache.lookup(molecule.positions, weights[index], index)
            if stored is None:
                to_compute.append(index)
            else:
                output[index] = stored
        cache.warn_rejected()
    if to_compute:
        positions = [
            principal_axes_positions(molecules[i].positions) for i in to_compute
        ]
        itemsize = np.dtype(dtype).itemsize
        check_grid_bytes(
            plan, positions, n_channels, itemsize, max_grid_bytes, to_compute
        )

        def keep(indices, values):
            # Checked before anything is stored: a non-finite value must never
            # reach the cache. Stored batch by batch, so that an interrupted run
            # resumes where it stopped.
            molecule_indices = [to_compute[i] for i in indices]
            check_finite_coefficients(values, molecule_indices, plan, weights, dtype)
            if cache is not None:
                for index, value in zip(molecule_indices, values, strict=True):
                    cache.store(molecules[index].positions, weights[index], value)

        output[to_compute] = scatter_molecules(
            plan,
            positions,
            [weights[i] for i in to_compute],
            dtype,
            on_batch=keep,
            **dispatch,
        )
    return output
