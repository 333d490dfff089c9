"""``level``: a metric in a year (``rd_intensity`` >= 3% in 2026)."""

import math
from collections.abc import Callable
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.targets import Frame, TargetSpec
from clustersim.kinds.targets._base import KernelWriter, PointKind

__all__ = ["LevelTarget", "level_closed_form", "level_is_percent"]


class LevelTarget(PointKind):
    """A metric in a year: ``rd_intensity`` >= 3% in 2026."""

    kind: Literal["level"]
    metric: str
    year: int

    chart_percent: ClassVar[bool | None] = None
    doc_fields: ClassVar[str] = "`metric`, `year`"
    doc_value: ClassVar[str] = "`x[year]`"

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

    @classmethod
    def is_percent(cls, goal: Any, value: float) -> bool:
        return level_is_percent(goal, value)


def level_closed_form(spec: TargetSpec, x0: float, goal: float, base_year: int) -> float | None:
    """``(goal / x0) ** (1 / n) - 1``: the rate that takes the lever from ``x0`` to the goal
    in ``n = year - base_year`` years (None for a goal <= 0)."""
    if goal <= 0:
        return None
    n = spec.year - base_year
    return float((goal / x0) ** (1.0 / n) - 1.0)


def level_is_percent(goal: Any, value: float) -> bool:
    """A level whose goal is below 1 and whose value is below 1.5 is taken for a share
    (``rd_intensity >= 0.03``)."""
    return isinstance(goal, float) and abs(goal) < 1.0 and math.isfinite(value) and abs(value) < 1.5
