"""The ``skscatharm`` command: featurize a molecule file, fit and predict with a saved
pipeline.

``skscatharm featurize molecules.extxyz -o features.parquet`` writes the scattering
coefficients of every molecule of a file; ``skscatharm fit`` fits a pipeline saved
with :func:`joblib.dump` on the molecules and targets of a file, and ``skscatharm
predict`` writes a fitted pipeline's predictions. Molecules are read from any format
that ASE reads, or from a ``.npz`` archive with zero-padded ``Z`` (atomic numbers)
and ``R`` (positions, Å) arrays. Each command runs on this machine's cores
(``--n-jobs``) or on a Dask cluster (``--scheduler``), through joblib.

(``python -m skscatharm`` is another program, the package's demonstration run.)
"""

import argparse
import contextlib
import os
import shutil
import sys
from pathlib import Path

import joblib
import numpy as np

from ._transformer import SolidHarmonicScattering
from ._version import __version__

#: Output formats of ``featurize``, by file suffix.
FEATURE_FORMATS = (".npy", ".npz", ".parquet", ".zarr")

#: Output formats of ``predict``, by file suffix.
PREDICTION_FORMATS = (".npy", ".csv", ".txt")

#: Transformer parameters that ``featurize`` sets from options of its own.
_OWN_OPTIONS = {"n_jobs", "memory", "verbose"}


def main(argv=None):
    """Run the ``skscatharm`` command.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments (without the program name); None reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 2 on a usage or input error (reported on standard error).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        with _parallel_context(args.scheduler):
            args.run(args)
    except (ValueError, OSError, ImportError) as error:
        print(f"skscatharm {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


def _parser():
    parser = argparse.ArgumentParser(
        prog="skscatharm",
        description="Solid harmonic wavelet scattering of molecules: featurize a "
        "molecule file, or fit and predict with a pipeline saved with joblib.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    featurize = commands.add_parser(
        "featurize",
        help="write the scattering coefficients of the molecules of a file",
        description="Write the scattering coefficients of every molecule of a file "
        "(one row per molecule, in file order; columns named as "
        "SolidHarmonicScattering.get_feature_names_out).",
    )
    _add_input(featurize)
    featurize.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="output file: .npy, .npz (with the feature names), .parquet (needs "
        "pyarrow) or .zarr (needs zarr)",
    )
    featurize.add_argument(
        "--cache",
        type=Path,
        default=None,
        metavar="FOLDER",
        help="keep each molecule's coefficients in this folder as they are computed "
        "(the transformer's memory=): an interrupted run started again computes "
        "only the molecules not yet kept; the folder may be shared by several runs",
    )
    featurize.add_argument(
        "--no-progress", action="store_true", help="no progress bar (needs tqdm)"
    )
    for name, default in SolidHarmonicScattering().get_params().items():
        if name not in _OWN_OPTIONS:
            featurize.add_argument(
                f"--{name.replace('_', '-')}",
                dest=name,
                type=_value_parser(default),
                default=default,
                metavar="VALUE",
                help=f"the transformer's {name} (default: {_shown(default)})",
            )
    _add_parallel(featurize)
    featurize.set_defaults(run=_featurize)

    fit = commands.add_parser(
        "fit",
        help="fit a pipeline saved with joblib on the molecules of a file",
        description="Load an estimator saved with joblib.dump (a Pipeline whose "
        "first step takes molecules), fit it on the molecules and targets of a "
        "file, and save the fitted estimator with joblib.dump. Load only files "
        "you trust: they are pickles.",
    )
    fit.add_argument("estimator", type=Path, help="the estimator's joblib file")
    _add_input(fit)
    fit.add_argument(
        "--target",
        required=True,
        help="the per-molecule property to fit: an atoms.info key or calculator "
        "result of an ASE file (e.g. energy), or an array of a .npz file",
    )
    fit.add_argument(
        "-o", "--output", required=True, type=Path, help="the fitted estimator's file"
    )
    _add_parallel(fit)
    fit.set_defaults(run=_fit)

    predict = commands.add_parser(
        "predict",
        help="write a fitted pipeline's predictions for the molecules of a file",
        description="Load a fitted estimator saved with joblib.dump and write its "
        "predictions for the molecules of a file, in file order. Load only files "
        "you trust: they are pickles.",
    )
    predict.add_argument("estimator", type=Path, help="the fitted estimator's file")
    _add_input(predict)
    predict.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="output file: .npy, or .csv / .txt (one number per line)",
    )
    _add_parallel(predict)
    predict.set_defaults(run=_predict)
    return parser


def _add_input(parser):
    parser.add_argument(
        "input",
        type=Path,
        help="molecules: any file ASE reads (xyz, extxyz, sdf, ...), or a .npz "
        "with zero-padded Z (n_molecules, max_atoms) and R (n_molecules, "
        "max_atoms, 3) in Å",
    )
    parser.add_argument(
        "--format",
        default=None,
        help="ASE's name of the input format (default: guessed by ASE)",
    )


def _add_parallel(parser):
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="workers on this machine, joblib's convention (-1: all cores; "
        "default: 1, or every core of the cluster with --scheduler)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on the Dask cluster of this scheduler (e.g. tcp://host:8786) "
        "through joblib's Dask backend; needs skscatharm[dask]",
    )


def _value_parser(default):
    """How to read an option whose default is ``default`` (tuples: commas)."""

    def parse(text):
        if isinstance(default, tuple):
            return tuple(_scalar(item) for item in text.split(","))
        return _scalar(text)

    return parse


def _scalar(text):
    """``"none"`` as None, then an int, a float, or the text itself."""
    text = text.strip()
    if text.lower() == "none":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _shown(default):
    if isinstance(default, tuple):
        return ",".join(map(str, default))
    return str(default)


@contextlib.contextmanager
def _parallel_context(scheduler):
    """joblib's Dask backend on the cluster of ``scheduler``, or nothing."""
    if scheduler is None:
        yield
        return
    try:
        from distributed import Client
    except ImportError as error:
        raise ImportError(
            "--scheduler needs dask.distributed; install it with "
            '`pip install "skscatharm[dask]"`'
        ) from error
    with Client(scheduler), joblib.parallel_config(backend="dask"):
        yield


def _n_jobs_context(n_jobs):
    """``n_jobs`` for every estimator of a pipeline left at ``n_jobs=None``."""
    if n_jobs is None:
        return contextlib.nullcontext()
    return joblib.parallel_config(n_jobs=n_jobs)


def read_input(path, format=None, target=None):
    """The molecules (and targets) of a file, as ``featurize``, ``fit`` and
    ``predict`` read them.

    Parameters
    ----------
    path : path-like
        A ``.npz`` archive with ``Z`` and ``R`` (and ``target``), or any file ASE
        reads.
    format : str or None, default=None
        ASE's name of the format (not for ``.npz``).
    target : str or None, default=None
        Name of the per-molecule property to return.

    Returns
    -------
    X : list of (Z, R) tuples or ndarray of shape (n_molecules, max_atoms, 4)
    y : ndarray of shape (n_molecules,)
        Only when ``target`` is given.
    """
    path = Path(path)
    if path.suffix != ".npz":
        from .datasets import read_molecules

        return read_molecules(path, format=format, target=target)
    from ._core.molecules import pack_molecules

    with np.load(path, allow_pickle=False) as archive:
        missing = {"Z", "R"} - set(archive.files)
        if missing:
            raise ValueError(
                f"{path}: a .npz input needs arrays Z and R; it lacks "
                f"{sorted(missing)} (it has {sorted(archive.files)})"
            )
        X = pack_molecules(archive["Z"], archive["R"])
        if target is None:
            return X
        if target not in archive.files:
            raise ValueError(
                f"{path}: no array {target!r}; it has {sorted(archive.files)}"
            )
        y = np.asarray(archive[target], dtype=np.float64)
    if y.shape != (len(X),):
        raise ValueError(
            f"{path}: {target!r} has shape {y.shape}; a target needs one number "
            f"per molecule, ({len(X)},)"
        )
    return X, y


def write_features(path, features, names):
    """Write a features table by the suffix of ``path``, whole or not at all.

    The table is written under a temporary name beside ``path`` and renamed, so a
    run that stops leaves no partial output.

    Parameters
    ----------
    path : path-like
        ``.npy``, ``.npz``, ``.parquet`` or ``.zarr``.
    features : ndarray of shape (n_molecules, n_features)
    names : sequence of str
        The column names (kept by .npz, .parquet and .zarr).
    """
    path = Path(path)
    if path.suffix not in FEATURE_FORMATS:
        raise ValueError(
            f"{path}: unknown output format {path.suffix!r}; use one of "
            f"{', '.join(FEATURE_FORMATS)}"
        )
    names = [str(name) for name in names]
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial{path.suffix}")
    if path.suffix == ".npy":
        np.save(temporary, features)
    elif path.suffix == ".npz":
        np.savez(temporary, features=features, feature_names=np.array(names))
    elif path.suffix == ".parquet":
        _write_parquet(temporary, features, names)
    else:
        _write_zarr(temporary, features, names)
    if path.is_dir():  # a .zarr store is a folder; os.replace will not overwrite it
        shutil.rmtree(path)
    os.replace(temporary, path)


def _write_parquet(path, features, names):
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:
        raise ImportError(
            "writing .parquet needs pyarrow (`pip install pyarrow`)"
        ) from error
    table = pa.table({name: features[:, k] for k, name in enumerate(names)})
    pq.write_table(table, path)


def _write_zarr(path, features, names):
    try:
        import zarr
    except ImportError as error:
        raise ImportError("writing .zarr needs zarr (`pip install zarr`)") from error
    array = zarr.open_array(
        str(path), mode="w", shape=features.shape, dtype=features.dtype
    )
    array[:] = features
    array.attrs["feature_names"] = names


def _featurize(args):
    params = {
        name: getattr(args, name)
        for name in SolidHarmonicScattering().get_params()
        if name not in _OWN_OPTIONS
    }
    transformer = SolidHarmonicScattering(
        **params,
        n_jobs=args.n_jobs,
        memory=None if args.cache is None else str(args.cache),
        verbose=0 if args.no_progress else 1,
    )
    # Checked before the molecules are computed, not after.
    if args.output.suffix not in FEATURE_FORMATS:
        raise ValueError(
            f"{args.output}: unknown output format {args.output.suffix!r}; use one "
            f"of {', '.join(FEATURE_FORMATS)}"
        )
    X = read_input(args.input, args.format)
    features = transformer.fit_transform(X)
    write_features(args.output, features, transformer.get_feature_names_out())
    print(
        f"{args.output}: {features.shape[0]} molecules x {features.shape[1]} features",
        file=sys.stderr,
    )


def _fit(args):
    estimator = joblib.load(args.estimator)
    X, y = read_input(args.input, args.format, target=args.target)
    with _n_jobs_context(args.n_jobs):
        estimator.fit(X, y)
    joblib.dump(estimator, args.output)


def _predict(args):
    if args.output.suffix not in PREDICTION_FORMATS:
        raise ValueError(
            f"{args.output}: unknown output format {args.output.suffix!r}; use one "
            f"of {', '.join(PREDICTION_FORMATS)}"
        )
    estimator = joblib.load(args.estimator)
    X = read_input(args.input, args.format)
    with _n_jobs_context(args.n_jobs):
        predictions = np.asarray(estimator.predict(X))
    if args.output.suffix == ".npy":
        np.save(args.output, predictions)
    else:
        np.savetxt(args.output, predictions, delimiter=",")


if __name__ == "__main__":
    sys.exit(main())
