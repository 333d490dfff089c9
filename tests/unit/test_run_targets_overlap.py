"""run_targets compiles the next chunk on a helper thread while this one is projected
(``overlap``): the same bits as one thread, errors in the same order, the caller's NumPy
error handling, and no thread left behind."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import clustersim.compile as compile_mod
from clustersim.core.targets import Outcome
from clustersim.engine import (
    OVERLAP_MIN,
    overlap_chunk,
    parallel_chunk,
    parallel_sizes,
    run_targets,
)
from clustersim.engines import ENGINES
from clustersim.errors import ScenarioError
from clustersim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
ENGINE_NAMES = [e for e in ("numpy", "numba") if e in ENGINES and ENGINES[e].available()]


@pytest.fixture(scope="module")
def zhenjiang() -> Any:
    return load_scenario(ROOT / "scenarios" / "zhenjiang-2026.yaml")


def _helpers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("clustersim-compile")]


@pytest.mark.parametrize(
    ("samples", "chunk", "want"),
    [
        (1_000_000, 65_536, 65_536),  # 16 chunks: as asked
        (262_144, 65_536, 65_536),  # exactly 4 chunks
        (100_000, 65_536, 25_000),  # 2 chunks -> 4 of 25,000
        (200_000, 65_536, 50_000),
        (20_000, 65_536, OVERLAP_MIN),  # 3 chunks of at least 8,192
        (5_000, 65_536, OVERLAP_MIN),  # one chunk either way
        (700, 300, 300),  # never more than asked
    ],
)
def test_overlap_chunk_sizes(samples: int, chunk: int, want: int) -> None:
    assert overlap_chunk(samples, chunk) == want


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_overlap_gives_the_bits_of_one_thread_and_of_any_chunking(
    zhenjiang: Any, engine: str
) -> None:
    kw: dict[str, Any] = {"samples": 20_000, "seed": 11, "engine": engine}
    one = run_targets(zhenjiang, overlap=False, **kw)  # one chunk of 20,000
    two = run_targets(zhenjiang, overlap=True, **kw)  # 3 chunks (8,192), helper thread
    small = run_targets(zhenjiang, overlap=True, chunk=3_000, **kw)  # 7 chunks
    assert list(one) == list(two) == list(small)
    for tid, o in one.items():
        for other in (two[tid], small[tid]):
            np.testing.assert_array_equal(other.value, o.value)
            np.testing.assert_array_equal(other.margin, o.margin)
            np.testing.assert_array_equal(other.met, o.met)
    assert not _helpers()


def test_the_next_chunk_is_compiled_while_the_sink_works(
    zhenjiang: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic: the sink of chunk 0 waits until chunk 1's compile has started on the
    helper thread (on one thread it would wait for ever, and fail at the timeout)."""
    started = threading.Event()
    threads: dict[int, str] = {}
    original = compile_mod.ScenarioCompiler.compile

    def spy(self: Any, **kw: Any) -> Any:
        threads[kw.get("offset", 0)] = threading.current_thread().name
        if kw.get("offset", 0) > 0:
            started.set()
        return original(self, **kw)

    monkeypatch.setattr(compile_mod.ScenarioCompiler, "compile", spy)
    waited: list[bool] = []

    def sink(start: int, outs: dict[str, Outcome]) -> None:
        if start == 0:
            waited.append(started.wait(timeout=30))

    run_targets(zhenjiang, samples=3_000, seed=2, chunk=1_000, engine="numpy", sink=sink)
    assert waited == [True]
    assert sorted(threads) == [0, 1_000, 2_000]
    assert all(name.startswith("clustersim-compile") for name in threads.values())
    threads.clear()
    run_targets(zhenjiang, samples=3_000, seed=2, chunk=1_000, engine="numpy", overlap=False)
    assert set(threads.values()) == {threading.current_thread().name}


def test_a_failing_chunk_raises_after_the_chunks_before_it(
    zhenjiang: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = compile_mod.ScenarioCompiler.compile

    def failing(self: Any, **kw: Any) -> Any:
        if kw.get("offset", 0) == 2_000:
            raise ScenarioError("chunk at 2000 cannot be compiled")
        return original(self, **kw)

    monkeypatch.setattr(compile_mod.ScenarioCompiler, "compile", failing)
    seen: list[int] = []
    with pytest.raises(ScenarioError, match="chunk at 2000"):
        run_targets(
            zhenjiang,
            samples=5_000,
            seed=2,
            chunk=1_000,
            engine="numpy",
            sink=lambda start, outs: seen.append(start),
        )
    assert seen == [0, 1_000]  # as on one thread: the chunks before, then the error
    assert not _helpers()  # the helper was shut down


def test_an_error_in_the_sink_stops_the_helper(zhenjiang: Any) -> None:
    def sink(start: int, outs: dict[str, Outcome]) -> None:
        if start == 1_000:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        run_targets(zhenjiang, samples=6_000, seed=2, chunk=1_000, engine="numpy", sink=sink)
    assert not _helpers()


def test_the_helper_uses_the_callers_numpy_error_handling(
    zhenjiang: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = compile_mod.ScenarioCompiler.compile
    seen: list[tuple[str, str]] = []

    def spy(self: Any, **kw: Any) -> Any:
        seen.append((threading.current_thread().name, np.geterr()["over"]))
        return original(self, **kw)

    monkeypatch.setattr(compile_mod.ScenarioCompiler, "compile", spy)
    with np.errstate(over="raise"):
        run_targets(zhenjiang, samples=2_000, seed=2, chunk=1_000, engine="numpy")
    assert [mode for _, mode in seen] == ["raise", "raise"]
    assert all(name.startswith("clustersim-compile") for name, _ in seen)


@pytest.mark.parametrize(("cores", "helper"), [(1, False), (2, True), (8, True)])
def test_the_default_overlaps_when_two_cores_are_usable(
    zhenjiang: Any, monkeypatch: pytest.MonkeyPatch, cores: int, helper: bool
) -> None:
    import clustersim.engine as engine_mod

    monkeypatch.setattr(engine_mod, "usable_cores", lambda: cores)
    original = compile_mod.ScenarioCompiler.compile
    names: set[str] = set()

    def spy(self: Any, **kw: Any) -> Any:
        names.add(threading.current_thread().name)
        return original(self, **kw)

    monkeypatch.setattr(compile_mod.ScenarioCompiler, "compile", spy)
    run_targets(zhenjiang, samples=2_000, seed=2, chunk=1_000, engine="numpy")
    assert any(n.startswith("clustersim-compile") for n in names) is helper
    assert (threading.current_thread().name in names) is not helper


def test_usable_cores_is_this_process_affinity() -> None:
    import os

    from clustersim.engine import usable_cores

    want = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable_cores() == want


# --- the numba engine: two threads each compile and evaluate whole chunks ----------------------

needs_numba = pytest.mark.skipif("numba" not in ENGINE_NAMES, reason="numba not installed")


@pytest.mark.parametrize(
    ("samples", "chunk", "want"),
    [
        (100_000, 65_536, 25_000),  # overlap_chunk's 4 chunks of 25,000: already even
        (1_000_000, 65_536, 62_500),  # 16 chunks (15 whole and 16,960) -> 16 of 62,500
        (20_000, 65_536, 10_000),  # 3 of 8,192 -> 2 of 10,000 (within 65,536)
        (300_000, 65_536, 50_000),  # 5 chunks -> 4 would be 75,000 > 65,536 -> 6 of 50,000
        (9_000, 65_536, 4_500),  # 2 chunks (8,192 and 808) -> 2 of 4,500
        (5_000, 65_536, OVERLAP_MIN),  # one chunk stays one
        (2_003, 250, 201),  # 9 of 250 -> 8 would be 251 > 250 -> 10 of 201 (the last 194)
    ],
)
def test_parallel_chunks_are_even_and_within_the_chunk(samples: int, chunk: int, want: int) -> None:
    got = parallel_chunk(samples, chunk, 2)
    assert got == want
    n = -(-samples // got)
    assert got <= chunk and (n == 1 or n % 2 == 0)


@pytest.mark.parametrize(
    ("samples", "chunk", "want"),
    [
        # 4 chunks: a - b = a / 4, 2a + 2b = 100,000 -> a = 200,000 / 7 = 28,571.4
        (100_000, 65_536, [28_571, 21_429] * 2),
        # 2 chunks: a - b = a / 2 -> a = 20,000 / 1.5 = 13,333.3, b = 6,667
        (20_000, 65_536, [13_333, 6_667]),
        # 16 chunks: b = a (1 - 1/16), 8a + 8b = 10^6 -> a = 10^6 / 15.5 = 64,516.1
        (1_000_000, 65_536, [64_516, 60_484] * 8),
        # 10 chunks of 2,000 at most: a = 20,000 / 9.5 = 2,105 -> capped at 2,000
        (20_000, 2_000, [2_000] * 10),
        (5_000, 65_536, [5_000]),  # one chunk stays one
    ],
)
def test_parallel_sizes_give_the_first_thread_a_compile_more(
    samples: int, chunk: int, want: list[int]
) -> None:
    got = parallel_sizes(samples, chunk, 2)
    assert got == want and sum(got) == samples and max(got) <= chunk


def _chunk_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("clustersim-chunk")]


@needs_numba
def test_numba_chunks_run_on_two_threads_and_the_sink_on_the_callers(
    zhenjiang: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: dict[int, str] = {}
    evaluated: dict[int, str] = {}
    sunk: list[tuple[int, str]] = []
    original = compile_mod.ScenarioCompiler.compile
    engine = type(ENGINES["numba"])
    evaluate = engine.evaluate

    def spy(self: Any, **kw: Any) -> Any:
        compiled[kw.get("offset", 0)] = threading.current_thread().name
        return original(self, **kw)

    def spy_eval(self: Any, comp: Any, **kw: Any) -> Any:
        evaluated[int(comp.model.samples)] = threading.current_thread().name
        return evaluate(self, comp, **kw)

    monkeypatch.setattr(compile_mod.ScenarioCompiler, "compile", spy)
    monkeypatch.setattr(engine, "evaluate", spy_eval)
    got: dict[str, list[np.ndarray]] = {}

    def sink(start: int, outs: dict[str, Outcome]) -> None:
        sunk.append((start, threading.current_thread().name))
        for tid, o in outs.items():
            got.setdefault(tid, []).append(o.value.copy())

    kw: dict[str, Any] = {"samples": 20_000, "seed": 5, "engine": "numba"}
    run_targets(zhenjiang, sink=sink, overlap=True, chunk=2_000, **kw)  # 10 chunks of 2,000
    me = threading.current_thread().name
    assert sunk == [(k * 2_000, me) for k in range(10)]
    assert sorted(compiled) == [k * 2_000 for k in range(10)]
    assert {n.rsplit("_", 1)[0] for n in compiled.values()} == {"clustersim-chunk"}
    assert len(set(compiled.values())) == 2  # both threads took chunks
    assert all(n.startswith("clustersim-chunk") for n in evaluated.values())
    assert not _chunk_threads()
    one = run_targets(zhenjiang, overlap=False, **kw)
    for tid, o in one.items():
        np.testing.assert_array_equal(np.concatenate(got[tid]), o.value)


@needs_numba
def test_a_chunk_in_the_sink_keeps_its_numbers_while_the_threads_run_ahead(
    zhenjiang: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic: the sink of chunk 0 waits until chunks 1 and 2 have been evaluated (the
    two threads run ahead into buffers of their own), then reads chunk 0's outcomes: they
    must still be chunk 0's (a buffer shared with a chunk in hand would hold another's)."""
    engine = type(ENGINES["numba"])
    evaluate = engine.evaluate
    done: dict[int, threading.Event] = {k: threading.Event() for k in (1, 2)}

    def spy_eval(self: Any, comp: Any, **kw: Any) -> Any:
        out = evaluate(self, comp, **kw)
        size = int(comp.model.samples)  # chunks 1 and 2 are told by their sizes (below)
        if size in (1_999, 1_998):
            done[2_000 - size].set()
        return out

    original = compile_mod.ScenarioCompiler.compile
    order = {0: 2_000, 2_000: 1_999, 4_000: 1_998}

    def spy(self: Any, **kw: Any) -> Any:
        off = kw.get("offset", 0)
        if off in order:  # chunks 1 and 2 a sample or two short, so the kernel spy knows them
            kw["samples"] = order[off]
        return original(self, **kw)

    monkeypatch.setattr(compile_mod.ScenarioCompiler, "compile", spy)
    monkeypatch.setattr(engine, "evaluate", spy_eval)
    seen: dict[int, np.ndarray] = {}

    def sink(start: int, outs: dict[str, Outcome]) -> None:
        if start == 0:
            assert done[1].wait(timeout=60) and done[2].wait(timeout=60)
        seen[start] = next(iter(outs.values())).value.copy()

    run_targets(zhenjiang, samples=16_000, seed=5, engine="numba", chunk=2_000, sink=sink)
    monkeypatch.undo()
    ref = run_targets(zhenjiang, samples=2_000, seed=5, engine="numba", overlap=False)
    np.testing.assert_array_equal(seen[0], next(iter(ref.values())).value)


@needs_numba
def test_the_second_thread_starts_once_the_first_chunk_is_compiled(
    zhenjiang: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    times: dict[int, tuple[float, float]] = {}
    original = compile_mod.ScenarioCompiler.compile

    def spy(self: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(self, **kw)
        finally:
            times[kw.get("offset", 0)] = (t0, time.perf_counter())

    monkeypatch.setattr(compile_mod.ScenarioCompiler, "compile", spy)
    run_targets(zhenjiang, samples=8_000, seed=5, engine="numba", chunk=2_000, overlap=True)
    assert sorted(times) == [0, 2_000, 4_000, 6_000]
    assert times[2_000][0] >= times[0][1]  # chunk 1's compile began after chunk 0's ended


@needs_numba
def test_numba_errors_come_in_order_and_the_threads_stop(
    zhenjiang: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = compile_mod.ScenarioCompiler.compile

    def failing(self: Any, **kw: Any) -> Any:
        if kw.get("offset", 0) == 4_000:
            raise ScenarioError("chunk at 4000 cannot be compiled")
        return original(self, **kw)

    monkeypatch.setattr(compile_mod.ScenarioCompiler, "compile", failing)
    seen: list[int] = []
    kw: dict[str, Any] = {"samples": 12_000, "seed": 2, "chunk": 2_000, "engine": "numba"}
    with pytest.raises(ScenarioError, match="chunk at 4000"):
        run_targets(zhenjiang, sink=lambda start, outs: seen.append(start), **kw)
    assert seen == [0, 2_000]  # as on one thread: the chunks before, then the error
    assert not _chunk_threads()

    def sink(start: int, outs: dict[str, Outcome]) -> None:
        if start == 2_000:
            raise RuntimeError("stop here")

    monkeypatch.undo()
    with pytest.raises(RuntimeError, match="stop here"):
        run_targets(zhenjiang, sink=sink, **kw)
    assert not _chunk_threads()


@needs_numba
def test_the_chunk_threads_use_the_callers_numpy_error_handling(
    zhenjiang: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = type(ENGINES["numba"])
    evaluate = engine.evaluate
    original = compile_mod.ScenarioCompiler.compile
    seen: list[tuple[str, str]] = []

    def spy(self: Any, **kw: Any) -> Any:
        seen.append((threading.current_thread().name, np.geterr()["over"]))
        return original(self, **kw)

    def spy_eval(self: Any, comp: Any, **kw: Any) -> Any:
        seen.append((threading.current_thread().name, np.geterr()["over"]))
        return evaluate(self, comp, **kw)

    monkeypatch.setattr(compile_mod.ScenarioCompiler, "compile", spy)
    monkeypatch.setattr(engine, "evaluate", spy_eval)
    with np.errstate(over="raise"):
        run_targets(zhenjiang, samples=4_000, seed=2, chunk=1_000, engine="numba", overlap=True)
    assert len(seen) == 8 and [mode for _, mode in seen] == ["raise"] * 8
    assert all(name.startswith("clustersim-chunk") for name, _ in seen)


@needs_numba
def test_the_vectoriser_setting_is_restored_by_the_last_thread_out() -> None:
    """Two threads inside kernel calls at once: the first one out leaves numba's setting on
    (the other's call may be compiling); the last one out restores it."""
    from numba.core import config

    from clustersim.accel.kernel import _slp_vectorize

    before = getattr(config, "SLP_VECTORIZE", 0)
    inside, leave_a = threading.Event(), threading.Event()
    seen: list[int] = []

    def a() -> None:
        with _slp_vectorize():
            inside.set()
            leave_a.wait(timeout=30)

    t = threading.Thread(target=a)
    t.start()
    assert inside.wait(timeout=30)
    with _slp_vectorize():
        leave_a.set()
        t.join(timeout=30)
        seen.append(config.SLP_VECTORIZE)  # a has left; this call is still inside
    seen.append(getattr(config, "SLP_VECTORIZE", 0))
    assert seen == [1, before]
