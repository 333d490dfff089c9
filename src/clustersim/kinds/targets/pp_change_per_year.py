"""``pp_change_per_year``: change of a share in percentage points in every year of a window."""

from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.kinds.targets._base import EveryYearKind

__all__ = ["PpChangePerYearTarget"]


class PpChangePerYearTarget(EveryYearKind):
    """Change of a share in percentage points in every year of ``(from_year, year]``
    (the goal is checked on each year-on-year difference; 1 pp = 0.01)."""

    kind: Literal["pp_change_per_year"]
    metric: str
    from_year: int
    year: int

    pp: ClassVar[bool] = True
    chart_percent: ClassVar[bool | None] = True
    marker: ClassVar[Literal["goal", "reference", "path", "bars"]] = "path"
    goal_units: ClassVar[Literal["value", "percent", "pp"]] = "pp"
    goal_suffix: ClassVar[Literal["", "per_year", "every_year", "vs_year"]] = "per_year"
    doc_fields: ClassVar[str] = "`metric`, `from_year`, `year`"
    doc_value: ClassVar[str] = (
        "`x[t] − x[t−1]` in each year `t` of `from_year+1 … year` (1 pp = 0.01)"
    )
    deflatable: ClassVar[bool] = False

    def metric_expr(self) -> ex.Expr:
        return ex.parse(self.metric)

    def start(self) -> int | None:
        return self.from_year

    @classmethod
    def per_year(cls, w: NDArray[np.float64]) -> NDArray[np.float64]:
        out: NDArray[np.float64] = w[1:] - w[:-1]  # each year of (start, year]: np.diff(w, 0)
        return out

    @classmethod
    def step_code(cls, cur: str, prev: str) -> str:
        return f"({cur} - {prev})"

    @classmethod
    def goal_path(cls, ref: float, goal: float, n: int) -> float:
        return ref + goal * n
