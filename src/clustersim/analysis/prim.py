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

Unlike the workbench it is vectorised over the points (each peel step is ``O(n_box * D)``
NumPy work on the points still in the box) and finds one box (the workbench's
``find_box`` called once, on all points).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["PrimBox", "PrimResult", "get_quantile", "prim", "quasi_p"]

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


#: below this many points an order statistic is a plain partition
_SELECT_DIRECT = 65_536
#: points of the strided sample that brackets an order statistic in a large column
_SELECT_SAMPLE = 4_096


def _order_stats(data: FloatArray, ranks: tuple[int, int]) -> tuple[float, float]:
    """The ``ranks[0]``-th and ``ranks[1]``-th smallest values (0-based, ``ranks[1] -
    ranks[0]`` 0 or 1) of ``data``, exactly.

    A partition of a large column is the cost of a peel step; instead, a strided sample
    of :data:`_SELECT_SAMPLE` values brackets the ranks (a margin of four binomial standard
    deviations), one pass counts the values below the bracket and one partition of the
    few values inside it gives the answer. When the bracket misses (sorted or
    adversarial data), the plain partition answers.
    """
    n = data.shape[0]
    lo_k, hi_k = ranks
    if n > _SELECT_DIRECT:
        step = n // _SELECT_SAMPLE
        sample = np.sort(data[::step])
        m = sample.shape[0]
        q = lo_k / (n - 1)
        margin = 4.0 * math.sqrt(m * q * (1 - q)) + 3.0
        i_lo = math.floor(q * (m - 1) - margin)
        i_hi = math.ceil(q * (m - 1) + margin)
        v_lo = sample[i_lo] if i_lo > 0 else -np.inf
        v_hi = sample[i_hi] if i_hi < m - 1 else np.inf
        below = int(np.count_nonzero(data < v_lo))
        inside = data[(data >= v_lo) & (data <= v_hi)]
        r_lo, r_hi = lo_k - below, hi_k - below
        if r_lo >= 0 and r_hi < inside.shape[0]:
            part = np.partition(inside, (r_lo, r_hi))
            return float(part[r_lo]), float(part[r_hi])
    part = np.partition(data, (lo_k, hi_k))
    return float(part[lo_k]), float(part[hi_k])


def _peel_cuts(data: FloatArray, alpha: float) -> tuple[float, float]:
    """``(get_quantile(data, alpha), get_quantile(data, 1 - alpha))``."""
    n = data.shape[0]
    il, iu = (n - 1) * alpha, (n - 1) * (1 - alpha)
    a = _order_stats(data, (math.floor(il), math.ceil(il)))
    b = _order_stats(data, (math.floor(iu), math.ceil(iu)))
    lower = _from_order_stats(data, a[0], a[1], upper=False)
    upper = _from_order_stats(data, b[0], b[1], upper=True)
    return lower, upper


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
    big_n, d = x.shape
    big_k = int(np.count_nonzero(y))
    init = np.column_stack([x.min(axis=0), x.max(axis=0)])
    limits = init.copy()
    boxes = [_box(limits, init, big_n, big_k, big_n, big_k)]

    # -- peeling: on the points still in the box only (they shrink by ~alpha a step)
    # the box's points as (D, n) rows, cases of interest and the others apart: a candidate's
    # counts are then two comparisons, with no mask of the box to combine
    xt = np.ascontiguousarray(x.T)
    xi, xo = np.ascontiguousarray(xt[:, y]), np.ascontiguousarray(xt[:, ~y])
    del xt
    n_old, k_old = big_n, big_k
    while True:
        best: tuple[float, int] | None = None
        choice: tuple[int, int, float, int, int] | None = None
        for j in range(d):
            col = np.concatenate([xi[j], xo[j]])
            cuts = _peel_cuts(col, peel_alpha)
            for side in (1, 0):  # upper, then lower (the workbench's order)
                cut = cuts[side]
                if side:
                    k_new = int(np.count_nonzero(xi[j] <= cut))
                    n_new = k_new + int(np.count_nonzero(xo[j] <= cut))
                else:
                    k_new = int(np.count_nonzero(xi[j] >= cut))
                    n_new = k_new + int(np.count_nonzero(xo[j] >= cut))
                obj = _lenient1(n_old, k_old, n_new, k_new)
                cand = limits.copy()
                cand[j, side] = cut
                score = (obj, d - len(_restricted(cand, init)))
                if best is None or score > best:
                    best, choice = score, (j, side, cut, n_new, k_new)
        assert best is not None and choice is not None  # d >= 1
        j, side, cut, n_new, k_new = choice
        if not (n_new / big_n >= mass_min and n_new < n_old and best[0] > 0):
            break
        limits[j, side] = cut
        if side:
            xi, xo = xi[:, xi[j] <= cut], xo[:, xo[j] <= cut]
        else:
            xi, xo = xi[:, xi[j] >= cut], xo[:, xo[j] >= cut]
        n_old, k_old = n_new, k_new
        boxes.append(_box(limits, init, n_new, k_new, big_n, big_k))
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
                [inside[j] for j in res if j != u] or [np.ones(big_n, bool)]
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
