"""What a report shows, gathered once from a run (or a results directory) and a scenario.

:class:`ReportData` is plain data: the target table rows, one :class:`TrajectoryChart` per
key series (the series each target reads, with the target drawn at its year), the cluster
output bars, and a sweep summary when there is one. The chart and HTML writers only read
it, so the same numbers appear in the HTML report, the PNG/SVG charts and the workbook.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from clustersim.errors import ClusterSimError
from clustersim.i18n import Bi, bi, series_label
from clustersim.kinds.targets.level import level_is_percent
from clustersim.report.fmt import is_percent, is_pp

if TYPE_CHECKING:
    from clustersim.compile import Compiled, CompiledTarget
    from clustersim.core.expr import Expr
    from clustersim.core.targets import Frame
    from clustersim.results import Result, TargetResult
    from clustersim.scenario.audit import Audit
    from clustersim.scenario.models import Scenario

__all__ = [
    "CLUSTER_THRESHOLDS",
    "Band",
    "ClusterBars",
    "Marker",
    "ReportData",
    "SweepSummary",
    "TargetRow",
    "TrajectoryChart",
    "from_directory",
    "from_result",
    "read_sweep_summary",
]

Array = NDArray[np.float64]
#: the plan thresholds cluster output is read against: 1,000 亿 (千亿级), 5,000 亿, 10,000 亿 (万亿级)
CLUSTER_THRESHOLDS = (1000.0, 5000.0, 10000.0)
#: percentiles of the fan bands: 90% (p5-p95) and 50% (p25-p75) around the median
BAND_PERCENTILES = (5, 25, 50, 75, 95)
#: region series charted when no target names them (and no scenario is known)
KEY_REGION_SERIES = ("gdp", "industrial_output", "rd_intensity", "energy_intensity")


@dataclass(frozen=True)
class Band:
    """Percentiles over samples of one trajectory, each ``(T,)``; all equal for one sample."""

    years: NDArray[np.int64]
    p5: Array
    p25: Array
    median: Array
    p75: Array
    p95: Array
    samples: int

    @classmethod
    def of(cls, years: NDArray[np.int64], traj: Array) -> Band:
        """Summarise ``traj`` ``(S, T)``."""
        q = np.percentile(traj, BAND_PERCENTILES, axis=0)
        return cls(years, q[0], q[1], q[2], q[3], q[4], int(traj.shape[0]))


@dataclass(frozen=True)
class Marker:
    """A target drawn on the chart of the series it reads.

    ``lo``/``hi`` are the goal in the series' own units at ``year`` (for ``change_vs`` the
    reference value times ``1 + goal``), None where the goal is not a level of the series;
    ``path`` is a goal path over years (``cagr``, the every-year kinds), empty otherwise.
    """

    target_id: str
    label: Bi
    kind: str
    year: int
    status: str
    lo: float | None = None
    hi: float | None = None
    start: int | None = None
    reference: float | None = None
    path: tuple[tuple[int, float], ...] = ()
    goal: tuple[float | None, float | None] = (None, None)


@dataclass(frozen=True)
class TrajectoryChart:
    """One key series: its band over samples, history before the base year, target markers."""

    key: str
    title: Bi
    unit: str | None
    percent: bool
    band: Band
    history: tuple[tuple[int, float], ...] = ()
    markers: tuple[Marker, ...] = ()


@dataclass(frozen=True)
class ClusterBars:
    """Cluster output in ``year`` (median, p5, p95 over samples) and in the base year."""

    key: str
    year: int
    base_year: int
    ids: tuple[str, ...]
    labels: tuple[Bi, ...]
    base: Array
    median: Array
    p5: Array
    p95: Array
    thresholds: tuple[float, ...]
    unit: str
    samples: int


@dataclass(frozen=True)
class TargetRow:
    """One row of the target table."""

    id: str
    label: Bi
    kind: str
    year: int
    start: int | None
    status: str
    value: float
    lo: float | None
    hi: float | None
    tiers: tuple[tuple[float, int], ...]
    margin: float
    probability: float
    p5: float
    p95: float
    required: dict[str, Any] | None
    source: str | None
    percent: bool
    pp: bool
    chart: str | None = None
    #: the goal excludes its number (超过 / 不满)
    strict: bool = False
    #: the assumption audit: ``"construction"``, ``"plan"`` or None, and its findings' text
    audit: str | None = None
    audit_notes: Bi | None = None


@dataclass(frozen=True)
class SweepSummary:
    """The parts of a sweep's ``summary.json`` a report shows.

    Attributes
    ----------
    probability : dict of str to float
        Target id -> share of sweep samples in which it is met.
    sensitivity : dict of str to list of (str, float, float or None)
        Target id -> ``(parameter path, first-order S1, total ST)``, largest first.
    """

    path: str
    method: str | None
    samples: int | None
    parameters: tuple[str, ...]
    probability: dict[str, float]
    labels: dict[str, str]
    sensitivity: dict[str, list[tuple[str, float, float | None]]]
    percentiles: dict[str, dict[str, float]] = field(default_factory=dict)
    all_met: float | None = None
    sensitivity_method: str | None = None


@dataclass(frozen=True)
class ReportData:
    """Everything one report shows; see the module docstring."""

    scenario_id: str
    title: Bi
    base_year: int
    end_year: int
    samples: int
    seed: int | None
    unit: str
    origin: str
    targets: tuple[TargetRow, ...]
    charts: tuple[TrajectoryChart, ...]
    clusters: ClusterBars | None
    sweep: SweepSummary | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: scenario discovery on the sweep's samples (``clustersim report SWEEP_DIR``; a
    #: :class:`clustersim.analysis.discover.Discovery`), None when not asked for or not a sweep
    discovery: Any = None


# --- building -----------------------------------------------------------------------------


def from_result(
    result: Result,
    *,
    scenario: Scenario | None = None,
    compiled: Compiled | None = None,
    origin: str = "",
    sweep: SweepSummary | None = None,
    notes: tuple[str, ...] = (),
) -> ReportData:
    """Gather a report from a run.

    Parameters
    ----------
    result : Result
        From :func:`clustersim.run` (or rebuilt from a results directory).
    scenario : Scenario, optional
        Labels, history and targets; defaults to the scenario ``result`` was compiled from.
    compiled : Compiled, optional
        For the target metrics' trajectories; defaults to ``result.compiled``. Without one
        (a results directory and no scenario) the charts show the region series without
        target markers.
    origin : str
        Where the numbers come from (a scenario file or a results directory), for the header.
    sweep : SweepSummary, optional
    """
    comp = compiled if compiled is not None else result.compiled
    sc = scenario if scenario is not None else (comp.scenario if comp is not None else None)
    charts, chart_of = _trajectory_charts(result, sc, comp)
    bars = _cluster_bars(result, sc)
    if bars is not None and sc is not None:
        for tid, t in sc.targets.items():
            if t.cluster_bars() is not None:
                chart_of[tid] = bars.key
    rows = tuple(_row(t, chart_of.get(t.id), result.audit) for t in result.targets)
    if sc is not None:
        rows = tuple(_relabel(r, sc) for r in rows)
    return ReportData(
        scenario_id=result.scenario_id,
        title=bi(sc.name) if sc is not None else Bi(result.scenario_id, result.scenario_id),
        base_year=result.base_year,
        end_year=result.end_year,
        samples=result.samples,
        seed=result.seed,
        unit=sc.unit if sc is not None else "亿元",
        origin=origin,
        targets=rows,
        charts=tuple(charts),
        clusters=bars,
        sweep=sweep,
        notes=notes,
    )


def from_directory(
    directory: str | Path,
    *,
    scenario: Scenario | None = None,
) -> ReportData:
    """Gather a report from a directory written by ``clustersim run --out DIR`` and/or a
    sweep (``summary.json``).

    Raises
    ------
    ClusterSimError
        When the directory holds neither result tables nor a sweep summary, or when
        ``scenario`` is not the scenario of the results.
    """
    from clustersim.io.readers import find_table

    d = Path(directory)
    if not d.is_dir():
        raise ClusterSimError(f"{d}: not a directory")
    summary = d / "summary.json"
    sweep = read_sweep_summary(summary) if summary.is_file() else None
    has_tables = find_table(d, "trajectories") is not None
    if not has_tables and sweep is None:
        raise ClusterSimError(
            f"{d}: no trajectories.parquet/targets.parquet (from 'clustersim run --out') and no "
            f"summary.json (from a sweep)"
        )
    if not has_tables:
        assert sweep is not None
        if scenario is None:
            scenario = sweep_scenario(d)
        return _sweep_only(d, sweep, scenario)
    result = result_from_directory(d, scenario)
    comp = None
    if scenario is not None:
        from clustersim.compile import compile_scenario

        comp = compile_scenario(scenario, samples=1)
    notes = () if scenario is not None else ("no_scenario_note",)
    return from_result(
        result, scenario=scenario, compiled=comp, origin=str(d), sweep=sweep, notes=notes
    )


def result_from_directory(directory: Path, scenario: Scenario | None = None) -> Result:
    """Rebuild a :class:`~clustersim.results.Result` from a results directory."""
    from clustersim.core.targets import Bound, Tier
    from clustersim.io.readers import read_result_tables
    from clustersim.results import Result, TargetResult

    tables = read_result_tables(directory)
    if scenario is not None:
        if scenario.id != tables.scenario_id:
            raise ClusterSimError(
                f"{directory}: the results are of scenario {tables.scenario_id!r}, "
                f"--scenario is {scenario.id!r}"
            )
        if tuple(scenario.clusters) != tables.clusters:
            raise ClusterSimError(
                f"{directory}: the results' clusters differ from the scenario's "
                f"(was the scenario edited after the run?)"
            )
    targets = []
    for row in tables.targets:
        tid = str(row["id"])
        goal = row.get("goal")
        if isinstance(goal, str):
            try:
                goal = json.loads(goal)
            except ValueError:
                goal = None
        op = row.get("op")
        tiers: tuple[Tier, ...] = ()
        if op == "tiers" and isinstance(goal, list):
            tiers = tuple(Tier(float(g["threshold"]), int(g["at_least"])) for g in goal)
            bound = Bound()
        elif op == "between" and isinstance(goal, list):
            bound = Bound(float(goal[0]), float(goal[1]))
        elif op == "<=":
            bound = Bound(hi=_float(goal))
        else:
            bound = Bound(lo=_float(goal))
        per = tables.target_samples.get(tid)
        if per is not None:
            value, margin, met = per["value"], per["margin"], per["met"]
        else:
            value = np.array([_float(row.get("value"))])
            margin = np.array([_float(row.get("margin"))])
            met = np.array([row.get("status") == "met"])
        rate = row.get("required_growth")
        required = (
            {
                "series": row.get("required_growth_series"),
                "rate": None if rate is None or not math.isfinite(rate) else float(rate),
                "method": row.get("required_growth_method"),
            }
            if row.get("required_growth_series")
            else None
        )
        start = row.get("from_year")
        targets.append(
            TargetResult(
                id=tid,
                label=str(row.get("label") or tid),
                kind=str(row.get("kind")),
                year=int(row["year"]),
                bound=bound,
                tiers=tiers,
                value=np.asarray(value, dtype=np.float64),
                margin=np.asarray(margin, dtype=np.float64),
                met=np.asarray(met, dtype=bool),
                source=row.get("source"),
                required_growth=required,
                start=int(start) if start is not None and math.isfinite(start) else None,
            )
        )
    return Result(
        tables.scenario_id,
        tables.years,
        tables.clusters,
        tables.samples,
        tables.series,
        targets,
        None,
    )


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _row(t: TargetResult, chart: str | None, audit: Audit | None = None) -> TargetRow:
    pct = is_percent(t.kind, t.goal, t.median_value)
    p = t.percentiles()
    found = audit.of(t.id) if audit is not None else ()
    notes = (
        Bi("；".join(f.text("zh") for f in found), "; ".join(f.text("en") for f in found))
        if found
        else None
    )
    return TargetRow(
        audit=audit.marker(t.id) if audit is not None else None,
        audit_notes=notes,
        id=t.id,
        label=bi(t.label, t.id),
        kind=t.kind,
        year=t.year,
        start=t.start,
        status=t.status,
        value=t.median_value,
        lo=t.bound.lo,
        hi=t.bound.hi,
        strict=t.bound.strict,
        tiers=tuple((x.threshold, x.at_least) for x in t.tiers),
        margin=t.median_margin,
        probability=t.probability,
        p5=p["p5"],
        p95=p["p95"],
        required=t.required_growth,
        source=t.source,
        percent=pct,
        pp=is_pp(t.kind),
        chart=chart,
    )


def _relabel(row: TargetRow, sc: Scenario) -> TargetRow:
    t = sc.targets.get(row.id)
    if t is None:
        return row
    from dataclasses import replace

    return replace(row, label=bi(t.label, row.id), source=t.source)


# --- trajectory charts --------------------------------------------------------------------


def _chart_key(ct: CompiledTarget) -> str:
    """File stem of the chart of ``ct``'s metric: ``series-<name>``, ``series-<name>-<cluster>``
    or, for any other expression, ``target-<id>``."""
    from clustersim.core import expr as ex

    m = ct.spec.metric
    if isinstance(m, ex.Name):
        return f"series-{m.id}"
    if isinstance(m, ex.Pick):
        return f"series-{m.name}-{m.cluster}"
    return f"target-{ct.spec.id}"


def _title(ct: CompiledTarget, sc: Scenario) -> Bi:
    from clustersim.core import expr as ex

    m = ct.spec.metric
    if isinstance(m, ex.Name):
        return series_label(m.id, sc)
    if isinstance(m, ex.Pick):
        c = sc.clusters.get(m.cluster)
        cl = bi(c.name if c else m.cluster, m.cluster)
        return series_label(m.name, sc) + Bi("：", ": ") + cl
    if isinstance(m, ex.Reduce) and isinstance(m.arg, ex.Name) and m.group is not None:
        g = sc.groups.get(m.group)
        gl = bi(g.name if g else m.group, m.group)
        return gl + Bi("", " ") + series_label(m.arg.id, sc)
    return bi(ct.model.label, ct.spec.id)


def _history_years(sc: Scenario) -> list[int]:
    years: set[int] = set()
    for per in sc.region.history.values():
        years.update(per)
    for c in sc.clusters.values():
        for per in c.history.values():
            years.update(per)
    return sorted(y for y in years if y < sc.base_year)


def _median_at(frame: Frame, metric: Expr, year: int) -> float | None:
    from clustersim.core.expr import ExprError

    try:
        v = np.asarray(frame.at(metric, year), dtype=np.float64)
    except (ExprError, KeyError, IndexError):
        return None
    if v.ndim != 1 or not np.all(np.isfinite(v)):
        return None
    return float(np.median(v))


def _marker(ct: CompiledTarget, frame: Frame, status: str, label: Bi) -> Marker:
    """The target drawn as its kind says (:attr:`~clustersim.kinds.targets.TargetKind.marker`)."""
    spec, kind = ct.spec, type(ct.model)
    lo, hi, start = spec.bound.lo, spec.bound.hi, spec.start
    base = Marker(spec.id, label, spec.kind, spec.year, status, start=start, goal=(lo, hi))
    if kind.marker == "goal":
        return Marker(spec.id, label, spec.kind, spec.year, status, lo, hi, goal=(lo, hi))
    if start is None:
        return base
    ref = _median_at(frame, spec.metric, start)
    if ref is None:
        return base
    years = range(start, spec.year + 1)
    goal = lo if lo is not None else hi
    if kind.marker == "reference":
        return Marker(
            spec.id,
            label,
            spec.kind,
            spec.year,
            status,
            None if lo is None else ref * (1 + lo),
            None if hi is None else ref * (1 + hi),
            start,
            ref,
            goal=(lo, hi),
        )
    if goal is None or kind.marker != "path":
        return base
    path = tuple((y, float(kind.goal_path(ref, goal, y - start))) for y in years)
    end = path[-1][1]
    return Marker(
        spec.id,
        label,
        spec.kind,
        spec.year,
        status,
        end if lo is not None else None,
        end if hi is not None else None,
        start,
        ref,
        path,
        (lo, hi),
    )


def _trajectory_charts(
    result: Result, sc: Scenario | None, comp: Compiled | None
) -> tuple[list[TrajectoryChart], dict[str, str]]:
    """Charts of the series the targets read (and of GDP), and target id -> chart key."""
    years = np.asarray(result.years, dtype=np.int64)
    charts: list[TrajectoryChart] = []
    chart_of: dict[str, str] = {}
    if comp is None or sc is None:
        for name, arr in result.region_series().items():
            if name.endswith("_flow") or not np.all(np.isfinite(arr)):
                continue
            charts.append(
                TrajectoryChart(
                    f"series-{name}",
                    series_label(name, sc),
                    None,
                    name in ("rd_intensity",) or name.endswith("_share"),
                    Band.of(years, arr),
                )
            )
        return charts, chart_of
    from clustersim.core.expr import ExprError, Name
    from clustersim.engines.projection import frame_of

    frame = frame_of(comp, result.series)
    status = {t.id: t.status for t in result.targets}
    by_key: dict[str, list[CompiledTarget]] = {}
    for ct in comp.targets.values():
        if type(ct.model).marker == "bars":  # drawn on the cluster bars
            continue
        key = _chart_key(ct)
        by_key.setdefault(key, []).append(ct)
    if "series-gdp" not in by_key:
        by_key = {"series-gdp": [], **by_key}
    hist_years = _history_years(sc)
    for key, cts in by_key.items():
        metric: Expr = cts[0].spec.metric if cts else Name("gdp")
        try:
            traj = np.asarray(frame.trajectory(metric), dtype=np.float64)
        except (ExprError, KeyError):
            continue
        if traj.ndim != 2 or not np.all(np.isfinite(traj)):
            continue
        history = tuple(
            (y, v) for y in hist_years if (v := _median_at(frame, metric, y)) is not None
        )
        labels = {ct.spec.id: _target_label(ct) for ct in cts}
        markers = tuple(
            _marker(ct, frame, status.get(ct.spec.id, "missed"), labels[ct.spec.id]) for ct in cts
        )
        med = float(np.nanmax(np.abs(np.median(traj, axis=0))))
        pct = any(_chart_percent(ct, med) for ct in cts)
        title = _title(cts[0], sc) if cts else series_label("gdp", sc)
        charts.append(
            TrajectoryChart(
                key,
                title,
                _unit_of(metric, sc),
                pct,
                Band.of(years, traj),
                history,
                markers,
            )
        )
        for ct in cts:
            chart_of[ct.spec.id] = key
    return charts, chart_of


def _chart_percent(ct: CompiledTarget, median: float) -> bool:
    """Whether ``ct``'s series reads as a percentage (its kind's ``chart_percent``; None:
    judged by the goal as for a level)."""
    flag = type(ct.model).chart_percent
    return flag if flag is not None else level_is_percent(_goal_float(ct), median)


def _target_label(ct: CompiledTarget) -> Bi:
    return bi(ct.model.label, ct.spec.id)


def _goal_float(ct: CompiledTarget) -> Any:
    b = ct.spec.bound
    return b.lo if b.lo is not None else b.hi


def _unit_of(metric: Expr, sc: Scenario) -> str | None:
    from clustersim.core import expr as ex

    name = metric.id if isinstance(metric, ex.Name) else None
    if isinstance(metric, ex.Pick | ex.Reduce):
        inner = metric.name if isinstance(metric, ex.Pick) else None
        if isinstance(metric, ex.Reduce) and isinstance(metric.arg, ex.Name):
            inner = metric.arg.id
        if inner in ("output", "value_added", "rd"):
            return sc.unit
        if inner == "energy":
            return sc.energy_unit
        return None
    if name is None:
        return None
    if name in ("gdp", "industrial_output", "rd_rest", "rd_total", "cluster_output"):
        return sc.unit
    if name in ("energy_rest", "energy_total"):
        return sc.energy_unit
    if name in sc.metrics:
        return sc.metrics[name].unit
    if name in sc.indicators:
        return sc.indicators[name].unit
    if name.endswith("_flow") and name[:-5] in sc.indicators:
        return sc.indicators[name[:-5]].unit
    series = getattr(sc.region, name, None)
    return getattr(series, "unit", None)


# --- cluster bars -------------------------------------------------------------------------


def _cluster_bars(result: Result, sc: Scenario | None) -> ClusterBars | None:
    out = result.series.get("output")
    if out is None or out.ndim != 3 or out.shape[1] == 0:
        return None
    plan_thresholds: set[float] = set()
    year = result.end_year
    if sc is not None:
        for t in sc.targets.values():
            bars = t.cluster_bars()
            if bars is not None:
                year = bars[0]
                plan_thresholds.update(bars[1])
    i = year - result.base_year
    at = out[:, :, i]
    q = np.percentile(at, (5, 50, 95), axis=0)
    top = float(np.max(q[2])) if q.size else 0.0
    thresholds = sorted(
        {t for t in CLUSTER_THRESHOLDS if t <= max(1.6 * top, CLUSTER_THRESHOLDS[0])}
        | plan_thresholds
    )
    ids = tuple(result.clusters)
    labels = tuple(
        bi(sc.clusters[c].name if sc is not None and c in sc.clusters else c, c) for c in ids
    )
    return ClusterBars(
        key="clusters-output",
        year=year,
        base_year=result.base_year,
        ids=ids,
        labels=labels,
        base=np.median(out[:, :, 0], axis=0),
        median=q[1],
        p5=q[0],
        p95=q[2],
        thresholds=tuple(thresholds),
        unit=sc.unit if sc is not None else "亿元",
        samples=result.samples,
    )


# --- sweeps -------------------------------------------------------------------------------

_S1_KEYS = ("first_order", "S1", "s1", "first")
_ST_KEYS = ("total_order", "ST", "st", "total")


def _pick(d: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for k in keys:
        if k in d:
            return d[k]
    return None


def _opt_float(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and math.isfinite(v) else None


def read_sweep_summary(path: str | Path) -> SweepSummary:
    """Read the target probabilities and sensitivity indices of a sweep's ``summary.json``
    (as ``clustersim sweep --out DIR`` writes it)::

        {"method": "sobol", "samples": 4096, "factors": ["region.gdp.growth.rate", ...],
         "all_met_probability": 0.12,
         "targets": [{"id": "rd_intensity", "label": "...", "probability": 0.46,
                      "percentiles": {"p5": ..., "p50": ..., "p95": ...}}, ...],
         "sensitivity": {"method": "sobol", "indices": [{"target": "rd_intensity",
                         "factor": "region.gdp.growth.rate", "first_order": 0.79,
                         "total_order": 0.80}, ...]}}

    Also accepted: ``targets`` as a mapping of id to ``{probability, ...}``, and
    ``sensitivity`` as a mapping of target to ``{factor: {first_order, total_order}}``.
    """
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ClusterSimError(f"{p}: cannot read the sweep summary: {exc}") from exc
    if not isinstance(doc, dict):
        raise ClusterSimError(f"{p}: a sweep summary must be a JSON object")
    probability: dict[str, float] = {}
    labels: dict[str, str] = {}
    percentiles: dict[str, dict[str, float]] = {}
    raw_targets = doc.get("targets") or []
    items: list[tuple[str, Any]] = []
    if isinstance(raw_targets, dict):
        items = [(str(k), v) for k, v in raw_targets.items()]
    elif isinstance(raw_targets, list):
        items = [(str(v.get("id")), v) for v in raw_targets if isinstance(v, dict)]
    for tid, v in items:
        if isinstance(v, int | float):
            probability[tid] = float(v)
            continue
        if not isinstance(v, dict):
            continue
        pr = _opt_float(_pick(v, ("probability", "p_met")))
        if pr is not None:
            probability[tid] = pr
        if isinstance(v.get("label"), str):
            labels[tid] = v["label"]
        pcts = v.get("percentiles")
        if isinstance(pcts, dict):
            percentiles[tid] = {
                str(k): f for k, x in pcts.items() if (f := _opt_float(x)) is not None
            }
    sensitivity: dict[str, list[tuple[str, float, float | None]]] = {}
    raw_sens = doc.get("sensitivity") or {}
    method = None
    if isinstance(raw_sens, dict) and isinstance(raw_sens.get("indices"), list):
        method = raw_sens.get("method")
        for e in raw_sens["indices"]:
            if not isinstance(e, dict):
                continue
            s1 = _opt_float(_pick(e, _S1_KEYS))
            if s1 is None or e.get("target") is None or e.get("factor") is None:
                continue
            sensitivity.setdefault(str(e["target"]), []).append(
                (str(e["factor"]), s1, _opt_float(_pick(e, _ST_KEYS)))
            )
    elif isinstance(raw_sens, dict):
        for tid, v in raw_sens.items():
            entries = _sens_entries(v)
            if entries:
                sensitivity[str(tid)] = entries
    for tid in sensitivity:
        sensitivity[tid].sort(key=lambda e: -(e[2] if e[2] is not None else e[1]))
    factors = doc.get("factors") or doc.get("parameters") or []
    names = tuple(
        str(x.get("path") if isinstance(x, dict) else x)
        for x in (factors if isinstance(factors, list) else [])
    )
    samples = doc.get("samples")
    return SweepSummary(
        path=str(p),
        method=str(doc["method"]) if doc.get("method") is not None else None,
        samples=int(samples) if isinstance(samples, int | float) else None,
        parameters=names,
        probability=probability,
        labels=labels,
        sensitivity=sensitivity,
        percentiles=percentiles,
        all_met=_opt_float(doc.get("all_met_probability")),
        sensitivity_method=str(method) if method is not None else None,
    )


def _sens_entries(v: Any) -> list[tuple[str, float, float | None]]:
    out: list[tuple[str, float, float | None]] = []
    if not isinstance(v, dict):
        return out
    for name, e in v.items():
        if isinstance(e, dict):
            s1 = _opt_float(_pick(e, _S1_KEYS))
            if s1 is not None:
                out.append((str(name), s1, _opt_float(_pick(e, _ST_KEYS))))
        elif (s1 := _opt_float(e)) is not None:
            out.append((str(name), s1, None))
    return out


def sweep_scenario(directory: Path) -> Scenario | None:
    """The scenario a sweep ran, from its ``manifest.json`` (``scenario_file``, relative to
    the directory the sweep was run from), if it can still be found and loaded."""
    from clustersim.scenario.loader import load_scenario

    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = manifest.get("scenario_file") if isinstance(manifest, dict) else None
    if not isinstance(name, str):
        return None
    sweep_file = manifest.get("sweep_file")
    candidates = [Path(name), directory.parent / name]
    if isinstance(sweep_file, str):
        candidates.insert(1, Path(sweep_file).parent / name)
    for c in candidates:
        if c.is_file():
            try:
                sc = load_scenario(c)
            except ClusterSimError:
                return None
            return sc if sc.id == manifest.get("scenario", sc.id) else None
    return None


def _sweep_only(d: Path, sweep: SweepSummary, sc: Scenario | None) -> ReportData:
    from clustersim.report.fmt import is_percent, is_pp

    rows = []
    for tid, p in sweep.probability.items():
        t = sc.targets.get(tid) if sc is not None else None
        text = sweep.labels.get(tid, tid)
        label = bi(t.label, tid) if t is not None else Bi(text, text)
        q = sweep.percentiles.get(tid, {})
        lo = getattr(t, "at_least", None) if t is not None else None
        hi = getattr(t, "at_most", None) if t is not None else None
        between = getattr(t, "between", None) if t is not None else None
        if between is not None:
            lo, hi = between
        tiers = tuple((x.threshold, x.at_least) for x in (getattr(t, "tiers", None) or ()))
        kind = t.kind if t is not None else ""
        median = q.get("p50", math.nan)
        rows.append(
            TargetRow(
                id=tid,
                label=label,
                kind=kind,
                year=t.year if t is not None else 0,
                start=None,
                status="",  # a sweep has no single status: read the probability
                value=median,
                lo=lo,
                hi=hi,
                tiers=tiers,
                margin=math.nan,
                probability=p,
                p5=q.get("p5", math.nan),
                p95=q.get("p95", math.nan),
                required=None,
                source=t.source if t is not None else None,
                percent=is_percent(kind, lo if lo is not None else hi, median),
                pp=is_pp(kind),
            )
        )
    sid = sc.id if sc is not None else d.name
    return ReportData(
        scenario_id=sid,
        title=bi(sc.name) if sc is not None else Bi(sid, sid),
        base_year=sc.base_year if sc is not None else 0,
        end_year=sc.end_year if sc is not None else 0,
        samples=sweep.samples or 0,
        seed=None,
        unit=sc.unit if sc is not None else "亿元",
        origin=str(d),
        targets=tuple(rows),
        charts=(),
        clusters=None,
        sweep=sweep,
        notes=("sweep_only_note",),
    )
