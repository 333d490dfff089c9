"""Which series of a scenario calibration can set, and why another name is not one.

:func:`scenario_series` lists them by the name observed data and ``--series`` use
(``gdp``, ``patents_flow``, ``output[electronics]``), each a :class:`SeriesSpec` that says
where its growth lives in the scenario, its base value, and the unit observations must have.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clustersim.analysis.observed import Unit, parse_unit
from clustersim.kinds.growth import Elasticity, Growth
from clustersim.scenario.models import LevelIndicator, Scenario, Series, StockIndicator
from clustersim.suggest import did_you_mean
from clustersim.values.numbers import central

__all__ = ["SeriesSpec", "scenario_series", "why_not"]


@dataclass(frozen=True)
class SeriesSpec:
    """A scenario series calibration can set.

    Attributes
    ----------
    name : str
        As observed data and ``--series`` name it: ``gdp``, ``sei_va``, ``patents_flow``,
        ``output[electronics]``.
    variable : str
        The series in the projection (``output``, ``rd_own``, ``rd_share``...).
    cluster : str or None
    path : tuple of str
        Scenario path of the block whose ``growth`` calibration writes.
    growth : Growth or None
        The scenario's growth assumption there.
    base : float
        The scenario's (central) base-year value.
    category : str or None
        Unit category the observations must have (``money``, ``share``, ``count``...).
    unit : Unit or None
        The unit the scenario states for the series; observations are converted into it.
    flow : bool
        Whether a partial-year observation undercounts the year (and is annualised).
    """

    name: str
    variable: str
    cluster: str | None
    path: tuple[str, ...]
    growth: Growth | None
    base: float
    category: str | None
    unit: Unit | None
    flow: bool = True

    @property
    def kind(self) -> str:
        """The scenario's growth kind (``constant`` when it gives none)."""
        return self.growth.kind if self.growth is not None else "constant"

    @property
    def follows(self) -> str | None:
        """For an elasticity: the name of the followed series as observed data name it."""
        if not isinstance(self.growth, Elasticity):
            return None
        to = self.growth.to
        if self.cluster is not None and to in _CLUSTER_VARS:
            return f"{to}[{self.cluster}]"
        return to


_CLUSTER_VARS = ("output", "va_ratio", "rd", "rd_share", "energy_per_va", "firms", "entries")
_DERIVED = {
    "cluster_output": "the sum of cluster output",
    "rd_total": "cluster R&D + rd_rest",
    "energy_total": "cluster energy + energy_rest",
    "rd_intensity": "rd_total / gdp",
    "energy_intensity": "energy_total / gdp",
    "value_added": "output x va_ratio",
    "energy": "value_added x energy_per_va",
}


def _unit_of(text: str | None) -> Unit | None:
    return parse_unit(text) if text else None


def scenario_series(sc: Scenario) -> dict[str, SeriesSpec]:
    """Every series of ``sc`` whose growth calibration can fit, by name.

    Region series (``gdp``, ``population``, ``industrial_output``, ``rd_rest``,
    ``energy_rest``), level indicators (by id), the flows of stock indicators
    (``<id>_flow``), and per cluster ``output``, ``va_ratio``, ``rd`` (own path) or
    ``rd_share`` (share of output), ``energy_per_va``, ``firms`` (growth mode) and ``entries``,
    named ``variable[cluster]``.
    """
    money = _unit_of(sc.unit)
    out: dict[str, SeriesSpec] = {}

    def add(
        name: str,
        variable: str,
        cluster: str | None,
        path: tuple[str, ...],
        s: Series | None,
        category: str | None,
        unit: Unit | None,
        *,
        growth: Growth | None = None,
        base: Any = None,
        flow: bool = True,
    ) -> None:
        if s is not None:
            growth, base = s.growth, s.base
            if s.unit:
                unit = _unit_of(s.unit) or unit
        out[name] = SeriesSpec(
            name, variable, cluster, path, growth, central(base), category, unit, flow
        )

    reg = sc.region
    add("gdp", "gdp", None, ("region", "gdp"), reg.gdp, "money", money)
    for nm, cat, unit in (
        ("population", "count", None),
        ("industrial_output", "money", money),
        ("rd_rest", "money", money),
        ("energy_rest", "energy", _unit_of(sc.energy_unit)),
    ):
        s = getattr(reg, nm)
        if s is not None:
            add(nm, nm, None, ("region", nm), s, cat, unit)
    for iid, ind in sc.indicators.items():
        iu = _unit_of(ind.unit)
        icat = iu.category if iu else None
        if isinstance(ind, LevelIndicator):
            add(
                iid,
                iid,
                None,
                ("indicators", iid),
                None,
                icat,
                iu,
                growth=ind.growth,
                base=ind.base,
                flow=icat not in ("share", "index"),
            )
        elif isinstance(ind, StockIndicator):
            add(f"{iid}_flow", f"{iid}_flow", None, ("indicators", iid, "flow"), ind.flow, icat, iu)
    for cid, c in sc.clusters.items():
        p = ("clusters", cid)
        add(f"output[{cid}]", "output", cid, (*p, "output"), c.output, "money", money)
        if c.va_ratio is not None:
            add(
                f"va_ratio[{cid}]",
                "va_ratio",
                cid,
                (*p, "va_ratio"),
                c.va_ratio,
                "share",
                None,
                flow=False,
            )
        if c.rd is not None:
            if c.rd.share_of_output is not None:
                add(
                    f"rd_share[{cid}]",
                    "rd_share",
                    cid,
                    (*p, "rd", "share_of_output"),
                    c.rd.share_of_output,
                    "share",
                    None,
                    flow=False,
                )
            else:
                add(
                    f"rd[{cid}]",
                    "rd_own",
                    cid,
                    (*p, "rd"),
                    None,
                    "money",
                    money,
                    growth=c.rd.growth,
                    base=c.rd.base,
                )
        if c.energy_per_va is not None:
            add(
                f"energy_per_va[{cid}]",
                "energy_per_va",
                cid,
                (*p, "energy_per_va"),
                c.energy_per_va,
                None,
                None,
                flow=False,
            )
        if c.firms is not None:
            if c.firms.entries is not None:
                add(
                    f"entries[{cid}]",
                    "entries",
                    cid,
                    (*p, "firms", "entries"),
                    c.firms.entries,
                    "count",
                    None,
                )
            if c.firms.growth is not None or (
                c.firms.entries is None and c.firms.exit_rate is None
            ):
                add(
                    f"firms[{cid}]",
                    "firms",
                    cid,
                    (*p, "firms"),
                    None,
                    "count",
                    None,
                    growth=c.firms.growth,
                    base=c.firms.base,
                    flow=False,
                )
    return out


def why_not(name: str, sc: Scenario, known: Mapping[str, SeriesSpec]) -> str:
    """Why ``name`` is not a series calibration can set, with a suggestion.

    Parameters
    ----------
    name : str
        A series name as typed (``gdpp``, ``value_added[alpha]``).
    sc : Scenario
    known : mapping of str to SeriesSpec
        :func:`scenario_series` of ``sc``.
    """
    m = re.fullmatch(r"(\w+)\[(\w+)\]", name)
    var, cid = (m.group(1), m.group(2)) if m else (name, None)
    if cid is not None and cid not in sc.clusters:
        return f"{cid!r} is not a cluster of the scenario{did_you_mean(cid, sc.clusters)}"
    if var in _DERIVED:
        return f"{var!r} is derived ({_DERIVED[var]}): calibrate its parts"
    if cid is None and var in sc.metrics:
        return f"{var!r} is a metric (an expression): calibrate the series it reads"
    ind = sc.indicators.get(var)
    if isinstance(ind, StockIndicator):
        return f"{var!r} is a stock fed by a flow: calibrate its flow {var + '_flow'!r} instead"
    if cid is not None and var == "rd" and f"rd_share[{cid}]" in known:
        return (
            f"cluster {cid} spends on R&D as a share of output: observe the share "
            f"'rd_share[{cid}]' (R&D / output)"
        )
    if cid is not None and var == "firms" and f"entries[{cid}]" in known:
        return f"firms of {cid} are a stock fed by entries: calibrate 'entries[{cid}]' instead"
    return f"{name!r} is not a series of the scenario{did_you_mean(name, known)}"
