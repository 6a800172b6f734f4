"""SolidHarmonicScattering as a scikit-learn estimator: shape, names, API contracts."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skscatharm import SolidHarmonicScattering

FAST = dict(sigma=0.6, J=1, L=1, oversampling=2.0)


@pytest.mark.parametrize(
    "J, L, Q, max_order, channels",
    [
        (2, 3, (0.5, 1, 2, 3), 2, ("full", "valence", "core")),
        (1, 0, (1.0,), 2, ("full",)),
        (3, 2, (0.5, 2.0), 1, ("valence", {1: 1.0, 6: 4.0, 8: 6.0})),
        (2, 1, (1, 2, 3), 0, ("core", "full")),
    ],
)
def test_feature_count_matches_spec_formula(J, L, Q, max_order, channels):
    transform = SolidHarmonicScattering(
        J=J, L=L, Q=Q, max_order=max_order, channels=channels
    )
    per_channel = {
        0: 1,
        1: 1 + (J + 1) * (L + 1),
        2: 1 + (J + 1) * (L + 1) + J * (J + 1) // 2 * (L + 1),
    }[max_order]
    expected = len(Q) * len(channels) * per_channel
    names = transform.get_feature_names_out()
    assert len(names) == len(set(names)) == expected
    assert transform.fit().n_features_out_ == expected


def test_feature_names_follow_column_order():
    names = list(SolidHarmonicScattering(J=2, L=3).get_feature_names_out())
    assert names[:5] == [
        "full_S0_q0.5",
        "full_S0_q1",
        "full_S0_q2",
        "full_S0_q3",
        "full_S1_j0_l0_q0.5",
    ]
    assert "valence_S1_j1_l2_q0.5" in names
    first_s2 = names.index("full_S2_j0_j1_l0_q0.5")
    assert names[first_s2 - 1] == "full_S1_j2_l3_q3"
    assert names[first_s2 + 4 * 4] == "full_S2_j0_j2_l0_q0.5"
    assert names[300 // 3] == "valence_S0_q0.5"


def test_transform_output_is_float64_and_finite(qm7):
    features = SolidHarmonicScattering(**FAST).fit_transform(qm7[0][:3])
    assert features.dtype == np.float64 and features.shape == (3, 3 * 4 * 1 * 7)
    assert np.all(np.isfinite(features))


def test_float32_working_precision_agrees_for_q_at_least_one(qm7):
    X = qm7[0][:2]
    transform = SolidHarmonicScattering(**FAST)
    double = transform.fit_transform(X)
    single = SolidHarmonicScattering(dtype="float32", **FAST).fit_transform(X)
    low_power = np.array(
        [n.endswith("_q0.5") for n in transform.get_feature_names_out()]
    )
    np.testing.assert_allclose(single[:, ~low_power], double[:, ~low_power], rtol=1e-4)
    np.testing.assert_allclose(single[:, low_power], double[:, low_power], rtol=3e-2)


def test_clone_and_params_round_trip():
    transform = SolidHarmonicScattering(sigma=0.3, J=1, Q=(1.0, 2.0), n_jobs=2)
    params = transform.get_params()
    assert params["sigma"] == 0.3 and params["Q"] == (1.0, 2.0)
    twin = clone(transform)
    assert twin is not transform and twin.get_params() == params
    twin.set_params(L=1, channels=("full",))
    assert twin.L == 1 and transform.L == 3
    assert len(twin.get_feature_names_out()) == 2 * (1 + 2 * 2 + 1 * 2)


def test_fit_is_idempotent_and_stateless(qm7):
    X = qm7[0][:3]
    transform = SolidHarmonicScattering(**FAST)
    first = transform.fit(X).transform(X)
    again = transform.fit(qm7[0][10:20]).transform(X)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, SolidHarmonicScattering(**FAST).transform(X))


def test_pickle_round_trip(qm7):
    X = qm7[0][:2]
    transform = SolidHarmonicScattering(**FAST).fit(X)
    restored = pickle.loads(pickle.dumps(transform))
    assert restored.get_params() == transform.get_params()
    assert restored.channel_names_ == ["full", "valence", "core"]
    np.testing.assert_array_equal(restored.transform(X), transform.transform(X))


def test_pandas_output(qm7):
    pandas = pytest.importorskip("pandas")
    transform = SolidHarmonicScattering(**FAST).set_output(transform="pandas")
    frame = transform.fit_transform(qm7[0][:2])
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == list(transform.get_feature_names_out())


@pytest.fixture(scope="module")
def small_regression(qm7):
    X, y = qm7
    return X[:90], y[:90]


def test_pipeline_with_scaler_and_ridge(small_regression):
    X, y = small_regression
    # One scale and degree: 90 molecules in 3 folds are 270 transforms.
    scattering = SolidHarmonicScattering(**{**FAST, "J": 0, "L": 0})
    pipeline = Pipeline(
        [
            ("scattering", scattering),
            ("scale", StandardScaler()),
            ("ridge", Ridge(alpha=1e-2)),
        ]
    )
    folds = KFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(
        pipeline, X, y, cv=folds, scoring="neg_mean_absolute_error"
    )
    # Far better than predicting the mean (QM7 energies have a ~220 kcal/mol spread).
    baseline = np.mean(np.abs(y - y.mean()))
    assert -scores.mean() < 0.1 * baseline


def test_grid_search_over_scattering_parameters(small_regression):
    X, y = small_regression
    X, y = X[:24], y[:24]
    pipeline = Pipeline(
        [
            ("scattering", SolidHarmonicScattering(**FAST)),
            ("scale", StandardScaler()),
            ("ridge", Ridge(alpha=1e-3)),
        ]
    )
    # One cheap base candidate (one scale), then each scattering parameter changed
    # alone.
    base = {"sigma": 1.0, "J": 0, "L": 0, "Q": (1.0, 2.0)}
    changes = {"sigma": 0.8, "J": 1, "L": 1, "Q": (0.5, 1.0, 2.0)}
    candidates = [base] + [{**base, name: value} for name, value in changes.items()]
    grid = [
        {f"scattering__{name}": [value] for name, value in candidate.items()}
        for candidate in candidates
    ]
    search = GridSearchCV(pipeline, grid, cv=2, scoring="neg_mean_absolute_error")
    search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == len(candidates) and np.all(np.isfinite(scores))
    # Every parameter reaches the transform: changing it alone changes the score.
    assert np.all(np.abs(scores[1:] - scores[0]) > 1e-6 * np.abs(scores[0]))
    # The features carry the energy: the best candidate beats the training mean by
    # far (constant or scrambled features would not).
    mean_error = -cross_val_score(
        DummyRegressor(), X, y, cv=2, scoring="neg_mean_absolute_error"
    ).mean()
    assert -search.best_score_ < 0.25 * mean_error


def test_fitted_attributes_follow_set_params():
    transform = SolidHarmonicScattering(J=1, L=1, Q=(1.0,)).fit()
    assert transform.n_features_out_ == 3 * (1 + 2 * 2 + 1 * 2)
    transform.set_params(J=2, L=0, Q=(1.0, 2.0), channels=("valence",))
    fresh = SolidHarmonicScattering(J=2, L=0, Q=(1.0, 2.0), channels=("valence",))
    assert transform.n_features_out_ == fresh.fit().n_features_out_ == 2 * (1 + 3 + 3)
    assert transform.channel_names_ == ["valence"]
    assert transform.n_features_out_ == len(transform.get_feature_names_out())


def test_fitted_attributes_do_not_exist_before_fit():
    transform = SolidHarmonicScattering()
    for name in ("n_features_out_", "channel_names_"):
        assert not hasattr(transform, name)
    assert transform.fit() is transform and transform.n_features_out_ > 0
