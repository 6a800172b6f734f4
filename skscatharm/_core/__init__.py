"""The coefficient mathematics of doc/definition.rst, with no scikit-learn in it.

From the bottom up: ``harmonics`` (solid harmonics, ``c_l``), ``channels`` (weights
``w_c(Z)``), ``molecules`` (input adaptation), ``plan`` (scales, grids, margins,
column layout), ``backend`` (NumPy or CuPy), ``geometry`` (principal axes, padded
batches, grid origins), ``first_layer`` (the closed form, on grids and at atoms),
``integrals`` (``∫ |f|^q``), ``second_layer`` (pruned DFT and inverse FFT),
``scattering`` (``S0``, ``S1``, ``S2`` of a batch), ``budget`` (the bytes of a
batch's work arrays, counted before allocating), ``cache`` and ``progress``, and
``dispatch`` (cache look-ups, batches and processes). The estimators above it only
check parameters and call :func:`skscatharm._core.dispatch.scattering_coefficients`.
"""
