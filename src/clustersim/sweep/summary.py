"""Summaries of a sweep: target probabilities, percentiles, sensitivity, what must hold.

Everything is computed from the chunks' mergeable partials (:mod:`clustersim.sweep.partial`,
computed by the workers and stored beside the samples), merged in chunk order, so a resumed
sweep and an uninterrupted one summarise identically, and the samples table is never read
back. P(met) is an exact count; the value percentiles come from a quantile sketch with a
relative error of at most :data:`~clustersim.sweep.partial.SKETCH_ALPHA`.

Sensitivity of each target's margin to each factor (a swept parameter, or every sampled
number when nothing is swept):

- ``method: sobol``: first-order and total Sobol' indices from Saltelli's design
  (estimators of Saltelli et al. 2010 as in :func:`scipy.stats.sobol_indices`: first order
  ``mean(f_B (f_AB - f_A)) / V``, total ``mean((f_A - f_AB)^2) / (2V)`` (Jansen)). The
  scenario's other uncertain numbers, when sampled, form one group.
- other methods: the first-order index estimated from the given samples as the
  correlation ratio of the margin on the factor, ``eta^2 = Var(E[Y | bin(X)]) / Var(Y)``
  over up to 64 equal-count bins (or the factor's levels), bias-adjusted
  ``1 - (1 - eta^2) (N - 1) / (N - B)``. No total index.

"What must hold", for each target met in fewer than :data:`MISSED_OFTEN` of the samples:
each factor's 5th-95th percentile among the samples that meet the target and among those
that miss it, ranked by the Kolmogorov-Smirnov distance between the two.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clustersim.grid import Grid, Parts
from clustersim.i18n import word
from clustersim.sweep.partial import MAX_BINS, Binning, Layout, Merged
from clustersim.sweep.plan import OTHER, SweepPlan

__all__ = [
    "MISSED_OFTEN",
    "PERCENTILES",
    "Condition",
    "Index",
    "JointStats",
    "Summary",
    "TargetStats",
    "first_order_binned",
    "summarize",
]

Array = NDArray[np.float64]
PERCENTILES = (5, 25, 50, 75, 95)
#: targets met in fewer than this share of samples get a "what must hold" readout
MISSED_OFTEN = 0.8
TOP_FACTORS = 3
#: up to this many factors, the sensitivity text is a table
MATRIX_FACTORS = 8
#: the "what must hold" text omits factors whose met and missed distributions are this close
MIN_SEPARATION = 0.05


@dataclass(frozen=True)
class TargetStats:
    """One target over all samples."""

    id: str
    label: str
    probability: float
    mean: float
    percentiles: dict[str, float]


@dataclass(frozen=True)
class JointStats:
    """A joint goal (the targets of one plan sentence) over all samples: P(all met)."""

    id: str
    targets: tuple[str, ...]
    probability: float


@dataclass(frozen=True)
class Index:
    """Sensitivity of one target's margin to one factor; None where the margin is constant."""

    target: str
    factor: str
    first_order: float | None
    total_order: float | None
    method: str


@dataclass(frozen=True)
class Condition:
    """A factor's range among the samples that meet a target and those that miss it."""

    target: str
    probability: float
    factor: str
    met: tuple[float, float, float] | None  # p5, p50, p95
    missed: tuple[float, float, float] | None
    separation: float  # Kolmogorov-Smirnov distance between the two distributions


@dataclass
class Summary:
    """The summary of a sweep (``summary.json``)."""

    method: str
    rows: int
    seed: int
    base_points: int | None
    factors: tuple[str, ...]
    all_met: float
    targets: list[TargetStats]
    sensitivity: list[Index]
    conditions: list[Condition]
    sensitivity_method: str
    #: uncertain numbers of the scenario sampled besides the swept parameters
    others: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    #: each joint goal's P(all met), in scenario order (empty without ``joint:``)
    joint: list[JointStats] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able; NaN becomes None."""
        doc: dict[str, Any] = _clean(
            {
                "method": self.method,
                "samples": self.rows,
                "base_points": self.base_points,
                "seed": self.seed,
                "factors": list(self.factors),
                "other_uncertain_numbers": self.others,
                "all_met_probability": self.all_met,
                "targets": [asdict(t) for t in self.targets],
                **(
                    {
                        "joint": {
                            j.id: {"targets": list(j.targets), "probability": j.probability}
                            for j in self.joint
                        }
                    }
                    if self.joint
                    else {}
                ),
                "sensitivity": {
                    "method": self.sensitivity_method,
                    "indices": [asdict(i) for i in self.sensitivity],
                },
                "must_hold": {
                    "below_probability": MISSED_OFTEN,
                    "conditions": [_cond_dict(c) for c in self.conditions],
                },
                **self.extra,
            }
        )
        return doc

    def tables(self) -> dict[str, dict[str, list[Any]]]:
        """Column dicts for ``summary/targets``, ``summary/sensitivity``, ``summary/must_hold``."""
        targets: dict[str, list[Any]] = {"target": [], "label": [], "probability": [], "mean": []}
        for p in PERCENTILES:
            targets[f"p{p}"] = []
        for t in self.targets:
            targets["target"].append(t.id)
            targets["label"].append(t.label)
            targets["probability"].append(t.probability)
            targets["mean"].append(t.mean)
            for p in PERCENTILES:
                targets[f"p{p}"].append(t.percentiles[f"p{p}"])
        targets["target"].append("(all targets)")
        targets["label"].append("all targets met")
        targets["probability"].append(self.all_met)
        for k in ("mean", *(f"p{p}" for p in PERCENTILES)):
            targets[k].append(None)
        for j in self.joint:
            targets["target"].append(f"(joint {j.id})")
            targets["label"].append("all met: " + ", ".join(j.targets))
            targets["probability"].append(j.probability)
            for k in ("mean", *(f"p{p}" for p in PERCENTILES)):
                targets[k].append(None)
        sens: dict[str, list[Any]] = {
            k: [getattr(i, k) for i in self.sensitivity]
            for k in ("target", "factor", "first_order", "total_order", "method")
        }
        cond: dict[str, list[Any]] = {
            k: []
            for k in (
                "target",
                "probability",
                "factor",
                "met_p5",
                "met_p50",
                "met_p95",
                "missed_p5",
                "missed_p50",
                "missed_p95",
                "separation",
            )
        }
        for c in self.conditions:
            d = _cond_dict(c)
            for k in cond:
                cond[k].append(d[k])
        return {
            "targets": _typed(targets),
            "sensitivity": _typed(sens),
            "must_hold": _typed(cond),
        }

    def parts(self, lang: str = "en") -> Parts:
        """The summary as the command line prints it, in ``lang``: lines and tables (drawn
        with rich); every word from the i18n table."""

        def w(key: str, **fmt: object) -> str:
            return word(key, lang, **fmt)

        if self.base_points is not None:
            head = w(
                "sweep_head_sobol",
                base=f"{self.base_points:,}",
                blocks=self.rows // self.base_points,
                rows=f"{self.rows:,}",
            )
        else:
            head = w("sweep_head", rows=f"{self.rows:,}")
        lines: Parts = [w("sweep_head_line", method=self.method, head=head, seed=self.seed)]
        lines.append(
            Grid(
                (w("target"), w("probability"), "p5", "p50", "p95"),
                tuple(
                    (
                        t.id,
                        f"{t.probability:.1%}",
                        _fmt(t.percentiles["p5"]),
                        _fmt(t.percentiles["p50"]),
                        _fmt(t.percentiles["p95"]),
                    )
                    for t in self.targets
                ),
                "lrrrr",
            )
        )
        lines.append(w("sweep_all_met", p=f"{self.all_met:.1%}"))
        for j in self.joint:
            lines.append(
                w("sweep_joint", id=j.id, p=f"{j.probability:.1%}", targets=", ".join(j.targets))
            )
        by_target: dict[str, list[Index]] = {}
        for i in self.sensitivity:
            by_target.setdefault(i.target, []).append(i)
        if by_target:
            lines.extend(self._sensitivity_parts(by_target, lang))
        if self.conditions:
            lines.extend(self._must_hold_text(by_target, lang))
        return lines

    def _sensitivity_parts(self, by_target: dict[str, list[Index]], lang: str = "en") -> Parts:
        total = any(i.total_order is not None for i in self.sensitivity)
        what = word("sweep_sobol_total" if total else "sweep_first_order", lang)
        factors = list(dict.fromkeys(i.factor for i in self.sensitivity))
        lines: Parts = [word("sweep_sensitivity", lang, what=what)]
        if len(factors) <= MATRIX_FACTORS:  # a table, factors numbered in a legend
            for n, f in enumerate(factors, 1):
                lines.append(f"  [{n}] {_factor(f, lang)}")
            rows = []
            for tid, idx in by_target.items():
                by_f = {i.factor: i for i in idx}
                cells = [tid]
                for f in factors:
                    i = by_f.get(f)
                    if i is None or i.first_order is None:
                        cells.append("-")
                    elif total and i.total_order is not None:
                        cells.append(f"{i.first_order:.2f}/{i.total_order:.2f}")
                    else:
                        cells.append(f"{i.first_order:.2f}")
                rows.append(tuple(cells))
            headers = (word("target", lang), *(f"[{n}]" for n in range(1, len(factors) + 1)))
            lines.append(Grid(headers, tuple(rows), "l" + "r" * len(factors)))
            return lines
        for tid, idx in by_target.items():  # many factors: the strongest few per target
            ranked = sorted(
                (i for i in idx if i.first_order is not None),
                key=lambda i: (
                    -(i.total_order if i.total_order is not None else i.first_order or 0.0)
                ),
            )
            if not ranked:
                lines.append(f"  {tid}: " + word("sweep_no_spread", lang))
                continue
            parts = [
                f"{_factor(i.factor, lang)} {i.first_order:.2f}"
                + (f"/{i.total_order:.2f}" if i.total_order is not None else "")
                for i in ranked[:TOP_FACTORS]
            ]
            lines.append(f"  {tid}: " + ", ".join(parts))
        return lines

    def _must_hold_text(
        self, by_target: dict[str, list[Index]], lang: str = "en"
    ) -> list[str | Grid]:
        lines: list[str | Grid] = [
            word("sweep_must_hold", lang, share=f"{MISSED_OFTEN:.0%}"),
            word("sweep_must_hold_2", lang),
        ]
        shown: dict[str, list[Condition]] = {}
        for c in self.conditions:
            shown.setdefault(c.target, []).append(c)
        never = [tid for tid, conds in shown.items() if conds[0].probability == 0.0]
        for tid, conds in shown.items():
            if tid in never:
                continue
            lines.append("  " + word("sweep_met_in", lang, id=tid, p=f"{conds[0].probability:.1%}"))
            explained = sum(
                i.first_order or 0.0
                for i in by_target.get(tid, [])
                if not i.factor.startswith(OTHER)
            )
            if explained < 0.2 and self.others:
                lines.append("    " + word("sweep_explain", lang, share=f"{explained:.0%}"))
            relevant = [c for c in conds[:TOP_FACTORS] if c.separation >= MIN_SEPARATION]
            for c in relevant or conds[:1]:
                lines.append(
                    "    "
                    + word(
                        "sweep_condition",
                        lang,
                        factor=_factor(c.factor, lang),
                        met=_rng(c.met, lang),
                        missed=_rng(c.missed, lang),
                        separation=f"{c.separation:.2f}",
                    )
                )
        if never:
            lines.append("  " + word("sweep_never", lang, ids=", ".join(never)))
        return lines


def _factor(name: str, lang: str) -> str:
    """A factor's name as shown: a scenario path, or the scenario's other uncertain numbers."""
    if name.startswith(OTHER):
        return word("sweep_others", lang) + name[len(OTHER) :]
    return name


def _fmt(v: float) -> str:
    if v is None or not math.isfinite(v):
        return "-"
    a = abs(v)
    if a != 0 and (a < 1e-3 or a >= 1e6):
        return f"{v:.3e}"
    if a >= 100:
        return f"{v:,.1f}"
    return f"{v:.4g}"


def _rng(r: tuple[float, float, float] | None, lang: str = "en") -> str:
    if r is None:
        return "-"
    return word("sweep_range", lang, lo=_fmt(r[0]), hi=_fmt(r[2]), mid=_fmt(r[1]))


def _cond_dict(c: Condition) -> dict[str, Any]:
    met = c.met or (None, None, None)
    missed = c.missed or (None, None, None)
    return {
        "target": c.target,
        "probability": c.probability,
        "factor": c.factor,
        "met_p5": met[0],
        "met_p50": met[1],
        "met_p95": met[2],
        "missed_p5": missed[0],
        "missed_p50": missed[1],
        "missed_p95": missed[2],
        "separation": c.separation,
    }


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, np.generic):
        return _clean(obj.item())
    return obj


def _typed(cols: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {
        k: [None if isinstance(v, float) and not math.isfinite(v) else v for v in vs]
        for k, vs in cols.items()
    }


# --- estimators -------------------------------------------------------------------------------


def first_order_binned(sizes: Array, sums: Array, n: int, mean: float, sst: float) -> float | None:
    """Bias-adjusted correlation ratio of ``y`` on bins: a first-order index estimate.

    ``eta^2 = sum_b n_b (ybar_b - ybar)^2 / sum (y - ybar)^2``, adjusted
    ``1 - (1 - eta^2) (N - 1) / (N - B)`` and clipped to [0, 1]; None when ``y`` is constant.

    Parameters
    ----------
    sizes, sums : array (B,)
        Samples and sum of ``y`` per bin.
    n : int
    mean, sst : float
        Mean of ``y`` and its sum of squared deviations.
    """
    nz = sizes > 0
    used = int(np.count_nonzero(nz))
    # constant: the merged squared deviations of equal values are rounding noise only
    if n <= used or sst <= max(1e-300 * max(1.0, mean * mean), (1e-12 * mean) ** 2) * n:
        return None
    # sum over the bin of (y - ybar) is S_b - n_b ybar
    dev = sums[nz] - sizes[nz] * mean
    ssb = float(np.sum(dev**2 / sizes[nz]))
    eta2 = ssb / sst
    adj = 1.0 - (1.0 - eta2) * (n - 1) / max(n - used, 1)
    return float(min(1.0, max(0.0, adj)))


def _separation(sizes: Array, in_met: Array) -> float:
    """Kolmogorov-Smirnov distance between the factor's bins among met and missed samples."""
    n_met = float(np.sum(in_met))
    n_miss = float(np.sum(sizes)) - n_met
    if n_met == 0 or n_miss == 0:
        return 0.0
    a = np.cumsum(in_met) / n_met
    b = np.cumsum(sizes - in_met) / n_miss
    return float(np.max(np.abs(a - b)))


def binned_percentiles(binning: Binning, counts: Array, q: Sequence[float]) -> list[float] | None:
    """Percentiles (``np.percentile``'s linear interpolation) of values known by bin counts.

    For a factor with levels the result is exact. Otherwise each order statistic is placed
    by linear interpolation of its rank inside its bin, so it lies within one bin's width
    (one of :data:`~clustersim.sweep.partial.FINE_BINS` equal-count bins) of the exact one.
    None when there are no values.
    """
    counts = np.asarray(counts[: binning.count], dtype=np.float64)
    n = round(float(counts.sum()))
    if n == 0:
        return None
    cum = np.cumsum(counts)

    def stat(j: int) -> float:
        i = int(np.searchsorted(cum, j, side="right"))
        if binning.levels:
            return float(binning.points[i])
        lo, hi = float(binning.points[i]), float(binning.points[i + 1])
        before = cum[i] - counts[i]
        return lo + float(j - before + 0.5) / float(counts[i]) * (hi - lo)

    out = []
    for p in q:
        r = p / 100.0 * (n - 1)
        j = math.floor(r)
        x = stat(j)
        if r > j:
            x += (r - j) * (stat(min(j + 1, n - 1)) - x)
        out.append(x)
    return out


def _pct3(binning: Binning, counts: Array) -> tuple[float, float, float] | None:
    q = binned_percentiles(binning, counts, (5, 50, 95))
    return None if q is None else (q[0], q[1], q[2])


def _sobol_indices(
    plan: SweepPlan, m: Merged, t: int
) -> tuple[list[float | None], list[float | None]]:
    """Saltelli 2010 first order and Jansen total indices from the merged sums.

    As :func:`scipy.stats.sobol_indices`: ``V = var([f_A, f_B])``, first order
    ``mean((f_B - c)(f_AB - f_A)) / V`` (``c`` the mean of ``f_A`` and ``f_B``), total
    ``mean((f_A - f_AB)^2) / (2V)``.
    """
    assert plan.base_points is not None and m.sobol is not None and m.ab_m2 is not None
    n = plan.base_points
    g = plan.design.blocks - 2
    var = float(m.ab_m2[t]) / (2 * n)
    mean = float(m.m_mean[t])
    if not math.isfinite(var) or var <= max(1e-300 * max(1.0, mean**2), (1e-12 * mean) ** 2):
        return [None] * g, [None] * g
    first = m.sobol[t, :, 0] / n / var
    total = 0.5 * m.sobol[t, :, 2] / n / var
    return [float(v) for v in first], [float(v) for v in total]


# --- the summary --------------------------------------------------------------------------------


def summarize(plan: SweepPlan, merged: Merged, layout: Layout) -> Summary:
    """The summary of a sweep from its merged chunk partials (:mod:`clustersim.sweep.partial`).

    Parameters
    ----------
    plan : SweepPlan
    merged : Merged
        Every chunk's partial, merged in chunk order.
    layout : Layout
        The factors' bins the partials were computed with.

    Returns
    -------
    Summary
    """
    n = plan.rows
    if merged.n != n:
        raise ValueError(f"the chunk summaries hold {merged.n} samples, not {n}")
    all_met = merged.all_met / n if n else math.nan
    sobol = plan.method == "sobol"
    factors = plan.group_names() if sobol else plan.factors
    stats: list[TargetStats] = []
    sens: list[Index] = []
    conds: list[Condition] = []
    method = (
        "sobol: Saltelli 2010 first order, Jansen total (scipy.stats.sobol_indices)"
        if sobol
        else f"first order from the samples: bias-adjusted correlation ratio (<= {MAX_BINS} bins)"
    )
    sizes = merged.sizes.astype(np.float64)
    for t, tid in enumerate(plan.targets):
        prob = int(merged.met[t]) / n if n else math.nan
        q = merged.sketches[t].percentiles(PERCENTILES)
        stats.append(
            TargetStats(
                tid,
                plan.target_labels.get(tid, tid),
                prob,
                float(merged.value_sum[t]) / n if n else math.nan,
                {f"p{p}": float(v) for p, v in zip(PERCENTILES, q, strict=True)},
            )
        )
        if sobol:
            first, total = _sobol_indices(plan, merged, t)
            for name, s1, st in zip(factors, first, total, strict=True):
                sens.append(Index(tid, name, s1, st, "sobol"))
        else:
            mean, sst = float(merged.m_mean[t]), float(merged.m_m2[t])
            for i, f in enumerate(plan.factors):
                s1 = first_order_binned(sizes[i], merged.bin_sum[t, i], n, mean, sst)
                sens.append(Index(tid, f, s1, None, "binned"))
        if prob < MISSED_OFTEN and plan.factors:
            seps = {
                f: _separation(sizes[i], merged.bin_met[t, i].astype(np.float64))
                for i, f in enumerate(plan.factors)
            }
            ranked = sorted(range(len(plan.factors)), key=lambda i: -seps[plan.factors[i]])
            for rank, i in enumerate(ranked):
                f = plan.factors[i]
                shown = rank < TOP_FACTORS and prob > 0.0
                fine_met = merged.fine_met[t, i].astype(np.float64)
                fine_miss = merged.fine_n[i].astype(np.float64) - fine_met
                conds.append(
                    Condition(
                        tid,
                        prob,
                        f,
                        _pct3(layout.fine[i], fine_met) if shown else None,
                        _pct3(layout.fine[i], fine_miss) if shown else None,
                        seps[f],
                    )
                )
    return Summary(
        method=plan.method,
        rows=n,
        seed=plan.seed,
        base_points=plan.base_points,
        factors=tuple(factors),
        all_met=all_met,
        targets=stats,
        sensitivity=sens,
        conditions=conds,
        sensitivity_method=method,
        others=sum(1 for d in plan.dims if not d.factor) if plan.spec.get("parameters") else 0,
        joint=[
            JointStats(jid, tuple(plan.targets[r] for r in rows), int(k) / n if n else math.nan)
            for (jid, rows), k in zip(layout.joint, merged.joint_met, strict=True)
        ],
    )
