"""The compiled model: a graph of array operations in topological order (numpy only).

A :class:`Model` is what :mod:`clustersim.compile` builds from a validated scenario and
what :func:`clustersim.core.project.project` evaluates. Region series are shaped
``(S, T)``, cluster series ``(S, C, T)``; parameters carry a leading sample axis of
length ``S`` or 1 (broadcast), so a fixed number never becomes an ``(S,)`` array.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ClusterTotal",
    "Combine",
    "Compound",
    "Elastic",
    "IOSystem",
    "Leontief",
    "Model",
    "Op",
    "Ratio",
    "StockFlow",
    "Tier",
    "TierPipeline",
    "Whole",
    "whole",
]

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Elastic:
    """Growth that follows another series: ``g = elasticity * growth(source)``.

    ``elasticity`` is ``(S',)`` for a region series, ``(S', C)`` for a cluster series
    (zero for clusters whose growth does not follow ``source``).
    """

    source: str
    elasticity: Array


@dataclass(frozen=True, slots=True)
class Compound:
    """A series compounding from a base value: ``x[t] = x[t-1] * (1 + g[t])``.

    ``x0`` is ``(S',)`` or ``(S', C)``; ``rates`` is ``(S', T')`` or ``(S', C, T')``.
    ``g = rates + sum(e.elasticity * growth(e.source) for e in elastic)``.
    """

    name: str
    cluster: bool
    x0: Array
    rates: Array
    elastic: tuple[Elastic, ...] = ()

    @property
    def deps(self) -> tuple[str, ...]:
        return tuple(e.source for e in self.elastic)


@dataclass(frozen=True, slots=True)
class Combine:
    """A sum of products of series of the same level: ``sum(a * b for a, b in terms)``.

    ``b`` may be None (the term is ``a`` alone). ``value_added = output * va_ratio`` is
    ``terms=(("output", "va_ratio"),)``; cluster R&D mixing own paths and shares of output
    is ``(("rd_own", None), ("rd_share", "output"))``. A required-growth search follows
    the first name of the first term by default.
    """

    name: str
    cluster: bool
    terms: tuple[tuple[str, str | None], ...]

    @property
    def deps(self) -> tuple[str, ...]:
        return tuple(n for term in self.terms for n in term if n is not None)


@dataclass(frozen=True, slots=True)
class StockFlow:
    """A stock fed by an annual flow series that may also grow at its own rates:
    ``s[t] = s[t-1] * (1 - exit_rate) * (1 + rates[t]) + flow[t]``.

    ``rates`` is ``(S', T')`` or ``(S', C, T')``; zero for a pure stock-flow series.
    """

    name: str
    cluster: bool
    s0: Array
    flow: str
    exit_rate: Array
    rates: Array | None = None

    @property
    def deps(self) -> tuple[str, ...]:
        return (self.flow,)


@dataclass(frozen=True, slots=True, eq=False)
class TierPipeline:
    """A firm tier pipeline (科技型中小企业 -> 高新技术企业 -> 专精特新 -> ...), region level or
    one ladder per cluster.

    ``K`` tiers, lowest first. Per year ``t`` (firms at the end of the year), from the top
    tier down: ``arrivals_1 = entries[t]``, ``arrivals_k = promote[k-1] * n[k-1, t-1]``;
    ``kept_k = n[k, t-1] * (1 - promote[k] - exit[k]) + blocked_(k+1)``;
    ``in_k = min(arrivals_k, max(cap[k] - kept_k, 0))``; ``n[k, t] = kept_k + in_k``;
    ``blocked_k = arrivals_k - in_k`` (promotions a ceiling refuses stay in the tier below;
    entries refused by the first tier's ceiling do not enter). ``promote`` of the top tier
    is 0, ``cap`` is ``inf`` where a tier has no ceiling.

    Region level: ``entries`` names one region series and every array is ``(S', K)``. Per
    cluster (``entries`` a tuple, one region series name per cluster, ``""`` for a cluster
    without a ladder): every array is ``(S', C, K)`` (zero stocks and rates, no ceiling where
    a cluster has none) and the tiers are cluster series.
    Identity is the object (``eq=False``): the tier ops of one pipeline share it, and an
    engine computes the pipeline once per projection.
    """

    entries: str | tuple[str, ...]
    s0: Array
    promote: Array
    exit: Array
    cap: Array

    @property
    def n_tiers(self) -> int:
        return int(self.s0.shape[-1])

    @property
    def per_cluster(self) -> bool:
        return isinstance(self.entries, tuple)

    @property
    def entry_names(self) -> tuple[str, ...]:
        """The region series of entries it reads (one per cluster with a ladder)."""
        if isinstance(self.entries, tuple):
            return tuple(e for e in self.entries if e)
        return (self.entries,)


@dataclass(frozen=True, slots=True)
class Tier:
    """One series of a :class:`TierPipeline`: tier ``index``'s stock (``what="stock"``) or
    the firms arriving in it each year (``what="in"``, after any ceiling); a cluster series
    when the pipeline is per cluster."""

    name: str
    pipeline: TierPipeline
    index: int
    what: str = "stock"

    @property
    def cluster(self) -> bool:
        return self.pipeline.per_cluster

    @property
    def deps(self) -> tuple[str, ...]:
        return self.pipeline.entry_names


@dataclass(frozen=True, slots=True, eq=False)
class IOSystem:
    """Input-output coupling of the clusters and a rest of the economy (``n = C + 1``).

    ``coef`` is the technical-coefficient matrix ``A`` ``(S', n, n)``: ``A[i, j]`` is the
    input from sector ``i`` per unit of sector ``j``'s output (the rest last). ``demand``
    (cluster, ``(S, C, T)``) and ``rest_demand`` (region, ``(S, T)``) are each sector's
    uncoupled path, its base-year output grown at its final-demand growth. Output is
    ``x[t] = (I - A)^-1 f[t]`` with ``f[t] = f[0] * d[t] / d[0]`` and
    ``f[0] = (I - A) d[0]`` (so the base year reproduces the base-year outputs).
    """

    demand: str
    rest_demand: str
    coef: Array


@dataclass(frozen=True, slots=True)
class Leontief:
    """Output of an :class:`IOSystem`: the clusters' (``part="clusters"``, a cluster
    series) or the rest of the economy's (``part="rest"``, a region series)."""

    name: str
    system: IOSystem
    part: str = "clusters"

    @property
    def cluster(self) -> bool:
        return self.part == "clusters"

    @property
    def deps(self) -> tuple[str, ...]:
        return (self.system.demand, self.system.rest_demand)


@dataclass(frozen=True, slots=True)
class ClusterTotal:
    """A region series: a cluster series summed over clusters, plus an optional region rest."""

    name: str
    part: str
    rest: str | None = None
    cluster: bool = False

    @property
    def deps(self) -> tuple[str, ...]:
        return (self.part,) if self.rest is None else (self.part, self.rest)


@dataclass(frozen=True, slots=True)
class Ratio:
    """Quotient of two series of the same level (``rd_intensity = rd_total / gdp``)."""

    name: str
    cluster: bool
    num: str
    den: str

    @property
    def deps(self) -> tuple[str, ...]:
        return (self.num, self.den)


@dataclass(frozen=True, slots=True)
class Whole:
    """A count in whole units (an ``integer: true`` indicator): ``floor`` of the series
    ``source`` in every year, once float rounding is allowed for (see :func:`whole`).

    ``source`` is the continuous projection (a pace of 0.25 designations a year is 1
    cluster after four years); a unit counts once it is complete.
    """

    name: str
    cluster: bool
    source: str

    @property
    def deps(self) -> tuple[str, ...]:
        return (self.source,)


#: tolerance of :func:`whole`, relative to ``max(1, |x|)`` and at most :data:`WHOLE_CAP`: a
#: sum that should be a whole number (0.25 x 4) and lands a few ulps below it still counts
WHOLE_TOL = 1e-9
#: the tolerance never reaches a visible part of a unit, however large the count
WHOLE_CAP = 1e-6


def whole(x: Array) -> Array:
    """``floor(x + min(1e-6, 1e-9 max(1, |x|)))``: whole units of ``x`` (any shape)."""
    out: Array = np.floor(x + np.minimum(WHOLE_CAP, WHOLE_TOL * np.maximum(1.0, np.abs(x))))
    return out


Op = Compound | Combine | StockFlow | ClusterTotal | Ratio | Whole | Tier | Leontief


@dataclass(frozen=True)
class Model:
    """A projection graph with its dimensions.

    Parameters
    ----------
    years : int array (T,)
        Base year first, consecutive.
    clusters : tuple of str (C,)
    samples : int
        ``S``.
    ops : tuple of Op
        In dependency order: an op's inputs come before it.
    groups : dict of str to int array
        Cluster indices of each named group.
    history : dict of str to dict of int to array
        Observed values before the base year: ``(S',)`` for region series,
        ``(S', C)`` for cluster series (NaN where a cluster has none).
    """

    years: NDArray[np.int64]
    clusters: tuple[str, ...]
    samples: int
    ops: tuple[Op, ...]
    groups: dict[str, NDArray[np.intp]] = field(default_factory=dict)
    history: dict[str, dict[int, Array]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t, s = len(self.years), self.samples
        if t < 2:
            raise ValueError("a model needs at least two years (base year and one more)")
        if s < 1:
            raise ValueError(f"samples must be >= 1, got {s}")
        seen: set[str] = set()
        for op in self.ops:
            self._check_op(op, seen)
            seen.add(op.name)

    def _check_op(self, op: Op, before: set[str]) -> None:
        """``op``'s inputs are among ``before`` (the ops computed before it), its name is
        not, and its arrays have this model's dimensions."""
        t, c, s = len(self.years), len(self.clusters), self.samples
        for dep in op.deps:
            if dep not in before:
                raise ValueError(
                    f"op {op.name!r} needs {dep!r}, which is not computed before it"
                )
        if op.name in before:
            raise ValueError(f"op {op.name!r} is defined twice")
        lead = (c,) if op.cluster else ()
        if isinstance(op, Compound):
            _check(op.name, "x0", op.x0.shape, lead, s, None)
            _check(op.name, "rates", op.rates.shape, lead, s, t)
            for e in op.elastic:
                _check(op.name, "elasticity", e.elasticity.shape, lead, s, None)
        elif isinstance(op, StockFlow):
            _check(op.name, "s0", op.s0.shape, lead, s, None)
            _check(op.name, "exit_rate", op.exit_rate.shape, lead, s, None)
            if op.rates is not None:
                _check(op.name, "rates", op.rates.shape, lead, s, t)
        elif isinstance(op, Leontief):
            n = c + 1
            _check(op.name, "coef", op.system.coef.shape, (n, n), s, None)
        elif isinstance(op, Tier):
            p = op.pipeline
            lead_k = (c, p.n_tiers) if p.per_cluster else (p.n_tiers,)
            if isinstance(p.entries, tuple) and len(p.entries) != c:
                raise ValueError(f"{op.name}: {len(p.entries)} entries for {c} clusters")
            for what in ("s0", "promote", "exit", "cap"):
                _check(op.name, what, getattr(p, what).shape, lead_k, s, None)
            if not 0 <= op.index < p.n_tiers or op.what not in ("stock", "in"):
                raise ValueError(f"{op.name}: no tier {op.index} {op.what!r} in its pipeline")

    def with_op(self, new: Op, samples: int) -> Model:
        """A copy in which ``new`` replaces the op of the same name, with ``samples`` samples.

        From a one-sample model every other op has arrays of one sample, which fit any number
        of samples: only ``new`` is checked then (the required-growth search makes a few
        hundred copies of a ~100-op model, and checking every op of each was ~0.03 s of a
        run). Otherwise the copy is checked whole, as any model."""
        i = self.op_positions.get(new.name)
        ops = self.ops if i is None else (*self.ops[:i], new, *self.ops[i + 1 :])
        if self.samples != 1 or i is None:
            return replace(self, ops=ops, samples=samples)
        out = replace(self, ops=(), samples=samples)  # checks the years and samples
        object.__setattr__(out, "ops", ops)
        # the same names in the same places: the copy shares the index and, but for ``new``,
        # the inputs (the search projects a few hundred copies, each asking for both)
        out.__dict__["op_positions"] = self.op_positions
        out.__dict__["op_inputs"] = {**self.op_inputs, new.name: new.deps}
        out._check_op(new, set(self.names[:i]))
        return out

    @cached_property
    def op_positions(self) -> dict[str, int]:
        """Each op's place in :attr:`ops`, by name (made once per model)."""
        return {op.name: k for k, op in enumerate(self.ops)}

    @cached_property
    def op_inputs(self) -> dict[str, tuple[str, ...]]:
        """Each op's inputs (``deps``), by name (made once per model)."""
        return {op.name: op.deps for op in self.ops}

    @property
    def n_years(self) -> int:
        return len(self.years)

    @property
    def base_year(self) -> int:
        return int(self.years[0])

    def op(self, name: str) -> Op:
        for op in self.ops:
            if op.name == name:
                return op
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(op.name for op in self.ops)

    def is_cluster(self, name: str) -> bool:
        return self.op(name).cluster


def _check(
    name: str, what: str, shape: tuple[int, ...], lead: tuple[int, ...], s: int, t: int | None
) -> None:
    """Dimensions must be ``(S' , *lead[, T'])`` with ``S'`` in {1, S} and ``T'`` in {1, T}."""
    ndim = 1 + len(lead) + (t is not None)
    ok = len(shape) == ndim and shape[0] in (1, s) and shape[1 : 1 + len(lead)] == lead
    if ok and t is not None:
        ok = shape[-1] in (1, t)
    if not ok:
        dims = "".join(f", {n}" for n in lead) + ("" if t is None else f", 1 or {t}")
        want = f"(S' in {{1, {s}}}{dims})"
        raise ValueError(f"{name}.{what} has shape {shape}, expected {want}")
