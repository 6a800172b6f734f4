"""``AtomKernelRidge`` against a direct computation, and its atomic-energy structure."""

import pickle

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils import get_tags

from skscatharm import AtomKernelRidge, AtomKernelRidgeCV, atom_fields
from skscatharm._core.molecules import as_molecules
from skscatharm.datasets import load_qm7_sample


@pytest.fixture(scope="module")
def sample():
    X, y = load_qm7_sample(return_X_y=True)
    return as_molecules(X[:120]), y[:120]


@pytest.fixture(scope="module")
def fitted(sample):
    X, y = sample
    return AtomKernelRidge(width=0.7, alpha=1e-2).fit(X[:80], y[:80])


def _direct_predictions(X_train, y_train, X_test, width, alpha, eps):
    # Every step written out: descriptors, dressed atoms and the kernel as a double
    # loop over atoms, then the ridge system solved densely.
    train, test = atom_fields(X_train), atom_fields(X_test)
    offset = eps * np.median(train.fields, axis=0)
    logs = np.log(train.fields + offset)
    scale = logs.std(axis=0)
    x_train, x_test = logs / scale, np.log(test.fields + offset) / scale
    elements = np.unique(train.numbers)
    widths = np.atleast_1d(width)

    def counts(result, n):
        matrix = np.zeros((n, len(elements)))
        for m, z in zip(result.molecule, result.numbers, strict=True):
            matrix[m, list(elements).index(z)] += 1
        return matrix

    c_train, c_test = counts(train, len(X_train)), counts(test, len(X_test))
    dressed = np.linalg.lstsq(c_train, y_train, rcond=None)[0]
    residual = y_train - c_train @ dressed
    intercept = residual.mean()

    def kernel(a, xa, na, b, xb, nb):
        matrix = np.zeros((na, nb))
        for i in range(len(xa)):
            same = b.numbers == a.numbers[i]
            distances = ((xb[same] - xa[i]) ** 2).sum(axis=1)
            values = np.mean(
                [np.exp(-distances / (2 * w**2 * xa.shape[1])) for w in widths], axis=0
            )
            np.add.at(matrix[a.molecule[i]], b.molecule[same], values)
        return matrix

    K = kernel(train, x_train, len(X_train), train, x_train, len(X_train))
    dual = np.linalg.solve(K + alpha * np.eye(len(K)), residual - intercept)
    K_test = kernel(test, x_test, len(X_test), train, x_train, len(X_train))
    return c_test @ dressed + intercept + K_test @ dual


def test_matches_direct_computation(sample, fitted):
    X, y = sample
    expected = _direct_predictions(X[:80], y[:80], X[80:], 0.7, 1e-2, 1e-3)
    np.testing.assert_allclose(fitted.predict(X[80:]), expected, rtol=1e-9)


def test_several_widths_match_direct_computation(sample):
    X, y = sample
    model = AtomKernelRidge(width=(0.3, 0.9), alpha=1e-2).fit(X[:60], y[:60])
    expected = _direct_predictions(X[:60], y[:60], X[60:90], (0.3, 0.9), 1e-2, 1e-3)
    np.testing.assert_allclose(model.predict(X[60:90]), expected, rtol=1e-9)
    np.testing.assert_array_equal(model.widths_, [0.3, 0.9])


def test_learns_more_than_the_dressed_atoms(sample, fitted):
    X, y = sample
    counts = np.array([[np.sum(m.numbers == z) for z in fitted.elements_] for m in X])
    baseline = counts[80:] @ fitted.dressed_atoms_ + fitted.intercept_
    kernel_error = np.abs(fitted.predict(X[80:]) - y[80:]).mean()
    assert kernel_error < 0.5 * np.abs(baseline - y[80:]).mean()


def test_prediction_is_a_sum_over_atoms(sample, fitted):
    # Two copies of a molecule 100 Å apart do not see each other: each atom keeps its
    # fields, so the model's part beyond the intercept doubles.
    X, _ = sample
    molecule = X[90]
    pair = (
        np.concatenate([molecule.numbers, molecule.numbers]),
        np.concatenate([molecule.positions, molecule.positions + [100.0, 0.0, 0.0]]),
    )
    single, double = fitted.predict([molecule, pair])
    intercept = fitted.intercept_
    assert double - intercept == pytest.approx(2 * (single - intercept), rel=1e-12)


def test_invariant_to_rigid_motions_and_atom_order(sample, fitted):
    X, _ = sample
    molecule = X[100]
    order = np.random.default_rng(0).permutation(molecule.n_atoms)
    rotation = Rotation.random(random_state=2).as_matrix()
    moved = (molecule.numbers[order], molecule.positions[order] @ rotation.T + 4.0)
    original, transformed = fitted.predict([molecule, moved])
    assert transformed == pytest.approx(original, rel=1e-10)


def test_pickle_round_trip_and_grid_search(sample, fitted):
    X, y = sample
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(loaded.predict(X[80:]), fitted.predict(X[80:]))
    search = GridSearchCV(
        clone(fitted), {"alpha": [1e-3, 1e-1]}, cv=2, scoring="neg_mean_absolute_error"
    ).fit(X[:60], y[:60])
    assert search.best_params_["alpha"] in (1e-3, 1e-1)


@pytest.mark.parametrize("estimator", [AtomKernelRidge(), AtomKernelRidgeCV()])
def test_tags_declare_a_regressor_on_molecules(estimator):
    # They take molecules (a padded (n, max_atoms, 4) array or a sequence), as
    # SolidHarmonicScattering does, not a 2-D feature matrix: scikit-learn's
    # estimator checks read these tags to choose what to feed them.
    tags = get_tags(estimator)
    assert tags.estimator_type == "regressor"
    assert not tags.input_tags.two_d_array
    assert tags.input_tags.three_d_array
    assert tags.target_tags.required and tags.target_tags.single_output


def test_unseen_element_is_named(sample, fitted):
    X, _ = sample
    chlorine = (np.array([17, 1]), np.array([[0.0, 0.0, 0.0], [1.27, 0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"molecule 1: element Z=17 was not"):
        fitted.predict([X[0], chlorine])


@pytest.mark.parametrize(
    "y, message",
    [
        (np.zeros(3), r"y must have shape \(2,\)"),
        (np.array([1.0, np.nan]), "y of molecule 1 is not finite"),
    ],
)
def test_bad_targets(sample, y, message):
    X, _ = sample
    with pytest.raises(ValueError, match=message):
        AtomKernelRidge().fit(X[:2], y)


@pytest.mark.parametrize("width", [0.0, (), (0.5, -1.0), [[0.5]], (0.5, np.nan)])
def test_bad_widths_are_rejected(sample, width):
    X, y = sample
    with pytest.raises(ValueError, match="width"):
        AtomKernelRidge(width=width).fit(X[:5], y[:5])


def test_kernel_blocks_do_not_change_the_result(sample, fitted, monkeypatch):
    # QM7-sized sets are computed in many row blocks; force that on the small sample.
    from skscatharm._atoms import kernels

    X, _ = sample
    expected = fitted.predict(X[80:])
    monkeypatch.setattr(kernels, "BLOCK_DOUBLES", 500)
    np.testing.assert_allclose(fitted.predict(X[80:]), expected, rtol=1e-12)


@pytest.mark.parametrize("n_jobs", [2, -1])
def test_threads_give_the_same_model_to_the_last_bit(
    sample, fitted, n_jobs, monkeypatch
):
    # Small blocks, so that each element's pairs are many blocks shared by the
    # threads, and molecules are cut by block edges.
    from skscatharm._atoms import kernels

    X, y = sample
    monkeypatch.setattr(kernels, "BLOCK_DOUBLES", 500)
    serial = clone(fitted).fit(X[:80], y[:80])
    threaded = clone(fitted).set_params(n_jobs=n_jobs).fit(X[:80], y[:80])
    np.testing.assert_array_equal(threaded.dual_coef_, serial.dual_coef_)
    np.testing.assert_array_equal(threaded.predict(X[80:]), serial.predict(X[80:]))
    np.testing.assert_allclose(
        serial.predict(X[80:]), fitted.predict(X[80:]), rtol=1e-12
    )


def test_a_channel_that_vanishes_everywhere_adds_nothing():
    # The core channel of H2 is zero at every atom: its columns get a finite log and
    # zero scale, so the model equals the full-channel one with the width rescaled
    # for the number of columns (the kernel divides by width² times that number).
    rng = np.random.default_rng(3)
    lengths = 0.6 + 0.4 * rng.random(12)
    X = [
        (np.array([1, 1]), np.array([[0.0, 0.0, 0.0], [d, 0.0, 0.0]])) for d in lengths
    ]
    y = (lengths - 0.74) ** 2
    both = AtomKernelRidge(width=0.5, alpha=1e-3, channels=("full", "core")).fit(X, y)
    full = AtomKernelRidge(width=0.5 * np.sqrt(2), alpha=1e-3, channels=("full",))
    full.fit(X, y)
    assert np.all(np.isfinite(both.predict(X)))
    np.testing.assert_allclose(both.predict(X), full.predict(X), rtol=1e-9, atol=1e-12)
