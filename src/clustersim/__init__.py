"""clustersim: project regional industrial clusters and check plan targets.

>>> import clustersim as cs
>>> sc = cs.load_scenario("scenarios/example.yaml")        # doctest: +SKIP
>>> res = cs.run(sc, samples=1000, seed=1)                  # doctest: +SKIP
>>> res.targets_pandas()                                    # doctest: +SKIP

Names are imported lazily, so ``import clustersim.core`` stays numpy-only and the
command line starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clustersim._lazy import attach
from clustersim.errors import ClusterSimError, ClusterSimWarning, ModelError, ScenarioError

if TYPE_CHECKING:
    from clustersim.api import CheckOutcome, audit, check, load_and_run
    from clustersim.compile import compile_scenario
    from clustersim.engine import run
    from clustersim.results import Result, StatusRule, TargetResult
    from clustersim.scenario.loader import load_scenario
    from clustersim.scenario.models import Scenario
    from clustersim.sweep.parquet_sink import sweep_samples

from clustersim._version import __version__

__all__ = [
    "CheckOutcome",
    "ClusterSimError",
    "ClusterSimWarning",
    "ModelError",
    "Result",
    "Scenario",
    "ScenarioError",
    "StatusRule",
    "TargetResult",
    "__version__",
    "audit",
    "check",
    "compile_scenario",
    "load_and_run",
    "load_scenario",
    "run",
    "sweep_samples",
]

_LAZY = {
    "CheckOutcome": "clustersim.api",
    "audit": "clustersim.api",
    "check": "clustersim.api",
    "load_and_run": "clustersim.api",
    "compile_scenario": "clustersim.compile",
    "run": "clustersim.engine",
    "Result": "clustersim.results",
    "StatusRule": "clustersim.results",
    "TargetResult": "clustersim.results",
    "load_scenario": "clustersim.scenario.loader",
    "Scenario": "clustersim.scenario.models",
    "sweep_samples": "clustersim.sweep.parquet_sink",
}


__getattr__, __dir__ = attach(__name__, _LAZY, __all__)
