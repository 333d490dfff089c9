"""``growth_every_year``: annual growth of a metric in every year of ``(from_year, year]``."""

from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.targets import rates
from clustersim.kinds.targets._base import EveryYearKind

__all__ = ["GrowthEveryYearTarget"]


class GrowthEveryYearTarget(EveryYearKind):
    """Annual growth of a metric in every year of ``(from_year, year]``: the goal is checked
    in each year; the year with the smallest margin is reported."""

    kind: Literal["growth_every_year"]
    metric: str
    from_year: int
    year: int

    percent: ClassVar[bool] = True
    marker: ClassVar[Literal["goal", "reference", "path", "bars"]] = "path"
    goal_units: ClassVar[Literal["value", "percent", "pp"]] = "percent"
    goal_suffix: ClassVar[Literal["", "per_year", "every_year", "vs_year"]] = "per_year"
    doc_fields: ClassVar[str] = "`metric`, `from_year`, `year`"
    doc_value: ClassVar[str] = "`x[t] / x[t−1] − 1` in each year `t` of `from_year+1 … year`"

    def metric_expr(self) -> ex.Expr:
        return ex.parse(self.metric)

    def start(self) -> int | None:
        return self.from_year

    @classmethod
    def per_year(cls, w: NDArray[np.float64]) -> NDArray[np.float64]:
        return rates(w)  # growth in each year of (start, year]

    @classmethod
    def step_code(cls, cur: str, prev: str) -> str:
        return f"({cur} / {prev} - 1.0)"

    @classmethod
    def goal_path(cls, ref: float, goal: float, n: int) -> float:
        return float(ref * (1 + goal) ** n)
