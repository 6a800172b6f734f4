"""kymatio 0.3.0's QM7 pipeline (examples/3d/scattering3d_qm7_torch.py), numpy frontend.

Reproduces the example step by step and returns the coefficients in skscatharm's
column order, converted to Ångström units (doc/definition.rst §6: S_Å(q) = S_vox(q) h^{3-3q}).

Pipeline of the example (``fetch_qm7(align=True)`` + ``get_qm7_positions_and_charges``
+ ``compute_qm7_solid_harmonic_scattering_coefficients``):

1. positions centred on the (unweighted) mean of the atoms and rotated onto their
   principal axes, largest first (kymatio.datasets._pca_align_positions), so the
   longest molecular axis lies along the longest grid side (M = 192);
2. positions scaled by ``delta / min_dist`` with ``delta = sigma sqrt(-8 ln 0.1)``
   and ``min_dist`` the smallest interatomic distance of QM7 (0.96656 Å), i.e. a
   voxel of h = 0.112602 Å for sigma = 2 voxels (sigma = 0.225204 Å);
3. on the ifftshifted integer grid (origin at index 0, periodic), densities
   ``generate_weighted_sum_of_gaussians`` (float64, normalised Gaussians of width
   sigma voxels) with weights full = Z and valence = get_valence(Z), cast to float32
   (``.float()``), and core = full - valence (float32 difference);
4. S0 = ``compute_integrals(density, Q)`` (voxel sum of density**q), S1/S2 =
   ``HarmonicScattering3D(J, shape, L, sigma_0=sigma)(density)``.

kymatio output layout (kymatio/scattering3d/core/scattering3d.py and
backend/numpy_backend.py ``concatenate``): float32 array of shape
``(B, (J+1) + J(J+1)/2, L+1, len(Q))``; axis 1 holds order 1 for j = 0..J, then order
2 for the pairs (j1, j2), j1 < j2, in lexicographic order (j1 outer); orders 1 and 2
come in one array, order 0 is not computed by HarmonicScattering3D.

CLI: ``python -m benchmarks.kymatio_baseline.qm7_example --data ../shared/data --n 16
--out FILE.npz``.
"""

import argparse
import functools
import os
import resource
import time
from pathlib import Path

import numpy as np
import scipy.fft

from benchmarks.kymatio_baseline._shim import load_kymatio

# Smallest interatomic distance over all of QM7, in Å (pdist over qm7.npz ``R``).
QM7_MIN_DIST = 0.9665612589422556
OVERLAPPING_PRECISION = 1e-1
CHANNELS = ("full", "valence", "core")


def qm7_voxel_size(sigma_voxels=2.0, overlapping_precision=OVERLAPPING_PRECISION):
    """Voxel size h (Å) of the example: min_dist spans sigma sqrt(-8 ln p) voxels."""
    delta = sigma_voxels * np.sqrt(-8 * np.log(overlapping_precision))
    return QM7_MIN_DIST / delta


def get_valence(charges):
    """The example's valence charges (0 for Z > 18; doc/definition.rst §1 has Z - 18 there)."""
    return (
        charges * (charges <= 2)
        + (charges - 2) * np.logical_and(charges > 2, charges <= 10)
        + (charges - 10) * np.logical_and(charges > 10, charges <= 18)
    )


def pca_align(positions):
    """kymatio.datasets._pca_align_positions for one molecule (no mask needed)."""
    centred = positions - positions.mean(0)
    _, V = np.linalg.eigh(centred.T @ centred)
    return centred @ V[:, ::-1]  # largest to smallest


def n_features(n_q, J, L):
    """Numbers per molecule: 3 channels x |Q| (1 + (J+1)(L+1) + J(J+1)/2 (L+1))."""
    return len(CHANNELS) * n_q * (1 + (J + 1) * (L + 1) + J * (J + 1) // 2 * (L + 1))


class KymatioQM7:
    """kymatio's HarmonicScattering3D and the example's densities, built once."""

    def __init__(
        self,
        integral_powers=(0.5, 1, 2, 3),
        J=2,
        L=3,
        shape=(192, 128, 96),
        sigma_voxels=2.0,
        h=None,
    ):
        HarmonicScattering3D, self._gaussians = load_kymatio()
        self.Q = [float(q) for q in integral_powers]
        self.J, self.L, self.shape = J, L, tuple(shape)
        self.sigma = float(sigma_voxels)
        self.h = qm7_voxel_size(self.sigma) if h is None else float(h)
        t0 = time.perf_counter()
        self.scattering = HarmonicScattering3D(
            J=J, shape=self.shape, L=L, sigma_0=self.sigma, integral_powers=self.Q
        )
        self.scattering.max_order = 2
        self.scattering.method = "integral"
        self.build_seconds = time.perf_counter() - t0
        M, N, O = self.shape  # noqa: E741
        grid = np.mgrid[
            -M // 2 : -M // 2 + M, -N // 2 : -N // 2 + N, -O // 2 : -O // 2 + O
        ]
        self.grid = np.fft.ifftshift(grid.astype("float32"), axes=(1, 2, 3))
        # S_Å(q) = S_vox(q) h^(3 - 3q), the same factor for S0, S1 and S2.
        self.factor = self.h ** (3.0 - 3.0 * np.asarray(self.Q))

    def densities(self, Z_list, R_list):
        """Full, valence, core densities (3, B, M, N, O) float32, voxel units."""
        n_max = max(int(np.sum(np.asarray(Z) > 0)) for Z in Z_list)
        pos = np.zeros((len(Z_list), n_max, 3))
        full = np.zeros((len(Z_list), n_max), dtype="float32")
        for b, (Z, R) in enumerate(zip(Z_list, R_list, strict=True)):
            Z, R = np.asarray(Z), np.asarray(R, dtype=float)
            mask = Z > 0
            pos[b, : mask.sum()] = pca_align(R[mask]) / self.h
            full[b, : mask.sum()] = Z[mask]
        valence = get_valence(full)
        rho_full = self._gaussians(self.grid, pos, full, self.sigma).astype("float32")
        rho_val = self._gaussians(self.grid, pos, valence, self.sigma).astype("float32")
        return rho_full, rho_val, rho_full - rho_val

    def coefficients(self, Z_list, R_list):
        """(B, n_features) float64, our column order, Å units."""
        compute_integrals = self.scattering.backend.compute_integrals
        n_first = self.J + 1
        blocks = []
        for rho in self.densities(Z_list, R_list):
            s0 = compute_integrals(rho, self.Q)  # (B, P)
            s = self.scattering(rho)  # (B, J+1 + pairs, L+1, P)
            s1 = s[:, :n_first] * self.factor  # (B, j, l, q)
            s2 = s[:, n_first:] * self.factor  # (B, pair, l, q)
            blocks += [
                s0 * self.factor,
                s1.reshape(len(rho), -1),
                s2.reshape(len(rho), -1),
            ]
        return np.concatenate(blocks, axis=1).astype(np.float64)

    def run(self, Z_list, R_list, batch_size=8, fft_workers=None, verbose=False):
        """Coefficients (n, D) and wall seconds per molecule (n,) (batch time / B).

        ``self.cpu_seconds`` gets the process CPU seconds per molecule (all threads),
        which a busy machine inflates less than the wall time.
        """
        out, seconds, cpu = [], [], []
        for start in range(0, len(Z_list), batch_size):
            Zb = Z_list[start : start + batch_size]
            Rb = R_list[start : start + batch_size]
            t0, c0 = time.perf_counter(), time.process_time()
            if fft_workers is None:  # kymatio as shipped: scipy.fft, 1 worker
                out.append(self.coefficients(Zb, Rb))
            else:
                with scipy.fft.set_workers(fft_workers):
                    out.append(self.coefficients(Zb, Rb))
            dt = time.perf_counter() - t0
            seconds += [dt / len(Zb)] * len(Zb)
            cpu += [(time.process_time() - c0) / len(Zb)] * len(Zb)
            if verbose:
                print(
                    f"molecules {start}..{start + len(Zb) - 1}: {dt:.1f} s "
                    f"({dt / len(Zb):.2f} s/molecule, CPU {cpu[-1]:.2f} s/molecule, "
                    f"load avg {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
        self.cpu_seconds = np.asarray(cpu)
        return np.concatenate(out, axis=0), np.asarray(seconds)


@functools.lru_cache(maxsize=4)
def _model(integral_powers, J, L, shape, sigma_voxels, h):
    return KymatioQM7(integral_powers, J, L, shape, sigma_voxels, h)


def kymatio_coefficients(
    Z_list,
    R_list_angstrom,
    integral_powers=(0.5, 1, 2, 3),
    J=2,
    L=3,
    shape=(192, 128, 96),
    sigma_voxels=2.0,
    h=None,
    batch_size=8,
    fft_workers=None,
):
    """kymatio's QM7-example coefficients of molecules, in our order and Å units.

    Parameters
    ----------
    Z_list : sequence of int arrays
        Atomic numbers per molecule (zeros are padding and dropped).
    R_list_angstrom : sequence of (n_atoms, 3) arrays
        Positions in Å.
    h : float or None
        Voxel size in Å; None gives the example's h = 0.112602 Å. The Gaussian
        width in Å is ``sigma_voxels * h``.
    batch_size : int
        Molecules per kymatio call (the example uses 8).
    fft_workers : int or None
        None runs kymatio as shipped (scipy.fft with one worker); an int wraps the
        call in ``scipy.fft.set_workers``.

    Returns
    -------
    X : (n, D) float64
        Per channel (full, valence, core): S0[q], S1[j, l, q] (C order), S2[j1, j2,
        l, q] (pairs j1 < j2 lexicographic, then l, then q); D = 3 |Q| (1 + (J+1)(L+1)
        + J(J+1)/2 (L+1)).
    seconds : (n,) float
        Wall time per molecule (its batch's time / batch size; the filter bank is
        built once per parameter set and not counted).
    """
    model = _model(
        tuple(float(q) for q in integral_powers),
        J,
        L,
        tuple(shape),
        float(sigma_voxels),
        None if h is None else float(h),
    )
    return model.run(list(Z_list), list(R_list_angstrom), batch_size, fft_workers)


def qm7_sample(data_folder, n, seed=0):
    """Sorted indices ``default_rng(seed).choice(7165, n, replace=False)``, Z, R.

    ``data_folder`` holds ``qm7.npz``.
    """
    data = np.load(Path(data_folder) / "qm7.npz")
    idx = np.sort(np.random.default_rng(seed).choice(len(data["Z"]), n, replace=False))
    Z = [data["Z"][i][data["Z"][i] > 0].astype(int) for i in idx]
    R = [data["R"][i][data["Z"][i] > 0] for i in idx]
    return idx, Z, R


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--n", type=int, default=16, help="molecules in the sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--fft-workers", type=int, default=None)
    parser.add_argument("--out", default="benchmarks/_cache/kymatio_qm7_sample.npz")
    args = parser.parse_args(argv)

    idx, Z, R = qm7_sample(args.data, args.n, args.seed)
    t0 = time.perf_counter()
    model = KymatioQM7()
    print(f"filter bank: {time.perf_counter() - t0:.1f} s, h = {model.h:.6f} Å")
    X, seconds = model.run(Z, R, args.batch_size, args.fft_workers, verbose=True)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(idx)} molecules: {seconds.mean():.2f} s/molecule wall, "
        f"{model.cpu_seconds.mean():.2f} s/molecule CPU "
        f"(batch {args.batch_size}, fft_workers={args.fft_workers}), "
        f"peak RSS {peak_mib:.0f} MiB, NaN: {int(np.isnan(X).sum())}"
    )
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.savez(
        args.out,
        indices=idx,
        X=X,
        seconds=seconds,
        cpu_seconds=model.cpu_seconds,
        integral_powers=np.asarray(model.Q),
        J=model.J,
        L=model.L,
        shape=np.asarray(model.shape),
        sigma_voxels=model.sigma,
        h=model.h,
        sigma_angstrom=model.sigma * model.h,
        channels=np.asarray(CHANNELS),
        batch_size=args.batch_size,
        fft_workers=-1 if args.fft_workers is None else args.fft_workers,
        filter_bank_seconds=model.build_seconds,
        peak_rss_mib=peak_mib,
    )
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
