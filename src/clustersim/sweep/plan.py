"""Resolve a sweep against its scenario: what is sampled, how, and in which chunks.

A swept parameter becomes a distribution at its path in the validated scenario (a range
a uniform, a list of values a discrete :class:`Choice`, a distribution as given); fixed
uncertain numbers become their central values. The result, a :class:`SweepPlan`, is a
frozen, picklable description of the whole sweep that any worker can evaluate chunk by
chunk (:func:`clustersim.sweep.evaluate.evaluate_chunk`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from clustersim.compile import Param, compile_scenario
from clustersim.errors import ClusterSimError, ScenarioError
from clustersim.kinds.growth import RATE_LO
from clustersim.sampling import Choice as ChoiceSampler
from clustersim.sampling import Distribution, InverseNormal
from clustersim.scenario import cache as scenario_cache
from clustersim.scenario.loader import load_data, provenance, validate_loaded
from clustersim.scenario.models import Scenario
from clustersim.suggest import did_you_mean
from clustersim.sweep.designs import Design
from clustersim.sweep.spec import ParamSpec, SweepSpec
from clustersim.values.names import label_text
from clustersim.values.numbers import Observed, Uniform, _Dist, central, is_uncertain

__all__ = ["DEFAULT_CHUNK_SIZE", "Choice", "Dim", "SweepPlan", "plan_sweep", "replace_number"]

Array = NDArray[np.float64]
#: samples per chunk unless the sweep says otherwise: ~100 MB of arrays for 20 clusters x
#: 12 years, and few enough chunks that per-chunk overhead stays below 10%
DEFAULT_CHUNK_SIZE = 4096
OTHER = "other uncertain numbers"


class Choice(_Dist):
    """A discrete choice among ``values``, each with probability ``1 / k``.

    The sampling is :class:`clustersim.sampling.Choice`'s: quantile ``u`` picks
    ``values[floor(u * k)]``; its central value is the middle value.
    """

    sampling: ClassVar[type[Distribution]] = ChoiceSampler
    dist: Literal["choice"] = "choice"
    values: tuple[float, ...]


@dataclass(frozen=True)
class Dim:
    """One sampled number: its path, distribution and the bounds of its field.

    ``values(u)`` is exactly what the compiler computes for quantiles ``u``.
    """

    path: str
    dist: Any
    lo: float
    hi: float
    factor: bool

    def values(self, u: Array, *, inverse_normal: InverseNormal | None = None) -> Array:
        """Values at quantiles ``u`` ``(n,)``: ``dist.ppf(u, lo, hi)``, drawn with the
        engine's ``inverse_normal`` as the compiler does."""
        return np.asarray(
            self.dist.ppf(
                np.asarray(u, dtype=np.float64), self.lo, self.hi, inverse_normal=inverse_normal
            )
        )


@dataclass(frozen=True)
class SweepPlan:
    """A sweep resolved against its scenario: everything a worker needs.

    Attributes
    ----------
    scenario : Scenario
        The base scenario with swept numbers replaced by their distributions and fixed
        numbers by their central values.
    seed : int
    design : Design
        Geometry: method, sampled paths (columns), rows, grid levels, Sobol groups.
    dims : tuple of Dim
        One per design column: the swept factors first, then the scenario's other
        uncertain numbers.
    factors : tuple of str
        The paths sensitivity is reported for: the swept parameters or, when none is
        swept, every sampled number.
    chunk_size : int
        Rows per chunk (a multiple of the rows per base point for sobol).
    base_points : int or None
        Sobol only: ``n`` base points; ``rows = n (G + 2)``.
    targets : tuple of str
        Target ids in scenario order.
    target_labels : dict of str to str
    scenario_hash, design_hash : str
        ``sha256:...`` of the merged scenario data and of the design (method, parameters,
        fixed numbers, sample count), for the manifest and ``--resume`` checks.
    spec : dict
        The sweep as JSON (for the manifest).
    """

    scenario: Scenario
    seed: int
    design: Design
    dims: tuple[Dim, ...]
    factors: tuple[str, ...]
    chunk_size: int
    base_points: int | None
    targets: tuple[str, ...]
    target_labels: dict[str, str]
    scenario_hash: str
    design_hash: str
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.design.method

    @property
    def rows(self) -> int:
        return self.design.rows

    @property
    def n_chunks(self) -> int:
        return -(-self.rows // self.chunk_size)

    def bounds(self, chunk: int) -> tuple[int, int]:
        """Rows ``start, stop`` of chunk ``chunk``."""
        if not 0 <= chunk < self.n_chunks:
            raise IndexError(f"chunk {chunk} is outside 0..{self.n_chunks - 1}")
        start = chunk * self.chunk_size
        return start, min(self.rows, start + self.chunk_size)

    @property
    def input_columns(self) -> tuple[str, ...]:
        return tuple(d.path for d in self.dims)

    def group_names(self) -> tuple[str, ...]:
        """Sobol only: the factor (or ``other uncertain numbers``) of each AB block."""
        names = []
        swept = any(d.factor for d in self.dims)
        for cols in self.design.groups:
            if len(cols) == 1 and (self.dims[cols[0]].factor or not swept):
                names.append(self.dims[cols[0]].path)
            else:
                names.append(f"{OTHER} ({len(cols)})")
        return tuple(names)


# --- replacing a number deep inside a frozen scenario -----------------------------------------


def _child(obj: Any, part: str) -> tuple[Any, Any]:
    """``(key, value)`` of ``part`` in a model or dict; KeyError if absent."""
    if isinstance(obj, BaseModel):
        if part in type(obj).model_fields:
            return part, getattr(obj, part)
        raise KeyError(part)
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            if str(k) == part:
                return k, v
        raise KeyError(part)
    raise KeyError(part)


def _keys_of(obj: Any) -> list[str]:
    if isinstance(obj, BaseModel):
        return [k for k, v in obj if v is not None]
    if isinstance(obj, Mapping):
        return [str(k) for k in obj]
    return []


def _is_number(v: Any) -> bool:
    return (isinstance(v, int | float) and not isinstance(v, bool)) or isinstance(
        v, Observed | _Dist
    )


def replace_number(sc: Scenario, path: str, new: Any) -> Scenario:
    """A copy of ``sc`` with the number at dotted ``path`` replaced by ``new``.

    The copy shares every unchanged part with ``sc`` (frozen models, rebuilt along the path
    with ``model_copy``) and keeps its provenance for error messages.

    Raises
    ------
    KeyError
        With a message naming the first part of ``path`` that does not exist, the keys
        there, and the nearest one.
    TypeError
        When ``path`` names something that is not a number.
    """
    parts = path.split(".")
    chain: list[tuple[Any, Any]] = []
    obj: Any = sc
    for i, part in enumerate(parts):
        try:
            key, val = _child(obj, part)
        except KeyError:
            keys = _keys_of(obj)
            hint = did_you_mean(part, keys, cutoff=0.5)
            at = ".".join(parts[:i]) or "the scenario"
            raise KeyError(
                f"no {part!r} in {at}{hint} (there: {', '.join(keys) or 'nothing'})"
            ) from None
        chain.append((obj, key))
        obj = val
    if not _is_number(obj):
        what = "nothing (the scenario does not set it)" if obj is None else type(obj).__name__
        raise TypeError(f"{path} holds {what}, not a number")
    for parent, key in reversed(chain):
        if isinstance(parent, BaseModel):
            new = parent.model_copy(update={key: new})
        else:
            new = {**parent, key: new}
    assert isinstance(new, Scenario)
    return new


# --- the plan ----------------------------------------------------------------------------------


def _canonical(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_canonical(v) for v in obj]
    return obj


def _hash(obj: Any) -> str:
    text = json.dumps(_canonical(obj), sort_keys=True, ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _allowed(lo: float, hi: float) -> str:
    if lo == RATE_LO:
        return "a growth rate must be above -100%"
    if hi == math.inf:
        return f"the value must be >= {lo:g}"
    return f"the value must be between {lo:g} and {hi:g}"


def _dist_of(p: ParamSpec, method: str) -> Any:
    if p.kind == "values":
        return Choice(values=p.values)
    if p.kind == "range":
        assert p.low is not None and p.high is not None
        if method == "grid":  # exact grid values, not lo + u (hi - lo) rounding
            assert p.levels is not None
            return Choice(values=tuple(float(x) for x in np.linspace(p.low, p.high, p.levels)))
        return Uniform(dist="uniform", low=p.low, high=p.high)
    return p.dist


def _levels(p: ParamSpec) -> int:
    if p.kind == "values":
        return len(p.values)
    assert p.levels is not None
    return p.levels


def plan_sweep(spec: SweepSpec, scenario: Scenario | None = None) -> SweepPlan:
    """Resolve ``spec`` against its scenario.

    Parameters
    ----------
    spec : SweepSpec
        From :func:`clustersim.sweep.load_sweep`.
    scenario : Scenario, optional
        Use this scenario instead of loading ``spec.scenario``.

    Returns
    -------
    SweepPlan

    Raises
    ------
    ScenarioError
        A parameter path that names no number of the scenario, a range outside what its
        field allows, a fixed path that is not uncertain, an invalid scenario...; each
        line names the sweep file's line and field.
    """
    hit = scenario_cache.cached(spec.scenario) if scenario is None else None
    if hit is not None:  # validated before from the same files (the scenario cache)
        scenario = hit
    if scenario is None:
        # every problem of the scenario file is also the sweep's `scenario:` line's
        digests: dict[str, str] = {}
        loaded = load_data(spec.scenario, where=spec.where("scenario"), digests=digests)
        try:
            sc = validate_loaded(loaded)
        except ScenarioError as exc:
            at = spec.where("scenario")
            raise exc.prefixed(f"{at}: ") from None
        scenario_cache.store(spec.scenario, sc, digests)
        raw: Any = loaded.data
    else:
        sc = scenario
        loaded_p = provenance(sc)
        raw = loaded_p.data if loaded_p is not None else sc.model_dump(mode="json")
    scenario_hash = _hash(raw)
    before = compile_scenario(sc, samples=1).params
    problems: list[str] = []

    # swept parameters: a distribution at their path
    for p in spec.parameters:
        try:
            sc = replace_number(sc, p.path, _dist_of(p, spec.method))
        except (KeyError, TypeError) as exc:
            msg = exc.args[0] if exc.args else str(exc)
            problems.append(f"{p.where}: parameters.{p.path}: {msg}")
    # fixed numbers: their central value, inside their field's and their own bounds
    swept = {p.path for p in spec.parameters}
    if spec.fix == "all":
        fixed = [path for path in before if path not in swept]
    else:
        fixed = list(spec.fix)
        for i, path in enumerate(fixed):
            if path not in before:
                hint = did_you_mean(path, before, cutoff=0.6)
                problems.append(
                    f"{spec.where('fix', str(i))}: {path} is not an uncertain number of the "
                    f"scenario{hint}"
                )
    if problems:
        raise ScenarioError(problems)
    for path in fixed:
        if path in before:
            sc = replace_number(sc, path, _central(before[path]))
    if sc.shocks is not None and sc.shocks.correlations and fixed:
        # a fixed number is no longer drawn: its correlations go with it
        kept = [c for c in sc.shocks.correlations if not set(c.between) & set(fixed)]
        sc = sc.model_copy(update={"shocks": sc.shocks.model_copy(update={"correlations": kept})})

    try:
        comp = compile_scenario(sc, samples=1)
    except ClusterSimError as exc:
        raise ScenarioError(
            [f"{spec.file}: with the swept parameters the scenario does not compile:"]
            + [f"  {line}" for line in str(exc).splitlines()]
        ) from exc
    params = comp.params
    dims: list[Dim] = []
    for p in spec.parameters:
        prm = params.get(p.path)
        if prm is None:
            problems.append(
                f"{p.where}: parameters.{p.path}: the projection does not read this number "
                "(only base values, growth and other numbers of series can be swept)"
            )
            continue
        problems.extend(_check_bounds(p, prm))
        dims.append(Dim(p.path, prm.dist, prm.lo, prm.hi, True))
    if sc.shocks is not None and spec.method in ("grid", "sobol"):
        # a copula moves quantiles: it would move grid points and mix Sobol' columns
        correlated = {p for c in sc.shocks.correlations for p in c.between}
        for p in spec.parameters:
            if p.path in correlated:
                problems.append(
                    f"{p.where}: parameters.{p.path}: the scenario correlates it "
                    f"(shocks.correlations); a {spec.method} design sets its values itself: "
                    "sweep it with monte_carlo or lhs, or drop the correlation"
                )
    if problems:
        raise ScenarioError(problems)
    rest = [
        Dim(path, prm.dist, prm.lo, prm.hi, False)
        for path, prm in params.items()
        if path not in swept
    ]
    dims.extend(rest)

    k = len(spec.parameters)
    factors = tuple(d.path for d in dims if d.factor) or tuple(d.path for d in dims)
    method = spec.method
    base_points: int | None = None
    levels: tuple[int, ...] = ()
    groups: tuple[tuple[int, ...], ...] = ()
    if method == "grid":
        levels = tuple(_levels(p) for p in spec.parameters)
        rows = math.prod(levels) * spec.replications
    elif method == "sobol":
        assert spec.samples is not None
        if k:
            groups = tuple((j,) for j in range(k))
            if len(dims) > k:
                groups += (tuple(range(k, len(dims))),)
        else:
            groups = tuple((j,) for j in range(len(dims)))
        if not groups:
            raise ScenarioError(
                f"{spec.where('method')}: sobol needs something to vary: the scenario has no "
                "uncertain numbers left and no parameters are swept"
            )
        base_points = spec.samples
        rows = base_points * (len(groups) + 2)
    else:
        assert spec.samples is not None
        rows = spec.samples
    design = Design(method, tuple(d.path for d in dims), rows, levels, spec.replications, groups)
    cs = spec.chunk_size or DEFAULT_CHUNK_SIZE
    b = design.blocks
    cs = max(1, cs // b) * b
    spec_doc: dict[str, Any] = {
        "sweep_file": spec.file,
        "scenario_file": str(spec.scenario),
        "method": method,
        "samples": spec.samples,
        "replications": spec.replications,
        "parameters": [p.as_dict() for p in spec.parameters],
        "fix": spec.fix if spec.fix == "all" else list(spec.fix),
    }
    design_hash = _hash({k_: v for k_, v in spec_doc.items() if not k_.endswith("_file")})
    spec_doc["store"] = list(spec.store)  # what is written, not what is computed
    return SweepPlan(
        scenario=sc,
        seed=spec.seed,
        design=design,
        dims=tuple(dims),
        factors=factors,
        chunk_size=cs,
        base_points=base_points,
        targets=tuple(comp.targets),
        target_labels={
            tid: label_text(ct.model.label, "en", tid) for tid, ct in comp.targets.items()
        },
        scenario_hash=scenario_hash,
        design_hash=design_hash,
        spec=spec_doc,
    )


def _central(prm: Param) -> float:
    """The value a one-sample run uses: the central value inside both sets of bounds."""
    num = prm.dist
    own_lo, own_hi = getattr(num, "low", None), getattr(num, "high", None)
    lo = max(prm.lo, prm.lo if own_lo is None else float(own_lo))
    hi = min(prm.hi, prm.hi if own_hi is None else float(own_hi))
    return min(max(central(num), lo), hi)


def _check_bounds(p: ParamSpec, prm: Param) -> list[str]:
    lo, hi = prm.lo, prm.hi
    vals: list[float] = []
    if p.kind == "range":
        assert p.low is not None and p.high is not None
        vals = [p.low, p.high]
    elif p.kind == "values":
        vals = list(p.values)
    bad = [v for v in vals if not lo <= v <= hi]
    if bad:
        return [
            f"{p.where}: parameters.{p.path}: {bad[0]:g} is not allowed here: {_allowed(lo, hi)}"
        ]
    if p.kind == "dist" and is_uncertain(p.dist):
        try:
            p.dist.ppf(np.array([0.5]), lo, hi)
        except ValueError as exc:
            return [f"{p.where}: parameters.{p.path}: {exc}"]
    return []
