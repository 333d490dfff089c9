"""Mergeable per-chunk summaries: what a worker sends back instead of its samples.

A worker that evaluates a chunk reduces it to a :class:`Partial` of a few kilobytes:
counts, sums, a quantile sketch and per-bin accumulators. The parent merges the partials of
every chunk **in chunk order** (so the result does not depend on which worker finished
first) and :func:`clustersim.sweep.summary.summarize` turns the merge into the summary. The
samples table is never read back, so a sweep costs what its kernel costs.

What each number of the summary comes from, and how exact it is:

=========================  =================================================================
P(met), all targets met     integer counts: exact, identical to counting the stored samples
mean                        per-chunk sums added in chunk order (differs from ``np.mean`` of
                            the whole column only by floating-point rounding)
value percentiles           a relative-error quantile sketch (DDSketch, Masson et al. 2019,
                            :data:`SKETCH_ALPHA`) with each bucket's exact minimum and maximum:
                            every order statistic is returned within a relative
                            :data:`SKETCH_ALPHA` of its true value (exact when its bucket holds
                            one distinct value), and the percentile interpolates two of them
                            as ``np.percentile`` does
sensitivity (binned)        per-bin counts and margin sums over the bins the parent fixes from
                            the factor's values before the run (the same equal-count bins as
                            computed from the stored column): exact up to rounding
sensitivity (Sobol')        Saltelli/Jansen sums, re-centred per chunk (Chan et al. 1979)
separation (KS)             per-bin met counts: exact
must-hold percentiles       each factor's :data:`FINE_BINS` equal-count bins, met counts per
                            bin; interpolated inside the bin, so within one bin's width of
                            the exact percentile (exact for a factor with few levels)
=========================  =================================================================

Where numba is already loaded (the numba engine runs) the per-chunk loops and the combining
of sketches are compiled (:mod:`clustersim.sweep._partial_jit`: sketch buckets from a table
indexed by key instead of a sort, every bin's sums in one pass); they give the NumPy code's
arrays bit for bit (:data:`COMPILED`).
"""

from __future__ import annotations

import importlib
import itertools
import math
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clustersim.results import linear_quantiles
from clustersim.sweep.designs import Design, quantiles
from clustersim.sweep.plan import SweepPlan

__all__ = [
    "FINE_BINS",
    "MAX_BINS",
    "SKETCH_ALPHA",
    "Binning",
    "Bundle",
    "Layout",
    "Merged",
    "Merger",
    "Partial",
    "Sums",
    "Tally",
    "bundle",
    "chunk_partial",
    "make_layout",
    "merge",
]

Array = NDArray[np.float64]
I64 = NDArray[np.int64]
#: per-bin counts: int32 in a chunk's partial, int64 once merged
Counts = NDArray[np.integer[Any]]
#: bins of the binned first-order index (equal-count, or the factor's levels)
MAX_BINS = 64
#: equal-count bins per factor for the must-hold percentiles
FINE_BINS = 256
#: relative accuracy of the value percentiles' sketch
SKETCH_ALPHA = 1e-3
_GAMMA = (1.0 + SKETCH_ALPHA) / (1.0 - SKETCH_ALPHA)
_LOG_GAMMA = math.log(_GAMMA)
#: keys of negative values are offset by this so positive and negative keys never meet
_NEG = np.int64(1 << 40)
#: a row whose keys span more buckets than this is sketched from its sorted values (a
#: table of this many buckets covers values from 1 to e^131 at the sketch's accuracy)
_TABLE_LIMIT = 1 << 16

#: the chunk summary's compiled loops (:mod:`clustersim.sweep._partial_jit`): None, when
#: numba is already loaded in the process (the numba engine runs; numba is not imported for
#: them alone); True or False, always or never (tests). Both paths give the same bits.
COMPILED: bool | None = None


_local = threading.local()


#: the largest scratch array kept per thread (values): 2^21 doubles, 16 MB (a chunk of 4096
#: samples of 35 targets needs 143,360); larger ones are allocated each time
_SCRATCH_MAX = 1 << 21


def _scratch(shape: tuple[int, ...]) -> Array:
    """An array of ``shape`` reused from call to call (one per thread): a new (K, n) array
    for every chunk cost more in page faults than filling it (the logarithms of the sketch
    keys: 1.2 ms a chunk, 0.6 into this)."""
    size = math.prod(shape)
    if size > _SCRATCH_MAX:
        return np.empty(shape)
    buf: Array | None = getattr(_local, "buf", None)
    if buf is None or buf.size < size:
        buf = np.empty(size)
        _local.buf = buf
    return buf[:size].reshape(shape)


def _jit() -> ModuleType | None:
    """The compiled loops, or None for the NumPy path (:data:`COMPILED`)."""
    use = COMPILED if COMPILED is not None else "numba" in sys.modules
    if not use:
        return None
    try:
        return importlib.import_module("clustersim.sweep._partial_jit")
    except ImportError:  # numba not installed
        return None


@dataclass(frozen=True)
class Binning:
    """How one factor's values map to bins.

    Attributes
    ----------
    levels : bool
        True: ``points`` are the factor's distinct values and bin ``i`` is ``points[i]``.
        False: ``points`` are the bin edges, the column's minimum first and maximum last;
        bin ``i`` is ``[points[i], points[i + 1])``.
    points : array
    """

    levels: bool
    points: Array

    @property
    def count(self) -> int:
        return len(self.points) if self.levels else len(self.points) - 1

    def ids(self, x: Array) -> NDArray[np.intp]:
        """Bin of each value of ``x`` ``(n,)``."""
        if self.levels:
            return np.searchsorted(self.points, x)
        return np.searchsorted(self.points[1:-1], x, side="right")


def _binnings(x: Array, coarse: int, fine: int) -> tuple[Binning, Binning]:
    """Equal-count bins of ``x``, ``coarse`` and ``fine`` of them, or both its levels when it
    has at most :data:`MAX_BINS`.

    The quantiles are found in ``x`` sorted once: the same order statistics (the same
    doubles) as partitioning ``x`` for each binning, about 3x faster; the partitions were
    most of :func:`make_layout`'s time (0.4 s of 0.5 on 10^6 samples of four factors,
    before any worker starts).
    """
    head = np.unique(x[: min(len(x), 10_000)])
    if len(head) <= MAX_BINS:
        levels = np.unique(x)
        if len(levels) <= MAX_BINS:
            b = Binning(True, levels.astype(np.float64))
            return b, b
    ordered = np.sort(x)
    lo, hi = [np.min(x)], [np.max(x)]

    def bins(count: int) -> Binning:
        inner = sorted_quantiles(ordered, np.linspace(0, 1, count + 1)[1:-1])
        return Binning(False, np.concatenate([lo, inner, hi]))

    return bins(coarse), bins(fine)


def sorted_quantiles(ordered: Array, q: Array) -> Array:
    """``np.quantile(ordered, q)`` (its default, linear method) of an array already sorted,
    the same doubles, without the partition ``np.quantile`` runs on a copy of its input
    (0.12 s of ``make_layout``'s serial time on 10^6 samples of four factors): the order
    statistics are read where they are (:func:`clustersim.results.linear_quantiles`); an
    empty array gives NaN. (Zeros of both signs compare equal and may sit in either order,
    so a quantile that is a zero may carry the other sign than ``np.quantile``'s: equal,
    and the same bins.)"""
    if len(ordered) == 0:
        return np.full(np.shape(q), np.nan)
    return linear_quantiles(ordered, np.asarray(q, dtype=np.float64), ordered=True)


@dataclass(frozen=True)
class Layout:
    """What every worker needs to summarise its chunk, fixed by the parent before the run.

    Attributes
    ----------
    targets : int
        ``K``, targets in plan order.
    factor_cols : tuple of int
        Column of each factor in the chunk's inputs.
    coarse, fine : tuple of Binning
        Per factor: the bins of the first-order index and of the must-hold percentiles.
    sobol_blocks : int
        Rows per base point of a Sobol' design (0 for other methods).
    nest : tuple of int
        Per factor: ``r`` when coarse bin ``i`` is fine bins ``r i .. r i + r - 1`` (so a
        coarse bin id is ``fine_id // r``), else 0.
    joint : tuple of (str, tuple of int)
        Each joint goal (the targets sharing a ``joint:`` id): its id and its targets' rows,
        in scenario order.
    """

    targets: int
    factor_cols: tuple[int, ...]
    coarse: tuple[Binning, ...]
    fine: tuple[Binning, ...]
    sobol_blocks: int = 0
    nest: tuple[int, ...] = ()
    joint: tuple[tuple[str, tuple[int, ...]], ...] = ()


def _factor_column(plan: SweepPlan, j: int, inverse_normal: Any) -> Array:
    """Values of design column ``j`` over every sample, drawn as the workers draw them."""
    design = plan.design
    if design.method in ("monte_carlo", "lhs"):
        # one stream per path: draw only this column
        design = Design(design.method, (design.paths[j],), design.rows)
        col = 0
    else:  # grid points and Sobol' rows mix columns: the whole design
        col = j
    out = np.empty(plan.rows)
    dim = plan.dims[j]
    for k in range(plan.n_chunks):
        start, stop = plan.bounds(k)
        u = quantiles(design, plan.seed, k, start, stop)[:, col]
        out[start:stop] = dim.values(u, inverse_normal=inverse_normal)
    return out


def make_layout(plan: SweepPlan, inverse_normal: Any = None) -> Layout:
    """Fix the bins of every factor from its values over the whole design.

    The factors' values are a pure function of the plan, so the parent draws them (one
    column at a time, memory ``N`` floats) and the bins equal those computed from the stored
    column. ``inverse_normal`` must be the engine's, as in the workers.
    """
    index = {d.path: j for j, d in enumerate(plan.dims)}
    cols = [index[f] for f in plan.factors]
    coarse: list[Binning] = []
    fine: list[Binning] = []
    nest: list[int] = []
    n = plan.rows
    b = int(min(MAX_BINS, max(2, math.isqrt(n))))
    for c, fb in _each_binnings(plan, cols, inverse_normal, b, min(FINE_BINS, max(2, n))):
        coarse.append(c)
        fine.append(fb)
        # When every coarse edge is a fine edge (64 and 256 equal-count bins: the quantile
        # levels i/64 and 4i/256 are the same doubles), a coarse bin is 4 fine bins and the
        # workers need one search per value, not two.
        r = fb.count // c.count if not c.levels else 0
        nested = r > 1 and fb.count == r * c.count and np.array_equal(fb.points[::r], c.points)
        nest.append(r if nested else 0)
    blocks = plan.design.blocks if plan.method == "sobol" else 0
    return Layout(
        len(plan.targets),
        tuple(cols),
        tuple(coarse),
        tuple(fine),
        blocks,
        tuple(nest),
        joint_rows(plan),
    )


#: threads that sort the factors' columns for their bins (:func:`make_layout`)
SORT_THREADS = 2


def _each_binnings(
    plan: SweepPlan, cols: list[int], inverse_normal: Any, coarse: int, fine: int
) -> Iterable[tuple[Binning, Binning]]:
    """:func:`_binnings` of each column of ``cols``, in order.

    Sorting a column is most of the work (~60 ms for 10^6 values here, of ~70 with its
    draws) and NumPy's sort releases the GIL, so with two cores or more the columns are
    sorted on :data:`SORT_THREADS` threads while this one draws the next; at most that many
    columns are held at once beyond the one being drawn. Nothing runs meanwhile (no worker
    has a chunk before the bins are fixed): 4 columns of 10^6 took 0.29 s on one thread."""
    from clustersim.engine import usable_cores  # (sweep sits above the engine)

    if len(cols) < 2 or usable_cores() < 2:
        for j in cols:
            yield _binnings(_factor_column(plan, j, inverse_normal), coarse, fine)
        return
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    with ThreadPoolExecutor(SORT_THREADS, thread_name_prefix="clustersim-bins") as pool:
        held: deque[Future[tuple[Binning, Binning]]] = deque()
        try:
            for j in cols:
                x = _factor_column(plan, j, inverse_normal)
                held.append(pool.submit(_binnings, x, coarse, fine))
                del x
                if len(held) >= SORT_THREADS:
                    yield held.popleft().result()
            while held:
                yield held.popleft().result()
        finally:
            for fut in held:
                fut.cancel()


def joint_rows(plan: SweepPlan) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Each joint goal of the plan's scenario and the rows of its targets."""
    row = {tid: i for i, tid in enumerate(plan.targets)}
    groups: dict[str, list[int]] = {}
    for tid, t in plan.scenario.targets.items():
        if t.joint is not None and tid in row:
            groups.setdefault(t.joint, []).append(row[tid])
    return tuple((jid, tuple(rows)) for jid, rows in groups.items())


# --- the sketch ---------------------------------------------------------------------------------


def _log_abs(v: Array) -> Array:
    """``np.log(np.abs(v))`` in one new array (``-inf`` for zeros, NaN for NaN)."""
    a = np.abs(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.log(a, out=a)
    return a


def _keys(v: Array) -> I64:
    """DDSketch bucket of each value: ``ceil(log_gamma |v|)``, negatives offset, 0 for zero."""
    k = _log_abs(v)
    # |v| > 0 where log |v| > -inf (zero gives -inf, NaN stays NaN)
    zero = ~(k > -np.inf)
    k *= 1.0 / _LOG_GAMMA
    np.ceil(k, out=k)
    # bucket 0 is zero; positive buckets are shifted above it, negative ones far below
    k[zero] = -float(_NEG)  # zero (and non-finite, dropped later) -> key 0 below
    with np.errstate(invalid="ignore"):  # +-inf: dropped later
        keys = k.astype(np.int64)
    keys += _NEG
    np.negative(keys, out=keys, where=v < 0)
    return keys


@dataclass
class Sketch:
    """A mergeable quantile sketch of one column: buckets with counts and exact min, max."""

    keys: I64
    counts: I64
    lo: Array
    hi: Array

    @classmethod
    def of(cls, v: Array) -> Sketch:
        return cls.of_rows(v[None, :])[0]

    @classmethod
    def of_rows(cls, values: Array) -> list[Sketch]:
        """One sketch per row of ``values`` ``(K, n)``: the keys of all rows in one pass.

        Compiled (:func:`clustersim.sweep._partial_jit.sketch_rows`, no sort) when
        :func:`_jit` gives the loops, else from the sorted rows: the same arrays either way.
        """
        jit = _jit()
        if jit is not None and values.size and values.dtype == np.float64:
            return cls._of_rows_jit(jit, np.ascontiguousarray(values))
        return cls._of_rows_sorted(values)

    @classmethod
    def _of_rows_jit(cls, jit: ModuleType, values: Array) -> list[Sketch]:
        lg = _scratch(values.shape)
        np.abs(values, out=lg)
        with np.errstate(divide="ignore", invalid="ignore"):
            np.log(lg, out=lg)
        keys, counts, lo, hi, ends, left = jit.sketch_rows(
            lg, values, 1.0 / _LOG_GAMMA, _NEG, _TABLE_LIMIT
        )
        cut = [0, *ends.tolist()]
        out = [cls(keys[a:b], counts[a:b], lo[a:b], hi[a:b]) for a, b in itertools.pairwise(cut)]
        # zeros of both signs (their order in a bucket is the sort's) or keys too far apart
        for r in np.flatnonzero(left).tolist():
            row = np.sort(values[r])
            out[r] = cls._sorted(row, _keys(row))
        return out

    @classmethod
    def _of_rows_sorted(cls, values: Array) -> list[Sketch]:
        rows = np.sort(values, axis=1)
        keys = _keys(rows)
        k, n = rows.shape
        if n == 0 or not np.isfinite(rows).all():
            return [cls._sorted(r, kr) for r, kr in zip(rows, keys, strict=True)]
        # every row at once (what _sorted does row by row): a bucket starts where the key
        # changes and at each row's first value, so the runs never cross rows
        change = np.empty((k, n), dtype=bool)
        change[:, 0] = True
        np.not_equal(keys[:, 1:], keys[:, :-1], out=change[:, 1:])
        starts = np.flatnonzero(change)
        ends = np.empty_like(starts)
        ends[:-1] = starts[1:]
        ends[-1] = k * n
        flat_keys, flat_rows = keys.reshape(-1), rows.reshape(-1)
        all_keys = flat_keys[starts]
        counts = ends - starts
        lo, hi = flat_rows[starts], flat_rows[ends - 1]
        cut = np.zeros(k + 1, dtype=np.intp)
        np.cumsum(np.count_nonzero(change, axis=1), out=cut[1:])
        return [
            cls(all_keys[a:b], counts[a:b], lo[a:b], hi[a:b])
            for a, b in zip(cut[:-1].tolist(), cut[1:].tolist(), strict=True)
        ]

    @classmethod
    def _sorted(cls, v: Array, k: I64) -> Sketch:
        keep = np.isfinite(v)
        if not keep.all():
            v, k = v[keep], k[keep]
        if v.size == 0:
            e = np.empty(0)
            return cls(np.empty(0, np.int64), np.empty(0, np.int64), e, e)
        # sorted values give runs of equal keys (keys are monotone in the value)
        starts = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
        ends = np.concatenate([starts[1:], [len(v)]])
        return cls(k[starts], (ends - starts).astype(np.int64), v[starts], v[ends - 1])

    @staticmethod
    def combine(parts: Sequence[Sketch]) -> Sketch:
        keys = np.concatenate([p.keys for p in parts])
        uk, inv = np.unique(keys, return_inverse=True)
        inv = inv.reshape(-1)
        counts = np.bincount(inv, np.concatenate([p.counts for p in parts]), len(uk))
        lo = np.full(len(uk), np.inf)
        hi = np.full(len(uk), -np.inf)
        np.minimum.at(lo, inv, np.concatenate([p.lo for p in parts]))
        np.maximum.at(hi, inv, np.concatenate([p.hi for p in parts]))
        return Sketch(uk, counts.astype(np.int64), lo, hi)

    def percentiles(self, q: Sequence[float]) -> list[float]:
        """``np.percentile``'s linear interpolation, each order statistic from its bucket.

        Each order statistic is within a relative :data:`SKETCH_ALPHA` of the true one
        (and inside its bucket's exact ``[min, max]``).
        """
        n = int(self.counts.sum())
        if n == 0:
            return [math.nan] * len(q)
        order = np.argsort(self.lo, kind="stable")
        counts, lo, hi = self.counts[order], self.lo[order], self.hi[order]
        cum = np.cumsum(counts)

        def stat(j: int) -> float:
            i = int(np.searchsorted(cum, j, side="right"))
            a, b = float(lo[i]), float(hi[i])
            if a == b:
                return a
            # the relative midpoint of [a, b] (same sign, b / a <= gamma): within
            # (b - a) / (a + b) <= alpha of every value in between
            return min(max(2.0 * a * b / (a + b), a), b)

        out = []
        for p in q:
            r = p / 100.0 * (n - 1)
            j = math.floor(r)
            frac = r - j
            x = stat(j)
            if frac > 0.0:
                x = x + frac * (stat(min(j + 1, n - 1)) - x)
            out.append(x)
        return out


# --- one chunk ------------------------------------------------------------------------------


@dataclass
class Partial:
    """The mergeable summary of one chunk (or of several, once merged).

    Attributes
    ----------
    n : int
        Samples.
    met : int array (K,)
        Samples meeting each target; ``all_met`` those meeting every one.
    value_sum : array (K,)
    sketches : list of Sketch
        One per target, of its values.
    m_mean, m_m2 : array (K,)
        Mean and sum of squared deviations of each target's margin.
    sizes : int array (F, B)
        Samples per coarse bin of each factor (padded to :data:`MAX_BINS`).
    bin_sum : array (K, F, B)
        Sum of the margin over each coarse bin.
    bin_met : int array (K, F, B)
        Samples meeting the target in each coarse bin.
    fine_n : int array (F, M), fine_met : int array (K, F, M)
        The same counts over the fine bins (padded to :data:`FINE_BINS`).
    sobol : array (K, G, 3) or None
        Per target and group: ``sum (f_B - c)(f_AB - f_A)``, ``sum (f_AB - f_A)``,
        ``sum (f_A - f_AB)^2``, with ``c`` = ``ab_mean``.
    ab_n, ab_mean, ab_m2 : count, (K,), (K,)
        Count, mean and squared deviations of ``f_A`` and ``f_B`` together.
    joint_met : int array (J,)
        Samples meeting every target of each joint goal (:attr:`Layout.joint` order).
    """

    n: int
    met: I64
    all_met: int
    value_sum: Array
    sketches: list[Sketch]
    m_mean: Array
    m_m2: Array
    sizes: Counts
    bin_sum: Array
    bin_met: Counts
    fine_n: Counts
    fine_met: Counts
    sobol: Array | None = None
    ab_n: int = 0
    ab_mean: Array = field(default_factory=lambda: np.empty(0))
    ab_m2: Array = field(default_factory=lambda: np.empty(0))
    joint_met: I64 = field(default_factory=lambda: np.zeros(0, np.int64))


_BinArrays = tuple[Counts, Counts, Array, Counts, Counts]


def _bins(layout: Layout, inputs: Array, margin: Array, met: NDArray[np.bool_]) -> _BinArrays:
    """Per-bin counts and margin sums (:class:`Partial` ``sizes, fine_n, bin_sum, bin_met,
    fine_met``) in NumPy: one bincount per factor for all targets."""
    k = margin.shape[0]
    f = len(layout.factor_cols)
    # counts of one chunk fit int32 (kept small: a partial is stored per chunk for resume)
    sizes = np.zeros((f, MAX_BINS), np.int32)
    bin_sum = np.zeros((k, f, MAX_BINS))
    bin_met = np.zeros((k, f, MAX_BINS), np.int32)
    fine_n = np.zeros((f, FINE_BINS), np.int32)
    fine_met = np.zeros((k, f, FINE_BINS), np.int32)
    metf = met.astype(np.float64).reshape(-1)
    marg = np.ascontiguousarray(margin).reshape(-1)
    # one bincount per factor for all K targets: target t's samples count in bins t*B..
    shift = np.arange(k, dtype=np.intp)[:, None]
    for i, (j, cb, fb) in enumerate(
        zip(layout.factor_cols, layout.coarse, layout.fine, strict=True)
    ):
        x = inputs[:, j]
        r = layout.nest[i] if layout.nest else 0
        if r:
            fids = fb.ids(x)
            ids = fids // r
        else:
            ids = cb.ids(x)
            fids = ids if fb is cb else fb.ids(x)
        sizes[i] = np.bincount(ids, minlength=MAX_BINS)[:MAX_BINS]
        fine_n[i] = np.bincount(fids, minlength=FINE_BINS)[:FINE_BINS]
        if k == 0:
            continue
        flat = (ids[None, :] + shift * MAX_BINS).reshape(-1)
        bin_sum[:, i] = np.bincount(flat, weights=marg, minlength=k * MAX_BINS).reshape(k, MAX_BINS)
        fflat = (fids[None, :] + shift * FINE_BINS).reshape(-1)
        fine_met[:, i] = np.bincount(fflat, weights=metf, minlength=k * FINE_BINS).reshape(
            k, FINE_BINS
        )
        if r:  # a coarse bin is r fine bins: its met count is theirs, added (integers)
            c = layout.coarse[i].count
            bin_met[:, i, :c] = fine_met[:, i, : c * r].reshape(k, c, r).sum(axis=2)
        else:
            bin_met[:, i] = np.bincount(flat, weights=metf, minlength=k * MAX_BINS).reshape(
                k, MAX_BINS
            )
    return sizes, fine_n, bin_sum, bin_met, fine_met


def _search_table(bins: Sequence[Binning]) -> tuple[Array, I64, NDArray[np.bool_]]:
    """What :meth:`Binning.ids` searches, per factor: the points (padded), their number and
    whether the side is right."""
    pts = [b.points if b.levels else b.points[1:-1] for b in bins]
    table = np.zeros((len(pts), max([1, *(len(p) for p in pts)])))
    for i, p in enumerate(pts):
        table[i, : len(p)] = p
    right = np.array([not b.levels for b in bins], np.bool_)
    return table, np.array([len(p) for p in pts], np.int64), right


def _bins_jit(
    jit: ModuleType, layout: Layout, inputs: Array, margin: Array, met: NDArray[np.bool_]
) -> _BinArrays | None:
    """:func:`_bins`, compiled (:func:`clustersim.sweep._partial_jit.bin_sums`): the same
    arrays, or None when the arrays are not what the loops take (NumPy then)."""
    if margin.dtype != np.float64 or met.dtype != np.bool_ or inputs.dtype != np.float64:
        return None
    f = len(layout.factor_cols)
    cols = np.array(layout.factor_cols, np.int64)
    x = inputs.T  # (d, n): C-ordered for the workers' Fortran-ordered inputs
    if not x.flags.c_contiguous:
        x = np.ascontiguousarray(x[cols])
        cols = np.arange(f, dtype=np.int64)
    cpts, clen, cright = _search_table(layout.coarse)
    fpts, flen, fright = _search_table(layout.fine)
    same = np.array([fb is cb for cb, fb in zip(layout.coarse, layout.fine, strict=True)])
    nest = np.array(layout.nest if layout.nest else (0,) * f, np.int64)
    *arrays, ok = jit.bin_sums(
        x,
        cols,
        cpts,
        clen,
        cright,
        fpts,
        flen,
        fright,
        same,
        nest,
        np.ascontiguousarray(margin),
        np.ascontiguousarray(met),
        MAX_BINS,
        FINE_BINS,
    )
    return tuple(arrays) if ok else None


#: rows of the margins' deviations formed at a time (a (K, n) temporary cost more than the
#: sum of squares itself, in page faults)
_SQUARE_ROWS = 8


def _squares(margin: Array, mean: Array) -> Array:
    """Each row's sum of squared deviations from ``mean``: ``einsum("ij,ij->i", d, d)`` of
    ``d = margin - mean``, a few rows at a time (each row's sum is the same bits)."""
    k = margin.shape[0]
    out = np.empty(k)
    for a in range(0, k, _SQUARE_ROWS):
        dev = margin[a : a + _SQUARE_ROWS] - mean[a : a + _SQUARE_ROWS, None]
        out[a : a + _SQUARE_ROWS] = np.einsum("ij,ij->i", dev, dev)
    return out


def chunk_partial(
    layout: Layout,
    inputs: Array,
    value: Array,
    margin: Array,
    met: NDArray[np.bool_],
) -> Partial:
    """Summarise one chunk.

    Parameters
    ----------
    layout : Layout
    inputs : array (n, d)
    value, margin : array (K, n)
    met : bool array (K, n)
    """
    k, n = value.shape
    jit = _jit() if k and n else None
    bins = _bins_jit(jit, layout, inputs, margin, met) if jit is not None else None
    sizes, fine_n, bin_sum, bin_met, fine_met = bins or _bins(layout, inputs, margin, met)
    m_mean = margin.mean(axis=1) if n else np.zeros(k)
    out = Partial(
        n=n,
        met=np.count_nonzero(met, axis=1).astype(np.int64),
        all_met=int(np.count_nonzero(np.all(met, axis=0))) if k else n,
        value_sum=value.sum(axis=1),
        sketches=Sketch.of_rows(value) if k else [],
        m_mean=m_mean,
        m_m2=_squares(margin, m_mean),
        sizes=sizes,
        bin_sum=bin_sum,
        bin_met=bin_met,
        fine_n=fine_n,
        fine_met=fine_met,
        joint_met=np.array(
            [np.count_nonzero(np.all(met[list(rows)], axis=0)) for _, rows in layout.joint],
            np.int64,
        ),
    )
    if layout.sobol_blocks:
        b = layout.sobol_blocks
        m = margin.reshape(k, n // b, b)
        f_a, f_b, f_ab = m[:, :, 0], m[:, :, 1], m[:, :, 2:]
        ab = np.concatenate([f_a, f_b], axis=1)
        c = ab.mean(axis=1)
        d = f_ab - f_a[:, :, None]  # (K, n', G)
        out.sobol = np.stack(
            [
                np.einsum("kn,kng->kg", f_b - c[:, None], d),
                d.sum(axis=1),
                np.einsum("kng,kng->kg", d, d),
            ],
            axis=-1,
        )
        out.ab_n = ab.shape[1]
        out.ab_mean = c
        abd = ab - c[:, None]
        out.ab_m2 = np.einsum("ij,ij->i", abd, abd)
    return out


# --- merging ----------------------------------------------------------------------------------


@dataclass
class Merged:
    """Partials of every chunk, merged: what :func:`~clustersim.sweep.summary.summarize` reads."""

    n: int
    met: I64
    all_met: int
    value_sum: Array
    sketches: list[Sketch]
    m_mean: Array
    m_m2: Array
    sizes: Counts
    bin_sum: Array
    bin_met: Counts
    fine_n: Counts
    fine_met: Counts
    sobol: Array | None
    ab_m2: Array | None
    joint_met: I64 = field(default_factory=lambda: np.zeros(0, np.int64))


def _chan(
    n_a: int, mean_a: Array, m2_a: Array, n_b: int, mean_b: Array, m2_b: Array
) -> tuple[Array, Array]:
    """Mean and squared deviations of two groups together (Chan, Golub and LeVeque 1979)."""
    n = n_a + n_b
    if n == 0:
        return mean_a, m2_a
    delta = mean_b - mean_a
    return mean_a + delta * (n_b / n), m2_a + m2_b + delta * delta * (n_a * n_b / n)


def merge(parts: Iterable[Partial]) -> Merged:
    """Merge chunk partials, given in chunk order (the order fixes the rounding)."""
    m = Merger()
    for k, p in enumerate(parts):
        m.add(k, p)
    return m.result()


@dataclass
class Tally:
    """What of a partial merges exactly in any grouping: integer counts and sketches.

    Sketches keep exact bucket counts, minima and maxima, so combining them in any grouping
    gives the same arrays; counts are integers. Per-bin counts are int32 while they fit
    (a task's partial, small to send), int64 once merged in the parent.
    """

    n: int
    met: I64
    all_met: int
    sketches: list[Sketch]
    sizes: Counts
    bin_met: Counts
    fine_n: Counts
    fine_met: Counts
    joint_met: I64

    @classmethod
    def of(cls, p: Partial) -> Tally:
        return cls(
            p.n, p.met, p.all_met, p.sketches, p.sizes, p.bin_met, p.fine_n, p.fine_met, p.joint_met
        )


@dataclass
class Sums:
    """What of a partial is floating point: sums whose rounding depends on the order of the
    additions, so they are added chunk by chunk, in chunk order, wherever they travel."""

    n: int
    value_sum: Array
    m_mean: Array
    m_m2: Array
    bin_sum: Array
    sobol: Array | None = None
    ab_n: int = 0
    ab_mean: Array = field(default_factory=lambda: np.empty(0))
    ab_m2: Array = field(default_factory=lambda: np.empty(0))

    @classmethod
    def of(cls, p: Partial) -> Sums:
        return cls(
            p.n, p.value_sum, p.m_mean, p.m_m2, p.bin_sum, p.sobol, p.ab_n, p.ab_mean, p.ab_m2
        )


@dataclass
class Bundle:
    """The partials of consecutive chunks ``first .. first + len(sums) - 1`` as one message.

    A worker that evaluates several chunks in one task merges what merges exactly (the
    :class:`Tally`: counts, and sketches, which are most of a partial's bytes) and keeps each
    chunk's :class:`Sums` apart, so the parent adds those in chunk order as it would the
    chunks' own partials: the merge is the same bits as chunk by chunk.
    """

    first: int
    tally: Tally
    sums: list[Sums]

    @property
    def chunks(self) -> range:
        return range(self.first, self.first + len(self.sums))


def bundle(first: int, parts: Sequence[Partial]) -> Bundle:
    """The partials of chunks ``first, first + 1, ...`` (in that order) as one bundle."""
    if not parts:
        raise ValueError("a bundle needs at least one partial")
    if len(parts) == 1:
        return Bundle(first, Tally.of(parts[0]), [Sums.of(parts[0])])
    n = sum(p.n for p in parts)
    # every count of the task is at most n: int32 while it fits, half the bytes to send
    wide = np.int32 if n < 2**31 else np.int64

    def total(arrays: list[Counts]) -> Counts:
        out: Counts = np.sum(arrays, axis=0, dtype=wide)
        return out

    tally = Tally(
        n=n,
        met=np.sum([p.met for p in parts], axis=0, dtype=np.int64),
        all_met=sum(p.all_met for p in parts),
        sketches=_combine_all([p.sketches for p in parts]),
        sizes=total([p.sizes for p in parts]),
        bin_met=total([p.bin_met for p in parts]),
        fine_n=total([p.fine_n for p in parts]),
        fine_met=total([p.fine_met for p in parts]),
        joint_met=np.sum([p.joint_met for p in parts], axis=0, dtype=np.int64),
    )
    return Bundle(first, tally, [Sums.of(p) for p in parts])


class Merger:
    """Folds chunk partials as they arrive, in chunk order whatever the arrival order.

    A partial (or :class:`Bundle` of consecutive chunks) that arrives early waits until
    every chunk before it is in; the floating-point :class:`Sums` are added chunk by chunk in
    chunk order, counts and sketches (exact in any grouping) a bundle at a time, sketches in
    batches.
    """

    _BATCH = 64

    def __init__(self) -> None:
        self._next = 0
        self._waiting: dict[int, Bundle] = {}
        self._tally: Tally | None = None
        self._sums: Sums | None = None
        self._sketches: list[list[Sketch]] = []

    def add(self, chunk: int, part: Partial) -> None:
        """Add chunk ``chunk``'s partial (chunks are numbered from 0 without gaps)."""
        self.add_bundle(bundle(chunk, [part]))

    def add_bundle(self, b: Bundle) -> None:
        """Add the partials of chunks ``b.chunks``."""
        self._waiting[b.first] = b
        while self._next in self._waiting:
            b = self._waiting.pop(self._next)
            self._next += len(b.sums)
            self._sketches.append(b.tally.sketches)
            if len(self._sketches) >= self._BATCH:
                self._sketches = [_combine_all(self._sketches)]
            self._tally = b.tally if self._tally is None else _add_tally(self._tally, b.tally)
            for s in b.sums:
                self._sums = s if self._sums is None else _add_sums(self._sums, s)

    def result(self) -> Merged:
        """The merge of every chunk added (an error when one is missing)."""
        if self._waiting or self._tally is None or self._sums is None:
            raise ValueError(f"chunk partials missing from chunk {self._next} on")
        t, s = self._tally, self._sums
        return Merged(
            n=t.n,
            met=t.met.astype(np.int64),
            all_met=t.all_met,
            value_sum=s.value_sum,
            sketches=_combine_all(self._sketches),
            m_mean=s.m_mean,
            m_m2=s.m_m2,
            sizes=t.sizes.astype(np.int64),
            bin_sum=s.bin_sum,
            bin_met=t.bin_met.astype(np.int64),
            fine_n=t.fine_n.astype(np.int64),
            fine_met=t.fine_met.astype(np.int64),
            sobol=s.sobol,
            ab_m2=s.ab_m2 if s.sobol is not None else None,
            joint_met=t.joint_met.astype(np.int64),
        )


def _combine_all(groups: list[list[Sketch]]) -> list[Sketch]:
    """Per target, its sketches of every group combined (:meth:`Sketch.combine`); compiled
    for all targets at once when :func:`_jit` gives the loops (no sort): the same arrays."""
    k = len(groups[0])
    jit = _jit()
    if jit is None or k == 0:
        return [Sketch.combine([g[t] for g in groups]) for t in range(k)]
    flat = [s for g in groups for s in g]
    keys, counts, lo, hi, ends, left = jit.combine_rows(
        np.array([len(s.keys) for s in flat], np.int64),
        _cat([s.keys for s in flat], np.int64),
        _cat([s.counts for s in flat], np.int64),
        _cat([s.lo for s in flat], np.float64),
        _cat([s.hi for s in flat], np.float64),
        k,
        _TABLE_LIMIT,
    )
    cut = [0, *ends.tolist()]
    out = [Sketch(keys[a:b], counts[a:b], lo[a:b], hi[a:b]) for a, b in itertools.pairwise(cut)]
    for t in np.flatnonzero(left).tolist():
        out[t] = Sketch.combine([g[t] for g in groups])
    return out


def _add_tally(a: Tally, p: Tally) -> Tally:
    """``a`` (chunks before) and ``p`` (the next ones) together; counts in int64."""
    return Tally(
        n=a.n + p.n,
        met=a.met + p.met,
        all_met=a.all_met + p.all_met,
        sketches=[],
        sizes=a.sizes.astype(np.int64, copy=False) + p.sizes,
        bin_met=a.bin_met.astype(np.int64, copy=False) + p.bin_met,
        fine_n=a.fine_n.astype(np.int64, copy=False) + p.fine_n,
        fine_met=a.fine_met.astype(np.int64, copy=False) + p.fine_met,
        joint_met=a.joint_met + p.joint_met,
    )


def _add_sums(a: Sums, p: Sums) -> Sums:
    """``a`` (chunks before) and ``p`` (the next chunk) together."""
    mean, m2 = _chan(a.n, a.m_mean, a.m_m2, p.n, p.m_mean, p.m_m2)
    out = Sums(
        n=a.n + p.n,
        value_sum=a.value_sum + p.value_sum,
        m_mean=mean,
        m_m2=m2,
        bin_sum=a.bin_sum + p.bin_sum,
    )
    if a.sobol is not None and p.sobol is not None:
        # re-centre the first-order sums on the new common mean c:
        # sum (f_B - c) d = sum (f_B - c_old) d + (c_old - c) sum d
        new_mean, new_m2 = _chan(a.ab_n, a.ab_mean, a.ab_m2, p.ab_n, p.ab_mean, p.ab_m2)
        first = (
            a.sobol[..., 0]
            + (a.ab_mean - new_mean)[:, None] * a.sobol[..., 1]
            + p.sobol[..., 0]
            + (p.ab_mean - new_mean)[:, None] * p.sobol[..., 1]
        )
        out.sobol = np.stack(
            [first, a.sobol[..., 1] + p.sobol[..., 1], a.sobol[..., 2] + p.sobol[..., 2]],
            axis=-1,
        )
        out.ab_n, out.ab_mean, out.ab_m2 = a.ab_n + p.ab_n, new_mean, new_m2
    return out


# --- storage (resume) -------------------------------------------------------------------------


def to_arrays(p: Partial) -> dict[str, NDArray[Any]]:
    """A partial as named arrays (what :func:`clustersim.sweep.parquet_sink.save_arrays` stores),
    sketches flattened with offsets."""
    lens = np.array([len(s.keys) for s in p.sketches], np.int64)
    out: dict[str, NDArray[Any]] = {
        "n": np.array([p.n, p.all_met, p.ab_n], np.int64),
        "met": p.met,
        "value_sum": p.value_sum,
        "sk_len": lens,
        "sk_keys": _cat([s.keys for s in p.sketches], np.int64),
        "sk_counts": _cat([s.counts for s in p.sketches], np.int64),
        "sk_lo": _cat([s.lo for s in p.sketches], np.float64),
        "sk_hi": _cat([s.hi for s in p.sketches], np.float64),
        "m_mean": p.m_mean,
        "m_m2": p.m_m2,
        "sizes": p.sizes,
        "bin_sum": p.bin_sum,
        "bin_met": p.bin_met,
        "fine_n": p.fine_n,
        "fine_met": p.fine_met,
        "ab_mean": p.ab_mean,
        "ab_m2": p.ab_m2,
        "joint_met": p.joint_met,
    }
    if p.sobol is not None:
        out["sobol"] = p.sobol
    return out


def _cat(parts: list[NDArray[Any]], dtype: Any) -> NDArray[Any]:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)


def from_arrays(a: dict[str, NDArray[Any]]) -> Partial:
    """Inverse of :func:`to_arrays`."""
    ends = np.cumsum(a["sk_len"])
    starts = ends - a["sk_len"]
    sketches = [
        Sketch(a["sk_keys"][s:e], a["sk_counts"][s:e], a["sk_lo"][s:e], a["sk_hi"][s:e])
        for s, e in zip(starts, ends, strict=True)
    ]
    n, all_met, ab_n = (int(v) for v in a["n"])
    return Partial(
        n=n,
        met=a["met"],
        all_met=all_met,
        value_sum=a["value_sum"],
        sketches=sketches,
        m_mean=a["m_mean"],
        m_m2=a["m_m2"],
        sizes=a["sizes"],
        bin_sum=a["bin_sum"],
        bin_met=a["bin_met"],
        fine_n=a["fine_n"],
        fine_met=a["fine_met"],
        sobol=a.get("sobol"),
        ab_n=ab_n,
        ab_mean=a["ab_mean"],
        ab_m2=a["ab_m2"],
        # partials stored before joint goals were summarised have none
        joint_met=a["joint_met"] if "joint_met" in a else np.zeros(0, np.int64),
    )
