"""Training on forces: the force rows of the sparse model's normal equations.

The sparse model's energy is ``b + Φ(M) β`` with the Nyström features ``Φ = K_nm T``
(:mod:`.sparse`; ``T`` block-diagonal by element, applied by triangular solves,
:mod:`.nystroem`). Each force component is linear in ``β`` too:

    F_{k,a}(M) = -∂E/∂r_{k,a} = Ψ_{k,a}(M) β,   Ψ = -(∂K_nm/∂r) T,

so reference forces add ``3 n_atoms`` rows per molecule to the least-squares problem.
With a force weight ``λ`` (Å², the weight of a squared force component against a
squared energy), the normal equations become

    (Φ^T W Φ + λ Ψ^T W Ψ + α I) β = Φ^T W (y - b) + λ Ψ^T W F,

and ``Ψ^T W Ψ`` is accumulated over blocks of molecules, as ``Φ^T W Φ`` is: each
block's rows through the same per-element triangular solves as ``Φ``, then a
symmetric rank-k update of the lower triangle.
"""

import numpy as np
from scipy.linalg.blas import dsyrk

from .._core.progress import progress_bar
from .descriptors import scaled_logs
from .forces import descriptor_jacobians, summed_kernel_position_gradient
from .nystroem import mapped_features, n_features

#: Values of ``∂K_nm/∂r`` held at once while accumulating the force rows.
BLOCK_VALUES = 2**22


def checked_forces(X, molecules, forces):
    """Reference forces as one ``(n_atoms, 3)`` array per molecule, or a ValueError.

    Parameters
    ----------
    X : sequence or ndarray
        The molecules as given (a padded ``(n, max_atoms, 4)`` array lets
        ``forces`` be padded the same way: rows of padding atoms are dropped).
    molecules : list of Molecule
        ``X`` validated.
    forces : sequence of array-like or ndarray
        One ``(n_atoms, 3)`` array per molecule, or ``(n, max_atoms, 3)`` with
        padded ``X``.

    Returns
    -------
    list of ndarray of shape (n_atoms, 3)
    """
    if len(forces) != len(molecules):
        raise ValueError(
            f"forces must hold one array per molecule: {len(molecules)} molecules, "
            f"{len(forces)} force arrays"
        )
    padded = isinstance(X, np.ndarray) and X.ndim == 3
    checked = []
    for index, (molecule, force) in enumerate(zip(molecules, forces, strict=True)):
        force = np.asarray(force, dtype=np.float64)
        if padded and force.ndim == 2 and len(force) == X.shape[1]:
            force = force[X[index, :, 0] != 0]
        if force.shape != (molecule.n_atoms, 3):
            raise ValueError(
                f"molecule {index}: forces must have shape ({molecule.n_atoms}, 3), "
                f"one row per atom; got {force.shape}"
            )
        if not np.all(np.isfinite(force)):
            raise ValueError(f"molecule {index}: its forces are not all finite")
        checked.append(force)
    return checked


def _blocks(molecules, n_rows):
    """Consecutive blocks of molecule indices with at most ``n_rows`` force rows."""
    block, rows = [], 0
    for index, molecule in enumerate(molecules):
        if block and rows + 3 * molecule.n_atoms > n_rows:
            yield block
            block, rows = [], 0
        block.append(index)
        rows += 3 * molecule.n_atoms
    if block:
        yield block


def force_row_blocks(model, molecules, representatives, maps):
    """The force rows ``Ψ`` of some molecules, over blocks of molecules.

    Parameters
    ----------
    model : _BaseSparseAtomKernelRidge
        The model being fitted, with its descriptors' scaling and widths set.
    molecules : list of Molecule
    representatives : tuple of (descriptors, molecule, numbers, n_molecules)
    maps : list of (columns, L)
        The Nyström map, per element (see
        :func:`~skscatharm._atoms.nystroem.element_nystroem_maps`).

    Yields
    ------
    block : list of int
        The block's molecules.
    rows : ndarray of shape (3 * n_block_atoms, r)
        ``Ψ`` of their force components, molecule by molecule, atom by atom, axis
        by axis (the order of ``forces[i].ravel()``).
    """
    rank = n_features(maps)
    n_rows = max(3, BLOCK_VALUES // max(representatives[3], rank))
    for block in _blocks(molecules, n_rows):
        fields = model._model_fields(
            [(molecules[i].numbers, molecules[i].positions) for i in block],
            return_gradients=True,
        )
        x = scaled_logs(fields.fields, model.offset_, model.scale_)
        jacobians = descriptor_jacobians(fields, model.offset_, model.scale_)
        rows = []
        for local in range(len(block)):
            atoms = fields.molecule == local
            gradient = summed_kernel_position_gradient(
                x[atoms],
                fields.numbers[atoms],
                jacobians[local],
                representatives,
                model.widths_,
            )
            # Ψ = -(∂K_nm/∂r) T, by the elements' triangular solves.
            rows.append(-mapped_features(gradient.T, maps))
        yield block, np.concatenate(rows)


def force_normal_equations(
    model, molecules, forces, sample_weight, representatives, maps, verbose=0
):
    """``Ψ^T W Ψ`` and ``Ψ^T W F`` over the training molecules, block by block.

    Parameters
    ----------
    model : _BaseSparseAtomKernelRidge
        The model being fitted, with its descriptors' scaling and widths set.
    molecules : list of Molecule
    forces : list of ndarray of shape (n_atoms, 3)
        Reference forces, at the scale the model is fitted at.
    sample_weight : ndarray of shape (n_molecules,)
        Weight of each molecule (of each of its force components).
    representatives : tuple of (descriptors, molecule, numbers, n_molecules)
    maps : list of (columns, L)
        The Nyström map, per element.
    verbose : int
        Progress bar over the molecules when > 0.

    Returns
    -------
    gram : ndarray of shape (r, r), Fortran order
        The lower triangle of ``Ψ^T W Ψ`` (the upper one is not set).
    moment : ndarray of shape (r,)
    """
    rank = n_features(maps)
    gram, moment = np.zeros((rank, rank), order="F"), np.zeros(rank)
    with progress_bar(len(molecules), "force rows", verbose > 0) as advance:
        for block, rows in force_row_blocks(model, molecules, representatives, maps):
            targets = np.concatenate([forces[i].ravel() for i in block])
            weights = np.concatenate(
                [np.full(3 * molecules[i].n_atoms, sample_weight[i]) for i in block]
            )
            moment += rows.T @ (weights * targets)
            rows *= np.sqrt(weights)[:, None]
            # As for Φ^T W Φ: a symmetric rank-k update of the lower triangle, in
            # place; rows.T is Fortran-ordered, so BLAS reads it without a copy.
            gram = dsyrk(1.0, rows.T, beta=1.0, c=gram, lower=1, overwrite_c=1)
            advance(len(block))
    return gram, moment


def force_features(model, molecules, representatives, maps):
    """``Ψ`` of every force component of some molecules, as one array.

    Returns
    -------
    rows : ndarray of shape (3 * n_atoms_total, r)
        In the order of ``np.concatenate([f.ravel() for f in forces])``.
    """
    blocks = [
        rows for _, rows in force_row_blocks(model, molecules, representatives, maps)
    ]
    return np.concatenate(blocks) if blocks else np.zeros((0, n_features(maps)))
