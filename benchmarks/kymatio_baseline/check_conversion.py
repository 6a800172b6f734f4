"""Check kymatio's filters and our conversion of its output (independent of skscatharm).

1. Filters: kymatio's Fourier filters ``solid_harmonic_3d`` against doc/definition.rst §2
   (normalisation c_l, scales s_j = sigma_0 2^j, per m up to kymatio's angle convention).
2. Layout of S1/S2: kymatio on a small grid against an independent numpy FFT of the
   same density with the doc/definition.rst §2 filters, every (j, l, q) and (j1, j2, l, q).
3. Units: kymatio's QM7 pipeline (192x128x96, sigma = 2 voxels, h = 0.1126 Å)
   converted to Å against the exact values of doc/definition.rst §4: S1[j,l,2] (pairwise 1F1 sum),
   S0[1] = S1[j,0,1] = sum w, and S0[2] = sum w w' g_{sqrt2 sigma}(r - r').

Run: ``python -m benchmarks.kymatio_baseline.check_conversion --data ../shared/data``.
"""

import argparse
from pathlib import Path

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import gamma, hyp1f1, sph_harm_y

from benchmarks.kymatio_baseline._shim import load_kymatio
from benchmarks.kymatio_baseline.qm7_example import (
    CHANNELS,
    KymatioQM7,
    get_valence,
    qm7_sample,
)


def c_l(l):  # noqa: E741
    """doc/definition.rst §2 normalisation."""
    return 1 / (
        np.sqrt(4 * np.pi * (2 * l + 1)) * 2 ** ((l + 1) / 2) * gamma((l + 3) / 2)
    )


def spec_filters_hat(shape, s, l, angles="spec"):  # noqa: E741
    """doc/definition.rst §2 psî_{s,l,m}(k), m = -l..l, on the FFT frequencies of ``shape``.

    ``angles="kymatio"`` uses kymatio's angles (z = axis 0, polar measured from -z,
    azimuth = atan2(axis 1, axis 2)); "spec" uses (x, y, z) = axes (0, 1, 2).
    """
    k = np.meshgrid(*[2 * np.pi * np.fft.fftfreq(n) for n in shape], indexing="ij")
    kn = np.sqrt(sum(ki**2 for ki in k))
    if angles == "kymatio":
        polar = np.pi / 2 + np.arctan2(k[0], np.hypot(k[1], k[2]))
        azimuth = np.arctan2(k[1], k[2])
    else:
        polar = np.arctan2(np.hypot(k[0], k[1]), k[2])
        azimuth = np.arctan2(k[1], k[0])
    radial = c_l(l) * (2 * np.pi) ** 1.5 * (-1j) ** l * (s * kn) ** l
    radial = radial * np.exp(-(s**2) * kn**2 / 2)
    return np.stack(
        [radial * sph_harm_y(l, m, polar, azimuth) for m in range(-l, l + 1)]
    )


def check_filters(shape=(48, 40, 32), sigma_0=2.0, J=2, L=3):
    load_kymatio()
    from kymatio.scattering3d.filter_bank import solid_harmonic_filter_bank

    bank = solid_harmonic_filter_bank(*shape, J, L, sigma_0)
    print("1. kymatio filters vs doc/definition.rst §2 (max |kym - spec| / max |spec|)")
    print("   j  l   sum_m|.|^2 (norm+scale)   per m (kymatio angles)")
    worst = 0.0
    for l in range(L + 1):  # noqa: E741
        for j in range(J + 1):
            s = sigma_0 * 2**j
            kym = bank[l][j].astype(np.complex128)
            ref = spec_filters_hat(shape, s, l, "kymatio")
            a = np.sqrt((np.abs(kym) ** 2).sum(0))
            b = np.sqrt((np.abs(ref) ** 2).sum(0))
            e_norm = np.abs(a - b).max() / b.max()
            e_m = np.abs(kym - ref).max() / np.abs(ref).max()
            worst = max(worst, e_norm, e_m)
            print(f"   {j}  {l}   {e_norm:.1e}                  {e_m:.1e}")
    return worst


def independent_scattering(rho, J, L, Q, sigma_0):
    """S1 (J+1, L+1, P) and S2 (pairs, L+1, P), voxel units, doc/definition.rst §3 by numpy FFT."""
    rho_hat = np.fft.fftn(rho.astype(np.float64))
    pairs = [(j1, j2) for j1 in range(J + 1) for j2 in range(j1 + 1, J + 1)]
    S1 = np.zeros((J + 1, L + 1, len(Q)))
    S2 = np.zeros((len(pairs), L + 1, len(Q)))
    for l in range(L + 1):  # noqa: E741
        psi = [spec_filters_hat(rho.shape, sigma_0 * 2**j, l) for j in range(J + 1)]
        U1 = [
            np.sqrt((np.abs(np.fft.ifftn(rho_hat * p, axes=(-3, -2, -1))) ** 2).sum(0))
            for p in psi
        ]
        for j in range(J + 1):
            S1[j, l] = [(U1[j] ** q).sum() for q in Q]
        for i, (j1, j2) in enumerate(pairs):
            U1_hat = np.fft.fftn(U1[j1])
            U2 = np.sqrt(
                (np.abs(np.fft.ifftn(U1_hat * psi[j2], axes=(-3, -2, -1))) ** 2).sum(0)
            )
            S2[i, l] = [(U2**q).sum() for q in Q]
    return S1, S2


def check_layout(Z, R, shape=(64, 64, 64), h=0.25, J=2, L=3, Q=(0.5, 1, 2, 3)):
    model = KymatioQM7(Q, J, L, shape, 2.0, h)
    rho = model.densities([Z], [R])[0]  # full channel, (1, M, N, O)
    kym = model.scattering(rho)[0]  # (J+1 + pairs, L+1, P), voxel units
    S1, S2 = independent_scattering(rho[0], J, L, model.Q, 2.0)
    e1 = np.abs(kym[: J + 1] - S1) / np.abs(S1)
    e2 = np.abs(kym[J + 1 :] - S2) / np.abs(S2)
    pairs = [(j1, j2) for j1 in range(J + 1) for j2 in range(j1 + 1, J + 1)]
    print(f"\n2. kymatio output layout vs independent FFT ({shape}, {len(Z)} atoms)")
    qs = "  ".join(f"q={q:<6g}" for q in model.Q)
    print(f"   {'kymatio axis 1 index k, max rel. err over l:':51s}{qs}")
    for k in range(J + 1):
        es = "  ".join(f"{e:.1e} " for e in e1[k].max(0))
        print(f"   {f'k={k}: S1 j={k}':51s}{es}")
    for i, (j1, j2) in enumerate(pairs):
        es = "  ".join(f"{e:.1e} " for e in e2[i].max(0))
        print(
            f"   k={J + 1 + i}: S2 (j1,j2)=({j1},{j2})                             {es}"
        )
    # The wrong pair orders would differ by O(1):
    swapped = np.abs(kym[J + 1 :][::-1] - S2) / np.abs(S2)
    print(f"   (reversed pair order would give {swapped.max():.1e})")
    return max(e1.max(), e2.max())


def exact_values(Z, R, sigma, J, L, weights):
    """doc/definition.rst §4 closed forms in Å: sum w, S0[2], S1[j, l, 2] (J+1, L+1)."""
    d2 = cdist(R, R) ** 2
    ww = np.outer(weights, weights)
    s0_2 = (ww * np.exp(-d2 / (4 * sigma**2))).sum() / (4 * np.pi * sigma**2) ** 1.5
    s1_2 = np.zeros((J + 1, L + 1))
    for j in range(J + 1):
        s = sigma * 2**j
        t = np.sqrt(s**2 + sigma**2)
        for l in range(L + 1):  # noqa: E741
            pref = s ** (2 * l) * c_l(l) ** 2 * (2 * l + 1) / (4 * np.pi)
            pref *= 2 * np.pi * gamma(l + 1.5) * t ** (-2 * l - 3)
            s1_2[j, l] = pref * (ww * hyp1f1(l + 1.5, 1.5, -d2 / (4 * t**2))).sum()
    return weights.sum(), s0_2, s1_2


def check_units(data_folder, n=3, J=2, L=3, Q=(0.5, 1.0, 2.0, 3.0)):
    idx, Z, R = qm7_sample(data_folder, 16)
    Z, R, idx = Z[:n], R[:n], idx[:n]
    model = KymatioQM7(Q, J, L)
    X = model.coefficients(Z, R)
    P, pairs = len(Q), J * (J + 1) // 2
    per_channel = P * (1 + (J + 1) * (L + 1) + pairs * (L + 1))
    iq1, iq2 = Q.index(1.0), Q.index(2.0)
    sigma = 2.0 * model.h
    print(
        f"\n3. kymatio QM7 pipeline in Å vs doc/definition.rst §4 exact values (QM7 molecules {idx})"
    )
    print(f"   h = {model.h:.6f} Å, sigma = {sigma:.6f} Å, grid {model.shape}")
    err = {}
    for b in range(n):
        full = Z[b].astype(float)
        val = get_valence(full)
        for c, w in zip(CHANNELS, (full, val, full - val), strict=True):
            block = X[b, CHANNELS.index(c) * per_channel :][:per_channel]
            S0 = block[:P]
            S1 = block[P : P + (J + 1) * (L + 1) * P].reshape(J + 1, L + 1, P)
            total, s0_2, s1_2 = exact_values(Z[b], R[b], sigma, J, L, w)

            def add(key, got, want):
                e = np.abs(got - want) / np.abs(want)
                err.setdefault(key, []).append(float(np.max(e)))

            add("S0[q=1] = sum w", S0[iq1], total)
            add("S0[q=2] (pairwise Gaussian)", S0[iq2], s0_2)
            for j in range(J + 1):
                add(f"S1[j={j},l=0,q=1] = sum w", S1[j, 0, iq1], total)
            for j in range(J + 1):
                for l in range(L + 1):  # noqa: E741
                    add(f"S1[j={j},l={l},q=2] (1F1 sum)", S1[j, l, iq2], s1_2[j, l])
    print(f"   {'group':32s} max rel. err over {n} molecules x 3 channels")
    for key, e in err.items():
        print(f"   {key:32s} {max(e):.2e}")
    return max(max(e) for e in err.values())


def main():
    """Run the three checks and print the worst error of each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path("../shared/data"), help="folder of qm7.npz"
    )
    args = parser.parse_args()
    worst_filters = check_filters()
    _, Zs, Rs = qm7_sample(args.data, 16)
    small = int(np.argmin([len(z) for z in Zs]))
    worst_layout = check_layout(Zs[small], Rs[small])
    worst_units = check_units(args.data)
    print(
        f"\nworst: filters {worst_filters:.1e}, layout {worst_layout:.1e}, "
        f"units {worst_units:.1e}"
    )


if __name__ == "__main__":
    main()
