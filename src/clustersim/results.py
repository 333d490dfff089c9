"""Run results: arrays with their labels, target outcomes, tidy tables for notebooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from clustersim.core.targets import Bound, Tier
from clustersim.values.names import Label, label_text

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from clustersim.compile import Compiled

__all__ = ["PERCENTILES", "Result", "TargetResult"]

Array = NDArray[np.float64]
PERCENTILES = (5, 25, 50, 75, 95)
TRAJECTORY_COLUMNS = ("scenario", "sample", "cluster", "year", "variable", "value")


@dataclass
class TargetResult:
    """One target's outcome. ``value``, ``margin`` and ``met`` are per sample ``(S,)``."""

    id: str
    label: Label
    kind: str
    year: int
    bound: Bound
    tiers: tuple[Tier, ...]
    value: Array
    margin: Array
    met: NDArray[np.bool_]
    source: str | None
    required_growth: dict[str, Any] | None = None
    detail: dict[str, Array] = field(default_factory=dict)
    start: int | None = None

    @property
    def probability(self) -> float:
        """Share of samples in which the target is met."""
        return float(np.mean(self.met))

    @property
    def median_value(self) -> float:
        return float(np.median(self.value))

    @property
    def median_margin(self) -> float:
        return float(np.median(self.margin))

    @property
    def status(self) -> str:
        """ "met" or "missed" (for several samples: the status of the median margin)."""
        if len(self.met) == 1:
            return "met" if bool(self.met[0]) else "missed"
        return "met" if self.median_margin >= -1e-9 * self.bound.scale else "missed"

    @property
    def goal(self) -> Any:
        if self.tiers:
            return [{"threshold": t.threshold, "at_least": t.at_least} for t in self.tiers]
        b = self.bound
        if b.lo is not None and b.hi is not None:
            return [b.lo, b.hi]
        return b.lo if b.lo is not None else b.hi

    @property
    def op(self) -> str:
        if self.tiers:
            return "tiers"
        b = self.bound
        if b.lo is not None and b.hi is not None:
            return "between"
        return ">=" if b.lo is not None else "<="

    def percentiles(self) -> dict[str, float]:
        q = np.percentile(self.value, PERCENTILES)
        return {f"p{p}": float(v) for p, v in zip(PERCENTILES, q, strict=True)}

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "label": label_text(self.label, lang, self.id),
            "kind": self.kind,
            "year": self.year,
            "status": self.status,
            "value": self.median_value,
            "goal": self.goal,
            "op": self.op,
            "margin": self.median_margin,
            "probability": self.probability,
            "required_growth": self.required_growth,
            "source": self.source,
        }
        if self.start is not None:
            d["from_year"] = self.start
        if len(self.value) > 1:
            d["percentiles"] = self.percentiles()
        if self.detail:
            d["detail"] = {k: float(np.median(v)) for k, v in self.detail.items()}
        return d


@dataclass
class Result:
    """The projection of one scenario.

    Attributes
    ----------
    scenario_id : str
    years : int array (T,)
    clusters : tuple of str (C,)
    samples : int
    series : dict of str to array
        ``(S, T)`` region series and metrics, ``(S, C, T)`` cluster series.
    targets : list of TargetResult
    seed : int or None
        The root seed used for Monte Carlo draws (None for a plain run).
    """

    scenario_id: str
    years: NDArray[np.int64]
    clusters: tuple[str, ...]
    samples: int
    series: dict[str, Array]
    targets: list[TargetResult]
    seed: int | None
    compiled: Compiled | None = None

    @property
    def base_year(self) -> int:
        return int(self.years[0])

    @property
    def end_year(self) -> int:
        return int(self.years[-1])

    def region_series(self) -> dict[str, Array]:
        """Region-level series and derived metrics, ``(S, T)`` each."""
        return {k: v for k, v in self.series.items() if v.ndim == 2}

    def cluster_series(self) -> dict[str, Array]:
        return {k: v for k, v in self.series.items() if v.ndim == 3}

    def target(self, target_id: str) -> TargetResult:
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(target_id)

    @property
    def all_met(self) -> bool:
        return all(t.status == "met" for t in self.targets)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The JSON document of ``clustersim run --json``."""
        med = {
            name: {
                int(y): float(v) for y, v in zip(self.years, np.median(arr, axis=0), strict=True)
            }
            for name, arr in self.region_series().items()
        }
        return {
            "scenario": self.scenario_id,
            "base_year": self.base_year,
            "end_year": self.end_year,
            "samples": self.samples,
            "seed": self.seed,
            "clusters": list(self.clusters),
            "all_met": self.all_met,
            "targets": [t.to_dict(lang) for t in self.targets],
            "series": med,
        }

    def to_arrow(self) -> pa.Table:
        """Tidy trajectories: ``scenario, sample, cluster, year, variable, value``."""
        from clustersim.io.tables import trajectories_table

        return trajectories_table(self)

    def targets_arrow(self) -> pa.Table:
        """One row per target and sample: value, margin, met."""
        from clustersim.io.tables import targets_table

        return targets_table(self)

    def to_pandas(self) -> pd.DataFrame:
        """:meth:`to_arrow` as a pandas DataFrame (needs pandas)."""
        try:
            import pandas  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install 'clustersim[pandas]'") from exc
        return self.to_arrow().to_pandas()

    def targets_pandas(self) -> pd.DataFrame:
        return self.targets_arrow().to_pandas()
