"""``share``: ``numerator / denominator`` in a year."""

from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.targets import Frame, TargetSpec
from clustersim.kinds.targets._base import KernelWriter, PointKind

__all__ = ["ShareTarget"]


class ShareTarget(PointKind):
    """``numerator / denominator`` in a year (strategic emerging = 43% of industrial output)."""

    kind: Literal["share"]
    numerator: str
    denominator: str
    year: int

    percent: ClassVar[bool] = True
    chart_percent: ClassVar[bool | None] = True
    doc_fields: ClassVar[str] = "`numerator`, `denominator`, `year`"
    doc_value: ClassVar[str] = "`numerator[year] / denominator[year]`"
    deflatable: ClassVar[bool] = False

    def metric_expr(self) -> ex.Expr:
        return ex.Bin("/", ex.parse(self.numerator), ex.parse(self.denominator))

    @classmethod
    def value(cls, t: TargetSpec, f: Frame) -> NDArray[np.float64]:
        return f.rows_at(t.metric, t.year)

    @classmethod
    def value_code(cls, g: KernelWriter, spec: TargetSpec, pre: list[str]) -> str:
        return g.at(spec.metric, spec.year, pre, g.top)
