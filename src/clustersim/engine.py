"""Run a scenario: compile, project, check targets, find the growth each target needs."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math
import os
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from clustersim.compile import (
    Compiled,
    CompiledTarget,
    Lever,
    RatesLayout,
    ScenarioCompiler,
    compile_scenario,
)
from clustersim.core import expr as ex
from clustersim.core.model import Compound, Elastic, Model, StockFlow, Whole
from clustersim.core.project import project
from clustersim.core.targets import Bound, Outcome, evaluate_target, result_buffers
from clustersim.engines import get_engine, resolve_engine
from clustersim.engines.projection import frame_of, project_all
from clustersim.errors import ModelError, ScenarioError
from clustersim.kinds.growth.base import RATE_LO
from clustersim.malloc import keep_freed_memory
from clustersim.results import Result, TargetResult
from clustersim.sampling import InverseNormal
from clustersim.scenario.models import Scenario

if TYPE_CHECKING:
    from concurrent.futures import Future

    from clustersim.engines.base import Buffers

__all__ = [
    "lever_levels",
    "required_growth",
    "required_growths",
    "run",
    "run_compiled",
    "run_targets",
]

Array = NDArray[np.float64]
#: rates scanned for a bracket before the vectorised search refines it
#: candidate rates per refinement round of the required-growth search
REFINE = 64
RATE_GRID = (
    -0.5,
    -0.3,
    -0.2,
    -0.1,
    -0.05,
    0.0,
    0.02,
    0.05,
    0.08,
    0.12,
    0.2,
    0.3,
    0.5,
    0.75,
    1.0,
    1.5,
    2.0,
)


def run_compiled(comp: Compiled, *, required: bool = True, point: Compiled | None = None) -> Result:
    """Project a compiled scenario, keep every series and check its targets.

    ``required`` also finds the growth each target needs (from ``point``, the central
    scenario, when given).
    """
    projected = project_all(comp)
    targets = []
    base = point if point is not None else comp
    for tid, ct in comp.targets.items():
        o = projected.outcomes[tid]
        t = ct.model
        levers = required_growths(base, base.targets[tid]) if required else []
        targets.append(
            TargetResult(
                id=tid,
                label=t.label,
                kind=ct.spec.kind,
                year=ct.spec.year,
                bound=ct.spec.bound,
                tiers=ct.spec.tiers,
                value=o.value,
                margin=o.margin,
                met=o.met,
                source=t.source,
                required_growth=(levers[0] if levers else None) if required else None,
                detail=o.detail,
                start=ct.spec.start,
                required_levers=levers if len(levers) > 1 else [],
                strength=t.strength,
                joint=t.joint,
                integer=type(t).integer or _whole_metric(comp, ct.spec.metric),
            )
        )
    sc = comp.scenario
    return Result(
        sc.id,
        comp.model.years,
        comp.model.clusters,
        comp.model.samples,
        projected.series,
        targets,
        comp.seed,
        comp,
    )


#: a run keeps every series of every sample; above this many bytes it is refused
MAX_RUN_BYTES = 6 * 2**30


def run_bytes(scenario: Scenario, samples: int) -> int:
    """Estimated memory of :func:`run`'s trajectories: every series, every sample, float64."""
    years = scenario.end_year - scenario.base_year + 1
    clusters = len(scenario.clusters)
    # up to 10 cluster series (output, ratios, value added, R&D, energy, firms...) and the
    # region series, derived totals, indicators and metrics
    region = 12 + 2 * len(scenario.indicators) + len(scenario.metrics)
    return samples * years * 8 * (10 * clusters + region)


def _check_size(scenario: Scenario, samples: int) -> None:
    need = run_bytes(scenario, samples)
    if need > MAX_RUN_BYTES:
        raise ModelError(
            f"{samples:,} samples of {scenario.id} would keep about {need / 2**30:.1f} GiB of "
            f"trajectories in memory (limit {MAX_RUN_BYTES / 2**30:.0f} GiB); use `clustersim sweep` "
            "(streams chunks to disk) or run_targets() (targets only, flat memory), or fewer samples"
        )


def run(
    scenario: Scenario,
    *,
    samples: int = 1,
    seed: int | None = None,
    required: bool = True,
    point: Compiled | None = None,
) -> Result:
    """Project ``scenario`` year by year and check its targets.

    Parameters
    ----------
    scenario : Scenario
        From :func:`clustersim.load_scenario`.
    samples : int, default 1
        Monte Carlo samples of every uncertain number; 1 uses central values.
    seed : int, optional
        Root seed for the draws; the same seed gives the same numbers.
    required : bool, default True
        Also find, per target, the constant growth rate that would just meet it
        (computed on the central-value scenario).
    point : Compiled, optional
        ``scenario`` already compiled for one sample (central values), to reuse instead of
        compiling it again (:func:`clustersim.api.load_and_run` compiles it once to count
        the uncertain numbers; the audit reuses it too).

    Returns
    -------
    Result
    """
    _check_size(scenario, samples)
    if samples == 1 and point is not None:
        # a one-sample compile draws nothing: only the recorded seed can differ
        comp = point if point.seed == seed else dataclasses.replace(point, seed=seed)
    else:
        comp = compile_scenario(scenario, samples=samples, seed=seed)
    if samples == 1:
        point = comp
    elif required and point is None:
        point = compile_scenario(scenario, samples=1)
    return run_compiled(comp, required=required, point=point)


def _whole_metric(comp: Compiled, metric: ex.Expr) -> bool:
    """The metric is an ``integer: true`` indicator itself: its values are whole numbers,
    so its median and percentiles are sample values (never 2.5 clusters)."""
    return (
        isinstance(metric, ex.Name)
        and metric.id in comp.model.names
        and isinstance(comp.model.op(metric.id), Whole)
    )


# --- required growth --------------------------------------------------------------------------


def with_lever(
    model: Model, lever: Lever, rate: float | Array, *, from_year: int | None = None
) -> Model:
    """A copy of a one-sample ``model`` where the lever series grows at ``rate``.

    ``rate`` may be an array of R candidate rates: the copy then has R samples, one per
    rate, so a single vectorised projection evaluates all of them. Elasticity is removed
    where the lever applies.

    With ``from_year`` after the base year, the lever keeps the scenario's own path up to
    that year (its projected annual growth, elasticities included, becomes a fixed rate)
    and grows at ``rate`` after it.
    """
    op = model.op(lever.series)
    r = np.atleast_1d(np.asarray(rate, dtype=np.float64))
    n = len(r)
    k = 0 if from_year is None else from_year - int(model.years[0])
    if isinstance(op, StockFlow):
        return _with_stock_rate(model, op, lever, r, k)
    assert isinstance(op, Compound)
    if k > 0:
        return _with_lever_from(model, op, lever, r, k)
    if not op.cluster:
        new = dataclasses.replace(op, rates=r[:, None], elastic=())
    elif lever.clusters is None:
        rates = np.repeat(r[:, None, None], len(model.clusters), axis=1)
        new = dataclasses.replace(op, rates=rates, elastic=())
    else:
        sel = list(lever.clusters)
        rates = np.array(np.broadcast_to(op.rates, (n, *op.rates.shape[1:])))
        rates[:, sel, :] = r[:, None, None]
        elastic = []
        for e in op.elastic:
            arr = np.array(np.broadcast_to(e.elasticity, (n, *e.elasticity.shape[1:])))
            arr[:, sel] = 0.0
            elastic.append(Elastic(e.source, arr))
        new = dataclasses.replace(op, rates=rates, elastic=tuple(elastic))
    return model.with_op(new, n)


def _with_stock_rate(model: Model, op: StockFlow, lever: Lever, r: Array, k: int) -> Model:
    """:func:`with_lever` for a stock's own rate (firms with their own ``growth:``): the
    stock's rates of the lever's clusters become ``r`` after year index ``k``; the inflow
    and exits stay as they are."""
    assert op.rates is not None and op.cluster
    n = len(r)
    rates = np.array(np.broadcast_to(op.rates, (n, *op.rates.shape[1:-1], model.n_years)))
    sel = slice(None) if lever.clusters is None else list(lever.clusters)
    rates[:, sel, k + 1 :] = r[:, None, None]
    new = dataclasses.replace(op, rates=rates)
    return model.with_op(new, n)


def _with_lever_from(model: Model, op: Compound, lever: Lever, r: Array, k: int) -> Model:
    """:func:`with_lever` from year index ``k``: the scenario's own growth through ``k``."""
    own = project(model, need=[op.name])[op.name]  # (1, T) or (1, C, T)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = own[..., 1:] / own[..., :-1] - 1.0
    past = np.concatenate([np.zeros((*g.shape[:-1], 1)), g], axis=-1)[0]  # ([C,] T)
    rates = np.repeat(past[None], len(r), axis=0)  # (R, [C,] T)
    after = r.reshape((-1,) + (1,) * (rates.ndim - 1))
    if not op.cluster or lever.clusters is None:
        rates[..., k + 1 :] = np.broadcast_to(after, rates[..., k + 1 :].shape)
    else:
        sel = list(lever.clusters)
        rates[:, sel, k + 1 :] = np.broadcast_to(after, rates[:, sel, k + 1 :].shape)
    new = dataclasses.replace(op, rates=rates, elastic=())
    return model.with_op(new, len(r))


def lever_levels(model: Model, series: str) -> set[str]:
    """The compound and stock-flow series whose projection reads ``series`` (itself
    included): those of ``model``'s ops with ``series`` in :func:`~clustersim.core.project.
    needed` of their name. One pass over the ops, which come in dependency order (an op
    reads ``series`` when it is ``series`` or one of its inputs does), instead of one
    closure per op (~1,600 closures for the 35 targets of a plan)."""
    reads = {series}
    for o in model.ops:
        if o.name != series and any(d in reads for d in o.deps):
            reads.add(o.name)
    return {o.name for o in model.ops if isinstance(o, Compound | StockFlow) and o.name in reads}


def _needs(comp: Compiled, metric: ex.Expr) -> set[str]:
    out: set[str] = set()
    stack = ex.names_in(metric)
    while stack:
        n = stack.pop()
        if n in out:
            continue
        if n in comp.metrics:
            stack.extend(ex.names_in(comp.metrics[n]))
        else:
            out.add(n)
    return out


def required_growth(comp: Compiled, ct: CompiledTarget) -> dict[str, Any] | None:
    """The constant annual rate of the target's (first) lever series that just meets it;
    :func:`required_growths` gives one for each lever."""
    if ct.lever is None:
        return None
    return _required(comp, ct, ct.lever)


def required_growths(comp: Compiled, ct: CompiledTarget) -> list[dict[str, Any]]:
    """:func:`required_growth` for every lever of the target (``lever:`` may list several),
    in the order given; levers without an answer (not a compound series) are left out."""
    out = []
    for lever in ct.levers or ((ct.lever,) if ct.lever is not None else ()):
        r = _required(comp, ct, lever)
        if r is not None:
            out.append(r)
    return out


def _required(comp: Compiled, ct: CompiledTarget, lever: Lever) -> dict[str, Any] | None:
    """The constant annual rate of ``lever`` that just meets the target, from the target's
    ``required_from`` year on (default the base year; before it the scenario's own path).

    Closed form for a level or CAGR of the lever series itself (moved by a few ulps when
    rounding leaves it on the missing side); otherwise the root of
    the target margin in the rate, found on the projection by vectorised bracketing: each
    round projects :data:`REFINE` candidate rates as samples of one model and keeps the
    interval where "met" changes, down to 1e-13, and keeps its edge on the meeting side.
    Vectorised, it needs ~8 projections and no scipy import. Returns None when no lever applies or the target is in the base year, and
    ``{"rate": None, "method": "none_in_range"}`` when no neighbouring pair of rates on
    :data:`RATE_GRID` (-50% to +200%) changes whether the target is met.
    """
    base_year = comp.model.base_year
    start = ct.model.required_from
    if start is None or start <= base_year:
        start = None
    first = base_year if start is None else start
    if comp.model.samples != 1 or ct.spec.year <= first:
        return None  # nothing to grow towards (a target in the base or start year)
    op = comp.model.op(lever.series)
    if not isinstance(op, Compound) and not (isinstance(op, StockFlow) and op.rates is not None):
        return None
    out: dict[str, Any] = {
        "series": lever.label,
        "variable": lever.series,
        "clusters": None
        if lever.clusters is None
        else [comp.model.clusters[i] for i in lever.clusters],
        "rate": None,
        "method": None,
    }
    if start is not None:
        out["from_year"] = start
    need = _needs(comp, ct.spec.metric)

    # the levels the lever moves (a run stops when one turns negative): checked per rate
    levels = lever_levels(comp.model, lever.series)
    names = set(comp.model.names)
    keep = [n for n in {*need, *levels} if n in names]

    def margins(r: Array) -> Array:
        """Target margin for each candidate rate: one projection with a sample per rate.

        NaN (not met) for a rate under which a run would stop: a margin that is not
        finite, or a level that turns negative or not finite (through an elasticity).
        """
        m = with_lever(comp.model, lever, r, from_year=start)
        with np.errstate(all="ignore"):
            series = project(m, need=keep)
            out_: Array = evaluate_target(ct.spec, frame_of(comp, series)).margin
            bad = ~np.isfinite(out_)
            for name, arr in series.items():
                if name in levels:
                    axes = tuple(range(1, arr.ndim))
                    bad = bad | np.any(~(arr >= 0) | ~np.isfinite(arr), axis=axes)
        return np.where(bad, np.nan, out_)

    closed = _closed_form(comp, ct, op, lever, start)
    if closed is not None:
        closed = _meeting_side(closed, margins, ct.spec.bound)
    if closed is not None:
        out.update(rate=closed, method="closed_form")
        return out
    grid = np.asarray(RATE_GRID)
    try:
        mg = margins(grid)
    except ex.ExprError:
        out["method"] = "none_in_range"
        return out
    # "meets" with a margin float rounding cannot undo (see _meeting_side); a count's
    # margin (count_over, or an integer indicator) is a whole number, exactly 0 when just met
    step = type(ct.model).search == "step" or _whole_metric(comp, ct.spec.metric)
    # a strict goal (more_than / less_than) is met only beyond its tolerance: aim past it
    safe = max(0.0 if step else SAFE * ct.spec.bound.scale, ct.spec.bound.met_from)
    ok = mg >= safe
    change = np.flatnonzero(np.isfinite(mg[:-1]) & np.isfinite(mg[1:]) & (ok[:-1] != ok[1:]))
    if not len(change):
        out["method"] = "none_in_range"
        return out
    k = int(change[0])
    a, b, ma = float(grid[k]), float(grid[k + 1]), float(mg[k])
    # vectorised bracketing: each round projects REFINE candidate rates at once and keeps
    # the sub-interval where "met" changes; 8 rounds narrow (-50%, 200%) to below 1e-13
    for _ in range(12):  # pragma: no branch  (63x narrower a round: < 1e-13 by round 8)
        if b - a <= 1e-13:
            break
        xs = np.linspace(a, b, REFINE)
        ms = margins(xs)
        okx = ms >= safe
        flip = np.flatnonzero(okx[:-1] != okx[1:])
        if not len(flip):  # pragma: no cover  (the ends a, b differ in met: a flip exists)
            break
        j = int(flip[0])
        a, b, ma = float(xs[j]), float(xs[j + 1]), float(ms[j])
    # the edge of the last bracket on the meeting side: within 1e-13 of the root and met by
    # a margin that float rounding cannot undo (a root itself sits at margin ~ 0, so the
    # same rate written into the scenario, projected through another code path, may miss
    # by an ulp)
    rate = a if ma >= safe else b
    if step:
        # a count flips where a cluster crosses its threshold, and at the flip the same rate
        # projected through another code path (a power instead of a running product) may
        # round back across it: step STEP_PAST further into the meeting side, where no
        # rounding reaches (the rate still meets, to 1e-12, as margins confirm; a band of
        # met rates narrower than the step keeps the edge). The bracket lies in RATE_GRID's
        # -50%..200%, so the step stays far above RATE_LO.
        away = -1.0 if ma >= safe else 1.0
        pushed = rate + away * STEP_PAST * (1.0 + abs(rate))
        if margins(np.array([pushed]))[0] >= safe:
            rate = pushed
    method = "bisection" if step else "root_finding"
    out.update(rate=rate, method=method)
    return out


#: how far (relative to ``1 + |rate|``) a count's required rate steps past the flip the
#: search found: ~1e4 ulps, beyond any rounding difference between projection code paths
STEP_PAST = 1e-12
#: ulps of ``1 + rate`` tried on each side of a closed-form rate that rounding put on the
#: missing side
NUDGE_ULPS = 256
#: the margin (relative to the goal's scale) a closed-form rate must clear: float rounding
#: of a projection, whatever its code path, stays well below it
SAFE = 64 * np.finfo(np.float64).eps


def _meeting_side(rate: float, margins: Callable[[Array], Array], bound: Bound) -> float | None:
    """``rate``, or the nearest rate a few ulps away that meets the goal by a margin of
    at least :data:`SAFE` ``* scale`` (beyond the tolerance for a strict goal; else ``rate``
    itself: a point goal); None when the rate would stop the run (a level it moves turns
    negative) or a strict goal is not cleared, so the search decides.

    The formula is exact but its float result may miss by a rounding (a margin of
    -6e-14 on a goal of 1,000), and the same rate written into the scenario may be
    projected through another code path (a power instead of a running product) that
    rounds differently: the nearest rate whose margin clears both is kept, so the promise
    "applied, the rate meets the target" holds for the raw margin.
    """
    safe = max(SAFE * bound.scale, bound.met_from)
    # the value compounds (1 + r): an ulp of that factor is the step rounding works in
    k = np.arange(1, NUDGE_ULPS + 1, dtype=np.float64)
    steps = np.concatenate([[0.0], np.ravel(np.column_stack([k, -k]))])
    cand = rate + steps * np.spacing(1.0 + abs(rate))  # the formula first, then nearest
    cand = cand[cand >= RATE_LO]  # a rate the scenario format accepts
    m = margins(cand)
    # a goal far below 1 (a level 1e-13 reached at -99.99999%) cannot clear SAFE * scale,
    # whose scale is at least 1: an inclusive goal then asks SAFE relative to the goal
    # itself, and at least a margin >= 0 (the raw promise)
    goal = max(abs(v) for v in (bound.lo, bound.hi) if v is not None)
    edges = [safe] if bound.strict else [safe, SAFE * goal, 0.0]
    for edge in edges:
        ok = np.flatnonzero(m >= edge)
        if len(ok):
            return float(cand[ok[0]])
    # a point goal (between [a, a]) has no margin >= 0 a float may reach: the formula's
    # rate is the answer; otherwise no nudge reached the goal, so the search decides
    point = bound.lo is not None and bound.lo == bound.hi
    return rate if point and np.isfinite(m[0]) else None


def _closed_form(
    comp: Compiled, ct: CompiledTarget, op: Compound | StockFlow, lever: Lever, start: int | None
) -> float | None:
    """The kind's closed form (:meth:`~clustersim.kinds.targets.TargetKind.closed_form`),
    when the target reads the lever series itself. From a ``start`` year after the base,
    the lever's level in that year (on the scenario's own path) plays the base value, and
    earlier years are read from that path."""
    spec = ct.spec
    m = spec.metric
    reads_lever = (isinstance(m, ex.Name) and m.id == lever.series and not op.cluster) or (
        isinstance(m, ex.Pick)
        and m.name == lever.series
        and lever.clusters is not None
        and len(lever.clusters) == 1
        and comp.model.clusters[lever.clusters[0]] == m.cluster
    )
    if not reads_lever:
        return None
    if isinstance(op, StockFlow):
        # s[t] = s[t-1] (1 - exit) (1 + r) + inflow compounds like a Compound here: the
        # lever is a stock's own rate only where no inflow is defined, and the scenario
        # refuses exit_rate beside growth ("firms takes entries/exit_rate or growth")
        x0 = float(op.s0[0, lever.clusters[0]])  # type: ignore[index]
    else:
        x0 = float(op.x0[0] if not op.cluster else op.x0[0, lever.clusters[0]])  # type: ignore[index]
    b = spec.bound
    goal = b.lo if b.lo is not None else b.hi
    if goal is None or x0 <= 0:
        return None
    base_year = comp.model.base_year
    own: Array | None = None
    if start is not None:
        own = project(comp.model, need=[op.name])[op.name]
        own = own[0] if not op.cluster else own[0, lever.clusters[0]]  # type: ignore[index]
        x0 = float(own[start - base_year])
        if not x0 > 0:
            return None

    def value_at(year: int) -> float:
        """The metric in a year before the start: the scenario's own path from the base
        year, history before it (NaN when unknown)."""
        if own is not None and year >= base_year:
            return float(own[year - base_year])
        frame = frame_of(comp, {})
        try:
            return float(frame.at(m, year)[0]) if frame.history else math.nan
        except ex.ExprError:
            return math.nan

    first = base_year if start is None else start
    rate = type(ct.model).closed_form(spec, x0, goal, first, value_at)
    # a goal ~ 0 gives -100%, which no growth may be (the search then reports none in range)
    return rate if rate is None or rate >= RATE_LO else None


# --- targets only, in chunks (sweeps, large Monte Carlo runs) ---------------------------------

#: samples compiled (drawn) at once; each chunk is then projected in cache-sized blocks
DEFAULT_CHUNK = 65536


def run_targets(
    scenario: Scenario,
    *,
    samples: int,
    seed: int | None = None,
    chunk: int = DEFAULT_CHUNK,
    block: int | None = None,
    sink: Callable[[int, dict[str, Outcome]], None] | None = None,
    engine: str = "auto",
    overlap: bool | None = None,
) -> dict[str, Outcome]:
    """Per-sample value, margin and met of every target, without keeping trajectories.

    Draws samples ``0 .. samples - 1`` of the same streams as :func:`run` (so the numbers
    equal ``run(..., samples=samples, seed=seed)`` to float rounding), ``chunk`` samples at
    a time, and projects each chunk in cache-sized blocks with the time-major core
    (:mod:`clustersim.core.blocked`). Memory does not grow with ``samples`` beyond the
    ``(samples,)`` result arrays, and not at all with a ``sink``.

    Parameters
    ----------
    sink : callable, optional
        Called as ``sink(start, outcomes)`` for each chunk (``start`` is the chunk's first
        sample); the chunks are then not kept and an empty dict is returned. The outcome
        arrays are only valid during the call (the next chunk may be written into the
        same buffers): copy what you keep.
    engine : str
        A name of :data:`clustersim.engines.ENGINES` or ``auto``. ``numba`` evaluates each
        chunk with the fused compiled kernel (:mod:`clustersim.accel`); ``auto`` does so when
        numba is installed, the run has at least
        :data:`~clustersim.engines.AUTO_ACCEL_FROM` cluster-years and the kernel compiles
        every target kind (else the NumPy engine). The numba engine also draws normal quantiles
        with a compiled inverse CDF (:mod:`clustersim.accel.draws`) instead of the NumPy one
        (:mod:`clustersim.sampling.normal_cdf`).
        The engines agree to 1e-12 relative, not to the bit.
    overlap : bool, optional
        Use a second core. With the numba engine (whose kernel and compiled draws release
        the GIL: ``Engine.parallel_chunks``) two threads each compile (draw) and project
        whole chunks, :data:`PARALLEL_THREADS` chunks at a time, while the calling thread
        hands the outcomes to ``sink`` in order; with the NumPy engines a helper thread
        compiles the next chunk while this one is projected (two NumPy kernels side by
        side take as long as one after the other). The numbers are the same to the bit
        either way; False keeps all work on the calling thread. None (the default):
        overlap when this process may use two cores or more (:func:`usable_cores`); on one
        core the threads would only add switching.

    Returns
    -------
    dict of target id to Outcome
    """
    if samples < 1:
        raise ScenarioError(f"samples must be >= 1, got {samples}")
    work = samples * max(1, len(scenario.clusters)) * (scenario.end_year - scenario.base_year + 1)
    kinds = [t.kind for t in scenario.targets.values()]
    kinds += (["pipelines"] if scenario.pipelines else []) + (["io"] if scenario.io else [])
    chosen = get_engine(resolve_engine(engine, work, kinds))
    if overlap is None:
        overlap = usable_cores() > 1
    threads = 1
    if overlap and chosen.parallel_chunks:
        threads = PARALLEL_THREADS  # the chunks' sizes: parallel_sizes
    elif overlap:
        chunk = overlap_chunk(samples, chunk)

    def evaluate(comp: Compiled, out: Buffers | None) -> dict[str, Outcome]:
        return chosen.evaluate(comp, block=block, out=out)

    if seed is None and samples > 1:
        seed = int(np.random.SeedSequence().entropy % 2**63)  # type: ignore[operator]
    return _run_chunks(
        scenario,
        samples,
        seed,
        chunk,
        sink,
        evaluate,
        chosen.inverse_normal(),
        chosen.rates_layout(),
        overlap,
        threads,
    )


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


#: overlapping runs are cut into at least this many chunks (when each keeps OVERLAP_MIN samples)
OVERLAP_CHUNKS = 4
#: the fewest samples of a chunk cut smaller for overlap
OVERLAP_MIN = 8192
#: threads that compile and evaluate chunks side by side when the engine allows it
#: (``Engine.parallel_chunks``) and the process may use two cores or more; more were not
#: measured (this machine has two)
PARALLEL_THREADS = 2


def overlap_chunk(samples: int, chunk: int) -> int:
    """The chunk size of an overlapped run of ``samples`` with chunks of at most ``chunk``.

    The first chunk's compile cannot overlap anything, nor the last chunk's projection, so
    a run of one or two chunks gains little; a run shorter than ``OVERLAP_CHUNKS`` chunks
    is cut into that many equal ones (none under ``OVERLAP_MIN`` samples, never more than
    ``chunk``). The numbers do not depend on the chunks (each sample's streams are drawn
    at its own offset)."""
    if samples >= OVERLAP_CHUNKS * chunk:
        return chunk
    return min(chunk, max(OVERLAP_MIN, -(-samples // OVERLAP_CHUNKS)))


def parallel_chunk(samples: int, chunk: int, threads: int) -> int:
    """The chunk size of a run of ``samples`` with chunks of at most ``chunk`` on ``threads``
    threads: :func:`overlap_chunk`'s chunks made equal and their count a multiple of
    ``threads``, so the threads finish together (one more chunk on one thread is a chunk's
    time with the other idle). Fewer chunks when that keeps each within ``chunk`` (3 become
    2), else more; a single chunk stays one."""
    n = -(-samples // overlap_chunk(samples, chunk))
    if n <= 1 or threads <= 1:
        return overlap_chunk(samples, chunk)
    down = n - n % threads
    if down >= threads and -(-samples // down) <= chunk:
        n = down
    else:
        n += -n % threads
    return -(-samples // n)


def parallel_sizes(samples: int, chunk: int, threads: int) -> list[int]:
    """The chunks' sizes, in order, of a run of ``samples`` on ``threads`` threads
    (:func:`_parallel_outcomes`): :func:`parallel_chunk`'s count of chunks, every
    ``threads``-th (0, ``threads``, ...) a little larger than the others, never over ``chunk``.

    The first thread starts at once; the others start when chunk 0 is compiled, so they have
    one compile of its size less time. The threads take chunks in turn, the first thread
    every ``threads``-th, so they finish together when its chunks are larger by that much
    spread over its ``N / threads`` chunks: with a compile taking about as long as the
    kernel of the same chunk, ``a - b = a * threads / (2 N)`` (4 chunks of 100,000 samples
    on two threads: 28,571 and 21,429 in turn)."""
    size = parallel_chunk(samples, chunk, threads)
    n = -(-samples // size)
    equal = [min(size, samples - a) for a in range(0, samples, size)]
    if n <= 1 or threads <= 1:
        return equal
    firsts = -(-n // threads)  # chunks 0, threads, 2 threads, ...
    shrink = 1.0 - threads / (2.0 * n)
    big = min(chunk, round(samples / (firsts + (n - firsts) * shrink)))
    rest, others = samples - firsts * big, n - firsts
    small, extra = divmod(rest, others)
    if small < 1:  # too few samples to shape
        return equal
    sizes, k_other = [], 0
    for k in range(n):
        if k % threads == 0:
            sizes.append(big)
        else:
            sizes.append(small + (1 if k_other < extra else 0))
            k_other += 1
    return sizes


def _compiled_chunks(
    compiler: ScenarioCompiler, samples: int, chunk: int, overlap: bool
) -> Generator[tuple[int, Compiled], None, None]:
    """Each chunk's first sample and compiled arrays, in order. With ``overlap`` (and more
    than one chunk) chunk k+1 is compiled on a helper thread while the caller works on chunk
    k: at most two compiled chunks exist at once. An error compiling a chunk is raised when
    the caller asks for that chunk, so errors come in the order of a run without overlap."""
    starts = range(0, samples, chunk)
    errors = np.geterr()  # NumPy's error handling is per thread: the helper uses the caller's

    def make(start: int) -> Compiled:
        with np.errstate(**errors):
            return compiler.compile(samples=min(chunk, samples - start), offset=start)

    if not overlap or len(starts) < 2:
        for start in starts:
            yield start, make(start)
        return
    from concurrent.futures import ThreadPoolExecutor  # here: a cold `clustersim run` needs none

    pool = ThreadPoolExecutor(1, thread_name_prefix="clustersim-compile")
    try:
        ahead: Future[Compiled] = pool.submit(make, starts[0])
        for k, start in enumerate(starts):
            comp = ahead.result()
            if k + 1 < len(starts):
                ahead = pool.submit(make, starts[k + 1])
            yield start, comp
    finally:
        # an error or an early stop of the caller: the chunk being compiled is dropped
        pool.shutdown(wait=True, cancel_futures=True)


def _buffer_set(targets: int, rows: int) -> Buffers:
    """Result buffers for chunks of up to ``rows`` samples of ``targets`` targets (a chunk
    with a sink is written into reused ones: fresh ones cost a page fault per 4 KiB, ~40 ns a
    sample)."""
    return dict(zip(("value", "margin", "met"), result_buffers(targets, rows), strict=True))


def _parallel_outcomes(
    compiler: ScenarioCompiler,
    sizes: list[int],
    outcome: Callable[[Compiled, Buffers | None], dict[str, Outcome]],
    reuse: bool,
    threads: int,
) -> Generator[tuple[int, dict[str, Outcome]], None, None]:
    """Each chunk's first sample and outcomes, in order, each chunk (of ``sizes`` samples,
    from sample 0 on) compiled and evaluated on one of ``threads`` threads (the caller only
    waits and consumes).

    Chunk k is handed to the threads once chunk k - threads - 1 has been consumed, so at
    most ``threads + 1`` chunks are in hand: one being consumed, the rest running or done.
    With ``reuse`` chunk k's outcomes are written into buffer set ``k % (threads + 1)``,
    which no other chunk in hand uses. An error of a chunk is raised when the caller asks
    for that chunk, so errors come in the order of a run on one thread.

    The other threads start compiling when the first has compiled chunk 0 (and so worked
    out the structure). Started together, both would compile at once, and go on doing so
    in step, chunk after chunk: a compile is many short calls that release the GIL between
    stretches of Python, and two of them side by side take as long as one after the other
    (two 25,000-sample chunks: 8.1 ms either way), while a compile beside a kernel, which
    holds the GIL only to start and end, loses little. Staggered by one compile, each
    thread compiles while the other projects."""
    import threading
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    starts = [0, *itertools.accumulate(sizes)][:-1]
    rows = max(sizes)
    errors = np.geterr()  # NumPy's error handling is per thread: the threads use the caller's
    depth = threads + 1
    slots: list[Buffers | None] = [None] * depth

    first = threading.Event()

    def task(k: int) -> dict[str, Outcome]:
        start = starts[k]
        if 0 < k < threads:  # each other thread's first chunk
            first.wait()
        with np.errstate(**errors):
            try:
                comp = compiler.compile(samples=sizes[k], offset=start)
            finally:
                if k == 0:
                    first.set()
            out = None
            if reuse:  # buffer set k % depth is this chunk's alone while it is in hand
                out = slots[k % depth]
                if out is None:
                    out = slots[k % depth] = _buffer_set(len(comp.targets), rows)
            return outcome(comp, out)

    pool = ThreadPoolExecutor(threads, thread_name_prefix="clustersim-chunk")
    try:
        ahead = deque(pool.submit(task, k) for k in range(min(depth, len(starts))))
        for k, start in enumerate(starts):
            outs = ahead.popleft().result()
            yield start, outs  # the caller is done with chunk k when it asks for the next
            if k + depth < len(starts):
                ahead.append(pool.submit(task, k + depth))
    finally:
        # an error or an early stop of the caller: the chunks not started are dropped
        pool.shutdown(wait=True, cancel_futures=True)


def _run_chunks(
    scenario: Scenario,
    samples: int,
    seed: int | None,
    chunk: int,
    sink: Callable[[int, dict[str, Outcome]], None] | None,
    evaluate: Callable[[Compiled, Buffers | None], dict[str, Outcome]],
    inverse_normal: InverseNormal | None,
    rates_layout: RatesLayout = "year",
    overlap: bool = False,
    threads: int = 1,
) -> dict[str, Outcome]:
    parts: dict[str, list[Outcome]] = {}
    keep_freed_memory()  # each chunk's arrays reuse the last one's pages (clustersim.malloc)
    # the structure (metrics, targets, the ops' order) and the growths made of constants
    # once, each chunk's arrays per chunk: what compile_scenario gives chunk by chunk
    compiler = ScenarioCompiler(
        scenario,
        seed=seed,
        draw=samples > 1,
        inverse_normal=inverse_normal,
        rates_layout=rates_layout,
    )

    def outcome(comp: Compiled, out: Buffers | None) -> dict[str, Outcome]:
        try:
            return evaluate(comp, out)
        except ex.ExprError as exc:
            raise ScenarioError(f"{comp.at('targets')}: {exc}") from exc
        except FloatingPointError as exc:
            raise ModelError(f"{exc}; check base values, growth and elasticities") from exc

    # with a sink, the chunks are written into reused result buffers (_buffer_set)
    chunks: Generator[tuple[int, dict[str, Outcome]], None, None]
    sizes = parallel_sizes(samples, chunk, threads) if threads > 1 else []
    if len(sizes) > 1:
        chunks = _parallel_outcomes(compiler, sizes, outcome, sink is not None, threads)
    else:
        chunks = _serial_outcomes(compiler, samples, chunk, outcome, sink is not None, overlap)
    with contextlib.closing(chunks):
        for start, outs in chunks:
            if sink is not None:
                sink(start, outs)
                continue
            for tid, o in outs.items():
                parts.setdefault(tid, []).append(o)
    return {
        tid: Outcome(
            np.concatenate([o.value for o in os_]),
            np.concatenate([o.margin for o in os_]),
            np.concatenate([o.met for o in os_]),
        )
        for tid, os_ in parts.items()
    }


def _serial_outcomes(
    compiler: ScenarioCompiler,
    samples: int,
    chunk: int,
    outcome: Callable[[Compiled, Buffers | None], dict[str, Outcome]],
    reuse: bool,
    overlap: bool,
) -> Generator[tuple[int, dict[str, Outcome]], None, None]:
    """Each chunk's first sample and outcomes, in order, evaluated on the caller's thread
    (the next chunk compiled on a helper thread meanwhile with ``overlap``); with ``reuse``
    every chunk's outcomes are written into one set of buffers."""
    out: Buffers | None = None
    with contextlib.closing(_compiled_chunks(compiler, samples, chunk, overlap)) as compiled:
        for start, comp in compiled:
            if reuse and out is None:
                out = _buffer_set(len(comp.targets), min(chunk, samples))
            yield start, outcome(comp, out)
