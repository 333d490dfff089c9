"""Shocked growth in a Monte Carlo run of more than 4096 samples (the shocks are drawn in
blocks of 4096 samples): every sample, in the first block and after it, has its own
shock, the next uniforms of its growth's stream, sample after sample.

gdp 10 in 2023 growing at 5% with shocks of sd 0.1 (no AR), two projected years, seed 7.
Sample i's innovation in 2024 is z = ndtri(u[2 i]), u the stream
``PCG64(SeedSequence(7, spawn_key=(crc32("region.gdp.growth.shocks"),)))``, one 64-bit draw
a uniform (numpy's random(), 53 bits, plus half a step). So gdp(2024) = 10 * 1.05 * exp(0.1 z)
(computed here with numpy's own Generator and scipy's ndtri, not the package's stream).
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy.special import ndtri

import clustersim as cs

SAMPLES = 5000


def test_samples_after_the_first_block_have_their_own_shocks() -> None:
    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 10.0, "growth": {"rate": 0.05, "shocks": {"sd": 0.1}}}},
        "clusters": {"a": {"name": "A", "output": {"base": 10, "growth": 0.05}}},
    }
    res = cs.run(cs.Scenario.model_validate(d), samples=SAMPLES, seed=7, required=False)
    gdp = res.series["gdp"]
    assert gdp.shape == (SAMPLES, 3)
    key = zlib.crc32(b"region.gdp.growth.shocks")
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(7, spawn_key=(key,))))
    u = gen.random(2 * SAMPLES) + 0.5 / 2.0**53
    z = ndtri(u[0::2])  # each sample's first projected year
    want = 10.0 * 1.05 * np.exp(0.1 * z)
    np.testing.assert_allclose(gdp[:, 1], want, rtol=1e-12)
    for i in (0, 4095, 4096, 4097, SAMPLES - 1):
        assert abs(gdp[i, 1] / want[i] - 1) < 1e-12
