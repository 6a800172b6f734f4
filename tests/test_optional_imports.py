"""Optional dependencies are imported only when used: Dask is an extra."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import skscatharm

#: Imports the package and its command, runs the transform and an atom model on
#: two workers, and prints the optional modules then loaded.
SCRIPT = textwrap.dedent(
    """
    import sys
    import joblib
    import skscatharm
    import skscatharm.cli
    from skscatharm import AtomKernelRidge, SolidHarmonicScattering
    from skscatharm.datasets import load_qm7_sample

    X, y = load_qm7_sample(return_X_y=True)
    # Through joblib's Parallel, on threads (worker processes would take seconds
    # to start, and would test the same imports).
    with joblib.parallel_config(backend="threading", n_jobs=2):
        SolidHarmonicScattering(J=0, L=0, oversampling=2.0).fit_transform(X[:4])
        AtomKernelRidge(J=0, L=0).fit(X[:8], y[:8]).predict(X[:2])
    loaded = {name.split(".")[0] for name in sys.modules}
    print(" ".join(sorted(loaded & {"dask", "distributed"})))
    """
)


def test_the_package_and_its_parallel_loops_import_no_dask():
    env = dict(os.environ)
    package_root = str(Path(skscatharm.__file__).parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [package_root, env.get("PYTHONPATH")])
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
