"""``change_vs``: relative change of a metric in ``year`` against ``relative_to``."""

from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.targets import Frame, TargetSpec
from clustersim.kinds.targets._base import KernelWriter, PointKind, start_year

__all__ = ["ChangeVsTarget"]


class ChangeVsTarget(PointKind):
    """Relative change of a metric in ``year`` against ``relative_to`` (history allowed):
    ``value = x[year] / x[relative_to] - 1``."""

    kind: Literal["change_vs"]
    metric: str
    relative_to: int
    year: int

    percent: ClassVar[bool] = True
    marker: ClassVar[Literal["goal", "reference", "path", "bars"]] = "reference"
    goal_units: ClassVar[Literal["value", "percent", "pp"]] = "percent"
    goal_suffix: ClassVar[Literal["", "per_year", "every_year", "vs_year"]] = "vs_year"
    doc_fields: ClassVar[str] = "`metric`, `relative_to`, `year`"
    doc_value: ClassVar[str] = "`x[year] / x[relative_to] − 1`"

    def metric_expr(self) -> ex.Expr:
        return ex.parse(self.metric)

    def start(self) -> int | None:
        return self.relative_to

    @classmethod
    def value(cls, t: TargetSpec, f: Frame) -> NDArray[np.float64]:
        """``x[year] / x[start] - 1``, ``(S',)``."""
        start = _start(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            out: NDArray[np.float64] = (
                f.rows_at(t.metric, t.year) / f.rows_at(t.metric, start) - 1.0
            )
        return out

    @classmethod
    def value_code(cls, g: KernelWriter, spec: TargetSpec, pre: list[str]) -> str:
        start = _start(spec)
        a = g.at(spec.metric, start, pre, g.top)
        b = g.at(spec.metric, spec.year, pre, g.top)
        return f"({b}) / ({a}) - 1.0"


def _start(t: TargetSpec) -> int:
    return start_year(t, "a reference year")
