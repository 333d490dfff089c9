"""Without the compiled drawer (numba absent, or clustersim.accel.draws not imported), a
parameter's uniforms come from NumPy's Generator: random()'s k / 2^53 shifted half a step
(2^-54), for a short stream and for one long enough that the drawer would be used."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from clustersim.sampling import streams


def _by_hand(seed: int, path: str, n: int) -> np.ndarray:
    ss = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(path.encode()),))
    raw = np.random.PCG64(ss).random_raw(n)  # one 64-bit draw per uniform
    return ((raw >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53


@pytest.mark.parametrize("n", [3, 600])
def test_numpy_draws_without_the_compiled_drawer(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    monkeypatch.setattr(streams, "_FILLER", None)
    monkeypatch.setattr(streams, "_STREAMS", None)
    assert_array_equal(
        streams.uniform_stream(7, (), "region.gdp.growth", n), _by_hand(7, "region.gdp.growth", n)
    )
