"""Benchmarks of skscatharm, one folder per question.

Run each script from the repository root as a module, for example
``python -m benchmarks.qm7.atom_kernel --data ../shared/data``; ``README.md`` lists
them and ``RESULTS.md`` holds what they measured. Nothing here is part of the
installed package.
"""
