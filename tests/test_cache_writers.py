"""memory= with several writers: no process ever reads a torn or foreign entry.

Two processes share one folder, as the workers of a cluster or two runs started at
once do: they store and read the same entries at the same time.
"""

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np

import skscatharm
from skscatharm import SolidHarmonicScattering
from skscatharm._core import cache, dispatch

#: The NumPy backend, as in the worker scripts: under --strict-backend, "auto"
#: resolves to the GPU stand-in, whose entries have keys of their own.
CHEAP = dict(sigma=0.5, J=1, L=1, oversampling=2.0, backend="numpy")

#: Transforms the sample molecules with memory= and saves the result.
TRANSFORM = textwrap.dedent(
    """
    import sys
    import numpy as np
    from skscatharm import SolidHarmonicScattering
    from skscatharm.datasets import load_qm7_sample

    folder, output, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    X = load_qm7_sample(return_X_y=True)[0][:6]
    # Each process meets the molecules in its own order.
    order = np.random.default_rng(seed).permutation(len(X))
    transform = SolidHarmonicScattering(
        memory=folder, n_jobs=1, sigma=0.5, J=1, L=1, oversampling=2.0
    )
    values = transform.fit_transform(X[order])
    np.save(output, values[np.argsort(order)])
    """
)


def _run_at_once(script, argument_lists, timeout=120):
    """Start one Python process per argument list together; their standard outputs."""
    package_root = str(Path(skscatharm.__file__).parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [package_root, env.get("PYTHONPATH")])
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, *map(str, arguments)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for arguments in argument_lists
    ]
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=timeout)
        assert process.returncode == 0, err
        outputs.append(out)
    return outputs


def _entries(folder):
    return sorted(Path(folder).rglob("output.pkl"))


def test_a_reader_during_a_write_sees_the_whole_previous_entry(tmp_path, monkeypatch):
    import joblib.numpy_pickle

    plan = SolidHarmonicScattering(**CHEAP)._plan()
    positions, weights = np.zeros((1, 3)), np.ones((2, 1))
    old, new = (np.full(2 * plan.n_features_per_channel, value) for value in (1.0, 2.0))
    writer = cache.MoleculeCache(str(tmp_path), plan, np.float64)
    reader = cache.MoleculeCache(str(tmp_path), plan, np.float64)
    assert reader.lookup(positions, weights, 0) is None  # as a transform starts
    writer.store(positions, weights, old)
    np.testing.assert_array_equal(reader.lookup(positions, weights, 0), old)
    seen_mid_write = []
    dump = joblib.numpy_pickle.dump

    def dump_and_look(value, file, *args, **kwargs):
        # Another process reading the entry while this one writes it.
        if isinstance(value, np.ndarray):
            seen_mid_write.append(reader.lookup(positions, weights, 0))
        return dump(value, file, *args, **kwargs)

    monkeypatch.setattr(joblib.numpy_pickle, "dump", dump_and_look)
    writer.store(positions, weights, new)
    assert len(seen_mid_write) == 1
    np.testing.assert_array_equal(seen_mid_write[0], old)
    assert reader.rejected == []
    np.testing.assert_array_equal(reader.lookup(positions, weights, 0), new)
    # No temporary file is left over.
    assert [p.name for p in tmp_path.rglob("output.pkl*")] == ["output.pkl"]


def test_two_transforms_writing_one_folder_at_once_get_the_right_values(
    qm7, tmp_path, monkeypatch
):
    folder = tmp_path / "memory"
    outputs = [tmp_path / f"values_{seed}.npy" for seed in (1, 2)]
    _run_at_once(
        TRANSFORM,
        [(folder, output, seed) for seed, output in zip((1, 2), outputs, strict=True)],
    )
    X = qm7[0][:6]
    expected = SolidHarmonicScattering(**CHEAP).fit_transform(X)
    for output in outputs:
        np.testing.assert_array_equal(np.load(output), expected)
    # Every entry left in the folder is whole and right: all read back, silently,
    # none computed.
    assert len(_entries(folder)) == len(X)

    def refuse(*args, **kwargs):
        raise AssertionError("a stored molecule was computed again")

    monkeypatch.setattr(dispatch, "scatter_molecules", refuse)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = SolidHarmonicScattering(memory=str(folder), **CHEAP).transform(X)
    np.testing.assert_array_equal(values, expected)
