"""Representative atoms of a sparse atom-kernel model, chosen per element.

A sparse (Nyström, or projected-process) model expands each element's atomic energy
on the kernels of a few representative atoms of that element instead of every
training atom. The representatives should cover the descriptor space: farthest-point
sampling picks, one at a time, the atom farthest from those already picked, so rare
environments are kept as well as common ones; uniform random sampling is the cheap
alternative that follows the density of the training atoms; k-means++ seeding is in
between (each next atom drawn with probability in proportion to its squared
distance to those already picked).
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

    def draw(distance):
        weights = np.cumsum(np.maximum(distance, 0.0))
        if not weights[-1] > 0:
            # Every row left is a duplicate of a chosen one: the first of them.
            return int(np.argmax(distance >= 0))
        return int(np.searchsorted(weights, rng.uniform(0, weights[-1]), "right"))

    return _greedy_selection(x, n, rng, draw)


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
        last = x[chosen[k - 1]]
        # Squared distances to the last chosen row, clipped at 0 against rounding,
        # in place: on a million atoms each pass over fresh arrays costs as much as
        # the product.
        np.dot(x, last, out=to_last)
        to_last *= -2.0
        to_last += norms
        to_last += last @ last
        np.maximum(to_last, 0.0, out=to_last)
        np.minimum(distance, to_last, out=distance)
        # A chosen row's distance is 0, unless rounding left it above another
        # row's true 0 (a duplicate); -1 keeps it from being chosen again.
        distance[chosen[k - 1]] = -1.0
        chosen[k] = pick(distance)


def select_representatives(descriptors, numbers, n_representatives, method, rng):
    """Indices of the representative atoms, per element, in increasing order.

    Parameters
    ----------
    descriptors : ndarray of shape (n_atoms, n_features)
    numbers : ndarray of int of shape (n_atoms,)
    n_representatives : int
        Total over the elements (see :func:`element_budgets`); every atom when it
        is at least the number of atoms.
    method : {"farthest", "kmeans++", "random"}
    rng : numpy.random.RandomState

    Returns
    -------
    indices : ndarray of int
    """
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
