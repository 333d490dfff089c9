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
  for growth that has fewer dimensions; such series, and targets that read only them, are
  computed in the first block and reused (:func:`invariant_ops`);
- keeps ``output * ratio`` factorised (:class:`Scaled`), so a sum over clusters is one
  pass and the products are never written out;
- computes only the series the targets read: recurrences in full, per-year ops (sums over
  clusters, ratios) only in the years read (:class:`TimeMajor`);
- evaluates a target metric once over the span of years it needs, a window as one time
  slice (:class:`YearFrame`), not year by year on whole trajectories.

It agrees with the reference to float rounding (``x0 * f * f * ...`` against
``x0 * f ** t``); the tests hold it to 1e-12 relative. A sample's numbers do not depend on
the block it is in, to the bit: every operation is elementwise or a reduction along one
sample's row (no BLAS, whose results depend on a row's position), and which operations run
never depends on the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clustersim.core.expr import (
    At,
    Bin,
    Const,
    Expr,
    ExprError,
    Name,
    Neg,
    Pick,
    Reduce,
    names_in,
)
from clustersim.core.kernels import (
    leontief_output,
    stack_entries,
    tier_pipeline,
    tier_pipeline_clusters,
)
from clustersim.core.model import (
    ClusterTotal,
    Combine,
    Compound,
    Leontief,
    Model,
    Op,
    Ratio,
    StockFlow,
    Tier,
    Whole,
    whole,
)
from clustersim.core.project import needed
from clustersim.core.targets import (
    Frame,
    Outcome,
    TargetSpec,
    evaluate_target,
    result_buffers,
)

__all__ = [
    "BLOCK_ELEMENTS",
    "DEFAULT_BLOCK",
    "Scaled",
    "TimeMajor",
    "YearFrame",
    "block_rows",
    "evaluate_targets",
    "invariant_ops",
    "project_time_major",
    "target_needs",
    "window_hint",
]

Array = NDArray[np.float64]
#: samples per block for callers that fix it: (T, B, C) float64 series of 20 clusters x
#: 12 years stay near 4 MB
DEFAULT_BLOCK = 2048
#: samples x clusters x years per block when :func:`block_rows` sizes it: a (T, B, C)
#: float64 series of 8 MB. Larger blocks spread the fixed Python cost of a block (about a
#: millisecond) over more samples, until the series no longer stay in cache: with 20
#: clusters x 12 years 4096 samples beat 2048 by 15-20%, with 200 x 30 4096 is 3-4x slower.
BLOCK_ELEMENTS = 1 << 20


class Scaled:
    """A cluster series kept factorised: ``base * scale``.

    ``value_added = output * va_ratio``, ``energy = value_added * energy_per_va`` and
    ``rd = output * rd_share`` are all ``output`` times a factor, ``(T, 1, C)`` when the
    ratios are not sampled; summing them over clusters is then one pass over ``output``
    (:func:`_weighted_sum`) instead of a product and a sum per series, the ``(T, B, C)``
    products are never written out, and a group or a cluster reads only its columns.
    """

    __slots__ = ("base", "scale")

    def __init__(self, base: Array, scale: Array) -> None:
        self.base = base  # (T, B', C)
        self.scale = scale  # (T, 1, C), or 1 in place of T or C; (T, B', C) when sampled

    def full(self) -> Array:
        out: Array = self.base * self.scale
        return out

    def years(self, i0: int, i1: int) -> Scaled:
        """The years ``i0:i1``, still factorised."""
        scale = self.scale[i0:i1] if self.scale.shape[0] > 1 else self.scale
        return Scaled(self.base[i0:i1], scale)

    def column(self, c: int) -> Array:
        """Cluster ``c``, ``(T, B')``."""
        out: Array = self.base[..., c] * self.scale[..., c if self.scale.shape[-1] > 1 else 0]
        return out

    def total(self) -> Array:
        """Sum over clusters, ``(T, B')``: ``sum_c base[t, b, c] * scale[t, b, c]``."""
        return _weighted_sum(self.base, self.scale)


Value = Array | Scaled


def _full(v: Value) -> Array:
    return v.full() if isinstance(v, Scaled) else v


def _weighted_sum(base: Array, scale: Array | None) -> Array:
    """``(W, B')`` sum over the last axis of ``base * scale`` (``scale`` broadcast to ``base``).

    ``np.sum(base * scale, axis=-1)`` in one pass, by einsum's loop over each row: a sample
    gets the same bits whatever block it is in (the blocks of a sweep's chunk vary). BLAS
    (``base @ w``, three times faster) is not used: gemv treats the last rows of a call
    differently, so a sample's total would depend on its position; and ``np.sum`` over rows
    of a few dozen elements pays numpy's per-row reduction overhead, five times einsum.
    """
    if scale is None:
        out: Array = np.einsum("...c->...", base)
        return out
    out = np.einsum("...c,...c->...", base, scale)
    return out


def _tslice(v: Value, i0: int, i1: int) -> Value:
    """Years ``i0:i1`` of a time-major series (the series itself when that is all of it)."""
    if i0 == 0 and i1 == (v.base if isinstance(v, Scaled) else v).shape[0]:
        return v
    return v.years(i0, i1) if isinstance(v, Scaled) else v[i0:i1]


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


def _by_year(rates: Array) -> Array:
    """Per-year rates ``(S', [C], T')`` time-major for years 1..T-1: ``(T-1 or 1, S', [C])``."""
    if rates.shape[-1] == 1:
        return rates[None, ..., 0]
    return np.moveaxis(rates, -1, 0)[1:]


def invariant_ops(model: Model) -> set[str]:
    """Names of the ops whose series is the same for every sample.

    An op is when none of its parameters has a sample axis longer than 1 and all its
    inputs are; its series is then the same in every block and is computed once.
    """
    out: set[str] = set()
    for op in model.ops:
        if isinstance(op, Compound):
            params = [op.x0, op.rates, *(e.elasticity for e in op.elastic)]
        elif isinstance(op, StockFlow):
            params = [op.s0, op.exit_rate] + ([] if op.rates is None else [op.rates])
        elif isinstance(op, Tier):
            p = op.pipeline
            params = [p.s0, p.promote, p.exit, p.cap]
        elif isinstance(op, Leontief):
            params = [op.system.coef]
        else:
            params = []
        if all(p.shape[0] == 1 for p in params) and all(d in out for d in op.deps):
            out.add(op.name)
    return out


class TimeMajor(Mapping[str, Value]):
    """Series of one block of samples, time-major, read as a mapping of full series.

    Recurrences (:class:`Compound`, :class:`StockFlow`) are computed on construction;
    per-year ops (:class:`Combine`, :class:`ClusterTotal`, :class:`Ratio`) only for the
    years asked (:meth:`years`), so a total read in one target year is summed in that year
    only. ``shared`` keeps series that are the same for every sample between blocks.
    """

    def __init__(
        self,
        model: Model,
        keep: set[str] | None,
        rows: slice,
        *,
        shared: dict[str, Value] | None = None,
        invariant: Iterable[str] = (),
        buffers: dict[str, Array] | None = None,
        hint: Mapping[str, tuple[int, int]] | None = None,
    ) -> None:
        self.n_t = model.n_years
        self.rows = rows
        self.ops = {op.name: op for op in model.ops if keep is None or op.name in keep}
        self.shared = {} if shared is None else shared
        self.invariant = set(invariant)
        self.buffers = buffers
        self.hint = hint or {}
        self.done: dict[str, Value] = {}  # full series
        self.spans: dict[str, list[tuple[int, int, Value]]] = {}  # per-year ops, some years
        self.pipes: dict[int, tuple[Array, Array]] = {}  # tier pipelines of this block
        self.systems: dict[int, Array] = {}  # input-output systems of this block
        for name, op in self.ops.items():
            if isinstance(op, Compound | StockFlow | Tier | Leontief):
                self.done[name] = self._shared(name) if name in invariant else self._recur(op)

    def __getitem__(self, name: str) -> Value:
        if name not in self.ops:
            raise KeyError(name)
        return self.years(name, 0, self.n_t)

    def __contains__(self, name: object) -> bool:
        return name in self.ops

    def __iter__(self) -> Iterator[str]:
        return iter(self.ops)

    def __len__(self) -> int:
        return len(self.ops)

    def computed(self) -> Mapping[str, Value]:
        """The series computed in full so far (every recurrence is)."""
        return self.done

    def years(self, name: str, i0: int, i1: int) -> Value:
        """Series ``name`` for the years ``i0:i1``: ``(W, B', [C])``."""
        v = self.done.get(name)
        if v is not None:
            return _tslice(v, i0, i1)
        for j0, j1, got in self.spans.get(name, ()):
            if j0 <= i0 and i1 <= j1:
                return _tslice(got, i0 - j0, i1 - j0)
        if name in self.invariant:
            v = self.done[name] = self._shared(name)
            return _tslice(v, i0, i1)
        h0, h1 = self.hint.get(name, (i0, i1))
        if h0 <= i0 and i1 <= h1 and (h0, h1) != (i0, i1):
            # a window reads more years of this series: compute them now, once
            return _tslice(self.years(name, h0, h1), i0 - h0, i1 - h0)
        v = self._per_year(self.ops[name], i0, i1)
        if i0 == 0 and i1 == self.n_t:
            self.done[name] = v
        else:
            self.spans.setdefault(name, []).append((i0, i1, v))
        return v

    def _shared(self, name: str) -> Value:
        v = self.shared.get(name)
        if v is None:
            op = self.ops[name]
            v = (
                self._recur(op)
                if isinstance(op, Compound | StockFlow | Tier | Leontief)
                else self._per_year(op, 0, self.n_t)
            )
            self.shared[name] = v
        return v

    def _empty(self, name: str, shape: tuple[int, ...]) -> Array:
        """A recurrence's array: the previous block's, when that block is done with it."""
        if self.buffers is None or name in self.invariant:
            return np.empty(shape)
        buf = self.buffers.get(name)
        if buf is None or buf.shape != shape:
            buf = self.buffers[name] = np.empty(shape)
        return buf

    def _source(self, name: str) -> Array:
        return _full(self.years(name, 0, self.n_t))

    def _tier(self, op: Tier) -> Array:
        """Tier series ``(T, B')``: the pipeline once per block (sample-major kernel; a
        handful of tiers over a few years, then transposed)."""
        p, rows = op.pipeline, self.rows
        # the tiers of one pipeline share its parameters and entries, so they are all
        # sample-invariant or none is
        got = self.pipes.get(id(p))
        if got is None:
            params = (_rows(p.s0, rows), _rows(p.promote, rows), _rows(p.exit, rows))
            if isinstance(p.entries, tuple):  # one ladder per cluster: (B', C, T)
                ent = stack_entries(
                    p.entries, lambda n: np.moveaxis(self._source(n), 0, -1), self.n_t
                )
                got = tier_pipeline_clusters(
                    params[0], ent, params[1], params[2], _rows(p.cap, rows)
                )
            else:
                entries = np.moveaxis(self._source(p.entries), 0, -1)  # (B', T)
                got = tier_pipeline(params[0], entries, params[1], params[2], _rows(p.cap, rows))
            self.pipes[id(p)] = got
        # (B', [C,] T) -> time-major (T, B'[, C])
        part = got[0 if op.what == "stock" else 1][..., op.index, :]
        series: Array = np.ascontiguousarray(np.moveaxis(part, -1, 0))
        return series

    def _io(self, op: Leontief) -> Array:
        """Output of an input-output system, ``(T, B', C)`` or ``(T, B')``: solved once per
        block, sample-major, then transposed."""
        sys = op.system
        got = self.systems.get(id(sys))
        if got is None:
            demand = np.moveaxis(self._source(sys.demand), 0, -1)  # (B', C, T)
            rest = np.moveaxis(self._source(sys.rest_demand), 0, -1)  # (B', T)
            got = self.systems[id(sys)] = leontief_output(_rows(sys.coef, self.rows), demand, rest)
        part = got[:, :-1, :] if op.cluster else got[:, -1, :]
        out: Array = np.ascontiguousarray(np.moveaxis(part, -1, 0))
        return out

    def _recur(self, op: Compound | StockFlow | Tier | Leontief) -> Array:
        n_t, rows = self.n_t, self.rows
        if isinstance(op, Tier):
            return self._tier(op)
        if isinstance(op, Leontief):
            return self._io(op)
        if isinstance(op, Compound):
            x0 = _rows(op.x0, rows)
            rates = _rows(op.rates, rows)
            if not op.elastic and rates.shape[-1] == 1:
                factor = 1.0 + rates[..., 0]  # (B', [C]) one factor for every year
                shape = np.broadcast_shapes(x0.shape, factor.shape)
                series = self._empty(op.name, (n_t, *shape))
                series[0] = x0
                for t in range(1, n_t):
                    np.multiply(series[t - 1], factor, out=series[t])
                return series
            # the growth of every year at once (the same operations as year by year), then
            # x[t] = x[t-1] * (1 + g[t]); np.multiply.accumulate along axis 0 would be the same
            # too, but strides across samples and is slower than this loop over years
            g = _by_year(_rows(op.rates, rows))  # (T-1 or 1, B', [C])
            for e in op.elastic:
                src = self._source(e.source)
                with np.errstate(divide="ignore", invalid="ignore"):
                    gs = src[1:] / src[:-1] - 1.0  # growth of the source in years 1..T-1
                if op.cluster and src.ndim == 2:  # a region series drives cluster growth
                    gs = gs[..., None]
                g = g + _rows(e.elasticity, rows) * gs
            factor = 1.0 + g
            shape = np.broadcast_shapes(x0.shape, factor.shape[1:])
            series = self._empty(op.name, (n_t, *shape))
            series[0] = x0
            for t in range(1, n_t):
                np.multiply(series[t - 1], factor[t - 1 if len(factor) > 1 else 0], out=series[t])
            return series
        flow = self._source(op.flow)
        s0 = _rows(op.s0, rows)
        keep = 1.0 - _rows(op.exit_rate, rows)
        own = None if op.rates is None else _rows(op.rates, rows)
        # the stock varies by sample when its start, flow, exit rate *or own growth* does
        own_shape = () if own is None else own.shape[:-1]  # (B', [C]); the last axis is years
        shape = np.broadcast_shapes(s0.shape, flow.shape[1:], keep.shape, own_shape)
        series = self._empty(op.name, (n_t, *shape))
        series[0] = s0
        for t in range(1, n_t):
            np.multiply(series[t - 1], keep, out=series[t])
            if own is not None:
                series[t] *= 1.0 + own[..., t if own.shape[-1] > 1 else 0]
            series[t] += flow[t]
        return series

    def _per_year(self, op: Op, i0: int, i1: int) -> Value:
        span = partial(self.years, i0=i0, i1=i1)
        if isinstance(op, Combine):
            return _sum(
                [span(a) if b is None else _binary("*", span(a), span(b)) for a, b in op.terms]
            )
        if isinstance(op, ClusterTotal):
            p = span(op.part)
            part = p.total() if isinstance(p, Scaled) else _weighted_sum(p, None)
            return part if op.rest is None else part + _full(span(op.rest))
        if isinstance(op, Ratio):
            with np.errstate(divide="ignore", invalid="ignore"):
                out: Array = _full(span(op.num)) / _full(span(op.den))
            return out
        if isinstance(op, Whole):
            return whole(_full(span(op.source)))
        raise TypeError(f"unknown op {op!r}")


def project_time_major(
    model: Model, need: Iterable[str] | None = None, rows: slice = slice(None)
) -> TimeMajor:
    """Series of ``model`` for the sample ``rows``, time-major.

    Returns
    -------
    TimeMajor
        A mapping of each series to ``(T, B', C)`` for cluster series and ``(T, B')`` for
        region series, where ``B'`` is the number of rows, or 1 for a series that does not
        vary by sample. Per-year series are computed when read.
    """
    keep = None if need is None else needed(model, need)
    return TimeMajor(model, keep, rows)


def _as_factor(v: Array) -> Array:
    """``v`` shaped to scale a cluster series: ``(W, B', C)``, ``(W, B', 1)`` or ``(1, 1, 1)``."""
    if v.ndim == 0:
        return v.reshape(1, 1, 1)
    return v[..., None] if v.ndim == 2 else v


def _binary(op: str, a: Value, b: Value) -> Value:
    """``a op b`` over year spans, a region operand broadcast over clusters.

    A product with a cluster series stays factorised (:class:`Scaled`), whatever the
    shapes: which operations a sample goes through must not depend on its block (a block
    of one row has no sample axis to tell a sampled series from a fixed one).
    """
    if op == "*":
        if isinstance(a, Scaled):
            return Scaled(a.base, a.scale * _as_factor(_full(b)))
        if isinstance(b, Scaled):
            return Scaled(b.base, b.scale * _as_factor(a))
        if a.ndim == 3:
            return Scaled(a, _as_factor(b))
        if b.ndim == 3:
            return Scaled(b, _as_factor(a))
    a, b = _full(a), _full(b)
    if a.ndim == 3 and b.ndim == 2:
        b = b[..., None]
    elif b.ndim == 3 and a.ndim == 2:
        a = a[..., None]
    if op == "+":
        return np.add(a, b)
    if op == "-":
        return np.subtract(a, b)
    if op == "*":
        return np.multiply(a, b)
    if op == "/":
        return np.divide(a, b)
    return np.power(a, b)


def _last_columns(v: Array, index: NDArray[np.intp]) -> Array:
    """``v[..., index]``, a view when ``index`` is a run of consecutive clusters."""
    n = len(index)
    if n and np.all(np.diff(index) == 1):
        return v[..., int(index[0]) : int(index[0]) + n]
    out: Array = v[..., index]
    return out


class YearFrame(Frame):
    """A :class:`Frame` over time-major block series.

    A metric is evaluated over the span of years a target reads (one year, or a window)
    in one pass over the time slice of the series, with the cluster axis last (the
    expression semantics of :func:`clustersim.core.expr.evaluate`). Values that are the
    same for every sample keep a sample axis of 1 (:meth:`rows_at`, :meth:`rows_window`).
    """

    def __init__(
        self,
        series: Mapping[str, Value],
        model: Model,
        derived: Mapping[str, Expr],
        rows: slice,
        n_rows: int,
        *,
        hint: Mapping[str, tuple[int, int]] | None = None,
    ) -> None:
        history = {
            name: {y: _rows(v, rows) for y, v in by_year.items()}
            for name, by_year in model.history.items()
        }
        super().__init__({}, model.years, model.clusters, model.groups, history, derived)
        self.tm = series
        self.n_rows = n_rows
        self.n_t = len(self.years)
        self._reduced: dict[tuple[Expr, int, int], Array] = {}  # reductions, by years
        self._metrics: dict[str, list[tuple[int, int, Value]]] = {}  # derived metrics
        self._hint = hint or {}

    @property
    def samples(self) -> int:
        return self.n_rows

    def at(self, expr: Expr, year: int, traj: Array | None = None) -> Array:
        val = self.rows_at(expr, year)
        return np.broadcast_to(val, (self.n_rows, *val.shape[1:]))

    def window(self, expr: Expr, start: int, end: int) -> Array:
        w = self.rows_window(expr, start, end).T
        return np.broadcast_to(w, (self.n_rows, *w.shape[1:]))

    def rows_at(self, expr: Expr, year: int) -> Array:
        if year < self.base_year:
            return self._history(expr, year)
        i = year - self.base_year
        if i >= self.n_t:
            raise ExprError(f"year {year} is after the end year {int(self.years[-1])}")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            val = _full(self._span(expr, i, i + 1))
        return val[0]  # type: ignore[no-any-return]  # never 0-d: a metric reads a series

    def rows_window(self, expr: Expr, start: int, end: int) -> Array:
        base = self.base_year
        parts = [self._history(expr, y) for y in range(start, min(end + 1, base))]
        i0, i1 = max(start, base) - base, min(end - base + 1, self.n_t)
        span = None
        if i0 < i1:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                # never 0-d: a metric reads a series (compile refuses a constant)
                span = _full(self._span(expr, i0, i1))
        if end - base >= self.n_t:  # after the years before it, as year by year
            first = max(start, base + self.n_t)
            raise ExprError(f"year {first} is after the end year {int(self.years[-1])}")
        if span is not None:
            if not parts:
                return span
            parts.extend(span)
        rows = max(p.shape[0] for p in parts)
        return np.stack([np.broadcast_to(p, (rows, *p.shape[1:])) for p in parts])

    def _span(self, e: Expr, i0: int, i1: int) -> Value:
        """``e`` over the years ``i0:i1``: ``(W, B', [C])``, or 0-d for a constant."""
        if isinstance(e, Name):
            return self._named(e.id, i0, i1)
        if isinstance(e, Bin):
            return _binary(e.op, self._span(e.left, i0, i1), self._span(e.right, i0, i1))
        if isinstance(e, Const):
            return np.asarray(e.value)
        if isinstance(e, Reduce):
            key = (e, i0, i1)
            got = self._reduced.get(key)
            if got is None:
                got = self._reduced[key] = self._reduce(e, self._span(e.arg, i0, i1))
            return got
        if isinstance(e, Pick):
            v = self._named(e.name, i0, i1)
            c = self.clusters[e.cluster]
            if isinstance(v, Scaled):
                return v.column(c)
            if v.ndim != 3:
                raise ExprError(
                    f"{e.name!r} is a region series; only cluster series take [cluster]"
                )
            out: Array = v[..., c]
            return out
        if isinstance(e, Neg):
            x = self._span(e.operand, i0, i1)
            return Scaled(x.base, np.negative(x.scale)) if isinstance(x, Scaled) else np.negative(x)
        if isinstance(e, At):
            # the value in one year, (B', [C]) (history before the base year), the same in
            # every year of the span
            v = np.asarray(self.rows_at(e.operand, e.year), dtype=np.float64)
            return np.broadcast_to(v, (i1 - i0, *v.shape))
        raise TypeError(e)

    def _named(self, name: str, i0: int, i1: int) -> Value:
        tm = self.tm
        if isinstance(tm, TimeMajor):
            if name in tm.ops:
                return tm.years(name, i0, i1)
        elif name in tm:
            return _tslice(tm[name], i0, i1)
        if name in self.derived:
            spans = self._metrics.setdefault(name, [])
            for j0, j1, got in spans:
                if j0 <= i0 and i1 <= j1:
                    return got if (j0, j1) == (i0, i1) else _tslice(got, i0 - j0, i1 - j0)
            h0, h1 = self._hint.get(name, (i0, i1))
            if not (h0 <= i0 and i1 <= h1):
                h0, h1 = i0, i1
            got = self._span(self.derived[name], h0, h1)
            spans.append((h0, h1, got))
            return got if (h0, h1) == (i0, i1) else _tslice(got, i0 - h0, i1 - h0)
        raise ExprError(f"unknown series {name!r}")

    def _reduce(self, e: Reduce, x: Value) -> Array:
        base, scale = (x.base, x.scale) if isinstance(x, Scaled) else (x, None)
        if base.ndim != 3:
            raise ExprError(
                f"{e.func}() reduces over clusters; its argument must be a cluster series"
            )
        if e.group is not None:
            index = self.groups[e.group]
            base = _last_columns(base, index)
            if scale is not None and scale.shape[-1] > 1:
                scale = _last_columns(scale, index)
        n = base.shape[-1]
        if n == 0:
            raise ExprError(f"{e.func}() over an empty group {e.group!r}")
        if e.func in ("sum", "mean"):
            total = _weighted_sum(base, scale)  # np.sum(base * scale, axis=-1)
            if e.func == "mean":
                total = total / n
            return total
        full = base if scale is None else base * scale
        out: Array = getattr(np, e.func)(full, axis=-1)
        return out


def block_rows(model: Model) -> int:
    """Samples per block for ``model``: :data:`BLOCK_ELEMENTS` cluster-years, 512 to 8192."""
    per_sample = max(1, len(model.clusters)) * model.n_years
    return min(8192, max(512, BLOCK_ELEMENTS // per_sample))


def _walk(names: Iterable[str], children: Callable[[str], Iterable[str]]) -> Iterator[str]:
    """Every name reachable from ``names`` through ``children``, each once, depth first."""
    stack = list(names)
    seen: set[str] = set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        yield n
        stack.extend(children(n))


def target_needs(specs: Iterable[TargetSpec], derived: Mapping[str, Expr]) -> set[str]:
    """Op names the targets read, through derived metrics."""
    roots = [n for s in specs for n in names_in(s.metric)]
    reads = _walk(roots, lambda n: names_in(derived[n]) if n in derived else ())
    return {n for n in reads if n not in derived}


def evaluate_targets(
    model: Model,
    specs: Sequence[TargetSpec],
    derived: Mapping[str, Expr] | None = None,
    *,
    block: int | None = None,
    out: Mapping[str, NDArray[Any]] | None = None,
) -> dict[str, Outcome]:
    """Per-sample outcome of every target, projecting block by block.

    Parameters
    ----------
    model : Model
        With ``S`` samples.
    specs : sequence of TargetSpec
    derived : dict of str to Expr
        Derived metrics the target metrics may read.
    block : int, optional
        Samples per block; by default :func:`block_rows` sizes it from the clusters and years.
    out : dict of str to array, optional
        ``value``, ``margin`` (float64) and ``met`` (bool) arrays of shape
        ``(n_targets, >= S)`` to write into, as for the fused kernel
        (:func:`clustersim.accel.kernel.evaluate_targets`): a sweep that consumes each chunk
        reuses them instead of touching fresh memory (a page fault per 4 KiB) every time.
        The outcomes are then views of them.

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
    if block is None:
        block = block_rows(model)
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    derived = dict(derived or {})
    s = model.samples
    keep = needed(model, [n for n in target_needs(specs, derived) if n in model.names])
    # a compound level can only turn negative through an elasticity (own rates stay above
    # -100%, checked at compile time), a stock only through such a flow
    falling = {op.name for op in model.ops if isinstance(op, Compound) and op.elastic}
    falling |= {op.name for op in model.ops if isinstance(op, StockFlow) and op.flow in falling}
    invariant = invariant_ops(model) & keep
    shared: dict[str, Value] = {}  # sample-invariant series, computed in the first block
    # the recurrences of a block are written over the previous block's arrays: no fresh
    # memory (page faults) per block, and the same addresses stay in cache
    buffers: dict[str, Array] = {}
    # a target whose metric reads only sample-invariant series and history has one outcome
    # for all samples: evaluated in the first block, copied into the others
    fixed = {t.id for t in specs if _same_for_all(t, derived, invariant, model)}
    once: dict[str, tuple[float, float, bool]] = {}
    hint = window_hint(model, specs, derived)
    n = len(specs)
    values, margins, mets = result_buffers(n, s, out)  # one row per target
    value = {t.id: values[i, :s] for i, t in enumerate(specs)}
    margin = {t.id: margins[i, :s] for i, t in enumerate(specs)}
    met = {t.id: mets[i, :s] for i, t in enumerate(specs)}
    for start in range(0, s, block):
        rows = slice(start, min(start + block, s))
        n_rows = rows.stop - rows.start
        series = TimeMajor(
            model, keep, rows, shared=shared, invariant=invariant, buffers=buffers, hint=hint
        )
        # only a level driven by an elasticity can turn negative or non-finite from finite
        # inputs (own rates stay above -100%); anything else that goes wrong (0/0 in a ratio)
        # reaches a target value, which is checked below
        done = series.computed()
        for name in falling & done.keys():
            v = done[name]
            arr = v.base if isinstance(v, Scaled) else v
            lo = float(arr.min())
            if not (lo >= 0.0 and np.isfinite(arr.max())):
                raise FloatingPointError(f"{name} is negative or not finite")
        frame = YearFrame(series, model, derived, rows, n_rows, hint=hint)
        for t in specs:
            if t.id in once:
                value[t.id][rows], margin[t.id][rows], met[t.id][rows] = once[t.id]
                continue
            o = evaluate_target(t, frame)
            if not np.all(np.isfinite(o.value)):
                raise FloatingPointError(f"target {t.id}: the value is not finite")
            value[t.id][rows] = o.value
            margin[t.id][rows] = o.margin
            met[t.id][rows] = o.met
            if t.id in fixed:
                once[t.id] = (float(o.value[0]), float(o.margin[0]), bool(o.met[0]))
    return {t.id: Outcome(value[t.id], margin[t.id], met[t.id]) for t in specs}


def window_hint(
    model: Model, specs: Iterable[TargetSpec], derived: Mapping[str, Expr]
) -> dict[str, tuple[int, int]]:
    """Year indices ``(i0, i1)`` that every-year targets read, per metric and per-year op.

    A per-year series or metric also read in a single year (``rd_intensity`` in the target
    year, ``rd_total`` over a window) is then computed once, over the window, not twice.
    """
    ops = {op.name: op for op in model.ops}
    out: dict[str, tuple[int, int]] = {}
    for t in specs:
        if not t.window or t.start is None:
            continue
        i0 = max(t.start - model.base_year, 0)
        i1 = min(t.year - model.base_year + 1, model.n_years)
        if i0 >= i1:  # pragma: no cover  (compile: start < year, year in the projection)
            continue
        for n in _walk(names_in(t.metric), partial(_per_year_reads, ops, derived)):
            j0, j1 = out.get(n, (i0, i1))
            out[n] = (min(i0, j0), max(i1, j1))
    return out


def _per_year_reads(ops: Mapping[str, Op], derived: Mapping[str, Expr], n: str) -> Iterable[str]:
    """What a metric or op reads in the same years (recurrences read their own past)."""
    op = ops.get(n)
    if op is None:
        return names_in(derived[n]) if n in derived else ()
    return op.deps if isinstance(op, Combine | ClusterTotal | Ratio | Whole) else ()


def _same_for_all(
    t: TargetSpec, derived: Mapping[str, Expr], invariant: set[str], model: Model
) -> bool:
    """Whether every series and history value ``t`` reads is the same for every sample."""
    ops = set(model.names)

    def through_metrics(n: str) -> Iterable[str]:
        return names_in(derived[n]) if n not in ops and n in derived else ()

    for n in _walk(names_in(t.metric), through_metrics):
        if any(h.shape[0] != 1 for h in model.history.get(n, {}).values()):
            return False
        if n in ops:
            if n not in invariant:
                return False
        elif n not in derived:
            return False  # unknown at projection years: the first block raises
    return True
