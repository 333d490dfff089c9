"""The projection engine: every series of every sample, then every target on them.

What ``clustersim run`` does (it keeps the series); the sweep's engine when trajectories are
kept, and the path that says *where* a value stops being finite (sample, series, file and
line) when a fast engine fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from clustersim.compile import Compiled, CompiledTarget, RatesLayout
from clustersim.core import expr as ex
from clustersim.core.model import Compound, StockFlow
from clustersim.core.project import project
from clustersim.core.targets import Frame, Outcome, evaluate_target
from clustersim.errors import ModelError, ScenarioError

if TYPE_CHECKING:
    from clustersim.engines.base import Buffers
    from clustersim.sampling import InverseNormal

__all__ = ["Projected", "ProjectionEngine", "frame_of", "project_all"]

Array = NDArray[np.float64]


def frame_of(comp: Compiled, series: dict[str, Array]) -> Frame:
    """The target frame over projected ``series`` of ``comp`` (years, clusters, groups, history)."""
    return Frame(
        series,
        comp.model.years,
        comp.model.clusters,
        comp.model.groups,
        comp.model.history,
        comp.metrics,
    )


def _origin_fn(comp: Compiled) -> Any:
    def origin_of(name: str) -> str:
        if name in comp.metrics:
            return f"{comp.at('metrics', name)}: "
        return ""

    return origin_of


def check_finite(comp: Compiled, series: dict[str, Array], where: str = "") -> None:
    """NaN, inf, or a negative level or stock in any series is an error that says where.

    Levels (compound series, stocks) start at or above zero, so a negative value means
    growth fell below -100% somewhere, e.g. through an elasticity.
    """
    years, clusters = comp.model.years, comp.model.clusters
    levels = {op.name for op in comp.model.ops if isinstance(op, Compound | StockFlow)}
    origin_of = _origin_fn(comp)
    for name, arr in series.items():
        if arr.ndim < 2 or arr.size == 0:  # no sample and year to name (compile refuses these)
            raise ModelError(
                f"{origin_of(name)}{name} has no values per sample and year (it reads no "
                "series, or an empty selection of clusters)"
            )
        bad = ~np.isfinite(arr)
        neg = name in levels
        if neg:
            bad |= arr < 0
        if bad.any():
            idx = np.argwhere(bad)[0]
            at = f"sample {idx[0]}, " + (f"cluster {clusters[idx[1]]}, " if arr.ndim == 3 else "")
            what = "is negative" if neg and np.isfinite(arr[tuple(idx)]) else "is not finite"
            hint = (
                "growth fell below -100% (check its growth and any elasticity)"
                if what == "is negative"
                else "check its base value and growth"
            )
            raise ModelError(
                f"{origin_of(name)}{name} {what} in {at}year {years[idx[-1]]} "
                f"({float(arr[tuple(idx)])!r}); {hint}"
            )


def target_outcome(comp: Compiled, ct: CompiledTarget, frame: Frame) -> Outcome:
    try:
        out = evaluate_target(ct.spec, frame)
    except ex.ExprError as exc:
        raise ScenarioError(f"{comp.at('targets', ct.spec.id)}: {exc}") from exc
    if not np.all(np.isfinite(out.value)):
        n = int(np.sum(~np.isfinite(out.value)))
        raise ModelError(
            f"{comp.at('targets', ct.spec.id)}: the value is not finite in "
            f"{n} sample(s) (a zero or negative base, or a division by zero in the metric)"
        )
    return out


@dataclass(frozen=True)
class Projected:
    """Every series (``(S, T)`` region, ``(S, C, T)`` cluster; metrics included) and the
    outcome of every target of one compiled chunk."""

    series: dict[str, Array]
    frame: Frame
    outcomes: dict[str, Outcome]


def project_all(comp: Compiled) -> Projected:
    """Project ``comp``, check every series is finite (and levels not negative), evaluate
    the derived metrics and every target.

    Raises
    ------
    ModelError
        A value that is not finite or a level that turns negative: sample, series, year.
    ScenarioError
        A metric or target expression that cannot be evaluated, with its file and line.
    """
    series = project(comp.model)
    check_finite(comp, series)
    frame = frame_of(comp, series)
    metrics = {}
    for name in comp.metrics:
        try:
            metrics[name] = frame.lookup(name)
        except ex.ExprError as exc:
            raise ScenarioError(f"{comp.at('metrics', name)}: {exc}") from exc
    series.update(metrics)
    outcomes = {tid: target_outcome(comp, ct, frame) for tid, ct in comp.targets.items()}
    check_finite(comp, metrics)  # after the targets, so a target's own metric names the target
    # a name starting with "_" is internal (the continuous count under an integer indicator)
    return Projected({k: v for k, v in series.items() if not k.startswith("_")}, frame, outcomes)


class ProjectionEngine:
    """Projects every series in full (the ``(S, C, T)`` arrays), then checks the targets."""

    name: ClassVar[str] = "projection"
    summary: ClassVar[str] = "every series in full, then the targets, as run does"
    parallel_chunks: ClassVar[bool] = False  # NumPy throughout, as the NumPy engine

    def available(self) -> bool:
        return True

    def unsupported(self, kinds: Sequence[str]) -> list[str]:
        return []

    def inverse_normal(self) -> InverseNormal | None:
        return None

    def rates_layout(self) -> RatesLayout:
        return "year"  # as the NumPy core

    def evaluate(
        self, comp: Compiled, *, block: int | None = None, out: Buffers | None = None
    ) -> dict[str, Outcome]:
        outcomes = project_all(comp).outcomes
        if out is None:
            return outcomes
        n = comp.model.samples
        for i, (tid, o) in enumerate(outcomes.items()):
            row = {k: out[k][i, :n] for k in ("value", "margin", "met")}
            row["value"][...] = o.value
            row["margin"][...] = o.margin
            row["met"][...] = o.met
            outcomes[tid] = Outcome(row["value"], row["margin"], row["met"], o.detail)
        return outcomes
