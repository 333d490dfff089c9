"""``change_since``: a stock's change since a year (新增: new firms since 2023)."""

from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.targets import Frame, TargetSpec
from clustersim.kinds.targets._base import KernelWriter, PointKind, start_year

__all__ = ["ChangeSinceTarget"]


class ChangeSinceTarget(PointKind):
    """A stock counted from the plan year: ``x[year] − x[from_year]`` (500 new high-tech
    firms since 2023: the stock in 2026 less the stock at the end of 2023)."""

    kind: Literal["change_since"]
    metric: str
    from_year: int
    year: int

    chart_percent: ClassVar[bool | None] = None
    marker: ClassVar[Literal["goal", "reference", "path", "bars"]] = "path"
    doc_fields: ClassVar[str] = "`metric` (a stock), `from_year`, `year`"
    doc_value: ClassVar[str] = "`x[year] − x[from_year]` (a stock counted from the plan year)"

    @classmethod
    def goal_path(cls, ref: float, goal: float, n: int) -> float:
        """The level to reach, ``ref + goal``, drawn from the year after the first."""
        return ref if n == 0 else ref + goal

    def metric_expr(self) -> ex.Expr:
        return ex.parse(self.metric)

    def start(self) -> int | None:
        return self.from_year

    @classmethod
    def value(cls, t: TargetSpec, f: Frame) -> NDArray[np.float64]:
        """``x[year] - x[start]``, ``(S',)``."""
        start = _start(t)
        out: NDArray[np.float64] = f.rows_at(t.metric, t.year) - f.rows_at(t.metric, start)
        return out

    @classmethod
    def value_code(cls, g: KernelWriter, spec: TargetSpec, pre: list[str]) -> str:
        start = _start(spec)
        a = g.at(spec.metric, start, pre, g.top)
        b = g.at(spec.metric, spec.year, pre, g.top)
        return f"({b}) - ({a})"


def _start(t: TargetSpec) -> int:
    return start_year(t, "a first year")
