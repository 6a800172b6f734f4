r"""
First-layer scattering fields of a molecule
===========================================

The first layer of the transform is the modulus of the density convolved with the
solid harmonic wavelets,

.. math::

    U_1[j, l](u) = \Big(\sum_{m=-l}^{l} |\rho * \psi_{j,l,m}(u)|^2\Big)^{1/2},

and the first-order coefficients are its integral powers
:math:`S_1[j, l, q] = \int U_1[j, l](u)^q \, du`. This example draws
:math:`U_1[j, l]` on the plane through a molecule spanned by its two principal axes,
for every scale :math:`j` and degree :math:`l` of the default transform.

The fields are evaluated from their closed form (doc/definition.rst §4 of the project, the same
identity the transform uses): a Gaussian of width :math:`\sigma` convolved with a
wavelet of width :math:`s` is a wavelet of width :math:`t = \sqrt{s^2 + \sigma^2}`,

.. math::

    \rho * \psi_{s,l,m}(u) = (s/t)^l \sum_n w_n \, \psi_{t,l,m}(u - r_n),
    \qquad
    \psi_{t,l,m}(v) = c_l \, t^{-3} (|v|/t)^l e^{-|v|^2/2t^2} Y_l^m(v/|v|),

and the sum over :math:`m` is done with the addition theorem
:math:`\sum_m Y_l^m(a) \overline{Y_l^m(b)} = \frac{2l+1}{4\pi} P_l(a \cdot b)`,
which makes it plain why :math:`U_1` does not depend on how the molecule is turned:
it only involves distances and angles between atoms and the point :math:`u`.
"""

from math import gamma, pi, sqrt

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import eval_legendre

from skscatharm.datasets import load_qm7_sample

# %%
# A planar molecule of the QM7 sample
# -----------------------------------
# The molecule is centred and turned onto its principal axes; we pick the one with
# the most heavy atoms among those whose heavy atoms all lie within 0.1 Å of the
# plane of the two largest axes, so that the plane cuts through every bond.

X, _ = load_qm7_sample(return_X_y=True)


def principal_axes(positions):
    """Positions centred and expressed in their principal axes."""
    centred = positions - positions.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    return centred @ axes.T


candidates = []
for index, row in enumerate(X):
    real = row[:, 0] > 0
    Z, R = row[real, 0].astype(int), principal_axes(row[real, 1:])
    heavy = Z > 1
    if np.abs(R[heavy, 2]).max() < 0.1:
        candidates.append((heavy.sum(), len(Z), index))
_, _, chosen = max(candidates)
real = X[chosen, :, 0] > 0
Z, R = X[chosen, real, 0].astype(int), principal_axes(X[chosen, real, 1:])
symbols = {1: "H", 6: "C", 7: "N", 8: "O", 16: "S", 17: "Cl"}
formula = "".join(f"{symbols[z]}{(Z == z).sum()}" for z in np.unique(Z)[::-1])
print(f"QM7 sample molecule {chosen}: {formula}")

# %%
# The closed form of the first layer
# ----------------------------------
# The weights are those of the ``"full"`` channel, :math:`w_n = Z_n`; the
# parameters are the transformer's defaults (``sigma=0.2262`` Å, ``J=2``, ``L=3``).

sigma, J, L = 0.2262, 2, 3


def normalisation(degree):
    """The constant :math:`c_l` that gives every wavelet modulus unit integral."""
    return 1 / (
        sqrt(4 * pi * (2 * degree + 1))
        * 2 ** ((degree + 1) / 2)
        * gamma((degree + 3) / 2)
    )


def first_layer_modulus(points, numbers, positions, scale, degree, sigma):
    """:math:`U_1` at ``points`` of shape (P, 3) for a wavelet of width ``scale``."""
    width = sqrt(scale**2 + sigma**2)
    offsets = points[:, None, :] - positions[None, :, :]  # (P, N, 3)
    distances = np.linalg.norm(offsets, axis=-1)
    directions = offsets / np.maximum(distances, 1e-300)[..., None]
    radial = (
        numbers
        * (distances / width) ** degree
        * np.exp(-0.5 * (distances / width) ** 2)
    )  # (P, N)
    cosines = np.clip(np.einsum("pnk,pmk->pnm", directions, directions), -1, 1)
    angular = eval_legendre(degree, cosines)  # (P, N, N)
    pair_sum = np.einsum("pn,pnm,pm->p", radial, angular, radial)
    factor = (scale / width) ** degree * normalisation(degree) * width**-3
    squared = factor**2 * (2 * degree + 1) / (4 * pi) * pair_sum
    return np.sqrt(np.maximum(squared, 0))


n_points = 200
margin = 1.5
x = np.linspace(R[:, 0].min() - margin, R[:, 0].max() + margin, n_points)
y = np.linspace(R[:, 1].min() - margin, R[:, 1].max() + margin, n_points)
grid_x, grid_y = np.meshgrid(x, y)
points = np.stack([grid_x.ravel(), grid_y.ravel(), np.zeros(grid_x.size)], axis=1)

# %%
# The fields for every scale and degree
# -------------------------------------
# Rows are scales :math:`j` (wavelet width :math:`0.2262 \cdot 2^j` Å), columns are
# degrees :math:`l`. Degree 0 is a blurred density; degree 1 vanishes where the
# density peaks (on the atoms) and is largest on its slopes; higher degrees respond
# to the angular arrangement of the neighbours, and coarser scales see groups of
# atoms rather than atoms.

aspect = (y[-1] - y[0]) / (x[-1] - x[0])
figure, axes = plt.subplots(
    J + 1,
    L + 1,
    figsize=(3.2 * (L + 1), (2.6 * aspect + 0.6) * (J + 1) + 0.8),
    sharex=True,
    sharey=True,
    layout="constrained",
)
for j in range(J + 1):
    for degree in range(L + 1):
        field = first_layer_modulus(points, Z, R, sigma * 2**j, degree, sigma)
        ax = axes[j, degree]
        # Each panel has its own colour scale: the fields of different scales and
        # degrees differ in size by orders of magnitude.
        image = ax.pcolormesh(x, y, field.reshape(grid_x.shape), cmap="magma")
        figure.colorbar(image, ax=ax, shrink=0.9, label=r"e/Å$^3$")
        ax.scatter(
            R[:, 0], R[:, 1], s=3 + Z, facecolors="none", edgecolors="w", linewidths=0.5
        )
        ax.set_aspect("equal")
        ax.set_title(
            f"j={j} (width {sigma * 2**j:.2f} Å), l={degree}", fontsize="small"
        )
for ax in axes[-1]:
    ax.set_xlabel("first principal axis (Å)")
for ax in axes[:, 0]:
    ax.set_ylabel("second (Å)")
figure.suptitle(
    rf"First-layer fields $U_1[j, l] = |\rho * \psi_{{j,l}}|$ of QM7 molecule "
    f"{chosen} ({formula}) in the plane of its two principal axes; circles: atoms"
)
figure.savefig("first_layer_fields.png", dpi=100)
plt.show()
