"""The scenario format as pydantic models (``extra="forbid"``: a typo is an error).

See ``docs/scenario-format.md`` for the commented format. Ids are ASCII
(``[a-z][a-z0-9_]*``); labels are a string or ``{zh: ..., en: ...}``.
"""

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field, PrivateAttr, model_validator

from clustersim.core.expr import REDUCERS
from clustersim.kinds.growth import Constant, Growth
from clustersim.kinds.targets import TARGET_KINDS, TargetKind
from clustersim.scenario.provenance import Provenance
from clustersim.values.names import Id, Label
from clustersim.values.numbers import Num, Strict

__all__ = [
    "REGION_SERIES",
    "Cluster",
    "Correlation",
    "Factor",
    "Firms",
    "Group",
    "InputOutput",
    "Pipeline",
    "Rd",
    "Region",
    "Scenario",
    "ScenarioShocks",
    "Series",
    "Target",
    "TierLevel",
    "scenario_json_schema",
]

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


class Series(Strict):
    """A level with a growth path: ``base`` in the base year, then ``growth``."""

    base: Num
    growth: Growth = Field(default_factory=lambda: Constant(rate=0.0))
    unit: str | None = None
    #: years in which the statistical scope changed (the first year of the new scope):
    #: no growth is computed across them (calibration, targets reading history)
    breaks: list[int] = Field(
        default_factory=list,
        description="years in which the series' statistical scope changed (first year of the "
        "new scope, at most the base year): growth is never computed across them",
    )
    #: the price basis of a money series: ``current`` (现价, the default) or ``comparable``
    #: (可比价, at base-year prices, e.g. an index built from real growth rates)
    prices: Literal["current", "comparable"] = "current"
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
    def _mode(self) -> "Rd":
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
    def _mode(self) -> "Firms":
        if self.growth is not None and (self.entries is not None or self.exit_rate is not None):
            raise ValueError("firms takes entries/exit_rate or growth, not both")
        return self


class Cluster(Strict):
    """One industrial cluster (产业集群).

    ``parent`` names the cluster this one is part of (a chain inside a group that is itself
    a cluster, 四群 containing 八链): its series are a part of the parent's, and a count
    without ``over`` counts only clusters without a parent, so each industry once."""

    name: Label
    parent: Id | None = None
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
    #: ``current`` (现价) or ``comparable`` (可比价) prices, as for a :class:`Series`
    prices: Literal["current", "comparable"] = "current"
    #: as :attr:`Series.breaks`: a level given in the plan's statistics changes scope too
    breaks: list[int] = Field(
        default_factory=list,
        description="years in which the indicator's statistical scope changed (first year of "
        "the new scope, at most the base year): growth is never computed across them",
    )
    integer: bool = Field(
        default=False,
        description="a count: its value in each year is the whole units of the projection "
        "(rounded down; a unit counts once complete)",
    )
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
    integer: bool = Field(
        default=False,
        description="a count (clusters, platforms): its value in each year is the whole units "
        "of the projected stock (rounded down; a unit counts once complete)",
    )
    source: str | None = None
    note: str | None = None


class TierLevel(Strict):
    """One tier of a firm pipeline: its stock at the end of the base year, the share of it
    promoted to the next tier and the share leaving each year, an optional ceiling."""

    name: Label
    base: Num
    promotion: Num | None = Field(
        None,
        description="share of the tier promoted to the next tier each year (not on the top tier)",
    )
    exit_rate: Num = Field(0.0, description="share of the tier leaving each year")
    ceiling: Num | None = Field(
        None,
        description="most firms the tier may hold: promotions beyond it stay in the tier "
        "below (entries beyond the first tier's ceiling do not enter)",
    )
    unit: str | None = None
    source: str | None = None
    note: str | None = None


class Pipeline(Strict):
    """A firm tier pipeline (梯次培育), region level: firms enter the first tier (``entries``,
    a series of firms a year), are promoted from each tier to the next and leave each tier.

    Series: each tier's stock by its id, ``<tier>_in`` the firms arriving in it each year,
    ``<pipeline>_entries`` the entries.
    """

    name: Label
    entries: Series
    tiers: dict[Id, TierLevel] = Field(min_length=1, description="lowest tier first")
    cluster: Id | None = Field(
        None,
        description="the cluster whose ladder this is: its tiers are then cluster series "
        "(tier[cluster]); pipelines of other clusters may reuse the same tier ids in the "
        "same order",
    )
    source: str | None = None
    note: str | None = None

    def series_names(self, pid: str, *, tiers: bool = True) -> list[tuple[str, str]]:
        """Each series name with the path that defines it (without the tier series when
        ``tiers`` is false)."""
        out = [(f"{pid}_entries", f"pipelines.{pid}.entries")]
        if not tiers:
            return out
        for tid in self.tiers:
            out += [(tid, f"pipelines.{pid}.tiers.{tid}")]
            out += [(f"{tid}_in", f"pipelines.{pid}.tiers.{tid}")]
        return out


class IORest(Strict):
    """The rest of the economy in an input-output system: its base-year gross output and
    the growth of its final demand."""

    name: Label | None = None
    output: Series
    source: str | None = None
    note: str | None = None


#: the sector id of the rest of the economy in ``io.coefficients``
IO_REST = "rest"
#: series an input-output system adds
IO_SERIES = ("demand", "io_rest_demand", "io_rest_output")


class InputOutput(Strict):
    """Input-output coupling (optional): a technical-coefficient matrix between the clusters
    and the rest of the economy. Each cluster's ``output`` block then gives its base-year
    output and the growth of its *final demand*; output is ``(I - A)^-1 f``."""

    name: Label | None = None
    rest: IORest
    coefficients: dict[str, dict[str, Num]] = Field(
        description="supplier -> buyer -> input from the supplier per unit of the buyer's "
        "output (a_ij); sectors are cluster ids and 'rest'; missing entries are 0"
    )
    illustrative: bool = Field(
        False, description="true: the coefficients are not a published table (say so in source)"
    )
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


class Factor(Strict):
    """A shared shock factor: standard-normal innovations, optionally AR(1):
    ``F[t] = ar * F[t-1] + eta[t]`` from ``F[base_year] = 0``."""

    ar: Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)] = 0.0
    name: Label | None = None
    source: str | None = None
    note: str | None = None


class Correlation(Strict):
    """A Gaussian-copula correlation between two uncertain numbers, by their dotted paths."""

    between: Annotated[list[str], Field(min_length=2, max_length=2)]
    rho: Annotated[float, Field(gt=-1.0, lt=1.0, allow_inf_nan=False)]
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _two(self) -> "Correlation":
        if self.between[0] == self.between[1]:
            raise ValueError(f"between names {self.between[0]!r} twice: name two numbers")
        return self


class ScenarioShocks(Strict):
    """Shared and correlated shocks (issue 15): the factors growths' ``shocks.factor`` may
    name, and Gaussian-copula correlations between uncertain numbers."""

    factors: dict[Id, Factor] = Field(default_factory=dict)
    correlations: list[Correlation] = Field(default_factory=list)
    source: str | None = None
    note: str | None = None


# the target kinds, one class each, from their registry (see clustersim.kinds.targets)
if TYPE_CHECKING:
    Target = TargetKind
else:
    Target = Annotated[Union[tuple(TARGET_KINDS.values())], Field(discriminator="kind")]  # noqa: UP007


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
    io: InputOutput | None = Field(
        None, description="input-output coupling of the clusters (Leontief), see InputOutput"
    )
    pipelines: dict[Id, Pipeline] = Field(
        default_factory=dict, description="firm tier pipelines (梯次培育), see Pipeline"
    )
    targets: dict[Id, Target] = Field(default_factory=dict)
    #: shared factors and correlations of the growths' shocks (issue 15)
    shocks: ScenarioShocks | None = None
    source: str | None = None
    note: str | None = None
    # where each value was written; the loader sets it (not a field: never in the data)
    _provenance: Provenance | None = PrivateAttr(default=None)

    @property
    def provenance(self) -> Provenance | None:
        """Where each value was written, when the scenario was loaded from a file."""
        return self._provenance

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
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
        for cid, cl in self.clusters.items():
            if cl.parent is None:
                continue
            if cl.parent not in self.clusters:
                raise ValueError(
                    f"[at clusters.{cid}.parent] unknown cluster {cl.parent!r} "
                    f"(clusters: {', '.join(self.clusters)})"
                )
            seen: list[str] = [cid]
            up: str | None = cl.parent
            while up is not None:
                if up in seen:
                    chain = " -> ".join([*seen, up])
                    raise ValueError(f"[at clusters.{cid}.parent] parents form a cycle: {chain}")
                seen.append(up)
                up = self.clusters[up].parent
        taken: dict[str, str] = {}
        for block in ("clusters", "groups", "indicators", "metrics"):
            for key in getattr(self, block):
                if key in RESERVED:
                    raise ValueError(f"[at {block}.{key}] {key!r} is a reserved series name")
                if block != "clusters" and key in taken:
                    raise ValueError(f"[at {block}.{key}] id already used in {taken[key]}")
                if block != "clusters":
                    taken[key] = block
        self._check_breaks()
        self._check_pipelines(taken)
        self._check_io(taken)
        for iid, ind in self.indicators.items():
            flow = f"{iid}_flow"
            if isinstance(ind, StockIndicator) and flow in taken:
                raise ValueError(
                    f"[at {taken[flow]}.{flow}] {flow!r} is the flow of stock indicator {iid!r}"
                )
        return self

    def _check_io(self, taken: dict[str, str]) -> None:
        """Sectors of ``io.coefficients`` are clusters or ``rest``; its series names are free."""
        if self.io is None:
            return
        from clustersim.i18n import word

        def both(key: str, **fmt: object) -> str:
            return f"{word(key, 'en', **fmt)} ({word(key, 'zh', **fmt)})"

        known = [*self.clusters, IO_REST]
        for i, row in self.io.coefficients.items():
            for j in (i, *row):
                if j not in known:
                    at = f"io.coefficients.{i}" + ("" if j == i else f".{j}")
                    raise ValueError(
                        f"[at {at}] " + both("io_unknown_sector", sector=j, known=", ".join(known))
                    )
        for name in IO_SERIES:
            if name in taken:
                raise ValueError(
                    f"[at {taken[name]}.{name}] " + both("tier_name_taken", name=name, other="io")
                )

    def _check_pipelines(self, taken: dict[str, str]) -> None:
        """Tier series names are new names; only tiers below the top are promoted."""
        if not self.pipelines:
            return
        from clustersim.i18n import word

        def both(key: str, **fmt: object) -> str:
            return f"{word(key, 'en', **fmt)} ({word(key, 'zh', **fmt)})"

        owner = dict(taken)
        for iid, ind in self.indicators.items():
            if isinstance(ind, StockIndicator):
                owner.setdefault(f"{iid}_flow", "indicators")
        # per-cluster ladders (cluster:) share their tier series: one cluster series per
        # tier id list, one ladder per cluster
        ladders: dict[tuple[str, ...], dict[str, str]] = {}
        for pid, pipe in self.pipelines.items():
            last = list(pipe.tiers)[-1]
            if pipe.tiers[last].promotion is not None:
                raise ValueError(
                    f"[at pipelines.{pid}.tiers.{last}.promotion] "
                    + both("tier_top_promotion", tier=last)
                )
            shared = pipe.cluster is not None
            if pipe.cluster is not None:
                if pipe.cluster not in self.clusters:
                    raise ValueError(
                        f"[at pipelines.{pid}.cluster] "
                        + both("tier_unknown_cluster", cluster=pipe.cluster)
                    )
                ids = tuple(pipe.tiers)
                seen = ladders.get(ids)
                if seen is None:
                    ladders[ids] = {pipe.cluster: pid}
                    shared = False  # the first ladder of these tiers claims their names
                elif pipe.cluster in seen:
                    raise ValueError(
                        f"[at pipelines.{pid}.cluster] "
                        + both("tier_cluster_twice", cluster=pipe.cluster, other=seen[pipe.cluster])
                    )
                else:
                    seen[pipe.cluster] = pid
            for name, path in pipe.series_names(pid, tiers=not shared):
                other = owner.get(name) or ("a built-in series" if name in RESERVED else None)
                if other is not None:
                    raise ValueError(
                        f"[at {path}] " + both("tier_name_taken", name=name, other=other)
                    )
                owner[name] = path

    def declared_breaks(self) -> list[tuple[str, str, str | None, int]]:
        """Every declared break: ``(path, series, cluster or None, year)``, ``path`` the
        dotted path of the series block (``region.gdp``, ``clusters.c.output``)."""
        out: list[tuple[str, str, str | None, int]] = []
        for name in type(self.region).model_fields:
            s = getattr(self.region, name)
            if isinstance(s, Series):
                out += [(f"region.{name}", name, None, y) for y in s.breaks]
        for cid, cl in self.clusters.items():
            for name in ("output", "va_ratio", "energy_per_va"):
                s = getattr(cl, name)
                if isinstance(s, Series):
                    out += [(f"clusters.{cid}.{name}", name, cid, y) for y in s.breaks]
            if cl.rd is not None and cl.rd.share_of_output is not None:
                p = f"clusters.{cid}.rd.share_of_output"
                out += [(p, "rd_share", cid, y) for y in cl.rd.share_of_output.breaks]
            if cl.firms is not None and cl.firms.entries is not None:
                p = f"clusters.{cid}.firms.entries"
                out += [(p, "entries", cid, y) for y in cl.firms.entries.breaks]
        for iid, ind in self.indicators.items():
            if isinstance(ind, LevelIndicator):
                out += [(f"indicators.{iid}", iid, None, y) for y in ind.breaks]
            else:  # a stock's flow is a series block: its breaks concern ``<id>_flow``
                p = f"indicators.{iid}.flow"
                out += [(p, f"{iid}_flow", None, y) for y in ind.flow.breaks]
        return out

    def _check_breaks(self) -> None:
        """Breaks are at most the base year, and no target reads history across one."""
        from clustersim.i18n import word
        from clustersim.scenario.reads import series_read

        def both(key: str, **fmt: object) -> str:
            return f"{word(key, 'en', **fmt)} ({word(key, 'zh', **fmt)})"

        breaks = self.declared_breaks()
        for path, _, _, year in breaks:
            if year > self.base_year:
                i = [b[3] for b in breaks if b[0] == path].index(year)
                raise ValueError(
                    f"[at {path}.breaks.{i}] "
                    + both("break_after_base", year=year, base_year=self.base_year)
                )
        groups_of: dict[str, set[str]] = {}
        for gid, grp in self.groups.items():
            for c in grp.clusters:
                groups_of.setdefault(c, set()).add(gid)
        scoped = set(self.clusters) | set(self.groups)
        for tid, t in self.targets.items():
            start = t.start()
            reads = series_read(self.metrics, t)
            # years read through x@year (issue 13), in the metric or a metric it reads
            at = self._at_years(t, reads)
            if start is None and not at:
                continue
            lo = min([*([start] if start is not None else []), *at, t.year])
            hi = max([*at, t.year])
            for path, series, cluster, year in breaks:
                if not (lo < year <= hi) or series not in reads:
                    continue
                if cluster is not None and reads & scoped:
                    # the metric names clusters or groups: is this one of them (or its parent)?
                    mine = {cluster, *groups_of.get(cluster, ())}
                    up = self.clusters[cluster].parent
                    while up is not None:
                        mine |= {up, *groups_of.get(up, ())}
                        up = self.clusters[up].parent
                    if not reads & mine:
                        continue
                if start is None or (at and min(at) < start):
                    field = "metric" if "metric" in type(t).model_fields else "year"
                    raise ValueError(
                        f"[at targets.{tid}.{field}] "
                        + both(
                            "break_spanned_at",
                            target=tid,
                            at=min(at),
                            year=t.year,
                            series=path,
                            brk=year,
                        )
                    )
                field = "from_year" if "from_year" in type(t).model_fields else "relative_to"
                raise ValueError(
                    f"[at targets.{tid}.{field}] "
                    + both(
                        "break_spanned",
                        target=tid,
                        start=start,
                        year=t.year,
                        series=path,
                        brk=year,
                    )
                )

    def _at_years(self, t: Any, reads: set[str]) -> list[int]:
        """The years of the ``x@year`` nodes in ``t``'s expressions and in the metrics it reads."""
        from clustersim.core import expr as ex

        texts = [getattr(t, f, None) for f in ("metric", "numerator", "denominator", "variable")]
        texts += [m.expr for mid, m in self.metrics.items() if mid in reads]
        out: list[int] = []
        for text in texts:
            if isinstance(text, str) and "@" in text:
                try:
                    out += ex.years_in(ex.parse(text))
                except ex.ExprError:
                    continue  # the compiler says what is wrong with it
        return out


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
