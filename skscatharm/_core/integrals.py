"""Integrals of powers of a field, ``∫ |f|^q``, by the trapezoid rule.

Every field the transform integrates is smooth on its own grid (see
:mod:`skscatharm._core.plan`), so the trapezoid rule converges fast. On a uniform grid
every node weighs one cell volume; on a graded grid
(:mod:`skscatharm._core.geometry`) the weight of a node is the product of its axes'
weights.
"""

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def integrate_powers(xp, squared_modulus, powers, weights, axes):
    """``Σ w |f|^q`` over ``axes`` for each ``q``, from ``|f|²``.

    Parameters
    ----------
    xp : array module
    squared_modulus : array
        ``|f|²``; axis 0 is the batch.
    powers : sequence of float
    weights : float or tuple of arrays of shape (B, n_axis)
        One cell volume for every node, or each integrated axis's weights per
        molecule, in the order of ``axes``.
    axes : tuple of int
        The integrated axes.

    Returns an array with the remaining axes followed by one axis over ``powers``.
    The usual powers avoid ``pow``: ``|f|^2`` is ``|f|²`` itself (so ``q = 2`` keeps
    full precision), and ``|f|^0.5, |f|, |f|^3`` come from square roots. Sums are
    einsum contractions, which read each array once without temporaries (``|f|^3``
    is contracted as ``|f| · |f|²``); per-axis weights enter the contraction of the
    last axis and then, on the much smaller partial sums, those of the others.
    """
    letters = LETTERS[: squared_modulus.ndim]
    kept = "".join(c for i, c in enumerate(letters) if i not in axes)
    uniform = not isinstance(weights, tuple)
    if uniform:

        def total(spec, *operands):
            return xp.einsum(f"{spec}->{kept}", *operands)
    else:
        last = letters[axes[-1]]
        partial = letters.replace(last, "")
        rest = ",".join(letters[0] + letters[a] for a in axes[:-1])
        weights = tuple(xp.asarray(w, dtype=squared_modulus.dtype) for w in weights)

        def total(spec, *operands):
            inner = xp.einsum(
                f"{spec},{letters[0]}{last}->{partial}", *operands, weights[-1]
            )
            return xp.einsum(f"{partial},{rest}->{kept}", inner, *weights[:-1])

    modulus = None
    totals = []
    for power in powers:
        if power == 2:
            totals.append(total(letters, squared_modulus))
            continue
        if modulus is None:
            modulus = xp.sqrt(squared_modulus)
        if power == 1:
            totals.append(total(letters, modulus))
        elif power == 3:
            totals.append(total(f"{letters},{letters}", modulus, squared_modulus))
        elif power == 0.5:
            totals.append(total(letters, xp.sqrt(modulus)))
        else:
            totals.append(total(letters, modulus**power))
    result = xp.stack(totals, axis=-1)
    return result * weights if uniform else result
