"""``atom_fields``: the first-order scattering fields read at each atom.

The integrals of doc/definition.rst §3 describe a molecule as a whole. The same
fields read at the atoms describe each atom's surroundings, which is what an
atomic-energy model (a kernel summed over pairs of same-element atoms, say) needs.
They are computed in closed form by
:func:`skscatharm._core.first_layer.first_layer_at_atoms` (no grid).
"""

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

from .._core.atom_gradients import first_layer_gradients_at_atoms
from .._core.channels import channel_weights, resolve_channels
from .._core.first_layer import first_layer_at_atoms
from .._core.molecules import as_molecules
from .._parameters import (
    N_JOBS_CONSTRAINT,
    SCALES_PER_OCTAVE_CONSTRAINT,
    WAVELET_CONSTRAINTS,
)


@validate_params(
    {
        "X": ["array-like"],
        **WAVELET_CONSTRAINTS,
        "n_jobs": N_JOBS_CONSTRAINT,
        "return_gradients": ["boolean"],
        "scales_per_octave": SCALES_PER_OCTAVE_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def atom_fields(
    X,
    *,
    sigma=0.2262,
    J=2,
    L=3,
    channels=("full", "valence", "core"),
    sigma_0=None,
    scales_per_octave=1,
    n_jobs=None,
    return_gradients=False,
):
    """First-order scattering fields ``U1[j, l]`` of every channel at every atom.

    Where :class:`SolidHarmonicScattering` integrates the fields
    ``U1[j,l](u) = (Σ_m |rho * psi_{j,l,m}(u)|²)^½`` of doc/definition.rst §3 over space, this
    reads them at the atoms' positions, from their closed form (no grid, exact to
    rounding). Each atom gets ``n_channels * (J * scales_per_octave + 1) * (L + 1)``
    numbers that describe its surroundings up to a distance of a few
    ``sigma_0 * 2**J`` and are invariant
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
    scales_per_octave : int, default=1
        Wavelet widths per factor 2: the scales are ``sigma_0 * 2**j`` for ``j = 0,
        1/K, 2/K, ..., J`` with ``K = scales_per_octave`` (doc/definition.rst §7).
        More scales resolve the distances of the neighbours more finely, which
        force fields of one molecule's vibrations need (benchmarks/RESULTS.md §9).
    n_jobs : int or None, default=None
        Workers that compute blocks of molecules at once: threads, or the workers
        of the backend that a :func:`joblib.parallel_config` context names (Dask's
        included); joblib's convention: None is 1 unless in such a context, -1
        all cores. The result does not depend on it.
    return_gradients : bool, default=False
        Also return the exact derivatives of every field with respect to every
        atomic position of its molecule (closed form, doc/definition.rst §7).

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With ``fields``, ndarray of shape ``(n_atoms_total, n_features)``, one row
        per atom of every molecule in order, columns ordered channel, then ``j``,
        then ``l``; ``molecule``, ndarray of int of shape ``(n_atoms_total,)``, the
        index of each row's molecule in ``X``; ``numbers``, the row's atomic
        number; and ``feature_names``, ndarray of str such as
        ``"U1[full,j=0,l=1]"`` (``j=3/2`` between octaves). With
        ``return_gradients``, also ``gradients``, a list with one ndarray of shape ``(n_atoms, n_features, n_atoms, 3)`` per
        molecule: ``gradients[i][a, f, b]`` is the derivative (per Å) of field
        ``f`` at atom ``a`` of molecule ``i`` with respect to the position of its
        atom ``b``. Where a field vanishes (``l >= 1`` at a centre of symmetry) it
        is not differentiable and its derivative is returned as 0. The fields
        then come from the same computation as the derivatives and equal those
        without ``return_gradients`` to rounding.

    Raises
    ------
    ValueError
        When a field overflows (channel weights too large), naming the molecule.

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
    >>> atom_fields([water], J=1, L=1, return_gradients=True).gradients[0].shape
    (3, 12, 3, 3)
    """
    sigma_0 = sigma if sigma_0 is None else sigma_0
    molecules = as_molecules(X)
    resolved = resolve_channels(channels)
    weights = [
        channel_weights(resolved, molecule.numbers, index)
        for index, molecule in enumerate(molecules)
    ]
    parameters = (float(sigma), float(sigma_0), int(J), int(L), int(scales_per_octave))
    n_workers = effective_n_jobs(n_jobs)
    if n_workers == 1 or len(molecules) < 2:
        per_molecule = _fields_of(molecules, weights, parameters, return_gradients)
    else:
        # A few blocks per worker keep the load balanced; joblib returns them in
        # order.
        blocks = np.array_split(
            np.arange(len(molecules)), min(len(molecules), 4 * n_workers)
        )
        per_block = Parallel(n_jobs=n_workers, prefer="threads")(
            delayed(_fields_of)(
                [molecules[i] for i in block],
                [weights[i] for i in block],
                parameters,
                return_gradients,
            )
            for block in blocks
        )
        per_molecule = [fields for block in per_block for fields in block]
    for index, (fields, gradient) in enumerate(per_molecule):
        if not np.all(np.isfinite(fields)):
            raise ValueError(
                f"molecule {index}: its fields are not finite; |rho * psi|² "
                f"overflows float64 with channel weights up to "
                f"{np.abs(weights[index]).max():.3g}. Use channel weights of a "
                "smaller scale."
            )
        if gradient is not None and not np.all(np.isfinite(gradient)):
            raise ValueError(
                f"molecule {index}: the derivatives of its fields are not finite"
            )
    names = [
        f"U1[{channel.name},j={scale_label(k, scales_per_octave)},l={degree}]"
        for channel in resolved
        for k in range(J * scales_per_octave + 1)
        for degree in range(L + 1)
    ]
    result = Bunch(
        fields=np.concatenate([fields for fields, _ in per_molecule]).reshape(
            -1, len(names)
        ),
        molecule=np.repeat(np.arange(len(molecules)), [m.n_atoms for m in molecules]),
        numbers=np.concatenate([m.numbers for m in molecules]).astype(int),
        feature_names=np.array(names),
    )
    if return_gradients:
        result.gradients = [gradient for _, gradient in per_molecule]
    return result


def scale_label(k, scales_per_octave):
    """The scale index ``j = k / K`` as a feature name shows it: ``2``, or ``3/2``."""
    if k % scales_per_octave == 0:
        return str(k // scales_per_octave)
    return f"{k}/{scales_per_octave}"


def _fields_of(molecules, weights, parameters, return_gradients=False):
    """The fields of some molecules and, with ``return_gradients``, their derivatives.

    Returns
    -------
    list of (fields, gradient)
        Per molecule, ``fields`` of shape ``(n_atoms, n_features)`` and
        ``gradient`` of shape ``(n_atoms, n_features, n_atoms, 3)``, or None
        without ``return_gradients``.
    """
    fields_list = []
    for molecule, molecule_weights in zip(molecules, weights, strict=True):
        arguments = (molecule.positions, molecule_weights, *parameters)
        gradient = None
        # An overflow is a ValueError naming the molecule (raised by the caller,
        # for the first molecule in input order), not a warning and inf.
        with np.errstate(over="ignore", invalid="ignore"):
            if return_gradients:
                # The same fields (to rounding) come with their derivatives.
                fields, gradient = first_layer_gradients_at_atoms(*arguments)
                n_atoms = molecule.n_atoms
                gradient = gradient.reshape(n_atoms, -1, n_atoms, 3)
            else:
                fields = first_layer_at_atoms(*arguments)
        fields_list.append((fields.reshape(molecule.n_atoms, -1), gradient))
    return fields_list
