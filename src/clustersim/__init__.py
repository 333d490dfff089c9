"""clustersim: project regional industrial clusters and check plan targets.

>>> import clustersim as cs
>>> sc = cs.load_scenario("scenarios/example.yaml")        # doctest: +SKIP
>>> res = cs.run(sc, samples=1000, seed=1)                  # doctest: +SKIP
>>> res.targets_pandas()                                    # doctest: +SKIP
"""

from __future__ import annotations

from clustersim.compile import compile_scenario
from clustersim.engine import run
from clustersim.errors import ClusterSimError, ClusterSimWarning, ModelError, ScenarioError
from clustersim.results import Result, TargetResult
from clustersim.scenario.loader import load_scenario
from clustersim.scenario.models import Scenario

__version__ = "0.1.0"

__all__ = [
    "ClusterSimError",
    "ClusterSimWarning",
    "ModelError",
    "Result",
    "Scenario",
    "ScenarioError",
    "TargetResult",
    "__version__",
    "compile_scenario",
    "load_scenario",
    "run",
]
