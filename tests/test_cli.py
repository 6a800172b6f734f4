"""The ``skscatharm`` command: featurize, fit and predict, through ``main(argv)``."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skscatharm
from skscatharm import SolidHarmonicScattering
from skscatharm._core import dispatch
from skscatharm.cli import main
from skscatharm.datasets import read_molecules

PARAMS = dict(sigma=0.5, J=1, L=1, Q=(1.0, 2.0), oversampling=2.0)
OPTIONS = ["--sigma", "0.5", "--J", "1", "--L", "1", "--Q", "1,2"]
OPTIONS += ["--oversampling", "2", "--no-progress"]


@pytest.fixture(scope="module")
def npz_input(tmp_path_factory, qm7):
    """Six molecules in the layout of the QM7/QM9 archives: padded Z and R."""
    X, y = qm7[0][:6], qm7[1][:6]
    path = tmp_path_factory.mktemp("input") / "molecules.npz"
    np.savez(path, Z=X[:, :, 0].astype(np.int8), R=X[:, :, 1:], energy=y)
    return path, X, y


@pytest.fixture(scope="module")
def expected(npz_input):
    _, X, _ = npz_input
    transformer = SolidHarmonicScattering(**PARAMS)
    return transformer.fit_transform(X), transformer.get_feature_names_out()


def _read(path):
    if path.suffix == ".npy":
        return np.load(path), None
    if path.suffix == ".npz":
        with np.load(path) as archive:
            return archive["features"], archive["feature_names"]
    if path.suffix == ".parquet":
        table = pytest.importorskip("pyarrow.parquet").read_table(path)
        return np.column_stack(list(table.to_pydict().values())), table.column_names
    array = pytest.importorskip("zarr").open_array(str(path), mode="r")
    return array[:], array.attrs["feature_names"]


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".parquet", ".zarr"])
def test_featurize_writes_the_transform_of_every_molecule(
    npz_input, expected, tmp_path, suffix
):
    if suffix in (".parquet", ".zarr"):
        pytest.importorskip({".parquet": "pyarrow", ".zarr": "zarr"}[suffix])
    output = tmp_path / f"features{suffix}"
    assert main(["featurize", str(npz_input[0]), "-o", str(output), *OPTIONS]) == 0
    values, names = _read(output)
    np.testing.assert_array_equal(values, expected[0])
    if names is not None:
        assert list(names) == list(expected[1])
    # Written under a temporary name and renamed: nothing else is left.
    assert [p.name for p in tmp_path.iterdir()] == [output.name]


def test_featurize_reads_any_file_ase_reads(npz_input, tmp_path):
    ase_io = pytest.importorskip("ase.io")
    from ase import Atoms

    _, X, _ = npz_input
    molecules = [
        (row[row[:, 0] > 0, 0].astype(int), row[row[:, 0] > 0, 1:]) for row in X
    ]
    path = tmp_path / "molecules.extxyz"
    ase_io.write(path, [Atoms(numbers=Z, positions=R) for Z, R in molecules])
    output = tmp_path / "features.npy"
    assert main(["featurize", str(path), "-o", str(output), *OPTIONS]) == 0
    # The molecules as ASE reads them back (extxyz keeps the digits it prints).
    read_back = read_molecules(path)
    for (_, read_R), (_, R) in zip(read_back, molecules, strict=True):
        np.testing.assert_allclose(read_R, R, atol=1e-7)
    np.testing.assert_array_equal(
        np.load(output), SolidHarmonicScattering(**PARAMS).fit_transform(read_back)
    )


def test_featurize_with_a_cache_resumes_without_recomputing(
    npz_input, expected, tmp_path, monkeypatch
):
    cache = tmp_path / "cache"
    first, second = tmp_path / "first.npy", tmp_path / "second.npy"
    original = dispatch.scatter_batch
    calls = []

    def stop_after_four(backend, plan, geometry, dtype):
        if len(calls) == 4:
            raise KeyboardInterrupt  # as a Ctrl-C would
        calls.append(1)
        return original(backend, plan, geometry, dtype)

    arguments = ["featurize", str(npz_input[0]), "--cache", str(cache), *OPTIONS]
    monkeypatch.setattr(dispatch, "scatter_batch", stop_after_four)
    with pytest.raises(KeyboardInterrupt):
        main([*arguments, "-o", str(first), "--n-jobs", "1"])
    assert not first.exists()
    computed = []

    def count(backend, plan, geometry, dtype):
        computed.append(len(geometry.positions))
        return original(backend, plan, geometry, dtype)

    monkeypatch.setattr(dispatch, "scatter_batch", count)
    assert main([*arguments, "-o", str(second), "--n-jobs", "1"]) == 0
    assert sum(computed) == 2  # the 6 molecules less the 4 kept before the stop
    np.testing.assert_array_equal(np.load(second), expected[0])


def test_fit_then_predict_with_a_saved_pipeline(npz_input, tmp_path):
    path, X, y = npz_input
    pipeline = make_pipeline(
        SolidHarmonicScattering(**PARAMS), StandardScaler(), Ridge(alpha=1e-3)
    )
    joblib.dump(pipeline, tmp_path / "pipeline.joblib")
    arguments = [str(tmp_path / "pipeline.joblib"), str(path), "--target", "energy"]
    assert main(["fit", *arguments, "-o", str(tmp_path / "fitted.joblib")]) == 0
    fitted = joblib.load(tmp_path / "fitted.joblib")
    in_process = pipeline.fit(X, y).predict(X)
    np.testing.assert_array_equal(fitted.predict(X), in_process)
    for suffix, load in [(".npy", np.load), (".csv", np.loadtxt)]:
        output = tmp_path / f"predictions{suffix}"
        status = main(
            ["predict", str(tmp_path / "fitted.joblib"), str(path), "-o", str(output)]
        )
        assert status == 0
        np.testing.assert_allclose(load(output), in_process, rtol=1e-15)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-o", "{tmp}/features.csv"], "unknown output format '.csv'"),
        (["-o", "{tmp}/features.npy", "--J", "-1"], "'J' parameter"),
    ],
)
def test_featurize_reports_bad_arguments(
    npz_input, tmp_path, capsys, arguments, message
):
    arguments = [a.format(tmp=tmp_path) for a in arguments]
    assert main(["featurize", str(npz_input[0]), *arguments]) == 2
    assert message in capsys.readouterr().err


def test_an_npz_without_positions_is_named(tmp_path, capsys):
    path = tmp_path / "numbers_only.npz"
    np.savez(path, Z=np.ones((2, 3), dtype=int))
    assert main(["featurize", str(path), "-o", str(tmp_path / "f.npy")]) == 2
    assert f"{path}: a .npz input needs arrays Z and R; it lacks ['R']" in (
        capsys.readouterr().err
    )


def test_fit_names_a_missing_target(npz_input, tmp_path, capsys):
    joblib.dump(Ridge(), tmp_path / "ridge.joblib")
    arguments = [str(tmp_path / "ridge.joblib"), str(npz_input[0]), "--target", "gap"]
    assert main(["fit", *arguments, "-o", str(tmp_path / "fitted.joblib")]) == 2
    assert "no array 'gap'" in capsys.readouterr().err


def _environment():
    package_root = str(Path(skscatharm.__file__).parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [package_root, env.get("PYTHONPATH")])
    )
    return env


def test_the_module_runs_as_a_program():
    result = subprocess.run(
        [sys.executable, "-m", "skscatharm.cli", "--version"],
        capture_output=True,
        text=True,
        env=_environment(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == skscatharm.__version__


def test_the_installed_console_script_featurizes(npz_input, expected, tmp_path):
    script = shutil.which("skscatharm")
    if script is None:
        pytest.skip("the skscatharm console script is not installed")
    output = tmp_path / "features.npy"
    result = subprocess.run(
        [script, "featurize", str(npz_input[0]), "-o", str(output), *OPTIONS],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.load(output), expected[0])
