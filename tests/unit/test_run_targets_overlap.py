"""run_targets compiles the next chunk on a helper thread while this one is projected
(``overlap``): the same bits as one thread, errors in the same order, the caller's NumPy
error handling, and no thread left behind."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import clustersim.compile as compile_mod
from clustersim.core.targets import Outcome
from clustersim.engine import OVERLAP_MIN, overlap_chunk, run_targets
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
