"""In-process sweeps write on a writer thread while the next chunk is evaluated (issue 21):
the same bytes as chunk by chunk, evaluation and writing overlap, at most ``depth`` chunks
wait, and a writer's error stops the sweep with its message."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import pytest

from clustersim.errors import ClusterSimError
from clustersim.sweep import InProcessExecutor, run_sweep
from clustersim.sweep.executors import ChunkJob, TaskDone
from clustersim.sweep.parquet_sink import ParquetSink

from .conftest import RATES


def _files(out: Path) -> dict[str, str]:
    return {
        str(f.relative_to(out)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(out.rglob("part-*"))
    }


@pytest.fixture
def sweep(linear, write_sweep) -> Path:  # type: ignore[no-untyped-def]
    return write_sweep(
        method="monte_carlo",
        samples=1300,
        seed=12,
        chunk_size=50,  # 26 chunks: three full tasks of 8 and one of 2
        parameters={RATES["c"]: {"range": [0.0, 0.1]}, RATES["f"]: {"range": [-0.9, 0.1]}},
    )


@pytest.mark.parametrize("store", [(), None])
def test_the_writer_thread_writes_the_bytes_of_chunk_by_chunk(
    sweep: Path, tmp_path: Path, store: tuple[str, ...] | None
) -> None:
    kw: dict[str, Any] = {} if store is None else {"store": store}
    one = run_sweep(sweep, out=tmp_path / "one", executor=InProcessExecutor(depth=0), **kw)
    two = run_sweep(sweep, out=tmp_path / "two", executor=InProcessExecutor(), **kw)
    assert one.summary.to_dict()["targets"] == two.summary.to_dict()["targets"]
    a, b = _files(tmp_path / "one"), _files(tmp_path / "two")
    # a partial a chunk; with samples stored, a part a task of 8 chunks (8, 8, 8, 2)
    assert len(a) == (26 if store == () else 26 + 4) and a == b


class _Gated(ParquetSink):
    """Writing chunk k waits until chunk k + 1's evaluation has started (or 10 s); the last
    chunk has no next one to wait for."""

    def __init__(self, *a: Any, started: dict[int, threading.Event], **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.started = started
        self.overlapped: list[int] = []
        self.threads: set[str] = set()

    def write(self, res: Any) -> int:
        self.threads.add(threading.current_thread().name)
        if res.chunk + 1 < self.n_chunks:
            nxt = self.started.setdefault(res.chunk + 1, threading.Event())
            if nxt.wait(10):
                self.overlapped.append(res.chunk)
        return super().write(res)


class _Job(ChunkJob):
    started: dict[int, threading.Event]
    drawn: list[tuple[int, str, bool]]

    def draw(self, chunk: int) -> Any:
        got = super().draw(chunk)
        # which chunk, on which thread, and whether its evaluation had started (it must not)
        started = chunk in self.started and self.started[chunk].is_set()
        self.drawn.append((chunk, threading.current_thread().name, started))
        return got

    def evaluate(self, chunk: int, *, summarise: bool = True, draws: Any = None) -> Any:
        self.started.setdefault(chunk, threading.Event()).set()
        return super().evaluate(chunk, summarise=summarise, draws=draws)


def test_chunk_k_is_written_while_chunk_k_plus_1_is_evaluated(sweep: Path, tmp_path: Path) -> None:
    from clustersim.sweep.plan import plan_sweep
    from clustersim.sweep.spec import load_sweep

    plan = plan_sweep(load_sweep(sweep, samples=300))  # 6 chunks
    started: dict[int, threading.Event] = {}
    sink = _Gated(tmp_path / "o", plan, store=(), started=started)
    sink.prepare(resume=False)
    from clustersim.engines import get_engine
    from clustersim.sweep.partial import make_layout

    job = _Job(
        plan, False, sink, "numpy", make_layout(plan, get_engine("numpy").inverse_normal()), False
    )
    object.__setattr__(job, "started", started)
    object.__setattr__(job, "drawn", [])
    outs = list(InProcessExecutor().imap(job, range(plan.n_chunks)))
    assert [o.chunks for o in outs if isinstance(o, TaskDone)] == [tuple(range(6))]
    # every chunk but the last was written while the next one was being evaluated
    assert sink.overlapped == [0, 1, 2, 3, 4]
    assert all(name.startswith("clustersim-writer") for name in sink.threads)
    # each chunk drawn once, on the helper thread, before its own evaluation started
    assert [c for c, _, _ in job.drawn] == list(range(6))
    assert all(name.startswith("clustersim-writer") for _, name, _ in job.drawn)
    assert not any(started for _, _, started in job.drawn)


class _Failing(ParquetSink):
    def write(self, res: Any) -> int:
        if res.chunk == 3:
            raise ClusterSimError("disk full (chunk 3)")
        return super().write(res)


def test_a_writer_error_stops_the_sweep_with_its_message(sweep: Path, tmp_path: Path) -> None:
    from clustersim.engines import get_engine
    from clustersim.sweep.partial import make_layout
    from clustersim.sweep.plan import plan_sweep
    from clustersim.sweep.spec import load_sweep

    plan = plan_sweep(load_sweep(sweep))
    sink = _Failing(tmp_path / "o", plan, store=())
    sink.prepare(resume=False)
    evaluated: list[int] = []

    class Counting(ChunkJob):
        def evaluate(self, chunk: int, *, summarise: bool = True, draws: Any = None) -> Any:
            evaluated.append(chunk)
            return super().evaluate(chunk, summarise=summarise, draws=draws)

    job = Counting(
        plan, False, sink, "numpy", make_layout(plan, get_engine("numpy").inverse_normal()), False
    )
    ex = InProcessExecutor(depth=2)
    with pytest.raises(ClusterSimError, match="disk full"):
        list(ex.imap(job, range(plan.n_chunks)))
    # the error surfaces within depth + 1 chunks of the one that failed
    assert max(evaluated) <= 3 + ex.depth + 1
    # chunks 0-2 were written; nothing of chunk 3 or later, no temporaries
    names = sorted(f.name for f in (tmp_path / "o" / "chunks").iterdir())
    assert names == [f"part-00000{k}.partial" for k in range(3)]


class _Recording(ParquetSink):
    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.threads: list[str] = []

    def write(self, res: Any) -> int:
        self.threads.append(threading.current_thread().name)
        return super().write(res)


@pytest.mark.parametrize(("depth", "writer"), [(0, False), (1, True), (2, True)])
def test_depth_zero_is_one_thread_and_more_uses_the_writer(
    sweep: Path, tmp_path: Path, depth: int, writer: bool
) -> None:
    from clustersim.engines import get_engine
    from clustersim.sweep.executors import ChunkDone
    from clustersim.sweep.partial import make_layout
    from clustersim.sweep.plan import plan_sweep
    from clustersim.sweep.spec import load_sweep

    plan = plan_sweep(load_sweep(sweep))
    sink = _Recording(tmp_path / "o", plan, store=())
    sink.prepare(resume=False)
    layout = make_layout(plan, get_engine("numpy").inverse_normal())
    job = ChunkJob(plan, False, sink, "numpy", layout, False)
    outs = list(InProcessExecutor(depth=depth).imap(job, range(plan.n_chunks)))
    assert len(sink.threads) == plan.n_chunks == 26
    if writer:  # tasks of 8 chunks, each one message, all written on the writer thread
        assert [o.chunks for o in outs] == [tuple(range(a, min(a + 8, 26))) for a in (0, 8, 16, 24)]
        assert all(t.startswith("clustersim-writer") for t in sink.threads)
    else:  # every chunk on this thread, one message each
        assert [o.chunk for o in outs if isinstance(o, ChunkDone)] == list(range(26))
        assert set(sink.threads) == {threading.current_thread().name}


def test_stored_samples_leave_draws_and_summary_on_this_thread(sweep: Path, tmp_path: Path) -> None:
    """With samples stored the helper only writes (and bundles): the chunks are drawn and
    summarised on the calling thread."""
    from clustersim.engines import get_engine
    from clustersim.sweep.partial import make_layout
    from clustersim.sweep.plan import plan_sweep
    from clustersim.sweep.spec import load_sweep

    plan = plan_sweep(load_sweep(sweep, samples=300))
    sink = _Recording(tmp_path / "o", plan)
    sink.prepare(resume=False)
    summarised: list[str] = []

    class Job(_Job):
        def summarise(self, res: Any) -> Any:
            summarised.append(threading.current_thread().name)
            return super().summarise(res)

    layout = make_layout(plan, get_engine("numpy").inverse_normal())
    job = Job(plan, False, sink, "numpy", layout, True)  # ships: samples stored
    object.__setattr__(job, "started", {})
    object.__setattr__(job, "drawn", [])
    outs = list(InProcessExecutor().imap(job, range(plan.n_chunks)))
    assert [o.chunks for o in outs] == [tuple(range(6))]
    assert job.drawn == []  # drawn inside evaluate, on this thread
    assert summarised == [threading.current_thread().name] * 6
    assert all(t.startswith("clustersim-writer") for t in sink.threads)
    # the six chunks' samples in one part, written by whichever helper wrote the last of them
    assert len(list((tmp_path / "o" / "samples").glob("part-*.parquet"))) == 1


class _SlowFirst(ParquetSink):
    """Chunk 0's write takes longest: the second helper finishes chunks after it first."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.finished: list[int] = []

    def write(self, res: Any) -> int:
        if res.chunk == 0:
            import time

            time.sleep(0.5)
        n = super().write(res)
        self.finished.append(res.chunk)
        return n


def test_two_writers_finish_out_of_order_and_tasks_stay_in_chunk_order(
    sweep: Path, tmp_path: Path
) -> None:
    from clustersim.engines import get_engine
    from clustersim.sweep.partial import Merger, bundle, make_layout
    from clustersim.sweep.plan import plan_sweep
    from clustersim.sweep.spec import load_sweep

    plan = plan_sweep(load_sweep(sweep))  # 26 chunks
    layout = make_layout(plan, get_engine("numpy").inverse_normal())
    sink = _SlowFirst(tmp_path / "o", plan)
    sink.prepare(resume=False)
    job = ChunkJob(plan, False, sink, "numpy", layout, True)
    outs = list(InProcessExecutor().imap(job, range(plan.n_chunks)))
    assert sink.finished[0] != 0  # chunk 0 was not the first written
    assert [o.chunks for o in outs] == [tuple(range(a, min(a + 8, 26))) for a in (0, 8, 16, 24)]
    # each task's bundle is the bundle of its chunks' stored partials, in chunk order
    for o in outs:
        assert isinstance(o, TaskDone)
        want = bundle(o.chunks[0], [sink.partial(k) for k in o.chunks])
        m1, m2 = Merger(), Merger()
        m1.add_bundle(want)
        m2.add_bundle(o.bundle)
        if o.chunks[0] == 0:
            a, b = m1.result(), m2.result()
            assert a.n == b.n and (a.met == b.met).all() and (a.value_sum == b.value_sum).all()
        assert o.bundle.first == o.chunks[0] and len(o.bundle.sums) == len(o.chunks)
        assert [s.n for s in o.bundle.sums] == [s.n for s in want.sums]
        for s, w in zip(o.bundle.sums, want.sums, strict=True):
            assert (s.value_sum == w.value_sum).all() and (s.bin_sum == w.bin_sum).all()


def test_kept_trajectories_are_written_by_one_helper(sweep: Path, tmp_path: Path) -> None:
    """A chunk's trajectories are large, so they are written one chunk at a time (one
    helper), and the parts are those of a one-thread run."""
    from clustersim.engines import get_engine
    from clustersim.sweep.partial import make_layout
    from clustersim.sweep.plan import plan_sweep
    from clustersim.sweep.spec import load_sweep

    plan = plan_sweep(load_sweep(sweep, samples=300))
    layout = make_layout(plan, get_engine("numpy").inverse_normal())
    files = {}
    for name, depth in (("one", 0), ("two", 2)):
        sink = _SlowFirst(tmp_path / name, plan, trajectories=True)
        sink.prepare(resume=False)
        job = ChunkJob(plan, True, sink, "numpy", layout, True)
        threads: set[str] = set()
        original = sink.write

        def write(res: Any, _w: Any = original, _t: set[str] = threads) -> int:
            _t.add(threading.current_thread().name)
            return int(_w(res))

        sink.write = write  # type: ignore[method-assign]
        list(InProcessExecutor(depth=depth).imap(job, range(plan.n_chunks)))
        if depth:
            assert threads == {"clustersim-writer_0"}
            assert sink.finished == list(range(6))  # one helper: in order, chunk 0 first
        files[name] = _files(tmp_path / name)
    assert len(files["one"]) == 18 and files["one"] == files["two"]
