"""No coefficient or prediction is ever NaN or inf (issue 22, item 3).

An input that would make one gets a ValueError that names the molecule (for the
transform) or the scale of the features or target (for the regressors), never a
NumPy warning beside a wrong number. The regressors that can fit such data exactly,
by scaling it internally by a power of two, do so.
"""

import numpy as np
import pytest

from skscatharm import SolidHarmonicScattering, atom_fields

WATER = (np.array([8, 1, 1]), np.array([[0.0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]]))
METHANE = (
    np.array([6, 1, 1, 1, 1]),
    np.array(
        [
            [0, 0, 0],
            [1.09, 0, 0],
            [-0.36, 1.03, 0],
            [-0.36, -0.5, 0.9],
            [-0.36, -0.5, -0.9],
        ]
    ),
)
#: Channel weights under which only oxygen overflows.
HUGE_O = {1: 1.0, 6: 1.0, 8: 1e200}


def _scattering(**params):
    return SolidHarmonicScattering(
        sigma=0.5, J=1, L=1, backend="numpy", oversampling=2.0, **params
    )


@pytest.mark.parametrize(
    "params, cause",
    [
        ({"Q": (1000.0,)}, r"powers q up to 1000"),
        ({"Q": (1.0, 2.0), "channels": ["full", HUGE_O]}, r"weights up to 1e\+200"),
        # S0 of powers 1 and 2 only is computed in closed form, without a grid.
        ({"Q": (1.0, 2.0), "max_order": 0, "channels": [HUGE_O]}, r"up to 1e\+200"),
        (
            {"Q": (1.0, 3.0), "dtype": "float32", "channels": [{1: 1, 6: 1, 8: 1e30}]},
            r"overflow float32",
        ),
    ],
)
def test_overflowing_coefficients_name_the_molecule(params, cause):
    # Methane comes first and has no oxygen: with large oxygen weights only water
    # (molecule 1) overflows; with Q=1000 both do and the first is named.
    first_bad = 0 if params["Q"] == (1000.0,) else 1
    with pytest.raises(ValueError, match=rf"molecule {first_bad}: .*not finite") as e:
        _scattering(**params).fit_transform([METHANE, WATER])
    assert e.match(cause)


def test_overflow_is_checked_before_the_cache_stores(tmp_path):
    scattering = _scattering(Q=(1.0, 2.0), channels=[HUGE_O], memory=str(tmp_path))
    for _ in range(2):  # the second run would read back an inf if one were stored
        with pytest.raises(ValueError, match="molecule 1: .*not finite"):
            scattering.fit_transform([METHANE, WATER])


def test_overflow_in_worker_processes_names_the_molecule():
    scattering = _scattering(Q=(1000.0,), n_jobs=2, batch_size=1)
    with pytest.raises(ValueError, match="molecule 0: .*not finite"):
        scattering.fit_transform([WATER, METHANE])


def test_atom_fields_overflow_names_the_molecule():
    with pytest.raises(ValueError, match=r"molecule 1: its fields are not finite"):
        atom_fields([METHANE, WATER], J=0, L=1, channels=[HUGE_O])
