"""Every gallery example runs to the end on a few molecules and saves its figures.

Each ``examples/plot_*.py`` runs as a script in its own interpreter, with the
non-interactive matplotlib backend (a machine without a screen) and the sample
loaders cut to their first few dozen molecules by ``doc/reduced_gallery.py``, as a
quick documentation build runs it; the examples themselves hold no switch for it.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

ROOT = Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))

#: Runs the example named by its first argument with the reduced sample loaders.
RUN_REDUCED = (
    "import runpy, sys; "
    f"sys.path.insert(0, {str(ROOT / 'doc')!r}); "
    "import reduced_gallery; "
    "reduced_gallery.reduce_sample_loaders(); "
    "runpy.run_path(sys.argv[1], run_name='__main__')"
)


def test_examples_are_found():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_code_has_no_reduced_mode_switch(example):
    # Readers copy the examples' code: the reduced runs come from outside it.
    assert "SKSCATHARM_EXAMPLES_QUICK" not in example.read_text()


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_runs_and_saves_its_figures(example, tmp_path):
    # One BLAS thread: the featurization already uses every core (n_jobs=-1), and
    # threads that outnumber free cores slow the small regressions down many times.
    environment = dict(
        os.environ,
        MPLBACKEND="Agg",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    result = subprocess.run(
        [sys.executable, "-c", RUN_REDUCED, str(example)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert list(tmp_path.glob("*.png")), "the example saved no figure"
