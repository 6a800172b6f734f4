"""Docstrings: every example runs, every public parameter is documented.

The examples of every module of the package run here, in the default test run, so
that an example shown in the API reference cannot go stale. The parameter check
reads the numpydoc ``Parameters`` section of every public estimator and function
and compares it with the signature, in both directions.
"""

import doctest
import importlib
import inspect
import pkgutil
import re

import pytest
from sklearn.base import BaseEstimator

import skscatharm
import skscatharm.datasets
import skscatharm.regression

#: Every module of the package, ``skscatharm.__main__`` included (its job runs only
#: under ``if __name__ == "__main__"``, so importing it runs nothing).
MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(skscatharm.__path__, "skscatharm.")
)

#: The namespaces whose ``__all__`` is the public API.
NAMESPACES = (skscatharm, skscatharm.regression, skscatharm.datasets)

OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def public_objects():
    """``(qualified name, object)`` of every public class and function, once each."""
    found = {}
    for namespace in NAMESPACES:
        for name in namespace.__all__:
            obj = getattr(namespace, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return sorted(found.items())


def examples_of(module_name):
    """The doctests of a module that have at least one example."""
    module = importlib.import_module(module_name)
    tests = doctest.DocTestFinder().find(module)
    return [test for test in tests if test.examples]


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name, tmp_path, monkeypatch):
    # Files an example writes (a memory= cache folder) go to a temporary folder.
    monkeypatch.chdir(tmp_path)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    failures = []
    for test in examples_of(module_name):
        runner.run(test, out=failures.append)
    assert not failures, "".join(failures)


@pytest.mark.parametrize("qualified_name, obj", public_objects())
def test_public_examples_are_collected(qualified_name, obj):
    # An example that the module walk above does not find (an object defined outside
    # the package's modules, a docstring built at run time) would run nowhere.
    if ">>>" not in (obj.__doc__ or ""):
        pytest.skip("no examples")
    collected = {test.name for test in examples_of(obj.__module__)}
    assert qualified_name in collected


#: A numpydoc section header: a title line underlined with dashes.
SECTION = re.compile(r"^(\S[^\n]*)\n-+\s*$", re.M)
#: A parameter line: ``name : type``, ``name1, name2 : type`` or a bare ``name``.
PARAMETER = re.compile(r"^(\*{0,2}\w+(?:\s*,\s*\*{0,2}\w+)*)\s*(?::.*)?$")


def documented_parameters(obj):
    """The names listed in the ``Parameters`` section of an object's docstring."""
    doc = inspect.getdoc(obj) or ""
    headers = list(SECTION.finditer(doc))
    for header, following in zip(headers, headers[1:] + [None], strict=True):
        if header.group(1).strip() == "Parameters":
            end = following.start() if following else len(doc)
            body = doc[header.end() : end]
            break
    else:
        return []
    names = []
    for line in body.splitlines():
        # Descriptions are indented; parameter lines start at the margin.
        if line and not line[0].isspace() and (match := PARAMETER.match(line)):
            names += [name.strip().lstrip("*") for name in match.group(1).split(",")]
    return names


def signature_parameters(obj):
    """The parameters a user passes: ``__init__``'s for a class, without ``self``."""
    function = obj.__init__ if inspect.isclass(obj) else obj
    return [name for name in inspect.signature(function).parameters if name != "self"]


ESTIMATORS = [
    (name, obj)
    for name, obj in public_objects()
    if inspect.isclass(obj) and issubclass(obj, BaseEstimator)
]
FUNCTIONS = [(name, obj) for name, obj in public_objects() if inspect.isfunction(obj)]


def test_every_public_estimator_is_checked():
    # The lists below must not come out empty (a renamed namespace, a broken filter).
    names = {name.rsplit(".", 1)[1] for name, _ in ESTIMATORS}
    assert {"SolidHarmonicScattering", "AtomKernelRidgeCV", "BilinearRegressor"} <= (
        names
    )


@pytest.mark.parametrize("qualified_name, obj", ESTIMATORS + FUNCTIONS)
def test_parameters_are_documented(qualified_name, obj):
    documented = documented_parameters(obj)
    expected = signature_parameters(obj)
    missing = [name for name in expected if name not in documented]
    stale = [name for name in documented if name not in expected]
    assert not missing, f"{qualified_name}: parameters not documented: {missing}"
    assert not stale, f"{qualified_name}: documented, not in the signature: {stale}"
