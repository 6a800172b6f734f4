"""Saving and loading: fitted models predict identically in a new process.

Each check saves an estimator here and loads it in a fresh ``python`` subprocess, so
nothing cached in this process (imports, backends, the joblib pool) can hide a
missing piece of state.
"""

import inspect
import io
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

import skscatharm
from skscatharm import (
    FactorizedBilinearRegressor,
    InconsistentVersionWarning,
    SolidHarmonicScattering,
    SparseAtomKernelRidge,
    _persistence,
)
from skscatharm._core import backend

FAST = dict(J=1, L=1, oversampling=2.0)

#: One BLAS thread here and in the subprocesses: the same arithmetic on both sides,
#: and no threads fighting over the cores that the rest of the suite uses.
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

#: Makes ``import cupy`` (and ``cupyx``) raise ImportError in the subprocess, as on
#: a machine without CuPy, whatever is installed here.
HIDE_CUPY = textwrap.dedent(
    """
    import sys
    sys.modules["cupy"] = None
    sys.modules["cupyx"] = None
    try:
        import cupy  # noqa: F401
    except ImportError:
        pass
    else:
        raise AssertionError("cupy should not import")
    """
)


#: Under ``--strict-backend``, the subprocess takes the CuPy stand-in too: both sides
#: then compute on one backend, as two processes on one GPU machine would.
STRICT_BACKEND = textwrap.dedent(
    f"""
    import sys
    sys.path.insert(0, {str(Path(__file__).parent)!r})
    from _strict_xp import strict_backend
    from skscatharm._core.backend import substitute_cupy
    strict = substitute_cupy(strict_backend())  # held: its exit would undo it
    strict.__enter__()
    """
)


def run_python(code, tmp_path, hide_cupy=False):
    """Run ``code`` in a new interpreter in ``tmp_path``; fail with its stderr."""
    if hide_cupy:
        code = HIDE_CUPY + textwrap.dedent(code)
    elif backend._cupy_substitute is not None:
        code = STRICT_BACKEND + textwrap.dedent(code)
    else:
        code = textwrap.dedent(code)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=dict(os.environ, **ONE_THREAD),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def split(qm7):
    X, y = qm7
    return X[:30], y[:30], X[30:36]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fitted_pipeline_predicts_identically_in_a_new_process(split, tmp_path):
    X_train, y_train, X_new = split
    pipeline = Pipeline(
        [
            ("scattering", SolidHarmonicScattering(**FAST)),
            (
                "regressor",
                FactorizedBilinearRegressor(alpha=1e-2, max_iter=20, random_state=0),
            ),
        ]
    )
    with threadpool_limits(1):
        pipeline.fit(X_train, y_train)
        expected = pipeline.predict(X_new)
    joblib.dump(pipeline, tmp_path / "pipeline.joblib")
    np.save(tmp_path / "X_new.npy", X_new)

    run_python(
        """
        import joblib
        import numpy as np

        pipeline = joblib.load("pipeline.joblib")
        np.save("predicted.npy", pipeline.predict(np.load("X_new.npy")))
        """,
        tmp_path,
    )
    predicted = np.load(tmp_path / "predicted.npy")
    assert np.all(np.isfinite(expected))
    assert np.array_equal(predicted, expected)


def test_transform_leaves_no_state_behind(split):
    """What a fitted transformer holds does not depend on having transformed."""
    X_train = split[0]
    fitted = SolidHarmonicScattering(**FAST).fit(X_train[:2])
    state = pickle.dumps(fitted)
    fitted.transform(X_train[:2])
    assert pickle.dumps(fitted) == state
    assert all(
        type(value).__module__.split(".")[0] in ("builtins", "numpy")
        for value in vars(fitted).values()
    )


def test_cupy_transformer_unpickles_where_cupy_does_not_import(split, tmp_path):
    """A transformer fitted with ``backend="cupy"`` loads on a machine without CuPy.

    ``fit`` never touches the array backend (it is chosen at each ``transform``), so
    fitting with ``backend="cupy"`` works without a GPU and gives the same state as
    on a GPU machine. Loaded without CuPy, the transformer says why it cannot
    transform with ``"cupy"``, and transforms on the CPU once told to.
    """
    X_train = split[0]
    fitted = SolidHarmonicScattering(backend="cupy", **FAST).fit(X_train[:2])
    joblib.dump(fitted, tmp_path / "scattering.joblib")
    np.save(tmp_path / "X.npy", X_train[:2])
    with threadpool_limits(1):
        expected = SolidHarmonicScattering(backend="numpy", **FAST).transform(
            X_train[:2]
        )

    output = run_python(
        """
        import joblib
        import numpy as np

        scattering = joblib.load("scattering.joblib")
        assert scattering.backend == "cupy"
        assert scattering.channel_names_ == ["full", "valence", "core"]
        X = np.load("X.npy")
        try:
            scattering.transform(X)
        except RuntimeError as error:
            print("refused:", error)
        else:
            raise AssertionError("backend='cupy' transformed without CuPy")
        np.save("numpy.npy", scattering.set_params(backend="numpy").transform(X))
        np.save("auto.npy", scattering.set_params(backend="auto").transform(X))

        # Fitting with backend="cupy" does not need CuPy either.
        from skscatharm import SolidHarmonicScattering
        SolidHarmonicScattering(backend="cupy").fit(X)
        """,
        tmp_path,
        hide_cupy=True,
    )
    assert "refused:" in output and "CuPy" in output
    assert np.array_equal(np.load(tmp_path / "numpy.npy"), expected)
    assert np.array_equal(np.load(tmp_path / "auto.npy"), expected)


@pytest.mark.gpu
def test_transformer_used_on_a_gpu_unpickles_without_cupy(split, tmp_path):
    """The same after a real GPU transform (needs CuPy and a device)."""
    X_train = split[0]
    scattering = SolidHarmonicScattering(backend="cupy", **FAST).fit(X_train[:2])
    on_gpu = scattering.transform(X_train[:2])
    joblib.dump(scattering, tmp_path / "scattering.joblib")
    np.save(tmp_path / "X.npy", X_train[:2])
    run_python(
        """
        import joblib
        import numpy as np

        scattering = joblib.load("scattering.joblib").set_params(backend="numpy")
        np.save("numpy.npy", scattering.transform(np.load("X.npy")))
        """,
        tmp_path,
        hide_cupy=True,
    )
    np.testing.assert_allclose(np.load(tmp_path / "numpy.npy"), on_gpu, rtol=1e-6)


# --- the package version in every pickle ---------------------------------------------

ESTIMATORS = sorted(
    (
        obj
        for obj in vars(skscatharm).values()
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator)
    ),
    key=lambda cls: cls.__name__,
)


def test_every_estimator_of_the_package_is_listed():
    names = {cls.__name__ for cls in ESTIMATORS}
    assert names == {
        "AtomKernelRidge",
        "AtomKernelRidgeCV",
        "BilinearRegressor",
        "FactorizedBilinearRegressor",
        "FactorizedMultilinearRegressor",
        "PerAtomRegressor",
        "ResidualCorrectionRegressor",
        "SelectIntegralPowers",
        "SelectWavelets",
        "SolidHarmonicScattering",
        "SparseAtomKernelRidge",
        "SparseAtomKernelRidgeCV",
    }


#: Arguments of the estimators that have required ones.
REQUIRED = {
    "ResidualCorrectionRegressor": lambda: (
        FactorizedBilinearRegressor(),
        FactorizedBilinearRegressor(n_components=2),
    )
}


def _instance(cls):
    """An unfitted estimator of class ``cls``, with its required arguments."""
    return cls(*REQUIRED.get(cls.__name__, tuple)())


def _params(estimator):
    """``get_params()``, with each nested estimator as its class and own parameters
    (estimators compare by identity)."""
    return {
        name: (type(value), _params(value))
        if isinstance(value, BaseEstimator)
        else value
        for name, value in estimator.get_params(deep=False).items()
    }


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_pickle_records_the_version_and_warns_under_another(cls, monkeypatch):
    saved = pickle.dumps(_instance(cls))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same version: silent
        restored = pickle.loads(saved)
    assert "_skscatharm_version" not in vars(restored)
    assert _params(restored) == _params(_instance(cls))
    monkeypatch.setattr(_persistence, "__version__", "99.0")
    with pytest.warns(InconsistentVersionWarning, match=cls.__name__) as record:
        pickle.loads(saved)
    warning = record[0].message
    assert warning.original_version == skscatharm.__version__
    assert warning.current_version == "99.0"


def test_a_pickle_without_a_version_warns(monkeypatch):
    scattering = SolidHarmonicScattering(**FAST).fit()
    state = scattering.__getstate__()
    del state["_skscatharm_version"]  # as a pickle saved before this change
    restored = SolidHarmonicScattering.__new__(SolidHarmonicScattering)
    with pytest.warns(InconsistentVersionWarning, match="unknown"):
        restored.__setstate__(state)
    assert restored.get_params() == scattering.get_params()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_fitted_regressor_warns_under_another_version_and_still_loads(
    split, monkeypatch
):
    X_train, y_train, X_new = split
    scattering = SolidHarmonicScattering(**FAST)
    F_train, F_new = scattering.fit_transform(X_train), scattering.transform(X_new)
    model = FactorizedBilinearRegressor(alpha=1e-2, max_iter=5, random_state=0)
    model.fit(F_train, y_train)
    saved = io.BytesIO()
    joblib.dump(model, saved)  # joblib's pickles go through __getstate__ too
    monkeypatch.setattr(_persistence, "__version__", "99.0")
    saved.seek(0)
    with pytest.warns(InconsistentVersionWarning, match="FactorizedBilinearRegressor"):
        restored = joblib.load(saved)
    np.testing.assert_array_equal(restored.predict(F_new), model.predict(F_new))


def test_an_atom_model_saved_before_scales_per_octave_predicts_as_before(split):
    X_train, y_train, X_new = split
    model = SparseAtomKernelRidge(50, J=1, L=1, random_state=0).fit(X_train, y_train)
    state = model.__getstate__()
    # As a pickle saved before the parameter existed (one scale per octave).
    del state["scales_per_octave"], state["_skscatharm_version"]
    restored = SparseAtomKernelRidge.__new__(SparseAtomKernelRidge)
    with pytest.warns(InconsistentVersionWarning, match="unknown"):
        restored.__setstate__(state)
    assert restored.get_params() == model.get_params()
    np.testing.assert_array_equal(restored.predict(X_new), model.predict(X_new))
