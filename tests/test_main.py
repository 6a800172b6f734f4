"""The main job, ``python -m skscatharm``, on a few molecules."""

import contextlib
import io
import re
import sys

import joblib
import numpy as np
import pytest
from sklearn.model_selection import KFold
from threadpoolctl import threadpool_limits

from skscatharm.__main__ import elements_missing_from_training, main, save_plot

N_MOLECULES = 20


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """Run the main job on the first molecules once; keep what it printed."""
    folder = tmp_path_factory.mktemp("main")
    output = io.StringIO()
    # One BLAS thread, as in tests/test_examples.py: the small regressions slow down
    # many times when BLAS threads outnumber free cores.
    with contextlib.redirect_stdout(output), threadpool_limits(1):
        results = main(
            [
                "--n-molecules",
                str(N_MOLECULES),
                "--plot",
                str(folder / "qm7.png"),
                "--save",
                str(folder / "model.joblib"),
            ]
        )
    return results, output.getvalue(), folder


def test_prints_finite_errors_in_kcal_per_mol(small_run):
    results, output, _ = small_run
    printed = re.findall(
        r"^  (FactorizedBilinearRegressor|Ridge|AtomKernelRidgeCV)\b.*"
        r"MAE\s+(\S+)\s+RMSE\s+(\S+)$",
        output,
        flags=re.MULTILINE,
    )
    # The first 20 molecules hold H, C, N and O, each in several of them, so every
    # fold's training molecules have every element and the atom kernel is scored.
    assert [name for name, _, _ in printed] == [
        "FactorizedBilinearRegressor",
        "Ridge",
        "AtomKernelRidgeCV",
    ]
    values = np.array([[float(mae), float(rmse)] for _, mae, rmse in printed])
    assert np.all(np.isfinite(values)) and np.all(values > 0)
    assert np.all(values[:, 0] <= values[:, 1] + 0.01)  # MAE <= RMSE
    reported = [
        [results["mae"], results["rmse"]],
        [results["ridge_mae"], results["ridge_rmse"]],
        [results["atom_kernel_mae"], results["atom_kernel_rmse"]],
    ]
    np.testing.assert_allclose(values, reported, rtol=0, atol=0.01)
    assert "kcal/mol" in output
    assert len(results["predicted"]) == N_MOLECULES


def test_writes_the_plot_and_the_fitted_pipeline(small_run):
    pytest.importorskip("matplotlib")
    results, output, folder = small_run
    plot = folder / "qm7.png"
    assert results["plot"] == str(plot) and str(plot) in output
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = joblib.load(folder / "model.joblib")
    assert [name for name, _ in saved.steps] == ["scattering", "regressor"]
    assert np.array_equal(
        saved["regressor"].coef_matrix_, results["pipeline"]["regressor"].coef_matrix_
    )


def test_shows_progress_without_tqdm(small_run):
    _, output, _ = small_run
    if "tqdm" in sys.modules:
        pytest.skip("tqdm draws the progress bar")
    assert f"scattering: {N_MOLECULES}/{N_MOLECULES} molecules" in output


def test_skips_the_plot_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert not save_plot(tmp_path / "p.png", np.arange(3.0), np.arange(3.0), "t")
    assert not (tmp_path / "p.png").exists()


def test_names_elements_a_fold_cannot_learn():
    # One atom per molecule: C, N, S, N. KFold(2) holds out {0, 1}, then {2, 3}.
    position = np.zeros((1, 3))
    X = [(np.array([z]), position) for z in (6, 7, 16, 7)]
    # Carbon (molecule 0) and sulfur (molecule 2) are each in one molecule only;
    # nitrogen is in both folds.
    assert elements_missing_from_training(X, KFold(2)) == [(6, 0), (16, 2)]
    # Leave-one-out on N, S, N: only the sulfur molecule is unseen in its training.
    assert elements_missing_from_training(X[1:], KFold(3)) == [(16, 1)]
    # Every element twice, in both folds: nothing is missing.
    assert elements_missing_from_training(X[1:] * 2, KFold(2)) == []
