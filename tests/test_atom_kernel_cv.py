"""``AtomKernelRidgeCV`` against cross-validation written out with ``AtomKernelRidge``."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import KFold

from skscatharm import AtomKernelRidge, AtomKernelRidgeCV
from skscatharm._atoms.kernels import summed_atom_kernel
from skscatharm._core.molecules import as_molecules
from skscatharm.datasets import load_qm7_sample

WIDTHS = (0.4, (0.3, 0.9), 100.0)
ALPHAS = (1e-4, 1e-2, 1.0)


@pytest.fixture(scope="module")
def sample():
    X, y = load_qm7_sample(return_X_y=True)
    return as_molecules(X[:90]), y[:90]


@pytest.fixture(scope="module")
def splits():
    return KFold(3, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def fitted(sample, splits):
    X, y = sample
    model = AtomKernelRidgeCV(widths=WIDTHS, alphas=ALPHAS, cv=splits)
    return model.fit(X[:60], y[:60])


def _cv_errors(X, y, splits, power):
    # Each candidate's kernel from AtomKernelRidge fit on all the molecules (so the
    # same scaling and dressed atoms), and each split's ridge solved densely.
    errors = np.zeros((len(WIDTHS), len(ALPHAS)))
    for row, width in enumerate(WIDTHS):
        model = AtomKernelRidge(width=width).fit(X, y)
        atoms = model._training_atoms
        kernel = summed_atom_kernel(atoms, atoms, width)
        counts = np.array(
            [[np.sum(m.numbers == z) for z in model.elements_] for m in X]
        )
        residual = y - counts @ model.dressed_atoms_
        for column, alpha in enumerate(ALPHAS):
            for fit, held in splits.split(X):
                mean = residual[fit].mean()
                system = kernel[np.ix_(fit, fit)] + alpha * np.eye(len(fit))
                dual = np.linalg.solve(system, residual[fit] - mean)
                predicted = mean + kernel[np.ix_(held, fit)] @ dual
                errors[row, column] += (
                    np.abs(predicted - residual[held]) ** power
                ).sum()
    return errors / len(y)


def test_cv_errors_match_written_out_cross_validation(sample, splits, fitted):
    X, y = sample
    expected = _cv_errors(X[:60], y[:60], splits, power=1)
    np.testing.assert_allclose(fitted.cv_errors_, expected, rtol=1e-8)


def test_squared_error_scores_mean_squared_errors(sample, splits):
    X, y = sample
    model = AtomKernelRidgeCV(widths=WIDTHS, alphas=ALPHAS, cv=splits, error="squared")
    model.fit(X[:60], y[:60])
    expected = _cv_errors(X[:60], y[:60], splits, power=2)
    np.testing.assert_allclose(model.cv_errors_, expected, rtol=1e-8)


def test_refit_is_the_best_candidate(sample, fitted):
    X, y = sample
    row, column = np.unravel_index(np.argmin(fitted.cv_errors_), (3, 3))
    assert fitted.width_ == WIDTHS[row] and fitted.alpha_ == ALPHAS[column]
    # An almost constant kernel (width 100) learns nothing beyond the dressed atoms.
    assert fitted.width_ != 100.0
    refit = AtomKernelRidge(width=fitted.width_, alpha=fitted.alpha_)
    refit.fit(X[:60], y[:60])
    np.testing.assert_allclose(
        fitted.predict(X[60:]), refit.predict(X[60:]), rtol=1e-10
    )


def test_clone_and_pickle(sample, fitted):
    X, _ = sample
    assert clone(fitted).get_params()["widths"] == WIDTHS
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(loaded.predict(X[60:]), fitted.predict(X[60:]))


@pytest.mark.parametrize(
    "parameters, message",
    [
        ({"widths": ()}, "at least one candidate"),
        ({"widths": (0.5, (0.2, -1.0))}, "each candidate of widths"),
        ({"widths": 0.5}, "widths"),
        ({"alphas": ()}, "alphas"),
        ({"alphas": (1e-3, 0.0)}, "alphas"),
        ({"error": "huber"}, "error"),
    ],
)
def test_bad_parameters_are_rejected(sample, parameters, message):
    X, y = sample
    with pytest.raises(ValueError, match=message):
        AtomKernelRidgeCV(**parameters, cv=2).fit(X[:10], y[:10])
