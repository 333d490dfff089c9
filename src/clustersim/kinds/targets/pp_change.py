"""``pp_change``: a share's total change in percentage points over a window (提高 X 个百分点)."""

from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.targets import Frame, TargetSpec
from clustersim.kinds.targets._base import KernelWriter, PointKind

__all__ = ["PpChangeTarget"]


class PpChangeTarget(PointKind):
    """A share's change from ``from_year`` to ``year`` in percentage points (1 pp = 0.01):
    提高 2 个百分点 is ``at_least: 0.02``."""

    kind: Literal["pp_change"]
    metric: str
    from_year: int
    year: int

    pp: ClassVar[bool] = True
    chart_percent: ClassVar[bool | None] = True
    marker: ClassVar[Literal["goal", "reference", "path", "bars"]] = "path"
    goal_units: ClassVar[Literal["value", "percent", "pp"]] = "pp"
    goal_suffix: ClassVar[Literal["", "per_year", "every_year", "vs_year"]] = "vs_year"
    doc_fields: ClassVar[str] = "`metric` (a share), `from_year`, `year`"
    doc_value: ClassVar[str] = "`x[year] − x[from_year]` (1 pp = 0.01)"
    deflatable: ClassVar[bool] = False

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
        if t.start is None:
            raise ValueError(f"target {t.id}: pp_change needs a first year")
        out: NDArray[np.float64] = f.rows_at(t.metric, t.year) - f.rows_at(t.metric, t.start)
        return out

    @classmethod
    def value_code(cls, g: KernelWriter, spec: TargetSpec, pre: list[str]) -> str:
        if spec.start is None:
            raise ValueError(f"target {spec.id}: pp_change needs a first year")
        a = g.at(spec.metric, spec.start, pre, g.top)
        b = g.at(spec.metric, spec.year, pre, g.top)
        return f"({b}) - ({a})"
