"""The parameters every estimator shares mean the same thing (issue 22).

``verbose`` prints what its docstring says, ``random_state`` makes a fit
reproducible (and is the only randomness: NumPy's global state plays no part), and
``n_jobs`` follows joblib's convention without changing a result.
"""

import re

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone

from skscatharm import (
    AtomKernelRidge,
    AtomKernelRidgeCV,
    BilinearRegressor,
    FactorizedBilinearRegressor,
    PerAtomRegressor,
    SolidHarmonicScattering,
    SparseAtomKernelRidge,
    SparseAtomKernelRidgeCV,
)
from skscatharm._atoms import kernels
from skscatharm._core import dispatch

SMALL = {"J": 0, "L": 1, "channels": ("full",)}
CV = {"widths": (0.5, 1.0), "alphas": (1e-3, 1e-1), "cv": 3}


@pytest.fixture(scope="module")
def features():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 4))
    return X, X[:, 0] * X[:, 1] + X[:, 2] + 0.1 * rng.normal(size=80)


@pytest.fixture(scope="module")
def molecules(qm7):
    X, y = qm7
    return X[:40], y[:40]


@pytest.fixture(autouse=True)
def restore_global_random_state():
    """The tests below seed NumPy's global state: leave it as they found it."""
    state = np.random.get_state()  # noqa: NPY002
    yield
    np.random.set_state(state)  # noqa: NPY002


def _iteration_lines(text, name):
    return [int(n) for n in re.findall(rf"^\[{name}\] iteration (\d+):", text, re.M)]


# verbose


@pytest.mark.parametrize(
    "model",
    [
        BilinearRegressor(solver="cg", tol=1e-12),
        FactorizedBilinearRegressor(alpha=1e-3, random_state=0),
        FactorizedBilinearRegressor(
            alpha=1e-3, solver="als", tol=1e-12, random_state=0
        ),
    ],
    ids=repr,
)
def test_verbose_prints_the_solver_iterations(model, features, capsys):
    X, y = features
    clone(model).fit(X, y)
    assert capsys.readouterr().out == ""  # verbose=0: silent
    name = type(model).__name__
    every = clone(model).set_params(verbose=2).fit(X, y)
    lines = _iteration_lines(capsys.readouterr().out, name)
    assert lines == list(range(1, every.n_iter_ + 1))
    tenth = clone(model).set_params(verbose=1).fit(X, y)
    out = capsys.readouterr().out
    lines = _iteration_lines(out, name)
    assert all(n % 10 == 0 for n in lines[:-1])
    assert f"{tenth.n_iter_} iteration" in out  # the end is always reported


@pytest.mark.parametrize(
    "model, expected",
    [
        (AtomKernelRidge(**SMALL), ["fields of", "kernel of", "ridge solved"]),
        (
            AtomKernelRidgeCV(**SMALL, **CV),
            ["width 0.5: best alpha", "width 1.0: best alpha", "refit with width"],
        ),
        (SparseAtomKernelRidge(30, **SMALL, random_state=0), ["ridge solved on 30"]),
        (
            SparseAtomKernelRidgeCV(30, **SMALL, **CV, random_state=0),
            ["split 0, width 0.5", "split 2, width 1.0", "ridge solved on 30"],
        ),
        (
            PerAtomRegressor(AtomKernelRidge(**SMALL)),
            ["target divided by sizes", "AtomKernelRidge fitted in"],
        ),
    ],
    ids=lambda p: type(p).__name__ if not isinstance(p, list) else "",
)
def test_verbose_prints_the_stages(model, expected, molecules, capsys):
    X, y = molecules
    clone(model).fit(X, y)
    assert capsys.readouterr().out == ""
    clone(model).set_params(verbose=1).fit(X, y)
    out = capsys.readouterr().out
    for text in expected:
        assert re.search(rf"^\[{type(model).__name__}\] .*{text}", out, re.M), out


# random_state


def _fitted_state(model, X, y):
    if hasattr(model, "representatives_"):
        return model.representatives_
    return model.coef_matrix_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "model",
    [
        FactorizedBilinearRegressor(alpha=1e-3, max_iter=5),
        SparseAtomKernelRidge(30, **SMALL, selection="random"),
        SparseAtomKernelRidge(30, **SMALL, selection="farthest"),
        SparseAtomKernelRidge(30, **SMALL, selection="kmeans++"),
        SparseAtomKernelRidgeCV(30, **SMALL, **CV, selection="random"),
    ],
    ids=repr,
)
def test_random_state_makes_fits_reproducible_and_seeds_differ(
    model, features, molecules
):
    X, y = features if isinstance(model, FactorizedBilinearRegressor) else molecules
    fits = {}
    for seed, global_seed in [(0, 1), (0, 2), (1, 1)]:
        # The global state must play no part once random_state is set.
        np.random.seed(global_seed)  # noqa: NPY002 (the legacy global state is the point)
        fitted = clone(model).set_params(random_state=seed).fit(X, y)
        fits[seed, global_seed] = _fitted_state(fitted, X, y)
    assert_array_equal(fits[0, 1], fits[0, 2])
    assert not np.array_equal(fits[0, 1], fits[1, 1])


@pytest.mark.parametrize(
    "model",
    [
        BilinearRegressor(alpha=1e-3, solver="cg"),
        AtomKernelRidge(**SMALL),
        AtomKernelRidgeCV(**SMALL, **CV),
        PerAtomRegressor(AtomKernelRidge(**SMALL)),
    ],
    ids=lambda m: type(m).__name__,
)
def test_estimators_without_random_state_draw_no_random_numbers(
    model, features, molecules
):
    X, y = features if isinstance(model, BilinearRegressor) else molecules
    predictions = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)  # noqa: NPY002 (the legacy global state is the point)
        predictions.append(clone(model).fit(X, y).predict(X))
    assert_array_equal(*predictions)
    assert "random_state" not in model.get_params()


# n_jobs


def test_transformer_n_jobs_none_follows_a_joblib_context(molecules, monkeypatch):
    X, _ = molecules
    # Worker processes are the CPU path's (a GPU computes in this process).
    scattering = SolidHarmonicScattering(
        sigma=0.5, J=0, L=0, Q=(1.0, 3.0), backend="numpy"
    )
    serial = scattering.fit_transform(X[:6])
    used = []
    original = dispatch.Parallel

    def recording(n_jobs, **kwargs):
        used.append(n_jobs)
        return original(n_jobs=n_jobs, **kwargs)

    monkeypatch.setattr(dispatch, "Parallel", recording)
    with joblib.parallel_config(backend="threading", n_jobs=2):
        threaded = scattering.fit_transform(X[:6])
    assert used == [2]
    assert_array_equal(threaded, serial)


def test_atom_kernel_n_jobs_none_follows_a_joblib_context(molecules, monkeypatch):
    X, y = molecules
    model = AtomKernelRidge(**SMALL)
    serial = model.fit(X, y).predict(X)
    used = []
    original = kernels.Parallel

    def recording(*args, **kwargs):
        parallel = original(*args, **kwargs)
        used.append((parallel.n_jobs, type(parallel._backend).__name__))
        return parallel

    monkeypatch.setattr(kernels, "Parallel", recording)
    with joblib.parallel_config(n_jobs=2):
        threaded = clone(model).fit(X, y).predict(X)
    # Threads, as without a context: the context gave n_jobs, not a backend.
    assert set(used) == {(2, "ThreadingBackend")}
    assert_array_equal(threaded, serial)
