"""Forces of the atom-kernel models: the chain rule through kernel and descriptors.

A model's energy is ``E = const + Σ_n Σ_p c_p k(x_n, x_p)`` over the molecule's atoms
``n`` and the model's atoms ``p`` of the same element (every training atom, with the
dual coefficient of its molecule, or the representatives), with the mean over the
widths ``w`` of Gaussian kernels ``k_w(x, x') = exp(-|x - x'|² / (2 w² D))``. So

    ∂E/∂x_n = -mean_w Σ_p c_p k_w(x_n, x_p) (x_n - x_p) / (w² D),

the descriptors ``x_{n,f} = γ_f log(U_{n,f} + o_f)`` give ``∂x_{n,f}/∂U_{n,f} =
γ_f / (U_{n,f} + o_f)``, and the fields' exact derivatives of
:func:`~skscatharm.atom_fields` finish ``F_k = -∂E/∂r_k`` (doc/definition.rst §8).
"""

import numpy as np

#: Kernel values held at once (n_atoms x model atoms of one element).
BLOCK_VALUES = 2**22


def element_blocks(model_atoms, coefficients):
    """The model atoms of each element, contiguous, with what every evaluation reads.

    Parameters
    ----------
    model_atoms : tuple of (descriptors, molecule, numbers, n_molecules)
        The model's atoms (training atoms or representatives).
    coefficients : ndarray of shape (n_model_atoms,)
        Each model atom's coefficient ``c_p``.

    Returns
    -------
    blocks : dict
        Per atomic number: the element's descriptors ``x_p`` (C order), their
        squared norms and their coefficients.
    """
    x_model, _, numbers_model, _ = model_atoms
    blocks = {}
    for z in np.unique(numbers_model):
        columns = np.flatnonzero(numbers_model == z)
        xb = np.ascontiguousarray(x_model[columns])
        blocks[int(z)] = (xb, np.einsum("ij,ij->i", xb, xb), coefficients[columns])
    return blocks


def kernel_descriptor_gradient(x, numbers, blocks, widths):
    """The kernel part of each atom's energy and its gradient ``∂E/∂x_n``.

    Parameters
    ----------
    x : ndarray of shape (n_atoms, D)
        Descriptors of the atoms whose energy derivative is wanted.
    numbers : ndarray of int of shape (n_atoms,)
    blocks : dict
        The model's atoms by element, from :func:`element_blocks`.
    widths : sequence of float
        The kernel is the mean of the Gaussians of these widths.

    Returns
    -------
    energy : ndarray of shape (n_atoms,)
        ``Σ_p c_p k(x_n, x_p)`` over the same-element model atoms.
    gradient : ndarray of shape (n_atoms, D)
    """
    n_features = x.shape[1]
    widths = np.atleast_1d(np.asarray(widths, dtype=np.float64))
    energy = np.zeros(len(x))
    gradient = np.zeros_like(x)
    for z in np.unique(numbers):
        if int(z) not in blocks:
            continue
        x_model, norms_model, coefficients = blocks[int(z)]
        rows = np.flatnonzero(numbers == z)
        xa = x[rows]
        norms_a = np.einsum("ij,ij->i", xa, xa)
        # Per row: Σ_p c_p k and Σ_p c_p k x_p, each weighted by 1 / (w² D) too.
        sums = np.zeros((len(rows), 2 + n_features))
        chunk = max(1, BLOCK_VALUES // max(len(rows), 1))
        for first in range(0, len(x_model), chunk):
            # Slices of the contiguous blocks: for one small molecule (an MD
            # step) copies of the model atoms, not the arithmetic, would be the
            # cost.
            part = slice(first, first + chunk)
            xb, cb = x_model[part], coefficients[part]
            squared = norms_a[:, None] + norms_model[None, part]
            squared -= 2.0 * (xa @ xb.T)
            np.maximum(squared, 0.0, out=squared)
            for width in widths:
                weighted = np.exp(squared * (-0.5 / (width**2 * n_features)))
                weighted *= cb
                total = weighted.sum(axis=1)
                moment = weighted @ xb
                inverse = 1.0 / (width**2 * n_features)
                sums[:, 0] += total / len(widths)
                sums[:, 1] += total * inverse / len(widths)
                sums[:, 2:] += moment * inverse / len(widths)
        energy[rows] = sums[:, 0]
        gradient[rows] = sums[:, 2:] - sums[:, 1:2] * xa
    return energy, gradient


def forces_from_descriptor_gradient(descriptor_gradient, fields, offset, scale):
    """``-∂E/∂r_k`` of each molecule from ``∂E/∂x`` and the fields' derivatives.

    Parameters
    ----------
    descriptor_gradient : ndarray of shape (n_atoms_total, D)
        ``∂E/∂x`` of every atom row of ``fields``.
    fields : Bunch
        :func:`~skscatharm.atom_fields` with ``return_gradients=True``.
    offset, scale : ndarray of shape (D,)
        The descriptors' offsets and scales.

    Returns
    -------
    forces : list of ndarray of shape (n_atoms, 3)
        One per molecule.
    """
    field_gradient = descriptor_gradient * scale / (fields.fields + offset)
    forces = []
    first = 0
    for gradients in fields.gradients:
        n_atoms = len(gradients)
        rows = field_gradient[first : first + n_atoms]
        forces.append(-np.einsum("nf,nfka->ka", rows, gradients))
        first += n_atoms
    return forces


def descriptor_jacobians(fields, offset, scale):
    """``∂x_{n,f}/∂r_k`` of each molecule: ``γ_f / (U_{n,f} + o_f) ∂U_{n,f}/∂r_k``.

    Parameters
    ----------
    fields : Bunch
        :func:`~skscatharm.atom_fields` with ``return_gradients=True``.
    offset, scale : ndarray of shape (D,)

    Returns
    -------
    jacobians : list of ndarray of shape (n_atoms, D, 3 * n_atoms)
        One per molecule; the last axis is atom, then coordinate.
    """
    factors = scale / (fields.fields + offset)
    jacobians, first = [], 0
    for gradients in fields.gradients:
        n_atoms = len(gradients)
        rows = factors[first : first + n_atoms, :, None, None]
        jacobians.append((rows * gradients).reshape(n_atoms, -1, 3 * n_atoms))
        first += n_atoms
    return jacobians


def summed_kernel_position_gradient(x, numbers, jacobian, model_atoms, widths):
    """``∂/∂r_k Σ_n k(x_n, x_p)`` of one molecule, for every model atom ``p``.

    The derivative of the molecule's row of ``K_nm`` (the kernel between its atoms
    and the model atoms, summed over its same-element atoms) with respect to every
    coordinate: ``Σ_n a_np (x_p - x_n) · ∂x_n/∂r`` with ``a_np = mean_w k_w(x_n,
    x_p) / (w² D)`` (0 between different elements).

    Parameters
    ----------
    x : ndarray of shape (n_atoms, D)
        The molecule's descriptors.
    numbers : ndarray of int of shape (n_atoms,)
    jacobian : ndarray of shape (n_atoms, D, 3 * n_atoms)
        From :func:`descriptor_jacobians`.
    model_atoms : tuple of (descriptors, molecule, numbers, n_molecules)
    widths : sequence of float

    Returns
    -------
    gradient : ndarray of shape (n_model_atoms, 3 * n_atoms)
    """
    x_model, _, numbers_model, _ = model_atoms
    n_features = x.shape[1]
    widths = np.atleast_1d(np.asarray(widths, dtype=np.float64))
    squared = (
        (x**2).sum(axis=1)[:, None]
        + (x_model**2).sum(axis=1)[None, :]
        - 2.0 * x @ x_model.T
    )
    np.maximum(squared, 0.0, out=squared)
    weights = np.zeros_like(squared)
    for width in widths:
        weights += np.exp(squared * (-0.5 / (width**2 * n_features))) / (
            width**2 * n_features * len(widths)
        )
    weights *= numbers[:, None] == numbers_model[None, :]
    # Σ_n a_np x_p · J_n  and  Σ_n a_np x_n · J_n.
    towards_model = np.einsum("np,npc->pc", weights, np.matmul(x_model, jacobian))
    own = weights.T @ np.einsum("nf,nfc->nc", x, jacobian)
    return towards_model - own
