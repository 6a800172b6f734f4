"""Integrals of powers of a field, ``∫ |f|^q``, by the trapezoid (voxel-sum) rule.

Every field the transform integrates is smooth on its own grid (see
:mod:`skscatharm._core.plan`), so the plain voxel sum converges fast.
"""


def integrate_powers(xp, squared_modulus, powers, cell_volume, axes):
    """``cell_volume * Σ |f|^q`` over ``axes`` for each ``q``, from ``|f|²``.

    Returns an array with the remaining axes followed by one axis over ``powers``.
    The usual powers avoid ``pow``: ``|f|^2`` is ``|f|²`` itself (so ``q = 2`` keeps
    full precision), and ``|f|^0.5, |f|, |f|^3`` come from square roots. Sums are
    einsum contractions, which read each array once without temporaries (``|f|^3``
    is contracted as ``|f| · |f|²``).
    """
    letters = "abcdefghijklmnopqrstuvwxyz"[: squared_modulus.ndim]
    kept = "".join(c for i, c in enumerate(letters) if i not in axes)
    total = f"{letters}->{kept}"
    modulus = None
    totals = []
    for power in powers:
        if power == 2:
            totals.append(xp.einsum(total, squared_modulus))
            continue
        if modulus is None:
            modulus = xp.sqrt(squared_modulus)
        if power == 1:
            totals.append(xp.einsum(total, modulus))
        elif power == 3:
            totals.append(xp.einsum(f"{letters},{total}", modulus, squared_modulus))
        elif power == 0.5:
            totals.append(xp.einsum(total, xp.sqrt(modulus)))
        else:
            totals.append(xp.einsum(total, modulus**power))
    return xp.stack(totals, axis=-1) * cell_volume
