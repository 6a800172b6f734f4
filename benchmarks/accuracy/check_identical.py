"""Are the coefficients of two source trees bit-identical on the shipped samples?

A pure reorganisation of the code must not change a single bit of the output. This
computes, in the source tree given, ``SolidHarmonicScattering`` on the shipped QM7
(500) and QM9 (200) samples for three settings (the default, on every fifth molecule
and the largest; a coarse float32 setting with other scales and a mapping channel,
and a closed-form ``S0`` and first-order setting computed in padded batches, on every
molecule) and ``atom_fields`` for two settings, and saves them; ``--compare`` then checks two such files for exact equality.

Usage::

    git worktree add /tmp/baseline <revision>
    python -m benchmarks.accuracy.check_identical --tree /tmp/baseline --out /tmp/before.npz
    python -m benchmarks.accuracy.check_identical --tree . --out /tmp/after.npz
    python -m benchmarks.accuracy.check_identical --compare /tmp/before.npz /tmp/after.npz

It takes about 15 minutes on one core.
"""

import argparse
import subprocess
import sys

import numpy as np

#: The transformer settings compared, by name.
SETTINGS = {
    "default": {"every": 5},
    "coarse_float32": {
        "J": 3,
        "L": 2,
        "sigma_0": 0.3,
        "oversampling": 2.0,
        "tail_tolerance": 1e-4,
        "dtype": "float32",
        "channels": [
            "valence",
            ("mapped", {1: 0.5, 6: 4.0, 7: 5.0, 8: 6.0, 9: 7.0, 16: 6.0}),
        ],
    },
    "closed_form_batched": {
        "max_order": 1,
        "Q": (1.0, 2.0),
        "L": 2,
        "batch_size": 4,
        "oversampling": 3.0,
    },
}

#: ``atom_fields`` settings compared, by name.
FIELD_SETTINGS = {"fields_default": {}, "fields_wide": {"J": 3, "L": 4, "sigma": 0.4}}

WORKER = """
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import skscatharm
from skscatharm import SolidHarmonicScattering, atom_fields
from skscatharm.datasets import load_qm7_sample, load_qm9_sample
settings, field_settings = json.loads(sys.argv[3]), json.loads(sys.argv[4])
print("computing with", skscatharm.__file__, flush=True)
results = {}
for sample, loader in (("qm7", load_qm7_sample), ("qm9", load_qm9_sample)):
    X = loader().data
    n_atoms = (X[:, :, 0] > 0).sum(axis=1)
    for name, params in settings.items():
        # Every ``every``-th molecule and the largest (all of them when 1).
        every = params.pop("every", 1)
        rows = np.union1d(np.arange(0, len(X), every), [np.argmax(n_atoms)])
        if "channels" in params:
            params["channels"] = [
                c if isinstance(c, str) else (c[0], {int(k): v for k, v in c[1].items()})
                for c in params["channels"]
            ]
        transform = SolidHarmonicScattering(backend="numpy", **params)
        results[f"{sample}_{name}"] = transform.fit_transform(X[rows])
        print(sample, name, "done", flush=True)
    for name, params in field_settings.items():
        results[f"{sample}_{name}"] = atom_fields(X, **params).fields
np.savez(sys.argv[2], **results)
"""


def compute(tree, out):
    """Run the worker in ``tree`` (its own interpreter) and save to ``out``."""
    import json

    subprocess.run(
        [
            sys.executable,
            "-c",
            WORKER,
            tree,
            out,
            json.dumps(SETTINGS),
            json.dumps(FIELD_SETTINGS),
        ],
        check=True,
    )


def compare(before, after):
    """Print one line per array; return True when every array is bit-identical."""
    a, b = np.load(before), np.load(after)
    if sorted(a.files) != sorted(b.files):
        print(f"different arrays: {sorted(a.files)} against {sorted(b.files)}")
        return False
    identical = True
    for name in sorted(a.files):
        same = a[name].shape == b[name].shape and np.array_equal(a[name], b[name])
        identical &= same
        detail = "bit-identical"
        if not same and a[name].shape == b[name].shape:
            scale = np.maximum(np.abs(a[name]), np.abs(b[name]))
            relative = np.abs(a[name] - b[name]) / np.where(scale > 0, scale, 1)
            detail = f"DIFFERENT (largest relative difference {relative.max():.1e})"
        elif not same:
            detail = "DIFFERENT (shapes)"
        print(f"{name:32s} {str(a[name].shape):14s} {detail}")
    return identical


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", help="source tree to compute with")
    parser.add_argument("--out", help="where to save its coefficients (.npz)")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        sys.exit(0 if compare(*args.compare) else 1)
    if not (args.tree and args.out):
        parser.error("give --tree and --out, or --compare")
    compute(args.tree, args.out)


if __name__ == "__main__":
    main()
