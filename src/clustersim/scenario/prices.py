"""Price bases (现价 / 可比价): which series are at comparable prices, and a target's metric
at the basis it asks for.

A money series is at current prices unless it declares ``prices: comparable`` (a level built
from real growth rates, an index at base-year prices). A target with ``basis: comparable``
reads its metric at base-year prices: when the metric reads current-price series, it is divided
by a price index (the target's ``deflator``, by default the indicator ``gdp_deflator``)
normalised to 1 in the base year; when every series it reads is comparable already, it is read
as it is; a metric that mixes the two is refused. Compile calls :func:`price_basis` once per
target.
"""

from __future__ import annotations

from typing import Literal

from clustersim.core import expr as ex
from clustersim.scenario.models import LevelIndicator, Scenario, StockIndicator, Target
from clustersim.values.numbers import central, is_uncertain

__all__ = ["DEFAULT_DEFLATOR", "PriceError", "price_basis", "prices_of"]

#: the indicator that deflates a ``basis: comparable`` target without its own ``deflator``
DEFAULT_DEFLATOR = "gdp_deflator"
#: cluster series whose prices are the cluster output's
_CLUSTER_MONEY = frozenset({"output", "value_added", "rd"})

Basis = Literal["current", "comparable"]


class PriceError(ValueError):
    """A price basis that cannot be honoured; ``field`` is the target field to blame."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def prices_of(sc: Scenario, expr: ex.Expr, _seen: frozenset[str] = frozenset()) -> set[Basis]:
    """The price bases of the series ``expr`` reads (a metric's own expression included)."""
    out: set[Basis] = set()
    for node in _names(expr):
        if isinstance(node, ex.Pick):
            cl = sc.clusters.get(node.cluster)
            if cl is not None and node.name in _CLUSTER_MONEY:
                out.add(cl.output.prices)
            else:
                out.add("current")
            continue
        name = node.id
        if name in sc.metrics and name not in _seen:
            out |= prices_of(sc, ex.parse(sc.metrics[name].expr), _seen | {name})
            continue
        region = getattr(sc.region, name, None) if not name.startswith("_") else None
        ind = sc.indicators.get(name)
        flow = sc.indicators.get(name.removesuffix("_flow")) if name.endswith("_flow") else None
        if region is not None and hasattr(region, "prices"):
            out.add(region.prices)
        elif isinstance(ind, LevelIndicator):
            out.add(ind.prices)
        elif isinstance(flow, StockIndicator):
            out.add(flow.flow.prices)
        elif name in _CLUSTER_MONEY and sc.clusters:
            out |= {cl.output.prices for cl in sc.clusters.values()}
        else:
            out.add("current")
    return out


def _names(expr: ex.Expr) -> list[ex.Name | ex.Pick]:
    if isinstance(expr, ex.Name | ex.Pick):
        return [expr]
    if isinstance(expr, ex.Neg):
        return _names(expr.operand)
    if isinstance(expr, ex.Bin):
        return _names(expr.left) + _names(expr.right)
    if isinstance(expr, ex.Reduce):
        return _names(expr.arg)
    return []


def price_basis(sc: Scenario, t: Target, metric: ex.Expr) -> ex.Expr:
    """``metric`` at the price basis target ``t`` asks for.

    Raises
    ------
    PriceError
        The metric mixes current and comparable series, the deflator is not a level
        indicator, or its base is not a plain number (the index base, e.g. 100).
    """
    if t.basis != "comparable":
        return metric
    bases = prices_of(sc, metric)
    if bases == {"comparable"}:
        return metric  # every series it reads is at comparable prices already
    if "comparable" in bases:
        raise PriceError(
            "basis",
            "the metric mixes series at current and comparable prices (declared with "
            "prices:); a comparable basis needs them all on one footing",
        )
    name = t.deflator or DEFAULT_DEFLATOR
    ind = sc.indicators.get(name)
    if not isinstance(ind, LevelIndicator):
        raise PriceError(
            "deflator" if t.deflator else "basis",
            f"basis: comparable needs the price index {name!r} as a level indicator (e.g. "
            f"indicators.{name}: base 100 in the base year, growth the price change a year)"
            + ("" if t.deflator else "; or name another with deflator:"),
        )
    if is_uncertain(ind.base):
        raise PriceError(
            "deflator",
            f"the base of indicators.{name} is the index base (a plain number such as 100), "
            "not a distribution: put the price uncertainty in its growth",
        )
    base = central(ind.base)
    if not base > 0:
        raise PriceError("deflator", f"indicators.{name}.base must be > 0, got {base:g}")
    return t.comparable(metric, name, base)
