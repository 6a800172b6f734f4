"""No silent infinities: the check that every computed coefficient is finite.

A coefficient is ``∫ |field|^q`` (doc/definition.rst §3); it scales like
``weight**q`` in the channel weights, so large weights or large powers overflow
float64 (``|field|^q > 1.8e308``, or ``|field|² > 1.8e308`` before any power is
taken) and the kernels return ``inf``, or ``nan`` where an infinity meets a zero
in a Fourier transform. No finite bound on ``Q`` or on the weights rules this out
in advance (the field's magnitude depends on the molecule's geometry as well), so
the transform checks what it computed, molecule by molecule, and names the
molecule and the likely cause instead of returning the wrong number.
"""

import numpy as np

from .plan import wavelet_layout


def check_finite_coefficients(coefficients, molecule_indices, plan, weights, dtype):
    """Raise a ValueError naming the first molecule with a non-finite coefficient.

    Parameters
    ----------
    coefficients : ndarray of shape (n_computed, n_channels * n_features_per_channel)
        The coefficients just computed.
    molecule_indices : sequence of int
        Index, in the transform's input, of each row of ``coefficients``.
    plan : ScatteringPlan
        Gives the column layout (the power ``q`` and order of each column).
    weights : list of ndarray of shape (n_channels, n_atoms_i)
        Channel weights of every molecule of the input (indexed by
        ``molecule_indices``).
    dtype : numpy dtype
        The working precision, whose largest number the message quotes.

    Raises
    ------
    ValueError
        When a row holds ``inf`` or ``nan``.
    """
    finite = np.isfinite(coefficients)
    bad_rows = np.flatnonzero(~finite.all(axis=1))
    if not bad_rows.size:
        return
    row = bad_rows[0]
    molecule = int(molecule_indices[row])
    columns = np.flatnonzero(~finite[row])
    per_channel = plan.n_features_per_channel
    order, *_ = wavelet_layout(plan.J, plan.L, plan.max_order, len(plan.Q))
    powers = np.tile(plan.Q, per_channel // len(plan.Q))
    within = columns % per_channel
    channels = sorted({int(c) for c in columns // per_channel})
    largest_power = float(powers[within].max())
    largest_weight = float(np.abs(weights[molecule][channels]).max())
    others = f" ({bad_rows.size} molecules in all)" if bad_rows.size > 1 else ""
    raise ValueError(
        f"molecule {molecule}: {columns.size} of its {coefficients.shape[1]} "
        f"scattering coefficients are not finite (orders "
        f"{sorted({int(o) for o in order[within]})}, channel indices {channels}, powers q "
        f"up to {largest_power:g}){others}. The integrals of |field|**q overflow "
        f"{np.dtype(dtype).name} (largest number {np.finfo(dtype).max:.3g}) with "
        f"channel weights up to {largest_weight:.3g}: a coefficient grows like "
        f"weight**q. Use smaller powers Q or channel weights of a smaller scale."
    )
