"""The sweep file: what to vary, how to sample it, how many samples (see ``docs/sweeps.md``).

A sweep file is YAML, validated by one pydantic model (:class:`SweepFile`, also the JSON
Schema of ``clustersim schema --sweep``) the way a scenario is: every problem of the file
in one pass, each as ``file:line: field.path: message`` at the line of the offending value,
unknown keys with the nearest valid key, in English and Chinese (the i18n table).

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
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from clustersim.errors import Problem, ScenarioError
from clustersim.i18n import WORDS, Bi, did_you_mean, msg
from clustersim.scenario.loader import read_yaml
from clustersim.scenario.provenance import Origin
from clustersim.values.numbers import DIST_MODELS, parse_number

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

#: what ``store:`` may list (table order), and the word that stores nothing per sample
STORE_GROUPS: tuple[str, ...] = ("inputs", "values", "margins", "met")
SUMMARY_ONLY_STORE = "summary_only"
_PARAM_KINDS = ("range", "values", "dist")
#: keys only a scenario file has
_SCENARIO_KEYS = frozenset({"base_year", "end_year", "region", "clusters", "groups", "targets"})
_PARAM_EXTRA = ("levels", "source", "note")


# --- the sweep file as pydantic models: the validator, and the JSON Schema of
# ``clustersim schema --sweep``. Every rule is a validator of a field, so one pass reports
# every problem of the file (a model validator would run only once the fields are valid);
# a rule that depends on the method reads it from the validation context. Errors raised
# here are PydanticCustomError whose type is a message id of the i18n table, so
# :func:`_problems` says each in both languages at the line of the offending value.


def _error(key: str, *, at: str | None = None, **fmt: object) -> PydanticCustomError:
    """A validation error with message id ``key`` (its fields ``fmt``); ``at`` names the
    field it is about, relative to where the validator runs."""
    ctx: dict[str, object] = {k: v for k, v in fmt.items()}
    if at is not None:
        ctx["at"] = at
    return PydanticCustomError(key, WORDS[key].en, ctx)


def _method(info: ValidationInfo) -> str | None:
    """The file's method (from the context: rules of one field depend on it), if valid."""
    ctx = info.context if isinstance(info.context, dict) else {}
    m = ctx.get("method")
    return m if m in METHODS else None


def _whole(v: Any) -> Any:
    """``"1,000"`` and ``1000.0`` as 1000; anything else as written (pydantic says why),
    except true/false (pydantic would read them as 1 and 0)."""
    if isinstance(v, bool):
        raise _error("sweep_not_bool", value="true" if v else "false")
    v = parse_number(v) if isinstance(v, str) else v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _finite(v: Any) -> float | None:
    v = parse_number(v)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_levels(levels: int | None, kind: str, info: ValidationInfo) -> None:
    method = _method(info)
    if levels is not None and method is not None and method != "grid":
        raise _error("sweep_grid_only", at="levels", method=method)
    if levels is None and method == "grid":
        raise _error("sweep_grid_levels", kind=kind)


class RangeParam(_Strict):
    """A uniform range of a swept number."""

    range: tuple[float, float]
    levels: int | None = Field(None, ge=1, description="grid levels (method: grid)")
    source: str | None = None
    note: str | None = None

    @field_validator("range", mode="before")
    @classmethod
    def _two_numbers(cls, v: Any) -> Any:
        lohi = [_finite(x) for x in v] if isinstance(v, list | tuple) and len(v) == 2 else None
        if lohi is None or None in lohi:
            raise _error("sweep_range_two", value=repr(v))
        lo, hi = lohi
        assert lo is not None and hi is not None
        if not lo < hi:
            raise _error("sweep_range_order", lo=f"{lo:g}", hi=f"{hi:g}")
        return lohi

    _levels_number = field_validator("levels", mode="before")(classmethod(lambda cls, v: _whole(v)))

    @model_validator(mode="after")
    def _grid(self, info: ValidationInfo) -> RangeParam:
        _check_levels(self.levels, "range", info)
        return self


class ValuesParam(_Strict):
    """A discrete choice of values."""

    values: list[float] = Field(min_length=1)
    source: str | None = None
    note: str | None = None

    @field_validator("values", mode="before")
    @classmethod
    def _numbers(cls, v: Any) -> Any:
        nums = [_finite(x) for x in v] if isinstance(v, list) and v else None
        if nums is None or None in nums:
            raise _error("sweep_values_numbers", value=repr(v))
        if len(set(nums)) != len(nums):
            raise _error("sweep_values_repeat", values=repr(nums))
        return nums

    @model_validator(mode="before")
    @classmethod
    def _no_levels(cls, v: Any) -> Any:
        if isinstance(v, dict) and "levels" in v:
            raise _error("sweep_levels_values", at="levels")
        return v


def _dist_param(base: type[BaseModel]) -> type[BaseModel]:
    """A distribution as a swept parameter: the scenario's model plus grid ``levels``."""

    def grid(self: BaseModel, info: ValidationInfo) -> BaseModel:
        _check_levels(getattr(self, "levels", None), "dist", info)
        return self

    validators: dict[str, Any] = {
        "_levels_number": field_validator("levels", mode="before")(
            classmethod(lambda cls, v: _whole(v))
        ),
        "_grid": model_validator(mode="after")(grid),
    }
    return create_model(
        f"{base.__name__}Param",
        __base__=base,
        __module__=__name__,
        __validators__=validators,
        levels=(int | None, Field(None, ge=1, description="grid levels (method: grid)")),
    )


_DIST_PARAMS: dict[str, type[BaseModel]] = {n: _dist_param(m) for n, m in DIST_MODELS.items()}
if TYPE_CHECKING:
    DistParam = BaseModel
else:
    DistParam = Annotated[Union[tuple(_DIST_PARAMS.values())], Field(discriminator="dist")]  # noqa: UP007


def _param_kind(v: Any) -> str | None:
    """Which of range, values, dist a parameter is (None: not exactly one of them)."""
    if isinstance(v, BaseModel):
        return "dist" if hasattr(v, "dist") else "range" if hasattr(v, "range") else "values"
    kinds = [k for k in _PARAM_KINDS if isinstance(v, dict) and k in v]
    return kinds[0] if len(kinds) == 1 else None


def _param_tag(v: Any) -> str | None:
    kind = _param_kind(v)
    return None if kind is None else f"<{kind}>"


# union tags are written <...>, so an error's location tells them from the file's keys
Param = Annotated[
    Annotated[RangeParam, Tag("<range>")]
    | Annotated[ValuesParam, Tag("<values>")]
    | Annotated[DistParam, Tag("<dist>")],
    Discriminator(
        _param_tag,
        custom_error_type="sweep_param_kind",
        custom_error_message=WORDS["sweep_param_kind"].en,
    ),
]


def _param_path(path: str) -> str:
    if not path or any(not part for part in path.split(".")):
        raise _error("sweep_param_path")
    return path


def _store_group(g: str) -> str:
    if g not in STORE_GROUPS:
        raise _error(
            "sweep_store_group",
            name=repr(g),
            hint=did_you_mean(g, STORE_GROUPS),
            allowed=", ".join(STORE_GROUPS),
        )
    return g


Store = Annotated[
    Annotated[Literal["summary_only"], Tag("<summary_only>")]
    | Annotated[list[Annotated[str, AfterValidator(_store_group)]], Tag("<groups>")],
    Discriminator(lambda v: "<groups>" if isinstance(v, list) else "<summary_only>"),
]


class SweepFile(_Strict):
    """A sweep file (``docs/sweeps.md``): what to vary, how to sample it, how many samples.

    The validator of the file (:func:`parse_sweep` maps its errors to lines, in both
    languages) and its JSON Schema (``clustersim schema --sweep``). The rules that depend
    on the method (a grid's levels, Sobol's power of 2, ``replications``) read it from the
    validation context, so every field is checked in the same pass.
    """

    scenario: str = Field(description="the base scenario, relative to this file")
    method: Method
    samples: int | None = Field(
        None, ge=1, validate_default=True, description="lhs, monte_carlo; sobol: base points"
    )
    seed: int | None = Field(None, ge=0, validate_default=True, description="root seed (or --seed)")
    chunk_size: int | None = Field(None, ge=1)
    store: Store | None = Field(None, description="summary_only, or the groups to store")
    replications: int = Field(1, ge=1, description="grid only: samples per grid point")
    fix: Literal["all"] | list[str] | None = None
    parameters: dict[Annotated[str, AfterValidator(_param_path)], Param] = Field(
        default_factory=dict, validate_default=True
    )
    description: str | None = None
    source: str | None = None
    note: str | None = None

    @field_validator("samples", "seed", "chunk_size", "replications", mode="before")
    @classmethod
    def _whole_number(cls, v: Any) -> Any:
        return _whole(v)

    @field_validator("scenario", mode="before")
    @classmethod
    def _scenario(cls, v: Any) -> Any:
        if not isinstance(v, str) or not v.strip():
            raise _error("sweep_scenario_missing")
        return v

    @field_validator("samples")
    @classmethod
    def _samples(cls, n: int | None, info: ValidationInfo) -> int | None:
        method = _method(info)
        if method == "grid":
            if n is not None:
                raise _error("sweep_grid_samples")
            return None
        if method is not None and n is None:
            raise _error("sweep_samples_missing", method=method)
        if method == "sobol" and n is not None and n & (n - 1):
            up = 1 << (n - 1).bit_length()
            raise _error("sweep_sobol_power", n=n, lo=up // 2 or 1, hi=up)
        return n

    @field_validator("seed")
    @classmethod
    def _seed(cls, v: int | None) -> int | None:
        if v is None:
            raise _error("sweep_seed_missing")
        return v

    @field_validator("store", mode="before")
    @classmethod
    def _store(cls, v: Any) -> Any:
        if v == SUMMARY_ONLY_STORE or v is None:
            return v
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise _error("sweep_store", value=repr(v))
        return v

    @field_validator("replications")
    @classmethod
    def _replications(cls, r: int, info: ValidationInfo) -> int:
        method = _method(info)
        if method is not None and method != "grid":
            raise _error("sweep_grid_only", method=method)
        return r

    @field_validator("fix", mode="before")
    @classmethod
    def _fix(cls, v: Any) -> Any:
        if v == "all" or v is None:
            return v
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise _error("sweep_fix", value=repr(v))
        return v

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if _method(info) == "grid" and not params:
            raise _error("sweep_grid_no_params")
        fix = info.data.get("fix")
        if isinstance(fix, list):
            for i, fp in enumerate(fix):
                if fp in params:
                    raise _error("sweep_fix_swept", at=f"/fix.{i}", path=fp)
        return params


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
    """Validate sweep data (a dict as read from YAML) with :class:`SweepFile`; see
    :func:`load_sweep`. Command-line values replace the file's before validation."""
    origins = origins or {}
    if "method" not in data and "parameters" not in data and _SCENARIO_KEYS & set(data):
        # a scenario given where a sweep file goes: one clear line, not a wall of unknown keys
        text = msg("scenario_not_sweep", file=file)
        raise ScenarioError(Problem(text.en, text.zh, file=file))
    given = {"samples": samples, "seed": seed, "chunk_size": chunk_size}
    data = {**data, **{k: v for k, v in given.items() if v is not None}}
    try:
        model = SweepFile.model_validate(data, context={"method": data.get("method")})
    except ValidationError as exc:
        raise ScenarioError(_problems(exc, data, origins, file)) from None

    def origin(*key: str) -> str:
        return str(_origin(origins, key) or file)

    params = tuple(
        _param_spec(path, p, origin("parameters", path)) for path, p in model.parameters.items()
    )
    scen_path = Path(model.scenario)
    if not scen_path.is_absolute() and base_dir is not None:
        scen_path = base_dir / scen_path
    raw_store = model.store
    store = (
        STORE_GROUPS
        if raw_store is None
        else ()
        if raw_store == SUMMARY_ONLY_STORE
        else tuple(g for g in STORE_GROUPS if g in raw_store)
    )
    assert model.seed is not None  # a validator refuses a missing seed
    return SweepSpec(
        file=file,
        scenario=scen_path,
        method=model.method,
        samples=model.samples,
        seed=model.seed,
        parameters=params,
        fix="all" if model.fix == "all" else tuple(model.fix or ()),
        replications=model.replications,
        chunk_size=model.chunk_size,
        store=store,
        description=model.description,
        origins=dict(origins),
    )


def _param_spec(path: str, p: BaseModel, at: str) -> ParamSpec:
    if isinstance(p, RangeParam):
        lo, hi = p.range
        return ParamSpec(path, "range", low=lo, high=hi, levels=p.levels, where=at)
    if isinstance(p, ValuesParam):
        return ParamSpec(path, "values", values=tuple(p.values), where=at)
    name = str(p.dist)  # type: ignore[attr-defined]  # a distribution's model
    base = DIST_MODELS[name]
    dist = base.model_validate(p.model_dump(include=set(base.model_fields), exclude_unset=True))
    return ParamSpec(path, "dist", dist=dist, levels=getattr(p, "levels", None), where=at)


# --- pydantic's errors as problems at their lines, in both languages ----------------------


def _origin(origins: dict[tuple[str, ...], Origin], key: tuple[str, ...]) -> Origin | None:
    """Where ``key`` (or its nearest ancestor) was written."""
    for n in range(len(key), -1, -1):
        o = origins.get(key[:n])
        if o is not None:
            return o
    return None


def _data_path(loc: tuple[int | str, ...], data: Any, ctx: dict[str, Any]) -> tuple[str, ...]:
    """The key path in the file of an error at pydantic's ``loc``: union tags dropped, and
    moved to the field a validator named (``ctx["at"]``: relative, or absolute with ``/``)."""
    out: list[str] = []
    cur = data
    for part in (str(x) for x in loc):
        if part.startswith("<") or "[" in part or part.startswith("function-"):
            continue  # a union's tag, a dict key's marker
        if isinstance(cur, dict) and part in cur:
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            out.append(part)
            cur = cur[int(part)]
        elif len(out) == 2 and out[0] == "parameters" and part in DIST_MODELS:
            continue  # a distribution's tag
        else:
            out.append(part)  # a missing or unknown field
            cur = None
    at = ctx.get("at")
    if isinstance(at, str):
        absolute = at.startswith("/")
        out = [*([] if absolute else out), *at.lstrip("/").split(".")]
    return tuple(out)


def _allowed(path: tuple[str, ...], data: Any) -> list[str]:
    """The fields of the model at ``path`` of the file, for "did you mean"."""
    if not path:
        return list(SweepFile.model_fields)
    if path[0] == "parameters" and len(path) == 2:
        spec = data.get("parameters", {}).get(path[1]) if isinstance(data, dict) else None
        kind = _param_kind(spec)
        if kind == "range":
            return list(RangeParam.model_fields)
        if kind == "values":
            return list(ValuesParam.model_fields)
        if kind == "dist" and isinstance(spec, dict) and spec.get("dist") in _DIST_PARAMS:
            return list(_DIST_PARAMS[spec["dist"]].model_fields)
    return []


def _problems(
    exc: ValidationError, data: dict[str, Any], origins: dict[tuple[str, ...], Origin], file: str
) -> list[Problem]:
    """One problem per error of :class:`SweepFile`, at the line of the offending value (the
    nearest written ancestor for a missing one), in line order."""
    from clustersim.scenario.loader import pydantic_message

    out: list[Problem] = []
    seen: set[tuple[tuple[str, ...], str]] = set()
    for err in exc.errors(include_url=False):
        ctx = dict(err.get("ctx") or {})
        path = _data_path(err["loc"], data, ctx)
        typ = err["type"]
        if typ in WORDS and typ.startswith("sweep_"):
            fields = {k: v for k, v in ctx.items() if k != "at"}
            text = msg(typ, **fields)
        elif typ == "extra_forbidden":
            allowed = _allowed(path[:-1], data)
            text = msg(
                "err_unknown_field",
                hint=did_you_mean(path[-1], allowed, cutoff=0.5) if path else Bi("", ""),
                allowed=msg("allowed", names=", ".join(allowed)) if allowed else Bi("", ""),
            )
        elif typ == "literal_error" and path:  # a method (or word) that is not one of them
            names = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
            text = msg(
                "err_unknown_tag",
                disc=path[-1],
                tag=repr(err.get("input")),
                hint=did_you_mean(str(err.get("input")), names),
                allowed=msg("allowed", names=", ".join(names)),
            )
        else:
            text, _ = pydantic_message(err, path)
        if (path, text.en) in seen:
            continue
        seen.add((path, text.en))
        o = _origin(origins, path)
        out.append(
            Problem(
                text.en,
                text.zh,
                file=o.file if o is not None else file,
                line=o.line if o is not None else None,
                field=".".join(path) or "(top level)",
            )
        )
    return sorted(out, key=lambda p: p.line or 0)
