"""run_targets compiles its scenario's structure once per run, not once per chunk, and the
chunks give what compiling each chunk afresh gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import clustersim.compile as compile_mod
from clustersim.compile import compile_scenario
from clustersim.core.targets import Outcome
from clustersim.engine import run_targets
from clustersim.engines import get_engine
from clustersim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("chunk", [300, 1000])  # below and above the compiled streams' 512
def test_the_structure_is_compiled_once_and_chunks_equal_fresh_compiles(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    sc = load_scenario(ROOT / "scenarios" / "zhenjiang-2026.yaml")
    calls: list[int] = []
    metrics = compile_mod._compile_metrics
    one_by_one: list[tuple[str, int, int]] = []  # streams drawn one at a time
    stream = compile_mod.uniform_stream

    def counted(comp: Any, b: Any) -> None:
        calls.append(comp.model.samples)
        metrics(comp, b)

    def counted_stream(seed: int, key: Any, path: str, n: int, offset: int = 0) -> Any:
        one_by_one.append((path, n, offset))
        return stream(seed, key, path, n, offset)

    monkeypatch.setattr(compile_mod, "_compile_metrics", counted)
    monkeypatch.setattr(compile_mod, "uniform_stream", counted_stream)
    samples = 2 * chunk + 100
    got = run_targets(sc, samples=samples, seed=5, chunk=chunk, engine="numpy")
    assert calls == [chunk]
    # the first chunk draws its numbers' streams one by one and notes their paths; the later
    # chunks draw them all at once (uniform_streams); yearly shocks stay one by one
    numbers = {p for p, n, offset in one_by_one if offset == 0 and n == chunk}
    assert len(numbers) > 10
    assert not [c for c in one_by_one if c[0] in numbers and c[2] != 0]
    monkeypatch.setattr(compile_mod, "uniform_stream", stream)
    # by hand: each chunk compiled afresh at its offset, projected with the same engine
    from clustersim.engines import get_engine

    eng = get_engine("numpy")
    want: dict[str, list[Outcome]] = {}
    for start in (0, chunk, 2 * chunk):
        comp = compile_scenario(
            sc,
            samples=min(chunk, samples - start),
            seed=5,
            offset=start,
            draw=True,
            inverse_normal=eng.inverse_normal(),
            rates_layout=eng.rates_layout(),
        )
        outs = eng.evaluate(comp)
        for tid, o in outs.items():
            want.setdefault(tid, []).append(o)
    assert list(got) == list(want)
    for tid, parts in want.items():
        np.testing.assert_array_equal(got[tid].value, np.concatenate([o.value for o in parts]))
        np.testing.assert_array_equal(got[tid].met, np.concatenate([o.met for o in parts]))


def test_a_compilers_chunks_draw_their_streams_into_one_buffer_per_thread() -> None:
    """Later chunks of one size reuse the buffer their streams are drawn into (a fresh one
    of several MB a chunk is fresh pages); another size gets its own, and so does another
    thread (two threads compile chunks at once in run_targets), with the same numbers."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from clustersim.compile import ScenarioCompiler

    sc = load_scenario(ROOT / "scenarios" / "zhenjiang-2026.yaml")
    c = ScenarioCompiler(sc, seed=1, draw=True)
    here = threading.get_ident()
    c.compile(samples=600)  # notes the streams, draws them one by one
    assert "streams" not in c._scratch.get(here, {})
    c.compile(samples=600, offset=600)
    buf = c._scratch[here]["streams"]
    assert buf.shape[0] == 600 and buf.flags.f_contiguous
    mine = c.compile(samples=600, offset=1200)
    assert c._scratch[here]["streams"] is buf
    with ThreadPoolExecutor(1) as pool:
        theirs = pool.submit(lambda: c.compile(samples=600, offset=1200)).result()
    (other,) = (v for k, v in c._scratch.items() if k != here)
    assert other["streams"] is not buf and other["streams"].shape == buf.shape
    assert c._scratch[here]["streams"] is buf
    numpy_engine = get_engine("numpy")
    ours, others = numpy_engine.evaluate(mine), numpy_engine.evaluate(theirs)
    assert list(ours) == list(others) and len(ours) > 3
    for tid, o in ours.items():
        np.testing.assert_array_equal(others[tid].value, o.value)
    c.compile(samples=100, offset=1800)
    assert c._scratch[here]["streams"].shape[0] == 100
