"""PRIM, the patient rule induction method, for scenario discovery (Friedman & Fisher 1999;
Bryant & Lempert 2010).

Given sampled inputs ``x`` (N, D) and a flag ``y`` (N,) marking the cases of interest (a
target missed, say), PRIM finds a box (one interval per input) where the cases of interest
are dense. It *peels*: among the 2D candidate boxes that cut a share ``alpha`` of the points
off one side of one input, it keeps the one with the best objective, until the box would
hold less than ``mass_min`` of the points; then it *pastes*: widens one side of a restricted
input while that raises the mean. Every box on the way is a point of the coverage-density
trade-off curve.

The algorithm follows the EMA Workbench's ``ema_workbench.analysis.prim`` (Kwakkel 2017)
step by step, so the two give the same trajectory on the same data (``tests/analysis/
test_prim.py`` holds them to it where the workbench is installed):

- the objective is its default ``lenient1``: gain in mean per point removed,
  ``(mean_new - mean_old) / |n_old - n_new|``, ties to the candidate restricting fewer
  inputs, then to the first in order (inputs in column order, upper side before lower
  when peeling, lower before upper when pasting);
- the cut points are its ``get_quantile`` (sdtoolkit's): the midpoint between the order
  statistics around the quantile, moved to the next distinct value on ties, so a cut never
  falls on a data value;
- peeling stops when the best peel would leave less than ``mass_min`` of the points, not
  shrink the box, or not raise the objective; pasting needs mass, objective and mean to
  rise;
- each restriction's significance is its quasi-p value: a one-sided binomial test of the
  box's ``k`` cases of interest among its ``n`` points against the density of the box with
  that one restriction removed, ``P(X >= k)``, ``X ~ Binomial(n, p_without)``.

Unlike the workbench it does not select over the whole box at every peel: each input's
points are sorted once at both ends (:class:`_EndScan`), and a peel step reads, per input and
side, only the in-box points walking in from that end up to the cut (about ``alpha`` of the
box), through one boolean mask of the box updated as points leave it. The cut values, the
ties rule and the counts are the same as a selection's, so the trajectory is the workbench's
exactly (on 10^6 samples x 109 inputs it is also identical to this module's former
selection-based peeling, at about an eighth of the CPU time: ``benchmarks/README.md``).
Pasting works on all points with masks, as before. :func:`prim` finds one box (the
workbench's ``find_box`` called once); :func:`prim_boxes` finds several by covering.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CoveringBox",
    "PrimBox",
    "PrimResult",
    "get_quantile",
    "in_box",
    "prim",
    "prim_covering",
    "quasi_p",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: the workbench's defaults
PEEL_ALPHA = 0.05
PASTE_ALPHA = 0.05
MASS_MIN = 0.05


def _from_order_stats(data: FloatArray, v_lo: float, v_hi: float, upper: bool) -> float:
    """The midpoint of the order statistics around a quantile, ties moved apart."""
    if v_lo == v_hi:
        if upper:  # the workbench walks the lower index down to a smaller value
            below = data[data < v_hi]
            v_lo = float(below.max()) if below.size else v_hi
        else:  # ... or the upper index up to a larger one
            above = data[data > v_lo]
            v_hi = float(above.min()) if above.size else v_lo
    return (v_lo + v_hi) / 2


#: share of a column's points sorted at a time, from either end, as peeling walks in
_SORT_STEP = 0.08


def get_quantile(data: FloatArray, quantile: float) -> float:
    """The cut point of ``data`` at ``quantile`` (0 < quantile < 1), as sdtoolkit and the
    EMA Workbench compute it.

    With ``data`` sorted and ``i = (n - 1) * quantile``: the midpoint of ``data[floor(i)]``
    and ``data[ceil(i)]``; when these are equal, the lower one (``quantile > 0.5``) or the
    upper one (``quantile <= 0.5``) moves to the next distinct value (if there is one).
    ``O(n)`` (a partition, not a sort).
    """
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    n = data.shape[0]
    if n == 0:
        raise ValueError("get_quantile of no data")
    i = (n - 1) * quantile
    lo, hi = math.floor(i), math.ceil(i)
    part = np.partition(data, (lo, hi))
    return _from_order_stats(data, float(part[lo]), float(part[hi]), quantile > 0.5)


class _EndScan:
    """One input's points in sorted order at both ends, with the span ``[lo, hi)`` of sorted
    positions outside of which no point is in the box (peels on this input move its ends
    inward).

    A peel step needs, per input and side, two order statistics of the in-box points and
    how many in-box points (and cases of interest) lie beyond the cut. Both come from the
    first in-box points met walking in from that end, read through the shared ``inbox``
    mask: about ``alpha`` of the box, instead of a selection over the whole box. The values
    and the ties rule are exactly :func:`get_quantile`'s.

    Only the ends are sorted, and only as far as walks reach: ``order[:s_lo]`` and
    ``order[s_hi:]`` are sorted, the middle holds the other points unsorted; a walk that
    needs more sorts the next :data:`_SORT_STEP` of the points off the middle (a partition,
    then a sort of that part). The points a walk found are kept: the next step filters them
    by the mask (the box only shrinks) and walks on from where it stopped.
    """

    __slots__ = ("_kept", "_last", "col", "hi", "inbox", "lo", "n", "order", "s_hi", "s_lo")

    def __init__(self, col: FloatArray, inbox: BoolArray) -> None:
        self.col = col
        self.n = col.shape[0]
        self.inbox = inbox
        self.lo, self.hi = 0, self.n
        # both ends at once: the values at the two ranks (a partition of the values, not of
        # indices: cheaper), the points up to and from them (more on ties), each end sorted
        k = int(_SORT_STEP * self.n)
        ends = k >= 1 and 2 * k + 2 < self.n
        if ends:
            v = np.partition(col, (k - 1, self.n - k))
            t_lo, t_hi = v[k - 1], v[self.n - k]
            del v
        if not ends or not t_lo < t_hi:
            self.order = np.argsort(col)
            self.s_lo, self.s_hi = self.n, self.n
        else:
            low = np.flatnonzero(col <= t_lo)
            high = np.flatnonzero(col >= t_hi)
            mid = np.flatnonzero((col > t_lo) & (col < t_hi))
            low = low[np.argsort(col[low])]
            high = high[np.argsort(col[high])]
            self.order = np.concatenate([low, mid, high])
            self.s_lo, self.s_hi = low.shape[0], self.n - high.shape[0]
        self._last: dict[int, tuple[float, NDArray[np.intp], NDArray[np.intp]]] = {}
        # per side: values, point ids, sorted positions of the walked in-box points, and the
        # position the walk stopped at
        self._kept: dict[int, tuple[FloatArray, NDArray[np.intp], NDArray[np.intp], int]] = {}

    def _sort_to(self, side: int, p: int) -> None:
        """Extend the sorted end of ``side`` to cover sorted position ``p`` (exclusive
        bound for the lower end, inclusive for the upper)."""
        m = self.s_hi - self.s_lo
        need = p - self.s_lo if side == 0 else self.s_hi - p
        if need <= 0 or m <= 0:
            return
        k = min(m, max(need, int(_SORT_STEP * self.n)))
        middle = self.order[self.s_lo : self.s_hi]
        vals = self.col[middle]
        if k == m:
            self.order[self.s_lo : self.s_hi] = middle[np.argsort(vals)]
            self.s_lo = self.s_hi
            return
        if side == 0:
            idx = np.argpartition(vals, k - 1)
            part, rest = idx[:k], idx[k:]
            part = part[np.argsort(vals[part])]
            self.order[self.s_lo : self.s_hi] = np.concatenate([middle[part], middle[rest]])
            self.s_lo += k
        else:
            idx = np.argpartition(vals, m - k)
            part, rest = idx[m - k :], idx[: m - k]
            part = part[np.argsort(vals[part])]
            self.order[self.s_lo : self.s_hi] = np.concatenate([middle[rest], middle[part]])
            self.s_hi -= k

    def _walk(
        self, side: int, want: int, n_box: int
    ) -> tuple[FloatArray, NDArray[np.intp], NDArray[np.intp]]:
        """Values, point ids and sorted positions of the first in-box points from the lower
        (``side`` 0) or upper (1) end, at least ``want + 1`` of them and then up to a value
        different from the ``want``-th (or all of them): enough for the ties rule.
        ``n_box`` (the in-box points) sizes a walk's block: the span holds them all."""
        kept = self._kept.get(side)
        if kept is None:
            vals: list[FloatArray] = []
            ids: list[NDArray[np.intp]] = []
            pos: list[NDArray[np.intp]] = []
            got = 0
            p = self.lo if side == 0 else self.hi
        else:
            v0, i0, p0, p = kept
            keep = self.inbox[i0]
            vals, ids, pos = [v0[keep]], [i0[keep]], [p0[keep]]
            got = vals[0].shape[0]
        share = max(n_box, 1) / max(self.hi - self.lo, 1)
        while True:
            done = p >= self.hi if side == 0 else p <= self.lo
            if got > want or done:
                v = np.concatenate(vals) if len(vals) != 1 else vals[0]
                if done or v[-1] != v[want]:
                    i = np.concatenate(ids) if len(ids) != 1 else ids[0]
                    at = np.concatenate(pos) if len(pos) != 1 else pos[0]
                    self._kept[side] = (v, i, at, p)
                    return v, i, at
                vals, ids, pos = [v], [np.concatenate(ids)], [np.concatenate(pos)]
            # the in-box share of the span predicts how far to walk
            step = int(max(want + 2 - got, 64) / share * 1.1) + 256
            if side == 0:
                a, b = p, min(self.hi, p + step)
                self._sort_to(0, b)
                block = self.order[a:b]
                keep = self.inbox[block]
                at = np.flatnonzero(keep) + a
                p = b
            else:
                a, b = max(self.lo, p - step), p
                self._sort_to(1, a)
                block = self.order[a:b][::-1]
                keep = self.inbox[block]
                at = (b - 1) - np.flatnonzero(keep)
                p = a
            i = block[keep]
            vals.append(self.col[i])
            ids.append(i)
            pos.append(at)
            got += i.shape[0]

    def cut(self, side: int, r1: int, r2: int, y: BoolArray, n_box: int) -> tuple[float, int, int]:
        """The cut of a peel from ``side`` and the points and cases of interest it removes.

        ``r1 <= r2`` are ranks counted from that end (0: the most extreme in-box point) of
        the box's ``n_box`` points; the cut is the midpoint of the two values, the farther
        one moved to the next different value on a tie (as :func:`get_quantile`)."""
        v, i, pos = self._walk(side, r2, n_box)
        a, b = float(v[r1]), float(v[r2])
        if a == b:  # the next different value, if any (the walk went past it)
            nxt = int(np.searchsorted(v if side == 0 else -v, b if side == 0 else -b, "right"))
            if nxt < v.shape[0]:
                b = float(v[nxt])
        cut = (a + b) / 2
        # the points beyond the cut: all among those walked (the walk passed the cut)
        if side == 0:
            n_cut = int(np.searchsorted(v, cut, side="left"))
        else:
            n_cut = int(np.searchsorted(-v, -cut, side="left"))
        self._last[side] = (cut, i[:n_cut], pos[:n_cut])
        return cut, n_cut, int(np.count_nonzero(y[i[:n_cut]]))

    def peel(self, side: int, cut: float) -> None:
        """Apply the cut last computed on ``side``: its points leave the box, the end moves
        past them."""
        last_cut, i, pos = self._last[side]
        assert last_cut == cut
        self.inbox[i] = False
        if pos.shape[0]:
            if side == 0:
                self.lo = int(pos[-1]) + 1
            else:
                self.hi = int(pos[-1])


@dataclass(frozen=True)
class PrimBox:
    """One box of the peeling and pasting trajectory.

    Attributes
    ----------
    limits : float array (D, 2)
        Lower and upper bound of each input (inclusive).
    n : int
        Points in the box.
    k : int
        Cases of interest in the box.
    coverage : float
        ``k / K``: the share of all cases of interest inside the box.
    density : float
        ``k / n``: the share of the box's points that are cases of interest.
    mass : float
        ``n / N``.
    restricted : tuple of int
        Inputs whose bounds differ from the full range.
    """

    limits: FloatArray
    n: int
    k: int
    coverage: float
    density: float
    mass: float
    restricted: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.limits.ndim != 2 or self.limits.shape[1] != 2:
            raise ValueError(f"limits must have shape (D, 2), got {self.limits.shape}")


@dataclass(frozen=True)
class PrimResult:
    """The trajectory of one PRIM run.

    Attributes
    ----------
    boxes : list of PrimBox
        Box 0 holds every point; then one box per peel, then one per paste.
    init : float array (D, 2)
        The full range of each input (min, max over the points).
    peels : int
        How many of ``boxes[1:]`` come from peeling (the rest from pasting).
    n_total, k_total : int
        ``N`` and ``K``.
    """

    boxes: list[PrimBox]
    init: FloatArray
    peels: int
    n_total: int
    k_total: int


def _restricted(limits: FloatArray, init: FloatArray) -> tuple[int, ...]:
    return tuple(int(j) for j in np.flatnonzero(np.any(limits != init, axis=1)))


def _lenient1(n_old: int, k_old: int, n_new: int, k_new: int) -> float:
    """The workbench's default objective: gain in mean per point removed (or added)."""
    mean_old = k_old / n_old
    mean_new = k_new / n_new if n_new > 0 else 0.0
    if mean_old == mean_new or n_old == n_new:
        return 0.0
    return (mean_new - mean_old) / abs(n_old - n_new)


def _box(limits: FloatArray, init: FloatArray, n: int, k: int, big_n: int, big_k: int) -> PrimBox:
    return PrimBox(
        limits.copy(),
        n,
        k,
        k / big_k if big_k else 0.0,
        k / n if n else 0.0,
        n / big_n,
        _restricted(limits, init),
    )


def prim(
    x: FloatArray,
    y: BoolArray,
    *,
    peel_alpha: float = PEEL_ALPHA,
    paste_alpha: float = PASTE_ALPHA,
    mass_min: float = MASS_MIN,
    init: FloatArray | None = None,
    totals: tuple[int, int] | None = None,
) -> PrimResult:
    """Peel and paste one PRIM box.

    Parameters
    ----------
    x : float array (N, D)
        The inputs of each sample (finite).
    y : bool array (N,)
        True for a case of interest.
    peel_alpha, paste_alpha : float in (0, 0.5)
        Share of the box's points cut off (added) per peel (paste).
    mass_min : float in (0, 1)
        Smallest share of all points a box may hold.
    init : float array (D, 2), optional
        The box to start from (default: each input's range over ``x``). Covering
        (:func:`prim_covering`) starts every later box from the first box's start, on the
        points no earlier box holds, as the workbench's ``find_box`` does.
    totals : (int, int), optional
        ``N`` and ``K`` that mass and coverage are shares of, and ``mass_min`` applies to
        (default: those of ``x`` and ``y``; covering passes those of all points).

    Returns
    -------
    PrimResult
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=bool)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"x must be (N, D) and y (N,), got {x.shape} and {y.shape}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError("PRIM needs at least one sample and one input")
    if not np.all(np.isfinite(x)):
        raise ValueError("x has NaN or infinite values")
    for name, a in (("peel_alpha", peel_alpha), ("paste_alpha", paste_alpha)):
        if not 0.0 < a < 0.5:
            raise ValueError(f"{name} must be in (0, 0.5), got {a}")
    if not 0.0 < mass_min < 1.0:
        raise ValueError(f"mass_min must be in (0, 1), got {mass_min}")
    n_here, d = x.shape
    k_here = int(np.count_nonzero(y))
    big_n, big_k = (n_here, k_here) if totals is None else totals
    if init is None:
        init = np.column_stack([x.min(axis=0), x.max(axis=0)])
    else:
        init = np.asarray(init, dtype=np.float64)
        if init.shape != (d, 2):
            raise ValueError(f"init must have shape ({d}, 2), got {init.shape}")
    limits = init.copy()
    boxes = [_box(limits, init, n_here, k_here, big_n, big_k)]

    # -- peeling, on columns sorted once (see _EndScan): a step reads the in-box points
    # at both ends of each column only, not the whole box
    inbox = np.ones(n_here, dtype=bool)
    xf = np.asfortranarray(x)
    scans = [_EndScan(xf[:, j], inbox) for j in range(d)]
    n_res = 0  # inputs restricted so far
    n_old, k_old = n_here, k_here
    while True:
        best: tuple[float, int] | None = None
        choice: tuple[int, int, float, int, int] | None = None
        il, iu = (n_old - 1) * peel_alpha, (n_old - 1) * (1 - peel_alpha)
        lo_r, hi_r = math.floor(il), math.ceil(il)
        lo_u, hi_u = math.floor(iu), math.ceil(iu)
        for j in range(d):
            sc = scans[j]
            was = bool(limits[j, 0] != init[j, 0] or limits[j, 1] != init[j, 1])
            # upper, then lower (the workbench's order)
            for side in (1, 0):
                if side:  # ranks from the top: the (n-1-hi_u)-th and (n-1-lo_u)-th largest
                    cut, n_cut, k_cut = sc.cut(1, n_old - 1 - hi_u, n_old - 1 - lo_u, y, n_old)
                else:
                    cut, n_cut, k_cut = sc.cut(0, lo_r, hi_r, y, n_old)
                n_new, k_new = n_old - n_cut, k_old - k_cut
                obj = _lenient1(n_old, k_old, n_new, k_new)
                other = limits[j, 1 - side]
                now = bool(cut != init[j, side] or other != init[j, 1 - side])
                score = (obj, d - (n_res - was + now))
                if best is None or score > best:
                    best, choice = score, (j, side, cut, n_new, k_new)
        assert best is not None and choice is not None  # d >= 1
        j, side, cut, n_new, k_new = choice
        if not (n_new / big_n >= mass_min and n_new < n_old and best[0] > 0):
            break
        limits[j, side] = cut
        scans[j].peel(side, cut)
        n_res = len(_restricted(limits, init))
        n_old, k_old = n_new, k_new
        boxes.append(_box(limits, init, n_new, k_new, big_n, big_k))
    del scans, xf
    peels = len(boxes) - 1

    # -- pasting: widen one side of a restricted input, over all points
    while True:
        res = _restricted(limits, init)
        if not res:
            break
        inside = {j: (x[:, j] >= limits[j, 0]) & (x[:, j] <= limits[j, 1]) for j in res}
        in_box = np.logical_and.reduce([inside[j] for j in res])
        n_old = int(np.count_nonzero(in_box))
        k_old = int(np.count_nonzero(y & in_box))
        best = None
        pick: tuple[FloatArray, int, int] | None = None
        for u in res:
            others = np.logical_and.reduce(
                [inside[j] for j in res if j != u] or [np.ones(n_here, bool)]
            )
            col = x[:, u]
            for side in (0, 1):  # lower, then upper (the workbench's order)
                if side == 0:
                    region = others & (col >= init[u, 0]) & (col <= limits[u, 0])
                    data = col[region]
                    value = get_quantile(data, 1 - paste_alpha) if data.size else init[u, 0]
                else:
                    region = others & (col >= limits[u, 1]) & (col <= init[u, 1])
                    data = col[region]
                    value = get_quantile(data, paste_alpha) if data.size else init[u, 1]
                cand = limits.copy()
                cand[u, side] = value
                mask = others & (col >= cand[u, 0]) & (col <= cand[u, 1])
                n_new = int(np.count_nonzero(mask))
                k_new = int(np.count_nonzero(y & mask))
                score = (_lenient1(n_old, k_old, n_new, k_new), d - len(_restricted(cand, init)))
                if best is None or score > best:
                    best, pick = score, (cand, n_new, k_new)
        assert best is not None and pick is not None
        cand, n_new, k_new = pick
        mean_rises = n_new > 0 and k_new / n_new > k_old / n_old
        if not (n_new / big_n >= mass_min and n_new > n_old and best[0] > 0 and mean_rises):
            break
        limits = cand
        boxes.append(_box(limits, init, n_new, k_new, big_n, big_k))
    return PrimResult(boxes, init, peels, big_n, big_k)


def in_box(x: FloatArray, box: PrimBox) -> BoolArray:
    """Which rows of ``x`` lie inside ``box`` (only its restricted inputs are compared: the
    others span every point)."""
    inside = np.ones(x.shape[0], dtype=bool)
    for j in box.restricted:
        col = x[:, j]
        inside &= (col >= box.limits[j, 0]) & (col <= box.limits[j, 1])
    return inside


@dataclass(frozen=True)
class CoveringBox:
    """One box of a covering run.

    Attributes
    ----------
    result : PrimResult
        The peeling and pasting trajectory on the points searched; coverage and mass are
        shares of *all* points and cases of interest.
    box : int
        The index chosen in ``result.boxes``.
    searched : bool array (N,)
        The points searched: those no earlier chosen box holds.
    n_searched, k_searched : int
        How many points and cases of interest were searched.
    """

    result: PrimResult
    box: int
    searched: BoolArray
    n_searched: int
    k_searched: int

    @property
    def chosen(self) -> PrimBox:
        return self.result.boxes[self.box]


def prim_covering(
    x: FloatArray,
    y: BoolArray,
    boxes: int,
    choose: Callable[[PrimResult, int], int],
    *,
    peel_alpha: float = PEEL_ALPHA,
    paste_alpha: float = PASTE_ALPHA,
    mass_min: float = MASS_MIN,
    threshold: float | None = None,
) -> list[CoveringBox]:
    """Up to ``boxes`` PRIM boxes by covering (Friedman & Fisher 1999; the workbench's
    ``find_box`` called repeatedly): after a box is chosen, its points leave the data and
    PRIM searches the rest, from the same starting box, with mass and coverage still shares
    of all points (so ``mass_min`` keeps its meaning).

    ``choose(result, k_searched)`` picks the box of each trajectory (``k_searched``: the
    cases of interest searched, for a coverage of what is left to explain). Covering stops
    early when no case of interest is left, when a later search chooses its starting box
    (box 0: nothing restricted) or, with ``threshold``, when a later chosen box's density is
    below it (the workbench then returns its "dump box"; here nothing is added). The first
    box is always returned.
    """
    if boxes < 1:
        raise ValueError(f"boxes must be at least 1, got {boxes}")
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=bool)
    if x.ndim != 2 or y.shape != (x.shape[0],) or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x must be (N, D) and y (N,), got {x.shape} and {y.shape}")
    big_n, big_k = x.shape[0], int(np.count_nonzero(y))
    init = np.column_stack([x.min(axis=0), x.max(axis=0)])
    searched = np.ones(big_n, dtype=bool)
    found: list[CoveringBox] = []
    for i in range(boxes):
        n_s, k_s = int(np.count_nonzero(searched)), int(np.count_nonzero(y & searched))
        if k_s == 0:
            break
        xs, ys = (x, y) if i == 0 else (x[searched], y[searched])
        res = prim(
            xs,
            ys,
            peel_alpha=peel_alpha,
            paste_alpha=paste_alpha,
            mass_min=mass_min,
            init=init,
            totals=(big_n, big_k),
        )
        pick = choose(res, k_s)
        chosen = res.boxes[pick]
        if i > 0 and (
            not chosen.restricted or (threshold is not None and chosen.density < threshold)
        ):
            break
        found.append(CoveringBox(res, pick, searched.copy(), n_s, k_s))
        searched &= ~in_box(x, chosen)
    return found


def quasi_p(x: FloatArray, y: BoolArray, box: PrimBox, init: FloatArray) -> FloatArray:
    """Quasi-p value of each restriction of ``box`` (Bryant & Lempert 2010).

    For input ``j`` and side ``s`` restricted: with that one bound reset to the full range,
    the box holds ``T_j`` points of which ``H_j`` are cases of interest; the value is
    ``P(X >= k)`` for ``X ~ Binomial(n, H_j / T_j)``: how likely the box's own density
    would be without the restriction. Small values (< 0.05) mark a restriction that matters.

    Returns
    -------
    float array (D, 2)
        NaN where a side is not restricted.
    """
    from scipy.stats import binom

    out = np.full((init.shape[0], 2), np.nan)
    res = box.restricted
    if not res:
        return out
    inside = {j: (x[:, j] >= box.limits[j, 0]) & (x[:, j] <= box.limits[j, 1]) for j in res}
    for u in res:
        others = np.logical_and.reduce(
            [inside[j] for j in res if j != u] or [np.ones(x.shape[0], bool)]
        )
        for side in (0, 1):
            if box.limits[u, side] == init[u, side]:
                continue
            lim = box.limits[u].copy()
            lim[side] = init[u, side]
            mask = others & (x[:, u] >= lim[0]) & (x[:, u] <= lim[1])
            t_j = int(np.count_nonzero(mask))
            h_j = int(np.count_nonzero(y & mask))
            # one-sided binomial test, as scipy.stats.binomtest(k, n, p, "greater")
            out[u, side] = float(binom.sf(box.k - 1, box.n, h_j / t_j))
    return out
