"""``count_over``: the number of clusters (of a group, or of the clusters and groups listed in
``over``) at or above a threshold in a year. Each industry is counted once: a cluster whose
parent is counted too is left out, and ``over`` may not name an industry twice."""

from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from clustersim.core import expr as ex
from clustersim.core.targets import Frame, Outcome, TargetSpec, Tier, broadcast_outcome, lowered
from clustersim.kinds.targets._base import GOALS, ClusterScope, KernelCode, KernelWriter, TargetKind
from clustersim.values.names import Id
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
    cluster counts in its highest tier only.

    ``over: [ids]`` counts the clusters and groups listed (a group's value is the sum of its
    member clusters' ``variable``); without it the clusters of ``group`` (or of the
    scenario) are counted, except those whose parent is among them."""

    kind: Literal["count_over"]
    variable: str = "output"
    group: str | None = None
    over: list[Id] | None = Field(None, min_length=1)
    year: int
    threshold: Float | None = None
    tiers: list[TierField] | None = None
    bands: bool = True

    search: ClassVar[Literal["smooth", "step"]] = "step"
    marker: ClassVar[Literal["goal", "reference", "path", "bars"]] = "bars"
    integer: ClassVar[bool] = True
    doc_fields: ClassVar[str] = (
        "`variable` (a cluster series or cluster-level expression, default `output`), "
        "optional `group` or `over` (cluster and group ids; a group counts as the sum of its "
        "clusters), `year`, and `threshold` + goal, or `tiers` (+ `bands`)"
    )
    doc_value: ClassVar[str] = (
        "number of clusters (or `over` items) with `variable[year] ≥ threshold`, each "
        "industry once (a cluster whose `parent` is counted is left out)"
    )
    deflatable: ClassVar[bool] = False

    @model_validator(mode="after")
    def _shape(self) -> "CountOverTarget":
        if (self.threshold is None) == (self.tiers is None):
            raise ValueError("count_over takes threshold (with a goal) or tiers, not both")
        if self.tiers is not None and any(getattr(self, k) is not None for k in GOALS):
            raise ValueError("with tiers the goal is in each tier's at_least")
        if self.over is not None and self.group is not None:
            raise ValueError("count_over takes group or over, not both")
        if self.over is not None and len(set(self.over)) != len(self.over):
            raise ValueError(f"over: {self.over} names an id twice")
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

    def bind(self, spec: TargetSpec, scope: ClusterScope) -> TargetSpec:
        """Set the items counted: the ``over`` ids, or the group's (or every) cluster
        without an ancestor among them; the spec is unchanged when no cluster is left out."""
        cidx = {c: i for i, c in enumerate(scope.clusters)}
        if self.over is None:
            members = (
                [scope.clusters[i] for i in scope.groups[self.group]]
                if self.group is not None
                else list(scope.clusters)
            )
            inside = set(members)
            top = [c for c in members if not inside.intersection(scope.ancestors(c))]
            if len(top) == len(members):
                return spec  # nothing nested: the group's (or every) cluster, one by one
            return replace(spec, over=tuple((cidx[c],) for c in top))
        items: list[tuple[int, ...]] = []
        covers: list[tuple[str, set[str]]] = []
        for oid in self.over:
            if oid in cidx:
                names = [oid]
            elif oid in scope.groups and oid != "all":
                names = [scope.clusters[i] for i in scope.groups[oid]]
                inside = set(names)  # a group's own nesting: sum each industry once
                names = [c for c in names if not inside.intersection(scope.ancestors(c))]
            else:
                known = sorted([*cidx, *(g for g in scope.groups if g != "all")])
                raise ex.ExprError(
                    f"over: unknown cluster or group {oid!r}; known: {', '.join(known)}"
                )
            items.append(tuple(cidx[c] for c in names))
            # the industries an item covers: its clusters and everything inside them
            covers.append(
                (oid, {c for c in scope.clusters if set(names) & {c, *scope.ancestors(c)}})
            )
        for i, (a, ca) in enumerate(covers):
            for b, cb in covers[i + 1 :]:
                both = ca & cb
                if both:
                    raise ex.ExprError(
                        f"over: {a!r} and {b!r} both contain {', '.join(sorted(both))}; "
                        "count each industry once, at the level the plan names"
                    )
        return replace(spec, over=tuple(items))

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
        return broadcast_outcome(f.samples, value, margin, t.bound.reached(margin), detail)

    @classmethod
    def kernel(cls, g: KernelWriter, spec: TargetSpec, tol: str) -> KernelCode | None:
        p = g.top
        lines: list[str] = []
        tiers = sorted(spec.tiers, key=lambda x: -x.threshold)
        cnts = [g.lane("cnt") for _ in range(max(1, len(tiers)))]
        lines += g.loop(p, *(f"{cn}[b] = 0.0" for cn in cnts))
        cc, j = g.var("c"), g.var("j")
        body: list[str] = []
        if not spec.over:
            members = g.m.groups[spec.group] if spec.group else np.arange(len(g.m.clusters))
            grp = g.arg(np.asarray(members, dtype=np.int64), "grp", fixed=not spec.group)
            lines += [f"{p}for {j} in range({grp}.shape[0]):", f"{p}    {cc} = {grp}[{j}]"]
            val = g.at(spec.metric, spec.year, body, p + "    ", cc)
            lines += body
        else:  # each item: the sum of its clusters' values (CSR: ptr[k]..ptr[k+1] in idx)
            ptr_a = np.cumsum([0, *(len(item) for item in spec.over)]).astype(np.int64)
            idx_a = np.asarray([i for item in spec.over for i in item], dtype=np.int64)
            ptr = g.arg(ptr_a, "ptr", fixed=True)  # from the spec: the same for every model
            idx, k = g.arg(idx_a, "idx", fixed=True), g.var("k")
            acc = g.lane("acc")
            lines += [f"{p}for {k} in range({ptr}.shape[0] - 1):"]
            lines += g.loop(p + "    ", f"{acc}[b] = 0.0")
            lines += [
                f"{p}    for {j} in range({ptr}[{k}], {ptr}[{k} + 1]):",
                f"{p}        {cc} = {idx}[{j}]",
            ]
            one = g.at(spec.metric, spec.year, body, p + "        ", cc)
            lines += body + g.loop(p + "        ", f"{acc}[b] += {one}")
            val = f"{acc}[b]"
        final: list[str]
        if not tiers:
            if spec.threshold is None:
                raise ValueError(f"target {spec.id}: count_over needs a threshold or tiers")
            thr = g.k(lowered(spec.threshold))
            # branchless: which side of the threshold varies from sample to sample
            lines += g.loop(p + "    ", f"{cnts[0]}[b] += ({val} >= {thr})")
            final = [f"v = {cnts[0]}[b]", f"m = {g.margin(spec, 'v')}", f"ok = m >= {tol}"]
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
            final.append(f"ok = m >= {tol}")
        return lines, final

    # -- report -------------------------------------------------------------------------------
    def cluster_bars(self) -> tuple[int, list[float]] | None:
        if self.variable != "output":
            return None
        marks = [] if self.threshold is None else [float(self.threshold)]
        return self.year, marks + [float(tier.threshold) for tier in self.tiers or ()]


def _items(t: TargetSpec, f: Frame) -> Array:
    """``(S', K)`` values of the items of ``t.over``: each the sum of its clusters'."""
    vals = f.rows_at(t.metric, t.year)  # (S', C)
    cols = [
        vals[:, list(item)].sum(axis=1) if len(item) > 1 else vals[:, item[0]] for item in t.over
    ]
    return np.stack(cols, axis=1)


def _count(t: TargetSpec, f: Frame) -> tuple[Array, Array, dict[str, Array]]:
    """``(S',)`` count, margin and per-tier counts of a ``count_over`` target."""
    if t.over:
        items = _items(t, f)

        def at_least(bound: float) -> Array:
            out: Array = (items >= bound).sum(axis=1).astype(np.float64)
            return out
    else:

        def at_least(bound: float) -> Array:
            return f.count_at_least(t.metric, t.year, t.group, bound)

    if not t.tiers:
        if t.threshold is None:
            raise ValueError(f"target {t.id}: count_over needs a threshold or tiers")
        count = at_least(lowered(t.threshold))
        return count, t.bound.margin(count), {}
    # tiers sorted from the highest threshold down; with bands a cluster counts in one tier
    # only: the band [lowered threshold, the tier above's lowered threshold), the top band
    # [lowered threshold, inf). A band count is the difference of two "at least" counts.
    tiers = sorted(t.tiers, key=lambda x: -x.threshold)
    counts: list[Array] = []
    above = at_least(np.inf) if t.bands else None
    for tier in tiers:
        hits = at_least(lowered(tier.threshold))
        if above is None:
            counts.append(hits)
        else:
            counts.append(hits - above)
            above = hits
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
