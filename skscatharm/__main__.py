"""The main job: ``python -m skscatharm``.

Featurizes the QM7 sample that ships with the package (500 molecules), fits a
``Pipeline`` of :class:`~skscatharm.SolidHarmonicScattering` and
:class:`~skscatharm.FactorizedBilinearRegressor` with 5-fold cross-validation, prints
its mean absolute and root mean square errors in kcal/mol and saves a plot of the
predicted against the true atomization energies. Two models are cross-validated on the
same folds for comparison: ridge regression on the same coefficients (the linear
baseline) and :class:`~skscatharm.AtomKernelRidgeCV` on the fields at the atoms (the
package's most accurate energy model).
"""

import argparse
import importlib.util
import time

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from . import AtomKernelRidgeCV, FactorizedBilinearRegressor, SolidHarmonicScattering
from ._core.molecules import as_molecules
from ._core.plan import parse_oversampling
from .datasets import load_qm7_sample

#: Molecules featurized by ``--quick``.
QUICK_N_MOLECULES = 100

#: Lines of plain progress printed while featurizing when tqdm is not installed.
_PROGRESS_LINES = 10


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m skscatharm",
        description="Featurize the QM7 sample shipped with skscatharm (500 "
        "molecules), cross-validate a Pipeline of SolidHarmonicScattering and "
        "FactorizedBilinearRegressor, print its MAE and RMSE in kcal/mol (with "
        "ridge regression and AtomKernelRidgeCV on the same folds) and plot "
        "the predicted against the true atomization energies.",
    )
    parser.add_argument(
        "--n-molecules",
        type=int,
        default=None,
        help="use only the first N molecules of the sample, which is in QM7 order, "
        "roughly by size (default: all 500)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run on the first {QUICK_N_MOLECULES} molecules",
    )
    parser.add_argument(
        "--oversampling",
        type=parse_oversampling,
        default="coarse",
        help='accuracy setting of the transform (default "coarse": 2 points per width, '
        'ample for regression; "auto", the transform\'s own default, keeps every '
        "coefficient within 1e-3 at more cost; a number is points per width; "
        "benchmarks/RESULTS.md has the measured errors and times)",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=-1,
        help=(
            "worker processes for the featurization, joblib's convention "
            "(default -1: all cores; 1: none)"
        ),
    )
    parser.add_argument(
        "--n-splits", type=int, default=5, help="cross-validation folds (default 5)"
    )
    parser.add_argument(
        "--plot",
        default="skscatharm_qm7.png",
        metavar="PATH",
        help="where to save the predicted-vs-true plot (PNG; needs matplotlib; "
        "default: skscatharm_qm7.png); '' to skip it",
    )
    parser.add_argument(
        "--save",
        default=None,
        metavar="PATH",
        help="also save the pipeline fitted on every molecule with joblib",
    )
    return parser


def featurize(scattering, X):
    """Scattering coefficients of ``X``, showing progress on the terminal.

    With tqdm installed (the ``progress`` extra) the transformer draws its own bar;
    without it, the molecules are featurized in about ten slices and one plain line
    is printed after each.

    Parameters
    ----------
    scattering : SolidHarmonicScattering
    X : ndarray of shape (n_molecules, max_atoms, 4)

    Returns
    -------
    features : ndarray of shape (n_molecules, n_features)
    """
    if importlib.util.find_spec("tqdm") is not None:
        return scattering.set_params(verbose=1).fit_transform(X)
    scattering.set_params(verbose=0).fit(X)
    n = len(X)
    size = max(1, -(-n // _PROGRESS_LINES))
    parts, start = [], time.perf_counter()
    for first in range(0, n, size):
        parts.append(scattering.transform(X[first : first + size]))
        done = min(first + size, n)
        elapsed = time.perf_counter() - start
        print(
            f"scattering: {done}/{n} molecules, {elapsed:.0f} s elapsed"
            f"{f', about {elapsed / done * (n - done):.0f} s left' if done < n else ''}",
            flush=True,
        )
    return np.concatenate(parts) if parts else np.empty((0, scattering.n_features_out_))


def errors(true, predicted):
    """Mean absolute and root mean square errors.

    Parameters
    ----------
    true, predicted : ndarray of shape (n,)

    Returns
    -------
    mae, rmse : float
    """
    residual = np.asarray(predicted) - np.asarray(true)
    return float(np.mean(np.abs(residual))), float(np.sqrt(np.mean(residual**2)))


def _print_row(model, text):
    """One line of the table of cross-validated errors, model names aligned."""
    print(f"  {model:<29}{text}")


def elements_missing_from_training(X, folds):
    """Elements of a held-out fold that none of its training molecules has.

    :class:`~skscatharm.AtomKernelRidgeCV` has one atomic-energy function per element,
    so it cannot predict a molecule with an element it was not trained on.

    Parameters
    ----------
    X : sequence or ndarray
        Molecules, in any form that :class:`~skscatharm.SolidHarmonicScattering`
        accepts.
    folds : cross-validation generator

    Returns
    -------
    missing : list of (int, int)
        ``(atomic number, molecule index)`` of the first held-out molecule with each
        such element, over all folds; empty when every fold can be predicted.
    """
    elements = [set(m.numbers.tolist()) for m in as_molecules(X)]
    missing = {}
    for train, test in folds.split(np.zeros((len(elements), 1))):
        seen = set().union(*(elements[i] for i in train))
        for i in test:
            for z in elements[i] - seen:
                missing.setdefault(z, int(i))
    return sorted(missing.items())


def save_plot(path, true, predicted, title):
    """Scatter plot of predicted against true energies, written as PNG.

    Parameters
    ----------
    path : str or path-like
    true, predicted : ndarray of shape (n,)
    title : str

    Returns
    -------
    saved : bool
        False (and nothing written) when matplotlib is not installed.
    """
    try:
        from matplotlib.figure import Figure  # no pyplot: works without a display
    except ImportError:
        return False
    figure = Figure(figsize=(5, 5), layout="constrained")
    axes = figure.add_subplot()
    low, high = min(true.min(), predicted.min()), max(true.max(), predicted.max())
    axes.plot([low, high], [low, high], color="0.6", linewidth=1)
    axes.scatter(true, predicted, s=8, alpha=0.7)
    axes.set_xlabel("true atomization energy (kcal/mol)")
    axes.set_ylabel("predicted, cross-validated (kcal/mol)")
    axes.set_title(title, fontsize="medium")
    axes.set_aspect("equal")
    figure.savefig(path, dpi=120)
    return True


def run(
    n_molecules=None,
    oversampling="coarse",
    n_jobs=-1,
    n_splits=5,
    plot="skscatharm_qm7.png",
    save=None,
):
    """Featurize the QM7 sample, cross-validate the pipeline, report and plot.

    Parameters
    ----------
    n_molecules : int or None, default=None
        Use the first ``n_molecules`` of the 500; None for all.
    oversampling : float or {"auto", "coarse"}, default="coarse"
        Accuracy setting of :class:`~skscatharm.SolidHarmonicScattering`.
    n_jobs : int, default=-1
        Worker processes for the featurization (``n_jobs`` of
        :class:`~skscatharm.SolidHarmonicScattering`, joblib's convention); -1,
        all cores, by default, since the command owns the machine it runs on.
    n_splits : int, default=5
        Folds of the cross-validation.
    plot : str, path-like or None, default="skscatharm_qm7.png"
        Where to save the predicted-vs-true PNG; None or "" to skip.
    save : str, path-like or None, default=None
        Where to save the fitted pipeline with :func:`joblib.dump`.

    Returns
    -------
    results : dict
        ``mae`` and ``rmse`` (kcal/mol) of the pipeline, ``ridge_mae`` and
        ``ridge_rmse`` of the linear baseline, ``atom_kernel_mae`` and
        ``atom_kernel_rmse`` of :class:`~skscatharm.AtomKernelRidgeCV` (None when a
        fold holds an element that its training molecules lack), ``predicted``
        (cross-validated predictions), ``target``, ``seconds`` (featurization wall
        time), ``plot`` (the path written, or None) and ``pipeline`` (fitted on every
        molecule).
    """
    X, y = load_qm7_sample(return_X_y=True)
    X, y = X[:n_molecules], y[:n_molecules]
    # The regression setting ("coarse": errors past the 1e-3 contract on some
    # molecules, far below what the fit resolves) costs less than the default.
    scattering = SolidHarmonicScattering(oversampling=oversampling, n_jobs=n_jobs)
    # One bilinear term, a firm penalty on it and a light one on the linear part:
    # the best converged fit of the settings tried on this sample (n_components 1-2,
    # alpha 1e-2 to 100, alpha_linear 1e-8 to 1e-2; benchmarks/RESULTS.md); L-BFGS
    # converges in under 1,000 iterations and a second here.
    regressor = FactorizedBilinearRegressor(
        n_components=1, alpha=10.0, alpha_linear=1e-4, max_iter=5000, random_state=0
    )
    pipeline = Pipeline([("scattering", scattering), ("regressor", regressor)])
    print(
        f"QM7 sample: {len(X)} molecules, atomization energies "
        f"{y.min():.0f} to {y.max():.0f} kcal/mol"
    )

    # The scattering transform learns nothing from data (``fit`` only checks its
    # parameters), so the coefficients of every molecule are computed once, here,
    # and the cross-validation refits only the regressor on them: the same
    # predictions as cross-validating the whole pipeline, which would featurize each
    # molecule once per fold (Pipeline(memory=...) does not help there, since every
    # fold fits on a different subset of molecules).
    start = time.perf_counter()
    features = featurize(scattering, X)
    seconds = time.perf_counter() - start
    print(
        f"{features.shape[1]} scattering coefficients per molecule in {seconds:.0f} s "
        f"({len(X) / seconds:.2f} molecules/s, oversampling={oversampling}, "
        f"n_jobs={n_jobs})"
    )

    folds = KFold(n_splits, shuffle=True, random_state=0)
    predicted = cross_val_predict(regressor, features, y, cv=folds)
    mae, rmse = errors(y, predicted)
    ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-6, 2, 17)))
    ridge_mae, ridge_rmse = errors(y, cross_val_predict(ridge, features, y, cv=folds))
    print(f"{n_splits}-fold cross-validation on {len(X)} molecules (kcal/mol):")
    _print_row("FactorizedBilinearRegressor", f"MAE {mae:7.2f}   RMSE {rmse:7.2f}")
    _print_row(
        "Ridge (linear baseline)", f"MAE {ridge_mae:7.2f}   RMSE {ridge_rmse:7.2f}"
    )
    # The atomic-energy model reads the fields at the atoms in closed form (no
    # grid), and chooses its kernel widths and ridge by inner cross-validation in
    # each fold: a few seconds for the 500 molecules.
    atom_kernel_mae = atom_kernel_rmse = None
    missing = elements_missing_from_training(X, folds)
    if missing:
        named = ", ".join(f"Z={z} (molecule {i})" for z, i in missing)
        _print_row(
            "AtomKernelRidgeCV (atoms)",
            f"skipped: a fold holds elements its training molecules lack: {named}",
        )
    else:
        atom_kernel_mae, atom_kernel_rmse = errors(
            y, cross_val_predict(AtomKernelRidgeCV(), X, y, cv=folds)
        )
        _print_row(
            "AtomKernelRidgeCV (atoms)",
            f"MAE {atom_kernel_mae:7.2f}   RMSE {atom_kernel_rmse:7.2f}",
        )

    # The pipeline fitted on every molecule, from the same coefficients.
    regressor.fit(features, y)
    if save:
        import joblib

        joblib.dump(pipeline, save)
        print(f"fitted pipeline saved to {save}")

    written = None
    if plot:
        title = (
            f"{len(X)} QM7 molecules, FactorizedBilinearRegressor, {n_splits}-fold CV\n"
            f"MAE {mae:.2f} kcal/mol, RMSE {rmse:.2f} kcal/mol"
        )
        if save_plot(plot, y, predicted, title):
            written = str(plot)
            print(f"predicted-vs-true plot saved to {written}")
        else:
            print("matplotlib is not installed: no plot (pip install matplotlib)")
    return {
        "mae": mae,
        "rmse": rmse,
        "ridge_mae": ridge_mae,
        "ridge_rmse": ridge_rmse,
        "atom_kernel_mae": atom_kernel_mae,
        "atom_kernel_rmse": atom_kernel_rmse,
        "predicted": predicted,
        "target": y,
        "seconds": seconds,
        "plot": written,
        "pipeline": pipeline,
    }


def main(argv=None):
    """Command-line entry point of ``python -m skscatharm``.

    Parameters
    ----------
    argv : list of str or None
        Arguments (None: ``sys.argv[1:]``); see ``python -m skscatharm --help``.

    Returns
    -------
    results : dict
        As :func:`run`.
    """
    args = _parser().parse_args(argv)
    n_molecules = args.n_molecules
    if n_molecules is None and args.quick:
        n_molecules = QUICK_N_MOLECULES
    return run(
        n_molecules=n_molecules,
        oversampling=args.oversampling,
        n_jobs=args.n_jobs,
        n_splits=args.n_splits,
        plot=args.plot,
        save=args.save,
    )


if __name__ == "__main__":
    main()
