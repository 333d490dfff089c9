"""``count_over``: the number of clusters (of a group) at or above a threshold in a year."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from clustersim.core import expr as ex
from clustersim.core.targets import Frame, Outcome, TargetSpec, Tier, broadcast_outcome, lowered
from clustersim.kinds.targets._base import KernelCode, KernelWriter, TargetKind
from clustersim.values.numbers import Float, Strict

__all__ = ["CountOverTarget", "TierField"]

Array = NDArray[np.float64]


class TierField(Strict):
    """A tier of ``count_over``: at least ``at_least`` clusters at or above ``threshold``."""

    threshold: Float
    at_least: int = Field(ge=0)


class CountOverTarget(TargetKind):
    """Number of clusters (of a group) whose ``variable`` is at or above ``threshold`` in
    ``year`` (with a goal such as ``between: [4, 5]``), or tiers: ``[{threshold: 10000,
    at_least: 4}, {threshold: 5000, at_least: 4}]``. With ``bands: true`` (default) a
    cluster counts in its highest tier only."""

    kind: Literal["count_over"]
    variable: str = "output"
    group: str | None = None
    year: int
    threshold: Float | None = None
    tiers: list[TierField] | None = None
    bands: bool = True

    search: ClassVar[Literal["smooth", "step"]] = "step"
    marker: ClassVar[Literal["goal", "reference", "path", "bars"]] = "bars"
    doc_fields: ClassVar[str] = (
        "`variable` (a cluster series or cluster-level expression, default `output`), "
        "optional `group`, `year`, and `threshold` + goal, or `tiers` (+ `bands`)"
    )
    doc_value: ClassVar[str] = "number of clusters with `variable[year] ≥ threshold`"

    @model_validator(mode="after")
    def _shape(self) -> CountOverTarget:
        if (self.threshold is None) == (self.tiers is None):
            raise ValueError("count_over takes threshold (with a goal) or tiers, not both")
        if self.tiers is not None and any(
            getattr(self, k) is not None for k in ("at_least", "at_most", "between")
        ):
            raise ValueError("with tiers the goal is in each tier's at_least")
        return self

    # -- compile ------------------------------------------------------------------------------
    def metric_expr(self) -> ex.Expr:
        return ex.parse(self.variable)

    def check_metric(self, cluster_level: bool, groups: Mapping[str, NDArray[np.intp]]) -> None:
        if not cluster_level:
            raise ex.ExprError(
                f"count_over needs a cluster series, {self.variable!r} is region-level"
            )
        if self.group is not None and self.group not in groups:
            raise ex.ExprError(f"unknown group {self.group!r}; known: {', '.join(sorted(groups))}")

    def scope_group(self) -> str | None:
        return self.group

    def to_spec(self, tid: str, metric: ex.Expr) -> TargetSpec:
        return type(self).spec(
            tid,
            metric,
            self.year,
            None if self.tiers else self.bound(),
            group=self.group,
            threshold=self.threshold,
            tiers=tuple(Tier(x.threshold, x.at_least) for x in self.tiers or ()),
            bands=self.bands,
        )

    # -- evaluation ---------------------------------------------------------------------------
    @classmethod
    def evaluate(cls, t: TargetSpec, f: Frame) -> Outcome:
        value, margin, detail = _count(t, f)
        return broadcast_outcome(f.samples, value, margin, margin >= 0, detail)

    @classmethod
    def kernel(cls, g: KernelWriter, spec: TargetSpec, tol: str) -> KernelCode | None:
        p = g.top
        lines: list[str] = []
        members = g.m.groups[spec.group] if spec.group else np.arange(len(g.m.clusters))
        grp = g.arg(np.asarray(members, dtype=np.int64), "grp")
        cc, j = g.var("c"), g.var("j")
        tiers = sorted(spec.tiers, key=lambda x: -x.threshold)
        cnts = [g.lane("cnt") for _ in range(max(1, len(tiers)))]
        lines += g.loop(p, *(f"{cn}[b] = 0.0" for cn in cnts))
        lines += [f"{p}for {j} in range({grp}.shape[0]):", f"{p}    {cc} = {grp}[{j}]"]
        body: list[str] = []
        val = g.at(spec.metric, spec.year, body, p + "    ", cc)
        lines += body
        final: list[str]
        if not tiers:
            if spec.threshold is None:
                raise ValueError(f"target {spec.id}: count_over needs a threshold or tiers")
            thr = g.k(lowered(spec.threshold))
            # branchless: which side of the threshold varies from sample to sample
            lines += g.loop(p + "    ", f"{cnts[0]}[b] += ({val} >= {thr})")
            final = [f"v = {cnts[0]}[b]", f"m = {g.margin(spec, 'v')}", "ok = m >= 0.0"]
        else:
            step = [f"val = {val}"]
            upper = "np.inf"
            for tier, cn in zip(tiers, cnts, strict=True):
                thr = g.k(lowered(tier.threshold))
                cond = f"(val >= {thr})" + (f" & (val < {upper})" if spec.bands else "")
                step.append(f"{cn}[b] += ({cond})")
                upper = thr
            lines += g.loop(p + "    ", *step)
            # value: the count of the binding tier (first smallest margin), margin its margin
            final = ["m = np.inf", "v = 0.0"]
            for tier, cn in zip(tiers, cnts, strict=True):
                final += [  # counts are small whole numbers: the blend is exact
                    f"mm = {cn}[b] - {g.k(tier.at_least)}",
                    f"v = v + ({cn}[b] - v) * (mm < m)",
                    "m = min(mm, m)",
                ]
            final.append("ok = m >= 0.0")
        return lines, final

    # -- report -------------------------------------------------------------------------------
    def cluster_bars(self) -> tuple[int, list[float]] | None:
        if self.variable != "output":
            return None
        marks = [] if self.threshold is None else [float(self.threshold)]
        return self.year, marks + [float(tier.threshold) for tier in self.tiers or ()]


def _count(t: TargetSpec, f: Frame) -> tuple[Array, Array, dict[str, Array]]:
    """``(S',)`` count, margin and per-tier counts of a ``count_over`` target."""
    if not t.tiers:
        if t.threshold is None:
            raise ValueError(f"target {t.id}: count_over needs a threshold or tiers")
        count = f.count_at_least(t.metric, t.year, t.group, lowered(t.threshold))
        return count, t.bound.margin(count), {}
    # tiers sorted from the highest threshold down; with bands a cluster counts in one tier
    # only: the band [lowered threshold, the tier above's lowered threshold), the top band
    # [lowered threshold, inf). A band count is the difference of two "at least" counts.
    tiers = sorted(t.tiers, key=lambda x: -x.threshold)
    counts: list[Array] = []
    above = f.count_at_least(t.metric, t.year, t.group, np.inf) if t.bands else None
    for tier in tiers:
        at_least = f.count_at_least(t.metric, t.year, t.group, lowered(tier.threshold))
        if above is None:
            counts.append(at_least)
        else:
            counts.append(at_least - above)
            above = at_least
    # the binding tier is the first with the smallest margin (np.argmin over the tiers)
    value = counts[0]
    margin = counts[0] - tiers[0].at_least
    for tier, c in zip(tiers[1:], counts[1:], strict=True):
        m = c - tier.at_least
        lower = m < margin
        value = np.where(lower, c, value)
        margin = np.minimum(m, margin)
    detail = {f">={tier.threshold:g}": c for tier, c in zip(tiers, counts, strict=True)}
    return value, margin, detail
