"""Channels named by an element's symbol: the density of that element's atoms alone."""

import pickle

import numpy as np
import pytest

from skscatharm import SolidHarmonicScattering, atom_fields
from skscatharm._core.channels import ELEMENT_SYMBOLS, resolve_channels

CHEAP = dict(J=1, L=2, Q=(1.0, 2.0), max_order=1, oversampling=2.0)


def indicator(element, elements=(1, 6, 7, 8, 9, 16)):
    """The same channel as a mapping ``Z -> 0 or 1``."""
    return {z: float(z == element) for z in elements}


def test_symbols_are_the_periodic_table():
    assert len(ELEMENT_SYMBOLS) == 119
    assert ELEMENT_SYMBOLS[1] == "H" and ELEMENT_SYMBOLS[6] == "C"
    assert ELEMENT_SYMBOLS[9] == "F" and ELEMENT_SYMBOLS[16] == "S"
    assert ELEMENT_SYMBOLS[26] == "Fe" and ELEMENT_SYMBOLS[118] == "Og"
    assert len(set(ELEMENT_SYMBOLS)) == 119


def test_a_symbol_is_the_indicator_of_its_element(molecules):
    X = [molecules[i] for i in range(3)]
    named = SolidHarmonicScattering(channels=("C", "H"), **CHEAP).fit_transform(X)
    mapped = SolidHarmonicScattering(
        channels=(("C", indicator(6)), ("H", indicator(1))), **CHEAP
    ).fit_transform(X)
    np.testing.assert_array_equal(named, mapped)
    fields = atom_fields(X, J=1, L=1, channels=("O", "full"))
    reference = atom_fields(X, J=1, L=1, channels=(indicator(8), "full"))
    np.testing.assert_array_equal(fields.fields, reference.fields)
    assert fields.feature_names[0] == "U1[O,j=0,l=0]"


def test_its_total_charge_counts_the_element_s_atoms(molecules):
    # S0 at q = 1 is the channel's total weight (closed form, doc/definition.rst §4).
    Z, R = molecules[0]
    transform = SolidHarmonicScattering(
        channels=("H", "C", "N", "O"), J=0, L=0, Q=(1.0,), max_order=0
    )
    totals = transform.fit_transform([(Z, R)])[0]
    expected = [np.sum(np.asarray(Z) == z) for z in (1, 6, 7, 8)]
    np.testing.assert_allclose(totals, expected, rtol=1e-12)


def test_an_absent_element_gives_zeros_not_nan(molecules):
    Z, R = molecules[0]
    assert 9 not in set(np.asarray(Z).tolist())
    coefficients = SolidHarmonicScattering(channels=("F",), **CHEAP).fit_transform(
        [(Z, R)]
    )
    assert np.all(coefficients == 0)


def test_unknown_symbol_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"unknown channel 'Xx'.*element symbols"):
        resolve_channels(("full", "Xx"))
    # Symbols are case-sensitive: "c" is not carbon.
    with pytest.raises(ValueError, match="unknown channel 'c'"):
        resolve_channels(("c",))


def test_element_channels_survive_pickling(molecules):
    X = [molecules[0]]
    transform = SolidHarmonicScattering(channels=("full", "N"), **CHEAP)
    before = transform.fit_transform(X)
    restored = pickle.loads(pickle.dumps(transform))
    np.testing.assert_array_equal(restored.transform(X), before)
    assert resolve_channels(("N",))[0].weights == resolve_channels(("N",))[0].weights


def test_the_forces_of_element_channels_are_exact(molecules):
    # The closed-form derivatives hold for any weights: central differences of the
    # element-resolved fields agree with them.
    Z, R = molecules[0]
    params = dict(sigma=0.3, sigma_0=0.25, J=1, L=2, channels=("C", "H"))
    (gradients,) = atom_fields([(Z, R)], return_gradients=True, **params).gradients
    step, columns = 1e-5, []
    for atom in range(len(Z)):
        for axis in range(3):
            shifted = []
            for sign in (1.0, -1.0):
                moved = np.array(R, dtype=float)
                moved[atom, axis] += sign * step
                shifted.append(atom_fields([(Z, moved)], **params).fields)
            columns.append((shifted[0] - shifted[1]) / (2 * step))
    numerical = np.stack(columns, axis=-1).reshape(gradients.shape)
    scale = np.abs(gradients).max(axis=(0, 2, 3), keepdims=True)
    assert np.all(scale > 0)
    assert (np.abs(gradients - numerical) / scale).max() < 1e-6
