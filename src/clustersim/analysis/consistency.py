"""Consistency pre-check: can a scenario's targets hold together under any growth inside the
scenario's own ranges? A linear programme on log growth, in milliseconds, before any Monte
Carlo.

The variables are, for every compounding series (and cluster) of the compiled model, its
log base value ``log x0`` and its log growth factor ``u_t = log(1 + g_t)`` in each projected
year, each bounded by the range the scenario states: the smallest and largest value over
the corners of its uncertain numbers (every number at the ends of its support, or at its
0.1% and 99.9% quantiles when the support is unbounded; all low, all high, and each one
flipped from those). A fixed number is a point range.

A series is then ``log x[t] = log x0 + u_1 + ... + u_t``, and a product or quotient of
series (``rd_intensity = rd_total / gdp``, ``energy / value_added``, a metric ``a / b * c``)
a sum or difference of such terms: linear. A target maps to linear constraints on these
(``>=`` and ``<=`` alike; strict bounds are read as inclusive):

==================  ==========================================================================
kind                constraint
==================  ==========================================================================
level, share,       ``log x[Y] >= log lo`` and/or ``<= log hi`` (a share's metric is
group_sum, stock    ``numerator / denominator``; a group sum's ``sum(x, group)``)
flow_every_year     the same in each year of the window
cagr                ``log x[Y] - log x[S] >= (Y - S) log(1 + lo)`` (and ``hi``)
change_vs           ``log x[Y] - log x[R] >= log(1 + lo)`` (and ``hi``); ``x[R]`` may be history
growth_every_year   ``log x[t] - log x[t-1] >= log(1 + lo)`` for each year of the window
pp_change,          ``log x[Y] >= log(x[S] + lo)`` (and ``hi``) when ``x[S]`` is a known
change_since        number (history, or the base year of fixed values); from an uncertain
                    start the difference of two levels is not linear and is listed
==================  ==========================================================================

A growth that follows another series through an elasticity (``g = r + e * g_source``) is
linear in growth, not in log growth; its log growth ``u = log(1 + r + e (exp(w) - 1))`` in
the source's log growth ``w`` is convex or concave (the sign of ``(1 + r - e) e``), so it
gets a variable of its own bounded by the extremes over the ranges of ``r``, ``e`` and ``w``
and tied to ``w`` by the chord of the outermost curve and, when ``r`` and ``e`` are fixed,
by tangents. These hold for every allowed growth: the LP is then a relaxation, so a
conflict it finds is still real, while a pass is not a proof; such targets are listed as
``relaxed``.

A sum of several non-zero series (a total over clusters, ``rd_total`` with both cluster and
outside R&D, a group sum, a share of a sum) is not linear in logs either; the log of a sum is
convex in the parts' logs, so it gets a variable bounded by the logs of the sums of the
parts' smallest and largest values, at least each part's log, and at least Jensen's bound
``sum w_i log x_i - sum w_i log w_i`` (weights of the parts' mid-range values): again a
relaxation, listed as ``relaxed``. It binds a total from above well, from below only by the
parts' largest values.

What is still not linear is left out, and listed as not checked with the reason: a series
following several series, stocks with flows, counts of clusters, yearly percentage-point
changes, differences from an uncertain start and sums read in history years. A sum in which every part but one is
zero (no clusters carry R&D, say) is exact and kept. So a conflict found is a true conflict
(up to the range corners, above); a scenario that passes may still conflict through the
targets left out.

A conflict is named by a deletion filter (Chinneck & Dravnieks 1991): starting from all
targets, drop each one whose removal leaves the rest infeasible; what remains is an
irreducible infeasible subset, every target of which is needed for the conflict. Each
target of that set is then solved alone, for the constant annual growth it needs of each
series it reads over its window (at least, or at most), the other series free within their
ranges and that series' own range lifted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from clustersim.errors import ClusterSimError

if TYPE_CHECKING:
    from clustersim.compile import Compiled
    from clustersim.core.expr import Expr

__all__ = [
    "KINDS",
    "Conflict",
    "Consistency",
    "Need",
    "check_consistency",
    "check_consistency_compiled",
]

#: the target kinds whose value is the metric in the target year
LEVEL_KINDS = ("level", "share", "group_sum", "stock")
#: the target kinds mapped to constraints
KINDS = (
    *LEVEL_KINDS,
    "flow_every_year",
    "cagr",
    "change_vs",
    "growth_every_year",
    "pp_change",
    "change_since",
)
#: the quantiles that stand for an unbounded distribution's ends
TAIL = 1e-3
#: LP feasibility tolerance on log values (1e-9: a ratio off by one part in a billion)
TOL = 1e-9

#: a linear form in the LP's variables: ``{variable index: coefficient}``, constant
Form = tuple[dict[int, float], float]


@dataclass(frozen=True)
class Need:
    """The constant annual growth over ``years`` that ``target`` needs of ``series`` (its own
    range lifted, the others within theirs) beside the range the scenario allows (the
    average of its yearly bounds)."""

    target: str
    series: str
    years: tuple[int, int]
    needs_at_least: float | None
    needs_at_most: float | None
    allowed: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "series": self.series,
            "years": list(self.years),
            "needs_at_least": self.needs_at_least,
            "needs_at_most": self.needs_at_most,
            "allowed": list(self.allowed),
        }


@dataclass(frozen=True)
class Conflict:
    """An irreducible set of targets that cannot hold together, and what each needs."""

    targets: tuple[str, ...]
    needs: tuple[Need, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"targets": list(self.targets), "needs": [n.to_dict() for n in self.needs]}


@dataclass
class Consistency:
    """The pre-check's answer: which targets were checked, which were left out (and why),
    and each conflict found (none: the checked targets can hold together)."""

    scenario: str
    checked: list[str]
    skipped: dict[str, str]
    conflicts: list[Conflict] = field(default_factory=list)
    seconds: float = 0.0
    #: checked targets that read an elastic series, and why their check is a relaxation
    relaxed: dict[str, str] = field(default_factory=dict)

    @property
    def consistent(self) -> bool:
        return not self.conflicts

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "consistent": self.consistent,
            "checked": self.checked,
            "skipped": self.skipped,
            "conflicts": [c.to_dict() for c in self.conflicts],
            "relaxed": self.relaxed,
            "seconds": self.seconds,
        }


class _NotLinear(Exception):
    """A metric that is not exactly linear in log growth (the message says why)."""


@dataclass
class _Var:
    series: str
    cluster: int | None
    year: int  # -1 for log x0
    lo: float
    hi: float


class _Space:
    """The LP's variables and the log-linear form of every series of a compiled model."""

    def __init__(self, comp: Compiled, corners: Compiled) -> None:
        from clustersim.core.model import ClusterTotal, Combine, Compound, Ratio

        self.comp = comp
        self.model = comp.model
        self.years = [int(y) for y in self.model.years]
        self.vars: list[_Var] = []
        self.index: dict[tuple[str, int | None, int], int] = {}
        self.ops = {op.name: op for op in self.model.ops}
        self.types = (ClusterTotal, Combine, Compound, Ratio)
        # ranges of the compounding series, from the corner compile
        self.ranges: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]] = {}
        for op in corners.model.ops:
            if isinstance(op, Compound):
                self.ranges[op.name] = (np.asarray(op.x0), np.asarray(op.rates))
        self.corner_ops = {op.name: op for op in corners.model.ops}
        self.elastic = {
            op.name
            for op in corners.model.ops
            if isinstance(op, Compound) and any(np.any(e.elasticity != 0) for e in op.elastic)
        }
        #: rows every LP carries: the chords and tangents that tie an elastic series' log
        #: growth to its source's (see :meth:`_elastic_var`)
        self.cuts = _Rows("")
        #: the elastic series the target being mapped reads (its check is a relaxation)
        self.reading: set[str] = set()

    def _var(self, series: str, cluster: int | None, year: int) -> int:
        key = (series, cluster, year)
        if key in self.index:
            return self.index[key]
        x0, rates = self.ranges[series]
        if year < 0:
            vals = x0 if cluster is None else x0[:, cluster]
            lo, hi = float(np.min(vals)), float(np.max(vals))
            if lo <= 0:
                raise _NotLinear(f"{series}: base value not positive, its log is undefined")
            lo, hi = math.log(lo), math.log(hi)
        else:
            t = year - self.years[0]
            t = t if rates.shape[-1] > 1 else 0  # one column: the same rate every year
            vals = rates[..., t] if cluster is None else rates[:, cluster, t]
            lo, hi = math.log1p(float(np.min(vals))), math.log1p(float(np.max(vals)))
        self.index[key] = len(self.vars)
        self.vars.append(_Var(series, cluster, year, lo, hi))
        return self.index[key]

    def _bounds(self, form: Form) -> tuple[float, float]:
        """The smallest and largest value of a linear form over the variables' ranges."""
        lo = hi = form[1]
        for k, a in form[0].items():
            v = self.vars[k]
            lo += a * (v.lo if a > 0 else v.hi)
            hi += a * (v.hi if a > 0 else v.lo)
        return lo, hi

    def _elastic_var(self, name: str, cc: int | None, year: int) -> int:
        """The log growth ``u = log(1 + g)`` of an elastic series in ``year``, where
        ``g = r + e * (exp(w) - 1)`` and ``w`` is the source's log growth that year (a
        linear form): a variable of its own, bounded by the extremes of that expression
        over the ranges of ``r``, ``e`` and ``w`` (it is monotone in each, so they sit at
        the corners), and tied to ``w`` by chords and tangents where the curvature allows.

        ``d2u/dw2`` has the sign of ``a * e`` with ``a = 1 + r - e``. Where ``a * e >= 0``
        at every corner each curve is convex in ``w``: the chord of the highest curve
        across ``w``'s range lies above every curve (``u <= chord``), and with ``r`` and
        ``e`` fixed its tangents lie below it (``u >= tangent``); concave curves the other
        way round. These rows hold for every growth the scenario allows, so the LP is a
        relaxation of the exact model: a conflict it finds is real; a pass is not a proof.
        """
        key = (name, cc, year)
        if key in self.index:
            return self.index[key]
        op = self.corner_ops[name]
        assert isinstance(op, self.types[2])  # a Compound: only those are elastic
        elastic = [e for e in op.elastic if np.any(e.elasticity != 0)]
        if len(elastic) != 1:
            raise _NotLinear(f"{name}: growth follows {len(elastic)} series (elasticities)")
        el = elastic[0]
        src = self.ops.get(el.source)
        if src is None:
            raise _NotLinear(f"{name}: follows {el.source}, not a projected series")
        sc = cc if src.cluster else None
        if src.cluster and cc is None:
            raise _NotLinear(f"{name}: a region series following a cluster series")
        w = _add(
            self.series_form(el.source, sc, year), self.series_form(el.source, sc, year - 1), -1
        )
        w_lo, w_hi = self._bounds(w)
        rates = self.ranges[name][1]
        t = year - self.years[0]
        t = t if rates.shape[-1] > 1 else 0
        r = rates[..., t] if cc is None else rates[:, cc, t]
        ev = el.elasticity if cc is None else el.elasticity[:, cc]
        r_lo, r_hi = float(np.min(r)), float(np.max(r))
        e_lo, e_hi = float(np.min(ev)), float(np.max(ev))

        def u(rr: float, ee: float, ww: float) -> float:
            g1 = 1.0 + rr + ee * math.expm1(ww)
            if not g1 > 0:
                raise _NotLinear(f"{name}: growth can fall to -100% or below ({year})")
            return math.log(g1)

        corners = [(rr, ee) for rr in (r_lo, r_hi) for ee in (e_lo, e_hi)]
        vals = [u(rr, ee, ww) for rr, ee in corners for ww in (w_lo, w_hi)]
        self.index[key] = len(self.vars)
        self.vars.append(_Var(name, cc, year, min(vals), max(vals)))
        k = self.index[key]
        if w_hi - w_lo < 1e-12:
            return k
        curv = [(1.0 + rr - ee) * ee for rr, ee in corners]
        point = r_lo == r_hi and e_lo == e_hi
        for sign in (1.0, -1.0):  # convex curves (1), concave curves (-1)
            if not all(sign * c >= 0 for c in curv):
                continue
            # the chord of the outermost curve: above (convex) or below (concave) them all
            pick = max if sign > 0 else min
            f_lo = pick(u(rr, ee, w_lo) for rr, ee in corners)
            f_hi = pick(u(rr, ee, w_hi) for rr, ee in corners)
            slope = (f_hi - f_lo) / (w_hi - w_lo)
            chord = _add(({k: 1.0}, 0.0), (w[0], w[1] - w_lo), -slope)  # u - slope (w - w_lo)
            (self.cuts.at_most if sign > 0 else self.cuts.at_least)(chord, f_lo)
            if point:  # tangents of the one curve: below (convex) or above (concave)
                rr, ee = r_lo, e_lo
                for w0 in (w_lo, (w_lo + w_hi) / 2, w_hi):
                    d = ee * math.exp(w0) / (1.0 + rr + ee * math.expm1(w0))
                    tangent = _add(({k: 1.0}, 0.0), (w[0], w[1] - w0), -d)
                    (self.cuts.at_least if sign > 0 else self.cuts.at_most)(tangent, u(rr, ee, w0))
        return k

    def _sum(self, label: str, c: int | None, year: int, forms: list[Form]) -> Form:
        """``log`` of a sum of positive parts (``forms``: each part's log) as a variable of
        its own, ``z``: between the log of the sum of the parts' smallest values and that of
        their largest, at least each part (``z >= log x_i``), and at least Jensen's bound
        ``z >= sum w_i log x_i - sum w_i log w_i`` for the weights ``w`` of the parts'
        mid-range values (true for any weights: the log of a sum is convex). All hold for
        every allowed growth: a relaxation, so a conflict is real, a pass is not a proof. It
        bounds a sum from above well (a total at most X); from below only by the parts'
        largest values."""
        key = (f"sum {label}", c, year)
        if key not in self.index:
            bounds = [self._bounds(f) for f in forms]
            lo = math.log(sum(math.exp(b[0]) for b in bounds))
            hi = math.log(sum(math.exp(b[1]) for b in bounds))
            self.index[key] = len(self.vars)
            self.vars.append(_Var(f"sum {label}", c, -2, lo, hi))  # a level: no growth need
            z: Form = ({self.index[key]: 1.0}, 0.0)
            for f in forms:
                self.cuts.at_least(_add(z, f, -1), 0.0)
            mids = [(b[0] + b[1]) / 2 for b in bounds]
            top = max(mids)
            w = [math.exp(m - top) for m in mids]
            w = [x / sum(w) for x in w]
            jensen = z
            for wi, f in zip(w, forms, strict=True):
                jensen = _add(jensen, f, -wi)
            self.cuts.at_least(jensen, -sum(wi * math.log(wi) for wi in w if wi > 0))
        self.reading.add(f"the sum {label}")
        return {self.index[key]: 1.0}, 0.0

    def growth_vars(self, series: str, cluster: int | None, y0: int, y1: int) -> list[int]:
        return [self._var(series, cluster, y) for y in range(y0 + 1, y1 + 1)]

    # -- zero parts of a sum drop out exactly
    def _zero(self, name: str, c: int | None) -> bool:
        op = self.ops.get(name)
        if op is None:
            return False
        Total, Combine, Compound, Ratio = self.types
        if isinstance(op, Compound):
            x0 = self.ranges[name][0]
            vals = x0 if c is None or not op.cluster else x0[:, c]
            return bool(np.all(vals == 0))
        if isinstance(op, Combine):
            return all(
                self._zero(a, c) or (b is not None and self._zero(b, c)) for a, b in op.terms
            )
        if isinstance(op, Ratio):
            return self._zero(op.num, c)
        if isinstance(op, Total):
            return all(self._zero(op.part, k) for k in range(len(self.model.clusters))) and (
                op.rest is None or self._zero(op.rest, None)
            )
        return False

    def series_form(self, name: str, c: int | None, year: int) -> Form:
        """``log name[c][year]`` as a linear form (``year`` in the projection)."""
        op = self.ops.get(name)
        if op is None:
            raise _NotLinear(f"{name}: not a projected series")
        Total, Combine, Compound, Ratio = self.types
        if op.cluster and c is None:
            raise _NotLinear(f"{name}: a cluster series read without a cluster")
        cc = c if op.cluster else None
        if isinstance(op, Compound):
            coefs = {self._var(name, cc, -1): 1.0}
            if name in self.elastic:
                self.reading.add(f"{name} (elasticity)")
                grow = [self._elastic_var(name, cc, y) for y in range(self.years[0] + 1, year + 1)]
            else:
                grow = self.growth_vars(name, cc, self.years[0], year)
            for v in grow:
                coefs[v] = coefs.get(v, 0.0) + 1.0
            return coefs, 0.0
        if isinstance(op, Combine):
            live = [
                t for t in op.terms if not (self._zero(t[0], cc) or (t[1] and self._zero(t[1], cc)))
            ]
            if not live:
                raise _NotLinear(f"{name}: a sum of no non-zero terms")
            forms = []
            for a, b in live:
                fa = self.series_form(a, cc, year)
                forms.append(fa if b is None else _add(fa, self.series_form(b, cc, year)))
            return forms[0] if len(forms) == 1 else self._sum(name, cc, year, forms)
        if isinstance(op, Ratio):
            return _add(self.series_form(op.num, cc, year), self.series_form(op.den, cc, year), -1)
        if isinstance(op, Total):
            parts = [
                ("c", k) for k in range(len(self.model.clusters)) if not self._zero(op.part, k)
            ]
            if op.rest is not None and not self._zero(op.rest, None):
                parts.append(("r", -1))
            if not parts:
                raise _NotLinear(f"{name}: a sum over no non-zero parts")
            forms = [
                self.series_form(op.part, k, year)
                if which == "c"
                else self.series_form(op.rest or "", None, year)
                for which, k in parts
            ]
            return forms[0] if len(forms) == 1 else self._sum(name, cc, year, forms)
        raise _NotLinear(f"{name}: a {type(op).__name__.lower()} series")

    def history(self, name: str, year: int) -> float:
        hist = self.model.history.get(name, {}).get(year)
        if hist is None:
            raise _NotLinear(f"{name}: no value for {year}")
        v = float(np.median(hist))
        if not v > 0:
            raise _NotLinear(f"{name}: value {v} in {year} is not positive")
        return v

    def expr_form(self, e: Expr, year: int, seen: tuple[str, ...] = ()) -> Form:
        """``log e`` in ``year`` as a linear form; a year before the base reads history."""
        from clustersim.core import expr as ex

        if isinstance(e, ex.Const):
            if not e.value > 0:
                raise _NotLinear(f"constant {e.value} is not positive")
            return {}, math.log(e.value)
        if isinstance(e, ex.Name):
            if e.id in self.comp.metrics and e.id not in seen:
                if year < self.years[0] and e.id in self.model.history:
                    return {}, math.log(self.history(e.id, year))
                return self.expr_form(self.comp.metrics[e.id], year, (*seen, e.id))
            if year < self.years[0]:
                return {}, math.log(self.history(e.id, year))
            return self.series_form(e.id, None, year)
        if isinstance(e, ex.Pick):
            if e.cluster not in self.model.clusters:
                raise _NotLinear(f"{e.name}[{e.cluster}]: unknown cluster")
            if year < self.years[0]:
                raise _NotLinear(f"{e.name}[{e.cluster}]: a cluster's history")
            return self.series_form(e.name, self.model.clusters.index(e.cluster), year)
        if isinstance(e, ex.At):  # x@Y: log x in year Y, whatever year is asked (issue 13)
            return self.expr_form(e.operand, e.year, seen)
        if isinstance(e, ex.Bin) and e.op in ("*", "/"):
            left, right = self.expr_form(e.left, year, seen), self.expr_form(e.right, year, seen)
            return _add(left, right, 1.0 if e.op == "*" else -1.0)
        if isinstance(e, ex.Reduce) and e.func == "sum" and isinstance(e.arg, ex.Name):
            idx = self.model.groups.get(e.group or "all")
            if idx is None:
                raise _NotLinear(f"sum over unknown group {e.group!r}")
            live = [int(k) for k in idx if not self._zero(e.arg.id, int(k))]
            if not live or year < self.years[0]:
                raise _NotLinear(f"sum({e.arg.id}) over {len(live)} non-zero clusters in {year}")
            forms = [self.series_form(e.arg.id, k, year) for k in live]
            label = f"sum({e.arg.id}, group={e.group or 'all'})"
            return forms[0] if len(forms) == 1 else self._sum(label, None, year, forms)
        raise _NotLinear("the metric adds, subtracts or reduces series")


def _add(a: Form, b: Form, sign: float = 1.0) -> Form:
    coefs = dict(a[0])
    for k, v in b[0].items():
        coefs[k] = coefs.get(k, 0.0) + sign * v
    return {k: v for k, v in coefs.items() if v != 0.0}, a[1] + sign * b[1]


@dataclass
class _Rows:
    """``A v <= b`` rows of one target (``>=`` rows are negated)."""

    target: str
    rows: list[dict[int, float]] = field(default_factory=list)
    rhs: list[float] = field(default_factory=list)
    window: tuple[int, int] = (0, 0)

    def at_least(self, form: Form, goal: float) -> None:
        self.rows.append({k: -v for k, v in form[0].items()})
        self.rhs.append(form[1] - goal)

    def at_most(self, form: Form, goal: float) -> None:
        self.rows.append(dict(form[0]))
        self.rhs.append(goal - form[1])


def _target_rows(space: _Space, tid: str) -> _Rows:
    spec = space.comp.targets[tid].spec
    lo, hi = spec.bound.lo, spec.bound.hi
    r = _Rows(tid)
    kind = spec.kind
    if kind not in KINDS:
        raise _NotLinear(f"kind {kind} is not mapped to log growth")
    if kind in LEVEL_KINDS or kind == "flow_every_year":
        first = spec.year if kind in LEVEL_KINDS else spec.start
        if first is None:
            raise _NotLinear("no start year")
        r.window = (space.years[0], spec.year)
        for y in range(first, spec.year + 1):
            form = space.expr_form(spec.metric, y)
            if lo is not None and lo > 0:  # a positive series is always >= a goal <= 0
                r.at_least(form, math.log(lo))
            if hi is not None:
                if hi <= 0:
                    raise _NotLinear("an upper bound <= 0 on a positive series")
                r.at_most(form, math.log(hi))
        return r
    start = spec.start
    if start is None:
        raise _NotLinear("no start year")
    r.window = (start, spec.year)
    if kind in ("pp_change", "change_since"):
        # x[Y] - x[S] in [lo, hi] is a level bound on x[Y] when x[S] is a known number
        # (history, or a base year of fixed values): log x[Y] >= log(x[S] + lo)
        at_start = space.expr_form(spec.metric, start)
        if any(space.vars[k].lo != space.vars[k].hi for k in at_start[0]):
            raise _NotLinear(
                f"the value in {start} is uncertain: a difference of two uncertain levels"
            )
        x_s = math.exp(at_start[1] + sum(a * space.vars[k].lo for k, a in at_start[0].items()))
        form = space.expr_form(spec.metric, spec.year)
        if lo is not None and x_s + lo > 0:
            r.at_least(form, math.log(x_s + lo))
        if hi is not None:
            if x_s + hi <= 0:
                raise _NotLinear(f"an upper bound of {x_s + hi:g} <= 0 on a positive series")
            r.at_most(form, math.log(x_s + hi))
        return r
    if kind == "growth_every_year":
        for y in range(start + 1, spec.year + 1):
            step = _add(space.expr_form(spec.metric, y), space.expr_form(spec.metric, y - 1), -1)
            if lo is not None:
                r.at_least(step, math.log1p(lo))
            if hi is not None:
                r.at_most(step, math.log1p(hi))
        return r
    change = _add(space.expr_form(spec.metric, spec.year), space.expr_form(spec.metric, start), -1)
    n = spec.year - start if kind == "cagr" else 1
    for goal, at in ((lo, r.at_least), (hi, r.at_most)):
        if goal is None:
            continue
        if goal <= -1:
            raise _NotLinear(f"a goal of {goal} (a fall of 100% or more)")
        at(change, n * math.log1p(goal))
    return r


def _feasible(space: _Space, groups: list[_Rows]) -> bool:
    from scipy.optimize import linprog

    nv = len(space.vars)
    groups = [*groups, space.cuts]
    rows = [row for g in groups for row in g.rows]
    if not rows or nv == 0:
        return all(b >= -TOL for g in groups for b in g.rhs)
    a = np.zeros((len(rows), nv))
    for i, row in enumerate(rows):
        for k, v in row.items():
            a[i, k] = v
    b = np.array([x for g in groups for x in g.rhs]) + TOL
    bounds = [(v.lo, v.hi) for v in space.vars]
    res = linprog(np.zeros(nv), A_ub=a, b_ub=b, bounds=bounds, method="highs")
    return bool(res.status == 0)


def _needs(space: _Space, g: _Rows) -> list[Need]:
    """For each series whose growth ``g`` reads, the constant growth ``g`` needs of it."""
    from scipy.optimize import linprog

    nv = len(space.vars)
    series = sorted(
        {
            (space.vars[k].series, space.vars[k].cluster)
            for row in g.rows
            for k in row
            if space.vars[k].year >= 0
        },
        key=lambda s: (s[0], -1 if s[1] is None else s[1]),
    )
    out = []
    for name, c in series:
        idx = [
            k
            for k, v in enumerate(space.vars)
            if v.series == name and v.cluster == c and g.window[0] < v.year <= g.window[1]
        ]
        if not idx:
            continue
        bounds: list[tuple[float | None, float | None]] = [(v.lo, v.hi) for v in space.vars]
        for k in idx:
            bounds[k] = (None, None)
        # the ties of an elastic series to its source go with its range: lifted
        lifted = set(idx)
        cuts = [
            (row, x)
            for row, x in zip(space.cuts.rows, space.cuts.rhs, strict=True)
            if not lifted & set(row)
        ]
        rows, rhs = [*g.rows, *(c[0] for c in cuts)], [*g.rhs, *(c[1] for c in cuts)]
        a = np.zeros((len(rows), nv))
        for i, row in enumerate(rows):
            for k, v in row.items():
                a[i, k] = v
        b = np.array(rhs) + TOL
        cost = np.zeros(nv)
        cost[idx[0]] = 1.0
        # one constant rate over the window, as clustersim's required growth
        a_eq = np.zeros((len(idx) - 1, nv))
        for i, k in enumerate(idx[1:]):
            a_eq[i, idx[0]], a_eq[i, k] = 1.0, -1.0
        eq = {"A_eq": a_eq, "b_eq": np.zeros(len(idx) - 1)} if len(idx) > 1 else {}
        got: list[float | None] = []
        for sign in (1.0, -1.0):  # the least, then the most constant log growth
            res = linprog(sign * cost, A_ub=a, b_ub=b, bounds=bounds, method="highs", **eq)
            got.append(math.expm1(sign * res.fun) if res.status == 0 else None)
        allowed_lo = float(np.mean([space.vars[k].lo for k in idx]))
        allowed_hi = float(np.mean([space.vars[k].hi for k in idx]))
        label = name if c is None else f"{name}[{space.model.clusters[c]}]"
        out.append(
            Need(
                g.target,
                label,
                g.window,
                got[0],
                got[1],
                (math.expm1(allowed_lo), math.expm1(allowed_hi)),
            )
        )
    return out


def _corners(comp: Compiled) -> Compiled:
    """The scenario compiled at the corners of its uncertain numbers (see the module doc)."""
    from clustersim.compile import compile_scenario

    params = comp.params
    paths = sorted(params)
    if not paths:
        return comp
    ends = {}
    for p in paths:
        par = params[p]
        u = np.array([0.0, 1.0])
        try:
            v = np.asarray(par.dist.ppf(u, par.lo, par.hi), dtype=np.float64)
        except (ValueError, ZeroDivisionError, FloatingPointError):
            v = np.array([np.nan])
        ends[p] = (0.0, 1.0) if np.all(np.isfinite(v)) else (TAIL, 1.0 - TAIL)
    n = 2 + 2 * len(paths)
    uniforms = {}
    for j, p in enumerate(paths):
        lo, hi = ends[p]
        col = np.empty(n)
        col[0], col[1] = lo, hi
        col[2::2], col[3::2] = lo, hi
        col[2 + 2 * j], col[3 + 2 * j] = hi, lo
        uniforms[p] = col
    return compile_scenario(comp.scenario, samples=n, uniforms=uniforms, seed=0)


def check_consistency_compiled(comp: Compiled) -> Consistency:
    """The pre-check of a compiled scenario (one sample, central values)."""
    import time

    t0 = time.perf_counter()
    space = _Space(comp, _corners(comp))
    groups: list[_Rows] = []
    skipped: dict[str, str] = {}
    relaxed: dict[str, str] = {}
    for tid in comp.targets:
        space.reading = set()
        try:
            groups.append(_target_rows(space, tid))
        except _NotLinear as exc:
            skipped[tid] = str(exc)
            continue
        if space.reading:
            relaxed[tid] = (
                f"reads {', '.join(sorted(space.reading))}: bounded by a relaxation (a growth "
                "that follows another series by chords and tangents, a sum by its parts and "
                "Jensen's inequality), so a conflict is real and a pass is not a proof"
            )
    conflicts: list[Conflict] = []
    remaining = list(groups)
    while remaining and not _feasible(space, remaining):
        # deletion filter: what stays is needed for the conflict
        core = list(remaining)
        for g in list(core):
            trial = [h for h in core if h is not g]
            if not _feasible(space, trial):
                core = trial
        needs = tuple(n for g in core for n in _needs(space, g))
        conflicts.append(Conflict(tuple(g.target for g in core), needs))
        drop = {id(g) for g in core}
        remaining = [g for g in remaining if id(g) not in drop]
    return Consistency(
        comp.scenario.id,
        [g.target for g in groups],
        skipped,
        conflicts,
        time.perf_counter() - t0,
        relaxed,
    )


def check_consistency(path: str | Path) -> Consistency:
    """Load, compile (central values) and pre-check the scenario file ``path``.

    Raises
    ------
    ClusterSimError
        When the file is not a valid scenario (the loader's one-line messages).
    """
    from clustersim.compile import compile_scenario
    from clustersim.scenario.loader import load_scenario

    sc = load_scenario(path)
    try:
        comp = compile_scenario(sc, samples=1)
    except ValueError as exc:  # pragma: no cover - compile errors are ScenarioErrors
        raise ClusterSimError(f"{path}: {exc}") from exc
    return check_consistency_compiled(comp)
