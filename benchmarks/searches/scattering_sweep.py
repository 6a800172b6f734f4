"""A GridSearchCV over Q (or J and L), with and without recomputing the fields.

Three searches over the same 4 candidates, 3 folds, in the same process (the ratios
are what counts). With ``--sweep wavelets`` the candidates are (J, L) pairs instead,
selected by ``SelectWavelets``, and the same three searches are timed:

* recompute: ``Pipeline([SolidHarmonicScattering, Ridge])`` searched over
  ``scattering__Q``, which reruns the convolutions for every candidate and split;
* pipeline memory: ``Pipeline([SolidHarmonicScattering(Q=all), SelectIntegralPowers,
  Ridge], memory=...)`` searched over ``powers__Q``: each split featurizes its
  training molecules once, but its held-out molecules once per candidate;
* transformer memory: the same pipeline with ``SolidHarmonicScattering(memory=...)``
  instead: each molecule is computed once for the whole search.

Usage: python -m benchmarks.searches.scattering_sweep [--n 30] [--sweep {Q,wavelets}]
"""

import argparse
import tempfile
import time

import numpy as np
from joblib import Memory
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from skscatharm import SelectIntegralPowers, SelectWavelets, SolidHarmonicScattering
from skscatharm.datasets import load_qm7_sample

ALL_Q = (0.5, 1.0, 2.0, 3.0)
CANDIDATES = [(1.0,), (1.0, 2.0), (0.5, 1.0, 2.0), ALL_Q]
PARAMS = dict(J=2, L=2, oversampling=2.0)
#: (J, L) candidates of ``--sweep wavelets``, all within PARAMS' J and L.
WAVELET_CANDIDATES = [(1, 1), (1, 2), (2, 1), (2, 2)]


def timed_search(pipeline, grid, X, y):
    start = time.perf_counter()
    search = GridSearchCV(
        pipeline, grid, cv=KFold(3, shuffle=True, random_state=0), n_jobs=1
    ).fit(X, y)
    return time.perf_counter() - start, search


def selecting_pipeline(scattering_memory=None, pipeline_memory=None):
    return Pipeline(
        [
            (
                "scattering",
                SolidHarmonicScattering(Q=ALL_Q, memory=scattering_memory, **PARAMS),
            ),
            (
                "wavelets",
                SelectWavelets(
                    computed_J=PARAMS["J"], computed_L=PARAMS["L"], computed_Q=ALL_Q
                ),
            ),
            ("powers", SelectIntegralPowers(computed_Q=ALL_Q)),
            ("ridge", Ridge(1e-3)),
        ],
        memory=pipeline_memory,
    )


def grids(sweep):
    """The baseline's grid (recomputing) and the selecting pipeline's grid."""
    if sweep == "Q":
        return {"scattering__Q": CANDIDATES}, {"powers__Q": CANDIDATES}
    recompute = [
        {"scattering__J": [J], "scattering__L": [L]} for J, L in WAVELET_CANDIDATES
    ]
    select = [{"wavelets__J": [J], "wavelets__L": [L]} for J, L in WAVELET_CANDIDATES]
    return recompute, select


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--sweep", choices=("Q", "wavelets"), default="Q")
    args = parser.parse_args()
    X, y = load_qm7_sample(return_X_y=True)
    X, y = X[: args.n], y[: args.n]

    baseline = Pipeline(
        [("scattering", SolidHarmonicScattering(**PARAMS)), ("ridge", Ridge(1e-3))]
    )
    recompute_grid, grid = grids(args.sweep)
    searches = {"recompute per candidate": timed_search(baseline, recompute_grid, X, y)}
    selector = "SelectIntegralPowers" if args.sweep == "Q" else "SelectWavelets"
    with tempfile.TemporaryDirectory() as folder:
        searches[f"{selector} + Pipeline(memory)"] = timed_search(
            selecting_pipeline(pipeline_memory=Memory(folder, verbose=0)), grid, X, y
        )
    with tempfile.TemporaryDirectory() as folder:
        searches[f"{selector} + SolidHarmonicScattering(memory)"] = timed_search(
            selecting_pipeline(scattering_memory=folder), grid, X, y
        )
    print(
        f"GridSearchCV over 4 {args.sweep} candidates, 3 folds, {args.n} QM7 "
        f"molecules ({PARAMS}):"
    )
    baseline_time = searches["recompute per candidate"][0]
    for name, (seconds, search) in searches.items():
        scores = np.round(search.cv_results_["mean_test_score"], 4).tolist()
        print(
            f"  {name}: {seconds:.1f} s, {baseline_time / seconds:.2f}x, "
            f"best {search.best_params_}, mean CV R² per candidate {scores}"
        )


if __name__ == "__main__":
    main()
