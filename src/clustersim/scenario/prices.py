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
from clustersim.i18n import word
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


def _both(key: str, **fmt: object) -> str:
    """The message in English, then in Chinese in brackets (as compile's other errors)."""
    return f"{word(key, 'en', **fmt)} ({word(key, 'zh', **fmt)})"


def _names(expr: ex.Expr) -> list[ex.Name | ex.Pick]:
    if isinstance(expr, ex.Name | ex.Pick):
        return [expr]
    if isinstance(expr, ex.Neg | ex.At):
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
    if t.deflator is not None and t.basis != "comparable":
        raise PriceError("deflator", _both("price_deflator_alone"))
    if t.basis != "comparable":
        return metric
    if not type(t).deflatable:
        raise PriceError("basis", _both("price_not_deflatable", kind=t.kind))
    bases = prices_of(sc, metric)
    if bases == {"comparable"}:
        return metric  # every series it reads is at comparable prices already
    if "comparable" in bases:
        raise PriceError("basis", _both("price_mixed"))
    name = t.deflator or DEFAULT_DEFLATOR
    ind = sc.indicators.get(name)
    if not isinstance(ind, LevelIndicator):
        raise PriceError(
            "deflator" if t.deflator else "basis", _both("price_no_deflator", name=name)
        )
    base = central(ind.base)
    if is_uncertain(ind.base) or not base > 0:
        raise PriceError("deflator", _both("price_deflator_base", name=name))
    return t.comparable(metric, name, base)
