"""The blocked core evaluates a target once and copies it to every block only when all it
reads is the same in every sample: a history value drawn per sample is not, so each block
gets its own samples' values."""

from __future__ import annotations

import zlib

import numpy as np
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.engine import run_targets

PATH = "region.history.gdp.2020"


def _uniforms(seed: int, path: str, n: int) -> np.ndarray:
    """The stream by hand: PCG64(SeedSequence(seed, spawn_key=(crc32(path),))), the top 53
    bits of each 64-bit draw, shifted half a step."""
    bits = np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(path.encode()),)))
    k = (bits.random_raw(n) >> np.uint64(11)).astype(np.float64)
    return (k + 0.5) / 2.0**53


def test_a_drawn_history_value_differs_by_sample_across_blocks() -> None:
    """gdp is 100 in 2023 and 2024 (no growth, the same in every sample); gdp in 2020 is
    uniform on [80, 120]: the change since 2020 is 100 - (80 + 40 u_i) in sample i, in
    blocks of 2 samples as in one."""
    d = {
        "id": "h",
        "name": "h",
        "base_year": 2023,
        "end_year": 2024,
        "region": {
            "gdp": {"base": 100, "growth": 0.0},
            "history": {"gdp": {2020: {"dist": "uniform", "low": 80, "high": 120}}},
        },
        "clusters": {"a": {"name": "A", "output": {"base": 10}}},
        "targets": {
            "t": {
                "kind": "change_since",
                "label": "t",
                "metric": "gdp",
                "from_year": 2020,
                "year": 2024,
                "at_least": 0,
            }
        },
    }
    want = 100.0 - (80.0 + 40.0 * _uniforms(1, PATH, 4))
    assert len(set(np.round(want, 6))) == 4  # four different values
    sc = cs.Scenario.model_validate(d)
    for block in (2, 4):
        got = run_targets(sc, samples=4, seed=1, block=block, engine="numpy")["t"].value
        assert_allclose(got, want, rtol=0, atol=1e-12)
