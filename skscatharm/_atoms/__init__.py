"""The atom-centred models: a molecule's energy as a sum of atomic energies.

``fields`` (:func:`~skscatharm.atom_fields`, the first-order fields at each atom),
``descriptors`` (their scaled logarithms), ``kernels`` (Gaussian atom kernels summed
over same-element pairs, on threads), ``base`` (what the two models share: dressed
atoms, the ridge solve, predictions), ``ridge`` (:class:`~skscatharm.AtomKernelRidge`)
and ``ridge_cv`` (:class:`~skscatharm.AtomKernelRidgeCV`, width and ridge chosen by
cross-validation from one kernel per width).
"""
