"""Sphinx configuration: numpydoc API reference and a sphinx-gallery of examples.

Build with ``sphinx-build -W --keep-going -b html doc doc/_build/html``; add
``-D plot_gallery=0`` to skip running the examples (CI does: ``tests/test_examples.py``
runs them). Set ``SKSCATHARM_EXAMPLES_QUICK=1`` to run them on the first few dozen
molecules of each sample (``reduced_gallery.py``; the examples' code has no switch).
Links to the Python, NumPy and scikit-learn documentation (intersphinx) need the
network and are only made when ``SKSCATHARM_DOCS_INTERSPHINX=1``, so that an
offline build has no warning to fail on.
"""

import os
import re
import sys
from pathlib import Path

from sphinx.util import logging

import skscatharm

logger = logging.getLogger(__name__)

# reduced_gallery.py, next to this file, is named by sphinx_gallery_conf below.
sys.path.insert(0, str(Path(__file__).parent))

project = "skscatharm"
author = "skscatharm developers"
copyright = "skscatharm developers"
release = skscatharm.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build"]

autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# The regressors' docstrings use scikit-learn's glossary (:term:`fit`), which only
# intersphinx can resolve: offline, those references stay plain text.
suppress_warnings = ["ref.term"]
if os.environ.get("SKSCATHARM_DOCS_INTERSPHINX") == "1":
    suppress_warnings = []
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
    }

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("skscatharm",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skscatharm": None},
    # Before each example: reset matplotlib, and cut the sample loaders to a few
    # molecules when SKSCATHARM_EXAMPLES_QUICK=1; after it: restore the loaders.
    "reset_modules": ("matplotlib", "reduced_gallery.reset_sample_loaders"),
    "reset_modules_order": "both",
}

html_theme = "pydata_sphinx_theme"
html_title = f"skscatharm {release}"
html_theme_options = {"navigation_with_keys": False}
html_static_path = ["_static"]
html_css_files = ["custom.css"]


def _escape_shape_attributes(app, what, name, obj, options, lines):
    """Escape fitted-attribute names in ``of shape (...)`` types, e.g. ``n_features_out_``.

    reST reads a word ending in ``_`` as a link target; inside a shape tuple it is
    the name of a fitted attribute.
    """
    pattern = re.compile(r"of shape \(([^)`]*)\)")

    def escape(match):
        inner = re.sub(r"(\w)_(?=[,\s]|$)", r"\1\\_", match.group(1))
        return f"of shape ({inner})"

    lines[:] = [pattern.sub(escape, line) for line in lines]


def _check_api_page(app):
    """Warn (an error under ``-W``) about a public object missing from ``api.rst``."""
    import skscatharm.datasets
    import skscatharm.regression

    text = (Path(app.srcdir) / "api.rst").read_text()
    listed = set(re.findall(r"^\s+([\w.]+)\s*$", text, flags=re.MULTILINE))
    public = {name for name in skscatharm.__all__ if not name.startswith("_")}
    public |= {f"datasets.{name}" for name in skscatharm.datasets.__all__}
    public |= set(skscatharm.regression.__all__)  # listed from the top level
    for name in sorted(public - listed):
        logger.warning("api.rst does not list the public object %r", name)


def setup(app):
    """Run after numpydoc has turned the docstrings into reST."""
    app.connect("autodoc-process-docstring", _escape_shape_attributes, priority=600)
    app.connect("builder-inited", _check_api_page)
