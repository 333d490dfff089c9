"""What every target kind shares, and the pieces each kind class fills in.

A target kind is one class, a pydantic model of its fields (the scenario's ``targets:``
entries), that also knows

- how it compiles (:meth:`TargetKind.metric_expr`, :meth:`TargetKind.check_metric`,
  :meth:`TargetKind.to_spec`) into a :class:`~clustersim.core.targets.TargetSpec`;
- its NumPy evaluation (:meth:`TargetKind.evaluate`, a pure function over a
  :class:`~clustersim.core.targets.Frame`, used by the reference and blocked cores);
- its required-growth specifics (:meth:`TargetKind.closed_form`, :attr:`TargetKind.search`);
- its compiled-engine form (:meth:`TargetKind.kernel`, the code of the numba kernel, or
  None: the numba engine then refuses the kind by name);
- how the report prints and draws its goal, and its row of the docs table.

:class:`PointKind` and :class:`EveryYearKind` hold what the kinds with a value in one year
and the kinds checked in every year of a window have in common.
"""

import re
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BeforeValidator, Field, model_validator

from clustersim.core import expr as ex
from clustersim.core.model import Model
from clustersim.core.targets import (
    Bound,
    Frame,
    Outcome,
    TargetSpec,
    every_year_outcome,
    point_outcome,
)
from clustersim.values.names import Id, Label
from clustersim.values.numbers import Float, Strict

__all__ = [
    "GOALS",
    "About",
    "ClusterScope",
    "EveryYearKind",
    "KernelCode",
    "KernelWriter",
    "Lever",
    "PointKind",
    "TargetKind",
    "start_year",
]

Array = NDArray[np.float64]
#: a kind's kernel code: lines before the last lane loop (reductions, windows), and the
#: statements of that loop that set ``v`` (value), ``m`` (margin) and ``ok`` (met) for lane b
KernelCode = tuple[list[str], list[str]]


class KernelWriter(Protocol):
    """What a kind's compiled form may call of the numba code generator
    (:mod:`clustersim.accel.codegen`): names for constants, scratch arrays and loops, and
    the code of an expression in a year."""

    m: Model
    base: int  # the base year
    top: str  # indent of code directly inside the sample-block loop

    def loop(self, ind: str, *body: str) -> list[str]: ...
    def lane(self, stem: str) -> str: ...
    def var(self, stem: str) -> str: ...
    def k(self, v: float) -> str: ...
    def i(self, v: int) -> str: ...
    def arg(
        self, a: NDArray[Any], stem: str, sampled: bool = False, fixed: bool = False
    ) -> str: ...
    def at(self, e: ex.Expr, year: int, pre: list[str], ind: str, c: str | None = None) -> str: ...
    def expr(
        self, e: ex.Expr, yi: str, year: int | None, c: str | None, pre: list[str], ind: str
    ) -> str: ...
    def margin(self, spec: TargetSpec, v: str) -> str: ...


class Lever(Strict):
    """The series a required-growth search moves: a series, optionally limited to clusters."""

    series: str
    group: str | None = None
    clusters: list[Id] | None = None


def start_year(t: TargetSpec, what: str) -> int:
    """The first (or reference) year of a kind that compares two years; ``what`` names it
    in the error when a spec lacks one (``"a start year"``)."""
    if t.start is None:
        raise ValueError(f"target {t.id}: {t.kind} needs {what}")
    return t.start


def _lever(v: Any) -> Any:
    if isinstance(v, str):
        m = re.fullmatch(r"\s*(\w+)\s*(?:\[\s*(\w+)\s*\])?\s*", v)
        if m:
            return {"series": m.group(1), **({"clusters": [m.group(2)]} if m.group(2) else {})}
    return v


def _levers(v: Any) -> Any:
    return [_lever(x) for x in v] if isinstance(v, list) else _lever(v)


LeverField = Annotated[Lever, BeforeValidator(_lever, json_schema_input_type=str | Lever)]


class About(Strict):
    """左右 / 约 X: the goal is the band ``value ± tolerance`` (both ends included). The
    tolerance is an assumption of whoever encodes the plan: the plan does not state it."""

    value: Float
    tolerance: Float = Field(gt=0)


#: the goal fields of a target, one of which it gives (``tiers`` of count_over aside)
GOALS = ("at_least", "at_most", "more_than", "less_than", "between", "about")


@dataclass(frozen=True)
class ClusterScope:
    """What compile tells a kind about the clusters (:meth:`TargetKind.bind`): their ids
    in order, the groups' member indices and each cluster's parent (None at the top)."""

    clusters: tuple[str, ...]
    groups: Mapping[str, NDArray[np.intp]]
    parents: Mapping[str, str | None]

    def ancestors(self, cid: str) -> list[str]:
        """The parent, its parent, ... of ``cid`` (compile has refused cycles)."""
        out: list[str] = []
        p = self.parents.get(cid)
        while p is not None and p not in out:
            out.append(p)
            p = self.parents.get(p)
        return out


class TargetKind(Strict):
    """Base of every target kind: the goal, the lever, the source and the note.

    A kind class adds ``kind: Literal["<name>"]`` (its name in the registry and in scenario
    files), its own fields and ``year``, and fills in the methods below.
    """

    label: Label
    at_least: Float | None = None
    at_most: Float | None = None
    more_than: Float | None = None
    less_than: Float | None = None
    between: tuple[Float, Float] | None = None
    about: About | None = None
    #: 力争 (aspirational) or 确保 (binding); None: the plan does not say
    strength: Literal["aspirational", "binding"] | None = None
    #: the id of the plan sentence whose goals must all be met together
    joint: Id | None = None
    lever: (
        Annotated[
            LeverField | list[LeverField],
            BeforeValidator(_levers, json_schema_input_type=str | Lever | list[str | Lever]),
        ]
        | None
    ) = None
    #: required growth is the constant rate from this year on (default the base year)
    required_from: int | None = None
    #: the price basis of the goal: ``current`` (现价) or ``comparable`` (可比价: the metric is
    #: deflated to base-year prices by ``deflator`` unless every series it reads is declared
    #: ``prices: comparable``)
    basis: Literal["current", "comparable"] = "current"
    #: with ``basis: comparable``: the price index that deflates the metric (a series; default
    #: ``gdp_deflator``), given as a plain number in the base year (its index base, e.g. 100)
    deflator: Id | None = None
    source: str | None = None
    note: str | None = None

    if TYPE_CHECKING:  # every kind class declares them, in its own field order
        kind: str
        year: int

    # -- the kind's facts -------------------------------------------------------------------
    #: the goal is checked in every year of ``start..year`` (the blocked core then reads the
    #: metric over the window at once)
    window: ClassVar[bool] = False
    #: how the required-growth search ends: ``smooth`` (a secant step on the margin) or
    #: ``step`` (the margin jumps, as a count does: the meeting edge of the bracket)
    search: ClassVar[Literal["smooth", "step"]] = "smooth"
    #: the value reads as a percentage in every report (a rate or a share)
    percent: ClassVar[bool] = False
    #: the value is a change in percentage points (``+1.00 pp``)
    pp: ClassVar[bool] = False
    #: the chart of the series it reads is in percent: True, False, or None to judge by the
    #: goal as for a level (a goal below 1 on a series below 1.5)
    chart_percent: ClassVar[bool | None] = False
    #: how the report draws it on the chart of its series: the goal at the target year
    #: (``goal``), the reference value and the goal level (``reference``), a goal path from
    #: the start year (``path``, see :meth:`goal_path`), or on the cluster bars (``bars``)
    marker: ClassVar[Literal["goal", "reference", "path", "bars"]] = "goal"
    #: the goal as the chart's legend prints it: in the chart's units (``value``), as a
    #: percentage or in percentage points, followed by ``per_year``, ``every_year`` or
    #: ``vs_year`` (the reference year)
    goal_units: ClassVar[Literal["value", "percent", "pp"]] = "value"
    goal_suffix: ClassVar[Literal["", "per_year", "every_year", "vs_year"]] = ""
    #: its row of the kinds table in docs/scenario-format.md: the fields and the value
    doc_fields: ClassVar[str] = ""
    doc_value: ClassVar[str] = ""
    #: the value is a whole number (a count): medians and percentiles are sample values
    integer: ClassVar[bool] = False
    #: ``basis: comparable`` applies (money amounts and their growth); False for a share, a
    #: change in percentage points or a count, which are the same in current and comparable prices
    deflatable: ClassVar[bool] = True

    @model_validator(mode="after")
    def _one_goal(self) -> "TargetKind":
        given = [k for k in GOALS if getattr(self, k) is not None]
        if len(given) != 1 and not getattr(self, "tiers", None):
            raise ValueError(
                f"a target needs exactly one of {', '.join(GOALS)} (got {given or 'none'})"
            )
        if self.between is not None and self.between[0] > self.between[1]:
            raise ValueError(f"between: {list(self.between)} must be [low, high]")
        if len(self.levers()) != len(
            {(lv.series, lv.group, str(lv.clusters)) for lv in self.levers()}
        ):
            raise ValueError("lever: the same lever is listed twice")
        return self  # the price basis is checked with the scenario (scenario/prices.py)

    def comparable(self, metric: ex.Expr, deflator: str, base: float) -> ex.Expr:
        """``metric / (deflator / base)``: the metric at base-year prices (可比价).

        ``deflator`` is a price index series with value ``base`` in the base year, so
        ``deflator / base`` is 1 there and the metric's base-year value is unchanged; a growth
        rate becomes real, ``(1 + g) / (1 + pi) - 1`` for nominal growth ``g`` and price growth
        ``pi``.
        """
        return ex.Bin("/", metric, ex.Bin("/", ex.Name(deflator), ex.Const(float(base))))

    # -- compile ------------------------------------------------------------------------------
    def bound(self) -> Bound:
        """The goal as a :class:`~clustersim.core.targets.Bound` (``more_than`` and
        ``less_than`` are strict; ``about`` is the inclusive band ``value ± tolerance``)."""
        if self.between is not None:
            return Bound(float(self.between[0]), float(self.between[1]))
        if self.about is not None:
            a = self.about
            return Bound(float(a.value - a.tolerance), float(a.value + a.tolerance))
        if self.more_than is not None:
            return Bound(lo=float(self.more_than), strict=True)
        if self.less_than is not None:
            return Bound(hi=float(self.less_than), strict=True)
        return Bound(self.at_least, self.at_most)

    def levers(self) -> list[Lever]:
        """The levers given (none, one, or a list: required growth is found for each)."""
        if self.lever is None:
            return []
        return list(self.lever) if isinstance(self.lever, list) else [self.lever]

    def bind(self, spec: TargetSpec, scope: ClusterScope) -> TargetSpec:
        """The spec with what only the scenario's clusters tell (a count's items); raise
        :class:`~clustersim.core.expr.ExprError` for ids that do not fit. Default: as is."""
        return spec

    def start(self) -> int | None:
        """First year of the window (``from_year``) or the reference year (``relative_to``);
        None for a kind read in one year."""
        return None

    @abstractmethod
    def metric_expr(self) -> ex.Expr:
        """The expression the target reads (region-level unless :meth:`check_metric` says
        otherwise). Raises :class:`~clustersim.core.expr.ExprError`."""

    def check_metric(self, cluster_level: bool, groups: Mapping[str, NDArray[np.intp]]) -> None:
        """Raise :class:`~clustersim.core.expr.ExprError` unless the metric fits the kind:
        by default a region-level value."""
        if cluster_level:
            raise ex.ExprError(
                "the metric is per cluster; reduce it (sum(x), sum(x, group=g)) or pick one (x[cluster])"
            )

    def scope_group(self) -> str | None:
        """The group whose clusters the metric reads (coverage check, default lever)."""
        return None

    def to_spec(self, tid: str, metric: ex.Expr) -> TargetSpec:
        """The compiled target."""
        return type(self).spec(tid, metric, self.year, self.bound(), start=self.start())

    @classmethod
    def spec(
        cls, tid: str, metric: ex.Expr, year: int, bound: Bound | None = None, **fields: Any
    ) -> TargetSpec:
        """A :class:`~clustersim.core.targets.TargetSpec` of this kind (its evaluation set)."""
        name = cls.model_fields["kind"].annotation.__args__[0]  # type: ignore[union-attr]
        return TargetSpec(
            tid,
            name,
            metric,
            year,
            bound if bound is not None else Bound(),
            evaluate=cls.evaluate,
            window=cls.window,
            **fields,
        )

    # -- evaluation ---------------------------------------------------------------------------
    @classmethod
    @abstractmethod
    def evaluate(cls, t: TargetSpec, f: Frame) -> Outcome:
        """Per-sample value, margin and met of ``t`` on ``f`` (NumPy; ``(S,)`` each)."""

    @classmethod
    def kernel(cls, g: KernelWriter, spec: TargetSpec, tol: str) -> KernelCode | None:
        """The numba kernel's code of ``spec`` (``tol`` names the met tolerance, a negative
        constant), or None when the compiled engine has no form for the kind: it then
        refuses the kind by name."""
        return None

    # -- required growth ----------------------------------------------------------------------
    @classmethod
    def closed_form(
        cls,
        spec: TargetSpec,
        x0: float,
        goal: float,
        base_year: int,
        value_at: Callable[[int], float],
    ) -> float | None:
        """The constant annual rate of the lever that just meets the goal, when the target
        reads the lever series itself and the kind has a formula for it; else None (the
        generic search then finds it).

        ``x0`` is the lever's base value (> 0), ``goal`` the goal's bound, ``value_at(year)``
        the metric's value in a year before the base (NaN when unknown).
        """
        return None

    # -- report -------------------------------------------------------------------------------
    @classmethod
    def is_percent(cls, goal: Any, value: float) -> bool:
        """Whether the value reads as a percentage."""
        return cls.percent

    @classmethod
    def goal_path(cls, ref: float, goal: float, n: int) -> float:
        """For ``marker = "path"``: the goal in the series' units ``n`` years after the
        start, from the start year's value ``ref``."""
        raise TypeError(f"{cls.__name__} sets marker = 'path' but does not define goal_path()")

    def cluster_bars(self) -> tuple[int, list[float]] | None:
        """The year and thresholds to draw on the cluster output bars, for a kind that
        counts clusters' output; else None."""
        return None


class PointKind(TargetKind):
    """A kind whose value is one number per sample (a level, a rate between two years)."""

    @classmethod
    @abstractmethod
    def value(cls, t: TargetSpec, f: Frame) -> Array:
        """The value, ``(S',)`` (``S'`` is 1 when it is the same for every sample)."""

    @classmethod
    @abstractmethod
    def value_code(cls, g: KernelWriter, spec: TargetSpec, pre: list[str]) -> str:
        """The kernel's code of the value for lane ``b`` (loops it needs go to ``pre``)."""

    @classmethod
    def evaluate(cls, t: TargetSpec, f: Frame) -> Outcome:
        return point_outcome(t, f, cls.value(t, f))

    @classmethod
    def kernel(cls, g: KernelWriter, spec: TargetSpec, tol: str) -> KernelCode | None:
        pre: list[str] = []
        v = cls.value_code(g, spec, pre)
        return pre, [f"v = {v}", f"m = {g.margin(spec, 'v')}", f"ok = m >= {tol}"]


class EveryYearKind(TargetKind):
    """A kind whose goal is checked in each year of a window: the value reported is the
    year that binds (the smallest margin), the margin is that year's."""

    window: ClassVar[bool] = True
    #: years back each year's value reads: 1 for a change on the year before, 0 for a flow
    lag: ClassVar[int] = 1
    #: met in any year (``reached_by``): the year that binds is the one with the largest
    #: margin instead of the smallest
    any_year: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def per_year(cls, w: Array) -> Array:
        """Per-year values ``(W - lag, S')`` from the metric's window ``(W, S')``."""

    @classmethod
    @abstractmethod
    def step_code(cls, cur: str, prev: str) -> str:
        """The kernel's code of one year's value from the metric's code in that year and
        (with ``lag`` 1) the year before."""

    @classmethod
    def evaluate(cls, t: TargetSpec, f: Frame) -> Outcome:
        if t.start is None:
            raise ValueError(f"target {t.id}: a window needs a start year")
        w = f.rows_window(t.metric, t.start, t.year)  # (W, S'), time-major
        return every_year_outcome(t, f, cls.per_year(w))

    @classmethod
    def kernel(cls, g: KernelWriter, spec: TargetSpec, tol: str) -> KernelCode | None:
        if spec.start is None:
            raise ValueError(f"target {spec.id}: a window needs a start year")
        p = g.top
        lines: list[str] = []
        wm, wv = g.lane("wm"), g.lane("wv")
        init = "-np.inf" if cls.any_year else "np.inf"
        lines += g.loop(p, f"{wm}[b] = {init}", f"{wv}[b] = np.nan")
        lag = cls.lag
        first = spec.start + lag
        # years that read history are unrolled; the projected rest is one run-time loop,
        # so windows of any length share the kernel
        loop_from = max(first, g.base + lag)
        for y in range(first, min(spec.year, loop_from - 1) + 1):
            pre: list[str] = []
            cur = g.at(spec.metric, y, pre, p)
            prev = g.at(spec.metric, y - 1, pre, p) if lag else ""
            lines += pre + g.loop(p, *cls._window_step(g, spec, cur, prev, wm, wv))
        if loop_from <= spec.year:
            yy = g.var("yy")
            a, b = g.i(loop_from - g.base), g.i(spec.year - g.base)
            pre = []
            cur = g.expr(spec.metric, yy, None, None, pre, p + "    ")
            if lag:  # carry the previous year's value instead of computing it twice
                pv = g.lane("pv")
                first_pre: list[str] = []
                before = g.expr(spec.metric, f"{a} - 1", None, None, first_pre, p)
                lines += [*first_pre, *g.loop(p, f"{pv}[b] = {before}")]
                step = ["cv = " + cur, *cls._window_step(g, spec, "cv", f"{pv}[b]", wm, wv)]
                step.append(f"{pv}[b] = cv")
            else:
                step = cls._window_step(g, spec, cur, "", wm, wv)
            lines += [f"{p}for {yy} in range({a}, {b} + 1):", *pre]
            lines += g.loop(p + "    ", *step)
        if cls.any_year:  # a window of NaN margins only: NaN, as in NumPy's argmax of -inf
            return lines, [
                f"v = {wv}[b]",
                f"m = {wm}[b] if {wm}[b] != -np.inf else np.nan",
                f"ok = m >= {tol}",
            ]
        return lines, [f"v = {wv}[b]", f"m = {wm}[b]", f"ok = {g.margin(spec, 'v')} >= {tol}"]

    @classmethod
    def _window_step(
        cls, g: KernelWriter, spec: TargetSpec, cur: str, prev: str, wm: str, wv: str
    ) -> list[str]:
        """One year of the window: keep the value with the smallest margin (the largest for
        ``any_year``; a NaN margin never wins there)."""
        if cls.any_year:
            return [
                f"w = {cls.step_code(cur, prev)}",
                f"mw = {g.margin(spec, 'w')}",
                f"up = mw > {wm}[b]",
                f"{wm}[b] = mw if up else {wm}[b]",
                f"{wv}[b] = w if up else {wv}[b]",
            ]
        return [
            f"w = {cls.step_code(cur, prev)}",
            f"mw = {g.margin(spec, 'w')}",
            f"up = (mw < {wm}[b]) | ((mw != mw) & ({wm}[b] == np.inf))",
            f"{wm}[b] = mw if up else {wm}[b]",
            f"{wv}[b] = w if up else {wv}[b]",
        ]
