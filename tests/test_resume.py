"""An interrupted transform with ``memory=`` resumes where it stopped."""

import numpy as np
import pytest

from skscatharm import SolidHarmonicScattering
from skscatharm._core import dispatch

PARAMS = dict(J=1, L=1, Q=(1.0, 2.0), oversampling=2.0, n_jobs=1)


class Interrupted(Exception):
    pass


def test_batches_done_before_an_interruption_are_not_recomputed(
    monkeypatch, tmp_path, qm7
):
    X = qm7[0][:5]
    original = dispatch.scatter_batch
    calls = []

    def stop_after_two(backend, plan, geometry, dtype):
        if len(calls) == 2:
            raise Interrupted  # as a Ctrl-C or a killed job would
        calls.append(len(geometry.positions))
        return original(backend, plan, geometry, dtype)

    monkeypatch.setattr(dispatch, "scatter_batch", stop_after_two)
    transform = SolidHarmonicScattering(memory=str(tmp_path), **PARAMS)
    with pytest.raises(Interrupted):
        transform.fit_transform(X)

    computed = []

    def count(backend, plan, geometry, dtype):
        computed.append(len(geometry.positions))
        return original(backend, plan, geometry, dtype)

    monkeypatch.setattr(dispatch, "scatter_batch", count)
    resumed = transform.fit_transform(X)
    assert sum(computed) == len(X) - 2  # one molecule per batch on the CPU
    fresh = SolidHarmonicScattering(**PARAMS).fit_transform(X)
    np.testing.assert_array_equal(resumed, fresh)
