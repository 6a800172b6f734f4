"""Scattering features of a whole data set, computed once and cached on disk.

Features are written in chunks under ``benchmarks/_cache/<name>-<key>/`` (or under
``$SKSCATHARM_BENCHMARK_CACHE``, to keep them outside a checkout), where the key
hashes the transformer's parameters and the molecules, so an interrupted run resumes
where it stopped and a change of parameters never reads stale features.
"""

import hashlib
import json
import os
import re
import time
from pathlib import Path

import numpy as np

from skscatharm import SolidHarmonicScattering, pack_molecules

#: Where the features are kept: ``benchmarks/_cache`` unless the variable says otherwise.
CACHE = Path(
    os.environ.get("SKSCATHARM_BENCHMARK_CACHE", Path(__file__).parents[1] / "_cache")
)


def _key(params, X):
    text = json.dumps(params, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode())
    digest.update(np.ascontiguousarray(X).tobytes())
    return digest.hexdigest()[:12]


#: Transformer parameters that do not change the features.
IGNORED_PARAMS = ("n_jobs", "memory")


def add_transform_arguments(parser):
    """The transformer options shared by the data-set benchmarks."""
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument(
        "--oversampling",
        type=float,
        default=None,
        help="transformer accuracy setting (default: the transformer's own)",
    )
    parser.add_argument("--tail-tolerance", type=float, default=None)
    parser.add_argument(
        "--max-order", type=int, default=None, help="1: first-order coefficients only"
    )
    parser.add_argument(
        "--J", type=int, default=None, help="largest scale index (default: 2)"
    )
    parser.add_argument(
        "--L", type=int, default=None, help="largest harmonic degree (default: 3)"
    )
    parser.add_argument(
        "--sigma", type=float, default=None, help="atom width in Å (default: 0.2262)"
    )
    parser.add_argument(
        "--exclude",
        default=None,
        metavar="REGEX",
        help="drop the columns whose feature names match REGEX (re.search), e.g. "
        "'S2_j\\d_j[34]' keeps the second order of j <= 2 only",
    )
    parser.add_argument(
        "--append-sigma",
        type=float,
        default=None,
        metavar="SIGMA",
        help="append the columns of the J = 2 transform at atom width SIGMA (the "
        "other settings the same), for the models on two atom widths "
        "(ensemble-2sigma, log-2sigma-per-atom)",
    )
    parser.add_argument(
        "--features-only", action="store_true", help="compute and cache, then stop"
    )


def transform_params(args):
    """``SolidHarmonicScattering`` parameters from :func:`add_transform_arguments`."""
    params = {"n_jobs": args.n_jobs}
    for name in ("oversampling", "tail_tolerance", "max_order", "J", "L", "sigma"):
        if getattr(args, name) is not None:
            params[name] = getattr(args, name)
    return params


def cached_features(name, X, chunk_size=250, verbose=True, **params):
    """Features of the packed molecules ``X`` for ``SolidHarmonicScattering(**params)``.

    Parameters
    ----------
    name : str
        Data set name, for the cache folder.
    X : ndarray of shape (n_molecules, max_atoms, 4)
    chunk_size : int
        Molecules per saved chunk.
    verbose : bool
        Print progress (molecules done, rate).
    **params
        Transformer parameters (those of :data:`IGNORED_PARAMS` do not enter the
        key).

    Returns
    -------
    features : ndarray of shape (n_molecules, n_features)
    feature_names : ndarray of str
    """
    transform = SolidHarmonicScattering(**params)
    # Parameters that change how, not what, is computed stay out of the key.
    key_params = {
        k: v for k, v in transform.get_params().items() if k not in IGNORED_PARAMS
    }
    folder = CACHE / f"{name}-{_key(key_params, X)}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "params.json").write_text(json.dumps(key_params, default=str))
    chunks = []
    start = time.perf_counter()
    computed = 0
    for first in range(0, len(X), chunk_size):
        path = folder / f"{first:06d}.npy"
        if not path.exists():
            values = transform.fit_transform(X[first : first + chunk_size])
            np.save(path.with_suffix(".tmp.npy"), values)
            path.with_suffix(".tmp.npy").rename(path)
            computed += len(values)
            if verbose:
                rate = computed / (time.perf_counter() - start)
                print(
                    f"{name}: {first + len(values)}/{len(X)} molecules "
                    f"({rate:.2f} mol/s)",
                    flush=True,
                )
        chunks.append(np.load(path))
    transform.fit(X[:1])
    return np.concatenate(chunks), transform.get_feature_names_out()


def kept_columns(names, exclude):
    """Mask of the feature ``names`` that the regex ``exclude`` does not match.

    ``exclude=None`` keeps every column.
    """
    return np.array(
        [exclude is None or re.search(exclude, str(n)) is None for n in names]
    )


def dataset_features(name, archive, args):
    """An archive's arrays and the cached features of its molecules (``Z``, ``R``).

    Parameters
    ----------
    name : str
        Data set name, for the cache folder.
    archive : path-like
        ``.npz`` file with zero-padded ``Z`` and ``R`` (as in ``../shared/data``).
    args : argparse.Namespace
        Parsed :func:`add_transform_arguments` options.

    Returns
    -------
    data : NpzFile
    features : ndarray of shape (n_molecules, n_features)
    """
    data = np.load(archive)
    params = transform_params(args)
    X = pack_molecules(data["Z"], data["R"])
    features, names = cached_features(name, X, **params)
    if args.exclude:
        kept = kept_columns(names, args.exclude)
        features = features[:, kept]
        print(f"--exclude {args.exclude!r}: kept {kept.sum()} of {kept.size} columns")
    if args.append_sigma is not None:
        second = {**params, "sigma": args.append_sigma, "J": 2}
        appended, _ = cached_features(name, X, **second)
        features = np.hstack([features, appended])
        print(f"--append-sigma: {appended.shape[1]} columns of {second}")
    print(f"features: {features.shape[1]} columns, parameters {params}", flush=True)
    return data, features
