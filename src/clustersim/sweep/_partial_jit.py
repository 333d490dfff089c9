"""The chunk summary's loops, compiled: sketch buckets without a sort, per-bin sums in one pass.

:func:`clustersim.sweep.partial.chunk_partial` calls these when numba is loaded and falls back
to NumPy otherwise; both give the same arrays, bit for bit (tests/sweep/test_partial_jit.py
holds them to it):

- :func:`sketch_rows` groups each row's values by DDSketch key with a table indexed by the
  key (the keys are monotone in the value, so the table in key order is the sorted order):
  counts, and each bucket's exact minimum and maximum, with no sort of the values. The
  logarithms come from ``np.log`` (passed in): the keys are the NumPy path's to the bit.
  A row with zeros of both signs, or whose keys span more than ``limit`` buckets, is left to
  the caller (its flag is set), which sketches it as before from the sorted row.
- :func:`bin_sums` finds every factor's coarse and fine bin of each sample (a binary search
  with ``np.searchsorted``'s NaN order) and adds every target's margin and met flags into
  them, each bin's margins in sample order from 0.0, as ``np.bincount`` with weights does.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from clustersim.accel._cache import install

install()  # numba's cache of this module goes to the user's cache folder, not the package

__all__ = ["bin_sums", "combine_rows", "sketch_rows"]


@njit(cache=True, nogil=True)
def _grow(a, size):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    out = np.empty(size, a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(cache=True, inline="always")
def _table(size):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """An empty bucket table of ``size`` slots: counts, minima, maxima."""
    return np.zeros(size, np.int64), np.full(size, np.inf), np.full(size, -np.inf)


@njit(cache=True, inline="always")
def _drain(tc, tlo, thi, span, nspan, nbase, pbase, keys, counts, lo, hi, total):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """Append the table's first ``span`` slots (negative keys from ``nbase``, zero at
    ``nspan``, positive keys after) to ``keys, counts, lo, hi`` from ``total`` on, growing
    them as needed, and empty those slots. A slot is kept when it counted a value or holds
    one (a combined bucket of count 0 stays, as in NumPy). Returns the arrays and the new
    total."""
    if total + span > keys.shape[0]:
        cap = max(total + span, 2 * keys.shape[0])
        keys = _grow(keys, cap)
        counts = _grow(counts, cap)
        lo = _grow(lo, cap)
        hi = _grow(hi, cap)
    for i in range(span):
        c = tc[i]
        key = nbase + i if i < nspan else np.int64(i - pbase)
        keys[total] = 0 if i == nspan else key
        counts[total] = c
        lo[total] = tlo[i]
        hi[total] = thi[i]
        total += (c != 0) | (tlo[i] <= thi[i])
        tc[i] = 0
        tlo[i] = np.inf
        thi[i] = -np.inf
    return keys, counts, lo, hi, total


@njit(cache=True, nogil=True)
def sketch_rows(lg, values, inv_log_gamma, neg, limit):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """Buckets of every row of ``values`` ``(K, n)``, concatenated in row order.

    ``lg`` is ``np.log(np.abs(values))``. Returns ``keys, counts, lo, hi`` (the buckets of
    row ``r`` are ``ends[r - 1]:ends[r]``), ``ends`` and ``left`` (rows not done here).

    A row's table holds its negative keys in order, then zero, then its positive keys, and
    a last slot where non-finite values go (dropped); every update is branch-free (the
    data-dependent branches of a first version cost 4x the loop).
    """
    k, n = values.shape
    big = np.int64(1) << np.int64(62)
    skip = -big  # the key of a non-finite value
    cap = max(64, 64 * k)
    keys = np.empty(cap, np.int64)
    counts = np.empty(cap, np.int64)
    lo = np.empty(cap, np.float64)
    hi = np.empty(cap, np.float64)
    ends = np.zeros(k, np.int64)
    left = np.zeros(k, np.bool_)
    rowkeys = np.empty(n, np.int64)
    size = 1024
    tc, tlo, thi = _table(size)
    total = 0
    for r in range(k):
        kmin, kmax, nmax, pmin = big, -big, -big, big
        zneg, zpos = 0, 0
        for j in range(n):
            v = values[r, j]
            fin = v - v == 0.0
            ok = fin & (v != 0.0)
            # the NumPy path's key: ceil(log|v| * (1 / log gamma)), shifted, sign of v
            x = np.ceil(lg[r, j] * inv_log_gamma) if ok else 0.0
            key = np.int64(x) + neg
            key = -key if v < 0.0 else key
            key = key if ok else (np.int64(0) if fin else skip)
            rowkeys[j] = key
            kmin = min(kmin, key if ok else big)
            kmax = max(kmax, key if ok else -big)
            nmax = max(nmax, key if ok & (v < 0.0) else -big)
            pmin = min(pmin, key if ok & (v > 0.0) else big)
            zero = v == 0.0
            sign = math.copysign(1.0, v) < 0.0
            zneg += zero & sign
            zpos += zero & (not sign)
        nspan = nmax - kmin + 1 if kmin < 0 else 0
        pspan = kmax - pmin + 1 if kmax > 0 else 0
        if (zneg > 0 and zpos > 0) or nspan + pspan > limit:
            # zeros of both signs: their order in the bucket is the sort's
            left[r] = True
            ends[r] = total
            continue
        span = nspan + 1 + pspan  # negatives, zero, positives
        if span + 1 > size:
            size = int(max(span + 1, 2 * size))
            tc, tlo, thi = _table(size)
        nbase = kmin if kmin < 0 else 0
        pbase = nspan + 1 - pmin if kmax > 0 else 0
        for j in range(n):
            v = values[r, j]
            key = rowkeys[j]
            i = key - nbase
            i = nspan if key == 0 else i
            i = key + pbase if key > 0 else i
            i = span if key == skip else i
            # one sign of zero per row, and equal nonzero values have equal bits: the first
            # and last of the sorted bucket are its minimum and maximum, whatever the order
            a = tlo[i]
            tlo[i] = v if v < a else a
            b = thi[i]
            thi[i] = v if v > b else b
            tc[i] += 1
        # (a slot of count 0 was never touched here: its minimum is above its maximum)
        keys, counts, lo, hi, total = _drain(
            tc, tlo, thi, span, nspan, nbase, pbase, keys, counts, lo, hi, total
        )
        tc[span] = 0
        tlo[span] = np.inf
        thi[span] = -np.inf
        ends[r] = total
    return keys[:total], counts[:total], lo[:total], hi[:total], ends, left


@njit(cache=True, nogil=True)
def combine_rows(lens, keys, counts, lo, hi, k, limit):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """Combine sketches: ``k`` targets, ``len(lens) // k`` groups of one sketch per target.

    The sketch of group ``g`` and target ``t`` is entry ``g k + t`` of ``lens`` and its
    buckets are the next ``lens[g k + t]`` of ``keys, counts, lo, hi`` (concatenated in that
    order). Returns each target's buckets, concatenated in target order, as
    :func:`sketch_rows` does: the union of the keys in order, counts added, the least
    minimum and the greatest maximum. ``left``: targets whose zero bucket holds zeros of
    both signs (which one is the least is NumPy's choice) or whose keys span more than
    ``limit`` buckets: the caller combines those.
    """
    groups = lens.shape[0] // k
    starts = np.zeros(lens.shape[0] + 1, np.int64)
    for e in range(lens.shape[0]):
        starts[e + 1] = starts[e] + lens[e]
    big = np.int64(1) << np.int64(62)
    cap = max(64, 2 * (keys.shape[0] // max(groups, 1)))
    okeys = np.empty(cap, np.int64)
    ocounts = np.empty(cap, np.int64)
    olo = np.empty(cap, np.float64)
    ohi = np.empty(cap, np.float64)
    ends = np.zeros(k, np.int64)
    left = np.zeros(k, np.bool_)
    size = 1024
    tc, tlo, thi = _table(size)
    total = 0
    for t in range(k):
        kmin, kmax, nmax, pmin = big, -big, -big, big
        zneg, zpos = 0, 0
        for g in range(groups):
            for j in range(starts[g * k + t], starts[g * k + t + 1]):
                key = keys[j]
                kmin = min(kmin, key)
                kmax = max(kmax, key)
                nmax = max(nmax, key if key < 0 else -big)
                pmin = min(pmin, key if key > 0 else big)
                zero = key == 0
                for v in (lo[j], hi[j]):
                    sign = math.copysign(1.0, v) < 0.0
                    zneg += zero & sign
                    zpos += zero & (not sign)
        nspan = nmax - kmin + 1 if kmin < 0 else 0
        pspan = kmax - pmin + 1 if kmax > 0 else 0
        if (zneg > 0 and zpos > 0) or nspan + pspan > limit:
            left[t] = True
            ends[t] = total
            continue
        span = nspan + 1 + pspan
        if span > size:
            size = int(max(span, 2 * size))
            tc, tlo, thi = _table(size)
        nbase = kmin if kmin < 0 else 0
        pbase = nspan + 1 - pmin if kmax > 0 else 0
        for g in range(groups):
            for j in range(starts[g * k + t], starts[g * k + t + 1]):
                key = keys[j]
                i = key - nbase
                i = nspan if key == 0 else i
                i = key + pbase if key > 0 else i
                tc[i] += counts[j]
                a = tlo[i]
                v = lo[j]
                tlo[i] = v if v < a else a
                b = thi[i]
                v = hi[j]
                thi[i] = v if v > b else b
        okeys, ocounts, olo, ohi, total = _drain(
            tc, tlo, thi, span, nspan, nbase, pbase, okeys, ocounts, olo, ohi, total
        )
        ends[t] = total
    return okeys[:total], ocounts[:total], olo[:total], ohi[:total], ends, left


@njit(cache=True, inline="always")
def _less(a, b):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """NumPy's sort order of floats: NaN after everything."""
    return a < b or (b != b and a == a)


@njit(cache=True, inline="always")
def _left_of(p, x, right):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """Whether ``searchsorted(..., x)`` lies past the point ``p``."""
    return (not _less(x, p)) if right else _less(p, x)


@njit(cache=True, inline="always")
def _search(points, m, x, right):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """``np.searchsorted(points[:m], x, side="right" if right else "left")``.

    Branch-free (a select per halving, as many halvings for every ``x``): the branches of a
    plain binary search mispredicted half the time, 2.5x the cost.
    """
    if m == 0:
        return 0
    base = 0
    n = m
    while n > 1:
        half = n >> 1
        base = base + half if _left_of(points[base + half], x, right) else base
        n -= half
    return base + _left_of(points[base], x, right)


@njit(cache=True, nogil=True)
def bin_sums(  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    x, cols, cpts, clen, cright, fpts, flen, fright, same, nest, margin, met, nbins, nfine
):
    """Per-bin counts and margin sums of every factor and target.

    ``x`` ``(d, n)``: the chunk's inputs, one row per design column; factor ``i`` is row
    ``cols[i]``. Its coarse bin is ``searchsorted(cpts[i, :clen[i]], x)`` (side right when
    ``cright[i]``), its fine bin likewise from ``fpts``; ``same[i]``: the fine bins are the
    coarse ones; ``nest[i] > 0``: a coarse bin is ``fine // nest[i]``.
    """
    f = cols.shape[0]
    k, n = margin.shape
    sizes = np.zeros((f, nbins), np.int32)
    fine_n = np.zeros((f, nfine), np.int32)
    bin_sum = np.zeros((k, f, nbins), np.float64)
    bin_met = np.zeros((k, f, nbins), np.int32)
    fine_met = np.zeros((k, f, nfine), np.int32)
    ids = np.empty(n, np.int64)
    fids = np.empty(n, np.int64)
    for i in range(f):
        row = cols[i]
        r = nest[i]
        for j in range(n):
            v = x[row, j]
            if r > 0:
                b = _search(fpts[i], flen[i], v, fright[i])
                fids[j] = b
                ids[j] = b // r
            else:
                a = _search(cpts[i], clen[i], v, cright[i])
                ids[j] = a
                fids[j] = a if same[i] else _search(fpts[i], flen[i], v, fright[i])
        for j in range(n):
            if ids[j] >= nbins or fids[j] >= nfine:
                # a bin past the padded width: the caller's NumPy path reports it
                return sizes, fine_n, bin_sum, bin_met, fine_met, False
            sizes[i, ids[j]] += 1
            fine_n[i, fids[j]] += 1
        for t in range(k):
            bs, bm, fm = bin_sum[t, i], bin_met[t, i], fine_met[t, i]
            mg, mt = margin[t], met[t]
            if r > 0:
                for j in range(n):
                    bs[ids[j]] += mg[j]
                    fm[fids[j]] += np.int32(mt[j])
                # a coarse bin is r fine bins: its met count is theirs, added (integers)
                for j in range(nfine):
                    if j // r < nbins:
                        bm[j // r] += fm[j]
            else:
                for j in range(n):
                    b = ids[j]
                    bs[b] += mg[j]
                    m = np.int32(mt[j])
                    bm[b] += m
                    fm[fids[j]] += m
    return sizes, fine_n, bin_sum, bin_met, fine_met, True
