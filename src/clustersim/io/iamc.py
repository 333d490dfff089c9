"""A run's series in the IAMC long format (``clustersim export SCENARIO --iamc FILE``).

One row per (model, scenario, region, variable, unit, year): the columns of
:data:`COLUMNS`, the layout pyam (``pyam.IamDataFrame(file)``) and the IAMC scenario
databases read. Variable names follow the IAMC habit of ``|``-separated hierarchies:

=====================================  ==================  ==================================
variable                               unit                series
=====================================  ==================  ==================================
``GDP``                                scenario ``unit``   ``gdp``
``Population``                         ``population`` unit ``population``
``Industrial Output``                  scenario ``unit``   ``industrial_output``
``R&D Expenditure``                    scenario ``unit``   ``rd_total``
``R&D Expenditure|Outside Clusters``   scenario ``unit``   ``rd_rest``
``R&D Intensity``                      ``%``               ``rd_intensity`` (x 100)
``Energy|Consumption``                 ``energy_unit``     ``energy_total``
``Energy|Consumption|Outside Clusters``  ``energy_unit``   ``energy_rest``
``Energy|Intensity``                   ``energy_unit/unit`` ``energy_intensity``
``Output|Cluster|<id>``                scenario ``unit``   ``output`` of cluster ``<id>``
``Value Added|Cluster|<id>``           scenario ``unit``   ``value_added``
``R&D Expenditure|Cluster|<id>``       scenario ``unit``   ``rd``
``Energy|Consumption|Cluster|<id>``    ``energy_unit``     ``energy``
``Firms|Cluster|<id>``                 ``count``           ``firms``
``Other|<series>``                     the series' unit    any other region series (indicators,
                                                           metrics) by id
=====================================  ==================  ==================================

``model`` is ``clustersim``; ``scenario`` the scenario id; ``region`` the region's English
name (else the scenario id). A Monte Carlo run writes the median under model ``clustersim``
and the 5th and 95th percentiles under ``clustersim|p5`` and ``clustersim|p95``. Units are
the scenario's own labels (``亿元`` = 10^8 CNY): clustersim converts nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from clustersim.atomic import atomic_path
from clustersim.errors import ClusterSimError

if TYPE_CHECKING:
    from clustersim.results import Result

__all__ = ["COLUMNS", "MODEL", "iamc_rows", "write_iamc"]

#: the IAMC long format's columns, in order
COLUMNS = ("model", "scenario", "region", "variable", "unit", "year", "value")
MODEL = "clustersim"

#: region series -> (variable, unit key, scale); unit keys: money, energy, intensity, pct
_REGION = {
    "gdp": ("GDP", "money", 1.0),
    "population": ("Population", "population", 1.0),
    "industrial_output": ("Industrial Output", "money", 1.0),
    "rd_total": ("R&D Expenditure", "money", 1.0),
    "rd_rest": ("R&D Expenditure|Outside Clusters", "money", 1.0),
    "rd_intensity": ("R&D Intensity", "pct", 100.0),
    "energy_total": ("Energy|Consumption", "energy", 1.0),
    "energy_rest": ("Energy|Consumption|Outside Clusters", "energy", 1.0),
    "energy_intensity": ("Energy|Intensity", "intensity", 1.0),
}
#: cluster series -> (variable prefix, unit key)
_CLUSTER = {
    "output": ("Output|Cluster", "money"),
    "value_added": ("Value Added|Cluster", "money"),
    "rd": ("R&D Expenditure|Cluster", "money"),
    "energy": ("Energy|Consumption|Cluster", "energy"),
    "firms": ("Firms|Cluster", "count"),
}


def variable_of(series: str) -> str:
    """The IAMC variable name of a region series (see the module docstring)."""
    return _REGION[series][0] if series in _REGION else f"Other|{series}"


def iamc_rows(result: Result) -> list[dict[str, Any]]:
    """The rows of ``result`` in IAMC long format (dicts keyed by :data:`COLUMNS`)."""
    sc = result.compiled.scenario if result.compiled is not None else None
    money = sc.unit if sc is not None else ""
    energy = (sc.energy_unit or "") if sc is not None else ""
    units: dict[str, str] = {
        "money": money,
        "energy": energy,
        "intensity": f"{energy}/{money}" if energy else "",
        "pct": "%",
        "count": "count",
        "population": "",
    }
    region = result.scenario_id
    other_units: dict[str, str] = {}
    if sc is not None:
        from clustersim.values.names import label_text

        if sc.region.name is not None:
            region = label_text(sc.region.name, "en", region)
        if sc.region.population is not None:
            units["population"] = sc.region.population.unit or ""
        for iid, ind in sc.indicators.items():
            other_units[iid] = getattr(ind, "unit", None) or ""
    years = [int(y) for y in result.years]
    mc = result.samples > 1
    stats: list[tuple[str, Any]] = (
        [(MODEL, 50), (f"{MODEL}|p5", 5), (f"{MODEL}|p95", 95)] if mc else [(MODEL, None)]
    )

    def values(arr: NDArray[np.float64], q: Any) -> NDArray[np.float64]:
        out: NDArray[np.float64] = arr[0] if q is None else np.percentile(arr, q, axis=0)
        return out

    rows: list[dict[str, Any]] = []

    def add(model: str, variable: str, unit: str, vals: NDArray[np.float64]) -> None:
        for y, v in zip(years, vals, strict=True):
            if np.isfinite(v):
                rows.append(
                    {
                        "model": model,
                        "scenario": result.scenario_id,
                        "region": region,
                        "variable": variable,
                        "unit": unit,
                        "year": y,
                        "value": float(v),
                    }
                )

    for model, q in stats:
        for name, arr in result.series.items():
            if arr.ndim == 2:
                if name in _REGION:
                    var, ukey, scale = _REGION[name]
                    add(model, var, units[ukey], values(arr, q) * scale)
                else:
                    add(model, f"Other|{name}", other_units.get(name, ""), values(arr, q))
            elif name in _CLUSTER:
                prefix, ukey = _CLUSTER[name]
                for c, cid in enumerate(result.clusters):
                    add(model, f"{prefix}|{cid}", units[ukey], values(arr[:, c, :], q))
    return rows


def write_iamc(rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Write IAMC rows to ``path`` (``.csv``, or ``.xlsx`` with openpyxl: one sheet
    ``data``) atomically.

    Raises
    ------
    ClusterSimError
        Another suffix, or ``.xlsx`` without openpyxl.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ClusterSimError(f"--iamc: {p}: the file name must end in .csv or .xlsx")
    if p.parent and not p.parent.is_dir():
        raise ClusterSimError(f"--iamc: {p.parent}: no such directory")
    if suffix == ".csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        with atomic_path(p) as tmp:
            tmp.write_text(buf.getvalue(), encoding="utf-8")
        return p
    try:
        from openpyxl import Workbook  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ClusterSimError(
            "--iamc: writing .xlsx needs openpyxl: pip install 'clustersim[excel]' (or write .csv)"
        ) from exc
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("data")
    ws.append(list(COLUMNS))
    for r in rows:
        ws.append([r[c] for c in COLUMNS])
    with atomic_path(p, suffix=".xlsx") as tmp:
        wb.save(tmp)
    return p
