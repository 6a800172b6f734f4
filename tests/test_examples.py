"""Every gallery example runs to the end in its quick mode.

Each ``examples/plot_*.py`` runs in its own interpreter with
``SKSCATHARM_EXAMPLES_QUICK=1`` (a few dozen molecules, ``oversampling=2``) and the
non-interactive matplotlib backend, as the documentation build would run it.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))


def test_examples_are_found():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_runs_in_quick_mode(example, tmp_path):
    # One BLAS thread: the featurization already uses every core (n_jobs=-1), and
    # threads that outnumber free cores slow the small regressions down many times.
    environment = dict(
        os.environ,
        SKSCATHARM_EXAMPLES_QUICK="1",
        MPLBACKEND="Agg",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    result = subprocess.run(
        [sys.executable, str(example)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
