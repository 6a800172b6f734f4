"""kymatio 0.3.0's QM7-example grid at our atom width, in our column order.

Unlike :mod:`benchmarks.kymatio_baseline.qm7_example`, which reproduces the example
to the voxel, this places the atoms with skscatharm's own centring and axes and
channel weights, on a voxel of ``sigma / 2`` for our ``sigma``, so that each of its
coefficients can be set beside ours (``benchmarks.speed.throughput``). One molecule
per call.

Install: ``pip install --no-deps kymatio==0.3.0 appdirs configparser``; kymatio is
imported through :func:`benchmarks.kymatio_baseline._shim.load_kymatio`.
"""

import numpy as np

from benchmarks.kymatio_baseline._shim import load_kymatio
from skscatharm._core.channels import channel_weights, resolve_channels
from skscatharm._core.geometry import principal_axes_positions

SHAPE = (192, 128, 96)


class KymatioQM7:
    """kymatio's QM7 example: 192x128x96 periodic grid, sigma = 2 voxels.

    Parameters
    ----------
    sigma : float
        Gaussian width in Å; the voxel is ``sigma / 2`` Å.
    """

    def __init__(self, sigma=0.2262, J=2, L=3, Q=(0.5, 1.0, 2.0, 3.0)):
        HarmonicScattering3D, self._gaussians = load_kymatio()
        self.voxel = sigma / 2
        self.J, self.L, self.Q = J, L, tuple(Q)
        self.scattering = HarmonicScattering3D(
            J=J, shape=SHAPE, L=L, sigma_0=2.0, integral_powers=list(Q)
        )
        M, N, O = SHAPE  # noqa: E741
        self.grid = np.fft.ifftshift(
            np.mgrid[
                -M // 2 : -M // 2 + M, -N // 2 : -N // 2 + N, -O // 2 : -O // 2 + O
            ]
        )
        self.channels = resolve_channels(("full", "valence", "core"))

    def coefficients(self, Z, R):
        """Coefficients of one molecule, our column order, Å units (doc/definition.rst §6)."""
        # Centred, longest axis along the longest grid side, in voxel units.
        positions = principal_axes_positions(np.asarray(R, float)) / self.voxel
        weights = channel_weights(self.channels, np.asarray(Z), 0)
        densities = self._gaussians(
            self.grid, np.repeat(positions[None], len(weights), 0), weights, 2.0
        )
        s0 = self.scattering.backend.compute_integrals(
            densities, list(self.Q)
        )  # (C, P)
        s = self.scattering(densities)  # (C, J+1 + pairs, L+1, P)
        n_first = self.J + 1
        first = s[:, :n_first].reshape(len(weights), -1)
        second = s[:, n_first:].reshape(len(weights), -1)
        q = np.array(self.Q)
        factor_first = np.tile(self.voxel ** (3 - 3 * q), first.shape[1] // len(q))
        factor_second = np.tile(self.voxel ** (3 - 3 * q), second.shape[1] // len(q))
        out = np.concatenate(
            [
                s0 * self.voxel ** (3 - 3 * q),
                first * factor_first,
                second * factor_second,
            ],
            axis=1,
        )
        return out.reshape(-1)
