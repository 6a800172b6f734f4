"""Reduced runs of the gallery examples: the shipped samples cut to a few molecules.

The examples load the whole QM7 and QM9 samples, as a reader would. The tests
(``tests/test_examples.py``) and a quick documentation build
(``SKSCATHARM_EXAMPLES_QUICK=1``, see ``conf.py``) run them on the first molecules of
each sample instead, by replacing the two loaders of :mod:`skscatharm.datasets` while
an example runs. The switch therefore lives here and not in the code a reader copies;
every figure of the examples says how many molecules it was made from.
"""

import functools
import os

import skscatharm.datasets

#: Molecules each loader returns in a reduced run.
N_MOLECULES = {"load_qm7_sample": 32, "load_qm9_sample": 30}

#: Environment variable that asks the documentation build for reduced runs.
QUICK_VARIABLE = "SKSCATHARM_EXAMPLES_QUICK"

_ORIGINAL_LOADERS = {name: getattr(skscatharm.datasets, name) for name in N_MOLECULES}


def _first_molecules(loader, n_molecules):
    """``loader`` returning only its first ``n_molecules`` molecules."""

    @functools.wraps(loader)
    def load_first(*args, **kwargs):
        if not kwargs.get("return_X_y", False):
            # The examples ask for (X, y); a Bunch has more arrays to cut.
            raise NotImplementedError("reduced runs support return_X_y=True only")
        X, y = loader(*args, **kwargs)
        return X[:n_molecules], y[:n_molecules]

    return load_first


def reduce_sample_loaders():
    """Make :mod:`skscatharm.datasets` load only the first molecules of each sample."""
    for name, loader in _ORIGINAL_LOADERS.items():
        setattr(skscatharm.datasets, name, _first_molecules(loader, N_MOLECULES[name]))


def restore_sample_loaders():
    """Undo :func:`reduce_sample_loaders`."""
    for name, loader in _ORIGINAL_LOADERS.items():
        setattr(skscatharm.datasets, name, loader)


def reset_sample_loaders(gallery_conf, fname, when):
    """sphinx-gallery ``reset_modules`` hook: reduced loaders while an example runs.

    They are set before each example when ``SKSCATHARM_EXAMPLES_QUICK=1`` and
    removed after it, so that the API pages document the real loaders.
    """
    if when == "before" and os.environ.get(QUICK_VARIABLE) == "1":
        reduce_sample_loaders()
    else:
        restore_sample_loaders()
