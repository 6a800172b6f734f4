"""The models the data-set benchmarks compare, and how each is tuned.

Every model is tuned the same way: an inner ``GridSearchCV`` (mean absolute error) on
the training molecules only, refit on all of them, then scored once on the held-out
molecules. A chosen value at the edge of its grid means the grid must be widened.
"""

import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import VotingRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skscatharm import (
    BilinearRegressor,
    FactorizedBilinearRegressor,
    PerAtomRegressor,
    SelectWavelets,
)

#: Penalties of the bilinear model on the coefficients themselves.
BILINEAR_GRID = {"alpha": np.logspace(-3, 2, 6), "alpha_linear": [1e-10, 1e-8, 1e-6]}
#: ... and on transformed coefficients (logarithm, square root): smaller ones.
TRANSFORMED_BILINEAR_GRID = {
    "alpha": np.logspace(-4, 1, 6),
    "alpha_linear": [1e-10, 1e-8, 1e-6],
}


def _prefixed(grid, step):
    return {f"{step}__{key}": values for key, values in grid.items()}


#: Columns of ``SolidHarmonicScattering(J=4)``, which the ensembles' members select
#: from (``--J 4``); with ``--append-sigma`` the J = 2 columns at the second atom
#: width follow them.
N_J4_COLUMNS = 732
N_J2_COLUMNS = 300


def _last_column(X):
    """The heavy-atom counts that :func:`tuned_score` appends to the input of a
    model that is a :class:`PerAtomRegressor`."""
    return X[:, -1]


def _log_without_last_column(X):
    """Logarithms of the coefficients, without the heavy-atom counts after them."""
    return np.log(X[:, :-1])


def _bilinear_search(grid, n_splits=3):
    """A bilinear model whose penalties its own inner ``n_splits``-fold CV chooses."""
    return GridSearchCV(
        BilinearRegressor(solver="dual"),
        grid,
        cv=KFold(n_splits, shuffle=True, random_state=0),
        scoring="neg_mean_absolute_error",
        n_jobs=-1,
    )


def _tuned_bilinear(J, transform, grid, second_sigma=False):
    """Columns of scales ``j <= J`` of a ``J = 4`` transform (with those of the
    second atom width if ``second_sigma``), ``transform``, and a bilinear model
    whose penalties its own inner 3-fold CV chooses. Any later column (the
    heavy-atom counts of a per-atom model) is dropped."""
    search = _bilinear_search(grid)
    select = SelectWavelets(J=J, L=3, max_order=2, computed_J=4)
    columns = [("wavelets", select, slice(0, N_J4_COLUMNS))]
    if second_sigma:
        second = slice(N_J4_COLUMNS, N_J4_COLUMNS + N_J2_COLUMNS)
        columns.append(("second_sigma", "passthrough", second))
    return make_pipeline(
        ColumnTransformer(columns), FunctionTransformer(transform), search
    )


def power_ensemble(second_sigma=False, per_atom=False):
    """The mean of six bilinear models: J = 2 and J = 3 columns, each on the
    logarithm, the square root and the coefficients themselves.

    Each member tunes its own penalties by inner CV on the training molecules it
    is given. The members' errors are far from perfectly correlated (the
    transforms weight small and large coefficients differently), so their mean
    is better than any one of them. Needs the features of ``--J 4`` with no
    ``--exclude`` (the members select their columns). With ``second_sigma``, six
    more members that also see the J = 2 columns at a second atom width
    (``--append-sigma``): twelve in all. With ``per_atom``, the mean models the
    energy per heavy atom (:class:`PerAtomRegressor` around the whole ensemble, as
    the user guide does it), the count being the input's last column.
    """
    members = []
    for second in (False, True) if second_sigma else (False,):
        for J in (2, 3):
            for name, transform, grid in (
                ("log", np.log, TRANSFORMED_BILINEAR_GRID),
                ("sqrt", np.sqrt, TRANSFORMED_BILINEAR_GRID),
                ("raw", None, BILINEAR_GRID),
            ):
                label = f"J{J}{'+sigma2' if second else ''}-{name}"
                members.append((label, _tuned_bilinear(J, transform, grid, second)))
    ensemble = VotingRegressor(members)
    return PerAtomRegressor(ensemble, atoms=_last_column) if per_atom else ensemble


def log_two_widths_per_atom():
    """The mean of two bilinear models on the logarithms of J = 2 coefficients,
    modelling the energy per heavy atom: one on the default atom width's columns,
    one on those and the second width's (``--J 2 --append-sigma``: 300 + 300
    columns, then the heavy-atom counts). Each tunes its own penalties by inner
    5-fold CV: the best penalties depend on the number of training molecules, and
    with 3 folds the inner fits see only two thirds of them (benchmarks/RESULTS.md,
    QM7).
    """
    first = slice(0, N_J2_COLUMNS)
    both = slice(0, 2 * N_J2_COLUMNS)
    members = [
        (
            name,
            make_pipeline(
                ColumnTransformer([("columns", "passthrough", columns)]),
                FunctionTransformer(np.log),
                _bilinear_search(TRANSFORMED_BILINEAR_GRID, n_splits=5),
            ),
        )
        for name, columns in (("sigma1-log", first), ("sigma1+sigma2-log", both))
    ]
    return PerAtomRegressor(VotingRegressor(members), atoms=_last_column)


MODELS = {
    "ridge": (
        # The best penalty is tiny (1e-12 at the edge of a 1e-12..1 grid on QM7):
        # the SVD solver stays exact where Cholesky of X^T X loses digits.
        make_pipeline(StandardScaler(), Ridge(solver="svd")),
        {"ridge__alpha": np.r_[0.0, np.logspace(-18, 0, 10)]},
    ),
    # The linear part wants almost no penalty (ridge's best is at 1e-10 or below on
    # standardised coefficients), the products a real one: two penalties.
    # solver="dual" where "auto" would take "cg" (above 12,000 molecules, e.g. the
    # QM9 16k refit): on QM9 coefficients CG needs 370-720 iterations, 10-25x the
    # dual's time at n = 3,000 (measured with one thread). Above 12,000 run with
    # OPENBLAS_NUM_THREADS=1 (see BilinearRegressor's _DUAL_MAX_SAMPLES).
    "bilinear": (
        BilinearRegressor(solver="dual"),
        BILINEAR_GRID,
    ),
    # The same on the logarithms of the coefficients (all are positive: integrals
    # of powers of densities and moduli): products of logarithms are logarithms of
    # products of powers, and the powers q span 0.5 to 3, so a coefficient's scale
    # no longer dominates. Not for ridge: linear in log(c) is much worse on QM7.
    "bilinear-log": (
        make_pipeline(FunctionTransformer(np.log), BilinearRegressor(solver="dual")),
        _prefixed(TRANSFORMED_BILINEAR_GRID, "bilinearregressor"),
    ),
    # The same, modelling the energy per heavy atom (the counts are the input's last
    # column, see tuned_score): one member of the per-atom ensembles, alone.
    "bilinear-log-per-atom": (
        PerAtomRegressor(
            make_pipeline(
                FunctionTransformer(_log_without_last_column),
                BilinearRegressor(solver="dual"),
            ),
            atoms=_last_column,
        ),
        _prefixed(TRANSFORMED_BILINEAR_GRID, "regressor__bilinearregressor"),
    ),
    # L-BFGS (the default solver) with its default 200 iterations: a fit on 5,700
    # QM7 molecules takes about a minute on two cores, which is what keeps this
    # grid small.
    "factorized": (
        FactorizedBilinearRegressor(random_state=0, alpha=0.1, alpha_linear=1e-6),
        {"n_components": [4, 8, 16]},
    ),
    # No outer grid: each member is tuned by its own inner CV.
    "ensemble": (power_ensemble(), None),
    # Needs --append-sigma: the J = 2 columns at a second atom width.
    "ensemble-2sigma": (power_ensemble(second_sigma=True), None),
    "ensemble-per-atom": (power_ensemble(per_atom=True), None),
    "ensemble-2sigma-per-atom": (
        power_ensemble(second_sigma=True, per_atom=True),
        None,
    ),
    # Needs --J 2 --append-sigma (no J = 4 cache).
    "log-2sigma-per-atom": (log_two_widths_per_atom(), None),
}


def add_model_arguments(parser):
    """The data and model options shared by the data-set benchmarks."""
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--inner-splits", type=int, default=3)


def tuned_score(
    name,
    features,
    target,
    train,
    test,
    inner_splits=3,
    seed=0,
    n_jobs=-1,
    grid=None,
    heavy_atoms=None,
):
    """Tune model ``name`` on ``train`` by inner CV, refit, score on ``test``.

    Parameters
    ----------
    name : str
        A key of :data:`MODELS`.
    features : ndarray of shape (n_molecules, n_features)
    target : ndarray of shape (n_molecules,)
    train, test : ndarray of int
        Molecule indices.
    inner_splits : int
        Folds of the inner cross-validation.
    seed : int
        Shuffling seed of the inner folds.
    n_jobs : int
        Processes of the grid search.
    grid : dict, optional
        Parameter grid instead of the model's own in :data:`MODELS`. A model whose
        grid is ``None`` there (the ensemble) is fitted as it is: its members tune
        themselves, with their own folds and processes (``seed`` and ``n_jobs``
        do not apply), and ``inner_mae`` is NaN.
    heavy_atoms : ndarray of shape (n_molecules,), optional
        Each molecule's number of heavy atoms; required by (and only passed to) the
        models that are a :class:`PerAtomRegressor`, as a last column of
        ``features``.

    Returns
    -------
    result : dict
        ``mae``, ``rmse`` (held out), ``best_params``, ``inner_mae``, ``seconds``,
        and ``prediction`` (one per ``test`` molecule, in its order).
    """
    estimator, default_grid = MODELS[name]
    grid = default_grid if grid is None else grid
    if isinstance(estimator, PerAtomRegressor):
        if heavy_atoms is None:
            raise ValueError(f"model {name!r} needs heavy_atoms")
        features = np.column_stack([features, heavy_atoms])
    start = time.perf_counter()
    if grid is None:
        # A model that tunes itself (the ensemble's members run their own inner CV).
        model = clone(estimator).fit(features[train], target[train])
        best_params, inner_mae = _member_params(model), float("nan")
    else:
        model = GridSearchCV(
            estimator,
            grid,
            cv=KFold(inner_splits, shuffle=True, random_state=seed),
            scoring="neg_mean_absolute_error",
            n_jobs=n_jobs,
        ).fit(features[train], target[train])
        best_params, inner_mae = model.best_params_, float(-model.best_score_)
    prediction = model.predict(features[test])
    residual = prediction - target[test]
    return {
        "mae": float(np.abs(residual).mean()),
        "rmse": float(np.sqrt((residual**2).mean())),
        "best_params": best_params,
        "inner_mae": inner_mae,
        "seconds": time.perf_counter() - start,
        "prediction": prediction,
    }


def _member_params(model):
    """The penalties each member of a fitted ensemble chose."""
    model = getattr(model, "regressor_", model)  # inside a PerAtomRegressor
    if not isinstance(model, VotingRegressor):
        return {}
    return {
        name: member[-1].best_params_
        for name, member in model.named_estimators_.items()
    }
