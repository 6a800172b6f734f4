"""The Python code shown in README.rst and the user guide runs, on a few molecules.

Each document's ``.. code-block:: python`` blocks run in order in one namespace, as
a reader would paste them, with ``load_qm7_sample`` giving 8 small molecules of the
sample's 500 so that the featurizations take seconds. A block that uses a renamed or
removed parameter, a missing import or a name no earlier block defines fails here.
"""

import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import skscatharm.datasets

ROOT = Path(__file__).parents[1]
DOCUMENTS = ["README.rst", "doc/user_guide.rst", "doc/scaling_out.rst"]

#: What a document's code needs beyond the test extra, by document.
NEEDS = {
    "doc/scaling_out.rst": ["distributed", "dask.bag", "dask.array", "zarr", "ase"]
}

#: A ``.. code-block:: python`` directive, a blank line, then its indented lines.
CODE_BLOCK = re.compile(r"^\.\. code-block:: python\n\n((?:(?: {4}.*)?\n)+)", re.M)


def code_blocks(path):
    """The dedented code of every Python code block of a reStructuredText file."""
    return [textwrap.dedent(block) for block in CODE_BLOCK.findall(path.read_text())]


def test_blocks_are_found():
    # The pattern must keep matching the documents' blocks (or this test is empty).
    counts = {name: len(code_blocks(ROOT / name)) for name in DOCUMENTS}
    assert counts["README.rst"] >= 1 and counts["doc/user_guide.rst"] >= 5, counts


@pytest.fixture
def few_molecules(monkeypatch, tmp_path):
    X, y = skscatharm.datasets.load_qm7_sample(return_X_y=True)
    # The first 7 molecules (3 to 5 heavy atoms) and the smallest one with sulfur:
    # every element of the sample, and enough training molecules for the 5-fold
    # searches of the documents.
    n_atoms = (X[:, :, 0] > 0).sum(axis=1)
    with_sulfur = np.flatnonzero(np.any(X[:, :, 0] == 16, axis=1))
    few = np.r_[0:7, with_sulfur[np.argmin(n_atoms[with_sulfur])]]
    assert set(np.unique(X[few, :, 0])) == set(np.unique(X[:, :, 0]))

    def load_few(return_X_y=False):
        if not return_X_y:
            raise AssertionError("the documents call load_qm7_sample(return_X_y=True)")
        return X[few].copy(), y[few].copy()

    monkeypatch.setattr(skscatharm.datasets, "load_qm7_sample", load_few)
    # Files a block writes (a memory= cache folder) go to a temporary folder.
    monkeypatch.chdir(tmp_path)
    return len(few)


@pytest.mark.parametrize(
    "document",
    [
        # Starts a Dask cluster of two worker processes: half a minute.
        pytest.param(document, marks=pytest.mark.slow)
        if document in NEEDS
        else document
        for document in DOCUMENTS
    ],
)
def test_code_blocks_run_in_order(document, few_molecules):
    for module in NEEDS.get(document, []):
        pytest.importorskip(module)
    namespace = {}
    # One BLAS thread, as in tests/test_examples.py: the featurization uses every core.
    with threadpool_limits(1):
        for number, block in enumerate(code_blocks(ROOT / document)):
            exec(compile(block, f"{document} block {number}", "exec"), namespace)
    # Every document fits a model on the molecules it loaded.
    assert len(namespace["X"]) == few_molecules
    assert hasattr(namespace["model"], "predict")
