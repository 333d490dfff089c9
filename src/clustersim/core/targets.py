"""Vectorised target checks (numpy only).

A :class:`Frame` wraps projected series, history and groups and answers "the value of
this metric in that year" for every sample at once. Each target kind turns those
values into a per-sample ``value``, ``margin`` (>= 0 when met, in the value's units)
and ``met``: the kinds live in :mod:`clustersim.kinds.targets`, and a compiled
:class:`TargetSpec` carries its kind's NumPy evaluation as a plain callable, so this module
knows no kind by name. The shapes the kinds share (a value in one year, a goal checked in
every year of a window) are the helpers :func:`point_outcome` and
:func:`every_year_outcome`. History (years before the base year) is read through the same expression,
so "energy intensity 14% below 2020" works from a later base year.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clustersim.core.expr import Expr, ExprError, evaluate, names_in

__all__ = [
    "MET_RTOL",
    "Bound",
    "Evaluate",
    "Frame",
    "HistoryMissing",
    "Outcome",
    "TargetSpec",
    "Tier",
    "broadcast_outcome",
    "evaluate_target",
    "every_year_outcome",
    "lowered",
    "point_outcome",
    "rates",
    "result_buffers",
]

Array = NDArray[np.float64]

#: relative tolerance under which a margin still counts as met (float rounding)
MET_RTOL = 1e-9


class HistoryMissing(ExprError):
    """A target needs a value before the base year that the scenario does not give."""


@dataclass(frozen=True, slots=True)
class Bound:
    """Goal of a target: ``lo <= value`` and/or ``value <= hi``; with ``strict``,
    ``lo < value`` / ``value < hi`` (超过 / 不满: the number itself is excluded).

    Float tolerance: an inclusive goal is met when the margin is at least
    ``-MET_RTOL * scale`` (a value short of the goal by rounding alone still meets it); a
    strict goal is met only when the margin is more than ``+MET_RTOL * scale`` (a value
    equal to the goal up to rounding does not meet it). :attr:`met_from` is that edge, the
    same in every engine.
    """

    lo: float | None = None
    hi: float | None = None
    strict: bool = False

    def margin(self, value: Array) -> Array:
        """Signed distance to the goal, >= 0 when met: ``min(value - lo, hi - value)``."""
        parts = []
        if self.lo is not None:
            parts.append(value - self.lo)
        if self.hi is not None:
            parts.append(self.hi - value)
        return parts[0] if len(parts) == 1 else np.minimum(parts[0], parts[1])

    @property
    def scale(self) -> float:
        return max([1.0, *(abs(v) for v in (self.lo, self.hi) if v is not None)])

    @property
    def met_from(self) -> float:
        """The smallest margin that meets the goal: ``-MET_RTOL * scale`` for an inclusive
        goal, the float just above ``+MET_RTOL * scale`` for a strict one (so ``margin >=
        met_from`` is ``margin > MET_RTOL * scale`` exactly, in NumPy and in a kernel)."""
        tol = MET_RTOL * self.scale
        return float(np.nextafter(tol, np.inf)) if self.strict else -tol

    def reached(self, margin: Array) -> NDArray[np.bool_]:
        """Met, from the margin: ``margin >= met_from``."""
        out: NDArray[np.bool_] = margin >= self.met_from
        return out


@dataclass(frozen=True, slots=True)
class Tier:
    """At least ``at_least`` clusters at or above ``threshold``."""

    threshold: float
    at_least: int


#: a kind's NumPy evaluation: per-sample outcome of a compiled target on a frame
Evaluate = Callable[["TargetSpec", "Frame"], "Outcome"]


@dataclass(frozen=True)
class TargetSpec:
    """A compiled target.

    ``metric`` is region-level except for kinds that count clusters (``count_over``),
    where it is a cluster series. ``start`` is the first year of a window (``cagr``,
    ``*_every_year``) or the reference year of ``change_vs``; ``year`` is the target year
    (end of the window).

    ``kind`` names the kind; ``evaluate`` is its NumPy evaluation (set by the kind, see
    :func:`clustersim.kinds.targets.target_spec`), ``window`` says that it reads every
    year of ``start..year`` (the blocked core then computes the per-year series it reads
    over the whole window at once).
    """

    id: str
    kind: str
    metric: Expr
    year: int
    bound: Bound = field(default_factory=Bound)
    start: int | None = None
    group: str | None = None
    threshold: float | None = None
    tiers: tuple[Tier, ...] = ()
    bands: bool = True
    #: what a count counts (``count_over``): each item is the cluster indices whose metric
    #: is summed (one index: a cluster; several: a group or a parent's chain); empty: the
    #: clusters of ``group`` (or all), one by one
    over: tuple[tuple[int, ...], ...] = ()
    evaluate: Evaluate = field(kw_only=True)
    window: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class Outcome:
    """Per-sample result of one target: ``value``, ``margin`` and ``met`` are ``(S,)``."""

    value: Array
    margin: Array
    met: NDArray[np.bool_]
    detail: dict[str, Array] = field(default_factory=dict)

    @property
    def probability(self) -> float:
        return float(np.mean(self.met))


def result_buffers(
    n_targets: int, samples: int, out: Mapping[str, NDArray[Any]] | None = None
) -> tuple[Array, Array, NDArray[np.bool_]]:
    """``value``, ``margin`` (float64) and ``met`` (bool) rows, one per target.

    New ``(n_targets, samples)`` arrays, or ``out``'s arrays (checked to be
    ``(n_targets, >= samples)``) when a caller reuses one set for every chunk of a run: fresh
    memory costs a page fault per 4 KiB.
    """
    if out is None:
        shape = (n_targets, samples)
        return np.empty(shape), np.empty(shape), np.empty(shape, dtype=np.bool_)
    value, margin, met = out["value"], out["margin"], out["met"]
    if value.shape[0] != n_targets or value.shape[1] < samples:
        raise ValueError(f"out arrays must be ({n_targets}, >= {samples}), got {value.shape}")
    return value, margin, met


class Frame:
    """Projected series plus history, for metric look-ups by year.

    Parameters
    ----------
    series : dict of str to array
        ``(S, T)`` region and ``(S, C, T)`` cluster series.
    years : int array (T,)
    clusters : sequence of str
    groups : dict of str to int array
    history : dict of str to dict of int to array
        Observed values before the base year, ``(S',)`` or ``(S', C)``.
    """

    def __init__(
        self,
        series: Mapping[str, Array],
        years: NDArray[np.int64],
        clusters: Sequence[str],
        groups: Mapping[str, NDArray[np.intp]],
        history: Mapping[str, Mapping[int, Array]],
        derived: Mapping[str, Expr] | None = None,
    ) -> None:
        self.series = dict(series)
        self.years = years
        self.base_year = int(years[0])
        self.clusters = {c: i for i, c in enumerate(clusters)}
        self.groups = groups
        self.history = history
        self.derived = dict(derived or {})
        self._cache: dict[str, Array] = {}
        self._counts: dict[tuple[Expr, int, str | None, float], Array] = {}
        self._count_vals: dict[tuple[Expr, int, str | None], Array] = {}

    @property
    def samples(self) -> int:
        return next(iter(self.series.values())).shape[0] if self.series else 1

    def lookup(self, name: str) -> Array:
        """Full trajectory of a series or derived metric."""
        if name in self.series:
            return self.series[name]
        if name not in self._cache:
            if name not in self.derived:
                raise ExprError(f"unknown series {name!r}")
            val = evaluate(
                self.derived[name], self.lookup, self.groups, self.clusters, 3, self.rows_at
            )
            self._cache[name] = self._full_years(val)
        return self._cache[name]

    def _full_years(self, val: Array) -> Array:
        """``val`` over every projection year: a metric made only of ``x@year`` values has a
        year axis of length 1 (and maybe one shared sample row), broadcast to ``(S, [C,] T)``."""
        t = len(self.years)
        if val.ndim >= 2 and (val.shape[-1] != t or val.shape[0] != self.samples):
            return np.broadcast_to(val, (self.samples, *val.shape[1:-1], t))
        return val

    def trajectory(self, expr: Expr) -> Array:
        """``(S, T)`` (or ``(S, C, T)``) values of ``expr`` over the projection years."""
        out = evaluate(expr, self.lookup, self.groups, self.clusters, 3, self.rows_at)
        if out.ndim < 2 or out.size == 0:  # a constant, or an empty selection
            raise ExprError(
                "the expression has no values per sample and year (it reads no series, or an "
                "empty selection of clusters)"
            )
        return self._full_years(out)

    def at(self, expr: Expr, year: int, traj: Array | None = None) -> Array:
        """Values of ``expr`` in ``year`` for every sample: ``(S,)`` or ``(S, C)``.

        Years before the base year are read from history.
        """
        if year >= self.base_year:
            i = year - self.base_year
            if i >= len(self.years):
                raise ExprError(f"year {year} is after the end year {int(self.years[-1])}")
            if traj is None:
                traj = self.trajectory(expr)
            return np.asarray(traj[..., i])

        val = self._history(expr, year)
        s = self.samples
        return np.broadcast_to(val, (s, *val.shape[1:]))

    def _history(self, expr: Expr, year: int) -> Array:
        """``(S', [C])`` values of ``expr`` in a history ``year``; ``S'`` is 1 when shared."""
        hist = partial(self._history_at, year=year)  # no closure: no reference cycle
        val = np.asarray(
            evaluate(expr, hist, self.groups, self.clusters, 2, self.rows_at), dtype=np.float64
        )
        if np.isnan(val).any():  # cluster history given for some clusters only
            gaps = sorted(
                f"{n}[{c}]"
                for n in names_in(expr)
                if year in self.history.get(n, {}) and np.ndim(self.history[n][year]) == 2
                for c, i in self.clusters.items()
                if np.isnan(self.history[n][year][:, i]).any()
            )
            raise HistoryMissing(
                f"the history in {year} is incomplete: no value for {', '.join(gaps) or 'some clusters'}"
            )
        return val.reshape(1) if val.ndim == 0 else val

    def _history_at(self, name: str, year: int) -> Array:
        h = self.history.get(name, {})
        if year in h:
            return h[year]
        if name in self.derived:
            hist = partial(self._history_at, year=year)
            return evaluate(self.derived[name], hist, self.groups, self.clusters, 2, self.rows_at)
        raise HistoryMissing(
            f"no history for {name!r} in {year} (the base year is {self.base_year}); "
            f"add it under history"
        )

    def window(self, expr: Expr, start: int, end: int) -> Array:
        """``(S, end - start + 1)`` values of ``expr`` for the years ``start..end``."""
        traj = self.trajectory(expr) if end >= self.base_year else None
        return np.stack([self.at(expr, y, traj) for y in range(start, end + 1)], axis=-1)

    # -- what the target kinds read: values per sample row, or one row shared by all --------

    def rows_at(self, expr: Expr, year: int) -> Array:
        """Values of ``expr`` in ``year``, ``(S', [C])``: ``S'`` is ``S``, or 1 when the
        value is the same for every sample (a frame may then skip the broadcast)."""
        return self.at(expr, year)

    def rows_window(self, expr: Expr, start: int, end: int) -> Array:
        """Values of ``expr`` for the years ``start..end``, time-major: ``(W, S')``."""
        traj = self.trajectory(expr) if end >= self.base_year else None
        return np.stack([self.at(expr, y, traj) for y in range(start, end + 1)])

    def count_at_least(self, expr: Expr, year: int, group: str | None, bound: float) -> Array:
        """``(S',)`` number of clusters (of ``group``) whose ``expr`` in ``year`` is ``>= bound``.

        Remembered: targets counting the same series against the same bound share one pass.
        """
        key = (expr, year, group, bound)
        count = self._counts.get(key)
        if count is None:
            vals = self._count_vals.get(key[:3])
            if vals is None:
                vals = self.rows_at(expr, year)  # (S', C)
                if group is not None:
                    vals = _columns(vals, self.groups[group])
                self._count_vals[key[:3]] = vals
            hits = vals >= bound
            if hits.any():
                # count = hits.sum(axis=1); a product with ones sums short rows faster
                count = np.matmul(hits.astype(np.float64), np.ones(vals.shape[1]))
            else:  # the common case for the top band, [threshold, inf)
                count = np.zeros(vals.shape[0])
            self._counts[key] = count
        return count


def _columns(vals: Array, index: NDArray[np.intp]) -> Array:
    """``vals[:, index]``, a view when ``index`` is a run of consecutive clusters."""
    n = len(index)
    if n and int(index[-1]) - int(index[0]) == n - 1 and np.all(np.diff(index) == 1):
        return vals[:, int(index[0]) : int(index[0]) + n]
    out: Array = vals[:, index]
    return out


def rates(w: Array) -> Array:
    """Growth in each year of a time-major window ``(W, S')``: ``(W - 1, S')``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Array = w[1:] / w[:-1] - 1.0
    return out


def lowered(threshold: float) -> float:
    """A threshold less float rounding: 9,999.999999999998 counts as reaching 10,000."""
    return threshold - MET_RTOL * max(1.0, abs(threshold))


def _binding(per_year: Array, margins: Array) -> tuple[Array, Array]:
    """Value and margin ``(S',)`` of the year that binds: the first with the smallest margin.

    ``b = np.argmin(margins, axis=0)``, ``per_year[b, rows]``, ``margins[b, rows]``; without
    NaN, the smallest margin and a pass over the years from the last, which skips argmin's
    call per sample.
    """
    margin: Array = margins.min(axis=0)
    if np.isnan(margin).any():  # argmin binds the first NaN
        b = np.argmin(margins, axis=0)[None]
        return np.take_along_axis(per_year, b, axis=0)[0], np.take_along_axis(margins, b, axis=0)[0]
    value: Array = per_year[-1]
    for k in range(len(per_year) - 2, -1, -1):
        value = np.where(margins[k] == margin, per_year[k], value)
    return value, margin


def broadcast_outcome(
    s: int, value: Array, margin: Array, met: NDArray[np.bool_], detail: dict[str, Array]
) -> Outcome:
    """Outcome over ``s`` samples, broadcasting results computed on one shared row."""
    if value.shape[0] != s:
        value, margin = np.broadcast_to(value, (s,)), np.broadcast_to(margin, (s,))
        met = np.broadcast_to(met, (s,))
        detail = {k: np.broadcast_to(v, (s,)) for k, v in detail.items()}
    return Outcome(value, margin, met, detail)


def point_outcome(t: TargetSpec, f: Frame, value: Array) -> Outcome:
    """Outcome of a kind whose value is one number per sample, ``(S',)``."""
    value = np.asarray(value, dtype=np.float64)
    margin = t.bound.margin(value)
    return broadcast_outcome(f.samples, value, margin, t.bound.reached(margin), {})


def every_year_outcome(t: TargetSpec, f: Frame, per_year: Array) -> Outcome:
    """Outcome of a kind whose goal is checked in every year of a window.

    ``per_year`` is ``(W, S')``, time-major; the value reported is the year that binds
    (the smallest margin), the margin is that year's.
    """
    value, margin = _binding(per_year, t.bound.margin(per_year))
    return broadcast_outcome(f.samples, value, margin, t.bound.reached(margin), {})  # met(value)


def evaluate_target(t: TargetSpec, f: Frame) -> Outcome:
    """Per-sample value, margin and met of ``t`` on ``f``, by its kind's evaluation.

    Values that are the same for every sample are computed on one row and broadcast at
    the end.
    """
    return t.evaluate(t, f)
