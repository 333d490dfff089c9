"""An independent reference engine: the documented scenario semantics as plain loops.

Every formula here is written from ``docs/scenario-format.md`` (cited as ``§n`` next to
the code that implements it), not from the production engine: nothing below imports
``clustersim.core``, ``clustersim.compile``'s arithmetic or the target code. The engine
loops over samples, then computes each series year by year with Python floats, on
demand and memoised, so every number can be read next to the sentence it implements.
It is slow on purpose; it exists to hold the fast engines to the documentation.

Inputs are a scenario *document* (the plain mapping a YAML file gives once ``extends:``
is resolved; :func:`scenario_document` makes one from a file or a validated model) and,
for Monte Carlo, the per-sample value of every uncertain number keyed by its dotted path
(``region.gdp.growth.rate``); :func:`production_draws` reads those from the production
draw code, because distributions are tested on their own.

Choices where the documentation leaves room (each is marked ``CHOICE`` below):

- ``rd_share`` is the *share* (a fraction), as in §11 (``rd = rd_own + rd_share ×
  output``), not the R&D amount it implies (§7 calls ``rd`` "their sum").
- A cluster series a cluster does not define (no ``rd`` block...) is *undefined*
  (``NaN`` in the output arrays); totals skip it ("contributes nothing", §7) and a
  reduction or pick that reads it is an error (§12).
- ``entries`` is 0 for a stock-flow firm block without ``entries`` (§7: "with neither,
  the count stays at base"), and undefined for a firm block with its own ``growth``.
- In the "every year" kinds, the binding year is the *earliest* year of smallest margin
  (§13 says "the binding year (the smallest margin)" without a tie rule). With tiers,
  the binding tier is the one of smallest margin with the highest threshold.
- A central value of a distribution is clamped to its own ``low``/``high`` and to the
  field's natural bounds (§4.4); a growth rate's bound "above -100%" is taken as -1.
- Drawn values are used as given (the draw code truncates them; §4.3).
- Division by zero gives IEEE infinities/NaN rather than an exception, so a bad metric
  shows up as a non-finite value (production stops with an error there, §12).
- ``elasticity.to`` inside a cluster names the cluster's own series when it is a cluster
  series name (§11 list), else a region series (§10: "a cluster series may also follow a
  series of its own cluster").
- Before the base year a metric's own ``region.history`` value wins over recomputing it
  from its names' history (§6 recomputes only "a metric without its own history").
- With tiers, met is ``margin >= -1e-9 × max(1, at_least of every tier)``; counts are
  integers, so this is ``margin >= 0``.
"""

from __future__ import annotations

import ast
import itertools
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ReferenceError",
    "ReferenceResult",
    "ReferenceTarget",
    "production_draws",
    "run_reference",
    "scenario_document",
]

Array = NDArray[np.float64]
#: a value in one year: a float (region-level) or one entry per cluster (cluster-level;
#: ``None`` where the cluster does not define the series)
Value = float | list[float | None]

#: §13 "Goals, margin": a margin down to -1e-9 × max(1, |a|, |b|) still counts as met
MET_RTOL = 1e-9

#: §5 region series given under ``region``
REGION_BLOCKS = ("gdp", "population", "industrial_output", "rd_rest", "energy_rest")
#: §11 cluster series (``to:`` of a cluster elasticity resolves among these first)
CLUSTER_NAMES = (
    "output",
    "va_ratio",
    "value_added",
    "rd_own",
    "rd_share",
    "rd",
    "energy_per_va",
    "energy",
    "entries",
    "firms",
)
#: §11 region totals derived from clusters
DERIVED_REGION = ("cluster_output", "rd_total", "rd_intensity", "energy_total", "energy_intensity")
#: §12 reductions over clusters
REDUCERS = ("sum", "mean", "min", "max")

# §4.3 "Natural bounds" of the fields numbers sit in
RATE = (-1.0, math.inf)  # growth rates: above -100%
LEVEL = (0.0, math.inf)  # every base, to_target.value, logistic capacity and rate
UNIT = (0.0, 1.0)  # va_ratio.base, rd.share_of_output.base, exit_rate
FREE = (-math.inf, math.inf)  # elasticity, history values


#: cluster money series: at the price basis of the cluster's output
_MONEY = ("output", "value_added", "rd")

class ReferenceError(ValueError):
    """The reference cannot evaluate something (missing history, undefined series...)."""


@dataclass
class ReferenceTarget:
    """One target's per-sample outcome, with the production ``Outcome`` conventions.

    Attributes
    ----------
    value : ndarray (S,)
        The target's value (of the binding year or tier for the window and tier kinds).
    margin : ndarray (S,)
        In the value's units, >= 0 when met (§13).
    met : ndarray of bool (S,)
        ``margin >= -1e-9 × max(1, |a|, |b|)`` (§13).
    """

    value: Array
    margin: Array
    met: NDArray[np.bool_]


@dataclass
class ReferenceResult:
    """What :func:`run_reference` projects.

    Attributes
    ----------
    years : list of int
        ``base_year .. end_year``.
    clusters : tuple of str
        Cluster ids in document order.
    samples : int
    series : dict of str to ndarray
        Region series and region metrics ``(S, T)``; cluster series and cluster metrics
        ``(S, C, T)``, ``NaN`` where a cluster does not define the series.
    targets : dict of str to ReferenceTarget
    """

    years: list[int]
    clusters: tuple[str, ...]
    samples: int
    series: dict[str, Array] = field(default_factory=dict)
    targets: dict[str, ReferenceTarget] = field(default_factory=dict)


# --- numbers (§4) -----------------------------------------------------------------------------


def _plain(v: Any) -> float:
    """A plain number: ``0.05``, ``"5%"`` (= 0.05) or ``"9,800"`` (= 9800) (§1, §4.1)."""
    if isinstance(v, bool):
        raise ReferenceError(f"not a number: {v!r}")
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        s = v.strip()
        if s.endswith("%"):
            return float(s[:-1]) / 100.0
        return float(s.replace(",", "").replace("_", ""))
    raise ReferenceError(f"not a number: {v!r}")


def _central(d: Mapping[str, Any], lo: float, hi: float) -> float:
    """§4.3 table "central value (plain run)", clamped as §4.4 says."""
    kind = d["dist"]
    if kind == "normal":
        c = _plain(d["mean"])
    elif kind == "lognormal":
        c = _plain(d["median"])
    elif kind == "uniform":
        c = (_plain(d["low"]) + _plain(d["high"])) / 2.0
    elif kind == "triangular":
        c = _plain(d["mode"])
    else:
        raise ReferenceError(f"unknown distribution {kind!r}")
    # §4.4: "clamped to its own low/high and to the natural bounds"
    own_lo = _plain(d["low"]) if d.get("low") is not None else -math.inf
    own_hi = _plain(d["high"]) if d.get("high") is not None else math.inf
    return min(max(c, lo, own_lo), hi, own_hi)


# --- growth kinds (§10) -----------------------------------------------------------------------


def _growth_block(g: Any) -> dict[str, Any] | None:
    """Normalise the §10 shorthands: ``0.05``, ``"5%"``, ``{rate: r}`` and a bare
    distribution all mean ``{kind: constant, rate: ...}``; ``None`` is no growth."""
    if g is None:
        return None
    if not isinstance(g, Mapping):
        return {"kind": "constant", "rate": g}
    if "dist" in g:
        return {"kind": "constant", "rate": dict(g)}
    if "kind" not in g:
        return {"kind": "constant", **g}
    return dict(g)


def _path_rate(knots: list[tuple[int, float]], year: int, interpolation: str) -> float:
    """§10 ``path``: step holds the rate of the latest listed year <= t; linear
    interpolates between listed years; before the first its rate holds, after the last
    the last."""
    if year <= knots[0][0]:
        return knots[0][1]
    if year >= knots[-1][0]:
        return knots[-1][1]
    for (y0, r0), (y1, r1) in itertools.pairwise(knots):
        if y0 <= year < y1:
            if interpolation == "step":
                return r0
            return r0 + (r1 - r0) * (year - y0) / (y1 - y0)
    raise AssertionError("unreachable: year inside the knots")


# --- expressions (§12) ------------------------------------------------------------------------


def _div(a: float, b: float) -> float:
    """IEEE division: x/0 is ±inf, 0/0 NaN (Python would raise)."""
    if b == 0.0:
        if a == 0.0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _pow(a: float, b: float) -> float:
    """``a ** b`` as a real number: NaN where it has none, inf on overflow."""
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


_BINOPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: _div,
    ast.Pow: _pow,
}


#: §12 "a value in a fixed year": ``x@2020`` binds tighter than every operator, like a
#: subscript; Python's own ``@`` (a product, as loose as ``*``) does not
_AT_YEAR = re.compile(r"@\s*(\d+)(?![\w.])")


def _parse(text: str) -> ast.expr:
    """Parse an expression of §12 with Python's own grammar: §12 promises Python
    precedence (``-x ** 2`` is ``-(x ** 2)``), and the walker below accepts only the
    whitelisted node types. ``x@2020`` is read as the subscript ``x[2020]`` (an integer
    subscript is a year; a cluster is picked by name)."""
    return ast.parse(_AT_YEAR.sub(r"[\1]", text.strip()), mode="eval").body


def _elementwise(a: Value, b: Value, op: Callable[[float, float], float]) -> Value:
    """§12 "mixing levels": a region value broadcasts over clusters."""
    if isinstance(a, float) and isinstance(b, float):
        return op(a, b)
    n = len(a) if isinstance(a, list) else len(b) if isinstance(b, list) else 0
    av: list[float | None] = a if isinstance(a, list) else [a] * n
    bv: list[float | None] = b if isinstance(b, list) else [b] * n
    return [None if x is None or y is None else op(x, y) for x, y in zip(av, bv, strict=True)]


# --- one sample -------------------------------------------------------------------------------


class _Sample:
    """Every series of one sample, computed on demand with Python floats and memoised.

    ``number(node, path, bounds)`` is the only place a scenario number becomes a float:
    a drawn value for this sample when ``path`` is uncertain, else the plain value.
    """

    def __init__(
        self,
        doc: Mapping[str, Any],
        draw: Callable[[str], float | None],
        draw_row: Callable[[str], list[float] | None] | None = None,
    ) -> None:
        self.doc = doc
        self.draw = draw
        #: a row of standard normals, one per projected year (shocks), or None in a plain run
        self.draw_row = draw_row or (lambda path: None)
        shocks = doc.get("shocks") or {}
        self.factor_ar = {
            name: _plain((f or {}).get("ar") or 0.0)
            for name, f in (shocks.get("factors") or {}).items()
        }
        self._factors: dict[str, list[float]] = {}
        self.base = int(doc["base_year"])
        self.end = int(doc["end_year"])
        self.years = list(range(self.base, self.end + 1))  # §1: base_year .. end_year inclusive
        self.region_doc: Mapping[str, Any] = doc["region"]
        self.clusters_doc: Mapping[str, Any] = doc.get("clusters") or {}
        self.cids = list(self.clusters_doc)
        self.groups = {g: list(v["clusters"]) for g, v in (doc.get("groups") or {}).items()}
        self.groups["all"] = list(self.cids)  # §8: a built-in group `all` holds every cluster
        self.indicators: Mapping[str, Any] = doc.get("indicators") or {}
        self.pipelines: Mapping[str, Any] = doc.get("pipelines") or {}
        self.io_doc: Mapping[str, Any] | None = doc.get("io")
        # §9a cluster: the tiers of per-cluster ladders are cluster series
        self.cluster_names = set(CLUSTER_NAMES)
        for pipe in self.pipelines.values():
            if pipe.get("cluster") is not None:
                for tid in pipe["tiers"]:
                    self.cluster_names |= {tid, f"{tid}_in"}
        self._io: dict[str, list[float]] | None = None
        self._tiers: dict[str, dict[str, list[float]]] = {}
        self.metrics: dict[str, ast.expr] = {}
        for mid, m in (doc.get("metrics") or {}).items():
            self.metrics[mid] = _parse(m if isinstance(m, str) else m["expr"])
        self._region: dict[str, list[float] | None] = {}
        self._cluster: dict[tuple[str, str], list[float] | None] = {}
        self._metric: dict[str, list[Value]] = {}
        self._busy: set[str] = set()  # §10: an elasticity cycle is an error

    # -- numbers

    def number(self, node: Any, path: str, bounds: tuple[float, float]) -> float:
        """§4: a plain number, an observation (annualised ``value × 12 / months``, §4.2) or
        a distribution (this sample's draw, or its central value, §4.4)."""
        if node is None:
            raise ReferenceError(f"{path}: a number is required")
        if isinstance(node, Mapping) and "dist" in node:
            drawn = self.draw(path)
            return drawn if drawn is not None else _central(node, *bounds)
        if isinstance(node, Mapping):  # §4.2 observation
            months = node.get("months")
            v = _plain(node["value"])
            return v * 12.0 / int(months) if months else v
        return _plain(node)

    # -- compounding (§10)

    def compound(
        self, x0: float, growth: Any, path: str, follow: Callable[[str], list[float]]
    ) -> list[float]:
        """The levels of a series from its base value ``x0`` and its ``growth`` (§10):
        ``x[t] = x[t-1] × (1 + g[t])`` for t = base_year + 1 … end_year; logistic gives
        the levels directly. ``follow(to)`` gives the series an elasticity follows."""
        g = _growth_block(growth)
        n = len(self.years)
        if g is None:
            return [x0] * n  # §5: default growth is none
        kind = g["kind"]
        dev = self.deviations(g.get("shocks"), path)
        if kind == "logistic":
            # §10 logistic: x[t] = K / (1 + (K / x[base] − 1) × e^(−r (t − base_year)))
            k = self.number(g["capacity"], f"{path}.capacity", LEVEL)
            r = self.number(g["rate"], f"{path}.rate", LEVEL)
            out = [x0]
            for t in self.years[1:]:
                out.append(k / (1.0 + (k / x0 - 1.0) * math.exp(-r * (t - self.base))))
            if dev is None:
                return out
            # §10a: the shocks multiply each year's growth factor x[t] / x[t-1] by e^d[t]
            logistic = out
            out = [x0]
            for i in range(1, n):
                own = logistic[i] / logistic[i - 1] - 1.0
                out.append(out[-1] * (1.0 + ((1.0 + own) * math.exp(dev[i]) - 1.0)))
            return out
        if dev is not None and kind == "elasticity":
            # §10a: an elasticity's own rate is 0; the followed growth is added to e^d[t] − 1
            rates = self.rates(g, x0, path, follow)
            shocked = [rates[i] + (math.exp(dev[i]) - 1.0) for i in range(n)]
        else:
            rates = self.rates(g, x0, path, follow)
            shocked = rates
            if dev is not None:  # §10a: (1 + r[t]) × e^d[t] − 1
                shocked = [(1.0 + rates[i]) * math.exp(dev[i]) - 1.0 for i in range(n)]
        out = [x0]
        for i in range(1, n):
            out.append(out[-1] * (1.0 + shocked[i]))
        return out

    def factor(self, name: str) -> list[float]:
        """§10a factor path: F[base] = 0, F[t] = ar_f × F[t-1] + eta[t] (memoised)."""
        if name not in self._factors:
            eta = self.draw_row(f"shocks.factors.{name}")
            if eta is None:
                raise ReferenceError(f"no draws for factor {name}")
            ar = self.factor_ar[name]
            f = [0.0]
            for k in range(len(eta)):
                f.append(ar * f[-1] + eta[k])
            self._factors[name] = f
        return self._factors[name]

    def deviations(self, sh: Any, path: str) -> list[float] | None:
        """§10a: d[base] = 0, d[t] = ar × d[t-1] + e[t] with
        e[t] = sd × (√loading × F[t] + √(1 − loading) × z[t]); None without shocks or in
        a plain run."""
        if sh is None:
            return None
        z = self.draw_row(f"{path}.shocks")
        sd = self.number(sh["sd"], f"{path}.shocks.sd", (0.0, math.inf))
        if z is None:
            return None
        ar = _plain(sh.get("ar") or 0.0)
        name = sh.get("factor")
        loading = 0.0
        if name is not None:
            loading = 0.5 if sh.get("loading") is None else _plain(sh["loading"])
            if name not in self.factor_ar:
                raise ReferenceError(f"{path}.shocks.factor: unknown factor {name!r}")
        f = self.factor(name) if name is not None else None
        d = [0.0]
        for k in range(len(z)):
            e = math.sqrt(1.0 - loading) * z[k]
            if f is not None:
                e += math.sqrt(loading) * f[k + 1]
            d.append(ar * d[-1] + sd * e)
        return d

    def rates(
        self, g: Mapping[str, Any], x0: float, path: str, follow: Callable[[str], list[float]]
    ) -> list[float]:
        """``g[t]`` for every year of the projection (index 0, the base year, unused)."""
        kind = g["kind"]
        ys = self.years
        if kind == "constant":  # §10: g[t] = rate
            r = self.number(g["rate"], f"{path}.rate", RATE)
            return [r] * len(ys)
        if kind == "path":
            knots = sorted(
                (int(y), self.number(v, f"{path}.rates.{int(y)}", RATE))
                for y, v in g["rates"].items()
            )
            interp = g.get("interpolation") or "step"  # §10: step is the default
            return [_path_rate(knots, t, interp) for t in ys]
        if kind == "linear":
            # §10 linear: g[t] = start + (end − start) × (t − from_year) / (to_year − from_year),
            # held at start before and at end after; from_year defaults to base_year + 1,
            # to_year to end_year
            a = self.number(g["start"], f"{path}.start", RATE)
            b = self.number(g["end"], f"{path}.end", RATE)
            y0 = int(g["from_year"]) if g.get("from_year") is not None else self.base + 1
            y1 = int(g["to_year"]) if g.get("to_year") is not None else self.end
            out = []
            for t in ys:
                tt = min(max(t, y0), y1)
                out.append(a + (b - a) * (tt - y0) / (y1 - y0))
            return out
        if kind == "to_target":
            # §10 to_target: g = (value / x[base])^(1 / (year − base_year)) − 1, kept after year
            v = self.number(g["value"], f"{path}.value", LEVEL)
            rate = _pow(_div(v, x0), 1.0 / (int(g["year"]) - self.base)) - 1.0
            return [rate] * len(ys)
        if kind == "elasticity":
            # §10 elasticity: g[t] = e × G[t], G[t] the growth in year t of the series `to`
            e = self.number(g["elasticity"], f"{path}.elasticity", FREE)
            to = follow(str(g["to"]))
            return [0.0] + [e * (_div(to[i], to[i - 1]) - 1.0) for i in range(1, len(ys))]
        raise ReferenceError(f"{path}: unknown growth kind {kind!r}")

    def block(
        self,
        blk: Mapping[str, Any],
        path: str,
        bounds: tuple[float, float],
        follow: Callable[[str], list[float]],
    ) -> list[float]:
        """A series block (§5): ``base`` then ``growth``."""
        x0 = self.number(blk["base"], f"{path}.base", bounds)
        return self.compound(x0, blk.get("growth"), f"{path}.growth", follow)

    def stock(self, s0: float, exit_rate: float, flow: list[float]) -> list[float]:
        """§7 firms and §9 stock indicators: ``s[t] = s[t-1] × (1 − exit_rate) + flow[t]``;
        the base-year flow is already in ``base``."""
        out = [s0]
        for i in range(1, len(self.years)):
            out.append(out[-1] * (1.0 - exit_rate) + flow[i])
        return out

    # -- region series (§5, §9, §11)

    def follow_region(self, name: str) -> list[float]:
        """What a region-level ``elasticity.to`` names: any projected region series (§10)."""
        x = self.region(name)
        if x is None:
            raise ReferenceError(f"elasticity.to: unknown or undefined series {name!r}")
        return x

    def region(self, name: str) -> list[float] | None:
        """A region series by name, ``None`` when the scenario does not define it."""
        if name in self._region:
            return self._region[name]
        tag = f"region:{name}"
        if tag in self._busy:
            raise ReferenceError(f"elasticity cycle through {name!r}")
        self._busy.add(tag)
        try:
            x = self._region_uncached(name)
        finally:
            self._busy.discard(tag)
        self._region[name] = x
        return x

    def _cluster_sum(self, name: str) -> tuple[list[float], bool]:
        """Sum of a cluster series over the clusters that define it (§7: a cluster
        without the block contributes nothing), and whether any does."""
        tot = [0.0] * len(self.years)
        any_ = False
        for c in self.cids:
            x = self.cluster(c, name)
            if x is not None:
                any_ = True
                tot = [a + b for a, b in zip(tot, x, strict=True)]
        return tot, any_

    def _region_uncached(self, name: str) -> list[float] | None:
        reg = self.region_doc
        if name in REGION_BLOCKS:
            blk = reg.get(name)
            return (
                None
                if blk is None
                else self.block(blk, f"region.{name}", LEVEL, self.follow_region)
            )
        if name in self.indicators:
            ind = self.indicators[name]
            path = f"indicators.{name}"
            kind = ind.get("kind") or ("stock" if "flow" in ind else "level")  # §9
            if kind == "level":  # §9 level: x[t] = x[t-1] × (1 + g[t])
                xs = self.block(ind, path, LEVEL, self.follow_region)
            else:
                s0 = self.number(ind["base"], f"{path}.base", LEVEL)
                er = ind.get("exit_rate")
                ex = 0.0 if er is None else self.number(er, f"{path}.exit_rate", UNIT)
                flow = self.region(f"{name}_flow")
                assert flow is not None
                xs = self.stock(s0, ex, flow)
            if ind.get("integer"):
                # §9 integer: whole units, rounded down once float rounding is allowed for
                # (1e-9 of max(1, |x|), at most 1e-6)
                return [math.floor(x + min(1e-6, 1e-9 * max(1.0, abs(x)))) * 1.0 for x in xs]
            return xs
        if name.endswith("_flow") and name[: -len("_flow")] in self.indicators:
            iid = name[: -len("_flow")]
            ind = self.indicators[iid]
            if "flow" not in ind:
                return None
            return self.block(ind["flow"], f"indicators.{iid}.flow", LEVEL, self.follow_region)
        for pid, pipe in self.pipelines.items():
            if name == f"{pid}_entries" or (pipe.get("cluster") is None and _tier_name(pipe, name)):
                return self.pipeline(pid)[name]
        if self.io_doc is not None and name in ("io_rest_demand", "io_rest_output"):
            if name == "io_rest_demand":
                blk = self.io_doc["rest"]["output"]
                return self.block(blk, "io.rest.output", LEVEL, self.follow_region)
            return self.io()["rest"]
        if name == "cluster_output":  # §11: sum of output over clusters
            tot, any_ = self._cluster_sum("output")
            return tot if any_ else None
        if name in ("rd_total", "energy_total"):
            # §11: sum of rd (energy) over clusters + rd_rest (energy_rest)
            part = "rd" if name == "rd_total" else "energy"
            tot, any_ = self._cluster_sum(part)
            rest = self.region(f"{part}_rest")
            if rest is not None:
                tot = [a + b for a, b in zip(tot, rest, strict=True)]
            return tot if any_ or rest is not None else None
        if name in ("rd_intensity", "energy_intensity"):
            # §11: rd_total / gdp, energy_total / gdp
            num = self.region("rd_total" if name == "rd_intensity" else "energy_total")
            gdp = self.region("gdp")
            if num is None or gdp is None:
                return None
            return [_div(a, b) for a, b in zip(num, gdp, strict=True)]
        if name in self.metrics:
            region_level: list[float] = []
            for v in self.metric(name):
                if isinstance(v, list):
                    return None  # a cluster-level metric
                region_level.append(v)
            return region_level
        return None

    def io(self) -> dict[str, list[float]]:
        """§7a input-output coupling: the output of every sector (clusters, ``rest``).

        Each sector's uncoupled path d (its output block: base-year output, final-demand
        growth) gives the final demand f[t] = f[base] × d[t] / d[base], with f[base] the
        base-year output less the inputs the sectors take from it,
        f_i[base] = d_i[base] − Σ_j a_ij d_j[base]; output solves x − A x = f, here by
        Gaussian elimination with partial pivoting, year by year.
        """
        if self._io is not None:
            return self._io
        io = self.io_doc
        assert io is not None
        sectors = [*self.cids, "rest"]
        n = len(sectors)
        a = [[0.0] * n for _ in range(n)]
        for i, row in io["coefficients"].items():
            for j, v in row.items():
                a[sectors.index(i)][sectors.index(j)] = self.number(
                    v, f"io.coefficients.{i}.{j}", UNIT
                )
        d = [self.cluster(c, "demand") for c in self.cids] + [self.region("io_rest_demand")]
        d0 = [x[0] for x in d if x is not None]
        f0 = [d0[i] - sum(a[i][j] * d0[j] for j in range(n)) for i in range(n)]
        out: list[list[float]] = [[] for _ in range(n)]
        for t in range(len(self.years)):
            f = [f0[i] * d[i][t] / d0[i] if d0[i] != 0.0 else 0.0 for i in range(n)]  # type: ignore[index]
            # the augmented matrix [I - A | f]
            m = [[(1.0 if i == j else 0.0) - a[i][j] for j in range(n)] + [f[i]] for i in range(n)]
            for col in range(n):
                piv = max(range(col, n), key=lambda r: abs(m[r][col]))
                m[col], m[piv] = m[piv], m[col]
                for r in range(col + 1, n):
                    k = m[r][col] / m[col][col]
                    for c in range(col, n + 1):
                        m[r][c] -= k * m[col][c]
            x = [0.0] * n
            for i in reversed(range(n)):
                x[i] = (m[i][n] - sum(m[i][j] * x[j] for j in range(i + 1, n))) / m[i][i]
            for i in range(n):
                out[i].append(x[i])
        self._io = {sid: out[k] for k, sid in enumerate(sectors)}
        return self._io

    def pipeline(self, pid: str) -> dict[str, list[float]]:
        """§9a firm tier pipeline: every series of pipeline ``pid``, year by year.

        For each year after the base year, from the top tier down to the first: the firms
        arriving in a tier are the entries (first tier) or the promotion rate of the tier
        below times that tier's stock of the year before; the firms kept are last year's
        stock less its promotions and exits, plus the promotions into the tier above that
        its ceiling refused; a tier takes as many arrivals as fit under its ceiling.
        """
        if pid in self._tiers:
            return self._tiers[pid]
        pipe = self.pipelines[pid]
        at = f"pipelines.{pid}"
        entries = self.block(pipe["entries"], f"{at}.entries", LEVEL, self.follow_region)
        ids = list(pipe["tiers"])
        stock: list[list[float]] = []
        promo: list[float] = []
        exits: list[float] = []
        caps: list[float] = []
        for tid in ids:
            t = pipe["tiers"][tid]
            stock.append([self.number(t["base"], f"{at}.tiers.{tid}.base", LEVEL)])
            p = t.get("promotion")
            promo.append(0.0 if p is None else self.number(p, f"{at}.tiers.{tid}.promotion", UNIT))
            x = t.get("exit_rate")
            exits.append(0.0 if x is None else self.number(x, f"{at}.tiers.{tid}.exit_rate", UNIT))
            c = t.get("ceiling")
            caps.append(
                math.inf if c is None else self.number(c, f"{at}.tiers.{tid}.ceiling", LEVEL)
            )
        # CHOICE: the base-year arrivals (not observed) are the base-year entries and the
        # promotions the base-year stocks give at the base-year rates
        arriving = [[entries[0]]] + [[promo[k - 1] * stock[k - 1][0]] for k in range(1, len(ids))]
        for i in range(1, len(self.years)):
            refused = 0.0
            for k in reversed(range(len(ids))):
                arrivals = entries[i] if k == 0 else promo[k - 1] * stock[k - 1][i - 1]
                kept = stock[k][i - 1] * (1.0 - promo[k] - exits[k]) + refused
                room = caps[k] - kept
                if room < 0.0:
                    room = 0.0
                taken = arrivals if arrivals <= room else room
                refused = arrivals - taken
                arriving[k].append(taken)
                stock[k].append(kept + taken)
        out = {f"{pid}_entries": entries}
        for k, tid in enumerate(ids):
            out[tid] = stock[k]
            out[f"{tid}_in"] = arriving[k]
        self._tiers[pid] = out
        return out

    # -- cluster series (§7, §11)

    def cluster(self, cid: str, name: str) -> list[float] | None:
        """A cluster series of cluster ``cid``, ``None`` when it does not define it."""
        key = (cid, name)
        if key in self._cluster:
            return self._cluster[key]
        tag = f"cluster:{cid}.{name}"
        if tag in self._busy:
            raise ReferenceError(f"elasticity cycle through {name}[{cid}]")
        self._busy.add(tag)
        try:
            x = self._cluster_uncached(cid, name)
        finally:
            self._busy.discard(tag)
        self._cluster[key] = x
        return x

    def _follow_in(self, cid: str) -> Callable[[str], list[float]]:
        """§10: a cluster series may follow a series of its own cluster (``to: output``)
        or any projected region series."""

        def follow(to: str) -> list[float]:
            x = self.cluster(cid, to) if to in self.cluster_names else self.region(to)
            if x is None:
                raise ReferenceError(f"clusters.{cid}: elasticity.to {to!r} is not defined")
            return x

        return follow

    def _cluster_uncached(self, cid: str, name: str) -> list[float] | None:
        c = self.clusters_doc[cid]
        path = f"clusters.{cid}"
        follow = self._follow_in(cid)
        for pid, pipe in self.pipelines.items():
            # §9a cluster: a cluster's own ladder; its tiers are cluster series
            if pipe.get("cluster") == cid and _tier_name(pipe, name):
                return self.pipeline(pid)[name]
        if name == "demand":  # §7a: the uncoupled path of an input-output sector
            if self.io_doc is None:
                return None
            return self.block(c["output"], f"{path}.output", LEVEL, follow)
        if name == "output":
            if self.io_doc is not None:  # §7a: output through the Leontief inverse
                return self.io()[cid]
            return self.block(c["output"], f"{path}.output", LEVEL, follow)
        if name == "va_ratio":
            blk = c.get("va_ratio")
            return None if blk is None else self.block(blk, f"{path}.va_ratio", UNIT, follow)
        if name == "value_added":  # §7: value_added = output × va_ratio
            out, va = self.cluster(cid, "output"), self.cluster(cid, "va_ratio")
            if out is None or va is None:
                return None
            return [a * b for a, b in zip(out, va, strict=True)]
        if name in ("rd_own", "rd_share", "rd"):
            rd = c.get("rd")
            if rd is None:
                return None
            own = rd.get("base") is not None
            if name == "rd_own":  # §7 own path: rd[t] = rd[t-1] × (1 + g[t])
                if not own:
                    return [0.0] * len(self.years)
                x0 = self.number(rd["base"], f"{path}.rd.base", LEVEL)
                return self.compound(x0, rd.get("growth"), f"{path}.rd.growth", follow)
            if name == "rd_share":  # CHOICE (§11): the share itself, a fraction
                if own:
                    return [0.0] * len(self.years)
                blk = rd["share_of_output"]
                return self.block(blk, f"{path}.rd.share_of_output", UNIT, follow)
            # §11: rd = rd_own + rd_share × output
            ro, rs = self.cluster(cid, "rd_own"), self.cluster(cid, "rd_share")
            out = self.cluster(cid, "output")
            assert ro is not None and rs is not None and out is not None
            return [a + b * o for a, b, o in zip(ro, rs, out, strict=True)]
        if name == "energy_per_va":
            blk = c.get("energy_per_va")
            return None if blk is None else self.block(blk, f"{path}.energy_per_va", LEVEL, follow)
        if name == "energy":  # §7: energy = value_added × energy_per_va
            va, epv = self.cluster(cid, "value_added"), self.cluster(cid, "energy_per_va")
            if va is None or epv is None:
                return None
            return [a * b for a, b in zip(va, epv, strict=True)]
        if name in ("entries", "firms"):
            f = c.get("firms")
            if f is None:
                return None
            fp = f"{path}.firms"
            if f.get("growth") is not None:
                if name == "entries":
                    return None  # CHOICE: a growth-path firm count has no entries
                # §7 growth path: firms[t] = firms[t-1] × (1 + g[t])
                x0 = self.number(f["base"], f"{fp}.base", LEVEL)
                return self.compound(x0, f["growth"], f"{fp}.growth", follow)
            ent_blk = f.get("entries")
            if ent_blk is None:
                entries = [0.0] * len(self.years)  # CHOICE: no entries block, no entries
            else:
                entries = self.block(ent_blk, f"{fp}.entries", LEVEL, follow)
            if name == "entries":
                return entries
            # §7 stock-flow: firms[t] = firms[t-1] × (1 − exit_rate) + entries[t]
            s0 = self.number(f["base"], f"{fp}.base", LEVEL)
            er = f.get("exit_rate")
            ex = 0.0 if er is None else self.number(er, f"{fp}.exit_rate", UNIT)
            return self.stock(s0, ex, entries)
        if name in self.metrics:
            vals = self.metric(name)
            i = self.cids.index(cid)
            out2: list[float] = []
            for v in vals:
                x = v[i] if isinstance(v, list) else None
                if x is None:
                    return None  # a region-level metric, or undefined for this cluster
                out2.append(x)
            return out2
        return None

    # -- metrics and expressions (§12), history (§6)

    def metric(self, mid: str) -> list[Value]:
        """A metric in every projected year (region- or cluster-level)."""
        if mid not in self._metric:
            tag = f"metric:{mid}"
            if tag in self._busy:
                raise ReferenceError(f"metric {mid!r} reads itself")
            self._busy.add(tag)
            try:
                self._metric[mid] = [self.evaluate(self.metrics[mid], y) for y in self.years]
            finally:
                self._busy.discard(tag)
        return self._metric[mid]

    def name_at(self, name: str, year: int) -> Value:
        """The value of a series or metric in ``year``: projected from the base year on,
        read from history before it (§6)."""
        if year >= self.base:
            i = year - self.base
            if name in self.metrics:
                return self.metric(name)[i]
            if name in self.cluster_names:
                vec: list[float | None] = []
                for c in self.cids:
                    x = self.cluster(c, name)
                    vec.append(None if x is None else x[i])
                return vec
            r = self.region(name)
            if r is None:
                raise ReferenceError(f"unknown or undefined series {name!r}")
            return r[i]
        # §6: before the base year a name's own history wins; a metric without one is
        # computed from the history of the names in its expression; nothing else is
        # recomputed (built-in derived series need history of their own)
        hist = (self.region_doc.get("history") or {}).get(name) or {}
        key = _year_key(hist, year)
        if key is not None:
            return self.number(hist[key], f"region.history.{name}.{year}", FREE)
        if name in self.metrics:
            return self.evaluate(self.metrics[name], year)
        if name in self.cluster_names:
            vec = []
            for c in self.cids:
                ch = ((self.clusters_doc[c].get("history") or {}).get(name)) or {}
                k = _year_key(ch, year)
                vec.append(
                    None
                    if k is None
                    else self.number(ch[k], f"clusters.{c}.history.{name}.{year}", FREE)
                )
            return vec
        raise ReferenceError(f"no history for {name!r} in {year} (the base year is {self.base})")

    def evaluate(self, node: ast.expr, year: int) -> Value:
        """Walk an expression tree with the arithmetic of §12, in one year."""
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            if isinstance(node.value, bool):
                raise ReferenceError("booleans are not numbers")
            return float(node.value)
        if isinstance(node, ast.Name):
            return self.name_at(node.id, year)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            a, b = self.evaluate(node.left, year), self.evaluate(node.right, year)
            return _elementwise(a, b, _BINOPS[type(node.op)])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            v = self.evaluate(node.operand, year)
            sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
            return _elementwise(v, sign, lambda x, s: s * x)
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and type(node.slice.value) is int
        ):
            # §12 "a value in a fixed year": x@2020 is x in 2020 whatever the year asked;
            # before the base year it is read from history (§6)
            return self.evaluate(node.value, node.slice.value)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Name):
            # §12 "pick one cluster": output[new_materials] is region-level
            vec = self.evaluate(node.value, year)
            cid = node.slice.id
            if not isinstance(vec, list) or cid not in self.cids:
                raise ReferenceError(f"cannot pick cluster {cid!r} here")
            picked = vec[self.cids.index(cid)]
            if picked is None:
                raise ReferenceError(f"the series is not defined (or has no history) for {cid}")
            return picked
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in REDUCERS
            and len(node.args) == 1
        ):
            # §12 "reduce over clusters": over the group's clusters, all without group=
            group = "all"
            for kw in node.keywords:
                if kw.arg != "group" or not isinstance(kw.value, ast.Name):
                    raise ReferenceError("reductions accept only group=<group id>")
                group = kw.value.id
            vec = self.evaluate(node.args[0], year)
            if not isinstance(vec, list):
                raise ReferenceError("a reduction needs a cluster series")
            return _reduce(node.func.id, self.select(vec, group))
        raise ReferenceError(f"not allowed in an expression: {ast.dump(node)}")

    def select(self, vec: list[float | None], group: str) -> list[float]:
        """The entries of a cluster-level value for the clusters of ``group``; an
        undefined entry among them is an error (§12, §6 "incomplete history")."""
        out: list[float] = []
        for c in self.groups[group]:
            v = vec[self.cids.index(c)]
            if v is None:
                raise ReferenceError(f"not defined (or no history) for cluster {c}")
            out.append(v)
        return out

    def scalar(self, text: str, year: int) -> float:
        """A region-level expression in one year (§13: a target metric is region-level)."""
        v = self.evaluate(_parse(text), year)
        if isinstance(v, list):
            raise ReferenceError(f"{text!r} is cluster-level; a target needs a region-level value")
        return v

    def vector(self, text: str, year: int, group: str | None) -> list[float]:
        """A cluster-level expression in one year, for the clusters of ``group``."""
        v = self.evaluate(_parse(text), year)
        if not isinstance(v, list):
            raise ReferenceError(f"{text!r} is region-level; a cluster series is needed")
        return self.select(v, group or "all")

    # -- targets (§13)

    def prices(self, node: ast.expr, seen: frozenset[str] = frozenset()) -> set[str]:
        """The price bases (``current``/``comparable``) of the series an expression reads:
        a series is at current prices unless it declares ``prices: comparable`` (a cluster's
        money series: its output's), a metric is read through its expression."""

        def cluster(c: str) -> str:
            return str(((self.clusters_doc[c] or {}).get("output") or {}).get("prices") or "current")

        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            c = node.slice.id if isinstance(node.slice, ast.Name) else ""
            if node.value.id in _MONEY and c in self.clusters_doc:
                return {cluster(c)}
            return {"current"}
        if isinstance(node, ast.Name):
            name = node.id
            if name in self.metrics and name not in seen:
                return self.prices(self.metrics[name], seen | {name})
            region = self.region_doc.get(name)
            if name not in ("name", "history") and isinstance(region, Mapping):
                return {str(region.get("prices") or "current")}
            ind = self.indicators.get(name)
            if isinstance(ind, Mapping) and (ind.get("kind") or "level") == "level":
                return {str(ind.get("prices") or "current")}
            stock = self.indicators.get(name.removesuffix("_flow"))
            if name.endswith("_flow") and isinstance(stock, Mapping):
                return {str((stock.get("flow") or {}).get("prices") or "current")}
            if name in _MONEY and self.cids:
                return {cluster(c) for c in self.cids}
            return {"current"}
        if isinstance(node, ast.Call):  # sum(output, group=g): the series it reduces
            out: set[str] = set()
            for a in node.args:
                out |= self.prices(a, seen)
            return out
        out = set()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                out |= self.prices(child, seen)
        return out

    def target(self, t: Mapping[str, Any]) -> tuple[float, float, bool]:
        """``(value, margin, met)`` of one target in this sample."""
        # §13: a comparable-price (可比价) goal reads its metric at base-year prices: divided
        # by the deflator (default gdp_deflator) over its base-year value, unless every series
        # the metric reads is at comparable prices already
        if (
            (t.get("basis") or "current") == "comparable"
            and "metric" in t
            and self.prices(_parse(t["metric"])) != {"comparable"}
        ):
            name = t.get("deflator") or "gdp_deflator"
            base = _plain(self.indicators[name]["base"])
            t = {**t, "metric": f"({t['metric']}) / (({name}) / {base!r})"}
        kind = t["kind"]
        year = int(t["year"])
        if kind == "count_over":
            return self.count_over(t, year)
        goal = _bound(t)
        if kind in ("level", "stock"):  # §13: x[year]
            return _judge(self.scalar(t["metric"], year), goal)
        if kind == "share":  # §13: numerator[year] / denominator[year]
            v = _div(self.scalar(t["numerator"], year), self.scalar(t["denominator"], year))
            return _judge(v, goal)
        if kind == "group_sum":  # §13: sum(variable, group)[year]
            vals = self.vector(t.get("variable") or "output", year, t["group"])
            return _judge(math.fsum(vals), goal)
        m = t["metric"]
        if kind == "cagr":
            # §13: (x[year] / x[from_year])^(1 / (year − from_year)) − 1
            y0 = int(t["from_year"])
            ratio = _div(self.scalar(m, year), self.scalar(m, y0))
            return _judge(_pow(ratio, 1.0 / (year - y0)) - 1.0, goal)
        if kind == "change_vs":  # §13: x[year] / x[relative_to] − 1
            y0 = int(t["relative_to"])
            return _judge(_div(self.scalar(m, year), self.scalar(m, y0)) - 1.0, goal)
        y0 = int(t["from_year"])
        if kind == "cumulative":  # §13: x[from_year] + … + x[year] (累计)
            return _judge(math.fsum(self.scalar(m, y) for y in range(y0, year + 1)), goal)
        if kind in ("change_since", "pp_change"):  # §13: x[year] − x[from_year]
            return _judge(self.scalar(m, year) - self.scalar(m, y0), goal)
        if kind == "reached_by":
            # §13: x[t] in the best year t of from_year … year (met once is enough).
            # CHOICE: the best year is the one of largest margin, the earliest on a tie.
            judged = [_judge(self.scalar(m, y), goal) for y in range(y0, year + 1)]
            return max(judged, key=lambda j: j[1])
        per_year: list[float]
        if kind == "growth_every_year":  # §13: x[t] / x[t−1] − 1, t = from_year+1 … year
            per_year = [
                _div(self.scalar(m, y), self.scalar(m, y - 1)) - 1.0
                for y in range(y0 + 1, year + 1)
            ]
        elif kind == "pp_change_per_year":  # §13: x[t] − x[t−1], t = from_year+1 … year
            per_year = [self.scalar(m, y) - self.scalar(m, y - 1) for y in range(y0 + 1, year + 1)]
        elif kind == "flow_every_year":  # §13: x[t], t = from_year … year
            per_year = [self.scalar(m, y) for y in range(y0, year + 1)]
        else:
            raise ReferenceError(f"unknown target kind {kind!r}")
        # §13: the goal holds in each year; the value and margin are the binding year's
        # (smallest margin). CHOICE: the earliest such year on a tie.
        judged = [_judge(v, goal) for v in per_year]
        return min(judged, key=lambda j: j[1])

    def count_items(self, t: Mapping[str, Any], year: int) -> list[float]:
        """§13 "Counting clusters": the values counted, each industry once. With ``over``,
        one value per id (a cluster's own, a group's sum over its clusters); else the
        clusters of ``group`` (or all) less those whose ``parent`` is counted too (without a
        group: only clusters with no parent)."""
        vec = self.evaluate(_parse(t.get("variable") or "output"), year)
        if not isinstance(vec, list):
            raise ReferenceError("a count needs a cluster series")
        if t.get("over"):
            out = []
            for item in t["over"]:
                if item in self.cids:
                    v = vec[self.cids.index(item)]
                    if v is None:
                        raise ReferenceError(f"not defined for cluster {item}")
                    out.append(v)
                else:
                    out.append(math.fsum(self.select(vec, item)))
            return out
        group = t.get("group")
        members = self.groups[group or "all"]
        parent = {c: (self.clusters_doc[c] or {}).get("parent") for c in self.cids}
        if group is None:
            counted = [c for c in members if parent[c] is None]
        else:
            counted = [c for c in members if parent[c] not in members]
        vals = []
        for c in counted:
            v = vec[self.cids.index(c)]
            if v is None:
                raise ReferenceError(f"not defined for cluster {c}")
            vals.append(v)
        return vals

    def count_over(self, t: Mapping[str, Any], year: int) -> tuple[float, float, bool]:
        """§13 "Counting clusters": clusters of ``group`` with ``variable[year] ≥ threshold``
        (a cluster within 1e-9 × max(1, |threshold|) below counts as reaching it)."""
        vals = self.count_items(t, year)

        def reaches(v: float, thr: float) -> bool:
            return v >= thr - MET_RTOL * max(1.0, abs(thr))

        if t.get("tiers") is None:
            thr = _plain(t["threshold"])
            return _judge(float(sum(1 for v in vals if reaches(v, thr))), _bound(t))
        tiers = [(_plain(x["threshold"]), int(x["at_least"])) for x in t["tiers"]]
        bands = t.get("bands", True)
        bands = True if bands is None else bool(bands)
        counts = [0] * len(tiers)
        for v in vals:
            reached = [i for i, (thr, _) in enumerate(tiers) if reaches(v, thr)]
            if not reached:
                continue
            if bands:
                # bands: a cluster counts only in the highest tier it reaches
                top = max(reached, key=lambda i: tiers[i][0])
                counts[top] += 1
            else:
                for i in reached:  # cumulative
                    counts[i] += 1
        # the margin is the smallest count − at_least; the value that tier's count
        # (CHOICE: on a tie, the tier with the highest threshold, the order in which §13
        # writes tiers: "4 clusters over 10,000 亿 and 4 over 5,000 亿")
        margins = [counts[i] - tiers[i][1] for i in range(len(tiers))]
        b = min(range(len(tiers)), key=lambda i: (margins[i], -tiers[i][0]))
        scale = max([1.0, *(abs(float(a)) for _, a in tiers)])
        return float(counts[b]), float(margins[b]), margins[b] >= -MET_RTOL * scale


# --- helpers ---------------------------------------------------------------------------------


def _year_key(hist: Mapping[Any, Any], year: int) -> Any:
    """The key of ``year`` in a history mapping (YAML gives ints, JSON strings)."""
    for k in hist:
        if int(k) == year:
            return k
    return None


def _reduce(fn: str, xs: list[float]) -> float:
    """§12 ``sum / mean / min / max`` across clusters."""
    if not xs:
        raise ReferenceError(f"{fn}() over no clusters")
    if fn == "sum":
        return math.fsum(xs)
    if fn == "mean":
        return math.fsum(xs) / len(xs)
    return min(xs) if fn == "min" else max(xs)


@dataclass(frozen=True)
class Goal:
    """§13 "Goals, margin": the bounds and whether they are strict (more_than/less_than)."""

    lo: float | None
    hi: float | None
    strict: bool = False


def _bound(t: Mapping[str, Any]) -> Goal:
    """§13 goal: ``at_least``, ``at_most``, ``more_than``, ``less_than`` (strict),
    ``between: [a, b]`` or ``about: {value: x, tolerance: t}`` (x − t ≤ value ≤ x + t)."""
    if t.get("between") is not None:
        a, b = t["between"]
        return Goal(_plain(a), _plain(b))
    if t.get("about") is not None:
        x, tol = _plain(t["about"]["value"]), _plain(t["about"]["tolerance"])
        return Goal(x - tol, x + tol)
    if t.get("at_least") is not None:
        return Goal(_plain(t["at_least"]), None)
    if t.get("at_most") is not None:
        return Goal(None, _plain(t["at_most"]))
    if t.get("more_than") is not None:
        return Goal(_plain(t["more_than"]), None, strict=True)
    if t.get("less_than") is not None:
        return Goal(None, _plain(t["less_than"]), strict=True)
    raise ReferenceError("a target needs a goal")


def _judge(v: float, goal: Goal) -> tuple[float, float, bool]:
    """§13 "Goals, margin": margin ``v − a``, ``b − v`` or ``min(v − a, b − v)``; with
    tol = 1e-9 × max(1, |a|, |b|), an inclusive goal is met when margin ≥ −tol, a strict
    one when margin > +tol."""
    lo, hi = goal.lo, goal.hi
    parts = []
    if lo is not None:
        parts.append(v - lo)
    if hi is not None:
        parts.append(hi - v)
    margin = min(parts)
    scale = max([1.0, *(abs(x) for x in (lo, hi) if x is not None)])
    if goal.strict:
        return v, margin, margin > MET_RTOL * scale
    return v, margin, margin >= -MET_RTOL * scale


# --- the engine -----------------------------------------------------------------------------


def run_reference(
    doc: Mapping[str, Any],
    draws: Mapping[str, Sequence[float] | Array] | None = None,
    samples: int | None = None,
) -> ReferenceResult:
    """Project a scenario document and check its targets, one sample at a time.

    Parameters
    ----------
    doc : mapping
        The scenario as a plain mapping after ``extends:`` is resolved (see
        :func:`scenario_document`). Shorthands of the format are accepted.
    draws : mapping of str to (S,) array, optional
        The value in each sample of every uncertain number, by its dotted path
        (``clusters.new_materials.output.growth.rate``). Without it (or with an empty
        mapping) every uncertain number takes its central value (a plain run, ``S = 1``).
        Otherwise every
        uncertain number must be in it (a misspelt path would silently fall back to the
        central value otherwise) and every path must be used.
    samples : int, optional
        ``S``; by default the length of the draws, or 1 without draws. A scenario
        without uncertain numbers run with ``S > 1`` gives ``S`` equal samples.

    Returns
    -------
    ReferenceResult

    Raises
    ------
    ReferenceError
        On a missing draw, an unused draw path, missing history or an undefined series.
    """
    arrays = {p: np.asarray(v, dtype=np.float64) for p, v in (draws or {}).items()}
    arrays = {p: a if a.ndim == 2 else a.reshape(-1) for p, a in arrays.items()}
    sizes = {a.shape[0] for a in arrays.values()}
    if len(sizes) > 1:
        raise ReferenceError(f"draws have different lengths: {sorted(sizes)}")
    n = sizes.pop() if sizes else 1
    if samples is None:
        samples = n
    elif arrays and samples != n:
        raise ReferenceError(f"samples={samples} but the draws have {n} values each")
    used: set[str] = set()
    cids = tuple((doc.get("clusters") or {}).keys())
    years = list(range(int(doc["base_year"]), int(doc["end_year"]) + 1))
    res = ReferenceResult(years, cids, samples)
    region_rows: dict[str, list[list[float]]] = {}
    cluster_rows: dict[str, list[list[list[float]]]] = {}
    target_rows: dict[str, list[tuple[float, float, bool]]] = {}
    for s in range(samples):

        def draw(path: str, s: int = s) -> float | None:
            if not arrays:  # a plain run: every uncertain number at its central value
                return None
            if path not in arrays:
                raise ReferenceError(f"no draws for uncertain number {path}")
            used.add(path)
            return float(arrays[path][s])

        def draw_row(path: str, s: int = s) -> list[float] | None:
            if not arrays:  # a plain run: no shocks
                return None
            if path not in arrays:
                raise ReferenceError(f"no draws for shocks {path}")
            used.add(path)
            return [float(x) for x in arrays[path][s]]

        smp = _Sample(doc, draw, draw_row)
        for name in _region_names(smp):
            x = smp.region(name)
            if x is not None:
                region_rows.setdefault(name, []).append(x)
        for name in _cluster_names(smp):
            per_c = [smp.cluster(c, name) for c in cids]
            if any(x is not None for x in per_c) or _always_listed(doc, name):
                rows = [x if x is not None else [math.nan] * len(years) for x in per_c]
                cluster_rows.setdefault(name, []).append(rows)
        for tid, t in (doc.get("targets") or {}).items():
            if t is not None:
                target_rows.setdefault(tid, []).append(smp.target(t))
    if arrays and set(arrays) - used:
        raise ReferenceError(
            f"draws for paths the scenario does not use: {sorted(set(arrays) - used)}"
        )
    for name, rrows in region_rows.items():
        res.series[name] = np.array(rrows, dtype=np.float64)
    for name, crows in cluster_rows.items():
        res.series[name] = np.array(crows, dtype=np.float64)
    for tid, outs in target_rows.items():
        res.targets[tid] = ReferenceTarget(
            value=np.array([o[0] for o in outs], dtype=np.float64),
            margin=np.array([o[1] for o in outs], dtype=np.float64),
            met=np.array([o[2] for o in outs], dtype=np.bool_),
        )
    return res


def _region_names(smp: _Sample) -> list[str]:
    """Every region-level name the scenario may define (§11), metrics last."""
    names = list(REGION_BLOCKS)
    for iid, ind in smp.indicators.items():
        names.append(iid)
        if "flow" in ind:
            names.append(f"{iid}_flow")
    if smp.io_doc is not None:
        names += ["io_rest_demand", "io_rest_output"]
    for pid, pipe in smp.pipelines.items():
        names.append(f"{pid}_entries")
        if pipe.get("cluster") is None:
            for tid in pipe["tiers"]:
                names += [tid, f"{tid}_in"]
    return [*names, *DERIVED_REGION, *smp.metrics]


def _tier_name(pipe: Mapping[str, Any], name: str) -> bool:
    """``name`` is a tier of the pipeline or the firms arriving in one (``<tier>_in``)."""
    tiers = pipe["tiers"]
    return name in tiers or (name.endswith("_in") and name[: -len("_in")] in tiers)


def _always_listed(doc: Mapping[str, Any], name: str) -> bool:
    """§11's table: ``entries`` and ``firms`` exist when any cluster has ``firms``, even
    when every firm block has its own growth (then ``entries`` is undefined everywhere)."""
    clusters = doc.get("clusters") or {}
    return name == "entries" and any((c or {}).get("firms") for c in clusters.values())


def _cluster_names(smp: _Sample) -> list[str]:
    """Every cluster-level name (§11), cluster-level metrics last."""
    tiers: list[str] = []
    for pipe in smp.pipelines.values():
        if pipe.get("cluster") is not None:
            for tid in pipe["tiers"]:
                if tid not in tiers:
                    tiers += [tid, f"{tid}_in"]
    io = ["demand"] if smp.io_doc is not None else []
    return [*CLUSTER_NAMES, *io, *tiers, *smp.metrics]


# --- adapters to production (the only places this module touches clustersim) ------------------


def scenario_document(scenario: Any) -> dict[str, Any]:
    """The scenario as a plain mapping with ``extends:`` resolved.

    Parameters
    ----------
    scenario : str, os.PathLike, Scenario or mapping
        A file (loaded and validated by the production loader, which resolves
        ``extends:``), a validated model, or a document (returned as a copy).

    Returns
    -------
    dict
        The validated model dumped with ``model_dump()``: shorthands resolved, numbers as
        floats, observations and distributions as mappings. The one place the reference
        engine touches the loader.
    """
    if isinstance(scenario, Mapping):
        return dict(scenario)
    if isinstance(scenario, str | os.PathLike):
        from clustersim.scenario.loader import load_scenario

        scenario = load_scenario(Path(scenario))
    dumped: dict[str, Any] = scenario.model_dump(mode="python")
    return dumped


def production_draws(scenario: Any, samples: int, seed: int) -> dict[str, Array]:
    """The values production's ``run(scenario, samples=samples, seed=seed)`` draws.

    Parameters
    ----------
    scenario : Scenario
        A validated model.
    samples : int
        ``S``; with 1 production uses central values, so this returns ``{}``.
    seed : int
        The root seed.

    Returns
    -------
    dict of str to (S,) array
        Per uncertain number (by path), the values of its own stream
        ``SeedSequence(seed, spawn_key=(crc32(path),))`` (§4.4) through the
        distribution's inverse CDF truncated to the field's bounds. The draws are inputs
        here (distributions are tested on their own), so this reuses the production
        draw code, in this one function.
    """
    if samples == 1:
        return {}
    from scipy.special import ndtr, ndtri

    from clustersim.compile import uncertain_parameters
    from clustersim.sampling import uniform_stream

    params = uncertain_parameters(scenario)
    doc = scenario_document(scenario)
    uniforms = {path: uniform_stream(seed, (), path, samples) for path in params}
    uniforms.update(_copula(doc, uniforms, samples, ndtri, ndtr))
    out: dict[str, Array] = {}
    for path, par in params.items():
        out[path] = np.asarray(par.dist.ppf(uniforms[path], par.lo, par.hi), dtype=np.float64)
    # §10a: each growth with shocks and each factor it names: a row of standard normals per
    # sample, one per projected year, from stream "<growth path>.shocks" / "shocks.factors.<f>"
    n = int(doc["end_year"]) - int(doc["base_year"])
    for key in [*_shock_paths(doc, ""), *_factor_keys(doc)]:
        u = uniform_stream(seed, (), key, samples * n)
        out[key] = np.asarray(ndtri(u), dtype=np.float64).reshape(samples, n)
    return out


def _shock_paths(node: Any, path: str) -> list[str]:
    """Dotted paths ``<...>.shocks`` of every growth block with shocks in a document."""
    found: list[str] = []
    if isinstance(node, Mapping):
        for k, v in node.items():
            sub = f"{path}.{k}" if path else str(k)
            if k == "shocks" and path.endswith("growth") and isinstance(v, Mapping):
                found.append(sub)
            else:
                found.extend(_shock_paths(v, sub))
    return found


def _factor_keys(doc: Mapping[str, Any]) -> list[str]:
    """The stream of every factor some growth names (§10a)."""
    named = set()

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                if k == "shocks" and path.endswith("growth") and isinstance(v, Mapping):
                    if v.get("factor") is not None:
                        named.add(str(v["factor"]))
                else:
                    walk(v, f"{path}.{k}")

    walk(doc, "")
    return [f"shocks.factors.{name}" for name in sorted(named)]


def _cholesky(r: list[list[float]]) -> list[list[float]]:
    """Cholesky-Banachiewicz, row by row: ``r = L Lᵀ`` with L lower triangular."""
    k = len(r)
    lo = [[0.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(i + 1):
            acc = math.fsum(lo[i][m] * lo[j][m] for m in range(j))
            if i == j:
                lo[i][j] = math.sqrt(r[i][i] - acc)
            else:
                lo[i][j] = (r[i][j] - acc) / lo[j][j]
    return lo


def _copula(
    doc: Mapping[str, Any],
    uniforms: Mapping[str, Array],
    samples: int,
    ndtri: Callable[[float], float],
    ndtr: Callable[[float], float],
) -> dict[str, Array]:
    """§10b Gaussian copula: per sample, normal scores ``z = Φ⁻¹(u)`` of the correlated
    numbers (in the order the correlations first name them), ``z' = L z`` with ``L`` the
    Cholesky factor of their correlation matrix, ``u' = Φ(z')``."""
    pairs = ((doc.get("shocks") or {}).get("correlations")) or []
    paths: list[str] = []
    for c in pairs:
        for p in c["between"]:
            if p not in paths:
                paths.append(p)
    if not paths:
        return {}
    k = len(paths)
    r = [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]
    for c in pairs:
        i, j = paths.index(c["between"][0]), paths.index(c["between"][1])
        r[i][j] = r[j][i] = _plain(c["rho"])
    lo = _cholesky(r)
    out = {p: np.empty(samples) for p in paths}
    for s in range(samples):
        z = [float(ndtri(float(uniforms[p][s]))) for p in paths]
        for i, p in enumerate(paths):
            out[p][s] = float(ndtr(math.fsum(lo[i][m] * z[m] for m in range(i + 1))))
    return out
