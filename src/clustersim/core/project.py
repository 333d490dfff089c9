"""Evaluate a compiled :class:`~clustersim.core.model.Model` into series arrays (numpy only).

Every op is vectorised over samples and clusters; only the stock-flow recurrence loops,
over years. Projection is sample-separable: projecting two sample chunks and
concatenating equals projecting both at once.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from clustersim.core.kernels import (
    compound,
    growth_of,
    leontief_output,
    stack_entries,
    stock_flow,
    tier_pipeline,
    tier_pipeline_clusters,
)
from clustersim.core.model import (
    ClusterTotal,
    Combine,
    Compound,
    IOSystem,
    Leontief,
    Model,
    Op,
    Ratio,
    StockFlow,
    Tier,
    TierPipeline,
    Whole,
    whole,
)

__all__ = ["needed", "project"]

Array = NDArray[np.float64]


def needed(model: Model, names: Iterable[str]) -> set[str]:
    """The names of ``names`` and every op they depend on."""
    inputs = model.op_inputs
    out: set[str] = set()
    stack = list(names)
    while stack:
        n = stack.pop()
        if n in out:
            continue
        out.add(n)
        stack.extend(inputs[n])
    return out


def project(model: Model, need: Iterable[str] | None = None) -> dict[str, Array]:
    """Project every series of ``model`` (or only ``need`` and what it depends on).

    Returns
    -------
    dict of str to array
        ``(S, T)`` for region series and ``(S, C, T)`` for cluster series. Series
        that do not vary by sample are broadcast views (read-only) of one row.
    """
    keep = None if need is None else needed(model, need)
    s, c, t = model.samples, len(model.clusters), model.n_years
    out: dict[str, Array] = {}
    pipes: dict[int, tuple[Array, Array]] = {}  # each tier pipeline computed once
    systems: dict[int, Array] = {}  # each input-output system solved once
    for op in model.ops:
        if keep is not None and op.name not in keep:
            continue
        if isinstance(op, Tier):
            val = tier_series(op, out, pipes, t)
        elif isinstance(op, Leontief):
            val = io_series(op, out, systems)
        else:
            val = _evaluate(op, out, t)
        full = (s, c, t) if op.cluster else (s, t)
        if val.shape != full:
            val = np.broadcast_to(val, full)
        out[op.name] = val
    return out


def tier_series(
    op: Tier, done: dict[str, Array], pipes: dict[int, tuple[Array, Array]], t: int
) -> Array:
    """Series of tier op ``op``, ``(S, T)`` (``(S, C, T)`` per cluster): its pipeline is computed the first time one of
    its tiers is asked for and kept in ``pipes`` (keyed by the pipeline object)."""
    p: TierPipeline = op.pipeline
    got = pipes.get(id(p))
    if got is None:
        if isinstance(p.entries, tuple):  # one ladder per cluster
            ent = stack_entries(p.entries, done.__getitem__, t)
            got = tier_pipeline_clusters(p.s0, ent, p.promote, p.exit, p.cap)
        else:
            got = tier_pipeline(p.s0, done[p.entries], p.promote, p.exit, p.cap)
        pipes[id(p)] = got
    return got[0 if op.what == "stock" else 1][..., op.index, :]


def io_series(op: Leontief, done: dict[str, Array], systems: dict[int, Array]) -> Array:
    """Output of the clusters ``(S, C, T)`` or of the rest ``(S, T)`` of an input-output
    system, solved once per projection (kept in ``systems``)."""
    sys: IOSystem = op.system
    x = systems.get(id(sys))
    if x is None:
        x = systems[id(sys)] = leontief_output(sys.coef, done[sys.demand], done[sys.rest_demand])
    return x[:, :-1, :] if op.cluster else x[:, -1, :]


def _evaluate(op: Op, done: dict[str, Array], t: int) -> Array:
    if isinstance(op, Compound):
        rates = op.rates
        if op.elastic:
            rates = np.array(np.broadcast_to(rates, (*rates.shape[:-1], t)))
            for e in op.elastic:
                src = done[e.source]
                g = growth_of(src)
                if op.cluster and src.ndim == 2:  # a region series drives cluster growth
                    g = g[:, None, :]
                rates = rates + e.elasticity[..., None] * g
        return compound(op.x0, rates, t)
    if isinstance(op, Combine):
        total: Array | None = None
        for a, b in op.terms:
            term = done[a] if b is None else np.multiply(done[a], done[b])
            total = term if total is None else total + term
        assert total is not None  # a Combine has at least one term
        return total
    if isinstance(op, StockFlow):
        return stock_flow(op.s0, done[op.flow], op.exit_rate, op.rates)
    if isinstance(op, ClusterTotal):
        total = done[op.part].sum(axis=1)
        if op.rest is not None:
            total = total + done[op.rest]
        return total
    if isinstance(op, Ratio):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.divide(done[op.num], done[op.den])
    if isinstance(op, Whole):
        return whole(done[op.source])
    raise TypeError(f"unknown op {op!r}")
