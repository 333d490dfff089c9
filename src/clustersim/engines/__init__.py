"""Engines: the interchangeable ways to project a compiled chunk and check its targets.

:data:`ENGINES` is the one list of engines; ``run_targets``, sweeps, the benchmarks and the
CLI's ``--engine`` choices read it. Adding an engine is one module with a class that meets
:class:`~clustersim.engines.base.Engine` and its line below; tests/engines/test_contract.py
then holds it to the reference engine on every target kind and growth kind.

The reference engine (:mod:`clustersim.engines.reference`) is not in the registry on purpose:
it reads the scenario document and the draws, never the compiled arrays, so that it shares no
arithmetic with the engines it checks; it is plain Python loops, for tests and audits, not
for speed.
"""

from __future__ import annotations

from collections.abc import Sequence

from clustersim.engines.base import Buffers, Engine
from clustersim.engines.numba_engine import NumbaEngine
from clustersim.engines.numpy_engine import NumpyEngine
from clustersim.engines.projection import ProjectionEngine
from clustersim.errors import ScenarioError

__all__ = [
    "AUTO",
    "AUTO_ACCEL_FROM",
    "ENGINES",
    "ENGINE_CHOICES",
    "Buffers",
    "Engine",
    "get_engine",
    "resolve_engine",
]

#: the registry: name -> engine, in the order ``--help`` lists them
ENGINES: dict[str, Engine] = {e.name: e for e in (NumpyEngine(), NumbaEngine(), ProjectionEngine())}
#: the choice that picks an engine by the size of the work
AUTO = "auto"
#: what ``--engine`` accepts
ENGINE_CHOICES: tuple[str, ...] = (AUTO, *ENGINES)
#: ``auto`` takes the numba engine from this many cluster-years (samples x clusters x
#: years) when numba is installed: below it, compiling or loading the kernel costs more
#: than it saves
AUTO_ACCEL_FROM = 20_000_000


def get_engine(name: str) -> Engine:
    """The registered engine called ``name``, available here.

    Raises
    ------
    ScenarioError
        An unknown name (with the choices) or an engine whose dependency is missing.
    """
    from clustersim.suggest import did_you_mean

    engine = ENGINES.get(name)
    if engine is None:
        raise ScenarioError(
            f"unknown engine {name!r}{did_you_mean(name, ENGINE_CHOICES)}; choose one of "
            f"{', '.join(ENGINE_CHOICES)}"
        )
    if not engine.available():
        raise ScenarioError(f"engine {name!r} is not available here: {engine.summary}")
    return engine


def resolve_engine(name: str, cluster_years: int, kinds: Sequence[str] = ()) -> str:
    """The engine a run uses: ``name`` itself, or for ``auto`` the numba engine when it is
    installed, the work has at least :data:`AUTO_ACCEL_FROM` cluster-years and it compiles
    every target kind in ``kinds``; otherwise ``numpy``.

    Raises
    ------
    ScenarioError
        An unknown engine, one that is not available, or one asked for by name that cannot
        evaluate one of ``kinds`` (named).
    """
    if name == AUTO:
        numba = ENGINES["numba"]
        if numba.available() and cluster_years >= AUTO_ACCEL_FROM and not numba.unsupported(kinds):
            return "numba"
        return "numpy"
    engine = get_engine(name)
    missing = engine.unsupported(kinds)
    if missing:
        raise ScenarioError(
            f"the {name} engine has no form for target kind(s) {', '.join(map(repr, missing))}; "
            "use engine 'numpy' (or 'auto')"
        )
    return name
