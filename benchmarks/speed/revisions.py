"""CPU time per molecule of this checkout against another revision, same molecules.

Each source tree runs in its own subprocess (one BLAS thread, the transformer on one
process) on the same QM9 and QM7 molecules, twice in alternation, keeping each
tree's best CPU time (``time.process_time``, which counts every thread of the
process and is less sensitive than wall time to other jobs on a shared machine).
It also reports the largest relative difference between the two trees' coefficients,
which a pure speed change keeps at rounding level.

Usage::

    git worktree add /tmp/baseline <revision>
    python -m benchmarks.speed.revisions --baseline /tmp/baseline --data ../shared/data
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

#: Run inside each subprocess: argv = source tree, data folder, output file, params.
WORKER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import skscatharm
from skscatharm import SolidHarmonicScattering, pack_molecules
data = sys.argv[2]
qm9 = np.load(data + "/qm9_subset20k.npz")
qm7 = np.load(data + "/qm7.npz")
X9 = pack_molecules(qm9["Z"], qm9["R"])
X7 = pack_molecules(qm7["Z"], qm7["R"])
chosen = np.random.default_rng(1).choice(len(X9), 8, replace=False)
X = np.concatenate([X9[chosen], np.pad(X7[[5410, 3666, 100]], ((0, 0), (0, 6), (0, 0)))])
transform = SolidHarmonicScattering(backend="numpy", **json.loads(sys.argv[4]))
transform.fit_transform(X[:2])  # warm up (imports, caches)
start = time.process_time()
values = transform.fit_transform(X)
np.save(sys.argv[3], values)
print(skscatharm.__file__, (time.process_time() - start) / len(X))
"""


def run(tree, data, params, output):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(tree), str(data), str(output), params],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    path, seconds = done.stdout.split()
    return path, float(seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="source tree")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--params", default='{"oversampling": 2.0, "tail_tolerance": 1e-4}'
    )
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[2]  # the repository root
    trees = {"baseline": args.baseline.resolve(), "this checkout": here}
    best = {name: np.inf for name in trees}
    with tempfile.TemporaryDirectory() as folder:
        outputs = {name: Path(folder) / f"{i}.npy" for i, name in enumerate(trees)}
        for _ in range(args.repeats):
            for name, tree in trees.items():
                path, seconds = run(tree, args.data, args.params, outputs[name])
                best[name] = min(best[name], seconds)
                print(f"{name} ({path}): {seconds:.3f} CPU s/molecule", flush=True)
        a, b = (np.load(outputs[name]) for name in trees)
    print(
        f"best: baseline {best['baseline']:.3f}, this checkout "
        f"{best['this checkout']:.3f} CPU s/molecule "
        f"({best['baseline'] / best['this checkout']:.2f}x); "
        f"largest relative difference {np.abs(b / a - 1).max():.1e}"
    )


if __name__ == "__main__":
    main()
