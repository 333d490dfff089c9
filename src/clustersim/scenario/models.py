"""The scenario format as pydantic models (``extra="forbid"``: a typo is an error).

See ``docs/scenario-format.md`` for the commented format. Ids are ASCII
(``[a-z][a-z0-9_]*``); labels are a string or ``{zh: ..., en: ...}``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, StringConstraints, model_validator

from clustersim.core.expr import REDUCERS
from clustersim.kinds.growth import Constant, Growth
from clustersim.scenario.numbers import Float, Num, Strict
from clustersim.scenario.provenance import Provenance

__all__ = [
    "REGION_SERIES",
    "Cluster",
    "Firms",
    "Group",
    "Label",
    "Rd",
    "Region",
    "Scenario",
    "Series",
    "Target",
    "scenario_json_schema",
]

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")

#: region series every scenario may give; ``gdp`` is required
REGION_SERIES = ("gdp", "population", "industrial_output", "rd_rest", "energy_rest")
#: region series derived from clusters and rests
DERIVED_REGION = ("rd_total", "energy_total", "rd_intensity", "energy_intensity", "cluster_output")
#: cluster series
CLUSTER_SERIES = (
    "output",
    "va_ratio",
    "value_added",
    "rd",
    "rd_share",
    "energy_per_va",
    "energy",
    "entries",
    "firms",
)
RESERVED = frozenset(REGION_SERIES + DERIVED_REGION + CLUSTER_SERIES + REDUCERS + ("all", "rd_own"))


class BiLabel(Strict):
    """A label in Chinese and English; at least one is required."""

    zh: str | None = None
    en: str | None = None

    @model_validator(mode="after")
    def _one(self) -> BiLabel:
        if not (self.zh or self.en):
            raise ValueError("a label needs zh or en")
        return self

    def text(self, lang: str = "en") -> str:
        first, second = (self.zh, self.en) if lang == "zh" else (self.en, self.zh)
        return first or second or ""


Label = str | BiLabel


def label_text(label: Label | None, lang: str = "en", default: str = "") -> str:
    if label is None:
        return default
    return label if isinstance(label, str) else label.text(lang)


class Series(Strict):
    """A level with a growth path: ``base`` in the base year, then ``growth``."""

    base: Num
    growth: Growth = Field(default_factory=lambda: Constant(rate=0.0))
    unit: str | None = None
    source: str | None = None
    note: str | None = None


History = dict[str, dict[int, Num]]


class Region(Strict):
    """Region-level series. Rests are the parts of R&D and energy outside the clusters."""

    name: Label | None = None
    gdp: Series
    population: Series | None = None
    industrial_output: Series | None = None
    rd_rest: Series | None = None
    energy_rest: Series | None = None
    history: History = Field(default_factory=dict, description="series -> year -> observed value")
    source: str | None = None


class Rd(Strict):
    """Cluster R&D: its own path (``base`` + ``growth``, which may be an elasticity to
    ``output``) or a share of output (``share_of_output``, a level that may trend)."""

    base: Num | None = None
    growth: Growth | None = None
    share_of_output: Series | None = None
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _mode(self) -> Rd:
        if (self.base is None) == (self.share_of_output is None):
            raise ValueError("rd takes either base (+ growth) or share_of_output, not both")
        if self.share_of_output is not None and self.growth is not None:
            raise ValueError(
                "rd.growth goes with rd.base; trend a share with share_of_output.growth"
            )
        return self


class Firms(Strict):
    """Firm stock: entries and an exit rate (``n[t] = n[t-1] (1 - exit_rate) + entries[t]``),
    or a growth path of its own (e.g. ``{kind: logistic, capacity: 800, rate: 0.3}``)."""

    base: Num
    exit_rate: Num | None = None
    entries: Series | None = None
    growth: Growth | None = None
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _mode(self) -> Firms:
        if self.growth is not None and (self.entries is not None or self.exit_rate is not None):
            raise ValueError("firms takes entries/exit_rate or growth, not both")
        return self


class Cluster(Strict):
    """One industrial cluster (产业集群)."""

    name: Label
    output: Series
    va_ratio: Series | None = None
    rd: Rd | None = None
    energy_per_va: Series | None = None
    firms: Firms | None = None
    history: History = Field(default_factory=dict)
    source: str | None = None
    note: str | None = None


class Group(Strict):
    """A named set of clusters; groups may overlap."""

    name: Label
    clusters: list[Id] = Field(min_length=1)
    source: str | None = None
    note: str | None = None


class LevelIndicator(Strict):
    """Any other plan number: a level with a growth path (also an annual flow)."""

    kind: Literal["level"]
    name: Label
    base: Num
    growth: Growth = Field(default_factory=lambda: Constant(rate=0.0))
    unit: str | None = None
    source: str | None = None
    note: str | None = None


class StockIndicator(Strict):
    """A stock fed by an annual flow: ``s[t] = s[t-1] (1 - exit_rate) + flow[t]``.

    The flow is available in expressions as ``<id>_flow``.
    """

    kind: Literal["stock"]
    name: Label
    base: Num
    flow: Series
    exit_rate: Num = 0.0
    unit: str | None = None
    source: str | None = None
    note: str | None = None


def _indicator_kind(v: Any) -> Any:
    if isinstance(v, dict) and "kind" not in v:
        return {"kind": "stock" if "flow" in v else "level", **v}
    return v


class _LevelInput(LevelIndicator):
    kind: Literal["level"] = "level"


Indicator = Annotated[
    LevelIndicator | StockIndicator,
    Field(discriminator="kind"),
    # kind may be left out: a block with `flow` is a stock, otherwise a level
    BeforeValidator(
        _indicator_kind,
        json_schema_input_type=Annotated[
            LevelIndicator | StockIndicator, Field(discriminator="kind")
        ]
        | _LevelInput,
    ),
]


class Metric(Strict):
    """A derived metric: an expression over series (see the expression grammar)."""

    expr: str
    label: Label | None = None
    unit: str | None = None
    source: str | None = None


def _metric(v: Any) -> Any:
    return {"expr": v} if isinstance(v, str) else v


MetricDef = Annotated[Metric, BeforeValidator(_metric, json_schema_input_type=str | Metric)]


class Lever(Strict):
    """The series a required-growth search moves: a series, optionally limited to clusters."""

    series: str
    group: str | None = None
    clusters: list[Id] | None = None


def _lever(v: Any) -> Any:
    if isinstance(v, str):
        m = re.fullmatch(r"\s*(\w+)\s*(?:\[\s*(\w+)\s*\])?\s*", v)
        if m:
            return {"series": m.group(1), **({"clusters": [m.group(2)]} if m.group(2) else {})}
    return v


class _Target(Strict):
    label: Label
    at_least: Float | None = None
    at_most: Float | None = None
    between: tuple[Float, Float] | None = None
    lever: Annotated[Lever, BeforeValidator(_lever, json_schema_input_type=str | Lever)] | None = (
        None
    )
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_goal(self) -> _Target:
        given = [k for k in ("at_least", "at_most", "between") if getattr(self, k) is not None]
        if len(given) != 1 and not getattr(self, "tiers", None):
            raise ValueError(
                f"a target needs exactly one of at_least, at_most, between (got {given or 'none'})"
            )
        if self.between is not None and self.between[0] > self.between[1]:
            raise ValueError(f"between: {list(self.between)} must be [low, high]")
        return self


class LevelTarget(_Target):
    """A metric in a year: ``rd_intensity`` >= 3% in 2026."""

    kind: Literal["level"]
    metric: str
    year: int


class StockTarget(_Target):
    """A stock indicator in a year (more than 500 specialised firms in 2026)."""

    kind: Literal["stock"]
    metric: str
    year: int


class ShareTarget(_Target):
    """``numerator / denominator`` in a year (strategic emerging = 43% of industrial output)."""

    kind: Literal["share"]
    numerator: str
    denominator: str
    year: int


class GroupSumTarget(_Target):
    """Sum of a cluster series over a group in a year (future industries reach 1,000 亿)."""

    kind: Literal["group_sum"]
    variable: str = "output"
    group: str
    year: int


class CagrTarget(_Target):
    """Compound annual growth of a metric from ``from_year`` to ``year``."""

    kind: Literal["cagr"]
    metric: str
    from_year: int
    year: int


class GrowthEveryYear(_Target):
    """Annual growth of a metric in every year of ``(from_year, year]``: the goal is checked
    in each year; the year with the smallest margin is reported."""

    kind: Literal["growth_every_year"]
    metric: str
    from_year: int
    year: int


class ChangeVs(_Target):
    """Relative change of a metric in ``year`` against ``relative_to`` (history allowed):
    ``value = x[year] / x[relative_to] - 1``."""

    kind: Literal["change_vs"]
    metric: str
    relative_to: int
    year: int


class PpChange(_Target):
    """Change of a share in percentage points in every year of ``(from_year, year]``
    (the goal is checked on each year-on-year difference; 1 pp = 0.01)."""

    kind: Literal["pp_change_per_year"]
    metric: str
    from_year: int
    year: int


class FlowEveryYear(_Target):
    """An annual flow in every year of ``[from_year, year]``: the goal is checked in each year."""

    kind: Literal["flow_every_year"]
    metric: str
    from_year: int
    year: int


class Tier(Strict):
    threshold: Float
    at_least: int = Field(ge=0)


class CountOver(_Target):
    """Number of clusters (of a group) whose ``variable`` is at or above ``threshold`` in
    ``year`` (with a goal such as ``between: [4, 5]``), or tiers: ``[{threshold: 10000,
    at_least: 4}, {threshold: 5000, at_least: 4}]``. With ``bands: true`` (default) a
    cluster counts in its highest tier only."""

    kind: Literal["count_over"]
    variable: str = "output"
    group: str | None = None
    year: int
    threshold: Float | None = None
    tiers: list[Tier] | None = None
    bands: bool = True

    @model_validator(mode="after")
    def _shape(self) -> CountOver:
        if (self.threshold is None) == (self.tiers is None):
            raise ValueError("count_over takes threshold (with a goal) or tiers, not both")
        if self.tiers is not None and any(
            getattr(self, k) is not None for k in ("at_least", "at_most", "between")
        ):
            raise ValueError("with tiers the goal is in each tier's at_least")
        return self


Target = Annotated[
    LevelTarget
    | StockTarget
    | ShareTarget
    | GroupSumTarget
    | CagrTarget
    | GrowthEveryYear
    | ChangeVs
    | PpChange
    | FlowEveryYear
    | CountOver,
    Field(discriminator="kind"),
]


class Scenario(Strict):
    """A regional plan as a projection scenario."""

    id: Id
    name: Label
    description: str | None = None
    extends: str | None = Field(None, description="path of a scenario this one overrides")
    base_year: int = Field(ge=1949, le=2200)
    end_year: int = Field(ge=1950, le=2300)
    unit: str = Field("亿元", description="money unit of output, value added, GDP and R&D")
    energy_unit: str | None = None
    region: Region
    clusters: dict[Id, Cluster] = Field(default_factory=dict)
    groups: dict[Id, Group] = Field(default_factory=dict)
    indicators: dict[Id, Indicator] = Field(default_factory=dict)
    metrics: dict[Id, MetricDef] = Field(default_factory=dict)
    targets: dict[Id, Target] = Field(default_factory=dict)
    source: str | None = None
    note: str | None = None
    # where each value was written; the loader sets it (not a field: never in the data)
    _provenance: Provenance | None = PrivateAttr(default=None)

    @property
    def provenance(self) -> Provenance | None:
        """Where each value was written, when the scenario was loaded from a file."""
        return self._provenance

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        # "[at PATH] message": the loader reports the error at PATH's line
        if self.end_year <= self.base_year:
            raise ValueError(
                f"[at end_year] end_year ({self.end_year}) must be after base_year ({self.base_year})"
            )
        for gid, grp in self.groups.items():
            for i, c in enumerate(grp.clusters):
                if c not in self.clusters:
                    raise ValueError(
                        f"[at groups.{gid}.clusters.{i}] unknown cluster {c!r} "
                        f"(clusters: {', '.join(self.clusters)})"
                    )
        taken: dict[str, str] = {}
        for block in ("clusters", "groups", "indicators", "metrics"):
            for key in getattr(self, block):
                if key in RESERVED:
                    raise ValueError(f"[at {block}.{key}] {key!r} is a reserved series name")
                if block != "clusters" and key in taken:
                    raise ValueError(f"[at {block}.{key}] id already used in {taken[key]}")
                if block != "clusters":
                    taken[key] = block
        for iid, ind in self.indicators.items():
            flow = f"{iid}_flow"
            if isinstance(ind, StockIndicator) and flow in taken:
                raise ValueError(
                    f"[at {taken[flow]}.{flow}] {flow!r} is the flow of stock indicator {iid!r}"
                )
        return self


def scenario_json_schema(*, partial: bool = False) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file, for editors.

    With ``partial`` (for a file that ``extends:`` another and gives only what it
    changes) nothing is required and tagged unions accept partial blocks; unknown keys
    are still errors.
    """
    doc = Scenario.model_json_schema()
    if partial:
        doc = _relax(doc)
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = "clustersim scenario"
    return doc


def _relax(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _relax(v) for k, v in node.items() if k not in ("required", "discriminator")}
        if "oneOf" in out:
            out["anyOf"] = out.pop("oneOf")
        return out
    if isinstance(node, list):
        return [_relax(v) for v in node]
    return node
