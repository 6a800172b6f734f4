"""SparseAtomKernelRidge: the exact model's limit, a dense solve, its representatives."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import KFold, PredefinedSplit

from skscatharm import (
    AtomKernelRidge,
    AtomKernelRidgeCV,
    SparseAtomKernelRidge,
    SparseAtomKernelRidgeCV,
)
from skscatharm._atoms import sparse
from skscatharm._atoms.kernels import summed_atom_kernel
from skscatharm._atoms.representatives import (
    element_budgets,
    farthest_points,
    kmeans_plus_plus,
    select_representatives,
    spread_selection,
)
from skscatharm.datasets import load_qm7_sample


@pytest.fixture(scope="module")
def qm7():
    X, y = load_qm7_sample(return_X_y=True)
    # The first molecules of the sample have no sulfur: train on every other one.
    return X[::5][:40], y[::5][:40], X[1::5][:20]


@pytest.mark.parametrize("width", [0.5, (0.25, 0.5)])
def test_every_atom_representative_is_the_exact_model(qm7, width):
    X, y, X_new = qm7
    exact = AtomKernelRidge(width=width, alpha=1e-3).fit(X, y)
    model = SparseAtomKernelRidge(n_representatives=10**6, width=width, alpha=1e-3)
    model.fit(X, y)
    assert model.n_representatives_ == exact.n_atoms_fit_
    np.testing.assert_allclose(model.predict(X_new), exact.predict(X_new), rtol=1e-8)
    np.testing.assert_array_equal(model.dressed_atoms_, exact.dressed_atoms_)


def test_equals_a_dense_weighted_least_squares_solve(qm7):
    """The block-accumulated Nyström solve against the objective written densely."""
    X, y, X_new = qm7
    weights = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    alpha = 1e-2
    model = SparseAtomKernelRidge(
        n_representatives=80, width=0.5, alpha=alpha, random_state=0
    ).fit(X, y, sample_weight=weights)
    # The same descriptors, representatives, dressed atoms and intercept, then
    # min_c Σ w (y' - K_nm c)² + alpha c^T K_mm c by its normal equations.
    fields = model._fields(X)
    x = np.log(fields.fields + model.offset_) * model.scale_
    training = (x, fields.molecule, fields.numbers, len(y))
    chosen = model.representatives_
    representatives = (x[chosen], np.arange(len(chosen)), fields.numbers[chosen])
    representatives += (len(chosen),)
    K_nm = summed_atom_kernel(training, representatives, 0.5)
    K_mm = summed_atom_kernel(representatives, representatives, 0.5)
    counts = model._counts(fields.numbers, fields.molecule, len(y))
    target = y - counts @ model.dressed_atoms_ - model.intercept_
    lhs = K_nm.T @ (weights[:, None] * K_nm) + alpha * K_mm
    coef = np.linalg.lstsq(lhs, K_nm.T @ (weights * target), rcond=1e-13)[0]
    new = model._fields(X_new)
    x_new = np.log(new.fields + model.offset_) * model.scale_
    K_new = summed_atom_kernel(
        (x_new, new.molecule, new.numbers, len(X_new)), representatives, 0.5
    )
    expected = (
        model._counts(new.numbers, new.molecule, len(X_new)) @ model.dressed_atoms_
        + model.intercept_
        + K_new @ coef
    )
    # The dense normal equations square the kernel's condition number: agreement to
    # about 1e-9 is rounding; a wrong weight or penalty changes the result by 1e-3.
    np.testing.assert_allclose(model.predict(X_new), expected, rtol=1e-7)


def test_weighted_dressed_atoms_and_intercept(qm7):
    X, y, _ = qm7
    weights = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    model = SparseAtomKernelRidge(n_representatives=30, random_state=0)
    model.fit(X, y, sample_weight=weights)
    fields = model._fields(X)
    counts = model._counts(fields.numbers, fields.molecule, len(y))
    # The weighted least-squares optimum: its gradient vanishes.
    gradient = counts.T @ (weights * (y - counts @ model.dressed_atoms_))
    assert np.abs(gradient).max() < 1e-6 * np.abs(counts.T @ (weights * y)).max()
    residual = y - counts @ model.dressed_atoms_
    assert model.intercept_ == pytest.approx(np.average(residual, weights=weights))


def test_threads_and_blocks_do_not_change_the_model(qm7, monkeypatch):
    X, y, X_new = qm7
    params = dict(n_representatives=100, width=(0.25, 0.5), random_state=3)
    reference = SparseAtomKernelRidge(**params).fit(X, y).predict(X_new)
    threaded = SparseAtomKernelRidge(n_jobs=2, **params).fit(X, y).predict(X_new)
    np.testing.assert_array_equal(threaded, reference)
    # Blocks of 7 molecules: the same sums in another grouping.
    monkeypatch.setattr(sparse, "BLOCK_VALUES", 7 * 100)
    blocked = SparseAtomKernelRidge(**params).fit(X, y).predict(X_new)
    np.testing.assert_allclose(blocked, reference, rtol=1e-12)


def test_more_representatives_fit_better(qm7):
    """The training error falls as the model approaches the exact one."""
    X, y, _ = qm7
    errors = [
        np.abs(
            SparseAtomKernelRidge(n_representatives=m, alpha=1e-4, random_state=0)
            .fit(X, y)
            .predict(X)
            - y
        ).mean()
        for m in (10, 100, 10**6)
    ]
    assert errors[0] > errors[1] > errors[2]


def test_clone_and_pickle_keep_the_model(qm7):
    X, y, X_new = qm7
    model = SparseAtomKernelRidge(n_representatives=50, random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X_new), model.predict(X_new))
    refit = clone(model).fit(X, y)
    np.testing.assert_array_equal(refit.predict(X_new), model.predict(X_new))
    assert not hasattr(clone(model), "dual_coef_")


def test_bad_parameters_are_refused(qm7):
    X, y, _ = qm7
    with pytest.raises(ValueError, match="'n_representatives' parameter"):
        SparseAtomKernelRidge(n_representatives=0).fit(X, y)
    with pytest.raises(ValueError, match="'selection' parameter"):
        SparseAtomKernelRidge(selection="kmeans").fit(X, y)
    with pytest.raises(ValueError, match="sample_weight"):
        SparseAtomKernelRidge().fit(X, y, sample_weight=-np.ones(len(y)))


@pytest.mark.parametrize(
    "counts, total, expected",
    [
        ((1000, 10, 3, 1), 50, (47, 1, 1, 1)),
        ((5, 5), 100, (5, 5)),
        ((7, 2, 1), 4, (2, 1, 1)),
        ((60, 30, 10), 10, (6, 3, 1)),
    ],
)
def test_element_budgets(counts, total, expected):
    numbers = np.repeat(np.arange(len(counts)), counts)
    elements, budgets = element_budgets(numbers, total)
    np.testing.assert_array_equal(elements, np.arange(len(counts)))
    np.testing.assert_array_equal(budgets, expected)


def test_farthest_points_maximise_the_distance_to_those_chosen():
    x = np.random.default_rng(0).normal(size=(200, 3))
    chosen = farthest_points(x, 12, np.random.RandomState(0))
    assert len(set(chosen.tolist())) == 12
    for k in range(1, 12):
        distance = np.linalg.norm(x[:, None] - x[chosen[:k]][None], axis=-1).min(1)
        assert distance[chosen[k]] == pytest.approx(distance.max())


def test_representatives_keep_each_element():
    numbers = np.repeat([1, 6, 16], [90, 9, 1])
    x = np.random.default_rng(0).normal(size=(100, 4))
    for method in ("farthest", "kmeans++", "random"):
        chosen = select_representatives(
            x, numbers, 10, method, np.random.RandomState(0)
        )
        assert np.all(np.diff(chosen) > 0)
        np.testing.assert_array_equal(np.unique(numbers[chosen]), [1, 6, 16])
        assert len(chosen) == 10


def test_search_with_every_atom_representative_is_the_exact_search(qm7):
    """The sparse search's held-out errors equal AtomKernelRidgeCV's ridge path."""
    X, y, X_new = qm7
    params = dict(widths=(0.5, (0.25, 0.5)), alphas=(1e-4, 1e-3, 1e-2), cv=KFold(3))
    exact = AtomKernelRidgeCV(**params).fit(X, y)
    model = SparseAtomKernelRidgeCV(n_representatives=10**6, **params).fit(X, y)
    np.testing.assert_allclose(model.cv_errors_, exact.cv_errors_, rtol=1e-7)
    assert (model.width_, model.alpha_) == (exact.width_, exact.alpha_)
    np.testing.assert_allclose(model.predict(X_new), exact.predict(X_new), rtol=1e-8)


def test_one_validation_split_scores_the_validation_molecules(qm7):
    X, y, _ = qm7
    validation = np.arange(len(y)) >= 30
    split = PredefinedSplit(np.where(validation, 0, -1))
    model = SparseAtomKernelRidgeCV(
        n_representatives=10**6, widths=(0.5,), alphas=(1e-3,), cv=split
    ).fit(X, y)
    # The same search by hand: the exact model (every atom representative) fit on
    # the training part with the search's descriptors, dressed atoms and intercept.
    fields = model._fields(X)
    x = np.log(fields.fields + model.offset_) * model.scale_
    counts = model._counts(fields.numbers, fields.molecule, len(y))
    residual = y - counts @ model.dressed_atoms_
    fit, held = np.flatnonzero(~validation), np.flatnonzero(validation)
    kernel = summed_atom_kernel(
        (x, fields.molecule, fields.numbers, len(y)),
        (x, fields.molecule, fields.numbers, len(y)),
        0.5,
    )
    mean = residual[fit].mean()
    coef = np.linalg.solve(
        kernel[np.ix_(fit, fit)] + 1e-3 * np.eye(len(fit)), residual[fit] - mean
    )
    predicted = mean + kernel[np.ix_(held, fit)] @ coef
    expected = np.abs(predicted - residual[held]).mean()
    assert model.cv_errors_[0, 0] == pytest.approx(expected, rel=1e-7)


def test_element_maps_reproduce_the_whole_kernel():
    """The per-element Nyström maps put together: K_mm T T^T K_mm = K_mm."""
    rng = np.random.default_rng(0)
    numbers = np.repeat([1, 6, 8], [30, 12, 5])
    x = rng.normal(size=(len(numbers), 3))
    x[1] = x[0]  # a duplicate: K_mm is singular
    order = rng.permutation(len(numbers))
    representatives = (x[order], np.arange(47), numbers[order], 47)
    maps = sparse.element_nystroem_maps(representatives, [0.7])
    T = np.zeros((47, sparse.n_features(maps)))
    start = 0
    for columns, factor in maps:
        T[columns, start : start + len(columns)] = np.linalg.inv(factor).T
        start += len(columns)
    kernel = summed_atom_kernel(representatives, representatives, 0.7)
    np.testing.assert_allclose(kernel @ T @ T.T @ kernel, kernel, atol=1e-10)
    # The duplicate is left out; the kept ones' kernel is the identity in Φ's basis.
    assert T.shape[1] == 46
    np.testing.assert_allclose(T.T @ kernel @ T, np.eye(46), atol=1e-8)


def test_kmeans_plus_plus_draws_distinct_rows_in_proportion_to_distance():
    rng = np.random.default_rng(0)
    # Two tight clusters 100 apart: after a first row in one, the second is drawn
    # from the other with probability about 1 - 1e-4.
    x = np.r_[rng.normal(size=(50, 2)) * 0.1, 100.0 + rng.normal(size=(50, 2)) * 0.1]
    for seed in range(20):
        first, second = kmeans_plus_plus(x, 2, np.random.RandomState(seed))
        assert (first < 50) != (second < 50)
    # Duplicates: every row is still chosen once.
    doubled = np.r_[x[:5], x[:5]]
    chosen = kmeans_plus_plus(doubled, 10, np.random.RandomState(0))
    assert sorted(chosen.tolist()) == list(range(10))


def test_spread_selection_takes_the_farthest_atom_of_any_element():
    """Each step of the farthest-point selection over all elements takes, among all
    atoms, the one farthest from the chosen atoms of its own element."""
    rng = np.random.default_rng(0)
    numbers = np.repeat([1, 6, 8], [60, 30, 10])
    x = rng.normal(size=(100, 3)) * np.where(numbers == 1, 0.1, 1.0)[:, None]
    chosen = spread_selection(x, numbers, 20, "farthest", np.random.RandomState(0))
    assert len(set(chosen.tolist())) == 20
    # One seed per element first, in increasing atomic number.
    np.testing.assert_array_equal(numbers[chosen[:3]], [1, 6, 8])
    for k in range(3, 20):
        distance = np.full(100, -np.inf)
        for z in (1, 6, 8):
            own = chosen[:k][numbers[chosen[:k]] == z]
            rows = np.flatnonzero(numbers == z)
            to_own = np.linalg.norm(x[rows][:, None] - x[own][None], axis=-1).min(1)
            distance[rows] = to_own
        assert distance[chosen[k]] == pytest.approx(distance.max())


def test_spread_shares_follow_the_spread_not_the_count():
    """500 hydrogens at nearly one point and 100 spread-out carbons: in proportion
    to the counts hydrogen would get 5/6 of 60 representatives; by spread it gets
    only the few that tell its near-duplicates apart at all."""
    rng = np.random.default_rng(1)
    numbers = np.repeat([1, 6], [500, 100])
    x = np.r_[1e-6 * rng.normal(size=(500, 4)), rng.normal(size=(100, 4))]
    for method in ("farthest", "kmeans++"):
        spread = select_representatives(
            x, numbers, 60, method, np.random.RandomState(0), shares="spread"
        )
        count = select_representatives(
            x, numbers, 60, method, np.random.RandomState(0), shares="count"
        )
        assert len(spread) == len(count) == 60
        assert np.sum(numbers[spread] == 1) <= 2
        assert np.sum(numbers[count] == 1) == 50


def test_spread_kmeans_plus_plus_draws_in_proportion_to_distance():
    """After one seed per element, the next atom is of an element with probability
    in proportion to its atoms' squared distances: 1 against 9 here."""
    numbers = np.array([1, 1, 6, 6])
    x = np.array([[0.0], [1.0], [0.0], [3.0]])
    draws = [
        numbers[
            spread_selection(x, numbers, 3, "kmeans++", np.random.RandomState(s))[2]
        ]
        for s in range(400)
    ]
    assert np.mean(np.array(draws) == 6) == pytest.approx(0.9, abs=0.05)
    # Duplicates only: every row is still chosen once.
    same = np.zeros((6, 2))
    chosen = spread_selection(
        same, np.repeat([1, 6], 3), 6, "kmeans++", np.random.RandomState(0)
    )
    assert sorted(chosen.tolist()) == list(range(6))


def test_element_shares_is_validated(qm7):
    X, y, _ = qm7
    with pytest.raises(ValueError, match="'element_shares' parameter"):
        SparseAtomKernelRidge(element_shares="equal").fit(X, y)
