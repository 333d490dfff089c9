"""``cumulative``: an annual flow summed over ``from_year..year`` (累计, both ends included)."""

from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.targets import Frame, TargetSpec
from clustersim.kinds.targets._base import KernelWriter, PointKind, start_year

__all__ = ["CumulativeTarget"]


class CumulativeTarget(PointKind):
    """An annual flow summed over the years ``from_year .. year``, both included (累计 X,
    2024-2026: ``from_year: 2024, year: 2026``)."""

    kind: Literal["cumulative"]
    metric: str
    from_year: int
    year: int

    chart_percent: ClassVar[bool | None] = None
    doc_fields: ClassVar[str] = "`metric` (an annual flow), `from_year`, `year`"
    doc_value: ClassVar[str] = "`x[from_year] + … + x[year]` (累计, both years included)"

    def metric_expr(self) -> ex.Expr:
        return ex.parse(self.metric)

    def start(self) -> int | None:
        return self.from_year

    @classmethod
    def value(cls, t: TargetSpec, f: Frame) -> NDArray[np.float64]:
        """``sum(x[y] for y in start..year)``, ``(S',)``."""
        start = _start(t)
        out: NDArray[np.float64] = f.rows_window(t.metric, start, t.year).sum(axis=0)
        return out

    @classmethod
    def value_code(cls, g: KernelWriter, spec: TargetSpec, pre: list[str]) -> str:
        start = _start(spec)
        terms = [g.at(spec.metric, y, pre, g.top) for y in range(start, spec.year + 1)]
        return "(" + " + ".join(f"({x})" for x in terms) + ")"


def _start(t: TargetSpec) -> int:
    return start_year(t, "a first year")
