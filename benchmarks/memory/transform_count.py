"""The transform's counted memory per batch against the peak that NumPy's arrays reach.

For each setting, one batch of molecules from the shipped samples is computed on
the NumPy backend under tracemalloc (after a first run that fills the per-process
caches), and its traced peak is set beside the stage-by-stage count of
``skscatharm._core.budget`` that sizes GPU batches and guards against boxes too
large to grid. ``device`` is the count with the copies only a GPU makes.

Usage: python -m benchmarks.memory.transform_count
"""

import argparse
import tracemalloc

import numpy as np

from skscatharm import SolidHarmonicScattering
from skscatharm._core.backend import get_backend
from skscatharm._core.budget import stage_bytes
from skscatharm._core.channels import channel_weights, resolve_channels
from skscatharm._core.geometry import pad_batch, principal_axes_positions
from skscatharm._core.molecules import as_molecules
from skscatharm._core.scattering import scatter_batch
from skscatharm.datasets import load_qm7_sample, load_qm9_sample

CHEAP = dict(sigma=0.5, J=1, L=2, oversampling=2.0)


def by_atoms(X):
    """Rows of ``X`` from the most atoms to the fewest."""
    return X[np.argsort(-(X[:, :, 0] > 0).sum(1), kind="stable")]


def measure(X, dtype, params):
    transform = SolidHarmonicScattering(**params)
    plan = transform._plan()
    channels = resolve_channels(transform.channels)
    molecules = as_molecules(X)
    geometry = pad_batch(
        [principal_axes_positions(m.positions) for m in molecules],
        [channel_weights(channels, m.numbers, i) for i, m in enumerate(molecules)],
    )
    backend = get_backend("numpy", workers=1)
    dtype = np.dtype(dtype)
    scatter_batch(backend, plan, geometry, dtype)  # fills the caches
    tracemalloc.start()
    scatter_batch(backend, plan, geometry, dtype)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    shape = (
        (geometry.upper - geometry.lower).max(axis=0),
        geometry.positions.shape[1],
        len(channels),
        len(molecules),
        dtype.itemsize,
    )
    stages = stage_bytes(plan, *shape)
    device = max(stage_bytes(plan, *shape, device=True).values())
    return traced, stages, device


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    X7 = by_atoms(load_qm7_sample(return_X_y=True)[0])
    X9 = by_atoms(load_qm9_sample(return_X_y=True)[0])
    cases = [
        ("QM9 largest, default", X9[:1], "float64", {}),
        ("QM9 largest, oversampling 2", X9[:1], "float64", dict(oversampling=2.0)),
        ("QM9 largest, oversampling 2", X9[:1], "float32", dict(oversampling=2.0)),
        ("QM7 3 largest, oversampling 2", X7[:3], "float64", dict(oversampling=2.0)),
        ("QM7 3 largest, cheap", X7[:3], "float32", CHEAP),
        (
            "QM7 2, q=1.5, max_order 1",
            X7[3:5],
            "float64",
            dict(CHEAP, Q=(1.5,), max_order=1),
        ),
        ("QM7 1, max_order 0", X7[5:6], "float64", dict(max_order=0)),
    ]
    print(
        "| case | dtype | traced peak (MiB) | count (MiB) | count / traced "
        "| leading stage | device count (MiB) |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, X, dtype, params in cases:
        traced, stages, device = measure(X, dtype, params)
        counted = max(stages.values())
        print(
            f"| {label} | {dtype} | {traced / 2**20:.1f} | {counted / 2**20:.1f} "
            f"| {counted / traced:.4f} | {max(stages, key=stages.get)} "
            f"| {device / 2**20:.1f} |"
        )


if __name__ == "__main__":
    main()
