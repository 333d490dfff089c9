"""``cagr``: compound annual growth of a metric from ``from_year`` to ``year``."""

import math
from collections.abc import Callable
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.targets import Frame, TargetSpec
from clustersim.kinds.targets._base import KernelWriter, PointKind, start_year

__all__ = ["CagrTarget"]


class CagrTarget(PointKind):
    """Compound annual growth of a metric from ``from_year`` to ``year``."""

    kind: Literal["cagr"]
    metric: str
    from_year: int
    year: int

    percent: ClassVar[bool] = True
    marker: ClassVar[Literal["goal", "reference", "path", "bars"]] = "path"
    goal_units: ClassVar[Literal["value", "percent", "pp"]] = "percent"
    goal_suffix: ClassVar[Literal["", "per_year", "every_year", "vs_year"]] = "per_year"
    doc_fields: ClassVar[str] = "`metric`, `from_year`, `year`"
    doc_value: ClassVar[str] = "`(x[year] / x[from_year])^(1 / (year − from_year)) − 1`"

    def metric_expr(self) -> ex.Expr:
        return ex.parse(self.metric)

    def start(self) -> int | None:
        return self.from_year

    @classmethod
    def value(cls, t: TargetSpec, f: Frame) -> NDArray[np.float64]:
        """``(x[year] / x[start]) ** (1 / (year - start)) - 1``, ``(S',)``."""
        start = _start(t)
        a, b = f.rows_at(t.metric, start), f.rows_at(t.metric, t.year)
        with np.errstate(divide="ignore", invalid="ignore"):
            out: NDArray[np.float64] = np.power(b / a, 1.0 / (t.year - start)) - 1.0
        return out

    @classmethod
    def value_code(cls, g: KernelWriter, spec: TargetSpec, pre: list[str]) -> str:
        start = _start(spec)
        a = g.at(spec.metric, start, pre, g.top)
        b = g.at(spec.metric, spec.year, pre, g.top)
        return f"(({b}) / ({a})) ** {g.k(1.0 / (spec.year - start))} - 1.0"

    @classmethod
    def closed_form(
        cls,
        spec: TargetSpec,
        x0: float,
        goal: float,
        base_year: int,
        value_at: Callable[[int], float],
    ) -> float | None:
        """The goal itself from the base year on; from a history year ``s``, the rate
        over ``n`` projected years with ``x0 (1 + r)^n = x[s] (1 + goal)^(year - s)``."""
        start = _start(spec)
        if start >= base_year:
            return float(goal)
        x_start = value_at(start)
        if not math.isfinite(x_start) or x_start <= 0:
            return None
        n = spec.year - base_year
        return float(((1.0 + goal) ** (spec.year - start) * x_start / x0) ** (1.0 / n) - 1.0)

    @classmethod
    def goal_path(cls, ref: float, goal: float, n: int) -> float:
        return float(ref * (1 + goal) ** n)


def _start(t: TargetSpec) -> int:
    return start_year(t, "a start year")
