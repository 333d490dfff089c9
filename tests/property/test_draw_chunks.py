"""Monte Carlo draws are chunk-invariant: samples a..b of a run are drawn by compiling
with ``offset=a``, so a run projected chunk by chunk equals the run in one pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

import clustersim as cs

EXAMPLE = cs.load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "example.yaml")


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 60), cut=st.integers(1, 59), seed=st.integers(0, 2**32))
def test_chunked_draws_equal_one_pass(n: int, cut: int, seed: int) -> None:
    cut = min(cut, n - 1)
    whole = cs.run(EXAMPLE, samples=n, seed=seed, required=False)
    parts = [
        cs.engine.run_compiled(
            cs.compile_scenario(EXAMPLE, samples=size, seed=seed, offset=start, draw=True),
            required=False,
        )
        for start, size in ((0, cut), (cut, n - cut))
    ]
    for name, arr in whole.series.items():
        assert_array_equal(np.concatenate([p.series[name] for p in parts]), arr)
    for t in whole.targets:
        assert_array_equal(np.concatenate([p.target(t.id).value for p in parts]), t.value)


def test_a_one_sample_chunk_at_an_offset_is_drawn() -> None:
    """A chunk of one sample that is not the first is a draw, not the central value."""
    whole = cs.compile_scenario(EXAMPLE, samples=5, seed=3)
    last = cs.compile_scenario(EXAMPLE, samples=1, seed=3, offset=4)
    a = whole.model.op("gdp").rates  # type: ignore[union-attr]
    b = last.model.op("gdp").rates  # type: ignore[union-attr]
    assert_array_equal(a[4:5], b)
