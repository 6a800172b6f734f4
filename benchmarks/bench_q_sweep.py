"""A GridSearchCV over the integral powers Q, with and without recomputing the fields.

Baseline: ``Pipeline([SolidHarmonicScattering, Ridge])`` searched over
``scattering__Q``, which reruns the convolutions for every candidate and split.
Reuse: ``Pipeline([SolidHarmonicScattering(Q=all), SelectIntegralPowers, Ridge],
memory=...)`` searched over ``powers__Q``: each split featurizes its training
molecules once. Both searches run in the same process; the ratio is what counts.

Usage: python benchmarks/bench_q_sweep.py [--n 40]
"""

import argparse
import tempfile
import time

import numpy as np
from joblib import Memory
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from skscatharm import SelectIntegralPowers, SolidHarmonicScattering
from skscatharm.datasets import load_qm7_sample

ALL_Q = (0.5, 1.0, 2.0, 3.0)
CANDIDATES = [(1.0,), (1.0, 2.0), (0.5, 1.0, 2.0), ALL_Q]
PARAMS = dict(J=2, L=2, oversampling=2.0)


def timed_search(pipeline, grid, X, y):
    start = time.perf_counter()
    search = GridSearchCV(
        pipeline, grid, cv=KFold(3, shuffle=True, random_state=0), n_jobs=1
    ).fit(X, y)
    return time.perf_counter() - start, search


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    args = parser.parse_args()
    X, y = load_qm7_sample(return_X_y=True)
    X, y = X[: args.n], y[: args.n]

    baseline = Pipeline(
        [("scattering", SolidHarmonicScattering(**PARAMS)), ("ridge", Ridge(1e-3))]
    )
    baseline_time, baseline_search = timed_search(
        baseline, {"scattering__Q": CANDIDATES}, X, y
    )
    with tempfile.TemporaryDirectory() as folder:
        reuse = Pipeline(
            [
                ("scattering", SolidHarmonicScattering(Q=ALL_Q, **PARAMS)),
                ("powers", SelectIntegralPowers(computed_Q=ALL_Q)),
                ("ridge", Ridge(1e-3)),
            ],
            memory=Memory(folder, verbose=0),
        )
        reuse_time, reuse_search = timed_search(reuse, {"powers__Q": CANDIDATES}, X, y)
    print(
        f"GridSearchCV over {len(CANDIDATES)} Q candidates, 3 folds, {args.n} QM7 "
        f"molecules ({PARAMS}):\n"
        f"  recompute per candidate: {baseline_time:.1f} s "
        f"(best {baseline_search.best_params_})\n"
        f"  SelectIntegralPowers + Pipeline(memory): {reuse_time:.1f} s "
        f"(best {reuse_search.best_params_})\n"
        f"  ratio: {baseline_time / reuse_time:.1f}x faster"
    )
    scores = np.c_[
        baseline_search.cv_results_["mean_test_score"],
        reuse_search.cv_results_["mean_test_score"],
    ]
    print(
        "  mean CV R² per candidate (recompute, reuse):", np.round(scores, 4).tolist()
    )


if __name__ == "__main__":
    main()
