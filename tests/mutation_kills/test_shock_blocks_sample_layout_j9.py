"""Shocked region growth compiled in the "sample" rates layout (the numba engine's: each
sample's rates one contiguous row) for more samples than one block of 4096: every sample,
in the first block, at its edge and after it, has its own shocked rates.

gdp grows at 5% with shocks of sd 0.1 (no AR), seed 7, two projected years. Sample i's
innovations are z = ndtri(u[2 i]), ndtri(u[2 i + 1]), u the stream
``PCG64(SeedSequence(7, spawn_key=(crc32("region.gdp.growth.shocks"),)))`` (one 64-bit
draw a uniform: numpy's random(), plus half a step), so its rates are 1.05 exp(0.1 z) - 1,
computed here with numpy's Generator and scipy's ndtri, not the package's stream.

Kills compile.py:_Builder.growth at ``for a in range(0, n, 4096): rates[a : a + 4096] =
block(a, min(a + 4096, n)).T``:
- 9e7f79e859 (range step 4097): blocks start at 0, 4097, ...: sample 4096 is never
  written (np.empty);
- 10a34fde87 and cd7f3d1816 (4097 in the slice or in the block's end): a block of 4096
  rows into 4097 slots, or 4097 into 4096: a broadcast error.
"""

from __future__ import annotations

import zlib

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import ndtri

import clustersim as cs
from clustersim.compile import compile_scenario

SAMPLES = 5000


def test_shocked_rates_in_the_sample_layout_past_the_first_block() -> None:
    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 10.0, "growth": {"rate": 0.05, "shocks": {"sd": 0.1}}}},
        "clusters": {"a": {"name": "A", "output": {"base": 10, "growth": 0.05}}},
    }
    sc = cs.Scenario.model_validate(d)
    rates = np.asarray(
        compile_scenario(sc, samples=SAMPLES, seed=7, rates_layout="sample").model.op("gdp").rates
    )
    assert rates.shape == (SAMPLES, 3)
    key = zlib.crc32(b"region.gdp.growth.shocks")
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(7, spawn_key=(key,))))
    z = ndtri(gen.random(2 * SAMPLES) + 0.5 / 2.0**53).reshape(SAMPLES, 2)
    want = 1.05 * np.exp(0.1 * z) - 1.0
    assert_allclose(rates[:, 1:], want, rtol=1e-12, atol=1e-15)
    for i in (0, 4095, 4096, 4097, SAMPLES - 1):
        assert_allclose(rates[i, 1:], want[i], rtol=1e-12, atol=1e-15)
    # the year-first layout (the NumPy engine's) holds the same rates
    year = compile_scenario(sc, samples=SAMPLES, seed=7, rates_layout="year").model.op("gdp")
    assert_array_equal(np.asarray(year.rates), rates)
