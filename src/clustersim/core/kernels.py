"""Array kernels of the projection: pure functions over bare float64 arrays.

Shapes use ``S`` samples, ``C`` clusters and ``T`` years (base year first). A leading
``...`` stands for ``(S,)`` for a region series or ``(S, C)`` for a cluster series.
Any leading axis may have length 1 and broadcast. Rates are annual growth rates as
fractions; ``rates[..., t]`` is the growth from year ``t - 1`` to year ``t`` and
``rates[..., 0]`` is ignored. A rates array whose last axis has length 1 holds one
rate for every year.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "compound",
    "growth_of",
    "leontief_output",
    "logistic_levels",
    "stack_entries",
    "stock_flow",
    "tier_pipeline",
    "tier_pipeline_clusters",
]

Array = NDArray[np.float64]


def compound(x0: Array, rates: Array, n_years: int) -> Array:
    """Levels of a series compounding from ``x0`` at ``rates``.

    ``x[..., 0] = x0`` and ``x[..., t] = x[..., t-1] * (1 + rates[..., t])``.

    Parameters
    ----------
    x0 : array (...)
        Base-year level.
    rates : array (..., T) or (..., 1)
        Annual growth rates; a last axis of length 1 is one rate for all years.
    n_years : int
        ``T``, the number of years including the base year.

    Returns
    -------
    array (..., T)
    """
    x0 = np.asarray(x0, dtype=np.float64)
    rates = np.asarray(rates, dtype=np.float64)
    if rates.shape[-1] == 1:
        # x0 * (1 + r) ** t, exact closed form of the constant-rate recurrence
        t = np.arange(n_years, dtype=np.float64)
        factor = np.power(1.0 + rates, t)
    else:
        if rates.shape[-1] != n_years:
            raise ValueError(f"rates has {rates.shape[-1]} years, expected 1 or {n_years}")
        factor = np.add(rates, 1.0)
        factor[..., 0] = 1.0
        np.cumprod(factor, axis=-1, out=factor)
    out: Array = np.multiply(x0[..., None], factor)
    return out


def growth_of(levels: Array) -> Array:
    """Annual growth rates of a series; the base-year entry is 0.

    Parameters
    ----------
    levels : array (..., T)

    Returns
    -------
    array (..., T)
        ``g[..., t] = levels[..., t] / levels[..., t-1] - 1`` for ``t >= 1``, ``g[..., 0] = 0``.
    """
    g = np.zeros_like(levels)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(levels[..., 1:], levels[..., :-1], out=g[..., 1:])
    g[..., 1:] -= 1.0
    return g


def logistic_levels(x0: Array, capacity: Array, rate: Array, n_years: int) -> Array:
    """Logistic S-curve from ``x0`` towards ``capacity``.

    ``x[t] = K / (1 + (K / x0 - 1) * exp(-r t))`` with ``x[0] = x0``.

    Parameters
    ----------
    x0, capacity, rate : array (...)
        Base level, capacity ``K`` (> 0) and intrinsic rate ``r`` (per year).
    n_years : int

    Returns
    -------
    array (..., T)
    """
    t = np.arange(n_years, dtype=np.float64)
    k = np.asarray(capacity, dtype=np.float64)[..., None]
    a = k / np.asarray(x0, dtype=np.float64)[..., None] - 1.0
    out: Array = k / (1.0 + a * np.exp(-np.asarray(rate, dtype=np.float64)[..., None] * t))
    return out


def stock_flow(s0: Array, flow: Array, exit_rate: Array, rates: Array | None = None) -> Array:
    """Stock fed by an annual flow, with a constant exit (or depreciation) rate.

    ``s[..., 0] = s0`` and ``s[..., t] = s[..., t-1] * (1 - exit_rate) * (1 + rates[..., t])
    + flow[..., t]`` (``rates`` zero when omitted).
    The loop runs over years only; each step is vectorised over samples and clusters.

    Parameters
    ----------
    s0 : array (...)
        Stock at the end of the base year.
    flow : array (..., T)
        Annual inflow (entries); ``flow[..., 0]`` is already part of ``s0``.
    exit_rate : array (...)
        Share of the stock leaving each year, in ``[0, 1]``.
    rates : array (..., T) or (..., 1), optional
        Own growth of the stock (a logistic firm count, say), applied before the inflow.

    Returns
    -------
    array (..., T)
    """
    flow = np.asarray(flow, dtype=np.float64)
    s0 = np.asarray(s0, dtype=np.float64)
    keep = 1.0 - np.asarray(exit_rate, dtype=np.float64)
    shapes = [(*s0.shape, 1), flow.shape, (*keep.shape, 1)]
    if rates is not None:
        rates = np.asarray(rates, dtype=np.float64)
        shapes.append((*rates.shape[:-1], 1))
    shape = np.broadcast_shapes(*shapes)
    out = np.empty(shape, dtype=np.float64)
    out[..., 0] = s0
    for t in range(1, shape[-1]):
        np.multiply(out[..., t - 1], keep, out=out[..., t])
        if rates is not None:
            out[..., t] *= 1.0 + rates[..., t if rates.shape[-1] > 1 else 0]
        out[..., t] += flow[..., t]
    return out


def tier_pipeline(
    s0: Array, entries: Array, promote: Array, exit_rate: Array, cap: Array
) -> tuple[Array, Array]:
    """Stocks of a firm tier pipeline and the firms arriving in each tier per year.

    Year ``t`` from the top tier ``K-1`` down to tier 0 (see
    :class:`clustersim.core.model.TierPipeline`)::

        arrivals[k] = entries[t] if k == 0 else promote[k-1] * n[k-1, t-1]
        kept[k]     = n[k, t-1] * (1 - promote[k] - exit[k]) + blocked[k+1]
        inflow[k]   = min(arrivals[k], max(cap[k] - kept[k], 0))
        n[k, t]     = kept[k] + inflow[k];   blocked[k] = arrivals[k] - inflow[k]

    Without ceilings (``cap = inf``) this is ``n[k, t] = n[k, t-1] (1 - p_k - x_k) +
    p_(k-1) n[k-1, t-1]``. The base-year inflow (not observed) is taken at the base-year
    rates: ``entries[0]`` and ``promote[k-1] * n[k-1, 0]``. The loop runs over years and
    tiers (a handful); each step is vectorised over samples.

    Parameters
    ----------
    s0, promote, exit_rate, cap : array (S', K)
        Base-year stocks, promotion rates to the next tier (0 for the top tier), exit
        rates, ceilings (``inf``: none).
    entries : array (S', T)
        Firms entering the first tier each year.

    Returns
    -------
    stocks, inflows : arrays (S, K, T)
    """
    s0 = np.asarray(s0, dtype=np.float64)
    entries = np.asarray(entries, dtype=np.float64)
    k_n = s0.shape[1]
    t_n = entries.shape[-1]
    s = max(s0.shape[0], entries.shape[0], promote.shape[0], exit_rate.shape[0], cap.shape[0])
    keep = 1.0 - promote - exit_rate  # (S', K)
    n = np.empty((s, k_n, t_n))
    inflow = np.empty((s, k_n, t_n))
    n[:, :, 0] = s0
    inflow[:, 0, 0] = entries[:, 0]
    inflow[:, 1:, 0] = promote[:, :-1] * s0[:, :-1]
    capped = np.asarray(np.isfinite(cap).any(axis=0))  # (K,): a ceiling in some sample
    for t in range(1, t_n):
        blocked: Array | None = None
        for k in range(k_n - 1, -1, -1):
            arrivals = entries[:, t] if k == 0 else promote[:, k - 1] * n[:, k - 1, t - 1]
            kept = n[:, k, t - 1] * keep[:, k]
            if blocked is not None:
                kept = kept + blocked
            if capped[k]:
                got = np.minimum(arrivals, np.maximum(cap[:, k] - kept, 0.0))
                blocked = arrivals - got
            else:
                got = np.broadcast_to(arrivals, (s,))
                blocked = None
            inflow[:, k, t] = got
            n[:, k, t] = kept + got
    return n, inflow


def tier_pipeline_clusters(
    s0: Array, entries: Array, promote: Array, exit_rate: Array, cap: Array
) -> tuple[Array, Array]:
    """:func:`tier_pipeline` with one ladder per cluster: every (sample, cluster) pair is one
    row of the sample-vectorised kernel, so each cluster's ladder follows the same step.

    Parameters
    ----------
    s0, promote, exit_rate, cap : array (S', C, K)
    entries : array (S', C, T)

    Returns
    -------
    stocks, inflows : arrays (S, C, K, T)
    """
    s = max(a.shape[0] for a in (s0, entries, promote, exit_rate, cap))
    c, k = s0.shape[1], s0.shape[2]
    t = entries.shape[-1]

    def rows(a: Array, tail: int) -> Array:
        return np.ascontiguousarray(np.broadcast_to(a, (s, c, tail))).reshape(s * c, tail)

    n, inflow = tier_pipeline(
        rows(s0, k), rows(entries, t), rows(promote, k), rows(exit_rate, k), rows(cap, k)
    )
    return n.reshape(s, c, k, t), inflow.reshape(s, c, k, t)


def stack_entries(names: tuple[str, ...], get: Callable[[str], Array], t: int) -> Array:
    """Entries of a per-cluster pipeline ``(S', C, T)`` from each cluster's region series
    (``(S', T)``, read by ``get``); zero for a cluster without a ladder (``""``)."""
    got = {name: np.asarray(get(name), dtype=np.float64) for name in names if name}
    s = max([1, *(v.shape[0] for v in got.values())])
    out = np.zeros((s, len(names), t))
    for i, name in enumerate(names):
        if name:
            out[:, i, :] = got[name]
    return out


def leontief_output(coef: Array, demand: Array, rest_demand: Array) -> Array:
    """Output of every sector from final demand through the Leontief inverse.

    ``d`` stacks the clusters' uncoupled paths and the rest's, ``(S, n, T)``;
    ``f[0] = (I - A) d[0]``, ``f[t] = f[0] * d[t] / d[0]`` and ``x[t] = (I - A)^-1 f[t]``,
    all years of a sample in one solve (``T`` right-hand sides), all samples in one batched
    ``np.linalg.solve`` over the ``(S, n, n)`` stack (LAPACK ``gesv`` per matrix).

    Parameters
    ----------
    coef : array (S', n, n)
        Technical coefficients ``A``, ``n = C + 1`` (the rest of the economy last).
    demand : array (S', C, T)
    rest_demand : array (S', T)

    Returns
    -------
    array (S, n, T)
        Output of each sector; ``x[..., 0]`` equals ``d[..., 0]`` up to rounding.
    """
    s = max(coef.shape[0], demand.shape[0], rest_demand.shape[0])
    t = demand.shape[-1]
    d = np.empty((s, coef.shape[1], t))
    d[:, :-1, :] = demand
    d[:, -1, :] = rest_demand
    n = coef.shape[1]
    a = np.broadcast_to(np.eye(n) - coef, (s, n, n))  # I - A, (S, n, n)
    # einsum's own loop, not BLAS: a sample's numbers never depend on its row in a block
    f0 = np.einsum("sij,sj->si", a, d[:, :, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = f0[:, :, None] * (d / d[:, :, :1])  # f[t] = f0 * d[t] / d[0]
    # a sector with no base-year output has no final demand
    f = np.where(np.isfinite(growth), growth, 0.0)
    return np.asarray(np.linalg.solve(a, f), dtype=np.float64)
