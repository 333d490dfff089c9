"""``stock``: a stock indicator in a year (more than 500 specialised firms in 2026)."""

from collections.abc import Callable
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.targets import Frame, TargetSpec
from clustersim.kinds.targets._base import KernelWriter, PointKind
from clustersim.kinds.targets.level import level_closed_form

__all__ = ["StockTarget"]


class StockTarget(PointKind):
    """A stock indicator in a year (more than 500 specialised firms in 2026)."""

    kind: Literal["stock"]
    metric: str
    year: int

    chart_percent: ClassVar[bool | None] = None
    doc_fields: ClassVar[str] = "`metric`, `year`"
    doc_value: ClassVar[str] = "`x[year]`, for stocks (a stock indicator, `sum(firms)`)"

    def metric_expr(self) -> ex.Expr:
        return ex.parse(self.metric)

    @classmethod
    def value(cls, t: TargetSpec, f: Frame) -> NDArray[np.float64]:
        return f.rows_at(t.metric, t.year)

    @classmethod
    def value_code(cls, g: KernelWriter, spec: TargetSpec, pre: list[str]) -> str:
        return g.at(spec.metric, spec.year, pre, g.top)

    @classmethod
    def closed_form(
        cls,
        spec: TargetSpec,
        x0: float,
        goal: float,
        base_year: int,
        value_at: Callable[[int], float],
    ) -> float | None:
        return level_closed_form(spec, x0, goal, base_year)
