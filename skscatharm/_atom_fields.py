"""First-order scattering fields evaluated at each atom: atom-centred descriptors.

The integrals of SPEC.md §3 describe a molecule as a whole. The same fields read at
the atoms describe each atom's surroundings, which is what an atomic-energy model
(a kernel summed over pairs of same-element atoms, say) needs. At a point the field
is known in closed form (SPEC.md §4, first bullet), so no grid is involved:

    U1[j,l](r_n)² = (2l+1)/(4 pi) Σ_{n',n''} a_{n'} a_{n''} P_l(cos θ_{n'n''}),

with ``a_{n'} = w_{n'} (s/t)^l c_l t^-3 (d/t)^l exp(-d²/2t²)``, ``d = |r_n - r_{n'}|``,
``θ_{n'n''}`` the angle at ``r_n`` between ``r_{n'}`` and ``r_{n''}``, and ``P_l``
the Legendre polynomial: the sum over ``m`` of SPEC.md §3 by the addition theorem of
spherical harmonics.
"""

import numpy as np
from scipy.special import eval_legendre
from sklearn.utils import Bunch

from ._channels import channel_weights, resolve_channels
from ._harmonics import wavelet_normalisation
from ._molecules import as_molecules


def _fields_of_molecule(positions, weights, sigma, sigma_0, J, L):
    """``U1`` at each atom, shape ``(n_atoms, n_channels, J + 1, L + 1)``."""
    offsets = positions[:, None, :] - positions[None, :, :]  # r_n - r_n'
    distances = np.linalg.norm(offsets, axis=-1)
    # An atom has no direction from itself; its own term has (d/t)^l = 0 for l >= 1
    # and P_0 = 1 for l = 0, so a zero direction is exact.
    directions = np.divide(
        offsets,
        distances[..., None],
        out=np.zeros_like(offsets),
        where=distances[..., None] > 0,
    )
    cosines = np.clip(np.einsum("nid,njd->nij", directions, directions), -1.0, 1.0)
    n_atoms, n_channels = len(positions), len(weights)
    fields = np.empty((n_atoms, n_channels, J + 1, L + 1))
    for degree in range(L + 1):
        legendre = eval_legendre(degree, cosines)
        for j in range(J + 1):
            scale = sigma_0 * 2.0**j
            width = np.hypot(scale, sigma)
            ratio = distances / width
            radial = (
                (scale / width) ** degree
                * wavelet_normalisation(degree)
                * width**-3
                * ratio**degree
                * np.exp(-0.5 * ratio**2)
            )
            amplitudes = radial[None, :, :] * weights[:, None, :]  # (c, n, n')
            squared = (
                (2 * degree + 1)
                / (4 * np.pi)
                * np.einsum("cni,cnj,nij->nc", amplitudes, amplitudes, legendre)
            )
            # Rounding can leave a tiny negative sum where the field vanishes.
            fields[:, :, j, degree] = np.sqrt(np.maximum(squared, 0.0))
    return fields


def atom_fields(
    X,
    *,
    sigma=0.2262,
    J=2,
    L=3,
    channels=("full", "valence", "core"),
    sigma_0=None,
):
    """First-order scattering fields ``U1[j, l]`` of every channel at every atom.

    Where :class:`SolidHarmonicScattering` integrates the fields
    ``U1[j,l](u) = (Σ_m |rho * psi_{j,l,m}(u)|²)^½`` of SPEC.md §3 over space, this
    reads them at the atoms' positions, from their closed form (no grid, exact to
    rounding). Each atom gets ``n_channels * (J + 1) * (L + 1)`` numbers that describe
    its surroundings up to a distance of a few ``sigma_0 * 2**J`` and are invariant
    to rotations, reflections and translations of the molecule and to the order of
    the other atoms. They are the input of atomic-energy models, such as a kernel
    summed over pairs of atoms of the same element.

    Parameters
    ----------
    X : sequence or ndarray
        Molecules, in any form that :class:`SolidHarmonicScattering` accepts.
    sigma : float, default=0.2262
        Width (Å) of the Gaussian atoms.
    J : int, default=2
        Largest scale index: wavelet widths ``sigma_0 * 2**j`` for ``j = 0..J``.
    L : int, default=3
        Largest degree of the solid harmonics.
    channels : sequence, default=("full", "valence", "core")
        Density channels, as in :class:`SolidHarmonicScattering`.
    sigma_0 : float or None, default=None
        Width (Å) of the finest wavelet; ``None`` means ``sigma``.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With ``fields``, ndarray of shape ``(n_atoms_total, n_features)``, one row
        per atom of every molecule in order, columns ordered channel, then ``j``,
        then ``l``; ``molecule``, ndarray of int of shape ``(n_atoms_total,)``, the
        index of each row's molecule in ``X``; ``numbers``, the row's atomic
        number; and ``feature_names``, ndarray of str such as
        ``"U1[full,j=0,l=1]"``.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatharm import atom_fields
    >>> water = (np.array([8, 1, 1]),
    ...          np.array([[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]]))
    >>> result = atom_fields([water], J=1, L=1)
    >>> result.fields.shape
    (3, 12)
    >>> result.numbers.tolist(), result.molecule.tolist()
    ([8, 1, 1], [0, 0, 0])
    """
    for name, value in (("J", J), ("L", L)):
        if not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    for name, value in (("sigma", sigma), ("sigma_0", sigma_0)):
        if value is not None and not value > 0:
            raise ValueError(f"{name} must be positive, got {value!r}")
    sigma_0 = sigma if sigma_0 is None else sigma_0
    molecules = as_molecules(X)
    resolved = resolve_channels(channels)
    per_molecule = [
        _fields_of_molecule(
            molecule.positions,
            channel_weights(resolved, molecule.numbers, index),
            float(sigma),
            float(sigma_0),
            int(J),
            int(L),
        ).reshape(molecule.n_atoms, -1)
        for index, molecule in enumerate(molecules)
    ]
    names = [
        f"U1[{channel.name},j={j},l={degree}]"
        for channel in resolved
        for j in range(J + 1)
        for degree in range(L + 1)
    ]
    return Bunch(
        fields=np.concatenate(per_molecule).reshape(-1, len(names)),
        molecule=np.repeat(np.arange(len(molecules)), [m.n_atoms for m in molecules]),
        numbers=np.concatenate([m.numbers for m in molecules]).astype(int),
        feature_names=np.array(names),
    )
