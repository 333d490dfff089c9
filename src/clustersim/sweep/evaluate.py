"""Evaluate one chunk of a sweep: quantiles -> compiled arrays -> projection -> targets.

This is the sample-separable core every executor runs. :func:`evaluate_chunk` depends
only on the plan and the chunk index, so chunks can be computed in any order, on any
worker, and concatenated: the result is the same as computing all rows at once.

The projection itself is behind :func:`project_targets`, which runs one of three engines:
the blocked targets-only NumPy core (the default), the fused numba kernel, or the full
reference projection (needed anyway for ``--keep trajectories``).
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from clustersim.compile import (
    Compiled,
    ScenarioCompiler,
    correlate_uniforms,
    correlation_groups,
)
from clustersim.core.expr import ExprError
from clustersim.engine import run_compiled
from clustersim.engines import get_engine
from clustersim.errors import ModelError
from clustersim.malloc import keep_freed_memory
from clustersim.sampling import InverseNormal
from clustersim.sampling.columns import Columns
from clustersim.sweep.designs import quantiles
from clustersim.sweep.partial import Partial
from clustersim.sweep.plan import SweepPlan

__all__ = [
    "ChunkResult",
    "Draws",
    "TargetArrays",
    "all_met_column",
    "draw_chunk",
    "evaluate_chunk",
    "evaluate_rows",
    "margin_column",
    "met_column",
    "project_targets",
    "scenario_compiler",
    "value_column",
]

Array = NDArray[np.float64]
#: a chunk's quantiles (the copula applied) and input values, ``(n, d)`` each (:func:`draw_chunk`)
Draws = tuple[Array, Array]


def value_column(target: str) -> str:
    """Name of the per-sample value column of ``target`` in the samples table."""
    return f"value.{target}"


def margin_column(target: str) -> str:
    """Name of the per-sample margin column (>= 0 when met)."""
    return f"margin.{target}"


def met_column(target: str) -> str:
    """Name of the per-sample pass/fail column."""
    return f"met.{target}"


all_met_column = "all_met"


@dataclass(frozen=True)
class TargetArrays:
    """Per-sample target outcomes of a chunk: ``(K, n)`` each, targets in plan order."""

    value: Array
    margin: Array
    met: NDArray[np.bool_]
    series: dict[str, Array] | None = None


@dataclass(frozen=True)
class ChunkResult:
    """Everything one chunk produced.

    Attributes
    ----------
    chunk : int
    start : int
        Global index of the chunk's first sample; its samples are ``start .. start + n - 1``.
    inputs : array (n, d)
        Value of every sampled number, columns in ``plan.dims`` order.
    value, margin : array (K, n)
    met : bool array (K, n)
    series : dict of str to array, optional
        Trajectories, ``(n, T)`` or ``(n, C, T)``, when kept.
    block : int8 array (n,), optional
        Sobol only: 0 for A rows, 1 for B rows, ``2 + g`` for the rows of group ``g``.
    seconds : float
        Wall time of the evaluation.
    """

    chunk: int
    start: int
    inputs: Array
    value: Array
    margin: Array
    met: NDArray[np.bool_]
    series: dict[str, Array] | None = None
    block: NDArray[np.int8] | None = None
    seconds: float = 0.0
    years: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    clusters: tuple[str, ...] = ()
    #: the chunk's mergeable summary (:mod:`clustersim.sweep.partial`), set by the job
    partial: Partial | None = None

    @property
    def n(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def samples(self) -> NDArray[np.int64]:
        return np.arange(self.start, self.start + self.n, dtype=np.int64)


def _reference(comp: Compiled, trajectories: bool) -> TargetArrays:
    """Full projection (:func:`clustersim.engine.run_compiled`): every series, every check."""
    res = run_compiled(comp, required=False)
    k, n = len(res.targets), comp.model.samples
    value = np.empty((k, n))
    margin = np.empty((k, n))
    met = np.empty((k, n), dtype=bool)
    for i, t in enumerate(res.targets):
        value[i] = t.value
        margin[i] = t.margin
        met[i] = t.met
    series = None
    if trajectories:
        series = {name: np.ascontiguousarray(arr) for name, arr in res.series.items()}
    return TargetArrays(value, margin, met, series)


def project_targets(
    comp: Compiled, *, trajectories: bool = False, engine: str = "numpy"
) -> TargetArrays:
    """Project ``comp`` and evaluate every target per sample.

    This is the one place a sweep touches the projection core; every executor and sink
    follows whatever it does.

    Parameters
    ----------
    comp : Compiled
        A scenario compiled for the chunk's ``n`` samples.
    trajectories : bool
        Also return every projected series (from the full projection; the target columns
        still come from ``engine``, so they do not depend on this flag).
    engine : str
        A name of :data:`clustersim.engines.ENGINES`: ``numpy``, the blocked, time-major
        targets-only core; ``numba``, the fused compiled kernel (:mod:`clustersim.accel`);
        ``projection``, the full projection (:func:`clustersim.engine.run_compiled`). They
        agree to about 1e-11 relative, not to the bit, so a sweep uses one engine throughout
        (it is part of the manifest).

    Returns
    -------
    TargetArrays

    Raises
    ------
    ModelError, ScenarioError
        A value that is not finite or a level that turns negative, located by the
        reference path (sample, series, file and line).
    """
    if engine == "projection":
        out = _reference(comp, trajectories)
    else:
        try:
            outs = get_engine(engine).evaluate(comp)
        except (FloatingPointError, ExprError):
            # the fast paths say what went wrong; the reference path says where
            out = _reference(comp, trajectories)
        else:
            tids = list(comp.targets)
            series = _reference(comp, True).series if trajectories else None
            out = TargetArrays(
                np.array([outs[t].value for t in tids]).reshape(len(tids), -1),
                np.array([outs[t].margin for t in tids]).reshape(len(tids), -1),
                np.array([outs[t].met for t in tids], dtype=bool).reshape(len(tids), -1),
                series,
            )
    return out


def evaluate_rows(
    plan: SweepPlan,
    chunk: int,
    start: int,
    stop: int,
    *,
    trajectories: bool = False,
    engine: str = "numpy",
) -> ChunkResult:
    """Evaluate rows ``start .. stop - 1`` of chunk ``chunk`` (a whole chunk or its head).

    Raises
    ------
    ModelError
        A sample whose projection is not finite, named by its chunk and first sample.
    """
    return _evaluate_rows(plan, chunk, start, stop, trajectories, engine)


#: the last plan's compiler, per engine (a worker evaluates one plan's chunks one after another)
_COMPILERS: tuple[weakref.ref[SweepPlan], dict[str, ScenarioCompiler]] | None = None


def scenario_compiler(plan: SweepPlan, engine: str) -> ScenarioCompiler:
    """The :class:`~clustersim.compile.ScenarioCompiler` of ``plan``'s scenario for
    ``engine``'s draws, made once per plan and process: the scenario's structure is compiled
    once per worker, and each chunk only builds its arrays from its samples."""
    global _COMPILERS
    held = _COMPILERS
    if held is None or held[0]() is not plan:
        held = (weakref.ref(plan), {})
        _COMPILERS = held
    got = held[1].get(engine)
    if got is None:
        got = ScenarioCompiler(
            plan.scenario,
            seed=plan.seed,
            draw=True,
            inverse_normal=get_engine(engine).inverse_normal(),
            rates_layout=get_engine(engine).rates_layout(),
        )
        held[1][engine] = got
    return got


def _columns(plan: SweepPlan) -> Columns:
    """The input columns (each one's distribution and field bounds, ``Dim.values``'s),
    prepared once per plan and process."""
    global _COLUMNS
    held = _COLUMNS
    if held is None or held[0]() is not plan:
        held = (weakref.ref(plan), Columns([(d.dist.sampler, d.lo, d.hi) for d in plan.dims]))
        _COLUMNS = held
    return held[1]


_COLUMNS: tuple[weakref.ref[SweepPlan], Columns] | None = None


def _inputs(
    plan: SweepPlan,
    chunk: int,
    start: int,
    stop: int,
    inverse_normal: InverseNormal | None,
) -> Draws:
    """Rows ``start .. stop - 1`` of chunk ``chunk``: their quantiles (the copula applied)
    and the sampled numbers' values, ``(n, d)`` each, columns in ``plan.dims`` order (the
    values column-major), all columns' inverse CDFs at once
    (:class:`~clustersim.sampling.columns.Columns`)."""
    keep_freed_memory()  # once per process: each chunk reuses the last one's pages
    u = quantiles(plan.design, plan.seed, chunk, start, stop, plan.bounds(chunk)[0])
    # the scenario's Gaussian copula (issue 15) ties the quantiles of its correlated
    # numbers before they become inputs (plan_sweep refuses it on grid or Sobol factors)
    groups = correlation_groups(plan.scenario)
    if groups:
        tied = correlate_uniforms(
            groups, {d.path: u[:, j] for j, d in enumerate(plan.dims)}, inverse_normal
        )
        if tied:
            u = np.array(u, order="F")
            for j, d in enumerate(plan.dims):
                if d.path in tied:
                    u[:, j] = tied[d.path]
    return u, _columns(plan).ppf(u, inverse_normal=inverse_normal)


def draw_chunk(plan: SweepPlan, chunk: int, *, engine: str = "numpy") -> Draws:
    """Chunk ``chunk``'s quantiles (the copula applied) and input values, ``(n, d)`` each,
    as :func:`evaluate_chunk` draws them with ``engine``'s inverse normal: what it takes as
    ``draws`` (an in-process sweep draws the next chunk on its helper thread while this one
    is evaluated; the compiled draws release the GIL)."""
    start, stop = plan.bounds(chunk)
    return _inputs(plan, chunk, start, stop, get_engine(engine).inverse_normal())


def _evaluate_rows(
    plan: SweepPlan,
    chunk: int,
    start: int,
    stop: int,
    trajectories: bool,
    engine: str,
    draws: Draws | None = None,
) -> ChunkResult:
    t0 = time.perf_counter()
    n = stop - start
    # the numba engine draws normal quantiles with compiled AS241, inputs and compile alike
    inverse_normal = get_engine(engine).inverse_normal()
    # column-major: each input column is contiguous, for the compiler and for Arrow
    u, inputs = draws if draws is not None else _inputs(plan, chunk, start, stop, inverse_normal)
    try:
        comp = scenario_compiler(plan, engine).compile(
            samples=n,
            uniforms={d.path: u[:, j] for j, d in enumerate(plan.dims)},
            spawn_key=(chunk,),
            # the inputs are the compiler's draws: computed once, not twice
            drawn={d.path: inputs[:, j] for j, d in enumerate(plan.dims)},
        )
        out = project_targets(comp, trajectories=trajectories, engine=engine)
    except ModelError as exc:
        raise ModelError(
            f"chunk {chunk} (samples {start}-{stop - 1}; 'sample i' below counts from "
            f"{start}): {exc}"
        ) from exc
    block = None
    if plan.method == "sobol":
        block = (np.arange(start, stop) % plan.design.blocks).astype(np.int8)
    return ChunkResult(
        chunk=chunk,
        start=start,
        inputs=inputs,
        value=out.value,
        margin=out.margin,
        met=out.met,
        series=out.series,
        block=block,
        seconds=time.perf_counter() - t0,
        years=comp.model.years,
        clusters=comp.model.clusters,
    )


def evaluate_chunk(
    plan: SweepPlan,
    chunk: int,
    *,
    trajectories: bool = False,
    engine: str = "numpy",
    draws: Draws | None = None,
) -> ChunkResult:
    """Evaluate chunk ``chunk`` of ``plan``: its quantiles, inputs and target outcomes.

    Depends only on ``plan`` and ``chunk`` (the chunk's random streams are
    ``SeedSequence(plan.seed, spawn_key=(chunk, crc32(path)))``), so the result is the
    same on any worker.

    Parameters
    ----------
    plan : SweepPlan
    chunk : int
        ``0 .. plan.n_chunks - 1``.
    trajectories : bool
        Keep every projected series.
    engine : str
        See :func:`project_targets`.
    draws : (u, inputs), optional
        The chunk's :func:`draw_chunk` with the same engine, drawn beforehand (the same
        arrays it would draw here; ``seconds`` then leaves their time out).

    Returns
    -------
    ChunkResult
    """
    start, stop = plan.bounds(chunk)
    return _evaluate_rows(plan, chunk, start, stop, trajectories, engine, draws)
