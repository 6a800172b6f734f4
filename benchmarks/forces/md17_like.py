"""Energies and forces on xTB MD trajectories: energy-only against energy+force, and sGDML.

For each molecule's trajectory (``<data>/<name>.extxyz`` from
``benchmarks/forces/xtb_trajectories.py``), the configurations are shuffled
(``--seed``); the first ``--n-train`` are the training set and the next ``--n-test``
the test set. Hyperparameters are chosen on the training set alone: its last
``--n-valid`` configurations are held out, the models are fit on the rest, and the
refit on all training configurations is scored on the test set.

* ``SparseAtomKernelRidge`` energy-only: the width set (``--widths``) and the ridge
  (``--alphas``) with the smallest validation energy MAE.
* ``SparseAtomKernelRidge`` energy+force (``fit(..., forces=)``): the width set,
  the ridge and the force weight (``--force-weights``, Å²) with the smallest
  validation force MAE. For each width, the energy and force Gram matrices are
  accumulated once and every (ridge, force weight) pair is one solve.
* sGDML (the ``sgdml`` package, with its symmetries): the kernel width ``sig``
  (``--sgdml-sigmas``) with the smallest validation force MAE when fit on
  ``--sgdml-search-n`` configurations, then fit on the first ``--sgdml-n-train``
  training configurations (all of them by default; its analytic solver holds a
  ``(3 N n)²`` matrix, its iterative one is used beyond ``--sgdml-memory`` GiB).

Reported: energy MAE (kcal/mol) and force-component MAE (kcal/mol/Å) on the test
set, fit times, and the time of one energy-and-forces evaluation of one molecule
(median of ``--n-timing``; the MD step cost) for each model and for GFN2-xTB itself
(from the trajectory's ``.json``). Energies in eV are converted with ASE's units.

Needs ``ase`` and, for the comparison, ``sgdml`` (``pip install sgdml``; not a
dependency of the package; ``--skip-sgdml`` runs without it).

Usage: python -m benchmarks.forces.md17_like --data <folder with .extxyz>
    [--molecules ethanol malonaldehyde aspirin] [--n-train 1000] [--n-test 2000]
    [--n-valid 200] [--representatives 2000] [--J 2] [--L 3] [--scales-per-octave 1]
    [--eps 1e-3] [--sigma 0.2262] [--sigma-0 SIGMA] [--widths 1 0.5,1]
    [--alphas 1e-8 1e-6 1e-4] [--force-weights 0.01 0.1 1 10]
    [--sgdml-sigmas 10 20 40 80] [--sgdml-search-n 200] [--sgdml-n-train 1000]
    [--skip-sgdml] [--json results.json]
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from benchmarks.common.atom_kernel import (
    add_element_shares_argument,
    width_set,
    widths_label,
)
from benchmarks.common.channels import CHANNEL_SETS, channel_set
from skscatharm import SparseAtomKernelRidge
from skscatharm._atoms.descriptors import scaled_logs
from skscatharm._atoms.force_fit import force_normal_equations
from skscatharm._atoms.nystroem import apply_map
from skscatharm._atoms.sparse import sparse_normal_equations
from skscatharm._core.molecules import as_molecules


def kcal_mol_per_ev():
    """kcal/mol per eV, from ASE's units."""
    from ase.units import kcal, mol

    return 1.0 / (kcal / mol)


def read_trajectory(path):
    """Numbers, positions (Å), energies (eV) and forces (eV/Å) of an extended XYZ."""
    from ase.io import read

    frames = read(path, ":")
    numbers = frames[0].numbers
    positions = np.array([frame.positions for frame in frames])
    energies = np.array([frame.get_potential_energy() for frame in frames])
    forces = np.array([frame.get_forces() for frame in frames])
    return numbers, positions, energies, forces


def molecules(numbers, positions):
    return [(numbers, R) for R in positions]


def errors(model, numbers, positions, energies, forces):
    """Energy MAE and force-component MAE of a fitted model, in the data's units."""
    predicted, predicted_forces = model.predict_energy_forces(
        molecules(numbers, positions)
    )
    return (
        float(np.abs(predicted - energies).mean()),
        float(np.abs(np.array(predicted_forces) - forces).mean()),
    )


def descriptor_parameters(args, numbers):
    """The atom model's descriptor and representative settings from the options."""
    return dict(
        J=args.J,
        L=args.L,
        channels=channel_set(args.channels, numbers),
        scales_per_octave=args.scales_per_octave,
        eps=args.eps,
        sigma=args.sigma,
        sigma_0=args.sigma_0,
        selection="farthest",
        element_shares=args.element_shares,
        random_state=args.seed,
    )


def search_energy_force(args, numbers, R, E, F, fit, valid, width):
    """Validation errors of every (alpha, force weight) for one width.

    Returns a list of dicts and the model fit on ``fit`` (its scaling and
    representatives are those of every candidate).
    """
    model = SparseAtomKernelRidge(
        args.representatives,
        width=width,
        alpha=1.0,
        **descriptor_parameters(args, numbers),
    ).fit(molecules(numbers, R[fit]), E[fit])
    representatives = model._training_atoms
    # The training atoms as the fit saw them (descriptors of the fit set).
    fields = model._model_fields(molecules(numbers, R[fit]))
    atoms = (
        scaled_logs(fields.fields, model.offset_, model.scale_),
        fields.molecule,
        fields.numbers,
        len(fit),
    )
    exponent = model._target_exponent
    # Every configuration has the same atoms: one dressed-atom sum for all.
    dressed = counts(model, numbers) @ np.ldexp(model.dressed_atoms_, -exponent)
    residual = np.ldexp(E[fit], -exponent) - dressed
    intercept = float(residual.mean())
    weights = np.ones(len(fit))
    maps, energy_gram, energy_moment = sparse_normal_equations(
        atoms, representatives, residual - intercept, weights, model.widths_
    )
    force_gram, force_moment = force_normal_equations(
        model,
        as_molecules(molecules(numbers, R[fit])),
        [np.ldexp(f, -exponent) for f in F[fit]],
        weights,
        representatives,
        maps,
    )
    results = []
    for force_weight in [0.0, *args.force_weights]:
        for alpha in args.alphas:
            # Lower triangles (the upper ones are not set).
            gram = energy_gram + force_weight * force_gram
            gram[np.diag_indices_from(gram)] += alpha
            moment = energy_moment + force_weight * force_moment
            beta = cho_solve(cho_factor(gram, lower=True), moment)
            model.dual_coef_ = np.ldexp(
                apply_map(maps, beta, representatives[3]), exponent
            )
            model.intercept_ = float(np.ldexp(intercept, exponent))
            energy_mae, force_mae = errors(model, numbers, R[valid], E[valid], F[valid])
            results.append(
                dict(
                    width=width,
                    alpha=alpha,
                    force_weight=force_weight,
                    energy_mae=energy_mae,
                    force_mae=force_mae,
                )
            )
            print(
                f"    width {widths_label(width)} alpha {alpha:g} force weight "
                f"{force_weight:g}: validation energy MAE {energy_mae:.4f} eV, force MAE "
                f"{force_mae:.4f} eV/Å",
                flush=True,
            )
    return results


def counts(model, numbers):
    return np.array([np.sum(numbers == z) for z in model.elements_], dtype=float)


def timing(function, n):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def fit_sgdml(args, numbers, R, E, F, train, valid, unit):
    """sGDML's sigma by validation on a subset, then the fit; returns a predictor."""
    from sgdml.predict import GDMLPredict
    from sgdml.train import GDMLTrain

    def dataset(indices):
        return {
            "type": "d",
            "name": np.array("xtb"),
            "theory": np.array("GFN2-xTB"),
            "z": numbers,
            "R": R[indices],
            "E": (E[indices] * unit)[:, None],
            "F": F[indices] * unit,
            "e_unit": np.array("kcal/mol"),
            "r_unit": np.array("Ang"),
        }

    trainer = GDMLTrain(max_memory=args.sgdml_memory, max_processes=args.n_jobs)
    valid_set = dataset(valid)
    best = None
    for sigma in args.sgdml_sigmas:
        subset = train[: args.sgdml_search_n]
        task = trainer.create_task(
            dataset(subset), len(subset), valid_set, len(valid), sig=sigma
        )
        model = trainer.train(task)
        predictor = GDMLPredict(model, max_processes=args.n_jobs)
        _, forces = predictor.predict(R[valid].reshape(len(valid), -1))
        mae = float(np.abs(forces.reshape(F[valid].shape) - F[valid] * unit).mean())
        print(f"    sGDML sig {sigma}: validation force MAE {mae:.4f} kcal/mol/Å")
        if best is None or mae < best[1]:
            best = (sigma, mae)
    n_train = min(args.sgdml_n_train, len(train))
    task = trainer.create_task(
        dataset(train[:n_train]), n_train, valid_set, len(valid), sig=best[0]
    )
    start = time.perf_counter()
    model = trainer.train(task)
    seconds = time.perf_counter() - start
    return GDMLPredict(model, max_processes=args.n_jobs), best[0], n_train, seconds


def main():  # noqa: C901 - a linear script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument(
        "--molecules", nargs="+", default=["ethanol", "malonaldehyde", "aspirin"]
    )
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--n-valid", type=int, default=200)
    parser.add_argument("--representatives", type=int, default=2000)
    parser.add_argument("--J", type=int, default=2, help="largest scale index")
    parser.add_argument("--L", type=int, default=3, help="largest degree")
    parser.add_argument(
        "--scales-per-octave", type=int, default=1, help="wavelet scales per octave"
    )
    parser.add_argument(
        "--eps", type=float, default=1e-3, help="log offset, fraction of the median"
    )
    parser.add_argument("--sigma", type=float, default=0.2262, help="atom width (Å)")
    parser.add_argument(
        "--sigma-0", type=float, default=None, help="finest wavelet (Å); default sigma"
    )
    parser.add_argument(
        "--channels",
        default="charges",
        choices=CHANNEL_SETS,
        help="descriptor channels (benchmarks/common/channels.py)",
    )
    parser.add_argument("--widths", nargs="+", type=width_set, default=[(1.0,)])
    parser.add_argument("--alphas", nargs="+", type=float, default=[1e-8, 1e-6, 1e-4])
    parser.add_argument(
        "--force-weights", nargs="+", type=float, default=[0.01, 0.1, 1.0, 10.0]
    )
    parser.add_argument(
        "--sgdml-sigmas", nargs="+", type=float, default=[10, 20, 40, 80]
    )
    parser.add_argument("--sgdml-search-n", type=int, default=200)
    parser.add_argument("--sgdml-n-train", type=int, default=1000)
    parser.add_argument("--sgdml-memory", type=int, default=16, help="GiB")
    parser.add_argument("--skip-sgdml", action="store_true")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--n-timing", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    add_element_shares_argument(parser)
    args = parser.parse_args()
    unit = kcal_mol_per_ev()
    report = {}
    for name in args.molecules:
        numbers, R, E, F = read_trajectory(args.data / f"{name}.extxyz")
        order = np.random.default_rng(args.seed).permutation(len(E))
        if len(order) < args.n_train + args.n_test:
            raise SystemExit(
                f"{name}: {len(order)} configurations, fewer than "
                f"{args.n_train} + {args.n_test}"
            )
        train = order[: args.n_train]
        test = order[args.n_train : args.n_train + args.n_test]
        fit, valid = train[: -args.n_valid], train[-args.n_valid :]
        print(f"{name}: {len(train)} training, {len(test)} test configurations")
        candidates = []
        for width in args.widths:
            candidates += search_energy_force(args, numbers, R, E, F, fit, valid, width)
        energy_only = min(
            (c for c in candidates if c["force_weight"] == 0.0),
            key=lambda c: c["energy_mae"],
        )
        energy_force = min(
            (c for c in candidates if c["force_weight"] > 0.0),
            key=lambda c: c["force_mae"],
        )
        rows = {}
        for label, chosen, with_forces in (
            ("energy-only", energy_only, False),
            ("energy+force", energy_force, True),
        ):
            model = SparseAtomKernelRidge(
                args.representatives,
                width=chosen["width"],
                alpha=chosen["alpha"],
                force_weight=chosen["force_weight"],
                **descriptor_parameters(args, numbers),
            )
            start = time.perf_counter()
            model.fit(
                molecules(numbers, R[train]),
                E[train],
                forces=F[train] if with_forces else None,
            )
            fit_seconds = time.perf_counter() - start
            energy_mae, force_mae = errors(model, numbers, R[test], E[test], F[test])
            one = molecules(numbers, R[test[:1]])
            seconds = timing(
                lambda m=model, one=one: m.predict_energy_forces(one), args.n_timing
            )
            rows[label] = dict(
                chosen=chosen,
                energy_mae_kcal_mol=energy_mae * unit,
                force_mae_kcal_mol_A=force_mae * unit,
                fit_seconds=fit_seconds,
                seconds_per_evaluation=seconds,
                n_representatives=int(model.n_representatives_),
            )
            print(
                f"  {label}: energy MAE {energy_mae * unit:.3f} kcal/mol, force MAE "
                f"{force_mae * unit:.3f} kcal/mol/Å (width {widths_label(chosen['width'])}, "
                f"alpha {chosen['alpha']:g}, force weight {chosen['force_weight']:g}); fit "
                f"{fit_seconds:.0f} s; {seconds * 1e3:.1f} ms per evaluation",
                flush=True,
            )
        if not args.skip_sgdml:
            predictor, sigma, n_sgdml, fit_seconds = fit_sgdml(
                args, numbers, R, E, F, train, valid, unit
            )
            energies, forces = predictor.predict(R[test].reshape(len(test), -1))
            energy_mae = float(np.abs(energies - E[test] * unit).mean())
            force_mae = float(
                np.abs(forces.reshape(F[test].shape) - F[test] * unit).mean()
            )
            single = R[test[:1]].reshape(1, -1)
            seconds = timing(
                lambda p=predictor, one=single: p.predict(one), args.n_timing
            )
            rows["sGDML"] = dict(
                sig=sigma,
                n_train=n_sgdml,
                energy_mae_kcal_mol=energy_mae,
                force_mae_kcal_mol_A=force_mae,
                fit_seconds=fit_seconds,
                seconds_per_evaluation=seconds,
            )
            print(
                f"  sGDML ({n_sgdml} configurations, sig {sigma:g}): energy MAE "
                f"{energy_mae:.3f} kcal/mol, force MAE {force_mae:.3f} kcal/mol/Å; "
                f"fit {fit_seconds:.0f} s; {seconds * 1e3:.1f} ms per evaluation",
                flush=True,
            )
        info = args.data / f"{name}.json"
        if info.exists():
            xtb = json.loads(info.read_text())["seconds_per_xtb_force_evaluation"]
            rows["GFN2-xTB"] = dict(seconds_per_evaluation=xtb)
            print(f"  GFN2-xTB: {xtb * 1e3:.1f} ms per evaluation")
        report[name] = rows
        if args.json:
            args.json.write_text(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
