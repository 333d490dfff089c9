"""Run results: arrays with their labels, target outcomes, tidy tables for notebooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from clustersim.core.targets import Bound, Tier
from clustersim.errors import ClusterSimError
from clustersim.suggest import did_you_mean
from clustersim.values.names import Label, label_text

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd
    import pyarrow as pa
    from matplotlib.figure import Figure

    from clustersim.compile import Compiled
    from clustersim.scenario.audit import Audit

__all__ = [
    "PERCENTILES",
    "STATUSES",
    "Result",
    "StatusRule",
    "TargetResult",
    "UnknownTargetError",
    "median",
    "percentiles",
]


class UnknownTargetError(ClusterSimError, KeyError):
    """``Result.target(id)`` for an id the run does not have (a ``KeyError`` too, so code
    that caught the bare ``KeyError`` still works)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""

Array = NDArray[np.float64]
PERCENTILES = (5, 25, 50, 75, 95)
TRAJECTORY_COLUMNS = ("scenario", "sample", "cluster", "year", "variable", "value")
#: every status a target can have: one path (or the median) meets it or not; under a
#: :class:`StatusRule`, how likely it is over the Monte Carlo samples
STATUSES = ("met", "missed", "likely", "uncertain", "unlikely")


def median(a: Array, axis: int | None = None) -> Any:
    """``np.median(a, axis)``, computed as NumPy computes it (a partition at the middle one or
    two and the last place, the mean of the middle, NaN where the last place is NaN), bit for
    bit, without importing ``numpy.ma``: NumPy 2.4's median imports it for its NaN check
    (0.015-0.02 s of a cold ``clustersim run``). float64 arrays of one or more values;
    anything else goes to ``np.median``."""
    a = np.asanyarray(a)
    size = a.size if axis is None else a.shape[axis]
    if type(a) is not np.ndarray or a.dtype != np.float64 or a.ndim == 0 or size == 0:
        return np.median(a, axis=axis)
    kth = [size // 2 - 1, size // 2] if size % 2 == 0 else [(size - 1) // 2]
    part = np.partition(a, [*kth, -1], axis=axis)
    ax = 0 if axis is None else axis
    index = part.shape[ax] // 2
    middle = [slice(None)] * part.ndim
    middle[ax] = slice(index, index + 1) if part.shape[ax] % 2 else slice(index - 1, index + 1)
    out = np.mean(part[tuple(middle)], axis=ax)
    last = part.take(-1, axis=ax)
    nan = np.isnan(last)
    if not nan.any():
        return out
    if isinstance(out, np.generic):
        return last
    np.copyto(out, last, where=nan)
    return out


def percentiles(a: Array, q: tuple[float, ...]) -> Array:
    """``np.percentile(a, q)`` (the default ``linear`` method) of a 1-D float64 array, computed
    as NumPy 2.4 computes it (the same partition, the same neighbours and weights, the same
    two-sided interpolation, NaN when ``a`` holds one), bit for bit, without the
    ``np.unique`` that imports ``numpy.ma``; anything else goes to ``np.percentile``."""
    a = np.asanyarray(a)
    if type(a) is not np.ndarray or a.dtype != np.float64 or a.ndim != 1 or not a.size:
        return np.asarray(np.percentile(a, q))
    quantiles = np.true_divide(np.asanyarray(q), 100)
    if quantiles.ndim != 1 or not ((quantiles >= 0) & (quantiles <= 1)).all():
        return np.asarray(np.percentile(a, q))
    return linear_quantiles(a, quantiles)


def linear_quantiles(arr: Array, quantiles: Array, *, ordered: bool = False) -> Array:
    """``np.quantile(arr, quantiles)`` (the ``linear`` method) of a non-empty 1-D float64
    array, ``quantiles`` in [0, 1], as NumPy 2.4 computes it: the neighbours of each virtual
    index ``(n - 1) q``, found by a partition of a copy (or, with ``ordered``, read where
    they are in an array already sorted), and NumPy's two-sided interpolation; NaN when
    ``arr`` holds one. The same doubles as NumPy's (a zero's sign aside when ``ordered``:
    equal zeros of both signs may sit in either order)."""
    n = arr.shape[0]
    virtual = (n - 1) * quantiles
    prev_f = np.floor(virtual)
    next_f = prev_f + 1
    above = virtual >= n - 1
    prev_f[above] = -1
    next_f[above] = -1
    below = virtual < 0
    prev_f[below] = 0
    next_f[below] = 0
    prev_i = prev_f.astype(np.intp)
    next_i = next_f.astype(np.intp)
    if not ordered:
        arr = arr.copy()
        kth = np.array(sorted({0, -1, *prev_i.tolist(), *next_i.tolist()}), dtype=np.intp)
        arr.partition(kth, axis=0)
    lo = arr[prev_i]
    hi = arr[next_i]
    gamma = np.asanyarray(np.asanyarray(virtual - prev_i), dtype=virtual.dtype)
    diff = hi - lo
    out: Array = np.add(lo, diff * gamma)
    np.subtract(hi, diff * (1 - gamma), out=out, where=gamma >= 0.5, casting="unsafe")
    if np.isnan(arr[-1]):
        np.copyto(out, arr[-1])
    return out


@dataclass(frozen=True)
class StatusRule:
    """A Monte Carlo target's status from its probability P(met).

    ``likely`` when P(met) >= ``likely``, ``unlikely`` when P(met) <= ``unlikely``, else
    ``uncertain``. The defaults (80% and 20%) are the command line's; ``clustersim run
    --likely/--unlikely`` and the config file's ``[status]`` table change them.
    """

    likely: float = 0.8
    unlikely: float = 0.2

    def __post_init__(self) -> None:
        if not 0.0 <= self.unlikely < self.likely <= 1.0:
            raise ValueError(
                f"status thresholds: need 0 <= unlikely < likely <= 1, "
                f"got unlikely={self.unlikely}, likely={self.likely}"
            )

    def status(self, probability: float) -> str:
        """``"likely"``, ``"uncertain"`` or ``"unlikely"`` for a probability of being met."""
        if probability >= self.likely:
            return "likely"
        if probability <= self.unlikely:
            return "unlikely"
        return "uncertain"


@dataclass
class TargetResult:
    """One target's outcome. ``value``, ``margin`` and ``met`` are per sample ``(S,)``."""

    id: str
    label: Label
    kind: str
    year: int
    bound: Bound
    tiers: tuple[Tier, ...]
    value: Array
    margin: Array
    met: NDArray[np.bool_]
    source: str | None
    required_growth: dict[str, Any] | None = None
    detail: dict[str, Array] = field(default_factory=dict)
    start: int | None = None
    #: required growth for each lever, when the target lists several
    required_levers: list[dict[str, Any]] = field(default_factory=list)
    #: 力争 / 确保 (``aspirational`` / ``binding``), None when the plan does not say
    strength: str | None = None
    #: the plan sentence whose goals must be met together
    joint: str | None = None
    #: the value is a count: medians and percentiles are sample values, never between two
    integer: bool = False
    #: with several samples, the status comes from P(met) under this rule (else: the median's)
    rule: StatusRule | None = None

    def __repr__(self) -> str:
        tail = f", P(met)={self.probability:.1%}" if len(self.met) > 1 else ""
        return (
            f"TargetResult({self.id!r}, {self.year}, {self.status}, "
            f"value={self.median_value:.6g}{tail})"
        )

    @property
    def probability(self) -> float:
        """Share of samples in which the target is met."""
        return float(np.mean(self.met))

    def _median(self, a: Array) -> float:
        # a count's median is one of its samples (the lower middle), never 2.5 clusters
        if self.integer:
            return float(np.percentile(a, 50, method="inverted_cdf"))
        return float(median(a))

    @property
    def median_value(self) -> float:
        return self._median(self.value)

    @property
    def median_margin(self) -> float:
        return self._median(self.margin)

    @property
    def central_value(self) -> float:
        """The headline value: the one path's value, or the median over Monte Carlo samples
        (never the central-values path when inputs are uncertain)."""
        return self.median_value

    @property
    def status(self) -> str:
        """One of :data:`STATUSES`: "met" or "missed" for one sample; for several samples
        "likely", "uncertain" or "unlikely" from P(met) under :attr:`rule`, or without a
        rule the status of the median margin."""
        if len(self.met) == 1:
            return "met" if bool(self.met[0]) else "missed"
        if self.rule is not None:
            return self.rule.status(self.probability)
        return "met" if bool(self.bound.reached(np.asarray(self.median_margin))) else "missed"

    @property
    def good(self) -> bool:
        """The status counts as on track: "met" or "likely"."""
        return self.status in ("met", "likely")

    @property
    def goal(self) -> Any:
        if self.tiers:
            return [{"threshold": t.threshold, "at_least": t.at_least} for t in self.tiers]
        b = self.bound
        if b.lo is not None and b.hi is not None:
            return [b.lo, b.hi]
        return b.lo if b.lo is not None else b.hi

    @property
    def op(self) -> str:
        if self.tiers:
            return "tiers"
        b = self.bound
        if b.lo is not None and b.hi is not None:
            return "between"
        if b.strict:
            return ">" if b.lo is not None else "<"
        return ">=" if b.lo is not None else "<="

    def percentiles(self) -> dict[str, float]:
        if self.integer:
            q = np.percentile(self.value, PERCENTILES, method="inverted_cdf")
        else:
            q = percentiles(self.value, PERCENTILES)
        return {f"p{p}": float(v) for p, v in zip(PERCENTILES, q, strict=True)}

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "label": label_text(self.label, lang, self.id),
            "kind": self.kind,
            "year": self.year,
            "status": self.status,
            "value": self.median_value,
            "goal": self.goal,
            "op": self.op,
            "margin": self.median_margin,
            "probability": self.probability,
            "required_growth": self.required_growth,
            "source": self.source,
        }
        if self.start is not None:
            d["from_year"] = self.start
        if len(self.value) > 1:
            d["percentiles"] = self.percentiles()
        if self.detail:
            d["detail"] = {k: self._median(v) for k, v in self.detail.items()}
        # new plan-language fields appear only when a target uses them
        if self.strength is not None:
            d["strength"] = self.strength
        if self.joint is not None:
            d["joint"] = self.joint
        if self.required_levers:
            d["required_growth_levers"] = self.required_levers
        return d


def _goal_text(goal: Any) -> str:
    if isinstance(goal, list) and goal and isinstance(goal[0], dict):
        return "; ".join(f">= {g['at_least']} over {g['threshold']:g}" for g in goal)
    if isinstance(goal, list):
        return " to ".join(f"{g:.6g}" for g in goal)
    return f"{goal:.6g}" if isinstance(goal, float | int) else str(goal)


@dataclass
class Result:
    """The projection of one scenario.

    Attributes
    ----------
    scenario_id : str
    years : int array (T,)
    clusters : tuple of str (C,)
    samples : int
    series : dict of str to array
        ``(S, T)`` region series and metrics, ``(S, C, T)`` cluster series.
    targets : list of TargetResult
    seed : int or None
        The root seed used for Monte Carlo draws (None for a plain run).
    audit : Audit or None
        The assumption audit (targets fixed by the scenario's own assumptions), when the run
        was asked for it (``load_and_run(audit=True)``, ``clustersim run``).
    uncertain : int or None
        How many numbers of the scenario are uncertain (distributions, observations), when
        known (``load_and_run`` sets it): 0 means the run is deterministic.

    Values, margins and series shown as one number (``TargetResult.central_value``,
    :meth:`to_dict`, the terminal table) are medians over the samples: with uncertain
    inputs the central value is the Monte Carlo median, not the path of central inputs.
    """

    scenario_id: str
    years: NDArray[np.int64]
    clusters: tuple[str, ...]
    samples: int
    series: dict[str, Array]
    targets: list[TargetResult]
    seed: int | None
    compiled: Compiled | None = None
    audit: Audit | None = None
    uncertain: int | None = None

    @property
    def rule(self) -> StatusRule | None:
        """The rule the statuses come from (Monte Carlo runs given one), else None."""
        if self.samples > 1 and self.targets:
            return self.targets[0].rule
        return None

    def with_rule(self, rule: StatusRule | None) -> Result:
        """This result with every target's status from P(met) under ``rule`` (None: from
        the median); returns ``self``."""
        for t in self.targets:
            t.rule = rule
        return self

    @property
    def mode(self) -> str:
        """``"monte_carlo"`` (several samples), ``"central"`` (one path of central values
        of uncertain inputs) or ``"deterministic"`` (nothing uncertain)."""
        if self.samples > 1:
            return "monte_carlo"
        return "deterministic" if self.uncertain == 0 else "central"

    @property
    def base_year(self) -> int:
        return int(self.years[0])

    @property
    def end_year(self) -> int:
        return int(self.years[-1])

    def region_series(self) -> dict[str, Array]:
        """Region-level series and derived metrics, ``(S, T)`` each."""
        return {k: v for k, v in self.series.items() if v.ndim == 2}

    def cluster_series(self) -> dict[str, Array]:
        return {k: v for k, v in self.series.items() if v.ndim == 3}

    def target(self, target_id: str) -> TargetResult:
        """The target with id ``target_id``.

        Raises
        ------
        UnknownTargetError
            (a ``KeyError``) naming the closest ids when there is no such target.
        """
        for t in self.targets:
            if t.id == target_id:
                return t
        ids = [t.id for t in self.targets]
        hint = did_you_mean(target_id, ids) or f" (targets: {', '.join(ids[:12])})"
        raise UnknownTargetError(f"{self.scenario_id} has no target {target_id!r}{hint}")

    def counts(self) -> dict[str, int]:
        """How many targets have each status (only the statuses that occur)."""
        out: dict[str, int] = {}
        for t in self.targets:
            out[t.status] = out.get(t.status, 0) + 1
        return out

    def __repr__(self) -> str:
        # short on purpose: a notebook cell shows this, not the arrays
        counts = ", ".join(f"{n} {s}" for s, n in self.counts().items())
        seed = f", seed={self.seed}" if self.samples > 1 else ""
        return (
            f"Result({self.scenario_id!r}, {self.base_year}-{self.end_year}, "
            f"samples={self.samples:,}{seed}, targets: {counts} of {len(self.targets)})"
        )

    def _repr_html_(self) -> str:
        """The target table, for Jupyter: id, label, year, status, value (median), goal,
        margin and, for Monte Carlo runs, P(met)."""
        import html

        mc = self.samples > 1
        head = ["target", "label", "year", "status", "value (median)" if mc else "value"]
        head += ["goal", "margin"] + (["P(met)"] if mc else [])
        rows = []
        for t in self.targets:
            cells = [t.id, label_text(t.label, "en", t.id), t.year, t.status]
            cells += [f"{t.median_value:.6g}", _goal_text(t.goal), f"{t.median_margin:.4g}"]
            if mc:
                cells.append(f"{t.probability:.1%}")
            rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
        caption = html.escape(repr(self))
        return (
            f"<table><caption>{caption}</caption><thead><tr>"
            + "".join(f"<th>{html.escape(h)}</th>" for h in head)
            + "</tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )

    def plot(self, series: str, *, lang: str = "en") -> Figure:
        """The report's chart of ``series`` (a series or metric id, or a target id): the
        median, the 50% and 90% bands, history and the targets marked. Needs matplotlib
        (``clustersim[plot]``); see :func:`clustersim.report.notebook.plot`."""
        # lazily: the report layer sits above results (pyproject's contract says why)
        from clustersim.report.notebook import plot

        return plot(self, series, lang=lang)

    def report(self, path: str | Path, *, lang: str = "en") -> Path:
        """Write the one-file HTML report of this run to ``path`` (the same page as
        ``clustersim report``); see :func:`clustersim.report.notebook.report`."""
        from clustersim.report.notebook import report

        return report(self, path, lang=lang)

    @property
    def all_met(self) -> bool:
        """Every target met (under a :class:`StatusRule`: every target likely)."""
        return all(t.good for t in self.targets)

    def joint(self) -> dict[str, dict[str, Any]]:
        """Each joint goal (the targets sharing a ``joint:`` sentence id): its targets and
        the share of samples in which all of them are met."""
        groups: dict[str, list[TargetResult]] = {}
        for t in self.targets:
            if t.joint is not None:
                groups.setdefault(t.joint, []).append(t)
        return {
            jid: {
                "targets": [t.id for t in ts],
                "probability": float(np.mean(np.logical_and.reduce([t.met for t in ts]))),
            }
            for jid, ts in groups.items()
        }

    def strength_counts(self) -> dict[str, dict[str, int]]:
        """Targets met and in all, for binding and for aspirational targets (only the
        strengths the scenario uses)."""
        out: dict[str, dict[str, int]] = {}
        for t in self.targets:
            if t.strength is not None:
                c = out.setdefault(t.strength, {"met": 0, "targets": 0})
                c["targets"] += 1
                c["met"] += t.good
        return out

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The JSON document of ``clustersim run --json``."""
        med = {
            name: {
                int(y): float(v) for y, v in zip(self.years, median(arr, axis=0), strict=True)
            }
            for name, arr in self.region_series().items()
        }
        doc: dict[str, Any] = {
            "scenario": self.scenario_id,
            "base_year": self.base_year,
            "end_year": self.end_year,
            "samples": self.samples,
            "seed": self.seed,
            "clusters": list(self.clusters),
            "all_met": self.all_met,
            "targets": [t.to_dict(lang) for t in self.targets],
            "series": med,
        }
        joint = self.joint()
        if joint:
            doc["joint"] = joint
        strengths = self.strength_counts()
        if strengths:
            doc["strength"] = strengths
        if self.audit is not None:
            doc["audit"] = self.audit.to_dict(lang)
        rule = self.rule
        if rule is not None:
            doc["status_rule"] = {"likely": rule.likely, "unlikely": rule.unlikely}
        return doc

    def to_arrow(self) -> pa.Table:
        """Tidy trajectories: ``scenario, sample, cluster, year, variable, value``."""
        from clustersim.io.tables import trajectories_table

        return trajectories_table(self)

    def targets_arrow(self) -> pa.Table:
        """One row per target and sample: value, margin, met."""
        from clustersim.io.tables import targets_table

        return targets_table(self)

    def to_pandas(self) -> pd.DataFrame:
        """:meth:`to_arrow` as a pandas DataFrame (needs pandas)."""
        try:
            import pandas  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install 'clustersim[pandas]'") from exc
        return self.to_arrow().to_pandas()

    def targets_pandas(self) -> pd.DataFrame:
        return self.targets_arrow().to_pandas()
