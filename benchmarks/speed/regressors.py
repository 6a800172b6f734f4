"""Fit time, peak memory and held-out R^2 of the bilinear regressors.

Each case runs in a fresh subprocess, so that its peak memory (``ru_maxrss``)
is its own.  The data are synthetic with a planted bilinear structure: K
correlated Gaussian features with arbitrary offsets and scales, and

    y = sum_{r=1..2} (a_r . x)(b_r . x) + c . x + noise  (noise: 5% of std(y)).

The baseline is :class:`sklearn.linear_model.Ridge` fitted on the same data in
the same run; speeds are reported as ratios to it as well as in seconds.

Usage::

    python -m benchmarks.speed.regressors                  # n=110000, K=300
    python -m benchmarks.speed.regressors --n 20000 --k 100
"""

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

CASES = {
    "Ridge (baseline)": "sklearn.linear_model:Ridge()",
    "BilinearRegressor": "skscatharm.regression:BilinearRegressor()",
    "FactorizedBilinearRegressor(n_components=2)": (
        "skscatharm.regression:FactorizedBilinearRegressor"
        "(n_components=2, random_state=0)"
    ),
}


def make_data(n_train, n_test, n_features, seed=0):
    """Planted rank-2 bilinear model plus a linear part and 5% noise."""
    rng = np.random.RandomState(seed)
    K = n_features
    mix = np.eye(K) + 0.3 * rng.normal(size=(K, K)) / np.sqrt(K)
    scales = 10.0 ** rng.uniform(-2, 2, K)
    offsets = rng.normal(size=K) * 5 * scales
    n = n_train + n_test
    X = (rng.normal(size=(n, K)) @ mix) * scales + offsets
    a = rng.normal(size=(2, K)) / np.sqrt(K) / scales
    b = rng.normal(size=(2, K)) / np.sqrt(K) / scales
    c = rng.normal(size=K) / np.sqrt(K) / scales
    Xc = X - offsets
    y = np.einsum("ir,ir->i", Xc @ a.T, Xc @ b.T) + Xc @ c
    y += 0.05 * y.std() * rng.normal(size=n)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def run_case(spec, n_train, n_test, n_features):
    """Body of one subprocess: fit, then report time, memory and R^2."""
    import importlib
    import warnings

    module, expr = spec.split(":")
    cls_name = expr.split("(")[0]
    cls = getattr(importlib.import_module(module), cls_name)
    estimator = eval(expr, {cls_name: cls})
    X, y, X_test, y_test = make_data(n_train, n_test, n_features)
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X, y)
    fit_s = time.perf_counter() - t0
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    r2 = estimator.score(X_test, y_test)
    return {
        "fit_s": fit_s,
        "traced_peak_mib": traced_peak / 2**20,
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "data_rss_mib": rss_data / 1024,
        "r2_test": r2,
        "n_iter": getattr(estimator, "n_iter_", None),
        "solver": getattr(estimator, "solver_", None),
        "warnings": [str(w.message)[:80] for w in caught],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=110_000, help="training samples")
    parser.add_argument("--n-test", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=300, help="features")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        out = run_case(args.child, args.n, args.n_test, args.k)
        print("RESULT " + json.dumps(out))
        return

    results = {}
    for name, spec in CASES.items():
        cmd = [sys.executable, __file__, "--child", spec, "--n", str(args.n)]
        cmd += ["--n-test", str(args.n_test), "--k", str(args.k)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
        if proc.returncode or not lines:
            print(f"{name}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        results[name] = json.loads(lines[-1][7:])
        print(name, results[name], file=sys.stderr, flush=True)

    base = results.get("Ridge (baseline)", {}).get("fit_s", float("nan"))
    print(
        f"n_train={args.n}, n_test={args.n_test}, K={args.k}; "
        f"{platform.processor() or platform.machine()}, python {platform.python_version()}, "
        f"numpy {np.__version__}\n"
    )
    print(
        "| estimator | solver | n_iter_ | fit time (s) | time / Ridge | "
        "peak traced during fit (MiB) | process max RSS (MiB) | held-out R^2 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['solver'] or '-'} | {r['n_iter'] or '-'} | "
            f"{r['fit_s']:.1f} | {r['fit_s'] / base:.1f}x | "
            f"{r['traced_peak_mib']:.0f} | {r['maxrss_mib']:.0f} | "
            f"{r['r2_test']:.4f} |"
        )
    for name, r in results.items():
        if r["warnings"]:
            print(f"\nWarnings from {name}: {r['warnings']}")


if __name__ == "__main__":
    main()
