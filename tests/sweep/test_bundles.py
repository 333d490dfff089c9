"""Tasks of several chunks: a worker merges their partials into one bundle, the parent merges
bundles to the same bits as the chunks' partials one by one (issue 21, workers that scale)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clustersim.sweep import LocalPoolExecutor, run_sweep
from clustersim.sweep.executors import (
    DASK_TASK_CHUNKS,
    TASK_CHUNKS,
    ChunkJob,
    Outcome,
    TaskDone,
    tasks,
)
from clustersim.sweep.partial import Merged, Merger, Partial, Sketch, bundle, merge

from .conftest import RATES


def _reference(parts: list[Partial]) -> dict[str, Any]:
    """The merge of ``parts`` as the chunk-by-chunk fold computed it before bundles:
    float sums added chunk after chunk (Chan's update for the margins' moments, the Sobol'
    sums re-centred), counts added, every sketch combined at once. Written out here, apart
    from :class:`~clustersim.sweep.partial.Merger`."""
    a = parts[0]
    n, mean, m2, vsum, bsum = a.n, a.m_mean, a.m_m2, a.value_sum, a.bin_sum
    sobol, ab_n, ab_mean, ab_m2 = a.sobol, a.ab_n, a.ab_mean, a.ab_m2
    for p in parts[1:]:
        tot = n + p.n
        delta = p.m_mean - mean
        mean, m2 = mean + delta * (p.n / tot), m2 + p.m_m2 + delta * delta * (n * p.n / tot)
        vsum, bsum = vsum + p.value_sum, bsum + p.bin_sum
        if sobol is not None and p.sobol is not None:
            ab_tot = ab_n + p.ab_n
            d = p.ab_mean - ab_mean
            new_mean = ab_mean + d * (p.ab_n / ab_tot)
            new_m2 = ab_m2 + p.ab_m2 + d * d * (ab_n * p.ab_n / ab_tot)
            first = (
                sobol[..., 0]
                + (ab_mean - new_mean)[:, None] * sobol[..., 1]
                + p.sobol[..., 0]
                + (p.ab_mean - new_mean)[:, None] * p.sobol[..., 1]
            )
            sobol = np.stack(
                [first, sobol[..., 1] + p.sobol[..., 1], sobol[..., 2] + p.sobol[..., 2]], axis=-1
            )
            ab_n, ab_mean, ab_m2 = ab_tot, new_mean, new_m2
        n = tot

    def count(name: str) -> Any:
        return np.sum([getattr(p, name).astype(np.int64) for p in parts], axis=0)

    k = len(parts[0].sketches)
    return {
        "n": sum(p.n for p in parts),
        "all_met": sum(p.all_met for p in parts),
        "met": count("met"),
        "sizes": count("sizes"),
        "bin_met": count("bin_met"),
        "fine_n": count("fine_n"),
        "fine_met": count("fine_met"),
        "joint_met": count("joint_met"),
        "value_sum": vsum,
        "m_mean": mean,
        "m_m2": m2,
        "bin_sum": bsum,
        "sobol": sobol,
        "ab_m2": ab_m2 if sobol is not None else None,
        "sketches": [Sketch.combine([p.sketches[t] for p in parts]) for t in range(k)],
    }


def _same(got: Merged, ref: dict[str, Any]) -> None:
    for name, want in ref.items():
        have = getattr(got, name)
        if name == "sketches":
            assert len(have) == len(want)
            for s, w in zip(have, want, strict=True):
                for f in ("keys", "counts", "lo", "hi"):
                    assert np.array_equal(getattr(s, f), getattr(w, f)), f
        elif want is None:
            assert have is None, name
        else:
            # bit for bit: the same doubles, not close ones
            assert np.array_equal(np.asarray(have), np.asarray(want)), name
            assert np.asarray(have).dtype == np.asarray(want).dtype, name


@pytest.fixture(params=["monte_carlo", "sobol"])
def parts(request, linear, write_sweep) -> list[Partial]:  # type: ignore[no-untyped-def]
    """Every chunk's partial of a small sweep (kept by the in-memory sink)."""
    if request.param == "sobol":
        sweep = write_sweep(
            method="sobol",
            samples=256,
            seed=5,
            chunk_size=64,  # 8 rows per base point (A, B, 6 AB): 8 base points a chunk
            fix=[RATES["e"]],
            parameters={RATES[k]: {"range": [0.0, 0.1]} for k in "abcdfg"},
        )
    else:
        sweep = write_sweep(
            method="monte_carlo",
            samples=1900,
            seed=8,
            chunk_size=100,
            parameters={RATES["c"]: {"range": [0.0, 0.1]}, RATES["f"]: {"range": [-0.9, 0.1]}},
        )
    res = run_sweep(sweep, workers=1, store=())
    sink: Any = res.sink
    out = [sink.partial(k) for k in range(res.plan.n_chunks)]
    assert len(out) >= 19
    return out


def test_bundles_merge_to_the_bits_of_the_chunk_by_chunk_fold(parts: list[Partial]) -> None:
    """Bundles of 1 to 8 consecutive chunks, arriving in any order, merge to exactly what
    folding the chunks' partials one by one in chunk order gives (and so does ``merge``)."""
    ref = _reference(parts)
    _same(merge(parts), ref)
    assert ref["sobol"] is None or ref["sobol"].shape[-1] == 3
    n = len(parts)
    rng = np.random.default_rng(21)
    for per in (2, 3, TASK_CHUNKS, n):
        groups = tasks(range(n), per)
        for order in (groups, groups[::-1], [groups[i] for i in rng.permutation(len(groups))]):
            m = Merger()
            for g in order:
                b = bundle(g[0], [parts[k] for k in g])
                assert list(b.chunks) == list(g)
                m.add_bundle(b)
            _same(m.result(), ref)
    # bundles and single chunks mixed, as a resumed sweep merges its stored chunks first
    m = Merger()
    for k in (0, 1, 5):
        m.add(k, parts[k])
    m.add_bundle(bundle(2, parts[2:5]))
    m.add_bundle(bundle(6, parts[6:]))
    _same(m.result(), ref)


def test_a_bundle_sends_counts_and_sketches_once_and_sums_per_chunk(
    parts: list[Partial],
) -> None:
    b = bundle(3, parts[3:11])
    assert b.tally.n == sum(p.n for p in parts[3:11]) and len(b.sums) == 8
    assert b.tally.fine_met.dtype == np.int32  # fits: half the bytes of int64
    assert [s.n for s in b.sums] == [p.n for p in parts[3:11]]
    assert all(s.bin_sum is p.bin_sum for s, p in zip(b.sums, parts[3:11], strict=True))
    with pytest.raises(ValueError, match="at least one"):
        bundle(0, [])
    m = Merger()
    m.add_bundle(b)
    with pytest.raises(ValueError, match="missing from chunk 0"):
        m.result()


def test_tasks_are_runs_of_consecutive_chunks() -> None:
    assert tasks(range(7), 3) == [(0, 1, 2), (3, 4, 5), (6,)]
    # a resumed sweep's done chunks (3, 4, 8) split the runs
    assert tasks([0, 1, 2, 5, 6, 7, 9, 10], 4) == [(0, 1, 2), (5, 6, 7), (9, 10)]
    assert tasks([], 8) == []
    assert tasks([4, 2], 8) == [(4,), (2,)]


def test_tasks_shrink_toward_the_end_so_workers_finish_together() -> None:
    got = tasks(range(245), TASK_CHUNKS, 2)  # 10^6 samples of 4,096, two workers
    sizes = [len(t) for t in got]
    assert [k for t in got for k in t] == list(range(245))
    assert sizes[:28] == [8] * 28 and sizes[28:] == [6, 4, 3, 2, 2, 1, 1, 1, 1]
    assert [len(t) for t in tasks(range(10), TASK_CHUNKS, 2)] == [3, 2, 2, 1, 1, 1]
    assert [len(t) for t in tasks([0, 1, 2, 3, 7, 8], TASK_CHUNKS, 1)] == [3, 1, 1, 1]
    # a local Dask cluster's tasks: at most 32 chunks and a quarter of those left (rounded up):
    # 245 -> 32 (62), 213 -> 32, 181 -> 32, 149 -> 32 (38), 117 -> 30, 87 -> 22, 65 -> 17, ...
    dask = [len(t) for t in tasks(range(245), DASK_TASK_CHUNKS, 2)]
    assert dask == [32, 32, 32, 32, 30, 22, 17, 12, 9, 7, 5, 4, 3, 2, 2, 1, 1, 1, 1]


def test_a_job_bundles_only_what_its_worker_wrote(linear, write_sweep, tmp_path: Path) -> None:
    from clustersim.sweep import plan_sweep
    from clustersim.sweep.parquet_sink import ParquetSink
    from clustersim.sweep.spec import load_sweep

    plan = plan_sweep(load_sweep(write_sweep(method="monte_carlo", samples=100, seed=1)))
    sink = ParquetSink(tmp_path / "o", plan, store=())
    layout: Any = object()
    bundles = ChunkJob(plan, sink=sink, layout=layout, ships=False)
    assert bundles.bundles
    # the worker writes the samples too: still only summaries travel back
    assert ChunkJob(plan, sink=sink, layout=layout, ships=True).bundles
    # samples travel back, or this process writes each chunk's partial: chunk by chunk
    assert not ChunkJob(plan, sink=None, layout=layout, ships=True).bundles
    assert not ChunkJob(plan, sink=None, layout=layout, ships=False).bundles
    with pytest.raises(ValueError, match="consecutive"):
        bundles.task((1, 3))


class _Watched(LocalPoolExecutor):
    """A pool that records what it yields."""

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self.seen: list[Outcome] = []

    def imap(self, job: ChunkJob, chunks: Iterable[int]) -> Iterator[Outcome]:
        for o in super().imap(job, chunks):
            self.seen.append(o)
            yield o


def _summary(res: Any) -> dict[str, Any]:
    doc: dict[str, Any] = res.summary.to_dict()
    doc.pop("run")
    return doc


def test_a_pool_bundles_summary_only_chunks_to_the_one_process_summary(
    linear, write_sweep, tmp_path: Path
) -> None:
    """Summary-only into a directory, pool workers write each chunk's partial and send back
    one bundle per task: the summary is the in-process one, every chunk has its partial on
    disk and its own timing in the manifest."""
    sweep = write_sweep(
        method="monte_carlo",
        samples=6400,
        seed=4,
        chunk_size=50,  # 128 chunks: tasks of 8 on 2 workers
        parameters={RATES["c"]: {"range": [0.0, 0.1]}, RATES["a"]: {"range": [0.0, 0.1]}},
    )
    one = run_sweep(sweep, out=tmp_path / "one", workers=1, store=())
    ex = _Watched(2)
    try:
        two = run_sweep(sweep, out=tmp_path / "two", executor=ex, store=())
    finally:
        ex.close()
    assert _summary(one) == _summary(two)
    done = [o for o in ex.seen if isinstance(o, TaskDone)]
    assert len(done) == len(ex.seen)
    assert sorted(o.chunks for o in done) == tasks(range(128), TASK_CHUNKS, 2)
    assert sum(len(o.chunks) == 8 for o in done) == 13  # then fewer, down to single chunks
    assert all(sum(o.rows) == 50 * len(o.chunks) == 50 * len(o.seconds) for o in done)
    assert len(list((tmp_path / "two" / "chunks").glob("part-*.partial"))) == 128
    for k in (0, 77, 127):  # the worker stored each chunk's own partial, as one process
        a, b = (
            (tmp_path / d / "chunks" / f"part-{k:06d}.partial").read_bytes() for d in ("one", "two")
        )
        assert a == b
    m = json.loads((tmp_path / "two" / "manifest.json").read_text())
    assert sorted(int(k) for k in m["timings"]["chunk_seconds"]) == list(range(128))
    assert m["status"] == "complete"


def test_a_resumed_pool_sweep_bundles_around_the_done_chunks(
    linear, write_sweep, tmp_path: Path
) -> None:
    """Chunks left done by an interrupted sweep split the tasks (a task is done when all its
    chunks are: each chunk's partial is on disk); the resumed summary is the clean one."""
    sweep = write_sweep(
        method="monte_carlo",
        samples=3600,
        seed=9,
        chunk_size=50,  # 72 chunks
        parameters={RATES["c"]: {"range": [0.0, 0.1]}},
    )
    clean = run_sweep(sweep, out=tmp_path / "clean", workers=1, store=())
    out = tmp_path / "resumed"
    run_sweep(sweep, out=out, workers=1, store=())
    kept = {0, 1, 9, 30, 31, 32, 70}
    for f in (out / "chunks").glob("part-*.partial"):
        if int(f.stem.split("-")[1]) not in kept:
            f.unlink()
    ex = _Watched(2)
    try:
        res = run_sweep(sweep, out=out, executor=ex, store=(), resume=True)
    finally:
        ex.close()
    assert res.chunks_skipped == len(kept) and res.chunks_run == 72 - len(kept)
    assert _summary(res) == _summary(clean)
    got = [o.chunks for o in ex.seen if isinstance(o, TaskDone)]
    assert len(got) == len(ex.seen)
    assert sorted(k for c in got for k in c) == sorted(set(range(72)) - kept)
    assert max(len(c) for c in got) == TASK_CHUNKS
    for c in got:  # runs that never cross a done chunk
        assert list(c) == list(range(c[0], c[0] + len(c)))
        assert not kept & set(c)


def test_dask_workers_that_write_their_chunks_bundle_them(
    linear, write_sweep, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    from clustersim.sweep import DaskExecutor

    sweep = write_sweep(
        method="monte_carlo",
        samples=3200,
        seed=13,
        chunk_size=50,
        parameters={RATES["c"]: {"range": [0.0, 0.1]}, RATES["d"]: {"range": [0.0, 0.1]}},
    )
    one = run_sweep(sweep, out=tmp_path / "one", workers=1, store=())
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        ex = DaskExecutor(client=client)
        ex.writes_in_worker = True  # the workers share this disk, as a "local" cluster's
        calls: list[tuple[int, ...]] = []
        submit = client.submit

        prepared: list[object] = []

        def spy(fn, job, chunks, **kw):  # type: ignore[no-untyped-def]
            if fn.__name__ == "_prepare_worker":  # (plan, engine): one per worker, first
                assert not calls
                prepared.append(submit(fn, job, chunks, **kw))
                return prepared[-1]
            calls.append(chunks)
            return submit(fn, job, chunks, **kw)

        client.submit = spy  # type: ignore[method-assign]
        try:
            dask = run_sweep(sweep, out=tmp_path / "dask", executor=ex, store=())
        finally:
            client.submit = submit  # type: ignore[method-assign]
        # each worker evaluated the head of chunk 0 (its 50 rows) before its chunks
        assert [f.result() for f in prepared] == [50, 50]  # type: ignore[attr-defined]
    assert sorted(calls) == tasks(range(64), DASK_TASK_CHUNKS, 2)
    assert sorted(k for c in calls for k in c) == list(range(64))
    assert _summary(one) == _summary(dask)
    assert len(list((tmp_path / "dask" / "chunks").glob("part-*.partial"))) == 64


def test_binnings_from_one_sort_equal_partitioning_each_time() -> None:
    """make_layout sorts a factor's column once for both binnings: the edges are the doubles
    ``np.quantile`` gives on the unsorted column, ties, few levels and tiny columns too."""
    from clustersim.sweep.partial import FINE_BINS, MAX_BINS, _binnings

    rng = np.random.default_rng(3)
    cases = [
        rng.uniform(0.05, 0.2, 100_000),
        rng.normal(size=5000).round(2),  # ties
        rng.lognormal(size=777) * -1.0,
        np.repeat(rng.uniform(size=70), 3),  # 70 levels: more than MAX_BINS, binned
        rng.choice([0.045, 0.055, 0.065], 1000),  # 3 levels
        rng.uniform(size=3),
    ]
    for x in cases:
        n = len(x)
        coarse, fine = int(min(MAX_BINS, max(2, np.sqrt(n)))), min(FINE_BINS, max(2, n))
        c, f = _binnings(x, coarse, fine)
        levels = np.unique(x)
        if len(levels) <= MAX_BINS:
            assert c is f and c.levels and np.array_equal(c.points, levels)
            continue
        for b, count in ((c, coarse), (f, fine)):
            want = np.quantile(x, np.linspace(0, 1, count + 1)[1:-1])
            assert not b.levels
            assert np.array_equal(b.points, np.concatenate([[x.min()], want, [x.max()]]))


def test_stored_samples_written_by_pool_workers_bundle_too(
    linear, write_sweep, tmp_path: Path
) -> None:
    """Every column stored: the workers write each chunk's partial and each samples part of
    eight chunks, and send back one bundle per task (a task is one part's chunks); the parts
    are the in-process bytes, the summary its bits."""
    import hashlib

    sweep = write_sweep(
        method="lhs",
        samples=2000,
        seed=6,
        chunk_size=50,  # 40 chunks
        parameters={RATES["c"]: {"range": [0.0, 0.1]}, RATES["b"]: {"values": [0.0, 0.05]}},
    )
    one = run_sweep(sweep, out=tmp_path / "one", workers=1)
    ex = _Watched(2)
    try:
        two = run_sweep(sweep, out=tmp_path / "two", executor=ex)
    finally:
        ex.close()
    assert _summary(one) == _summary(two)
    assert sorted(o.chunks for o in ex.seen if isinstance(o, TaskDone)) == [
        tuple(range(k, k + 8)) for k in range(0, 40, 8)
    ]

    def digest(d: Path) -> dict[str, str]:
        return {
            f"{sub}/{f.name}": hashlib.sha256(f.read_bytes()).hexdigest()
            for sub in ("samples", "chunks")
            for f in sorted((d / sub).iterdir())
        }

    a, b = digest(tmp_path / "one"), digest(tmp_path / "two")
    assert len(a) == 40 + 5 and a == b  # a partial a chunk, a samples part a task
