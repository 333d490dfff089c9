"""``flow_every_year``: an annual flow in every year of ``[from_year, year]``."""

from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.kinds.targets._base import EveryYearKind

__all__ = ["FlowEveryYearTarget"]


class FlowEveryYearTarget(EveryYearKind):
    """An annual flow in every year of ``[from_year, year]``: the goal is checked in each year."""

    kind: Literal["flow_every_year"]
    metric: str
    from_year: int
    year: int

    lag: ClassVar[int] = 0
    chart_percent: ClassVar[bool | None] = None
    marker: ClassVar[Literal["goal", "reference", "path", "bars"]] = "path"
    goal_suffix: ClassVar[Literal["", "per_year", "every_year", "vs_year"]] = "every_year"
    doc_fields: ClassVar[str] = "`metric`, `from_year`, `year`"
    doc_value: ClassVar[str] = "`x[t]` in each year `t` of `from_year … year`"

    def metric_expr(self) -> ex.Expr:
        return ex.parse(self.metric)

    def start(self) -> int | None:
        return self.from_year

    @classmethod
    def per_year(cls, w: NDArray[np.float64]) -> NDArray[np.float64]:
        return w  # the flow in each year of [start, year]

    @classmethod
    def step_code(cls, cur: str, prev: str) -> str:
        return cur

    @classmethod
    def goal_path(cls, ref: float, goal: float, n: int) -> float:
        return goal
