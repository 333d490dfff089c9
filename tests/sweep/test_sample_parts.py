"""Samples parts of several chunks: one file per group of up to eight chunks, a row group a
chunk, the same bytes on every executor and after a resume, in chunk order whatever order
the chunks are written in."""

from __future__ import annotations

import hashlib
import json
import random
import threading
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from clustersim.sweep import run_sweep
from clustersim.sweep.evaluate import evaluate_chunk
from clustersim.sweep.executors import TASK_CHUNKS, ChunkJob, tasks
from clustersim.sweep.parquet_sink import PART_CHUNKS, PART_ROWS, ParquetSink, part_chunks
from clustersim.sweep.plan import plan_sweep
from clustersim.sweep.spec import load_sweep

from .conftest import RATES, runs_on_three_executors


def _parts(out: Path) -> dict[str, str]:
    return {
        f.name: hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted((out / "samples").glob("*.parquet"))
    }


@pytest.fixture
def sweep(linear, write_sweep) -> Path:  # type: ignore[no-untyped-def]
    return write_sweep(
        method="monte_carlo",
        samples=1900,
        seed=4,
        chunk_size=100,  # 19 chunks: parts of 8, 8 and 3
        parameters={RATES["c"]: {"range": [0.0, 0.1]}, RATES["f"]: {"range": [-0.9, 0.1]}},
    )


def test_chunks_per_part() -> None:
    assert (PART_CHUNKS, PART_ROWS) == (8, 32_768)
    assert TASK_CHUNKS >= PART_CHUNKS  # a pool's task can hold a whole part
    assert part_chunks(4096, True, False) == 8  # 32,768 samples a part
    assert part_chunks(50, True, False) == 8
    assert part_chunks(10_000, True, False) == 3  # 30,000 <= 32,768 < 40,000
    assert part_chunks(20_000, True, False) == 1
    assert part_chunks(4096, False, False) == 1  # summary only: no samples part
    assert part_chunks(4096, True, True) == 1  # trajectories: a chunk a part, as before


def test_tasks_hold_whole_parts() -> None:
    assert tasks(range(19), 8, 2, group=8) == [
        tuple(range(8)),
        tuple(range(8, 16)),
        (16, 17, 18),
    ]
    # a resume's todo list: whole parts, with gaps between them
    assert tasks([8, 9, 10, 16, 17], 8, 2, group=8) == [(8, 9, 10), (16, 17)]
    assert tasks(range(6), 8, group=3) == [(0, 1, 2), (3, 4, 5)]
    with pytest.raises(ValueError, match="parts of 8"):
        tasks(range(8), 4, group=8)


def test_every_executor_writes_the_same_parts(sweep: Path, tmp_path: Path) -> None:
    """In process, a forked and a spawned pool (workers write their parts), and Dask (this
    process writes, the chunks coming in any order): the same three files, each chunk a row
    group holding what evaluating the chunk alone gives."""
    runs = runs_on_three_executors(sweep, tmp_path, keep=())
    parts = {name: _parts(tmp_path / name) for name in runs}
    assert list(parts["one"]) == [
        "part-000000.parquet",
        "part-000008.parquet",
        "part-000016.parquet",
    ]
    assert parts["one"] == parts["two"] == parts["spawned"] == parts["dask"]
    assert not list((tmp_path / "one" / "chunks").glob(".*.tmp"))
    plan = plan_sweep(load_sweep(sweep))
    engine = json.loads((tmp_path / "one" / "manifest.json").read_text())["engine"]
    for first, size in ((0, 8), (8, 8), (16, 3)):
        f = pq.ParquetFile(tmp_path / "one" / "samples" / f"part-{first:06d}.parquet")
        assert f.metadata.num_row_groups == size
        for i in range(size):
            k = first + i
            rg = f.read_row_group(i)
            want = evaluate_chunk(plan, k, engine=engine)
            assert rg.column("sample").to_pylist() == list(range(100 * k, 100 * k + 100))
            np.testing.assert_array_equal(rg.column(RATES["c"]).to_numpy(), want.inputs[:, 0])


def test_a_damaged_part_is_recomputed_whole_on_resume(sweep: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    run_sweep(sweep, out=clean, workers=1)
    broken = tmp_path / "broken"
    run_sweep(sweep, out=broken, workers=1)
    part = broken / "samples" / "part-000008.parquet"
    part.write_bytes(part.read_bytes()[:1000])  # cut short
    res = run_sweep(sweep, out=broken, workers=2, resume=True)
    assert (res.chunks_run, res.chunks_skipped) == (8, 11)
    assert _parts(broken) == _parts(clean)
    # a part whose chunk has lost its summary is not whole either
    (broken / "chunks" / "part-000017.partial").unlink()
    res = run_sweep(sweep, out=broken, workers=1, resume=True)
    assert (res.chunks_run, res.chunks_skipped) == (3, 16)
    assert _parts(broken) == _parts(clean)


def test_a_part_is_written_in_chunk_order_from_chunks_in_any_order(
    sweep: Path, tmp_path: Path
) -> None:
    plan = plan_sweep(load_sweep(sweep))
    results = [evaluate_chunk(plan, k) for k in range(plan.n_chunks)]
    ordered = ParquetSink(tmp_path / "a", plan)
    ordered.prepare(resume=False)
    for r in results:
        ordered.write(r)
    shuffled = ParquetSink(tmp_path / "b", plan)
    shuffled.prepare(resume=False)
    order = list(range(plan.n_chunks))
    random.Random(3).shuffle(order)
    first_half, second_half = order[:10], order[10:]
    for k in first_half:
        shuffled.write(results[k])
    groups = [set(range(0, 8)), set(range(8, 16)), {16, 17, 18}]
    waiting = [k for k in first_half for g in groups if k in g and not g <= set(first_half)]
    assert waiting and shuffled.held() == sorted(waiting)
    threads = [threading.Thread(target=shuffled.write, args=(results[k],)) for k in second_half]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert shuffled.held() == []
    assert _parts(tmp_path / "a") == _parts(tmp_path / "b")


def test_a_task_that_splits_a_part_is_refused(sweep: Path, tmp_path: Path) -> None:
    """Its chunks' samples would wait, in a worker, for chunks another worker writes."""
    plan = plan_sweep(load_sweep(sweep))
    sink = ParquetSink(tmp_path / "o", plan)
    sink.prepare(resume=False)
    from clustersim.engines import get_engine
    from clustersim.sweep.partial import make_layout

    job = ChunkJob(
        plan, False, sink, "numpy", make_layout(plan, get_engine("numpy").inverse_normal())
    )
    assert job.group == 8
    with pytest.raises(ValueError, match=r"chunks \[0, 1, 2\]: their samples part is not whole"):
        job.task((0, 1, 2))
    assert job.task((16, 17, 18)).chunks == (16, 17, 18)
    assert (tmp_path / "o" / "samples" / "part-000016.parquet").exists()


def test_the_command_line_counts_the_part_files(sweep: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from clustersim.cli import app

    runner = CliRunner()
    for lang, want in (("en", "(3 parts)"), ("zh", "（3 个分块文件）")):
        out = tmp_path / lang
        r = runner.invoke(app, ["sweep", str(sweep), "--out", str(out), "-w", "1", "--lang", lang])
        assert r.exit_code == 0, r.output
        assert want in r.output.replace("\n", "")
        assert len(list((out / "samples").glob("part-*.parquet"))) == 3
