"""Bytes of a batch's work arrays, stage by stage, counted before anything is allocated.

The scattering core's arrays follow from the plan, the batch's box and its atom
count, so their memory is known in advance. :func:`stage_bytes` counts, for each
stage of :func:`~skscatharm._core.scattering.scatter_batch`, the bytes alive at
its peak: the first-layer monomial fields of a slab and the squared moduli
``(B, Nx, Ny, C, L+1, Nz)`` with the temporaries of their integrals; the pruned
DFT's three intermediate spectra; per order of each degree the second-layer
spectrum, the inverse FFT's copy and output, and the sum of the squares. It follows the NumPy path's
allocations (tests/test_gpu_memory.py holds its peak to within 20 % of the peak
that tracemalloc traces), and sizes GPU batches and guards against boxes too large
to grid (:func:`~skscatharm._core.dispatch.scattering_coefficients`).

Counts are floats: a box of 1e4 Å would overflow an int64 count of points.
"""

from .first_layer import slab_values
from .geometry import grid_shape
from .second_layer import pair_lattice


def _integral_factor(powers):
    """Arrays of a field's size alive while ``integrate_powers`` runs, itself included.

    The modulus (for any power but 2) and one more temporary (``sqrt(modulus)`` or
    ``modulus**q``) for powers other than 1, 2 and 3 (see ``integrals.py``).
    """
    extra = any(q != 2 for q in powers) + any(q not in (1, 2, 3) for q in powers)
    return 1 + extra


def _first_layer_bytes(shape, n_batch, n_atoms, n_channels, degrees, itemsize, device):
    """Peak of ``first_layer_squared_moduli`` and of the squared moduli it returns
    (its slabs are a GPU's when ``device``)."""
    nx, ny, nz = shape
    n_degrees = len(degrees)
    n_powers = max(degrees) + 1  # axis-factor powers 0..max degree
    n_monomials = sum((d + 1) * (d + 2) // 2 for d in degrees)
    n_xy = n_powers * (n_powers + 1) // 2  # distinct (a, b) exponent pairs
    squared = n_batch * nx * ny * n_channels * n_degrees * nz * itemsize
    # The weights times z factors and its reshaped copy; the axis factors.
    z_side = 2 * n_powers * n_batch * n_atoms * n_channels * nz * itemsize
    factors = n_powers * n_batch * n_atoms * (nx + ny + nz) * itemsize
    per_plane = n_monomials * n_batch * ny * n_channels * nz
    slab = max(1, min(nx, slab_values(device) // per_plane))
    plane_values = n_batch * slab * ny * n_channels * nz
    fields = n_monomials * plane_values * itemsize
    xy = n_xy * n_batch * slab * ny * n_atoms * itemsize
    # Each name is rebound after its new array exists, so two arrays coexist: the
    # next slab's fields and the last's (with the last harmonic), two successive
    # degrees' harmonic fields, or a harmonic field and the sum of its squares.
    harmonic = [(2 * degree + 1) * plane_values * itemsize for degree in degrees]
    last = harmonic[-1]
    next_fields = fields * max(0, min(slab, nx - slab)) / slab  # a smaller last slab
    transient = max(
        next_fields + last,
        last + (harmonic[-2] if n_degrees > 1 else last),
        last + plane_values * itemsize,
    )
    return squared + z_side + factors + fields + xy + transient, squared


def _second_layer_bytes(plan, j1, j2, fine_shape, degrees, extent, n, itemsize, device):
    """Peak of ``second_layer_integrals`` for one degree group (without the
    first-layer moduli it reads)."""
    n_batch, n_channels = n
    nx, ny, nz = fine_shape
    kx, ky, kz = pair_lattice(plan, j1, j2, extent)
    half = kz // 2 + 1
    fields = n_batch * n_channels * len(degrees)
    complex_size = 2 * itemsize
    # The pruned DFT: z, then y, then x products; the last is scaled and reordered.
    along_z = fields * nx * ny * half * complex_size
    along_y = fields * nx * ky * half * complex_size
    along_x = fields * kx * ky * half * complex_size
    # Its matrices are built in float64 on the host: the phases (8 bytes a value),
    # their exponential and its weighted copy (16 each) at once; small for a
    # molecule, but they grow with the product of a box's length and its lattice's.
    built = [40 * n_batch * k * m for k, m in ((half, nz), (ky, ny), (kx, nx))]
    held = [complex_size * n_batch * k * m for k, m in ((ky, ny), (kx, nx))]
    peak = max(
        built[0],
        along_z + max(built[1], held[0] + along_y),
        along_y + max(built[2], held[1] + along_x),
        2 * along_x,
    )
    lattice = n_batch * n_channels * kx * ky * kz * itemsize  # one field per channel
    integral = _integral_factor(plan.Q)
    for degree in degrees:
        orders = 2 * degree + 1
        wavelet = orders * kx * ky * half * complex_size
        product = n_batch * n_channels * kx * ky * half * complex_size  # one order's
        # The wavelet's spectrum is cached on the host as complex128: a device copy,
        # or a cast in float32. cuFFT overwrites a C2R input, so CuPy's irfftn
        # copies it (scipy's copy is in C++, outside NumPy's allocations).
        copies = (wavelet if device or itemsize < 8 else 0) + (product if device else 0)
        # The orders' loop: one order's input and output, and the sum of the
        # squares of the earlier orders.
        fft = copies + product + (2 if orders > 1 else 1) * lattice
        # The integrals: the sum of squares and their temporaries.
        peak = max(peak, along_x + max(fft, integral * lattice))
    return peak


def _raise(stages, name, value):
    """Set ``stages[name]`` to at least ``value``."""
    stages[name] = max(stages.get(name, 0), value)


def stage_bytes(plan, extent, n_atoms, n_channels, n_batch, itemsize, device=False):
    """Bytes alive at the peak of each stage of one batch.

    Parameters
    ----------
    plan : ScatteringPlan
    extent : sequence of 3 float
        The batch's box (Å): the largest extent of its molecules on each axis.
    n_atoms : int
        Atoms of its largest molecule (the batch is padded to it).
    n_channels : int
    n_batch : int
        Molecules in the batch.
    itemsize : int
        Bytes of a real number of the working precision (4 or 8).
    device : bool, default=False
        Count the copies that only a GPU makes (the wavelet spectra moved to the
        device, CuPy's copy of the inverse FFT's input) and the first layer's
        slabs of a GPU (:func:`~skscatharm._core.first_layer.slab_values`);
        otherwise the count is that of the NumPy path.

    Returns
    -------
    stages : dict of str to float
        ``"S0"``, then ``"S1 j"`` (the first layer at scale ``j`` and its
        integrals) and ``"S2 j1 j2"`` (the second layer of the pair); the peak of
        the batch is the largest value.
    """
    extent = [float(e) for e in extent]
    stages = {}
    if set(plan.Q) <= {1.0, 2.0}:  # closed form: pairwise atom distances only
        stages["S0"] = 3 * n_batch * n_atoms**2 * 3 * itemsize
    else:
        spacing, margin = plan.density_grid()
        shape = grid_shape(extent, spacing, margin)
        inside, squared = _first_layer_bytes(
            shape, n_batch, n_atoms, n_channels, (0,), itemsize, device
        )
        stages["S0"] = max(inside, _integral_factor(plan.Q) * squared)
    if plan.max_order < 1:
        return stages
    # Each degree group's arrays are released before the next group's (and the
    # next scale's) are made, so a stage's peak is that of its largest group.
    for j in range(plan.J + 1):
        later = [j2 for j1, j2 in plan.pairs if j1 == j]
        for group in plan.degree_groups:
            _, degrees = group
            shape = grid_shape(extent, *plan.first_layer_grid(j, group))
            inside, squared = _first_layer_bytes(
                shape, n_batch, n_atoms, n_channels, degrees, itemsize, device
            )
            integral = _integral_factor(plan.Q) * squared
            _raise(stages, f"S1 {j}", max(inside, integral))
            for j2 in later:
                second = _second_layer_bytes(
                    plan,
                    j,
                    j2,
                    shape,
                    degrees,
                    extent,
                    (n_batch, n_channels),
                    itemsize,
                    device,
                )
                _raise(stages, f"S2 {j} {j2}", squared + second)
    return stages


def batch_bytes(plan, extent, n_atoms, n_channels, n_batch, itemsize, device=False):
    """Peak bytes of one batch: the largest of :func:`stage_bytes`."""
    stages = stage_bytes(plan, extent, n_atoms, n_channels, n_batch, itemsize, device)
    return max(stages.values())


def check_grid_bytes(plan, positions, n_channels, itemsize, limit, indices):
    """Refuse, before any allocation, a molecule whose grids would exceed ``limit``.

    Parameters
    ----------
    plan : ScatteringPlan
    positions : list of ndarray of shape (n_atoms_i, 3)
        Positions in each molecule's principal axes (Å).
    n_channels, itemsize : int
    limit : float or None
        Bytes allowed for one molecule's work arrays (``max_grid_bytes``); None
        checks nothing.
    indices : sequence of int
        Index of each molecule in the user's input, for the message.

    Raises
    ------
    ValueError
        Naming the first molecule over the limit, its extent and its estimate.
    """
    if limit is None or not positions:
        return
    extents = [p.max(axis=0) - p.min(axis=0) for p in positions]
    atoms = [len(p) for p in positions]
    # The count grows with each extent and with the atoms, so one count at the
    # largest of each clears every molecule at once in the usual case.
    largest = [max(e[axis] for e in extents) for axis in range(3)]
    if batch_bytes(plan, largest, max(atoms), n_channels, 1, itemsize) <= limit:
        return
    for index, extent, n_atoms in zip(indices, extents, atoms, strict=True):
        needed = batch_bytes(plan, extent, n_atoms, n_channels, 1, itemsize)
        if needed > limit:
            box = " x ".join(f"{e:.4g}" for e in extent)
            raise ValueError(
                f"molecule {index} spans {box} Å (in its principal axes): its grids "
                f"would need about {needed / 2**30:.3g} GiB, more than "
                f"max_grid_bytes={limit:,.0f} ({limit / 2**30:.3g} GiB). Check that "
                "its positions are in Å and that it is one molecule, or raise "
                "max_grid_bytes."
            )
