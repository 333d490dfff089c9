"""Run a sweep: plan, refuse what would not fit, stream chunks through an executor into a
sink, resume, summarise.

``run_sweep`` does the bookkeeping; the numbers come from
:func:`~clustersim.sweep.evaluate.evaluate_chunk`, the executors only decide where chunks
run and the sinks where results go.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from clustersim.engines import AUTO, ENGINE_CHOICES, ENGINES, get_engine, resolve_engine
from clustersim.errors import ClusterSimError
from clustersim.sweep.evaluate import ChunkResult, evaluate_rows
from clustersim.sweep.executors import ChunkJob, Executor, TaskDone, make_executor
from clustersim.sweep.manifest import carry_timings, finish, new_manifest, resume_problems
from clustersim.sweep.partial import Merger, make_layout
from clustersim.sweep.plan import SweepPlan, plan_sweep
from clustersim.sweep.sinks import STORE, MemorySink, ResultSink, chunk_columns
from clustersim.sweep.spec import SweepSpec, load_sweep
from clustersim.sweep.summary import Summary, summarize

if TYPE_CHECKING:
    from clustersim.sweep.parquet_sink import ParquetSink

__all__ = ["KEEP", "SweepResult", "check_size", "run_sweep"]

#: what ``--keep`` may add to the samples table
KEEP: tuple[str, ...] = ("trajectories",)
MANIFEST = "manifest.json"
PILOT_ROWS = 64
_MANIFEST_EVERY = 5.0  # seconds between manifest updates


@dataclass
class SweepResult:
    """A finished sweep.

    Attributes
    ----------
    plan : SweepPlan
    summary : Summary
    out : Path or None
        The output directory (None for an in-memory sweep).
    sink : ResultSink
        Where the samples are: ``sink.columns([...])`` reads them back.
    chunks_run, chunks_skipped : int
        Chunks computed by this call, and found complete (``resume``).
    seconds : float
        Wall time of this call.
    executor : str
    written : list of Path
    """

    plan: SweepPlan
    summary: Summary
    out: Path | None
    sink: ResultSink
    chunks_run: int
    chunks_skipped: int
    seconds: float
    executor: str
    written: list[Path]

    def columns(self, names: Sequence[str]) -> dict[str, NDArray[Any]]:
        """Columns of the samples table over every sample, in sample order."""
        return self.sink.columns(names)


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:,.1f} {unit}" if unit != "B" else f"{n:,.0f} B"
        n /= 1000.0
    return f"{n:,.1f} EB"  # pragma: no cover


def _free_disk(path: Path) -> int:
    p = path.resolve()
    while not p.exists():
        p = p.parent
    return shutil.disk_usage(p).free


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return None


def check_size(
    plan: SweepPlan,
    bytes_per_sample: float,
    *,
    out: Path | None,
    free_disk: int | None = None,
    memory: int | None = None,
) -> None:
    """Refuse, before anything runs, a sweep whose output or summary would not fit.

    Parameters
    ----------
    plan : SweepPlan
    bytes_per_sample : float
        Measured on a pilot chunk (compressed Parquet for a directory, arrays in memory).
    out : Path or None
        The output directory; None for an in-memory sweep (checked against memory).
    free_disk, memory : int, optional
        Bytes free on the output disk and of memory (default: measured).

    Raises
    ------
    ClusterSimError
        Naming the size, the estimate and what is available.
    """
    n = plan.rows
    file = plan.spec.get("sweep_file")
    at = f"{file}: " if file else ""
    what = (
        f"the grid has {n:,} points"
        if plan.method == "grid" and plan.design.replications == 1
        else f"the sweep has {n:,} samples"
    )
    need = n * bytes_per_sample
    mem = memory if memory is not None else _available_memory()
    if out is None:
        if mem is not None and need > 0.8 * mem:
            raise ClusterSimError(
                f"{at}refusing to start: {what}; kept in memory they need about {_human(need)} "
                f"({bytes_per_sample:,.0f} B per sample), more than the {_human(mem)} available; "
                "write them to a directory instead (--out)"
            )
        _check_layout_memory(n, mem, at, what)
        return
    free = free_disk if free_disk is not None else _free_disk(out)
    if need > 0.95 * free:
        raise ClusterSimError(
            f"{at}refusing to start: {what} and would write about {_human(need)} to {out} "
            f"({bytes_per_sample:,.0f} B per sample, measured on a pilot chunk), but only "
            f"{_human(free)} is free"
        )
    _check_layout_memory(n, mem, at, what)


def _check_layout_memory(n: int, mem: int | None, at: str, what: str) -> None:
    # the summary's bins are fixed from each factor's N values, one column at a time
    need = 16.0 * n
    if mem is not None and need > 0.8 * mem:
        raise ClusterSimError(
            f"{at}refusing to start: {what}; fixing the summary's bins reads each swept "
            f"factor's {n:,} values at once, about {_human(need)} of memory, more than "
            f"the {_human(mem)} available; sweep fewer samples (or split the sweep)"
        )


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ClusterSimError(f"{path}: cannot read the manifest: {exc}") from exc
    if not isinstance(doc, dict):
        raise ClusterSimError(f"{path}: the manifest is not a JSON object")
    return doc


def _pilot(plan: SweepPlan, trajectories: bool, engine: str) -> ChunkResult:
    b = plan.design.blocks
    stop = min(plan.bounds(0)[1], max(b, (PILOT_ROWS // b) * b))
    return evaluate_rows(plan, 0, 0, stop, trajectories=trajectories, engine=engine)


def run_sweep(
    sweep: SweepSpec | SweepPlan | str | Path,
    *,
    out: str | Path | None = None,
    executor: Executor | None = None,
    workers: int | None = None,
    dask: str | None = None,
    resume: bool = False,
    keep: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    samples: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    free_disk: int | None = None,
    engine: str = "auto",
    store: Sequence[str] | None = None,
) -> SweepResult:
    """Run a sweep and summarise it.

    Parameters
    ----------
    sweep : SweepSpec, SweepPlan, str or Path
        A sweep file, its validated spec, or a resolved plan.
    out : str or Path, optional
        Output directory (a Parquet dataset, manifest and summary); None keeps the samples
        in memory (``result.columns([...])``).
    executor : Executor, optional
        Where chunks run; default from ``workers`` / ``dask`` (:func:`make_executor`): all
        cores in a local process pool, ``workers=1`` in process.
    workers : int, optional
    dask : str, optional
        A Dask scheduler address or ``"local"``.
    resume : bool
        Continue the sweep in ``out``: skip the chunks already written. Refused when the
        scenario, design, seed, chunk layout or clustersim version differ from the manifest.
    keep : sequence of {"trajectories"}
        Also write every projected series of every sample.
    progress : callable, optional
        ``progress(done, total)`` in samples: once before the first chunk (``done`` counts a
        resumed sweep's finished chunks), then after each chunk (or each task of a few
        chunks, when workers bundle their summaries:
        :class:`~clustersim.sweep.executors.TaskDone`). The command line draws it with rich;
        the runner itself prints nothing.
    samples, seed, chunk_size : int, optional
        Override the sweep file's (only with a file or path).
    free_disk : int, optional
        Bytes free on the output disk (default: measured); for tests.
    store : sequence of {"inputs", "values", "margins", "met"}, optional
        The column groups stored per sample; default the sweep file's ``store:`` (all
        groups unless it says otherwise); empty: summary only. The summary does not depend
        on it: workers summarise their own chunks (:mod:`clustersim.sweep.partial`).
    engine : str
        How each chunk's targets are computed (:func:`~clustersim.sweep.evaluate.project_targets`):
        a name of :data:`clustersim.engines.ENGINES` (the blocked NumPy core, the fused numba
        kernel of ``clustersim[accel]``, the full projection) or ``auto`` (default), which
        takes numba when it is installed, compiles every target kind and the sweep has at
        least :data:`clustersim.engines.AUTO_ACCEL_FROM` cluster-years, else
        numpy; a resume takes the engine of the sweep it continues. Engines agree to about
        1e-11, not to the bit, so the engine is part of the manifest and a resume must use
        the same.

    Returns
    -------
    SweepResult

    Raises
    ------
    ClusterSimError
        Invalid sweep or scenario, a sweep that would not fit, an output directory that
        already holds a different sweep. Nothing is written then.
    """
    t0 = time.perf_counter()
    for item in keep:
        if item not in KEEP:
            raise ClusterSimError(f"--keep: {item!r} is not one of {', '.join(KEEP)}")
    if engine not in ENGINE_CHOICES:
        raise ClusterSimError(f"--engine: {engine!r} is not one of {', '.join(ENGINE_CHOICES)}")
    if engine != AUTO:
        try:
            get_engine(engine)
        except ClusterSimError as exc:
            raise ClusterSimError(f"--engine: {exc}") from exc
    keep_t = tuple(sorted(set(keep)))
    trajectories = "trajectories" in keep_t
    if isinstance(sweep, str | Path):
        sweep = load_sweep(sweep, samples=samples, seed=seed, chunk_size=chunk_size)
    elif isinstance(sweep, SweepSpec) and (samples, seed, chunk_size) != (None, None, None):
        sweep = replace(
            sweep,
            samples=samples if samples is not None else sweep.samples,
            seed=seed if seed is not None else sweep.seed,
            chunk_size=chunk_size if chunk_size is not None else sweep.chunk_size,
        )
    plan = sweep if isinstance(sweep, SweepPlan) else plan_sweep(sweep)
    if store is None:
        raw = plan.spec.get("store")
        store_t = tuple(raw) if isinstance(raw, list | tuple) else STORE
    else:
        bad = [g for g in store if g not in STORE]
        if bad:
            raise ClusterSimError(f"store: {bad[0]!r} is not one of {', '.join(STORE)}")
        store_t = tuple(g for g in STORE if g in store)

    out_dir = Path(out) if out is not None else None
    old: dict[str, Any] | None = None
    if out_dir is not None:
        mpath = out_dir / MANIFEST
        if mpath.exists():
            if not resume:
                raise ClusterSimError(
                    f"{out_dir}: already holds a sweep ({MANIFEST}); pass --resume to continue "
                    "it, or choose another --out"
                )
            old = _read_manifest(mpath)
        elif (out_dir / "samples").exists() and any((out_dir / "samples").iterdir()):
            raise ClusterSimError(
                f"{out_dir}/samples: holds files but no {MANIFEST}; choose another --out"
            )

    if engine == AUTO:
        before = old.get("engine") if old is not None else None
        sc = plan.scenario
        work = plan.rows * max(1, len(sc.clusters)) * (sc.end_year - sc.base_year + 1)
        kinds = [t.kind for t in sc.targets.values()]
        kinds += (["pipelines"] if sc.pipelines else []) + (["io"] if sc.io else [])
        engine = before if before in ENGINES else resolve_engine(AUTO, work, kinds)
        if engine == "numba":
            from clustersim.accel import available

            if not available():
                raise ClusterSimError(
                    f"{out_dir}: the sweep ran with numba, which is not installed here; "
                    "pip install 'clustersim[accel]' or start a new sweep"
                )
    eng = engine
    pilot = _pilot(plan, trajectories, eng)  # fails fast on a scenario that does not project
    sink: ResultSink
    parquet: ParquetSink | None = None
    if out_dir is None:
        mem_sink = MemorySink(plan, trajectories=trajectories, store=store_t)
        per = sum(a.nbytes for a in chunk_columns(mem_sink.cols, pilot).values()) / pilot.n
        if trajectories and pilot.series is not None:
            per += sum(a.nbytes for a in pilot.series.values()) / pilot.n
        check_size(plan, per, out=None)
        sink = mem_sink
    else:
        from clustersim.sweep.parquet_sink import ParquetSink

        parquet = ParquetSink(out_dir, plan, trajectories=trajectories, store=store_t)
        s_bytes, t_bytes = parquet.estimate_bytes(pilot)
        check_size(plan, s_bytes + t_bytes, out=out_dir, free_disk=free_disk)
        sink = parquet

    manifest: dict[str, Any] | None = None
    if out_dir is not None:
        manifest = new_manifest(plan, keep=keep_t, executor="", engine=engine, store=store_t)
        if old is not None:
            problems = resume_problems(old, manifest)
            if problems:
                raise ClusterSimError(
                    "\n".join(
                        [f"{out_dir / MANIFEST}: cannot resume: {p}" for p in problems]
                        + [f"{out_dir / MANIFEST}: (or write the sweep to a new --out directory)"]
                    )
                )
            carry_timings(manifest, old)

    ex = executor if executor is not None else make_executor(workers=workers, dask=dask)
    described = ex.describe()
    todo: list[int] = []
    rows_run = 0
    try:
        prepare = getattr(ex, "prepare", None)
        if prepare is not None:  # workers of their own (Dask) get ready meanwhile
            prepare(plan, eng)
        # the factors' bins, fixed before the run so every worker's partial merges exactly
        layout = make_layout(plan, get_engine(eng).inverse_normal())
        done = sink.prepare(resume=resume)
        todo = [k for k in range(plan.n_chunks) if k not in done]
        if manifest is not None:
            manifest["executor"] = described
            _write_manifest(out_dir, manifest)
        done_rows = sum(_rows(plan, k) for k in done)
        if progress is not None:
            progress(done_rows, plan.rows)
        shared = sink if ex.writes_in_worker and sink.shareable else None
        ships = bool(store_t) or trajectories
        job = ChunkJob(plan, trajectories, shared, eng, layout, ships)
        merger = Merger()
        for k in sorted(done):
            merger.add(k, sink.partial(k))
        last = time.monotonic()
        try:
            for outcome in ex.imap(job, todo):
                if isinstance(outcome, TaskDone):  # several chunks, written by the worker
                    merger.add_bundle(outcome.bundle)
                    timed = list(zip(outcome.chunks, outcome.rows, outcome.seconds, strict=True))
                else:
                    if isinstance(outcome, ChunkResult):
                        sink.write(outcome)
                        k, rows, secs = outcome.chunk, outcome.n, outcome.seconds
                    else:
                        if shared is None and outcome.partial is not None:
                            sink.write_partial(outcome.chunk, outcome.partial)
                        k, rows, secs = outcome.chunk, outcome.rows, outcome.seconds
                    if outcome.partial is None:  # pragma: no cover - every job has a layout
                        raise ClusterSimError(f"chunk {k}: the worker returned no summary")
                    merger.add(k, outcome.partial)
                    timed = [(k, rows, secs)]
                rows_run += sum(rows for _, rows, _ in timed)
                if progress is not None:
                    progress(done_rows + rows_run, plan.rows)
                if manifest is not None:
                    for k, _, secs in timed:
                        manifest["timings"]["chunk_seconds"][str(k)] = round(secs, 4)
                    if time.monotonic() - last > _MANIFEST_EVERY:
                        last = time.monotonic()
                        _write_manifest(out_dir, manifest)
            assert not sink.held(), "every chunk of every part was written"
        except BaseException:
            if manifest is not None:
                finish(
                    manifest,
                    status="interrupted",
                    seconds=time.perf_counter() - t0,
                    chunks=len(manifest["timings"]["chunk_seconds"]),
                    rows=rows_run,
                )
                _write_manifest(out_dir, manifest)
            raise
    finally:
        if executor is None:
            ex.close()

    summary = summarize(plan, merger.result(), layout)
    elapsed = time.perf_counter() - t0
    summary.extra["run"] = {
        "chunks": plan.n_chunks,
        "chunks_run": len(todo),
        "chunks_skipped": plan.n_chunks - len(todo),
        "seconds": round(elapsed, 3),
        "samples_per_second": round(rows_run / elapsed, 1) if elapsed > 0 else None,
        "executor": described,
    }
    written: list[Path] = []
    if parquet is not None and manifest is not None:
        written = parquet.write_summary(summary.to_dict(), summary.tables())
        finish(
            manifest,
            status="complete",
            seconds=time.perf_counter() - t0,
            chunks=len(todo),
            rows=rows_run,
        )
        _write_manifest(out_dir, manifest)
        written.insert(0, parquet.out / MANIFEST)
    return SweepResult(
        plan=plan,
        summary=summary,
        out=out_dir,
        sink=sink,
        chunks_run=len(todo),
        chunks_skipped=plan.n_chunks - len(todo),
        seconds=elapsed,
        executor=described,
        written=written,
    )


def _rows(plan: SweepPlan, chunk: int) -> int:
    start, stop = plan.bounds(chunk)
    return stop - start


def _write_manifest(out_dir: Path | None, manifest: dict[str, Any]) -> None:
    if out_dir is None:
        return
    from clustersim.sweep.parquet_sink import write_json_atomic

    write_json_atomic(out_dir / MANIFEST, _finite(manifest))


def _finite(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
