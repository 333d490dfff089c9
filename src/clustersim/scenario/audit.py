"""Audit a scenario: numbers and targets that do not say where they come from
(:func:`unsourced`), and targets whose outcome the scenario's own assumptions fix
(:func:`assumption_findings`, :func:`outcome_findings`; ``clustersim validate --audit``).

The assumption audit's rules (:data:`RULES`), each named in every finding:

1. ``to_target``: a growth of kind ``to_target`` aimed at the target's own value and year;
2. ``target_rate``: a fixed constant (or path) rate equal to the rate a ``cagr`` or
   ``growth_every_year`` target asks for;
3. ``flat_base``: the target's own series based on the goal and not growing (a level, stock,
   flow or group sum);
4. ``no_spread``: a margin with no spread across Monte Carlo samples (a range collapsed to a
   point: P(met) is 0 or 1 by construction);
5. ``central_on_goal``: the central projection lands on the goal itself (a base or flow sized
   backwards from it: P(met) about 50% by construction).

In a plan scenario (one that ``extends:`` a trend, or whose target sources start with
``plan`` / ``规划``) a finding is a *plan assumption*: the plan's own number, reported as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from clustersim.i18n import word
from clustersim.kinds.growth import Constant
from clustersim.kinds.growth.path import Path as PathGrowth
from clustersim.kinds.growth.to_target import ToTarget
from clustersim.scenario.models import Scenario
from clustersim.scenario.reads import series_read
from clustersim.values.numbers import Observed, central, is_uncertain

__all__ = [
    "RULES",
    "Audit",
    "Finding",
    "assumption_findings",
    "goal_of",
    "is_plan",
    "order",
    "outcome_findings",
    "unsourced",
]

_STRUCTURAL = frozenset(
    {"base_year", "end_year", "year", "from_year", "to_year", "relative_to", "months"}
)


def _has_source(obj: Any) -> bool:
    return bool(getattr(obj, "source", None))


def unsourced(sc: Scenario) -> list[str]:
    """Dotted paths of numbers (and targets) with no ``source`` on them or an enclosing block.

    A ``source`` on a block (the region, a cluster, a series, a growth, an indicator, a
    target) covers every number inside it; an observation or distribution may carry its
    own. The scenario's top-level ``source`` describes the file and covers nothing, and
    defaults not written in the file are not listed.
    """
    out: list[str] = []
    for tid, t in sc.targets.items():
        if not _has_source(t):
            out.append(f"targets.{tid}")
    _walk(sc, "", False, out, skip_targets=True)
    return out


def _walk(obj: Any, path: str, covered: bool, out: list[str], skip_targets: bool = False) -> None:
    if isinstance(obj, Observed) or (isinstance(obj, BaseModel) and hasattr(obj, "dist")):
        if not (covered or _has_source(obj)):
            out.append(path)
        return
    if isinstance(obj, BaseModel):
        here = covered or (_has_source(obj) and not isinstance(obj, Scenario))
        for name in type(obj).model_fields:
            if name not in obj.model_fields_set:
                continue  # a default, not written in the file
            if name in _STRUCTURAL or (skip_targets and name == "targets"):
                continue
            _walk(getattr(obj, name), f"{path}.{name}" if path else name, here, out)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _walk(v, f"{path}.{k}", covered, out)
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _walk(v, f"{path}.{i}", covered, out)
    elif isinstance(obj, float) and not isinstance(obj, bool) and not covered:
        out.append(path)


# ---------------------------------------------------------------------------------------------
# The assumption audit: targets whose outcome the scenario's own assumptions fix.
# ---------------------------------------------------------------------------------------------

#: the rules, in the order they are checked and reported; each has ``audit_<rule>`` in i18n
RULES: tuple[str, ...] = ("to_target", "target_rate", "flat_base", "no_spread", "central_on_goal")
#: target kinds whose goal is a rate (rule ``target_rate``)
RATE_KINDS = frozenset({"cagr", "growth_every_year"})
#: target kinds whose goal is a level of one series (rule ``flat_base``)
LEVEL_KINDS = frozenset({"level", "stock", "flow_every_year", "group_sum"})
#: a source that starts with one of these says the number is the plan's
PLAN_MARKERS = ("plan", "规划")
_REL = 1e-9
#: rule ``central_on_goal``: a central margin within this share of the goal is "on" it. A
#: prior sized backwards from the goal lands within a rounding of it (a base "on schedule" to
#: the goal at an assumed rate, rounded to 0.1: off by 0.1-0.3%); a forecast from history
#: lands there by chance with a probability of about this size.
CENTRAL_TOL = 0.005


@dataclass(frozen=True)
class Finding:
    """One target whose outcome an assumption of the scenario fixes.

    Attributes
    ----------
    target : str
        The target's id.
    rule : str
        One of :data:`RULES`.
    where : str
        The dotted path of the assumption (a growth, a base; the target's own path for the
        rules read from the projection).
    origin : str or None
        ``file:line`` that wrote the assumption, when the scenario came from a file.
    plan : bool
        The assumption is the plan's (a plan scenario): reported as "plan assumption", not
        as a construction.
    values : dict
        The numbers the message names (``goal``, ``year``, ``margin``).
    """

    target: str
    rule: str
    where: str
    origin: str | None
    plan: bool
    values: dict[str, float | int | str] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        """The finding in ``lang``: the assumption named, with its place."""
        msg = word(f"audit_{self.rule}", lang, where=self.where, **self.values)
        head = word("audit_plan" if self.plan else "audit_construction", lang)
        at = f" ({self.origin})" if self.origin else ""
        return f"{self.target}: {head}: {msg}{at}"

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The finding as ``run --json`` and ``validate --audit --json`` write it."""
        return {
            "target": self.target,
            "rule": self.rule,
            "class": "plan_assumption" if self.plan else "construction",
            "where": self.where,
            "origin": self.origin,
            "values": dict(self.values),
            "message": self.text(lang),
        }


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= _REL * max(1.0, abs(a), abs(b))


def _nodes(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every pydantic model below ``node`` with its dotted path."""
    if isinstance(node, BaseModel):
        yield path, node
        for name in type(node).model_fields:
            yield from _nodes(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _nodes(v, f"{path}.{k}")
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node):
            yield from _nodes(v, f"{path}.{i}")


def goal_of(target: Any) -> float | None:
    """The one number a target's goal names (``at_least`` or ``at_most``), else None."""
    for name in ("at_least", "at_most", "more_than", "less_than"):
        v = getattr(target, name, None)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
    about = getattr(target, "about", None)
    if about is not None:
        return float(about.value)
    return None


def _zero_growth(growth: Any) -> bool:
    if growth is None:
        return True
    if isinstance(growth, Constant):
        return _close(central(growth.rate), 0.0) and not is_uncertain(growth.rate)
    return False


def _series_paths(metric: str) -> set[str]:
    """Where the series a target's metric names is written (a bare series or ``output[c]``)."""
    m = re.fullmatch(r"(\w+)\[(\w+)\]", metric)
    if m:
        return {f"clusters.{m[2]}.{m[1]}"}
    return {f"indicators.{metric}", f"indicators.{metric}.flow", f"region.{metric}"}


def _reads(sc: Scenario, target: Any) -> set[str]:
    return series_read(sc.metrics, target)


def _series_of(where: str) -> str | None:
    """The series an assumption path sets: ``region.gdp.growth`` -> ``gdp``,
    ``clusters.c.output.growth`` -> ``output``, ``indicators.x.flow.growth`` -> ``x``."""
    parts = where.split(".")
    if parts[0] in ("region", "indicators") and len(parts) > 1:
        return parts[1]
    if parts[0] == "clusters" and len(parts) > 2:
        return parts[2]
    return None


def _says_plan(source: object) -> bool:
    return isinstance(source, str) and source.strip().lower().startswith(PLAN_MARKERS)


def is_plan(sc: Scenario) -> bool:
    """Whether ``sc`` is a plan scenario: it ``extends:`` another file (a trend), or a
    target's source says its number is the plan's (starts with ``plan`` or ``规划``)."""
    loaded = sc.provenance
    if loaded is not None and len(loaded.files) > 1:
        return True
    return any(_says_plan(getattr(t, "source", None)) for t in sc.targets.values())


class _Place:
    """Where a path was written and whether that makes it a plan assumption."""

    def __init__(self, sc: Scenario) -> None:
        self.loaded = sc.provenance
        self.plan = is_plan(sc)

    def origin(self, where: str) -> str | None:
        if self.loaded is None:
            return None
        o = self.loaded.where(tuple(where.split(".")))
        return str(o) if o is not None else None

    def is_plan(self, node: Any = None) -> bool:
        return self.plan or _says_plan(getattr(node, "source", None))


def assumption_findings(sc: Scenario) -> list[Finding]:
    """The rules read from the scenario itself: ``to_target``, ``target_rate``,
    ``flat_base``."""
    place = _Place(sc)
    nodes = list(_nodes(sc.region, "region"))
    for name in ("clusters", "indicators"):
        nodes += list(_nodes(getattr(sc, name), name))
    found: list[Finding] = []

    def add(tid: str, rule: str, where: str, node: Any, **values: float | int | str) -> None:
        found.append(Finding(tid, rule, where, place.origin(where), place.is_plan(node), values))

    # what each node offers the rules, read once (not once per target: the central value of
    # a distribution builds its sampler, and a pydantic attribute miss is slow)
    facts = [(where, node, *_node_facts(where, node)) for where, node in nodes]
    for tid, t in sc.targets.items():
        goal = goal_of(t)
        if goal is None:
            continue
        year = getattr(t, "year", None)
        own_paths = _series_paths(str(getattr(t, "metric", "") or ""))
        reads = _reads(sc, t)
        rate_kind, level_kind = t.kind in RATE_KINDS, t.kind in LEVEL_KINDS
        for where, node, aim, fixed_rates, series, flat in facts:
            if aim is not None and aim[0] == year and _close(aim[1], goal):
                add(tid, "to_target", where, node, goal=f"{goal:g}", year=int(aim[0]))
            if rate_kind and series in reads and any(_close(r, goal) for r in fixed_rates):
                add(tid, "target_rate", where, node, goal=f"{goal:g}")
            if level_kind and flat is not None and where in own_paths and _close(flat, goal):
                add(tid, "flat_base", f"{where}.base", node, goal=f"{goal:g}")
    return found


def _node_facts(
    where: str, node: Any
) -> tuple[tuple[Any, float] | None, list[float], str | None, float | None]:
    """For :func:`assumption_findings`: a ``to_target`` growth's (year, central value); the
    central values of the fixed (not uncertain) rates of a constant or path growth; the
    series the node belongs to; the central base of a level that does not grow (else
    None)."""
    aim = (node.year, central(node.value)) if isinstance(node, ToTarget) else None
    rates: list[Any] = []
    if isinstance(node, Constant):
        rates = [node.rate]
    elif isinstance(node, PathGrowth):
        rates = list(node.rates.values())
    fixed = [central(r) for r in rates if not is_uncertain(r)]
    base = getattr(node, "base", None)
    flat = None
    if (isinstance(base, int | float) or hasattr(base, "point")) and _zero_growth(
        getattr(node, "growth", None)
    ):
        flat = central(base)  # type: ignore[arg-type]
    return aim, fixed, _series_of(where), flat


def outcome_findings(
    sc: Scenario,
    spread: Mapping[str, NDArray[np.float64]],
    central_margin: Mapping[str, tuple[float, float | None]],
) -> list[Finding]:
    """The rules read from the projection.

    Parameters
    ----------
    spread : mapping of target id to its margins over Monte Carlo samples
        Rule ``no_spread``: every sample gives the same margin.
    central_margin : mapping of target id to (margin, goal) of the plain run
        Rule ``central_on_goal``: the central projection lands on the goal itself.
    """
    place = _Place(sc)
    found: list[Finding] = []
    for tid, margins in spread.items():
        if len(margins) > 1 and float(np.ptp(margins)) == 0.0:
            where = f"targets.{tid}"
            found.append(
                Finding(
                    tid,
                    "no_spread",
                    where,
                    place.origin(where),
                    place.is_plan(),
                    {"margin": f"{float(margins[0]):.6g}", "samples": len(margins)},
                )
            )
    for tid, (margin, goal) in central_margin.items():
        if goal is not None and abs(margin) <= CENTRAL_TOL * abs(goal):
            where = f"targets.{tid}"
            found.append(
                Finding(
                    tid,
                    "central_on_goal",
                    where,
                    place.origin(where),
                    place.is_plan(),
                    {"goal": f"{goal:g}"},
                )
            )
    return found


def order(findings: list[Finding], sc: Scenario) -> tuple[Finding, ...]:
    """Findings in the scenario's target order, then rule order."""
    pos = {tid: i for i, tid in enumerate(sc.targets)}
    return tuple(sorted(findings, key=lambda f: (pos.get(f.target, len(pos)), RULES.index(f.rule))))


@dataclass(frozen=True)
class Audit:
    """The assumption audit of one scenario (``clustersim validate --audit``).

    Attributes
    ----------
    findings : tuple of Finding
        In the scenario's target order, then rule order; a target can have several.
    targets : int
        How many targets the scenario has.
    plan : bool
        The scenario is a plan scenario (its findings are plan assumptions).
    samples, seed : int
        The Monte Carlo run the ``no_spread`` rule read.
    """

    findings: tuple[Finding, ...]
    targets: int
    plan: bool
    samples: int
    seed: int

    @property
    def construction(self) -> tuple[Finding, ...]:
        """The findings that are not plan assumptions: targets decided by how the file is written."""
        return tuple(f for f in self.findings if not f.plan)

    @property
    def plan_assumptions(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.plan)

    @property
    def clean(self) -> bool:
        """No target is fixed by construction (``validate --audit`` exits 0)."""
        return not self.construction

    def of(self, target: str) -> tuple[Finding, ...]:
        """The findings of one target."""
        return tuple(f for f in self.findings if f.target == target)

    def marker(self, target: str) -> str | None:
        """``"construction"``, ``"plan"`` or None: the short mark of a target's row."""
        found = self.of(target)
        if not found:
            return None
        return "plan" if all(f.plan for f in found) else "construction"

    def summary(self, lang: str = "en") -> str:
        if not self.findings:
            return word("audit_clean", lang, n=self.targets)
        return word(
            "audit_summary",
            lang,
            construction=len({f.target for f in self.construction}),
            plan=len(
                {f.target for f in self.plan_assumptions} - {f.target for f in self.construction}
            ),
            n=self.targets,
        )

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The ``audit`` field of ``run --json`` (and ``validate --audit --json``)."""
        return {
            "plan_scenario": self.plan,
            "clean": self.clean,
            "samples": self.samples,
            "seed": self.seed,
            "targets": {
                tid: m
                for tid in dict.fromkeys(f.target for f in self.findings)
                if (m := self.marker(tid)) is not None
            },
            "findings": [f.to_dict(lang) for f in self.findings],
            "summary": self.summary(lang),
        }
