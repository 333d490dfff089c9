"""The sweep file: what to vary, how to sample it, how many samples (see ``docs/sweeps.md``).

A sweep file is YAML, validated here with the same rules as a scenario: unknown keys are
errors that suggest the nearest valid key, and every problem is reported as
``file:line: field.path: message``.

.. code-block:: yaml

    scenario: ../scenarios/example.yaml       # relative to this file
    method: lhs                               # grid, lhs, sobol, monte_carlo
    samples: 10000
    seed: 1
    parameters:
      clusters.new_materials.output.growth.rate: {range: [0.04, 0.12]}
      region.gdp.growth.rate: {values: [0.045, 0.055, 0.065]}
      clusters.metallurgy.output.growth.rate: {dist: normal, mean: 0.0, sd: 0.02}
    fix: [clusters.life_health.output.growth.rate]   # or: fix: all
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from clustersim.errors import ScenarioError
from clustersim.i18n import word
from clustersim.scenario.loader import read_yaml
from clustersim.scenario.provenance import Origin
from clustersim.suggest import did_you_mean
from clustersim.values.numbers import Dist, parse_number

__all__ = [
    "METHODS",
    "Method",
    "ParamSpec",
    "SweepFile",
    "SweepSpec",
    "load_sweep",
    "parse_sweep",
    "sweep_json_schema",
]

#: the sampling methods; one Literal drives the type, the error message and the CLI help
Method = Literal["grid", "lhs", "sobol", "monte_carlo"]
METHODS: tuple[str, ...] = Method.__args__  # type: ignore[attr-defined]

_TOP = (
    "scenario",
    "method",
    "samples",
    "seed",
    "chunk_size",
    "store",
    "replications",
    "fix",
    "parameters",
    "description",
    "source",
    "note",
)
#: what ``store:`` may list (table order), and the word that stores nothing per sample
STORE_GROUPS: tuple[str, ...] = ("inputs", "values", "margins", "met")
SUMMARY_ONLY_STORE = "summary_only"
_PARAM_KINDS = ("range", "values", "dist")
#: keys only a scenario file has
_SCENARIO_KEYS = frozenset({"base_year", "end_year", "region", "clusters", "groups", "targets"})
_PARAM_EXTRA = ("levels", "source", "note")
_DIST: TypeAdapter[Any] = TypeAdapter(Dist)


# --- the file's shape as pydantic models: the JSON Schema of ``clustersim schema --sweep`` ----


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RangeParam(_Strict):
    """A uniform range of a swept number."""

    range: tuple[float, float]
    levels: int | None = Field(None, ge=1, description="grid levels (method: grid)")
    source: str | None = None
    note: str | None = None


class ValuesParam(_Strict):
    """A discrete choice of values."""

    values: list[float] = Field(min_length=1)
    source: str | None = None
    note: str | None = None


class SweepFile(_Strict):
    """A sweep file (``docs/sweeps.md``): what to vary, how to sample it, how many samples.

    This model states the file's shape (its JSON Schema is ``clustersim schema --sweep``);
    :func:`parse_sweep` checks it with line-numbered messages and the rules that depend on
    the method (a grid's levels, Sobol's power of 2, ``replications``, ``fix`` overlaps).
    tests/sweep/test_schema.py holds the two to the same fields and the shipped files.
    """

    scenario: str = Field(description="the base scenario, relative to this file")
    method: Method
    samples: int | None = Field(None, ge=1, description="lhs, monte_carlo; sobol: base points")
    seed: int | None = Field(None, ge=0, description="root seed (or --seed)")
    chunk_size: int | None = Field(None, ge=1)
    store: Literal["summary_only"] | list[Literal["inputs", "values", "margins", "met"]] | None = (
        None
    )
    replications: int = Field(1, ge=1, description="grid only: samples per grid point")
    fix: Literal["all"] | list[str] | None = None
    parameters: dict[str, RangeParam | ValuesParam | Dist] = Field(default_factory=dict)
    description: str | None = None
    source: str | None = None
    note: str | None = None


def sweep_json_schema() -> dict[str, Any]:
    """The JSON Schema of the sweep file, for editors (``clustersim schema --sweep``)."""
    doc = SweepFile.model_json_schema()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = "clustersim sweep file"
    return doc


@dataclass(frozen=True)
class ParamSpec:
    """One swept parameter, as written in the sweep file.

    Attributes
    ----------
    path : str
        Dotted path of a number in the scenario, e.g.
        ``clusters.new_materials.output.growth.rate``.
    kind : {"range", "values", "dist"}
        A uniform range, a list of values (a discrete choice), or a distribution.
    low, high : float or None
        The range (``kind="range"``).
    values : tuple of float
        The values (``kind="values"``).
    dist : object or None
        A validated scenario distribution (``kind="dist"``).
    levels : int or None
        Grid levels of a range or distribution (``method: grid``).
    where : str
        ``file:line`` of the parameter in the sweep file, for error messages.
    """

    path: str
    kind: Literal["range", "values", "dist"]
    low: float | None = None
    high: float | None = None
    values: tuple[float, ...] = ()
    dist: Any = None
    levels: int | None = None
    where: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able description (for the manifest and the design hash)."""
        d: dict[str, Any] = {"path": self.path, "kind": self.kind}
        if self.kind == "range":
            d["range"] = [self.low, self.high]
        elif self.kind == "values":
            d["values"] = list(self.values)
        else:
            d["dist"] = self.dist.model_dump(exclude={"source", "note"}, exclude_none=True)
        if self.levels is not None:
            d["levels"] = self.levels
        return d


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file.

    Attributes
    ----------
    file : str
        The sweep file (as given), or ``"<sweep>"`` for one built in Python.
    scenario : Path
        The base scenario, resolved relative to the sweep file.
    method : {"grid", "lhs", "sobol", "monte_carlo"}
    samples : int or None
        Samples for ``lhs`` and ``monte_carlo``; base points (a power of 2) for ``sobol``;
        None for ``grid`` (its size follows from the levels).
    seed : int
        Root seed: chunk ``k`` draws from ``SeedSequence(seed, spawn_key=(k, ...))``.
    parameters : tuple of ParamSpec
    fix : "all" or tuple of str
        Uncertain numbers of the scenario held at their central value.
    replications : int
        Grid only: samples per grid point (the scenario's other uncertain numbers are
        drawn anew for each).
    chunk_size : int or None
        Samples per chunk; None for the default.
    store : tuple of str
        The column groups stored per sample (``inputs``, ``values``, ``margins``, ``met``;
        all by default); empty for ``store: summary_only``.
    """

    file: str
    scenario: Path
    method: Method
    samples: int | None
    seed: int
    parameters: tuple[ParamSpec, ...] = ()
    fix: Literal["all"] | tuple[str, ...] = ()
    replications: int = 1
    chunk_size: int | None = None
    store: tuple[str, ...] = STORE_GROUPS
    description: str | None = None
    origins: dict[tuple[str, ...], Origin] = field(default_factory=dict, repr=False)

    def where(self, *key: str) -> str:
        """``file:line: a.b`` for a key path of the sweep file."""
        for n in range(len(key), -1, -1):
            o = self.origins.get(key[:n])
            if o is not None:
                return f"{o}: {'.'.join(key)}"
        return f"{self.file}: {'.'.join(key)}"


def load_sweep(
    path: str | Path,
    *,
    samples: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
) -> SweepSpec:
    """Read and validate a sweep file; command-line values override the file's.

    Parameters
    ----------
    path : str or Path
        The sweep YAML file.
    samples, seed, chunk_size : int, optional
        Override ``samples``, ``seed`` and ``chunk_size`` of the file.

    Returns
    -------
    SweepSpec

    Raises
    ------
    ScenarioError
        One ``file:line: field: message`` line per problem.
    """
    p = Path(path)
    data, origins = read_yaml(p)
    return parse_sweep(
        data,
        file=str(p),
        base_dir=p.parent,
        origins=origins,
        samples=samples,
        seed=seed,
        chunk_size=chunk_size,
    )


def parse_sweep(
    data: dict[str, Any],
    *,
    file: str = "<sweep>",
    base_dir: Path | None = None,
    origins: dict[tuple[str, ...], Origin] | None = None,
    samples: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
) -> SweepSpec:
    """Validate sweep data (a dict as read from YAML); see :func:`load_sweep`."""
    origins = origins or {}
    problems: list[str] = []

    def origin(*key: str) -> str:
        """``file:line`` of ``key`` or of its nearest ancestor."""
        for n in range(len(key), -1, -1):
            o = origins.get(key[:n])
            if o is not None:
                return str(o)
        return file

    def where(*key: str) -> str:
        return f"{origin(*key)}: {'.'.join(key) or '(top level)'}"

    def bad(key: tuple[str, ...], msg: str) -> None:
        problems.append(f"{where(*key)}: {msg}")

    if "method" not in data and "parameters" not in data and _SCENARIO_KEYS & set(data):
        # a scenario given where a sweep file goes: one clear line, not a wall of unknown keys
        msg = {lang: word("scenario_not_sweep", lang, file=file) for lang in ("en", "zh")}
        raise ScenarioError(f"{file}: {msg['en']} ({msg['zh']})")
    for k in data:
        if k not in _TOP:
            bad((str(k),), _unknown(str(k), _TOP))

    scen = data.get("scenario")
    if not isinstance(scen, str) or not scen.strip():
        bad(("scenario",), "required: the path of the base scenario, relative to this file")
    method = data.get("method")
    if method not in METHODS:
        hint = did_you_mean(str(method), METHODS)
        what = "required field missing" if method is None else f"unknown method {method!r}{hint}"
        bad(("method",), f"{what} (allowed: {', '.join(METHODS)})")

    n = samples if samples is not None else data.get("samples")
    if samples is None and "samples" in data:
        n = _int(data["samples"], ("samples",), 1, bad)
    elif samples is not None and samples < 1:
        bad(("samples",), f"--samples must be >= 1, got {samples}")
    if method == "grid":
        if n is not None:
            bad(
                ("samples",),
                "a grid's size follows from the levels of its parameters (and replications); "
                "remove samples",
            )
        n = None
    elif method in METHODS and n is None:
        bad(("samples",), f"required for method {method} (or pass --samples)")
    if method == "sobol" and isinstance(n, int) and n >= 1 and n & (n - 1):
        up = 1 << (n - 1).bit_length()
        bad(
            ("samples",),
            f"sobol needs a power of 2 base points (Sobol' balance), got {n}; use {up // 2 or 1} "
            f"or {up}",
        )

    sd = seed if seed is not None else data.get("seed")
    if seed is None and "seed" in data:
        sd = _int(data["seed"], ("seed",), 0, bad)
    if sd is None:
        bad(("seed",), "required field missing: add seed: to the file or pass --seed")

    cs = chunk_size if chunk_size is not None else data.get("chunk_size")
    if chunk_size is None and "chunk_size" in data:
        cs = _int(data["chunk_size"], ("chunk_size",), 1, bad)
    elif chunk_size is not None and chunk_size < 1:
        bad(("chunk_size",), f"--chunk-size must be >= 1, got {chunk_size}")

    store = STORE_GROUPS
    if "store" in data:
        raw_store = data["store"]
        allowed = f"{SUMMARY_ONLY_STORE}, or a list of {', '.join(STORE_GROUPS)}"
        if raw_store == SUMMARY_ONLY_STORE:
            store = ()
        elif isinstance(raw_store, list) and all(isinstance(x, str) for x in raw_store):
            for i, g in enumerate(raw_store):
                if g not in STORE_GROUPS:
                    bad(
                        ("store", str(i)),
                        f"unknown group {g!r}{did_you_mean(g, STORE_GROUPS)} "
                        f"(allowed: {', '.join(STORE_GROUPS)})",
                    )
            store = tuple(g for g in STORE_GROUPS if g in raw_store)
        else:
            bad(("store",), f"got {raw_store!r}; allowed: {allowed}")

    reps = 1
    if "replications" in data:
        r = _int(data["replications"], ("replications",), 1, bad)
        if method not in ("grid", None) and method in METHODS:
            bad(("replications",), f"applies to method grid only (method is {method})")
        reps = r if r is not None else 1

    fix: Literal["all"] | tuple[str, ...] = ()
    raw_fix = data.get("fix")
    if raw_fix == "all":
        fix = "all"
    elif isinstance(raw_fix, list) and all(isinstance(x, str) for x in raw_fix):
        fix = tuple(raw_fix)
    elif raw_fix is not None:
        bad(("fix",), f"a list of scenario paths or 'all', got {raw_fix!r}")

    params: list[ParamSpec] = []
    raw = data.get("parameters") or {}
    if not isinstance(raw, dict):
        bad(
            ("parameters",),
            "a mapping of scenario path to {range: [lo, hi]}, {values: [...]} or {dist: ...}",
        )
        raw = {}
    for path, spec in raw.items():
        ps = _param(str(path), spec, method, bad, origin("parameters", str(path)))
        if ps is not None:
            params.append(ps)
    if method == "grid" and not params:
        bad(("parameters",), "a grid needs at least one parameter")
    if isinstance(fix, tuple):
        for i, fp in enumerate(fix):
            if fp in raw:
                bad(("fix", str(i)), f"{fp} is swept under parameters; it cannot also be fixed")

    if problems:
        raise ScenarioError(problems)
    assert isinstance(scen, str) and sd is not None  # checked above
    scen_path = Path(scen)
    if not scen_path.is_absolute() and base_dir is not None:
        scen_path = base_dir / scen_path
    desc = data.get("description")
    return SweepSpec(
        file=file,
        scenario=scen_path,
        method=method,  # type: ignore[arg-type]  # checked above
        samples=n,
        seed=int(sd),
        parameters=tuple(params),
        fix=fix,
        replications=reps,
        chunk_size=cs,
        store=store,
        description=desc if isinstance(desc, str) else None,
        origins=dict(origins),
    )


def _unknown(key: str, allowed: tuple[str, ...]) -> str:
    hint = did_you_mean(key, allowed, cutoff=0.5)
    return f"unknown field{hint} (allowed: {', '.join(allowed)})"


def _int(v: Any, key: tuple[str, ...], lo: int, bad: Any) -> int | None:
    v = parse_number(v) if isinstance(v, str) else v
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        bad(key, f"an integer >= {lo} is required (got {v!r})")
        return None
    return v


def _num(v: Any) -> float | None:
    v = parse_number(v)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def _param(path: str, spec: Any, method: Any, bad: Any, at: str) -> ParamSpec | None:
    key = ("parameters", path)
    if not path or any(not part for part in path.split(".")):
        bad(key, "a parameter is a dotted scenario path such as clusters.<id>.output.growth.rate")
        return None
    if not isinstance(spec, dict):
        bad(key, f"needs {{range: [lo, hi]}}, {{values: [...]}} or {{dist: ...}}, got {spec!r}")
        return None
    kinds = [k for k in _PARAM_KINDS if k in spec]
    if len(kinds) != 1:
        got = f" (got {', '.join(kinds)})" if kinds else ""
        bad(key, f"needs exactly one of range, values, dist{got}")
        return None
    kind = kinds[0]
    levels = None
    if "levels" in spec:
        levels = _int(spec["levels"], (*key, "levels"), 1, bad)
        if method != "grid":
            bad((*key, "levels"), f"applies to method grid only (method is {method})")
        elif kind == "values":
            bad((*key, "levels"), "a list of values is its own levels; remove levels")
    elif method == "grid" and kind != "values":
        bad(key, f"a grid needs levels for a {kind} (e.g. levels: 5), or give values: [...]")
    if kind == "range":
        extra = [k for k in spec if k not in ("range", *_PARAM_EXTRA)]
        for k in extra:
            bad((*key, str(k)), _unknown(str(k), ("range", *_PARAM_EXTRA)))
        r = spec["range"]
        lohi = [_num(x) for x in r] if isinstance(r, list) and len(r) == 2 else None
        if lohi is None or None in lohi:
            bad((*key, "range"), f"needs two finite numbers [low, high], got {r!r}")
            return None
        lo, hi = lohi
        assert lo is not None and hi is not None
        if not lo < hi:
            bad((*key, "range"), f"low ({lo:g}) must be below high ({hi:g})")
            return None
        return ParamSpec(path, "range", low=lo, high=hi, levels=levels, where=at)
    if kind == "values":
        extra = [k for k in spec if k not in ("values", *_PARAM_EXTRA)]
        for k in extra:
            bad((*key, str(k)), _unknown(str(k), ("values", *_PARAM_EXTRA)))
        vs = spec["values"]
        nums = [_num(x) for x in vs] if isinstance(vs, list) and vs else None
        if nums is None or None in nums:
            bad((*key, "values"), f"needs a non-empty list of finite numbers, got {vs!r}")
            return None
        vals = tuple(float(x) for x in nums if x is not None)
        if len(set(vals)) != len(vals):
            bad((*key, "values"), f"values repeat: {list(vals)}")
            return None
        return ParamSpec(path, "values", values=vals, where=at)
    body = {k: v for k, v in spec.items() if k != "levels"}
    try:
        dist = _DIST.validate_python(body)
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            loc = [
                str(x)
                for x in e["loc"]
                if str(x) not in ("normal", "lognormal", "uniform", "triangular")
            ]
            msg = str(e["msg"]).removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                msg = "unknown field"
            elif e["type"] == "union_tag_invalid":
                msg = (
                    f"unknown dist {spec.get('dist')!r} "
                    "(allowed: normal, lognormal, uniform, triangular)"
                )
            bad((*key, *loc), msg)
        return None
    return ParamSpec(path, "dist", dist=dist, levels=levels, where=at)
