"""The Python API with the verbs of the command line: run a scenario file, check its
targets, validate it and explain where a value came from.

The command line (:mod:`clustersim.cli`) parses its options, calls these functions and
renders what they return; every decision (which target passes, which path exists, which
number has no source) is made here, so a Python user gets the same answers as the shell.

>>> import clustersim as cs
>>> outcome = cs.check("scenarios/example.yaml", samples=1000, seed=1,
...                    min_probability=0.8)                         # doctest: +SKIP
>>> outcome.passed, [t.id for t in outcome.failed]                 # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clustersim.compile import Compiled, compile_scenario
from clustersim.engine import run
from clustersim.errors import ClusterSimError
from clustersim.results import Result, StatusRule, TargetResult
from clustersim.scenario.audit import Audit
from clustersim.scenario.loader import load_scenario, provenance
from clustersim.scenario.models import Scenario
from clustersim.scenario.provenance import Origin

__all__ = [
    "AUDIT_SAMPLES",
    "AUDIT_SEED",
    "DEFAULT_SAMPLES",
    "CheckOutcome",
    "Explanation",
    "Validation",
    "audit",
    "check",
    "explain",
    "judge",
    "load_and_run",
    "new_seed",
    "uncertain_count",
    "validate",
]


#: Monte Carlo samples of ``clustersim run`` (and ``load_and_run(samples=None)``) when the
#: scenario has uncertain numbers
DEFAULT_SAMPLES = 1000


def new_seed() -> int:
    """A fresh root seed for a run that was given none (printed and recorded, so the run
    can be repeated): 9 digits at most, easy to retype."""
    import secrets

    return secrets.randbelow(10**9)


def uncertain_count(scenario: Scenario) -> int:
    """How many numbers of ``scenario`` are uncertain (distributions and observations)."""
    return len(compile_scenario(scenario, samples=1).params)


def load_and_run(
    scenario: str | Path | Scenario,
    *,
    samples: int | None = 1,
    seed: int | None = None,
    required: bool = True,
    audit: bool = False,
    rule: StatusRule | None = None,
    cache: bool = False,
) -> Result:
    """Load ``scenario`` (a file, or an already loaded :class:`Scenario`) and project it.

    Parameters
    ----------
    scenario : str, Path or Scenario
        A scenario YAML file (its ``extends`` chain is followed) or a loaded scenario.
    samples : int or None
        Monte Carlo samples of every uncertain number; 1 projects the central values.
        None: :data:`DEFAULT_SAMPLES` when the scenario has uncertain numbers, else 1
        (the honest default of ``clustersim run``).
    seed : int or None
        Root random seed; the same seed gives the same numbers. None with several samples:
        a fresh seed (:func:`new_seed`), recorded as ``Result.seed``.
    rule : StatusRule or None
        With several samples, each target's status from P(met) under this rule (likely,
        uncertain, unlikely); None: the status of the median.
    required : bool
        Also find the constant growth each target needs (costs one root search per target).
    audit : bool
        Also run the assumption audit (:func:`audit`) and attach it as ``Result.audit``.
    cache : bool
        Load a file through the cache of validated scenarios
        (:mod:`clustersim.scenario.cache`, what ``clustersim run`` does): the same scenario,
        without building pydantic's validators when the files are unchanged.

    Raises
    ------
    ClusterSimError
        For an invalid file (one ``file:line: field.path: message`` line per problem) or a
        projection that is not finite.
    """
    if isinstance(scenario, Scenario):
        sc = scenario
    elif cache:
        from clustersim.scenario.cache import load_scenario_cached

        sc = load_scenario_cached(scenario)
    else:
        sc = load_scenario(scenario)
    # compiled once for one sample: counts the uncertain numbers, gives the central
    # scenario the required growths search, and the audit's plain run
    point = compile_scenario(sc, samples=1)
    uncertain = len(point.params)
    if samples is None:
        samples = DEFAULT_SAMPLES if uncertain else 1
    if seed is None and samples > 1:
        seed = new_seed()
    result = run(sc, samples=samples, seed=seed, required=required, point=point)
    result.uncertain = uncertain
    if samples > 1:
        result.with_rule(rule)
    if audit:
        result.audit = _audit(sc, AUDIT_SAMPLES, AUDIT_SEED, point)
    return result


#: the Monte Carlo run the audit's ``no_spread`` rule reads: its own, whatever the user's run,
#: so ``validate --audit`` and ``run --json`` report the same findings
AUDIT_SAMPLES = 200
AUDIT_SEED = 11


def audit_scenario(
    scenario: str | Path | Scenario, *, samples: int = AUDIT_SAMPLES, seed: int = AUDIT_SEED
) -> Audit:
    """The assumption audit: every target whose outcome the scenario's own assumptions fix,
    with the rule and the assumption named (:mod:`clustersim.scenario.audit`).

    Rules ``to_target``, ``target_rate`` and ``flat_base`` read the scenario; ``no_spread``
    reads a Monte Carlo run of ``samples`` samples and ``central_on_goal`` a plain run.
    In a plan scenario (one that ``extends:`` a trend) each finding is a plan assumption.

    Raises
    ------
    ClusterSimError
        For an invalid file, as :func:`load_and_run`.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return _audit(sc, samples, seed, None)


def _audit(sc: Scenario, samples: int, seed: int, point: Compiled | None) -> Audit:
    """:func:`audit_scenario` of a loaded scenario; ``point``: ``sc`` compiled for one
    sample already (reused for the plain run)."""
    from clustersim.scenario.audit import (
        assumption_findings,
        goal_of,
        is_plan,
        order,
        outcome_findings,
    )

    found = assumption_findings(sc)
    spread = {t.id: t.margin for t in run(sc, samples=samples, seed=seed, required=False).targets}
    plain = run(sc, samples=1, seed=seed, required=False, point=point)
    central: dict[str, tuple[float, float | None]] = {}
    for t in plain.targets:
        about = getattr(sc.targets.get(t.id), "about", None)
        if about is not None:
            # 左右: a central path on the centre of the band is the construction to catch
            centre = float(about.value)
            central[t.id] = (float(t.value[0]) - centre, centre)
            continue
        goal = t.bound.lo if t.bound.lo is not None else t.bound.hi
        if goal is None:
            goal = goal_of(sc.targets[t.id]) if t.id in sc.targets else None
        central[t.id] = (float(t.margin[0]), goal)
    found += outcome_findings(sc, spread, central)
    return Audit(
        findings=order(found, sc),
        targets=len(sc.targets),
        plan=is_plan(sc),
        samples=samples,
        seed=seed,
    )


#: the public name (``load_and_run``'s ``audit`` flag shadows it inside that function)
audit = audit_scenario


@dataclass(frozen=True)
class CheckOutcome:
    """Which targets of a run pass a check, and whether all of them do.

    Attributes
    ----------
    result : Result
        The run the targets were judged on.
    min_probability : float or None
        A target passes when it is met in at least this share of the samples; None: when
        its status (the median margin, or the single run's) is ``met``.
    failed : tuple of TargetResult
        The targets that do not pass, in the scenario's order.
    """

    result: Result
    min_probability: float | None
    failed: tuple[TargetResult, ...]

    @property
    def passed(self) -> bool:
        """Whether every target passes (``clustersim check`` exits 0)."""
        return not self.failed

    def passes(self, target: TargetResult) -> bool:
        """Whether ``target`` (one of :attr:`result`'s targets) passes."""
        return all(t is not target for t in self.failed)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The run's JSON document with ``failed``: the ids of the targets that do not pass."""
        doc = self.result.to_dict(lang)
        doc["failed"] = [t.id for t in self.failed]
        return doc


def judge(result: Result, *, min_probability: float | None = None) -> CheckOutcome:
    """Judge every target of ``result``: met in at least ``min_probability`` of the samples,
    or (None) its status is ``met``.

    Raises
    ------
    ClusterSimError
        When ``min_probability`` is not a number in [0, 1].
    """
    _check_probability(min_probability)
    failed = tuple(
        t
        for t in result.targets
        if not (
            t.probability >= min_probability if min_probability is not None else t.status == "met"
        )
    )
    return CheckOutcome(result=result, min_probability=min_probability, failed=failed)


def check(
    scenario: str | Path | Scenario,
    *,
    samples: int = 1,
    seed: int | None = None,
    min_probability: float | None = None,
) -> CheckOutcome:
    """Run ``scenario`` (without the required-growth search) and judge its targets.

    See :func:`load_and_run` for the arguments and :func:`judge` for the rule; the outcome
    is what ``clustersim check`` prints and exits with.
    """
    _check_probability(min_probability)  # refuse a bad threshold before the projection runs
    result = load_and_run(scenario, samples=samples, seed=seed, required=False)
    return judge(result, min_probability=min_probability)


@dataclass(frozen=True)
class Validation:
    """A scenario that loads, validates and compiles, with what ``validate`` reports.

    Attributes
    ----------
    path : Path or None
        The file validated; None for a scenario given as a model (an imported workbook).
    scenario : Scenario
        Its validated model.
    uncertain : int
        How many of its numbers are uncertain (distributions and observations).
    files : tuple of str
        The ``extends`` chain, root first, this file last.
    unsourced : tuple of str or None
        Dotted paths of numbers and targets without a ``source``; None when not asked for.
    """

    path: Path | None
    scenario: Scenario
    uncertain: int
    files: tuple[str, ...]
    unsourced: tuple[str, ...] | None = None


def validate(scenario: str | Path | Scenario, *, sources: bool = False) -> Validation:
    """Load, validate and compile a scenario without running it.

    Compiling checks what the schema cannot: names in expressions, history, growth bounds.

    Parameters
    ----------
    scenario : str, Path or Scenario
        The scenario YAML file, or a model built another way (read from a workbook).
    sources : bool
        Also list the numbers and targets without a ``source`` (:attr:`Validation.unsourced`).

    Raises
    ------
    ClusterSimError
        For bad YAML, a schema error, an unknown name in an expression, a broken
        ``extends`` chain: one ``file:line: field.path: message`` line per problem.
    """
    if isinstance(scenario, Scenario):
        p, sc = None, scenario
    else:
        p = Path(scenario)
        sc = load_scenario(p)
    comp = compile_scenario(sc, samples=1)
    loaded = provenance(sc)
    missing: tuple[str, ...] | None = None
    if sources:
        from clustersim.scenario.audit import unsourced

        missing = tuple(unsourced(sc))
    return Validation(
        path=p,
        scenario=sc,
        uncertain=len(comp.params),
        files=tuple(loaded.files) if loaded else (),
        unsourced=missing,
    )


@dataclass(frozen=True)
class Explanation:
    """The value at a dotted path of a scenario file and where it was written.

    Attributes
    ----------
    path : str
        The dotted path asked for (``region.gdp.base``, ``targets.t1.between.0``).
    value : Any
        The merged raw value (after ``extends``), as YAML loaded it.
    origin : Origin or None
        The file and line that supplied it (or its nearest enclosing block).
    overrides : tuple of Origin
        The values it replaced along the ``extends`` chain, nearest first.
    """

    path: str
    value: Any
    origin: Origin | None
    overrides: tuple[Origin, ...]


def explain(scenario: Scenario, path: str) -> Explanation | None:
    """Where the value at ``path`` of a loaded ``scenario`` came from; None when the file
    has no such path (or the scenario was not loaded from a file)."""
    loaded = provenance(scenario)
    if loaded is None:
        return None
    key = tuple(p for p in path.split(".") if p)
    value: Any = loaded.data
    for k in key:
        if isinstance(value, dict) and any(str(d) == k for d in value):
            value = next(v for d, v in value.items() if str(d) == k)  # year keys are ints
        elif isinstance(value, list) and k.isdigit() and int(k) < len(value):
            value = value[int(k)]
        else:
            return None
    return Explanation(
        path=path,
        value=value,
        origin=loaded.where(key),
        overrides=tuple(reversed(loaded.overridden.get(key, []))),
    )


def _check_probability(min_probability: float | None) -> None:
    if min_probability is not None and not (
        math.isfinite(min_probability) and 0.0 <= min_probability <= 1.0
    ):
        raise ClusterSimError(f"min_probability: {min_probability!r} is not in [0, 1]")
