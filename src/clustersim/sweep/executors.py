"""Executors: where chunks run. In-process, a local process pool, or Dask distributed.

An executor takes a picklable :class:`ChunkJob` and chunk indices and yields each job's
outcome as it completes, keeping at most a few tasks in flight so memory stays bounded
whatever the number of chunks. Results never depend on the executor: a chunk is a pure
function of the plan and its index.

A task is one chunk, or a few consecutive ones (:func:`tasks`) when the worker writes each
chunk itself and only summaries travel back: the worker then returns one :class:`TaskDone`
whose :class:`~clustersim.sweep.partial.Bundle` the parent merges to the same bits as the
chunks' partials one by one, but receives, unpickles and merges several times fewer bytes
(a chunk's partial of zhenjiang-mc is about 1.1 MB, mostly sketch buckets; eight chunks'
bundle about 2 MB).

Registry: :data:`EXECUTORS` maps a name to a factory; a new executor is one class and one
entry there.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any, Protocol

from clustersim.engine import usable_cores
from clustersim.errors import ClusterSimError
from clustersim.sweep.evaluate import (
    ChunkResult,
    Draws,
    draw_chunk,
    evaluate_chunk,
    evaluate_rows,
)
from clustersim.sweep.partial import Bundle, Layout, Partial, bundle, chunk_partial
from clustersim.sweep.plan import SweepPlan

__all__ = [
    "EXECUTORS",
    "ChunkDone",
    "ChunkJob",
    "DaskExecutor",
    "Executor",
    "InProcessExecutor",
    "LocalPoolExecutor",
    "Sink",
    "TaskDone",
    "default_workers",
    "make_executor",
    "start_method",
    "tasks",
]


class Sink(Protocol):
    """Where chunk results go (see :mod:`clustersim.sweep.sinks`)."""

    #: chunks in one samples part: a worker that writes must get whole parts
    part_chunks: int

    def write(self, res: ChunkResult) -> int:
        """Store one chunk (atomically); return the bytes written."""
        ...

    def held(self) -> list[int]:
        """Chunks whose samples wait for the rest of their part."""
        ...


@dataclass(frozen=True)
class ChunkDone:
    """What a worker that wrote its own chunk reports back: a few kilobytes."""

    chunk: int
    rows: int
    seconds: float
    nbytes: int
    partial: Partial | None = None


@dataclass(frozen=True)
class TaskDone:
    """What a worker reports for a task of consecutive chunks it wrote itself.

    Attributes
    ----------
    chunks, rows, seconds : tuple
        Each chunk of the task, its samples and the seconds it took (evaluation and
        summary), in chunk order.
    nbytes : int
        Bytes the worker wrote for them.
    bundle : Bundle
        Their partials, merged where that is exact (:func:`~clustersim.sweep.partial.bundle`).
    """

    chunks: tuple[int, ...]
    rows: tuple[int, ...]
    seconds: tuple[float, ...]
    nbytes: int
    bundle: Bundle


#: what an executor yields: one chunk's outcome, or one task's of several
Outcome = ChunkResult | ChunkDone | TaskDone

#: at most this many chunks per task (when a task may hold several: :attr:`ChunkJob.bundles`)
TASK_CHUNKS = 8


def tasks(
    chunks: Iterable[int], most: int, workers: int | None = None, group: int = 1
) -> list[tuple[int, ...]]:
    """``chunks`` cut into tasks of at most ``most`` consecutive chunks, in order.

    A task never spans a gap (a resumed sweep's done chunks): its chunks are one run. Given
    ``workers``, tasks shrink toward the end, each at most a ``2 * workers``-th of the chunks
    left (rounded up), so the last few are single chunks and the workers finish together
    (a task of 8 chunks of zhenjiang-mc is about 0.4 s of one worker). With ``group`` > 1
    (a worker writes samples parts of that many chunks: :attr:`ChunkJob.group`) each task is
    the chunks of one part, whole (``most`` must be at least ``group``).
    """
    todo = list(chunks)
    out: list[tuple[int, ...]] = []
    if group > 1:
        if most < group:
            raise ValueError(f"tasks of at most {most} chunks cannot hold parts of {group}")
        runs: list[list[int]] = []
        for k in todo:
            if runs and runs[-1][-1] + 1 == k and runs[-1][0] // group == k // group:
                runs[-1].append(k)
            else:
                runs.append([k])
        return [tuple(r) for r in runs]
    i = 0
    while i < len(todo):
        left = len(todo) - i
        per = most if workers is None else max(1, min(most, -(-left // (2 * workers))))
        run = [todo[i]]
        i += 1
        while i < len(todo) and len(run) < per and todo[i] == run[-1] + 1:
            run.append(todo[i])
            i += 1
        out.append(tuple(run))
    return out


@dataclass(frozen=True)
class ChunkJob:
    """Evaluate a chunk, summarise it and, when ``sink`` is given, write it where it runs.

    The draws are made here, from the chunk's seed (only the plan and the chunk index
    travel). With ``layout`` the job also reduces the chunk to its mergeable
    :class:`~clustersim.sweep.partial.Partial`. Calling the job returns a
    :class:`ChunkDone` (written by the worker, or nothing to write: ``ships`` is False)
    or the :class:`ChunkResult` itself (the caller writes it).

    Attributes
    ----------
    ships : bool
        Whether the caller needs the chunk's samples (it writes them); False when nothing
        per sample is stored, so only the partial travels back.
    """

    plan: SweepPlan
    trajectories: bool = False
    sink: Sink | None = None
    engine: str = "numpy"
    layout: Layout | None = None
    ships: bool = True

    @property
    def group(self) -> int:
        """Chunks in one samples part of the sink this job writes to (1 without one): a
        task holds whole parts, so the worker that runs it writes each of them."""
        return self.sink.part_chunks if self.sink is not None else 1

    @property
    def bundles(self) -> bool:
        """Whether a task of several chunks returns one :class:`TaskDone`: the worker writes
        each chunk (its samples, if stored, and its partial) itself, so only summaries travel
        back."""
        return self.sink is not None and self.layout is not None

    def task(self, chunks: tuple[int, ...]) -> list[ChunkResult | ChunkDone] | TaskDone:
        """Run consecutive ``chunks`` one after another; one :class:`TaskDone` for them all
        when the job :attr:`bundles`, else each chunk's outcome."""
        if not self.bundles:
            return [self(k) for k in chunks]
        if not chunks or chunks != tuple(range(chunks[0], chunks[0] + len(chunks))):
            raise ValueError(f"a task's chunks must be consecutive, got {chunks}")
        outs = [self(k) for k in chunks]
        done = [o for o in outs if isinstance(o, ChunkDone) and o.partial is not None]
        assert len(done) == len(outs), "a bundling job returns every chunk's partial"
        left = set(self.sink.held()) & set(chunks) if self.sink is not None else set()
        if left:  # the rest of their part is another task's: these samples would be lost
            raise ValueError(f"chunks {sorted(left)}: their samples part is not whole in this task")
        return TaskDone(
            chunks=tuple(o.chunk for o in done),
            rows=tuple(o.rows for o in done),
            seconds=tuple(o.seconds for o in done),
            nbytes=sum(o.nbytes for o in done),
            bundle=bundle(chunks[0], [o.partial for o in done if o.partial is not None]),
        )

    def __call__(self, chunk: int) -> ChunkResult | ChunkDone:
        return self.finish(self.evaluate(chunk))

    def draw(self, chunk: int) -> Draws:
        """The chunk's quantiles and inputs (:func:`~clustersim.sweep.evaluate.draw_chunk`)."""
        return draw_chunk(self.plan, chunk, engine=self.engine)

    def evaluate(
        self,
        chunk: int,
        *,
        summarise: bool = True,
        draws: Draws | None = None,
    ) -> ChunkResult:
        """The chunk evaluated (from ``draws`` when given: :meth:`draw`'s) and (with a
        layout, unless told not to) summarised; nothing written yet."""
        res = evaluate_chunk(
            self.plan, chunk, trajectories=self.trajectories, engine=self.engine, draws=draws
        )
        return self.summarise(res) if summarise else res

    def summarise(self, res: ChunkResult) -> ChunkResult:
        """``res`` with its partial summary (with a layout; else ``res``)."""
        if self.layout is None:
            return res
        t0 = time.perf_counter()
        part = chunk_partial(self.layout, res.inputs, res.value, res.margin, res.met)
        return replace(res, partial=part, seconds=res.seconds + time.perf_counter() - t0)

    def finish(self, res: ChunkResult) -> ChunkResult | ChunkDone:
        """What :meth:`__call__` returns for the evaluated ``res``: written by the sink."""
        if self.sink is None:
            if self.ships:
                return res
            return ChunkDone(res.chunk, res.n, res.seconds, 0, res.partial)
        nbytes = self.sink.write(res)
        return ChunkDone(res.chunk, res.n, res.seconds, nbytes, res.partial)


class Executor(Protocol):
    """Runs a job over chunks; yields outcomes in completion order."""

    name: str
    #: whether jobs should write their own results (the workers share the output disk)
    writes_in_worker: bool

    def imap(self, job: ChunkJob, chunks: Iterable[int]) -> Iterator[Outcome]:
        """Run ``job(k)`` for every chunk ``k``; yield outcomes as they complete (one
        :class:`TaskDone` for a task of several chunks)."""
        ...

    def describe(self) -> str:
        """A short description for the manifest and the terminal."""
        ...

    def close(self) -> None:
        """Release workers and clusters this executor started."""
        ...


def default_workers() -> int:
    """All cores this process may use."""
    return usable_cores()


class InProcessExecutor:
    """Chunks one after another in this process (``--workers 1``).

    When the job writes its chunks (:attr:`ChunkJob.bundles`), chunk ``k``'s summary, its
    writing (its samples part and partial summary) and the merging of its summary into its
    task's :class:`~clustersim.sweep.partial.Bundle` run on one helper thread while this
    thread compiles and projects chunk ``k + 1``, and so do the draws (quantiles and inverse
    CDFs) of chunk ``k + 2``: the summary's and draws' compiled loops, Parquet's encoding
    and the compiled sketch merge release the GIL, so a second core does them. When the
    samples are stored (``job.ships``), writing their Parquet parts is the work of two
    helpers (two chunks at a time; the one that writes the last chunk of a samples part
    writes the part) and the draws and summary stay on this thread. Tasks are
    :func:`tasks` of :data:`TASK_CHUNKS` chunks, as a pool's, and the results are the same
    bits as chunk by chunk. At most ``depth`` evaluated chunks (and, with samples parts of
    several chunks, a part's more) wait for the writer, so memory stays bounded; an error on the
    writer is raised here, and on any exit the write under way is finished (each file is
    written atomically either way). ``depth=0``: no writer thread, each chunk evaluated,
    summarised and written in turn on this thread (one core).
    """

    name = "in-process"
    writes_in_worker = True

    def __init__(self, depth: int = 2) -> None:
        self.depth = depth

    def imap(self, job: ChunkJob, chunks: Iterable[int]) -> Iterator[Outcome]:
        if not job.bundles or self.depth < 1:  # chunk by chunk on this thread
            for k in chunks:
                yield job(k)
            return
        # Writing a chunk's samples (Parquet) is most of the helpers' work when they are
        # stored: this thread then draws and summarises, and two helpers write (Parquet's
        # encoding releases the GIL; the parts and bundles are the same). Else one helper
        # summarises, writes and bundles, the next chunk's draws queued behind the writes
        # (in order).
        light = not job.ships
        # two writers hold two chunks' tables at once: not with trajectories (~50 MB each)
        helpers = 1 if light or job.trajectories else 2
        pending: deque[tuple[Future[TaskDone | ChunkDone | None], bool]] = deque()
        failed = threading.Event()  # a write failed: the writers write nothing after it
        writer = ThreadPoolExecutor(helpers, thread_name_prefix="clustersim-writer")
        order = list(chunks)
        ahead: dict[int, Future[Draws]] = {}
        if order and light:
            ahead[order[0]] = writer.submit(job.draw, order[0])
        at = 0
        written: list[ChunkDone] = []  # the current task's chunks, written by two helpers
        # chunks waiting for a helper; with samples parts of several chunks, also the next
        # part's while the last chunk of a part writes the whole of it (the others' writes
        # only hold their tables): without them this thread would wait for that write
        bound = self.depth + helpers - 1 + (job.group - 1)

        def collect() -> TaskDone | None:
            fut, last = pending.popleft()
            got = fut.result()
            if not isinstance(got, ChunkDone):
                return got
            written.append(got)
            if not last:
                return None
            task = _task_done(written)
            written.clear()
            return task

        try:
            for run in tasks(order, TASK_CHUNKS):
                done: list[ChunkDone] | None = [] if light else None
                for i, k in enumerate(run):
                    at += 1
                    if light and at < len(order):
                        ahead[order[at]] = writer.submit(job.draw, order[at])
                    drawn = ahead.pop(k).result() if light else None
                    res = job.evaluate(k, summarise=not light, draws=drawn)
                    last = i == len(run) - 1
                    fut = writer.submit(_write_chunk, job, res, done, last, failed)
                    pending.append((fut, last))
                    while len(pending) > bound or (pending and pending[0][0].done()):
                        got = collect()
                        if got is not None:
                            yield got
            while pending:
                got = collect()
                if got is not None:
                    yield got
        finally:
            for f, _ in pending:
                f.cancel()  # not started: nothing of it is on disk
            for d in ahead.values():
                d.cancel()
            writer.shutdown(wait=True)

    def describe(self) -> str:
        return "in-process"

    def close(self) -> None:
        pass


def _write_chunk(
    job: ChunkJob,
    res: ChunkResult,
    done: list[ChunkDone] | None,
    last: bool,
    failed: threading.Event,
) -> TaskDone | ChunkDone | None:
    """On a writer thread: summarise (unless done) and write ``res``. With ``done`` (one
    writer, chunks in order) the task's :class:`TaskDone` after its last chunk, else None;
    without, the chunk's :class:`ChunkDone`. Nothing once an earlier write has failed
    (``failed``)."""
    if failed.is_set():
        raise ClusterSimError(f"chunk {res.chunk}: not written, an earlier chunk's write failed")
    try:
        got = job.finish(res if res.partial is not None else job.summarise(res))
    except BaseException:
        failed.set()
        raise
    assert isinstance(got, ChunkDone) and got.partial is not None
    if done is None:
        return got
    done.append(got)
    return _task_done(done) if last else None


def _task_done(done: list[ChunkDone]) -> TaskDone:
    """One message for a task's consecutive chunks, their partials bundled."""
    return TaskDone(
        chunks=tuple(o.chunk for o in done),
        rows=tuple(o.rows for o in done),
        seconds=tuple(o.seconds for o in done),
        nbytes=sum(o.nbytes for o in done),
        bundle=bundle(done[0].chunk, [o.partial for o in done if o.partial is not None]),
    )


# --- local process pool -------------------------------------------------------------------------

_JOB: ChunkJob | None = None


def _init_worker(job: ChunkJob) -> None:
    global _JOB
    _JOB = job


def _run_in_worker(chunks: tuple[int, ...]) -> list[ChunkResult | ChunkDone] | TaskDone:
    assert _JOB is not None, "worker not initialised"
    return _JOB.task(chunks)


def _flat(got: list[ChunkResult | ChunkDone] | TaskDone) -> Iterator[Outcome]:
    if isinstance(got, list):
        yield from got
    else:
        yield got


def start_method() -> str:
    """How :class:`LocalPoolExecutor` starts its workers here: ``fork`` or ``spawn``.

    ``fork`` when this is Linux and the process runs no other Python thread; else
    ``spawn``. A forked worker starts in milliseconds with everything the parent has
    imported and compiled (NumPy, the engine, the scenario's numba kernel, loaded by the
    pilot chunk), where a spawned one imports and loads them again: about 1.5-3 s of CPU
    per worker on this project's 2-core machine, which alone kept two workers near 1.2x one
    process on a 10^6-sample sweep. A process that runs threads of its own (a notebook's
    kernel, a Dask client's event loop) might fork while one of them holds a lock, so it
    gets ``spawn``. The threads Arrow and jemalloc start at import are not Python threads;
    both re-initialise themselves in a forked child (``pthread_atfork``).
    ``CLUSTERSIM_START_METHOD=spawn`` (or ``fork``) overrides the choice.
    """
    import multiprocessing as mp
    import sys
    import threading

    forced = os.environ.get("CLUSTERSIM_START_METHOD", "").strip().lower()
    methods = mp.get_all_start_methods()
    if forced in methods:
        return forced
    if sys.platform == "linux" and "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "spawn"


class LocalPoolExecutor:
    """A pool of ``workers`` local processes (the default: one per core).

    The job (plan and sink) is sent once per worker; tasks carry only chunk indices (up to
    :data:`TASK_CHUNKS` consecutive ones when the job :attr:`~ChunkJob.bundles`, fewer
    toward the end: :func:`tasks`), and at most ``2 * workers`` tasks are in flight.
    Workers are forked when that is safe and spawned otherwise (:func:`start_method`);
    either way each evaluates its chunks from the plan and the chunk's seed, so the results
    are the same bits.

    Parameters
    ----------
    workers : int, optional
    method : {"fork", "spawn", "forkserver"}, optional
        Override :func:`start_method`.
    """

    name = "processes"
    writes_in_worker = True

    def __init__(self, workers: int | None = None, method: str | None = None) -> None:
        self.workers = workers or default_workers()
        self.method = method
        #: the start method of the last pool (set by :meth:`imap`)
        self.started_with: str | None = None
        self._pool: ProcessPoolExecutor | None = None

    def imap(self, job: ChunkJob, chunks: Iterable[int]) -> Iterator[Outcome]:
        import multiprocessing as mp
        import warnings

        todo = list(chunks)
        batches = tasks(todo, TASK_CHUNKS if job.bundles else 1, self.workers, job.group)

        method = self.method or start_method()
        self.started_with = method
        with warnings.catch_warnings():
            # Python >= 3.12 warns on fork when the OS reports more than one thread; the only
            # ones start_method() lets through are Arrow's and jemalloc's (fork-safe, above)
            warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks")
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=mp.get_context(method),
                initializer=_init_worker,
                initargs=(job,),
            )
            # a fork pool starts every worker at the first submit: inside the filter
            it = iter(batches)
            first = next(it, None)
            pending = [] if first is None else [self._pool.submit(_run_in_worker, first)]
        for got in _bounded(self._pool.submit, _run_in_worker, it, 2 * self.workers, pending):
            yield from _flat(got)

    def describe(self) -> str:
        return f"processes ({self.workers} workers)"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _bounded(
    submit: Callable[..., Future[Any]],
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    inflight: int,
    started: Iterable[Future[Any]] = (),
) -> Iterator[Any]:
    it = iter(items)
    pending: set[Future[Any]] = set(started)
    for k in it if len(pending) < inflight else ():
        pending.add(submit(fn, k))
        if len(pending) >= inflight:
            break
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for f in done:
            yield f.result()
            nxt = next(it, None)
            if nxt is not None:
                pending.add(submit(fn, nxt))


# --- Dask distributed ---------------------------------------------------------------------------


def _run_dask(job: ChunkJob, chunks: tuple[int, ...]) -> list[ChunkResult | ChunkDone] | TaskDone:
    return job.task(chunks)


def _prepare_worker(plan: SweepPlan, engine: str) -> int:
    """Evaluate the head of chunk 0 (at most 64 samples) on this worker: its scenario
    compiler's structure and the engine's kernel for this plan are then ready (what a
    forked pool worker inherits from the parent's pilot chunk)."""
    start, stop = plan.bounds(0)
    return evaluate_rows(plan, 0, start, min(stop, start + 64), engine=engine).n


#: the monitoring intervals of a local Dask cluster started here (Dask's defaults: 20 ms,
#: 500 ms, 100 ms), what its servers do when no chunk runs (:class:`DaskExecutor`)
LOCAL_INTERVALS = {
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}

#: chunks per Dask task when only summaries travel back but the worker does not write them
#: (a remote cluster: this process writes each chunk's partial, so each travels back on its
#: own); a local cluster's workers write their chunks and bundle up to
#: :data:`DASK_TASK_CHUNKS`
DASK_BATCH = 4
#: chunks per Dask task when the local cluster's workers write their chunks and bundle the
#: summaries: a task costs Dask CPU in this process (the scheduler, the comms) and in the
#: worker's event loop beside the chunks, on the same cores; 32 instead of a pool's
#: :data:`TASK_CHUNKS` took this process's event loop from 0.27-0.34 to 0.17-0.19 s of CPU
#: in a 10^6-sample sweep (the tasks still shrink toward the end: :func:`tasks`)
DASK_TASK_CHUNKS = 32


def warm_worker() -> None:
    """Import what evaluating a chunk needs (the sweep, the compiler, the engines' draws).

    A local Dask cluster's workers are fresh interpreters; run on each when the cluster
    starts, this moves their imports (about 1.5 s of CPU each, numba's the largest) out of
    the first chunks of every sweep.
    """
    import numpy as np

    import clustersim.sweep.evaluate  # noqa: F401  (the compiler and the NumPy engine)
    from clustersim.engines import ENGINES

    for engine in ENGINES.values():
        if engine.available():
            ndtri = engine.inverse_normal()
            if ndtri is not None:  # numba's compiled draws, loaded from its cache
                ndtri(np.full(2, 0.5))
                from clustersim.accel import draws

                draws.warm()  # and the rest of them: streams, inverse CDFs, stacking


class DaskExecutor:
    """Chunks on a Dask cluster (``pip install 'clustersim[dask]'``).

    Parameters
    ----------
    address : str or None
        A scheduler address (``tcp://host:8786``), ``"local"`` for a
        :class:`distributed.LocalCluster` started here and closed afterwards, or None
        when ``client`` is given.
    client : distributed.Client, optional
        An existing client (its cluster is left running).
    workers : int, optional
        Workers of a local cluster (default: one per core).

    Notes
    -----
    On a remote cluster the samples travel back to this process, which writes them, so the
    workers need not share the output directory's disk; on ``"local"`` the workers write
    their own parts and send back one bundle of summaries per task of up to
    :data:`DASK_TASK_CHUNKS` chunks. Either way only the plan and chunk indices go out (draws are
    made on the worker from the chunk's seed), and a summary-only sweep ships back only
    partials.
    """

    name = "dask"
    writes_in_worker = False

    def __init__(
        self, address: str | None = None, *, client: Any = None, workers: int | None = None
    ) -> None:
        try:
            import distributed as _distributed
        except ImportError as exc:
            raise ClusterSimError(
                "--dask needs dask.distributed: pip install 'clustersim[dask]'"
            ) from exc
        distributed: Any = _distributed  # untyped package
        self._own: list[Any] = []
        self._prepared: list[Any] = []
        self.batch = DASK_BATCH
        # a local cluster shares this machine's disk: its workers write their own parts, so
        # only chunk summaries travel back (as in the process pool)
        self.writes_in_worker = address == "local"
        if client is not None:
            self.client = client
        elif address == "local":
            import dask

            # A worker's statistical profiler samples its threads every 10 ms (for the
            # dashboard this cluster does not start): CPU the chunks' evaluation could use.
            # The nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which turns off
            # glibc's adaptive mmap threshold: every array over 128 KB (a chunk has
            # hundreds) is then a fresh mmap whose pages fault in zeroed, and the workers
            # spent about 1.7x the CPU of the same chunks in a pool. Keep the rest. (Each
            # worker's first chunk then raises both thresholds further, as any process's:
            # clustersim.malloc.keep_freed_memory; that call is what a remote cluster's
            # workers, started by someone else's nanny, get.)
            #
            # Each server (the scheduler, the nannies here, the workers) also wakes every
            # 20 ms to check that its event loop is not blocked, the nannies and workers
            # read their memory every 100 ms and every server samples the system's CPU and
            # memory every 500 ms for the dashboard's charts: an idle 2-worker cluster used
            # 4.1% of a core in this process and 2% in each worker, 0.8% and 0.3% with the
            # intervals below (benchmarks/README.md). A worker past its memory limit is
            # still stopped, within a second.
            environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
            environ.pop("MALLOC_TRIM_THRESHOLD_", None)
            with dask.config.set(
                {
                    "distributed.worker.profile.enabled": False,
                    "distributed.nanny.pre-spawn-environ": environ,
                    **LOCAL_INTERVALS,
                }
            ):
                cluster = distributed.LocalCluster(
                    n_workers=workers or default_workers(),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            self.client = distributed.Client(cluster)
            self._own = [self.client, cluster]
            self.client.run(warm_worker)
        elif address:
            try:
                self.client = distributed.Client(address, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise ClusterSimError(
                    f"--dask {address}: cannot reach the scheduler: {exc}"
                ) from exc
            self._own = [self.client]
        else:
            raise ClusterSimError("--dask needs a scheduler address or 'local'")

    def prepare(self, plan: SweepPlan, engine: str) -> None:
        """Start every worker on this plan's compile structure and kernel now, without
        waiting (the parent fixes the factors' bins meanwhile); their first chunks then
        start ready, as a forked pool worker's do. Only on a cluster started here: a
        user's cluster may have other work queued."""
        if self.writes_in_worker:  # a local cluster
            workers = list(self.client.scheduler_info().get("workers", {}))
            self._prepared = [
                self.client.submit(
                    _prepare_worker,
                    plan,
                    engine,
                    workers=[w],
                    allow_other_workers=False,
                    pure=False,
                )
                for w in workers
            ]

    def imap(self, job: ChunkJob, chunks: Iterable[int]) -> Iterator[Outcome]:
        import distributed

        as_completed: Any = distributed.as_completed
        client = self.client
        [job_f] = client.scatter([job], broadcast=True, hash=False)
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        todo = list(chunks)
        # a task of a few consecutive chunks when each returns only its summary (a few
        # kilobytes to a megabyte; one bundle for them all when the worker wrote them);
        # one chunk per task when samples travel back
        if job.bundles:
            batches = tasks(todo, DASK_TASK_CHUNKS, n_workers, job.group)
        else:
            per = 1 if job.ships else max(1, min(self.batch, len(todo) // (4 * n_workers)))
            batches = tasks(todo, per)
        it = iter(batches)
        first = [client.submit(_run_dask, job_f, b, pure=False) for b in islice(it, 2 * n_workers)]
        ac = as_completed(first)
        try:
            for fut in ac:
                yield from _flat(fut.result())
                fut.release()
                nxt = next(it, None)
                if nxt is not None:
                    ac.add(client.submit(_run_dask, job_f, nxt, pure=False))
        finally:
            for fut in list(getattr(ac, "futures", ())):
                fut.cancel()
            job_f.release()

    def describe(self) -> str:
        n = len(self.client.scheduler_info().get("workers", {}))
        return f"dask ({self.client.scheduler.address}, {n} workers)"

    def close(self) -> None:
        for fut in self._prepared:
            fut.release()
        self._prepared = []
        for obj in self._own:
            obj.close()
        self._own = []


#: name -> factory taking the keyword options of :func:`make_executor`; a new executor is
#: one class and one entry here
EXECUTORS: dict[str, Callable[..., Executor]] = {
    "in-process": lambda **kw: InProcessExecutor(),
    "processes": lambda **kw: LocalPoolExecutor(kw.get("workers")),
    "dask": lambda **kw: DaskExecutor(
        kw.get("dask"), client=kw.get("client"), workers=kw.get("workers")
    ),
}


def make_executor(
    *, workers: int | None = None, dask: str | None = None, client: Any = None
) -> Executor:
    """The executor for the command-line options.

    ``dask`` (an address or ``"local"``) or ``client`` gives a :class:`DaskExecutor`;
    otherwise ``workers == 1`` runs in process and anything else (default: all cores) in
    a local process pool.
    """
    n = workers or default_workers()
    if n < 1:
        raise ClusterSimError(f"--workers must be >= 1, got {n}")
    if dask is not None or client is not None:
        name = "dask"
    else:
        name = "in-process" if n == 1 else "processes"
    return EXECUTORS[name](
        workers=n if workers or name != "dask" else None, dask=dask, client=client
    )
