"""Compile a validated :class:`~clustersim.scenario.models.Scenario` into arrays.

This module is the only bridge between the pydantic scenario models and the numpy
projection core. It draws every uncertain number (one uniform stream per parameter
path, so adding a parameter does not change the draws of the others), builds the op
graph in dependency order, and compiles metrics and targets into expression trees.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.growth import ar1, ar1_years, shocked_rates_years
from clustersim.core.model import (
    ClusterTotal,
    Combine,
    Compound,
    Elastic,
    IOSystem,
    Leontief,
    Model,
    Op,
    Ratio,
    StockFlow,
    Tier,
    TierPipeline,
    Whole,
)
from clustersim.core.targets import TargetSpec
from clustersim.errors import ScenarioError
from clustersim.kinds.growth import RATE_LO, Growth, Shocks
from clustersim.kinds.targets import ClusterScope
from clustersim.sampling import InverseNormal, uniform_stream
from clustersim.sampling.base import ndtr
from clustersim.sampling.base import ndtri as default_ndtri
from clustersim.sampling.streams import uniform_streams
from clustersim.scenario.models import (
    LevelIndicator,
    Scenario,
    Series,
    Target,
)
from clustersim.scenario.provenance import Provenance
from clustersim.suggest import did_you_mean
from clustersim.values.numbers import Observed, is_uncertain

__all__ = [
    "Compiled",
    "Lever",
    "Param",
    "RatesLayout",
    "ScenarioCompiler",
    "compile_scenario",
    "correlate_uniforms",
    "correlation_groups",
    "install_put",
    "uncertain_parameters",
]

Array = NDArray[np.float64]
LEVEL_LO = 0.0
#: growth rates and links compiled from constants alone, by path (:class:`ScenarioCompiler`)
KeptGrowths = dict[str, tuple[Array, tuple[tuple[str, Array], ...]]]


@dataclass(frozen=True)
class Lever:
    """What a required-growth search moves: a compound series, all clusters or some."""

    series: str
    clusters: tuple[int, ...] | None = None  # None: the region series or every cluster
    label: str = ""


@dataclass(frozen=True)
class Param:
    """An uncertain number of the scenario, addressed by its path."""

    path: str
    dist: Any
    lo: float
    hi: float


@dataclass
class CompiledTarget:
    spec: TargetSpec
    model: Target
    #: the first lever (None: no lever applies); ``levers`` lists every lever given
    lever: Lever | None
    levers: tuple[Lever, ...] = ()


@dataclass
class Compiled:
    """Everything a run needs: the op graph, targets, metrics and parameter draws."""

    scenario: Scenario
    model: Model
    targets: dict[str, CompiledTarget]
    metrics: dict[str, ex.Expr]
    params: dict[str, Param]
    seed: int | None
    defined: dict[str, set[int]] = field(default_factory=dict)
    #: where each value of the scenario was written (None: not from a file)
    provenance: Provenance | None = None
    #: paths of the growths with yearly shocks (issue 15), in compile order
    shocked: tuple[str, ...] = ()

    def at(self, *path: str) -> str:
        """``file:line: a.b.c`` for a scenario path (just ``a.b.c`` without a file)."""
        if self.provenance is None:
            return ".".join(path)
        return self.provenance.at(tuple(path))


#: a function giving rows ``a .. b - 1`` of a shocked rate array, year first: ``(T, b - a)``
Block = Callable[[int, int], Array]

#: how shocked rates ``(S, [C,] T)`` are laid out in memory (issue 15): ``"year"`` first, a
#: C-ordered ``(T, S, [C])`` (:func:`year_major`, what the blocked NumPy core reads best),
#: or ``"sample"`` first, a C-ordered ``(S, T, [C])`` (:func:`sample_major` for a cluster
#: series, what the compiled kernel reads best). The values are the same either way; an
#: engine says which it wants (:meth:`clustersim.engines.Engine.rates_layout`).
RatesLayout = Literal["year", "sample"]


def year_major(*shape: int) -> Array:
    """An uninitialised ``(S, [C,] T)`` array stored year first: a view of a C-ordered
    ``(T, S, [C])`` array. Shocked rates (issue 15) vary by sample and year; stored this
    way the blocked core, which reads rates year by year as ``(T, B, C)``, reads each
    year's rates as one slab instead of transposing them (the compiled kernel prefers
    :func:`sample_major`)."""
    base: Array = np.empty((shape[-1], *shape[:-1]))
    return np.moveaxis(base, 0, -1)


def sample_major(s: int, c: int, t: int) -> Array:
    """An uninitialised ``(S, C, T)`` array stored sample first, then year: a view of a
    C-ordered ``(S, T, C)`` array. The compiled kernel projects ``LANES`` samples through
    every year before the next ones, so it reads these rates as one contiguous run a block
    (``LANES x T x C`` values), a single stream through memory; stored year first
    (:func:`year_major`) the same block reads ``T`` runs far apart, which cost it about as
    much again as the rest of its work (issue 15, ``benchmarks/shocks_cost.py``)."""
    base: Array = np.empty((s, t, c))
    return np.swapaxes(base, 1, 2)


#: a compiled copy of one cluster's part into the stack (``clustersim.accel.draws.put_part``),
#: installed when the compiled engine's draws are loaded; None: NumPy's assignment
_PUT: Callable[[Array, int, Array], None] | None = None


def install_put(put: Callable[[Array, int, Array], None] | None) -> None:
    """Copy parts with ``put(out, i, part)`` from now on: ``out[:, i, :] = part`` exactly
    (``part`` ``(n or 1, T' or 1)``, broadcast as NumPy broadcasts). None: NumPy."""
    global _PUT
    _PUT = put


def _stack_clusters(
    parts: list[Array],
    s: int,
    t: int,
    rows: int = 8192,
    blocks: Mapping[int, Block] | None = None,
    layout: RatesLayout = "year",
) -> Array:
    """``np.stack(parts, axis=1)`` of ``(S' or 1, T')`` arrays, ``rows`` samples at a time.

    Stacking writes each part with a stride of a whole row, so a part touches every cache
    line of the output; block by block the output's lines stay in cache across the parts
    (~3x faster for 20 clusters x 65,536 samples). Parts whose index is in ``blocks``
    (shocked rates, ``(S, T)``) come from their block function, block by block, and the
    result is stored as ``layout`` says (:data:`RatesLayout`).

    A part is a few years of each sample (``T'`` values), so NumPy's assignment runs an
    inner loop of ``T'`` values per sample and cluster; the compiled copy (:func:`install_put`)
    does the same copy about twice as fast (the values are copied, nothing computed).
    """
    if not blocks and t == 1:
        # one rate a sample (or one in all): NumPy's strided copy of whole columns beats the
        # compiled put's loop of one year (20 clusters x 65,536 samples: 1.9 against 3.1 ms)
        out = np.empty((s, len(parts), 1))
        cols = out[:, :, 0]
        for i, r in enumerate(parts):
            cols[:, i] = r[:, 0]
        return out
    if not blocks:
        out = np.empty((s, len(parts), t))
    elif layout == "sample":
        out = sample_major(s, len(parts), t)
    else:
        out = year_major(s, len(parts), t)
    put = _PUT
    for a in range(0, s, rows):
        b = min(a + rows, s)
        rows_out = out[a:b]
        for i, r in enumerate(parts):
            block = blocks.get(i) if blocks else None
            part = block(a, b).T if block is not None else r if r.shape[0] == 1 else r[a:b]
            if put is not None and part.dtype == np.float64:
                put(rows_out, i, part)
            else:
                rows_out[:, i, :] = part
    return out


class _Context:
    """Turns scenario numbers into ``(S',)`` arrays; implements GrowthContext."""

    def __init__(
        self,
        years: NDArray[np.int64],
        samples: int,
        seed: int | None,
        spawn_key: tuple[int, ...],
        uniforms: Mapping[str, Array] | None,
        sample_all: bool,
        offset: int = 0,
        inverse_normal: InverseNormal | None = None,
        drawn: Mapping[str, Array] | None = None,
        rates_layout: RatesLayout = "year",
    ) -> None:
        self.offset = offset
        self.rates_layout = rates_layout
        self.drawn = drawn or {}
        self.inverse_normal = inverse_normal
        self.years = years
        self.samples = samples
        self.seed = seed
        self.spawn_key = spawn_key
        self.uniforms = uniforms or {}
        self.sample_all = sample_all
        self.params: dict[str, Param] = {}
        self.provenance: Provenance | None = None
        #: declared shock factors: name -> AR coefficient (issue 15)
        self.factors: dict[str, float] = {}
        self._factor_paths: dict[str, Array] = {}
        #: uniforms of the numbers a Gaussian copula correlates, by path
        self.correlated: dict[str, Array] = {}
        #: the paths drawn from their own stream by :meth:`value`, in order
        self.streamed: list[str] = []
        #: those streams drawn beforehand, all at once (a later compile of the same
        #: structure: :class:`ScenarioCompiler`), by path; :meth:`value` takes each once
        self.streams: dict[str, Array] = {}
        #: growths with shocks, by path
        self.shocked: list[str] = []
        #: how many numbers were read that a draw decides (uncertain ones, a design's, or
        #: normal innovations): a growth compiled without any is the same in every compile
        self.reads = 0
        #: growth rates compiled from constants alone, by path, kept from compile to
        #: compile by a :class:`ScenarioCompiler` (None: not kept)
        self.growths: KeptGrowths | None = None

    def normals(self, key: str, a: int = 0, b: int | None = None) -> Array:
        """Standard normals ``(b - a, T - 1)`` of stream ``key`` for samples ``a .. b - 1``
        of this compile (all by default): row ``i`` is sample ``offset + a + i``, one
        uniform per projected year, drawn sample after sample, so drawing samples in
        chunks (``offset``) gives the numbers of drawing them at once."""
        assert self.seed is not None
        self.reads += 1
        b = self.samples if b is None else b
        n = len(self.years) - 1
        u = uniform_stream(self.seed, self.spawn_key, key, (b - a) * n, (self.offset + a) * n)
        return (self.inverse_normal or default_ndtri)(u).reshape(b - a, n)

    def factor(self, name: str) -> Array:
        """The path ``F (S, T - 1)`` of factor ``name``, drawn once per compile."""
        got = self._factor_paths.get(name)
        if got is None:
            got = ar1(self.normals(f"shocks.factors.{name}"), self.factors[name])
            self._factor_paths[name] = got
        return got

    def shock_block(self, rates: Array, sh: Shocks, path: str) -> Block | None:
        """A function giving rows ``a .. b - 1`` of the shocked ``rates``, year first
        (``(T, b - a)``), or None in a plain run (no shocks). Checks the fields either way.

        Called block by block, so the innovations, their AR(1) recursion and the
        exponential of a block stay in cache and only the result is written to memory.
        The block is worked year first: the normals are drawn sample after sample (the
        seeding rule) and transposed once, then every step (the AR(1) recursion, ``exp``,
        the rates) runs over contiguous rows of a year instead of strided columns.
        """
        sd = self.value(sh.sd, f"{path}.shocks.sd", 0.0)
        self.shocked.append(path)
        if sh.factor is not None and sh.factor not in self.factors:
            known = sorted(self.factors)
            raise self.error(
                f"{path}.shocks.factor",
                f"unknown factor {sh.factor!r}{did_you_mean(sh.factor, known)}; declared in "
                f"shocks.factors: {', '.join(known) if known else '(none)'}",
            )
        if not self.sample_all:
            return None
        load = sh.share
        f = self.factor(sh.factor) if sh.factor is not None and load > 0.0 else None

        def block(a: int, b: int) -> Array:
            # e = sd * (sqrt(1 - L) z + sqrt(L) F), year first (T - 1, b - a)
            e = np.ascontiguousarray(self.normals(f"{path}.shocks", a, b).T)
            if f is not None:
                e *= math.sqrt(1.0 - load)
                e += math.sqrt(load) * f[a:b].T
            e *= sd[None, a:b] if sd.shape[0] > 1 else sd[0]
            own = rates[a:b] if rates.shape[0] > 1 else rates
            out = np.empty((len(self.years), b - a))
            return shocked_rates_years(own, ar1_years(e, sh.ar), out)

        return block

    def value(self, num: Any, path: str, lo: float = -math.inf, hi: float = math.inf) -> Array:
        if num is None:
            raise self.error(path, "a number is required")
        if path in self.uniforms:
            self.reads += 1
            if not is_uncertain(num):
                raise self.error(
                    path, "a design gives quantiles for it, but it is not a distribution"
                )
            if path in self.drawn:  # already drawn from these quantiles by the caller
                self.params.setdefault(path, Param(path, num, lo, hi))
                return np.asarray(self.drawn[path], dtype=np.float64)
            u = self.correlated.get(path)
            if u is None:
                u = np.asarray(self.uniforms[path], dtype=np.float64)
        elif is_uncertain(num):
            self.reads += 1
            self.params[path] = Param(path, num, lo, hi)
            if not self.sample_all:  # the central value, inside the field's and its own bounds
                try:
                    return np.array([num.sampler.central_within(lo, hi)])
                except ValueError as exc:
                    raise self.error(path, f"{exc}: {_allowed(lo, hi)}") from exc
            assert self.seed is not None
            u = self.correlated.get(path)
            if u is None:
                u = self.streams.pop(path, None)
                if u is None:
                    u = uniform_stream(self.seed, self.spawn_key, path, self.samples, self.offset)
                self.streamed.append(path)
        else:
            v = float(num) if not isinstance(num, Observed) else num.point
            if not (lo <= v <= hi):
                raise self.error(path, f"{v:g} {_allowed(lo, hi)}")
            return np.array([v])
        self.params.setdefault(path, Param(path, num, lo, hi))
        try:
            return np.asarray(
                num.sampler.ppf(u, lo, hi, inverse_normal=self.inverse_normal), dtype=np.float64
            )
        except ValueError as exc:
            raise self.error(path, str(exc)) from exc

    def error(self, path: str, msg: str) -> ScenarioError:
        return ScenarioError(f"{self.where(path)}: {msg}")

    def where(self, path: str) -> str:
        """``file:line: path`` for a dotted scenario path."""
        o = self.provenance.where(tuple(path.split("."))) if self.provenance else None
        return f"{o}: {path}" if o else path


def _allowed(lo: float, hi: float) -> str:
    if lo == RATE_LO:
        return "is not allowed: a growth rate must be above -100%"
    if hi == math.inf:
        return f"is not allowed: the value must be >= {lo:g}"
    return f"is not allowed: the value must be between {lo:g} and {hi:g}"


class _Builder:
    def __init__(self, sc: Scenario, ctx: _Context) -> None:
        self.sc = sc
        self.ctx = ctx
        self.years = ctx.years
        self.cids = list(sc.clusters)
        self.ops: dict[str, Op] = {}
        self.level: dict[str, bool] = {}  # name -> is cluster-level
        self.defined: dict[str, set[int]] = {}
        self.paths: dict[str, str] = {}  # op name -> scenario path of its growth, for errors
        self.own_growth: set[int] = set()  # clusters whose firms have their own growth

    def where(self, path: str) -> str:
        return self.ctx.where(path)

    # -- helpers ---------------------------------------------------------------------
    def add(self, op: Op) -> None:
        self.ops[op.name] = op
        self.level[op.name] = op.cluster

    def growth(self, gr: Growth, x0: Array, path: str) -> tuple[Array, list[tuple[str, Array]]]:
        rates, links, block = self.growth_parts(gr, x0, path)
        if block is not None:
            n = self.ctx.samples
            if self.ctx.rates_layout == "sample":  # (S, T), C-ordered
                rates = np.empty((n, len(self.years)))
                for a in range(0, n, 4096):
                    rates[a : a + 4096] = block(a, min(a + 4096, n)).T
                return rates, links
            rates = year_major(n, len(self.years))
            years_first = np.moveaxis(rates, -1, 0)  # (T, S), C-ordered
            for a in range(0, n, 4096):  # a block's innovations stay in cache
                years_first[:, a : a + 4096] = block(a, min(a + 4096, n))
        return rates, links

    def growth_parts(
        self, gr: Growth, x0: Array, path: str
    ) -> tuple[Array, list[tuple[str, Array]], Block | None]:
        """The growth's own rates, its links, and (with shocks in a Monte Carlo run) the
        function giving the shocked rates ``(S, T)`` block by block.

        A growth without shocks whose kind reads no base (``reads_base``) and that read no
        drawn number compiles to the same rates every time: with ``ctx.growths`` (a
        :class:`ScenarioCompiler`'s), the first compile's rates and links are kept and
        reused, checks and all (the arrays are shared, read only, by the compiles' models).
        """
        kept = self.ctx.growths
        hit = kept.get(path) if kept is not None else None
        if hit is not None:
            rates, links, block = hit[0], list(hit[1]), None
        else:
            reads = self.ctx.reads
            rates, links, block = self._compile_growth(gr, x0, path)
            constant = gr.shocks is None and not gr.reads_base and self.ctx.reads == reads
            if kept is not None and constant:
                kept[path] = (rates, tuple(links))
        for src, _ in links:
            self.paths.setdefault(f"{src}<-{path}", f"{path}.growth.to")
        return rates, links, block

    def _compile_growth(
        self, gr: Growth, x0: Array, path: str
    ) -> tuple[Array, list[tuple[str, Array]], Block | None]:
        """:meth:`growth_parts` worked out: the kind's rates and links, the shocks' block,
        and the check that growth stays above -100%."""
        try:
            compiled = gr.compile(self.ctx, x0, f"{path}.growth")
        except ValueError as exc:  # a ScenarioError (ctx.value's) is no ValueError: it passes
            msg = str(exc)
            at, sep, rest = msg.partition(": ")
            if sep and at.startswith(path):  # the message names the exact field
                raise self.ctx.error(at, rest) from exc
            raise self.ctx.error(f"{path}.growth", msg) from exc
        rates, links = compiled.rates, list(compiled.links)
        block = None
        if gr.shocks is not None:  # (1 + r) e^d - 1 stays above -100% when r does
            block = self.ctx.shock_block(rates, gr.shocks, f"{path}.growth")
        if rates.size == 1:  # a constant rate: a float check (np.any costs ~10 us a call)
            below = rates.item() <= -1.0
        else:
            below = bool(np.any(rates[..., 1:] <= -1.0 if rates.shape[-1] > 1 else rates <= -1.0))
        if below:
            raise ScenarioError(f"{self.where(path + '.growth')}: growth must stay above -100%")
        return rates, links, block

    def region_series(
        self, name: str, s: Series | LevelIndicator, path: str, lo: float = LEVEL_LO
    ) -> None:
        x0 = self.ctx.value(s.base, f"{path}.base", lo)
        rates, elastic = self.growth(s.growth, x0, path)
        self.paths[name] = f"{path}.growth"
        self.add(Compound(name, False, x0, rates, tuple(Elastic(src, e) for src, e in elastic)))

    def cluster_series(
        self,
        name: str,
        get: Any,
        lo: float = LEVEL_LO,
        hi: float = math.inf,
    ) -> bool:
        """Stack one series over clusters; clusters without it get zero. Returns presence."""
        x0s: list[Array] = []
        rates: list[Array] = []
        blocks: dict[int, Block] = {}
        elastic: dict[str, list[tuple[int, Array]]] = {}
        have: set[int] = set()
        for i, cid in enumerate(self.cids):
            found = get(self.sc.clusters[cid])
            if found is None:
                x0s.append(np.zeros(1))
                rates.append(np.zeros((1, 1)))
                continue
            base, gr, path = found
            have.add(i)
            self.paths.setdefault(name, f"clusters.{cid}.{path}.growth")
            x0 = self.ctx.value(base, f"clusters.{cid}.{path}.base", lo, hi)
            r = np.zeros((1, 1))
            if gr is not None:
                r, links, block = self.growth_parts(gr, x0, f"clusters.{cid}.{path}")
                if block is not None:
                    blocks[i] = block
                for src, e in links:
                    elastic.setdefault(src, []).append((i, e))
            x0s.append(x0)
            rates.append(r)
        if not have:
            return False
        c = len(self.cids)
        x0_arr = np.stack(np.broadcast_arrays(*x0s), axis=1)  # (S', C)
        s_ = max(r.shape[0] for r in rates)
        t_ = max(r.shape[1] for r in rates)
        if blocks:  # shocked rates are (S, T), written straight into the stacked array
            s_, t_ = self.ctx.samples, len(self.years)
        rate_arr = _stack_clusters(rates, s_, t_, blocks=blocks, layout=self.ctx.rates_layout)
        elastic_ops: list[Elastic] = []
        for src, items in elastic.items():
            s_e = max(e.shape[0] for _, e in items)
            arr = np.zeros((s_e, c))
            for i, e in items:
                arr[:, i] = e
            elastic_ops.append(Elastic(src, arr))
        self.add(Compound(name, True, x0_arr, rate_arr, tuple(elastic_ops)))
        self.defined[name] = have
        return True

    # -- the graph -------------------------------------------------------------------
    def build(self) -> None:
        sc, reg = self.sc, self.sc.region
        self.region_series("gdp", reg.gdp, "region.gdp")
        for name in ("population", "industrial_output", "rd_rest", "energy_rest"):
            s = getattr(reg, name)
            if s is not None:
                self.region_series(name, s, f"region.{name}")
        for iid, ind in sc.indicators.items():
            # an integer indicator's projection is kept under an internal name ("_" is no
            # id's first letter) and the indicator is its whole units
            units = f"_{iid}_continuous" if ind.integer else iid
            if isinstance(ind, LevelIndicator):
                # its base and growth are a Series' (validated with the indicator)
                self.region_series(units, ind, f"indicators.{iid}")
            else:  # a StockIndicator, the only other kind of indicator
                self.region_series(f"{iid}_flow", ind.flow, f"indicators.{iid}.flow")
                s0 = self.ctx.value(ind.base, f"indicators.{iid}.base", LEVEL_LO)
                ex_r = self.ctx.value(ind.exit_rate, f"indicators.{iid}.exit_rate", 0.0, 1.0)
                self.add(StockFlow(units, False, s0, f"{iid}_flow", ex_r))
            if ind.integer:
                self.add(Whole(iid, False, units))
        ladders: dict[tuple[str, ...], list[str]] = {}  # per-cluster pipelines by tiers
        for pid, pipe in sc.pipelines.items():
            if pipe.cluster is None:
                self._pipeline([pid])
            else:
                ladders.setdefault(tuple(pipe.tiers), []).append(pid)
        for pids in ladders.values():
            self._pipeline(pids)
        if not self.cids:
            self._region_totals()
            return
        if sc.io is None:
            self.cluster_series("output", lambda c: (c.output.base, c.output.growth, "output"))
        else:
            self._io()
        self.add(ClusterTotal("cluster_output", "output"))
        self.defined["output"] = set(range(len(self.cids)))
        has_va = self.cluster_series(
            "va_ratio",
            lambda c: (c.va_ratio.base, c.va_ratio.growth, "va_ratio") if c.va_ratio else None,
            hi=1.0,
        )
        if has_va:
            self.add(Combine("value_added", True, (("output", "va_ratio"),)))
            self.defined["value_added"] = self.defined["va_ratio"]
        own = self.cluster_series(
            "rd_own",
            lambda c: (c.rd.base, c.rd.growth, "rd") if c.rd and c.rd.base is not None else None,
        )
        share = self.cluster_series(
            "rd_share",
            lambda c: (
                (c.rd.share_of_output.base, c.rd.share_of_output.growth, "rd.share_of_output")
                if c.rd and c.rd.share_of_output
                else None
            ),
            hi=1.0,
        )
        terms: list[tuple[str, str | None]] = []
        if own:
            terms.append(("rd_own", None))
        if share:
            terms.append(("rd_share", "output"))
        if share and own and len(self.defined["rd_share"]) > len(self.defined["rd_own"]):
            terms.reverse()
        if terms:
            self.add(Combine("rd", True, tuple(terms)))
            self.defined["rd"] = self.defined.get("rd_own", set()) | self.defined.get(
                "rd_share", set()
            )
        if has_va and self.cluster_series(
            "energy_per_va",
            lambda c: (
                (c.energy_per_va.base, c.energy_per_va.growth, "energy_per_va")
                if c.energy_per_va
                else None
            ),
        ):
            self.add(Combine("energy", True, (("energy_per_va", "value_added"),)))
            self.defined["energy"] = self.defined["energy_per_va"] & self.defined["va_ratio"]
        for cid, c in sc.clusters.items():
            if c.energy_per_va and not c.va_ratio:
                raise self.ctx.error(
                    f"clusters.{cid}.energy_per_va",
                    "needs va_ratio in the same cluster (energy = output * va_ratio * energy_per_va)",
                )
        self._firms()
        self._region_totals()

    def _firms(self) -> None:
        clusters = self.sc.clusters
        if not any(c.firms for c in clusters.values()):
            return
        self.cluster_series(
            "entries",
            lambda c: (
                (c.firms.entries.base, c.firms.entries.growth, "firms.entries")
                if c.firms and c.firms.entries
                else None
            ),
        )
        if "entries" not in self.ops:  # only growth-mode firms: zero inflow
            self.add(
                Compound(
                    "entries", True, np.zeros((1, len(self.cids))), np.zeros((1, len(self.cids), 1))
                )
            )
        s0s, exits, rates = [], [], []
        have: set[int] = set()
        for i, cid in enumerate(self.cids):
            f = clusters[cid].firms
            path = f"clusters.{cid}.firms"
            if f is None:
                s0s.append(np.zeros(1))
                exits.append(np.zeros(1))
                rates.append(np.zeros((1, 1)))
                continue
            have.add(i)
            s0 = self.ctx.value(f.base, f"{path}.base", LEVEL_LO)
            s0s.append(s0)
            exits.append(
                self.ctx.value(
                    f.exit_rate if f.exit_rate is not None else 0.0, f"{path}.exit_rate", 0.0, 1.0
                )
            )
            if f.growth is not None:
                self.own_growth.add(i)
                r, links = self.growth(f.growth, s0, path)
                if links:
                    raise self.ctx.error(f"{path}.growth", "firms cannot use elasticity growth")
                rates.append(r)
            else:
                rates.append(np.zeros((1, 1)))
        s_ = max(r.shape[0] for r in rates)
        t_ = max(r.shape[1] for r in rates)
        rate_arr = np.stack([np.broadcast_to(r, (s_, t_)) for r in rates], axis=1)
        self.add(
            StockFlow(
                "firms",
                True,
                np.stack(np.broadcast_arrays(*s0s), axis=1),
                "entries",
                np.stack(np.broadcast_arrays(*exits), axis=1),
                rate_arr if np.any(rate_arr) else None,
            )
        )
        self.defined["firms"] = have

    def _io(self) -> None:
        """Input-output coupling: each cluster's ``output`` block compiles to its uncoupled
        path ``demand`` (base-year output grown at its final-demand growth), the rest's to
        ``io_rest_demand``, and ``output`` / ``io_rest_output`` are the Leontief solve."""
        from clustersim.i18n import word

        io = self.sc.io
        assert io is not None
        self.cluster_series("demand", lambda c: (c.output.base, c.output.growth, "output"))
        self.region_series("io_rest_demand", io.rest.output, "io.rest.output")
        sectors = [*self.cids, "rest"]
        n = len(sectors)
        at = {sid: k for k, sid in enumerate(sectors)}
        entries: list[tuple[int, int, Array]] = []
        for i, row in io.coefficients.items():
            for j, v in row.items():
                a = self.ctx.value(v, f"io.coefficients.{i}.{j}", 0.0, 1.0)
                entries.append((at[i], at[j], a))
        s_ = max([1, *(a.shape[0] for _, _, a in entries)])
        coef = np.zeros((s_, n, n))
        for row_i, col_j, a in entries:
            coef[:, row_i, col_j] = a
        cols = coef.sum(axis=1)  # (S', n): inputs per unit of each buyer's output
        if np.any(cols >= 1.0):
            smp, j = np.argwhere(cols >= 1.0)[0]
            total = float(cols[smp, j])
            raise self.ctx.error(
                "io.coefficients",
                f"{word('io_not_productive', 'en', sector=sectors[j], total=total)} "
                f"({word('io_not_productive', 'zh', sector=sectors[j], total=total)})",
            )
        system = IOSystem("demand", "io_rest_demand", coef)
        self.add(Leontief("output", system))
        self.add(Leontief("io_rest_output", system, "rest"))

    def _pipeline(self, pids: list[str]) -> None:
        """A firm tier pipeline: its entries (a region series) and one :class:`Tier` op per
        tier stock and per tier inflow, sharing one :class:`TierPipeline`. Several ``pids``
        are the per-cluster ladders of one set of tiers (``cluster:``): their tiers are
        cluster series, zero (and not defined) in clusters without a ladder."""
        from clustersim.i18n import word

        per_cluster = self.sc.pipelines[pids[0]].cluster is not None
        keys = ("s0", "promote", "exit", "cap")
        ladders: dict[int, dict[str, Array]] = {}
        names: dict[int, str] = {}
        tiers = list(self.sc.pipelines[pids[0]].tiers)
        for pid in pids:
            pipe = self.sc.pipelines[pid]
            path = f"pipelines.{pid}"
            entries = f"{pid}_entries"
            self.region_series(entries, pipe.entries, f"{path}.entries")
            cols: dict[str, list[Array]] = {k: [] for k in keys}
            for tid, tier in pipe.tiers.items():
                at = f"{path}.tiers.{tid}"
                s0 = self.ctx.value(tier.base, f"{at}.base", LEVEL_LO)
                p = (
                    np.zeros(1)
                    if tier.promotion is None
                    else self.ctx.value(tier.promotion, f"{at}.promotion", 0.0, 1.0)
                )
                x = self.ctx.value(tier.exit_rate, f"{at}.exit_rate", 0.0, 1.0)
                total = p + x
                if np.any(total > 1.0):
                    bad = float(total[np.argmax(total > 1.0)])
                    raise self.ctx.error(
                        f"{at}.exit_rate",
                        f"{word('tier_leaves_too_many', 'en', total=bad)} "
                        f"({word('tier_leaves_too_many', 'zh', total=bad)})",
                    )
                cap = (
                    np.full(1, np.inf)
                    if tier.ceiling is None
                    else self.ctx.value(tier.ceiling, f"{at}.ceiling", LEVEL_LO)
                )
                for key, v in zip(keys, (s0, p, x, cap), strict=True):
                    cols[key].append(v)
            i = self.cids.index(pipe.cluster) if pipe.cluster is not None else 0
            ladders[i] = {k: np.stack(np.broadcast_arrays(*v), axis=1) for k, v in cols.items()}
            names[i] = entries
            for tid in tiers:
                self.paths.setdefault(tid, f"{path}.tiers.{tid}")
        if not per_cluster:
            one = ladders[0]
            shared = TierPipeline(names[0], one["s0"], one["promote"], one["exit"], one["cap"])
        else:
            c, k = len(self.cids), len(tiers)
            arrays: dict[str, Array] = {}
            for key in keys:
                s_ = max(lad[key].shape[0] for lad in ladders.values())
                arr = np.full((s_, c, k), np.inf if key == "cap" else 0.0)
                for i, lad in ladders.items():
                    arr[:, i, :] = lad[key]
                arrays[key] = arr
            entry_names = tuple(names.get(i, "") for i in range(c))
            shared = TierPipeline(
                entry_names, arrays["s0"], arrays["promote"], arrays["exit"], arrays["cap"]
            )
        for k, tid in enumerate(tiers):
            self.add(Tier(tid, shared, k))
            self.add(Tier(f"{tid}_in", shared, k, "in"))
            if per_cluster:
                self.defined[tid] = self.defined[f"{tid}_in"] = set(ladders)

    def _region_totals(self) -> None:
        if "rd" in self.ops or "rd_rest" in self.ops:
            if "rd" in self.ops:
                self.add(
                    ClusterTotal("rd_total", "rd", "rd_rest" if "rd_rest" in self.ops else None)
                )
            else:
                self.add(Combine("rd_total", False, (("rd_rest", None),)))
            self.add(Ratio("rd_intensity", False, "rd_total", "gdp"))
        if "energy" in self.ops or "energy_rest" in self.ops:
            if "energy" in self.ops:
                self.add(
                    ClusterTotal(
                        "energy_total",
                        "energy",
                        "energy_rest" if "energy_rest" in self.ops else None,
                    )
                )
            else:
                self.add(Combine("energy_total", False, (("energy_rest", None),)))
            self.add(Ratio("energy_intensity", False, "energy_total", "gdp"))

    def ordered(self) -> tuple[Op, ...]:
        """Ops in dependency order (Kahn's algorithm); names an elasticity cycle."""
        for op in self.ops.values():
            if not isinstance(op, Compound):
                continue
            for dep in op.deps:
                src = next(
                    (p for k, p in self.paths.items() if k.startswith(f"{dep}<-")),
                    self.paths.get(op.name, op.name),
                )
                if dep not in self.ops:
                    raise ScenarioError(
                        f"{self.where(src)}: elasticity 'to: {dep}' names no series; "
                        f"known: {', '.join(sorted(self.ops))}"
                    )
                if self.level[dep] and not op.cluster:
                    raise ScenarioError(
                        f"{self.where(src)}: region series {op.name!r} cannot follow cluster series {dep!r}"
                    )
        done: list[Op] = []
        placed: set[str] = set()
        pending = dict(self.ops)
        while pending:
            ready = [n for n, op in pending.items() if all(d in placed for d in op.deps)]
            if not ready:
                # the compound series waiting on each other close the cycle
                cyc = sorted(
                    n
                    for n, op in pending.items()
                    if isinstance(op, Compound) and any(d in pending for d in op.deps)
                )
                raise self.ctx.error(
                    self.paths.get(cyc[0], cyc[0]), f"elasticity cycle among: {', '.join(cyc)}"
                )
            for n in ready:
                done.append(pending.pop(n))
                placed.add(n)
        return tuple(done)


def _history(b: _Builder, sc: Scenario) -> dict[str, dict[int, Array]]:
    ctx, base = b.ctx, sc.base_year
    out: dict[str, dict[int, Array]] = {}
    known = {n for n, lv in b.level.items() if not lv} | set(sc.metrics)
    for name, by_year in sc.region.history.items():
        if name not in known:
            raise ctx.error(
                f"region.history.{name}",
                ex._unknown("region series or metric", name, dict.fromkeys(known)),
            )
        for year, v in by_year.items():
            if year >= base:
                raise ctx.error(
                    f"region.history.{name}.{year}", f"history must be before the base year {base}"
                )
            out.setdefault(name, {})[year] = ctx.value(v, f"region.history.{name}.{year}")
    c = len(b.cids)
    for i, cid in enumerate(b.cids):
        for name, by_year in sc.clusters[cid].history.items():
            if name not in b.level or not b.level[name]:
                raise ctx.error(
                    f"clusters.{cid}.history.{name}",
                    ex._unknown("cluster series", name, {n: 1 for n, lv in b.level.items() if lv}),
                )
            for year, v in by_year.items():
                if year >= base:
                    raise ctx.error(
                        f"clusters.{cid}.history.{name}.{year}",
                        f"history must be before the base year {base}",
                    )
                val = ctx.value(v, f"clusters.{cid}.history.{name}.{year}")
                slot = out.setdefault(name, {})
                arr = slot.get(year, np.full((1, c), np.nan))
                if arr.shape[0] != val.shape[0]:
                    arr = np.array(np.broadcast_to(arr, (max(arr.shape[0], val.shape[0]), c)))
                arr[:, i] = val
                slot[year] = arr
    return out


@dataclass(frozen=True)
class CorrelationGroup:
    """Numbers a Gaussian copula ties together: their paths (in the order the scenario
    first names them) and the lower Cholesky factor of their correlation matrix."""

    paths: tuple[str, ...]
    cholesky: Array


def correlation_groups(sc: Scenario, where: Any = None) -> list[CorrelationGroup]:
    """The groups of ``sc.shocks.correlations``: numbers linked by a chain of correlations
    form one group (unlisted pairs of a group are uncorrelated).

    Parameters
    ----------
    sc : Scenario
    where : callable, optional
        ``where(dotted_path) -> str`` for messages (``file:line: path``).

    Raises
    ------
    ScenarioError
        A pair given twice, or a group whose correlation matrix is not positive definite
        (the message names its entries).
    """
    loc = where or (lambda p: p)
    if sc.shocks is None or not sc.shocks.correlations:
        return []
    order: dict[str, int] = {}
    parent: dict[str, str] = {}

    def root(p: str) -> str:
        while parent[p] != p:
            p = parent[p]
        return p

    pairs: dict[frozenset[str], tuple[int, float]] = {}
    for i, c in enumerate(sc.shocks.correlations):
        a, b = c.between
        key = frozenset((a, b))
        if key in pairs:
            raise ScenarioError(
                f"{loc(f'shocks.correlations.{i}.between')}: the pair {a}, {b} is already "
                f"correlated by shocks.correlations.{pairs[key][0]}"
            )
        pairs[key] = (i, c.rho)
        for p in (a, b):
            if p not in order:
                order[p] = len(order)
                parent[p] = p
        parent[root(a)] = root(b)
    members: dict[str, list[str]] = {}
    for p in sorted(order, key=order.__getitem__):
        members.setdefault(root(p), []).append(p)
    out: list[CorrelationGroup] = []
    for paths in sorted(members.values(), key=lambda ps: order[ps[0]]):
        k = len(paths)
        r = np.eye(k)
        used: list[tuple[int, str, str, float]] = []
        for x in range(k):
            for y in range(x + 1, k):
                hit = pairs.get(frozenset((paths[x], paths[y])))
                if hit is not None:
                    r[x, y] = r[y, x] = hit[1]
                    used.append((hit[0], paths[x], paths[y], hit[1]))
        try:
            chol = np.linalg.cholesky(r)
        except np.linalg.LinAlgError:
            chol = None
        if chol is None or np.min(np.diag(chol)) < 1e-8:
            entries = "; ".join(f"#{i} {a} ~ {b}: rho {rho:g}" for i, a, b, rho in sorted(used))
            raise ScenarioError(
                f"{loc(f'shocks.correlations.{used[0][0]}')}: the correlations among "
                f"{', '.join(paths)} are not positive definite (no joint normal has them): "
                f"{entries}; weaken one of them"
            )
        out.append(CorrelationGroup(tuple(paths), np.asarray(chol, dtype=np.float64)))
    return out


def correlate_uniforms(
    groups: list[CorrelationGroup],
    uniforms: Mapping[str, Array],
    inverse_normal: InverseNormal | None = None,
) -> dict[str, Array]:
    """Uniforms with the Gaussian copula of ``groups`` applied: ``z = ndtri(u)``,
    ``z' = L z`` (``L`` the Cholesky factor), ``u' = ndtr(z')``. Each ``u'`` is still
    uniform, so each number keeps its distribution; the normal scores correlate as the
    groups say. Only the paths of a group all of whose paths ``uniforms`` has are returned.
    """
    ndtri = inverse_normal or default_ndtri
    out: dict[str, Array] = {}
    hi = np.nextafter(1.0, 0.0)
    for g in groups:
        if not all(p in uniforms for p in g.paths):
            continue
        z = np.column_stack([ndtri(np.asarray(uniforms[p], dtype=np.float64)) for p in g.paths])
        zc = z @ g.cholesky.T
        for j, p in enumerate(g.paths):
            out[p] = np.clip(np.asarray(ndtr(zc[:, j]), dtype=np.float64), 2.0**-60, hi)
    return out


def _copula(ctx: _Context, groups: list[CorrelationGroup]) -> None:
    """The correlated uniforms of every group, from the design's quantiles or each number's
    own stream (a Monte Carlo run only; numbers the caller drew stay as drawn)."""
    if not ctx.sample_all or not groups:
        return
    assert ctx.seed is not None
    u: dict[str, Array] = {}
    for g in groups:
        given = [p for p in g.paths if p in ctx.drawn]
        if given:
            if len(given) < len(g.paths):
                rest = [p for p in g.paths if p not in ctx.drawn]
                raise ctx.error(
                    "shocks.correlations",
                    f"{', '.join(given)} are swept and {', '.join(rest)} are not: a copula "
                    "correlates numbers drawn together (sweep all of them or none)",
                )
            continue
        for p in g.paths:
            u[p] = (
                np.asarray(ctx.uniforms[p], dtype=np.float64)
                if p in ctx.uniforms
                else uniform_stream(ctx.seed, ctx.spawn_key, p, ctx.samples, ctx.offset)
            )
    ctx.correlated = correlate_uniforms(groups, u, ctx.inverse_normal)


def _check_correlated(ctx: _Context, sc: Scenario) -> None:
    """Every path a correlation names must be an uncertain number of the scenario."""
    if sc.shocks is None:
        return
    for i, c in enumerate(sc.shocks.correlations):
        for j, p in enumerate(c.between):
            par = ctx.params.get(p)
            if par is None:
                raise ctx.error(
                    f"shocks.correlations.{i}.between.{j}",
                    f"{p!r} is not an uncertain number of the scenario"
                    f"{did_you_mean(p, ctx.params)} (a copula correlates distributions; "
                    f"uncertain numbers: {', '.join(sorted(ctx.params)) or '(none)'})",
                )


def compile_scenario(
    sc: Scenario,
    *,
    samples: int = 1,
    seed: int | None = None,
    uniforms: Mapping[str, Array] | None = None,
    spawn_key: tuple[int, ...] = (),
    offset: int = 0,
    draw: bool | None = None,
    inverse_normal: InverseNormal | None = None,
    provenance: Provenance | None = None,
    drawn: Mapping[str, Array] | None = None,
    rates_layout: RatesLayout = "year",
) -> Compiled:
    """Compile ``sc`` for ``samples`` Monte Carlo samples.

    Parameters
    ----------
    sc : Scenario
    samples : int
        ``S``. With 1, every distribution takes its central value.
    seed : int, optional
        Root seed; each uncertain number draws from
        ``SeedSequence(seed, spawn_key=(*spawn_key, crc32(path)))``.
    uniforms : dict of path to (S,) array, optional
        Quantiles chosen by an experimental design (LHS, Sobol) instead of random draws.
    spawn_key : tuple of int
        Extra spawn key (a sweep's chunk index) so chunks draw independent streams.
    offset : int
        Index of the first sample: compiling samples ``offset .. offset + samples - 1``
        draws exactly those samples of a run of more samples, so a large Monte Carlo run can
        be projected chunk by chunk with results identical to one pass. A nonzero offset
        always draws (never central values).
    draw : bool, optional
        Draw uncertain numbers (True) or use central values (False); by default draws
        when ``samples > 1``, ``offset > 0`` or ``uniforms`` are given.
    inverse_normal : callable, optional
        The standard normal quantile function normal and lognormal numbers draw with
        (scipy's compiled ``ndtri``, :func:`clustersim.sampling.normal_cdf.cephes_ndtri`, when None); an engine passes its own
        (:meth:`clustersim.engines.Engine.inverse_normal`).
    provenance : Provenance, optional
        Where each value was written, for ``file:line`` in error messages; by default the
        one the scenario was loaded with (:attr:`Scenario.provenance`).
    drawn : dict of path to (S,) array, optional
        Values the caller already drew from ``uniforms`` (``ppf(u, lo, hi)`` with the same
        ``inverse_normal``, as a sweep does for its inputs table): used as given, so each
        number is drawn once. Only for paths in ``uniforms``.
    rates_layout : {"year", "sample"}
        How shocked cluster rates are stored (:data:`RatesLayout`); only speed depends on
        it. An engine passes its own (:meth:`clustersim.engines.Engine.rates_layout`).
    """
    if samples < 1:
        raise ScenarioError(f"samples must be >= 1, got {samples}")
    if offset < 0:
        raise ScenarioError(f"offset must be >= 0, got {offset}")
    sample_all = (samples > 1 or offset > 0 or bool(uniforms)) if draw is None else draw
    if sample_all and seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**63)  # type: ignore[operator]
    prov = provenance if provenance is not None else sc.provenance
    comp, _ = _compile(
        sc,
        samples,
        seed,
        uniforms,
        spawn_key,
        offset,
        sample_all,
        inverse_normal,
        prov,
        drawn,
        rates_layout=rates_layout,
    )
    return comp


@dataclass(frozen=True)
class _Shape:
    """What compiling a scenario works out that no drawn value changes: the copula's groups,
    the ops' dependency order, the cluster groups, the parsed metrics and compiled targets."""

    correlations: list[CorrelationGroup]
    order: tuple[str, ...]
    groups: dict[str, NDArray[np.intp]]
    metrics: dict[str, ex.Expr]
    targets: dict[str, CompiledTarget]
    #: the paths whose numbers were drawn from their own stream, in order: a later compile
    #: seeds and draws them all in one call (``uniform_streams``) instead of one by one
    streamed: tuple[str, ...] = ()


def _compile(
    sc: Scenario,
    samples: int,
    seed: int | None,
    uniforms: Mapping[str, Array] | None,
    spawn_key: tuple[int, ...],
    offset: int,
    sample_all: bool,
    inverse_normal: InverseNormal | None,
    provenance: Provenance | None,
    drawn: Mapping[str, Array] | None,
    shape: _Shape | None = None,
    rates_layout: RatesLayout = "year",
    growths: KeptGrowths | None = None,
    scratch: dict[str, Array] | None = None,
) -> tuple[Compiled, _Shape]:
    """Compile ``sc`` (:func:`compile_scenario`'s arguments, checked). With ``shape`` (from an
    earlier compile of the same scenario with the same ``sample_all``), only what depends on
    the drawn values is worked out again: the ops' arrays, the history and their checks.
    ``growths`` keeps growth rates compiled from constants from one call to the next
    (:attr:`_Context.growths`), ``scratch`` the buffer the streams are drawn into."""
    years = np.arange(sc.base_year, sc.end_year + 1, dtype=np.int64)
    ctx = _Context(
        years,
        samples,
        seed,
        spawn_key,
        uniforms,
        sample_all,
        offset,
        inverse_normal,
        drawn,
        rates_layout,
    )
    ctx.provenance = provenance
    ctx.growths = growths
    if shape is not None and shape.streamed and seed is not None and sample_all:
        # a compiler's chunks draw into one buffer: a fresh one of several MB a chunk is
        # fresh pages, a page fault each, wherever malloc gives such blocks back to the
        # system (the inverse CDFs make new arrays: nothing compiled keeps a view of it)
        buf = scratch.get("streams") if scratch is not None else None
        if buf is None or buf.shape != (samples, len(shape.streamed)):
            buf = np.empty((samples, len(shape.streamed)), order="F")
            if scratch is not None:
                scratch["streams"] = buf
        batch = uniform_streams(seed, spawn_key, shape.streamed, samples, offset, out=buf)
        ctx.streams = {p: batch[:, j] for j, p in enumerate(shape.streamed)}
    corr = shape.correlations if shape is not None else []
    if sc.shocks is not None:
        ctx.factors = {name: f.ar for name, f in sc.shocks.factors.items()}
        if shape is None:
            corr = correlation_groups(sc, ctx.where)
        _copula(ctx, corr)
    b = _Builder(sc, ctx)
    try:
        b.build()
        if shape is None:
            _check_correlated(ctx, sc)
            ops = b.ordered()
        else:
            ops = tuple(b.ops[name] for name in shape.order)
        history = _history(b, sc)
    except ValueError as exc:  # a ScenarioError is no ValueError: it passes as it is
        raise ScenarioError(str(exc)) from exc
    if shape is None:
        cidx = {c: i for i, c in enumerate(b.cids)}
        groups = {
            g: np.array([cidx[c] for c in grp.clusters], dtype=np.intp)
            for g, grp in sc.groups.items()
        }
        groups["all"] = np.arange(len(b.cids), dtype=np.intp)
    else:
        groups = dict(shape.groups)
    model = Model(years, tuple(b.cids), samples, ops, groups, history)
    comp = Compiled(
        sc, model, {}, {}, dict(ctx.params), seed, b.defined, ctx.provenance, tuple(ctx.shocked)
    )
    if shape is None:
        _compile_metrics(comp, b)
        for tid, t in sc.targets.items():
            comp.targets[tid] = _compile_target(comp, b, tid, t)
        shape = _Shape(
            corr,
            tuple(op.name for op in ops),
            dict(groups),
            dict(comp.metrics),
            dict(comp.targets),
            tuple(ctx.streamed),
        )
    else:
        comp.metrics.update(shape.metrics)
        comp.targets.update(shape.targets)
    return comp, shape


class ScenarioCompiler:
    """Compiles one scenario again and again for different samples, as a sweep does chunk
    after chunk: what no drawn value changes (the copula's groups, the ops' order, the
    metrics and targets, and the rates of growths compiled from constants alone) is worked
    out by the first :meth:`compile` and reused, so each later call only builds the ops'
    arrays from its samples (and checks them).

    Each call returns exactly what :func:`compile_scenario` returns for the same arguments
    (the compiled targets and metrics are shared between the calls' results, read only).
    Two threads may compile at once (each draws into buffers of its own); the first call
    of each then works the structure out, the same either way.

    Parameters
    ----------
    sc : Scenario
    seed : int, optional
        As :func:`compile_scenario`'s (a fresh one per call when None and drawing).
    draw : bool
        Draw uncertain numbers (True) or use central values (False).
    inverse_normal, provenance, rates_layout
        As :func:`compile_scenario`'s.
    """

    def __init__(
        self,
        sc: Scenario,
        *,
        seed: int | None = None,
        draw: bool = True,
        inverse_normal: InverseNormal | None = None,
        provenance: Provenance | None = None,
        rates_layout: RatesLayout = "year",
    ) -> None:
        self.scenario = sc
        self.seed = seed
        self.draw = draw
        self.inverse_normal = inverse_normal
        self.rates_layout: RatesLayout = rates_layout
        self.provenance = provenance if provenance is not None else sc.provenance
        self._shape: _Shape | None = None
        #: growth rates compiled from constants alone, by path, reused by later calls
        self._growths: KeptGrowths = {}
        #: buffers one call lends the next (the streams drawn at once), by thread, then by
        #: use: chunks compiled on two threads at once (``run_targets``) draw into their own
        self._scratch: dict[int, dict[str, Array]] = {}
        #: how many calls worked out the structure (1 after the first call)
        self.structure_compiles = 0

    def compile(
        self,
        *,
        samples: int,
        uniforms: Mapping[str, Array] | None = None,
        spawn_key: tuple[int, ...] = (),
        offset: int = 0,
        drawn: Mapping[str, Array] | None = None,
    ) -> Compiled:
        """:func:`compile_scenario` of this scenario for these samples."""
        if samples < 1:
            raise ScenarioError(f"samples must be >= 1, got {samples}")
        if offset < 0:
            raise ScenarioError(f"offset must be >= 0, got {offset}")
        seed = self.seed
        if self.draw and seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**63)  # type: ignore[operator]
        shape = self._shape
        comp, got = _compile(
            self.scenario,
            samples,
            seed,
            uniforms,
            spawn_key,
            offset,
            self.draw,
            self.inverse_normal,
            self.provenance,
            drawn,
            shape,
            rates_layout=self.rates_layout,
            growths=self._growths,
            scratch=self._scratch.setdefault(threading.get_ident(), {}),
        )
        if shape is None:
            self._shape = got
            self.structure_compiles += 1
        return comp


def _err(comp: Compiled, path: tuple[str, ...], msg: str) -> ScenarioError:
    return ScenarioError(f"{comp.at(*path)}: {msg}")


def _compile_metrics(comp: Compiled, b: _Builder) -> None:
    for mid, m in comp.scenario.metrics.items():
        try:
            e = ex.parse(m.expr)
            ex.require_series(e)
            b.level[mid] = ex.level_of(e, b.level, comp.model.groups, _cidx(b))
        except ex.ExprError as exc:
            raise _err(comp, ("metrics", mid), str(exc)) from exc
        comp.metrics[mid] = e
        _check_coverage(comp, b, e, ("metrics", mid))
        _check_at_years(comp, e, ("metrics", mid))


def _check_at_years(comp: Compiled, e: ex.Expr, path: tuple[str, ...]) -> None:
    """No ``x@year`` after the end year (the loader says so first, with the valid range; a
    scenario built in Python reaches this). Years before the base year need history, which
    evaluation checks."""
    end = comp.scenario.end_year
    for y in ex.years_in(e):
        if y > end:
            raise _err(comp, path, f"@{y} is after the end of the projection (end_year {end})")


def _cidx(b: _Builder) -> dict[str, int]:
    return {c: i for i, c in enumerate(b.cids)}


def _check_coverage(
    comp: Compiled, b: _Builder, e: ex.Expr, path: tuple[str, ...], scope: set[int] | None = None
) -> None:
    """Every cluster an expression reads must define the series it reads."""
    groups = comp.model.groups
    if isinstance(e, ex.Reduce):
        sel = set(groups[e.group].tolist()) if e.group else set(range(len(b.cids)))
        _check_coverage(comp, b, e.arg, path, sel)
    elif isinstance(e, ex.Bin):
        _check_coverage(comp, b, e.left, path, scope)
        _check_coverage(comp, b, e.right, path, scope)
    elif isinstance(e, ex.Neg | ex.At):
        _check_coverage(comp, b, e.operand, path, scope)
    elif isinstance(e, ex.Name | ex.Pick):
        name = e.id if isinstance(e, ex.Name) else e.name
        have = comp.defined.get(name)
        if have is None:
            return
        sel = (
            {_cidx(b)[e.cluster]}
            if isinstance(e, ex.Pick)
            else (scope if scope is not None else set(range(len(b.cids))))
        )
        missing = sorted(b.cids[i] for i in sel - have)
        if missing:
            raise _err(comp, path, f"{name!r} is not defined for cluster(s) {', '.join(missing)}")


def _compile_target(comp: Compiled, b: _Builder, tid: str, t: Target) -> CompiledTarget:
    """Target ``t`` as a :class:`TargetSpec`: what is kind-specific (the metric it reads,
    whether that may be per cluster, the spec's fields) comes from its kind class."""
    path = ("targets", tid)
    base, end = comp.scenario.base_year, comp.scenario.end_year
    if not base <= t.year <= end:
        raise _err(comp, (*path, "year"), f"{t.year} is outside the projection {base}-{end}")
    start = t.start()
    if start is not None and start >= t.year:
        raise _err(
            comp, path, f"the window must start before the target year {t.year}, got {start}"
        )
    try:
        metric = t.metric_expr()
        ex.require_series(metric)
        metric = _price_basis(comp, t, metric, path)
        cluster_level = ex.level_of(metric, b.level, comp.model.groups, _cidx(b))
        t.check_metric(cluster_level, comp.model.groups)
    except ex.ExprError as exc:
        raise _err(comp, path, str(exc)) from exc
    _check_at_years(comp, metric, path)
    group = t.scope_group()
    covered = set(comp.model.groups[group].tolist()) if group else None
    _check_coverage(comp, b, metric, path, covered)
    spec = t.to_spec(tid, metric)
    scope = ClusterScope(
        tuple(b.cids), comp.model.groups, {c: cl.parent for c, cl in comp.scenario.clusters.items()}
    )
    try:
        spec = t.bind(spec, scope)
    except ex.ExprError as exc:
        raise _err(comp, path, str(exc)) from exc
    levers = _levers(comp, b, t, metric, path)
    return CompiledTarget(spec, t, levers[0] if levers else None, levers)


def _price_basis(comp: Compiled, t: Target, metric: ex.Expr, path: tuple[str, ...]) -> ex.Expr:
    """The metric at the target's price basis (``basis: comparable``: scenario/prices.py)."""
    from clustersim.scenario.prices import PriceError, price_basis

    try:
        return price_basis(comp.scenario, t, metric)
    except PriceError as exc:
        raise _err(comp, (*path, exc.field), str(exc)) from exc


def _levers(
    comp: Compiled, b: _Builder, t: Target, metric: ex.Expr, path: tuple[str, ...]
) -> tuple[Lever, ...]:
    """The compound series a required-growth search moves for target ``t``: each lever
    given (``lever:`` may list several), or the default one."""
    given = t.levers()
    if not given:
        default = _default_lever(comp, b, t, metric)
        return () if default is None else (default,)
    out: list[Lever] = []
    for i, lv in enumerate(given):
        where = (*path, "lever", str(i)) if isinstance(t.lever, list) else (*path, "lever")
        found = _given_lever(comp, b, lv, where)
        if found is not None:
            out.append(found)
    return tuple(out)


def _given_lever(comp: Compiled, b: _Builder, lv: Any, where: tuple[str, ...]) -> Lever | None:
    cidx = _cidx(b)
    name = lv.series
    if name not in b.ops:
        raise _err(comp, where, f"unknown series {name!r}; known: {', '.join(sorted(b.ops))}")
    sel: tuple[int, ...] | None = None
    if lv.group:
        if lv.group not in comp.model.groups:
            raise _err(comp, (*where, "group"), f"unknown group {lv.group!r}")
        sel = tuple(comp.model.groups[lv.group].tolist())
    if lv.clusters:
        unknown = [c for c in lv.clusters if c not in cidx]
        if unknown:
            raise _err(comp, (*where, "clusters"), f"unknown cluster(s) {unknown}")
        sel = tuple(cidx[c] for c in lv.clusters)
    return _follow(comp, b, name, sel)


def _default_lever(comp: Compiled, b: _Builder, t: Target, metric: ex.Expr) -> Lever | None:
    """The first series the metric reads, within its group or cluster."""
    first = _first(metric)
    if first is None:  # pragma: no cover  (compile refused a metric of no series)
        return None
    name, sel = first
    group = t.scope_group()
    if group:
        sel = tuple(comp.model.groups[group].tolist())
    return _follow(comp, b, name, sel)  # _follow reads a group id (str) as its clusters


def _first(e: ex.Expr, group: Any = None) -> tuple[str, Any] | None:
    if isinstance(e, ex.Name):
        return e.id, group
    if isinstance(e, ex.Pick):
        return e.name, ("pick", e.cluster)
    if isinstance(e, ex.Neg | ex.At):
        return _first(e.operand, group)
    if isinstance(e, ex.Bin):
        return _first(e.left, group) or _first(e.right, group)
    if isinstance(e, ex.Reduce):
        return _first(e.arg, e.group if e.group else group)
    return None


def _follow(comp: Compiled, b: _Builder, name: str, sel: Any) -> Lever | None:
    if isinstance(sel, tuple) and len(sel) == 2 and sel[0] == "pick":
        sel = (_cidx(b)[sel[1]],)
    elif isinstance(sel, str):
        sel = tuple(comp.model.groups[sel].tolist())
    seen: set[str] = set()
    while name not in seen:
        seen.add(name)
        if name in comp.metrics:
            f = _first(comp.metrics[name])
            if f is None:  # pragma: no cover  (as in _default_lever: it reads a series)
                return None
            name, inner = f
            if isinstance(inner, tuple):  # ("pick", cluster id)
                sel = (_cidx(b)[inner[1]],)
            elif inner is not None:  # a group id
                sel = tuple(comp.model.groups[inner].tolist())
            continue
        op = b.ops.get(name)
        # a lever names an op, a metric reads ops and metrics, an op's deps are ops
        if op is None:  # pragma: no cover  (every name followed is an op or a metric)
            return None
        if isinstance(op, Compound):
            if not op.cluster:
                sel = None
            elif sel is None and len(comp.defined.get(name, ())) < len(b.cids):
                sel = tuple(sorted(comp.defined.get(name, ())))
            if sel is not None and name in comp.defined:
                sel = tuple(i for i in sel if i in comp.defined[name])
            return Lever(name, sel, _lever_label(comp, b, name, sel))
        if isinstance(op, Combine):
            name = op.terms[0][0]
        elif isinstance(op, StockFlow):
            own = _own_growth_lever(comp, b, op, sel)
            if own is not None:
                return own
            name = op.flow
        elif isinstance(op, Tier):
            ent = op.pipeline.entries
            if isinstance(ent, str):
                name = ent
                continue
            # a per-cluster ladder: the entries of the one selected cluster that has one
            chosen = range(len(ent)) if sel is None else sel
            picked = [ent[i] for i in chosen if ent[i]]
            if len(picked) != 1:
                return None
            name, sel = picked[0], None
        elif isinstance(op, Leontief):
            name = op.system.demand if op.cluster else op.system.rest_demand
        elif isinstance(op, ClusterTotal):
            name = op.part
        elif isinstance(op, Ratio):
            name = op.num
        else:  # a Whole, the last kind of op
            name = op.source
    # following never comes back to a name: an op's deps come before it (Model checks) and a
    # metric reads only ops and the metrics before it
    return None  # pragma: no cover  (no name is seen twice: above)


def _own_growth_lever(
    comp: Compiled, b: _Builder, op: StockFlow, sel: tuple[int, ...] | None
) -> Lever | None:
    """The stock's own rate as the lever, for the selected clusters whose firms have their
    own ``growth:``, when none of the selected clusters has an inflow (``entries``) to move
    instead; None to follow the flow."""
    if op.rates is None:
        return None
    chosen = set(range(len(b.cids))) if sel is None else set(sel)
    if chosen & comp.defined.get(op.flow, set()):
        return None
    grows = tuple(sorted(chosen & b.own_growth))
    if not grows:
        return None
    clusters = None if len(grows) == len(b.cids) else grows
    return Lever(op.name, clusters, _lever_label(comp, b, op.name, clusters))


def _lever_label(comp: Compiled, b: _Builder, name: str, sel: tuple[int, ...] | None) -> str:
    """``output``, ``output[strategic_emerging]`` (a group), ``output[a, b]`` or ``output[5 clusters]``."""
    if sel is None or len(sel) == len(b.cids):
        return name
    for gid, idx in comp.model.groups.items():
        if set(idx.tolist()) == set(sel):  # ("all" returned above: every cluster)
            return f"{name}[{gid}]"
    if len(sel) <= 2:
        return f"{name}[{', '.join(b.cids[i] for i in sel)}]"
    return f"{name}[{len(sel)} clusters]"


def uncertain_parameters(sc: Scenario) -> dict[str, Param]:
    """Every uncertain number of ``sc`` by path (compiles once with one sample)."""
    return compile_scenario(sc, samples=1).params
