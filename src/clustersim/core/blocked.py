"""Targets-only evaluation in cache-sized sample blocks, time-major (numpy only).

The reference projection (:mod:`clustersim.core.project`) materialises every series as
``(S, C, T)``; for a sweep that only needs each target's value per sample that is memory
traffic without purpose. This path

- walks the samples in blocks of ``block`` rows, so every array of a block stays in cache
  and memory does not grow with the sample count;
- lays series out time-major, ``(T, B, C)``, so a recurrence step is one contiguous
  ``(B, C)`` multiply (``x[t] = x[t-1] * f``, in place with ``out=``) instead of a
  strided slice or a ``power`` per element;
- keeps a leading axis of 1 for series that do not vary by sample (a fixed value-added
  ratio is ``(T, 1, C)``, never ``(T, B, C)``), and never builds ``(S, C, T)`` rate arrays
  for growth that has fewer dimensions;
- computes only the series the targets read, and evaluates target metrics on the year
  slices they need, not on whole trajectories.

It agrees with the reference to float rounding (``x0 * f * f * ...`` against
``x0 * f ** t``); the tests hold it to 1e-12 relative.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial

import numpy as np
from numpy.typing import NDArray

from clustersim.core.expr import Expr, ExprError, evaluate, names_in
from clustersim.core.model import ClusterTotal, Combine, Compound, Model, Op, Ratio, StockFlow
from clustersim.core.project import needed
from clustersim.core.targets import (
    Frame,
    Outcome,
    TargetSpec,
    evaluate_target,
)

__all__ = [
    "DEFAULT_BLOCK",
    "Scaled",
    "YearFrame",
    "evaluate_targets",
    "project_time_major",
    "target_needs",
]

Array = NDArray[np.float64]
#: samples per block: (T, B, C) float64 series of 20 clusters x 12 years stay near 4 MB
DEFAULT_BLOCK = 2048


class Scaled:
    """A cluster series kept factorised: ``base * scale`` with ``scale`` the same for all samples.

    ``value_added = output * va_ratio``, ``energy = value_added * energy_per_va`` and
    ``rd = output * rd_share`` are all ``output`` times a ``(T, 1, C)`` factor when the
    ratios are not sampled; summing them over clusters is then one batched matrix-vector
    product over ``output`` (``(T, B, C) @ (T, C, 1)``) instead of a product and a sum
    per series, and the ``(T, B, C)`` products are never written out.
    """

    __slots__ = ("base", "scale")

    def __init__(self, base: Array, scale: Array) -> None:
        self.base = base  # (T, B', C)
        self.scale = scale  # (T, 1, C) or broadcastable to it

    def full(self) -> Array:
        out: Array = self.base * self.scale
        return out

    def year(self, i: int) -> Array:
        out: Array = self.base[i] * self.scale[i if self.scale.shape[0] > 1 else 0]
        return out

    def total(self) -> Array:
        """Sum over clusters, ``(T, B')``: ``sum_c base[t, b, c] * scale[t, 0, c]``."""
        t, _, c = self.base.shape
        w = np.broadcast_to(self.scale, (t, 1, c)).transpose(0, 2, 1)  # (T, C, 1)
        out: Array = np.matmul(self.base, w)[..., 0]
        return out


Value = Array | Scaled


def _full(v: Value) -> Array:
    return v.full() if isinstance(v, Scaled) else v


def _invariant(v: Value) -> bool:
    """Same for every sample: a ``(T, 1, C)`` array."""
    return not isinstance(v, Scaled) and v.ndim == 3 and v.shape[1] == 1


def _product(a: Value, b: Value) -> Value:
    """``a * b``, kept factorised when one side is the same for every sample."""
    pairs: tuple[tuple[Value, Value], ...] = ((a, b), (b, a))
    for x, y in pairs:
        if isinstance(y, Scaled) or not _invariant(y):
            continue
        if isinstance(x, Scaled):
            return Scaled(x.base, x.scale * y)
        if x.ndim == 3 and not _invariant(x):
            return Scaled(x, y)
    out: Array = _full(a) * _full(b)
    return out


def _sum(values: Sequence[Value]) -> Value:
    """Sum of values, kept factorised when all are scalings of one base."""
    first = values[0]
    if len(values) == 1:
        return first
    if isinstance(first, Scaled):
        scaled = [v for v in values if isinstance(v, Scaled) and v.base is first.base]
        if len(scaled) == len(values):
            scale = scaled[0].scale
            for sv in scaled[1:]:
                scale = scale + sv.scale
            return Scaled(first.base, scale)
    total = _full(first)
    for other in values[1:]:
        total = total + _full(other)
    return total


def _rows(a: Array, rows: slice) -> Array:
    """The block's rows of a per-sample parameter (leading axis S) or the shared row (1)."""
    return a if a.shape[0] == 1 else a[rows]


def _growth_tm(levels: Array, t: int) -> Array:
    """Growth from year t-1 to t of a time-major series."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Array = levels[t] / levels[t - 1] - 1.0
    return out


def project_time_major(
    model: Model, need: Iterable[str] | None = None, rows: slice = slice(None)
) -> dict[str, Value]:
    """Series of ``model`` for the sample ``rows``, time-major.

    Returns
    -------
    dict of str to array
        ``(T, B', C)`` for cluster series and ``(T, B')`` for region series, where ``B'``
        is the number of rows, or 1 for a series that does not vary by sample.
    """
    keep = None if need is None else needed(model, need)
    n_t = model.n_years
    out: dict[str, Value] = {}
    for op in model.ops:
        if keep is not None and op.name not in keep:
            continue
        out[op.name] = _evaluate_tm(op, out, n_t, rows)
    return out


def _evaluate_tm(op: Op, done: Mapping[str, Value], n_t: int, rows: slice) -> Value:
    if isinstance(op, Compound):
        x0 = _rows(op.x0, rows)
        rates = _rows(op.rates, rows)
        if not op.elastic and rates.shape[-1] == 1:
            factor = 1.0 + rates[..., 0]  # (B', [C]) one factor for every year
            shape = np.broadcast_shapes(x0.shape, factor.shape)
            series = np.empty((n_t, *shape))
            series[0] = x0
            for t in range(1, n_t):
                np.multiply(series[t - 1], factor, out=series[t])
            return series
        sources = []
        for e in op.elastic:
            src = _full(done[e.source])
            elas = _rows(e.elasticity, rows)
            cluster_from_region = op.cluster and src.ndim == 2
            sources.append((src, elas, cluster_from_region))
        shapes = [x0.shape, rates.shape[:-1]]
        shapes += [(s.shape[1], 1) if cr else s.shape[1:] for s, _, cr in sources]
        shapes += [e.shape for _, e, _ in sources]
        series = np.empty((n_t, *np.broadcast_shapes(*shapes)))
        series[0] = x0
        for t in range(1, n_t):
            g = rates[..., t if rates.shape[-1] > 1 else 0]
            for src, elas, cluster_from_region in sources:
                gs = _growth_tm(src, t)
                g = g + elas * (gs[:, None] if cluster_from_region else gs)
            np.multiply(series[t - 1], 1.0 + g, out=series[t])
        return series
    if isinstance(op, Combine):
        return _sum([done[a] if b is None else _product(done[a], done[b]) for a, b in op.terms])
    if isinstance(op, StockFlow):
        flow = _full(done[op.flow])
        s0 = _rows(op.s0, rows)
        keep = 1.0 - _rows(op.exit_rate, rows)
        own = None if op.rates is None else _rows(op.rates, rows)
        shape = np.broadcast_shapes(s0.shape, flow.shape[1:], keep.shape)
        series = np.empty((n_t, *shape))
        series[0] = s0
        for t in range(1, n_t):
            np.multiply(series[t - 1], keep, out=series[t])
            if own is not None:
                series[t] *= 1.0 + own[..., t if own.shape[-1] > 1 else 0]
            series[t] += flow[t]
        return series
    if isinstance(op, ClusterTotal):
        p = done[op.part]
        part = p.total() if isinstance(p, Scaled) else p.sum(axis=2)
        return part if op.rest is None else part + _full(done[op.rest])
    if isinstance(op, Ratio):
        with np.errstate(divide="ignore", invalid="ignore"):
            out: Array = _full(done[op.num]) / _full(done[op.den])
        return out
    raise TypeError(f"unknown op {op!r}")


class YearFrame(Frame):
    """A :class:`Frame` over time-major block series that evaluates metrics year by year."""

    def __init__(
        self,
        series: Mapping[str, Value],
        model: Model,
        derived: Mapping[str, Expr],
        rows: slice,
        n_rows: int,
    ) -> None:
        history = {
            name: {y: _rows(v, rows) for y, v in by_year.items()}
            for name, by_year in model.history.items()
        }
        super().__init__({}, model.years, model.clusters, model.groups, history, derived)
        self.tm = series
        self.n_rows = n_rows

    @property
    def samples(self) -> int:
        return self.n_rows

    def at(self, expr: Expr, year: int, traj: Array | None = None) -> Array:
        if year < self.base_year:
            return super().at(expr, year)
        i = year - self.base_year
        if i >= len(self.years):
            raise ExprError(f"year {year} is after the end year {int(self.years[-1])}")

        lookup = partial(self._year_value, i=i)  # no closure: no reference cycle
        val = np.asarray(evaluate(expr, lookup, self.groups, self.clusters, 2), dtype=np.float64)
        if val.ndim == 0:
            return np.full(self.n_rows, float(val))
        return np.broadcast_to(val, (self.n_rows, *val.shape[1:]))

    def _year_value(self, name: str, i: int) -> Array:
        if name in self.tm:
            v = self.tm[name]
            return v.year(i) if isinstance(v, Scaled) else v[i]
        if name in self.derived:
            lookup = partial(self._year_value, i=i)
            return evaluate(self.derived[name], lookup, self.groups, self.clusters, 2)
        raise ExprError(f"unknown series {name!r}")

    def window(self, expr: Expr, start: int, end: int) -> Array:
        return np.stack([self.at(expr, y) for y in range(start, end + 1)], axis=-1)


def target_needs(specs: Iterable[TargetSpec], derived: Mapping[str, Expr]) -> set[str]:
    """Op names the targets read, through derived metrics."""
    out: set[str] = set()
    stack = [n for s in specs for n in names_in(s.metric)]
    seen: set[str] = set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if n in derived:
            stack.extend(names_in(derived[n]))
        else:
            out.add(n)
    return out


def evaluate_targets(
    model: Model,
    specs: Sequence[TargetSpec],
    derived: Mapping[str, Expr] | None = None,
    *,
    block: int = DEFAULT_BLOCK,
) -> dict[str, Outcome]:
    """Per-sample outcome of every target, projecting block by block.

    Parameters
    ----------
    model : Model
        With ``S`` samples.
    specs : sequence of TargetSpec
    derived : dict of str to Expr
        Derived metrics the target metrics may read.
    block : int
        Samples per block.

    Returns
    -------
    dict of target id to Outcome
        ``value``, ``margin`` and ``met`` are ``(S,)``.

    Raises
    ------
    ExprError
        A target needs history that is missing.
    FloatingPointError
        A target value or a level is not finite, or a level is negative; the message
        names it (the caller adds file and line).
    """
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    derived = dict(derived or {})
    s = model.samples
    need = [n for n in target_needs(specs, derived) if n in model.names]
    # a compound level can only turn negative through an elasticity (own rates stay above
    # -100%, checked at compile time), a stock only through such a flow
    falling = {op.name for op in model.ops if isinstance(op, Compound) and op.elastic}
    falling |= {op.name for op in model.ops if isinstance(op, StockFlow) and op.flow in falling}
    value = {t.id: np.empty(s) for t in specs}
    margin = {t.id: np.empty(s) for t in specs}
    met = {t.id: np.empty(s, dtype=bool) for t in specs}
    for start in range(0, s, block):
        rows = slice(start, min(start + block, s))
        n_rows = rows.stop - rows.start
        series = project_time_major(model, need, rows)
        # only a level driven by an elasticity can turn negative or non-finite from finite
        # inputs (own rates stay above -100%); anything else that goes wrong (0/0 in a ratio)
        # reaches a target value, which is checked below
        for name in falling & series.keys():
            v = series[name]
            arr = v.base if isinstance(v, Scaled) else v
            lo = float(arr.min())
            if not (lo >= 0.0 and np.isfinite(arr.max())):
                raise FloatingPointError(f"{name} is negative or not finite")
        frame = YearFrame(series, model, derived, rows, n_rows)
        for t in specs:
            o = evaluate_target(t, frame)
            if not np.all(np.isfinite(o.value)):
                raise FloatingPointError(f"target {t.id}: the value is not finite")
            value[t.id][rows] = o.value
            margin[t.id][rows] = o.margin
            met[t.id][rows] = o.met
    return {t.id: Outcome(value[t.id], margin[t.id], met[t.id]) for t in specs}
