"""Representative atoms of a sparse atom-kernel model, chosen per element.

A sparse (Nyström, or projected-process) model expands each element's atomic energy
on the kernels of a few representative atoms of that element instead of every
training atom. The representatives should cover the descriptor space: farthest-point
sampling picks, one at a time, the atom farthest from those already picked, so rare
environments are kept as well as common ones; uniform random sampling is the cheap
alternative that follows the density of the training atoms; k-means++ seeding is in
between (each next atom drawn with probability in proportion to its squared
distance to those already picked).

How many representatives each element gets is a choice too. In proportion to its
atom count (``shares="count"``) gives QM9's hydrogens half of them, though a
hydrogen's surroundings vary far less than a carbon's. With ``shares="spread"`` the
greedy selection runs over all atoms at once, atoms of different elements being
infinitely far apart: each step takes the atom farthest from (or drawn in
proportion to its squared distance to) the representatives of its own element, so
each element's share follows the spread of its atoms' descriptors. On QM9 that
lowered the validation errors at the same number of representatives
(benchmarks/RESULTS.md §5.0g).
"""

import numpy as np
from threadpoolctl import threadpool_limits


def element_budgets(numbers, n_representatives):
    """How many representatives each element gets, proportional to its atom count.

    Every element gets at least one, none more atoms than it has, and the budgets
    add up to ``min(n_representatives, n_atoms)``.

    Parameters
    ----------
    numbers : ndarray of int of shape (n_atoms,)
    n_representatives : int

    Returns
    -------
    elements, budgets : ndarray of int
    """
    elements, counts = np.unique(numbers, return_counts=True)
    total = min(int(n_representatives), int(counts.sum()))
    budgets = np.minimum(counts, 1)
    # Largest remainder: the remaining budget in proportion to the counts, never
    # more than an element's atoms.
    while budgets.sum() < total:
        room = counts - budgets
        share = (total - budgets.sum()) * room / room.sum()
        step = np.minimum(np.floor(share).astype(int), room)
        if step.sum() == 0:
            step[np.argmax(share - np.floor(share) + (room > 0))] = 1
        budgets += step
    return elements, budgets


def farthest_points(x, n, rng):
    """Indices of ``n`` rows of ``x`` chosen by farthest-point sampling.

    The first row is drawn at random; each next one is the row whose distance to the
    rows already chosen is largest (ties: the first such row).

    Parameters
    ----------
    x : ndarray of shape (n_rows, n_features)
    n : int
        At most ``n_rows``.
    rng : numpy.random.RandomState

    Returns
    -------
    indices : ndarray of int of shape (n,)
    """
    return _greedy_selection(x, n, rng, _farthest)


def kmeans_plus_plus(x, n, rng):
    """Indices of ``n`` rows of ``x`` chosen by k-means++ seeding.

    The first row is drawn at random; each next one is drawn with probability in
    proportion to its squared distance to the nearest row already chosen (the
    seeding of Arthur and Vassilvitskii, 2007): like farthest-point sampling it
    spreads the rows out, but it follows the density of the rows instead of
    seeking out their outliers.

    Parameters
    ----------
    x : ndarray of shape (n_rows, n_features)
    n : int
        At most ``n_rows``.
    rng : numpy.random.RandomState

    Returns
    -------
    indices : ndarray of int of shape (n,)
    """
    return _greedy_selection(x, n, rng, lambda d: _draw_in_proportion(d, rng))


def _draw_in_proportion(distance, rng):
    """A row drawn with probability in proportion to ``distance`` (-1 for a chosen
    row, never drawn); when every row left is a duplicate of a chosen one (all at
    0), the first of them."""
    weights = np.cumsum(np.maximum(distance, 0.0))
    if not weights[-1] > 0:
        return int(np.argmax(distance >= 0))
    row = int(np.searchsorted(weights, rng.uniform(0, weights[-1]), "right"))
    return min(row, len(weights) - 1)


def _choose(x, norms, row, distance, scratch):
    """Mark ``row`` chosen: lower each row's squared distance to the nearest chosen
    row (``distance``) to its distance to ``row``, in place.

    The distances to ``row`` are clipped at 0 against rounding and formed in
    ``scratch``: on a million atoms each pass over fresh arrays costs as much as
    the product.
    """
    last = x[row]
    np.dot(x, last, out=scratch)
    scratch *= -2.0
    scratch += norms
    scratch += last @ last
    np.maximum(scratch, 0.0, out=scratch)
    np.minimum(distance, scratch, out=distance)
    # A chosen row's distance is 0, unless rounding left it above another row's
    # true 0 (a duplicate); -1 keeps it from being chosen again.
    distance[row] = -1.0


def _farthest(distance):
    """The row farthest from those chosen (the first on a tie)."""
    return int(np.argmax(distance))


def _greedy_selection(x, n, rng, pick):
    """``n`` rows: the first at random, each next one picked from the distances.

    ``distance`` holds each row's squared distance to the nearest chosen row (-1
    for a chosen row); ``pick`` maps it to the next row.
    """
    chosen = np.empty(n, dtype=np.intp)
    chosen[0] = rng.randint(len(x))
    norms = (x**2).sum(axis=1)
    distance = np.full(len(x), np.inf)
    to_last = np.empty(len(x))
    # One matrix-vector product per step is too small to share between BLAS
    # threads: their synchronisation costs more than the product.
    with threadpool_limits(1):
        _greedy_steps(x, norms, chosen, distance, to_last, pick)
    return chosen


def _greedy_steps(x, norms, chosen, distance, to_last, pick):
    """Fill ``chosen[1:]`` in place (see :func:`_greedy_selection`)."""
    for k in range(1, len(chosen)):
        _choose(x, norms, chosen[k - 1], distance, to_last)
        chosen[k] = pick(distance)


def spread_selection(x, numbers, n, method, rng):
    """``n`` rows over every element at once, distances only within an element.

    Each element first gets one row drawn at random (in increasing atomic number);
    each next row is, over all rows, the farthest from the chosen rows of its own
    element (``"farthest"``, the first on a tie) or drawn with probability in
    proportion to that squared distance (``"kmeans++"``: the element first, in
    proportion to its rows' total, then the row within it).

    Parameters
    ----------
    x : ndarray of shape (n_rows, n_features)
    numbers : ndarray of int of shape (n_rows,)
    n : int
        At least the number of elements and at most ``n_rows``.
    method : {"farthest", "kmeans++"}
    rng : numpy.random.RandomState

    Returns
    -------
    indices : ndarray of int of shape (n,)
        In the order they were chosen.
    """
    elements = np.unique(numbers)
    rows = [np.flatnonzero(numbers == z) for z in elements]
    blocks = [np.ascontiguousarray(x[r]) for r in rows]
    norms = [np.einsum("ij,ij->i", b, b) for b in blocks]
    distances = [np.full(len(r), np.inf) for r in rows]
    to_last = [np.empty(len(r)) for r in rows]
    # Per element: the sum (k-means++) or the largest (farthest) of its distances.
    summary = np.zeros(len(elements))
    chosen = []

    def add(element, row):
        distance = distances[element]
        _choose(blocks[element], norms[element], row, distance, to_last[element])
        if method == "farthest":
            summary[element] = distance.max()
        else:
            summary[element] = np.maximum(distance, 0.0).sum()
        chosen.append(rows[element][row])

    # One matrix-vector product per step is too small to share between BLAS
    # threads: their synchronisation costs more than the product.
    with threadpool_limits(1):
        for element in range(len(elements)):
            add(element, rng.randint(len(rows[element])))
        while len(chosen) < n:
            if method == "farthest":
                element = int(np.argmax(summary))
                add(element, _farthest(distances[element]))
                continue
            if summary.sum() > 0:
                element = _draw_in_proportion(summary, rng)
            else:
                # Every row left is a duplicate of a chosen one: the first element
                # that has any (then its first, as _draw_in_proportion does).
                element = next(e for e, d in enumerate(distances) if (d >= 0).any())
            add(element, _draw_in_proportion(distances[element], rng))
    return np.array(chosen, dtype=np.intp)


def select_representatives(
    descriptors, numbers, n_representatives, method, rng, shares="count"
):
    """Indices of the representative atoms, per element, in increasing order.

    Parameters
    ----------
    descriptors : ndarray of shape (n_atoms, n_features)
    numbers : ndarray of int of shape (n_atoms,)
    n_representatives : int
        Total over the elements (at least one each); every atom when it is at
        least the number of atoms.
    method : {"farthest", "kmeans++", "random"}
    rng : numpy.random.RandomState
    shares : {"count", "spread"}, default="count"
        Each element's number of representatives: in proportion to its atoms
        (:func:`element_budgets`, the selection then run within each element), or
        as the selection over all atoms at once gives it
        (:func:`spread_selection`; ``"random"`` draws stay in proportion to the
        counts).

    Returns
    -------
    indices : ndarray of int
    """
    n_elements = len(np.unique(numbers))
    total = min(int(n_representatives), len(numbers))
    if total == len(numbers):
        return np.arange(len(numbers))
    if shares == "spread" and method != "random":
        return np.sort(
            spread_selection(descriptors, numbers, max(total, n_elements), method, rng)
        )
    chosen = []
    elements, budgets = element_budgets(numbers, n_representatives)
    for element, budget in zip(elements, budgets, strict=True):
        rows = np.flatnonzero(numbers == element)
        if budget == len(rows):
            chosen.append(rows)
        elif method == "farthest":
            chosen.append(rows[farthest_points(descriptors[rows], budget, rng)])
        elif method == "kmeans++":
            chosen.append(rows[kmeans_plus_plus(descriptors[rows], budget, rng)])
        else:
            chosen.append(rng.choice(rows, budget, replace=False))
    return np.sort(np.concatenate(chosen))
