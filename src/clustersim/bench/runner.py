"""Measure the projection workloads against a machine reference measured in the same run.

A workload's speed is reported in cluster-years per second (samples x clusters x years
projected per second) and, for comparisons across machines and loads, *normalised*: divided
by the element rate of a fixed NumPy streaming kernel with the same memory footprint,
measured in the same process just before. A slower or busier machine slows both, so the
ratio moves only when the code does.
"""

from __future__ import annotations

import gc
import json
import math
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clustersim.bench.workloads import synthetic_scenario
from clustersim.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from clustersim.compile import RatesLayout

__all__ = [
    "KINDS",
    "QUICK",
    "BaselineError",
    "Comparison",
    "Measurement",
    "Workload",
    "compare",
    "full_suite",
    "measure",
    "reference_rate",
    "run_suite",
]

KINDS = (
    "plain_run",
    "sweep_targets",
    "core_targets",
    "sweep_trajectories",
    "target_eval",
    "parquet_write",
)


@dataclass(frozen=True)
class Workload:
    """One benchmark: a kind of work on a synthetic scenario of a given size."""

    kind: str
    samples: int
    clusters: int
    years: int
    engine: str = "numpy"
    #: the scenario's variant with yearly growth shocks, a shared factor and a copula
    #: (:func:`~clustersim.bench.workloads.synthetic_scenario`, issue 15)
    shocks: bool = False

    @property
    def name(self) -> str:
        tail = "" if self.engine == "numpy" else f"/{self.engine}"
        if self.shocks:
            tail += "/shocks"
        return f"{self.kind}/S{self.samples}/C{self.clusters}/T{self.years}{tail}"

    @property
    def cluster_years(self) -> int:
        return self.samples * self.clusters * self.years


@dataclass
class Measurement:
    """What ``clustersim bench --json`` reports per workload."""

    name: str
    engine: str
    samples: int
    clusters: int
    years: int
    cluster_years_per_s: float
    peak_mb: float
    normalised: float
    seconds: float
    reference_elements_per_s: float = 0.0  # the reference this workload is normalised by


def _accel() -> tuple[Workload, ...]:
    from clustersim.engines import ENGINES

    if not ENGINES["numba"].available():
        return ()
    return (
        Workload("sweep_targets", 100_000, 20, 12, "numba"),
        Workload("core_targets", 100_000, 20, 12, "numba"),
        Workload("core_targets", 100_000, 20, 12, "numba", shocks=True),
    )


#: the quick set, run by CI after the tests (well under a minute on 2 cores)
QUICK: tuple[Workload, ...] = (
    Workload("plain_run", 1, 20, 12),
    Workload("sweep_targets", 100_000, 20, 12),
    Workload("core_targets", 100_000, 20, 12),
    # issue 15: the same scenario with yearly shocks, a shared factor and a copula
    Workload("core_targets", 100_000, 20, 12, shocks=True),
    *_accel(),
    Workload("sweep_trajectories", 10_000, 20, 12),
    Workload("target_eval", 10_000, 20, 12),
    Workload("parquet_write", 1_000, 20, 12),
)


def full_suite() -> list[Workload]:
    """The issue's grid, S in {1, 1e3, 1e5, 1e6} x C in {20, 200} x T in {12, 30}, per kind,
    less the sizes that keep more than ~4e8 values (trajectories, tables) in memory."""
    out = []
    for kind in KINDS:
        for s in (1, 1_000, 100_000, 1_000_000):
            for c in (20, 200):
                for t in (12, 30):
                    w = Workload(kind, s, c, t)
                    keeps = kind in ("plain_run", "sweep_trajectories", "target_eval")
                    if keeps and w.cluster_years > 4e8 // 8:
                        continue
                    if kind == "parquet_write" and w.cluster_years > 2e7:
                        continue
                    if kind == "core_targets" and s * c > 2e7:  # keeps the drawn samples
                        continue
                    out.append(w)
                    if kind in ("sweep_targets", "core_targets") and _accel():
                        out.append(Workload(kind, s, c, t, "numba"))
    return out


# --- the reference ------------------------------------------------------------------------------


def reference_rate(n_elements: int = 2048 * 20 * 12, min_time: float = 0.2) -> float:
    """Elements per second of a fixed streaming kernel, ``c = a * b + c`` in place.

    ``n_elements`` float64 per array sets the memory footprint (default: one block of
    the blocked core, ``(T, B, C)`` for 20 clusters and 12 years).
    """
    rng = np.random.default_rng(0)
    a = rng.random(n_elements)
    b = rng.random(n_elements)
    c = np.zeros(n_elements)
    tmp = np.empty(n_elements)
    best = math.inf
    deadline = time.perf_counter() + min_time
    reps = max(1, int(2e6 // n_elements))
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            np.multiply(a, b, out=tmp)
            np.add(c, tmp, out=c)
        best = min(best, (time.perf_counter() - t0) / reps)
        if time.perf_counter() > deadline:
            break
    return n_elements / best


# --- the workloads ------------------------------------------------------------------------------


def _prepare(w: Workload, rates_layout: RatesLayout | None = None) -> Callable[[], Any]:
    """A function doing the workload's work once (setup done outside it).

    ``rates_layout`` overrides the engine's layout of shocked rates in ``core_targets``
    (``benchmarks/shocks_cost.py`` compares the numba kernel on both)."""
    from clustersim.compile import compile_scenario
    from clustersim.core.project import project
    from clustersim.core.targets import evaluate_target
    from clustersim.engine import run_compiled, run_targets
    from clustersim.engines import get_engine
    from clustersim.engines.projection import frame_of

    sc = synthetic_scenario(w.clusters, w.years, shocks=w.shocks)
    if w.kind == "plain_run":
        return lambda: run_compiled(compile_scenario(sc, samples=w.samples, seed=1), required=False)
    if w.kind == "sweep_targets":
        met: dict[str, int] = {}

        def count(start: int, outs: dict[str, Any]) -> None:  # a sweep's reduction: P(met)
            for tid, o in outs.items():
                met[tid] = met.get(tid, 0) + int(o.met.sum())

        return lambda: run_targets(sc, samples=w.samples, seed=1, sink=count, engine=w.engine)
    if w.kind == "core_targets":
        # the projection core alone: project and evaluate every target of samples drawn
        # beforehand, in chunks as a sweep does (sweep_targets adds the drawing)
        # (drawn as a sweep with this engine draws them: its shocked rates' memory layout)
        engine = get_engine(w.engine)
        chunk = min(w.samples, 65_536)
        comps = [
            compile_scenario(
                sc,
                samples=min(chunk, w.samples - a),
                seed=1,
                offset=a,
                draw=True,
                rates_layout=rates_layout or engine.rates_layout(),
            )
            for a in range(0, w.samples, chunk)
        ]
        from clustersim.core.targets import result_buffers

        n_t = len(comps[0].targets)
        bufs = dict(zip(("value", "margin", "met"), result_buffers(n_t, chunk), strict=True))

        def core() -> None:  # a sweep's chunks, written into one set of result buffers
            for c in comps:
                engine.evaluate(c, out=bufs)

        return core
    if w.kind == "sweep_trajectories":
        chunk = max(1, min(w.samples, 2_000_000 // (w.clusters * w.years)))

        def trajectories() -> None:
            for start in range(0, w.samples, chunk):
                n = min(chunk, w.samples - start)
                comp = compile_scenario(sc, samples=n, seed=1, offset=start, draw=w.samples > 1)
                run_compiled(comp, required=False)

        return trajectories
    if w.kind == "target_eval":
        comp = compile_scenario(sc, samples=w.samples, seed=1)
        frame = frame_of(comp, project(comp.model))
        specs = [ct.spec for ct in comp.targets.values()]
        return lambda: [evaluate_target(s, frame) for s in specs]
    if w.kind == "parquet_write":
        from clustersim.io.tables import write_result

        res = run_compiled(compile_scenario(sc, samples=w.samples, seed=1), required=False)
        tmp = Path(tempfile.mkdtemp(prefix="clustersim-bench-"))
        return lambda: write_result(res, tmp, "parquet")
    raise ValueError(f"unknown workload kind {w.kind!r}; known: {', '.join(KINDS)}")


def measure(
    w: Workload, reference: float, *, min_time: float = 0.6, repeats: int = 5
) -> Measurement:
    """Best-of-``repeats`` time (at least ``min_time`` in all) and traced peak memory.

    The best time is the one least disturbed by other load on the machine.
    """
    fn = _prepare(w)
    fn()  # warm up: imports, caches
    times: list[float] = []
    deadline = time.perf_counter() + min_time
    while len(times) < repeats or time.perf_counter() < deadline:
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= 50:
            break
    best = min(times)
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    rate = w.cluster_years / best
    return Measurement(
        name=w.name,
        engine=w.engine,
        samples=w.samples,
        clusters=w.clusters,
        years=w.years,
        cluster_years_per_s=rate,
        peak_mb=peak,
        normalised=rate / reference,
        seconds=best,
        reference_elements_per_s=reference,
    )


def run_suite(
    workloads: Iterable[Workload],
    *,
    progress: Callable[[str], None] | None = None,
    min_time: float = 0.6,
) -> dict[str, Any]:
    """Measure the reference, then each workload; the ``bench --json`` document.

    Each workload is normalised by the reference measured right before it, so a change of
    machine state between workloads (clock frequency, a neighbour's load) moves both.
    """
    ref = reference_rate(min_time=0.5)
    results = []
    for w in workloads:
        if progress:
            progress(w.name)
        local = reference_rate(min_time=0.15)
        results.append(asdict(measure(w, local, min_time=min_time)))
    return {
        "reference": {"kernel": "c += a * b (float64, 491,520 elements)", "elements_per_s": ref},
        "workloads": results,
    }


# --- comparison against a baseline --------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    name: str
    baseline: float
    current: float

    @property
    def ratio(self) -> float:
        """current / baseline of the normalised figure (below 1: slower)."""
        return self.current / self.baseline if self.baseline > 0 else math.inf


def compare(
    current: dict[str, Any], baseline: dict[str, Any], max_slowdown: float
) -> tuple[list[Comparison], list[Comparison]]:
    """Pair workloads by name; return (all comparisons, those slower than allowed).

    A workload is a regression when its normalised figure falls below
    ``baseline / max_slowdown``. Workloads present on one side only are skipped.
    """
    if max_slowdown < 1.0:
        raise ValueError(f"max_slowdown must be >= 1, got {max_slowdown}")
    base = {w["name"]: float(w["normalised"]) for w in baseline.get("workloads", [])}
    rows = [
        Comparison(w["name"], base[w["name"]], float(w["normalised"]))
        for w in current.get("workloads", [])
        if w["name"] in base
    ]
    slow = [c for c in rows if c.current < c.baseline / max_slowdown]
    return rows, slow


class BaselineError(ScenarioError, ValueError):
    """A ``--compare`` baseline that cannot be read, said in both languages."""


def _baseline_error(p: Path, key: str, line: int | None = None, **fmt: object) -> BaselineError:
    from clustersim.i18n import msg

    text = msg(key, **fmt)
    return BaselineError(Problem(text.en, text.zh, file=str(p), line=line))


def load_report(path: str | Path) -> dict[str, Any]:
    """A ``bench --json`` document from a file, checked for the keys :func:`compare` reads.

    Raises
    ------
    BaselineError
        (a ``ValueError`` and a :class:`~clustersim.errors.ScenarioError`) naming the file.
    """
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise _baseline_error(p, "bench_not_found") from exc
    except json.JSONDecodeError as exc:
        raise _baseline_error(p, "bench_not_json", exc.lineno, detail=exc.msg) from exc
    ws = doc.get("workloads") if isinstance(doc, dict) else None
    if not isinstance(ws, list) or not all(
        isinstance(w, dict) and "name" in w and isinstance(w.get("normalised"), int | float)
        for w in ws
    ):
        raise _baseline_error(p, "bench_bad_shape")
    out: dict[str, Any] = doc
    return out


def summarise(runs: Sequence[dict[str, Any]]) -> dict[str, tuple[float, float, float]]:
    """Per workload: (min, median, max) of the normalised figure over several runs."""
    by: dict[str, list[float]] = {}
    for r in runs:
        for w in r["workloads"]:
            by.setdefault(w["name"], []).append(float(w["normalised"]))
    return {k: (min(v), float(np.median(v)), max(v)) for k, v in by.items()}
