"""Monte Carlo draws are chunk-invariant: samples a..b of a run are drawn by compiling
with ``offset=a``, so a run projected chunk by chunk equals the run in one pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

import clustersim as cs
from clustersim.compile import Compiled, ScenarioCompiler

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


ZHENJIANG = cs.load_scenario(
    Path(__file__).resolve().parents[2] / "scenarios" / "zhenjiang-2026.yaml"
)


def _arrays(comp: Compiled) -> list[np.ndarray]:
    """Every array of every op of a compiled model, in order (dataclass fields)."""
    import dataclasses

    out: list[np.ndarray] = []
    for op in comp.model.ops:
        for f in dataclasses.fields(op):
            v = getattr(op, f.name)
            items = v if isinstance(v, tuple) else (v,)
            for item in items:
                if isinstance(item, np.ndarray):
                    out.append(item)
                elif dataclasses.is_dataclass(item):
                    out += [
                        getattr(item, g.name)
                        for g in dataclasses.fields(item)
                        if isinstance(getattr(item, g.name), np.ndarray)
                    ]
    return out


@pytest.mark.parametrize("compiled", [False, True])
@settings(max_examples=20, deadline=None)
@given(
    first=st.integers(1, 1500),
    later=st.integers(1, 1500),
    gap=st.integers(0, 10**6),
    seed=st.integers(0, 2**63 - 1),
)
def test_a_compilers_later_chunks_equal_fresh_compiles(
    compiled: bool, first: int, later: int, gap: int, seed: int
) -> None:
    """A ScenarioCompiler's later chunks draw all their numbers' streams at once (seeded,
    advanced to the chunk's offset and filled in one call: compiled from 512 samples on,
    or NumPy's SeedSequence and advance); each equals compile_scenario of the same samples,
    whose numbers draw their streams one by one, array for array."""
    from clustersim.sampling import streams

    with pytest.MonkeyPatch.context() as mp:
        if compiled:
            pytest.importorskip("numba")
            from clustersim.accel import draws  # importing it installs the compiled streams

            assert streams._STREAMS is draws.fill_streams
        else:
            mp.setattr(streams, "_STREAMS", None)
        compiler = ScenarioCompiler(ZHENJIANG, seed=seed, draw=True)
        compiler.compile(samples=first)  # notes the streams
        offset = first + gap
        got = compiler.compile(samples=later, offset=offset)
        # the next chunk draws into the same buffer: nothing compiled may keep a view of it
        after = compiler.compile(samples=later, offset=offset + later)
    for comp, at in ((got, offset), (after, offset + later)):
        want = cs.compile_scenario(ZHENJIANG, samples=later, seed=seed, offset=at, draw=True)
        a, b = _arrays(comp), _arrays(want)
        assert len(a) == len(b) > 0
        for x, y in zip(a, b, strict=True):
            assert_array_equal(x, y)
