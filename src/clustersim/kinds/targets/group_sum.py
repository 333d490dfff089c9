"""``group_sum``: the sum of a cluster series over a group in a year."""

from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.targets import Frame, TargetSpec
from clustersim.kinds.targets._base import KernelWriter, PointKind

__all__ = ["GroupSumTarget"]


class GroupSumTarget(PointKind):
    """Sum of a cluster series over a group in a year (future industries reach 1,000 亿)."""

    kind: Literal["group_sum"]
    variable: str = "output"
    group: str
    year: int

    doc_fields: ClassVar[str] = (
        "`variable` (a cluster series or cluster-level expression, default `output`), "
        "`group`, `year`"
    )
    doc_value: ClassVar[str] = "`sum(variable, group)[year]`"

    def metric_expr(self) -> ex.Expr:
        return ex.Reduce("sum", ex.parse(self.variable), self.group)

    @classmethod
    def value(cls, t: TargetSpec, f: Frame) -> NDArray[np.float64]:
        return f.rows_at(t.metric, t.year)

    @classmethod
    def value_code(cls, g: KernelWriter, spec: TargetSpec, pre: list[str]) -> str:
        return g.at(spec.metric, spec.year, pre, g.top)
