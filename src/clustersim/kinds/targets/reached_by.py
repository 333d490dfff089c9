"""``reached_by``: the goal is met in at least one year of ``from_year..year`` ("by 2026",
"within three years")."""

from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.targets import Frame, Outcome, TargetSpec, broadcast_outcome
from clustersim.kinds.targets._base import EveryYearKind

__all__ = ["ReachedByTarget"]


class ReachedByTarget(EveryYearKind):
    """A metric meets the goal at least once in ``from_year .. year``: the value reported
    is the year with the largest margin (the first of equals)."""

    kind: Literal["reached_by"]
    metric: str
    from_year: int
    year: int

    lag: ClassVar[int] = 0
    any_year: ClassVar[bool] = True
    chart_percent: ClassVar[bool | None] = None
    doc_fields: ClassVar[str] = "`metric`, `from_year`, `year`"
    doc_value: ClassVar[str] = (
        "`x[t]` in the best year `t` of `from_year … year` (met once is enough)"
    )

    def metric_expr(self) -> ex.Expr:
        return ex.parse(self.metric)

    def start(self) -> int | None:
        return self.from_year

    @classmethod
    def per_year(cls, w: NDArray[np.float64]) -> NDArray[np.float64]:
        return w  # the metric in each year of [start, year]

    @classmethod
    def step_code(cls, cur: str, prev: str) -> str:
        return cur

    @classmethod
    def evaluate(cls, t: TargetSpec, f: Frame) -> Outcome:
        if t.start is None:
            raise ValueError(f"target {t.id}: reached_by needs a first year")
        w = f.rows_window(t.metric, t.start, t.year)  # (W, S')
        margins = t.bound.margin(w)
        # the best year: the first with the largest margin (NaN years never win, as in the kernel)
        filled = np.where(np.isnan(margins), -np.inf, margins)
        b = np.argmax(filled, axis=0)[None]
        value = np.take_along_axis(w, b, axis=0)[0]
        margin = np.take_along_axis(margins, b, axis=0)[0]
        return broadcast_outcome(f.samples, value, margin, t.bound.reached(margin), {})
