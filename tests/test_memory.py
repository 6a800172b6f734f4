"""memory=: each molecule's coefficients are computed once and read back after."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skscatharm import SelectIntegralPowers, SolidHarmonicScattering
from skscatharm._core import cache, dispatch

CHEAP = dict(sigma=0.5, J=1, L=1, oversampling=2.0)


@pytest.fixture
def computed(monkeypatch):
    """Counts the molecules the transformer actually computes (in this process)."""
    counts = {"molecules": 0}
    original = dispatch.scatter_molecules

    def counting(plan, positions, *args, **kwargs):
        counts["molecules"] += len(positions)
        return original(plan, positions, *args, **kwargs)

    monkeypatch.setattr(dispatch, "scatter_molecules", counting)
    return counts


def test_read_back_equals_computed_and_computes_nothing(qm7, tmp_path, computed):
    X = qm7[0][:4]
    expected = SolidHarmonicScattering(**CHEAP).fit_transform(X)
    cached = SolidHarmonicScattering(memory=str(tmp_path), **CHEAP)
    np.testing.assert_array_equal(cached.fit_transform(X), expected)
    computed["molecules"] = 0
    # Another order, a subset, a repeat: every molecule is read back, none computed.
    again = cached.transform(X[[3, 1, 1, 0]])
    assert computed["molecules"] == 0
    np.testing.assert_array_equal(again, expected[[3, 1, 1, 0]])


def test_only_new_molecules_are_computed(qm7, tmp_path, computed):
    X = qm7[0][:5]
    cached = SolidHarmonicScattering(memory=str(tmp_path), **CHEAP)
    cached.fit_transform(X[:2])
    computed["molecules"] = 0
    values = cached.transform(X)
    assert computed["molecules"] == 3
    np.testing.assert_array_equal(
        values, SolidHarmonicScattering(**CHEAP).fit_transform(X)
    )


@pytest.mark.parametrize(
    "change", [dict(Q=(1.0, 2.0)), dict(sigma=0.45), dict(channels=("valence",))]
)
def test_other_parameters_do_not_read_stale_values(qm7, tmp_path, change):
    X = qm7[0][:2]
    SolidHarmonicScattering(memory=str(tmp_path), **CHEAP).fit_transform(X)
    params = {**CHEAP, **change}
    values = SolidHarmonicScattering(memory=str(tmp_path), **params).fit_transform(X)
    np.testing.assert_array_equal(
        values, SolidHarmonicScattering(**params).fit_transform(X)
    )


def test_working_precision_is_in_the_key(qm7, tmp_path, computed):
    X = qm7[0][:2]
    double = SolidHarmonicScattering(memory=str(tmp_path), **CHEAP).fit_transform(X)
    computed["molecules"] = 0
    single_cached = SolidHarmonicScattering(
        memory=str(tmp_path), dtype="float32", **CHEAP
    )
    single = single_cached.fit_transform(X)
    # The float32 run computes its own values; it does not read the float64 entries.
    assert computed["molecules"] == 2
    np.testing.assert_array_equal(
        single, SolidHarmonicScattering(dtype="float32", **CHEAP).fit_transform(X)
    )
    # The two precisions differ, so reading the other entry would have shown.
    assert not np.array_equal(single, double)


def test_package_version_is_in_the_key(qm7, tmp_path, computed, monkeypatch):
    X = qm7[0][:2]
    expected = SolidHarmonicScattering(memory=str(tmp_path), **CHEAP).fit_transform(X)
    computed["molecules"] = 0
    # Another release may compute other numbers: its entries are not read back.
    monkeypatch.setattr(cache, "__version__", "0.0.0+another.release")
    values = SolidHarmonicScattering(memory=str(tmp_path), **CHEAP).fit_transform(X)
    assert computed["molecules"] == 2
    np.testing.assert_array_equal(values, expected)
    # Under the same version again, the entries written just now are read back.
    computed["molecules"] = 0
    SolidHarmonicScattering(memory=str(tmp_path), **CHEAP).fit_transform(X)
    assert computed["molecules"] == 0


def test_moved_atom_is_a_new_molecule(qm7, tmp_path, computed):
    X = qm7[0][:1].copy()
    cached = SolidHarmonicScattering(memory=str(tmp_path), **CHEAP)
    first = cached.fit_transform(X)
    X[0, 0, 1] += 0.1  # move the first atom by 0.1 Å along x
    computed["molecules"] = 0
    moved = cached.transform(X)
    assert computed["molecules"] == 1
    assert not np.allclose(moved, first)


def test_q_sweep_computes_each_molecule_once(q_sweep, tmp_path, computed):
    X, y, computed_Q = q_sweep["X"], q_sweep["y"], q_sweep["computed_Q"]
    scattering = SolidHarmonicScattering(
        Q=computed_Q, memory=str(tmp_path), **q_sweep["params"]
    )
    pipeline = Pipeline(
        [
            ("scattering", scattering),
            ("powers", SelectIntegralPowers(computed_Q=computed_Q)),
            ("ridge", Ridge()),
        ]
    )
    search = GridSearchCV(pipeline, q_sweep["grid"], cv=3).fit(X, y)
    # 6 candidates x 3 splits x (8 training + 4 held-out molecules) + the refit on
    # all 12 would be 228 transforms without the memory; each molecule once with it.
    assert computed["molecules"] == 12
    # The values read back are the right ones: the known-best powers win.
    assert search.best_params_["powers__Q"] == q_sweep["best_Q"]
    assert search.best_score_ > 0.999


# --- values read back are checked; the key holds what changes the numbers -----------


def _entries(folder):
    """The output files of the stored molecules under a memory folder."""
    return sorted(folder.rglob("output.pkl"))


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (lambda row: row[:-1], r"shape is \(\d+,\), expected"),
        (lambda row: np.tile(row, (2, 1)), "shape is"),
        (lambda row: row.astype(np.float32), "dtype is float32"),
        (lambda row: np.where(np.arange(row.size) == 3, np.nan, row), "non-finite"),
        (lambda row: row.tolist(), "it is a list"),
        (lambda row: "coefficients", "it is a str"),
    ],
    ids=["short", "two-rows", "float32", "nan", "list", "str"],
)
def test_a_wrong_stored_value_is_recomputed_and_replaced(
    qm7, tmp_path, computed, bad, reason
):
    import joblib

    X = qm7[0][:2]
    expected = SolidHarmonicScattering(**CHEAP).fit_transform(X)
    cached = SolidHarmonicScattering(memory=str(tmp_path), **CHEAP)
    cached.fit_transform(X)
    entries = _entries(tmp_path)
    assert len(entries) == 2
    for entry in entries:
        joblib.dump(bad(joblib.load(entry)), entry)
    computed["molecules"] = 0
    with pytest.warns(UserWarning, match=f"of 2 molecule.*molecule 0: .*{reason}"):
        values = cached.transform(X)
    assert computed["molecules"] == 2
    np.testing.assert_array_equal(values, expected)
    # The bad entries were overwritten: read back now, silently and computing nothing.
    computed["molecules"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(cached.transform(X), expected)
    assert computed["molecules"] == 0


@pytest.mark.parametrize("kept_bytes", [0, 20, -8], ids=["empty", "header", "tail"])
def test_a_truncated_entry_is_recomputed_and_replaced(
    qm7, tmp_path, computed, kept_bytes
):
    X = qm7[0][:1]
    expected = SolidHarmonicScattering(**CHEAP).fit_transform(X)
    cached = SolidHarmonicScattering(memory=str(tmp_path), **CHEAP)
    cached.fit_transform(X)
    [entry] = _entries(tmp_path)
    content = entry.read_bytes()
    entry.write_bytes(content[: kept_bytes % len(content)])  # a torn write
    computed["molecules"] = 0
    with pytest.warns(UserWarning, match="molecule 0: its file could not be read"):
        values = cached.transform(X)
    assert computed["molecules"] == 1
    np.testing.assert_array_equal(values, expected)
    # Replaced by a whole entry: read back now, silently and computing nothing.
    computed["molecules"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(cached.transform(X), expected)
    assert computed["molecules"] == 0


def test_batch_size_is_in_the_key(qm7, tmp_path, computed):
    X = qm7[0][:3]
    batched = SolidHarmonicScattering(memory=str(tmp_path), batch_size=3, **CHEAP)
    batched.fit_transform(X)
    computed["molecules"] = 0
    # One molecule per batch is another computation (its own lattice): not read back.
    alone = SolidHarmonicScattering(
        memory=str(tmp_path), batch_size=1, backend="numpy", **CHEAP
    )
    values = alone.fit_transform(X)
    assert computed["molecules"] == 3
    np.testing.assert_array_equal(
        values, SolidHarmonicScattering(batch_size=1, **CHEAP).fit_transform(X)
    )
    # "auto" on the CPU is one molecule per batch: the same entries.
    computed["molecules"] = 0
    auto = SolidHarmonicScattering(
        memory=str(tmp_path), batch_size="auto", backend="numpy", **CHEAP
    )
    np.testing.assert_array_equal(auto.fit_transform(X), values)
    assert computed["molecules"] == 0


def test_backend_is_in_the_key(tmp_path):
    plan = SolidHarmonicScattering(**CHEAP)._plan()
    positions, weights = np.zeros((1, 3)), np.ones((1, 1))
    row = np.arange(plan.n_features_per_channel, dtype=np.float64)
    on_cpu = cache.MoleculeCache(str(tmp_path), plan, np.float64, "numpy", 1)
    on_cpu.store(positions, weights, row)
    np.testing.assert_array_equal(on_cpu.lookup(positions, weights), row)
    on_gpu = cache.MoleculeCache(str(tmp_path), plan, np.float64, "cupy", 1)
    assert on_gpu.lookup(positions, weights) is None
