"""Scenario assumptions and results as an Excel workbook, and an edited workbook back.

Layout (``clustersim export``; ``clustersim import`` reads the assumption sheets back):

==============  ===========================================================================
sheet           rows
==============  ===========================================================================
``about``       how to read and edit the workbook (not imported)
``scenario``    ``field | value``: id, name, years, unit, source, note
``region``      ``id | field | value | <number columns>``: one row per number or text of a
                region series (``id`` = ``gdp``, ``population``...; blank for the region's own
                name and source)
``clusters``    the same, ``id`` = cluster id: ``name.zh``, ``output.base``, ``va_ratio.base``...
``growth``      ``block | id | series | field | value | <number columns>``: every growth
                assumption (``kind``, ``rate``, ``rates.2026``, ``capacity``...) of a region
                series, a cluster series (``series`` = ``output``, ``rd.share_of_output``...) or
                an indicator
``groups``      ``id | field | value``: name, ``clusters.0``, ``clusters.1``...
``indicators``  like ``clusters``
``metrics``     one row per metric: ``id | expr | label.zh | label.en | unit | source``
``targets``     one row per target, one column per field (``kind``, ``label.zh``, ``metric``,
                ``year``, ``at_least``, ``between.0``, ``tiers.0.threshold``, ``source``...)
``history``     ``block | id | series | year | value | <number columns>``
``pipelines``   like ``indicators``, ``id`` = pipeline id: ``tiers.high_tech.base``,
                ``entries.base``... (the entries' growth is on ``growth``, block ``pipelines``)
``io``          ``field | value | <number columns>``: every value of the ``io`` block,
                ``coefficients.steel.equipment``, ``rest.output.growth.rate``...
``result_*``    results of a run (targets, trajectories; not imported)
==============  ===========================================================================

A number is one row: a plain number in ``value``; an observation with ``dist`` =
``observed`` and ``value``, ``months``, ``source``; a distribution with ``dist`` = ``normal``
(``mean``, ``sd``, ``low``, ``high``), ``lognormal`` (``median``, ``sigma``), ``uniform``
(``low``, ``high``) or ``triangular`` (``low``, ``mode``, ``high``). Field paths are the
scenario's own keys (docs/scenario-format.md), so the round trip scenario -> workbook ->
scenario is lossless: :func:`read_workbook` validates the sheets into the same
:class:`~clustersim.scenario.models.Scenario`, and every problem is reported with the sheet
and cell it came from.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clustersim.atomic import atomic_path
from clustersim.errors import ScenarioError
from clustersim.i18n import bi, series_label, word
from clustersim.report.fmt import goal_text, required_text
from clustersim.scenario.limits import read_input
from clustersim.scenario.provenance import Origin, Provenance

if TYPE_CHECKING:
    from clustersim.results import Result
    from clustersim.scenario.models import Scenario

__all__ = [
    "ASSUMPTION_SHEETS",
    "CellOrigin",
    "read_workbook",
    "scenario_yaml",
    "write_workbook",
]

#: sheets read back by ``clustersim import``, in workbook order
ASSUMPTION_SHEETS = (
    "scenario",
    "region",
    "clusters",
    "growth",
    "groups",
    "indicators",
    "metrics",
    "targets",
    "history",
    "pipelines",
    "io",
)
#: sheets added after the first workbooks were written: read when present
_OPTIONAL_SHEETS = ("pipelines", "io")
#: columns of a number: its form (``dist``: blank, ``observed`` or a distribution) and parameters
NUMBER_COLUMNS = (
    "dist",
    "mean",
    "sd",
    "median",
    "sigma",
    "low",
    "mode",
    "high",
    "months",
    "source",
    "note",
)
DISTS = ("observed", "normal", "lognormal", "uniform", "triangular")
_KEYS: dict[str, tuple[str, ...]] = {
    "scenario": ("field", "value"),
    "region": ("id", "field", "value", *NUMBER_COLUMNS),
    "clusters": ("id", "field", "value", *NUMBER_COLUMNS),
    "indicators": ("id", "field", "value", *NUMBER_COLUMNS),
    "growth": ("block", "id", "series", "field", "value", *NUMBER_COLUMNS),
    "groups": ("id", "field", "value"),
    "history": ("block", "id", "series", "year", "value", *NUMBER_COLUMNS),
    "pipelines": ("id", "field", "value", *NUMBER_COLUMNS),
    "io": ("field", "value", *NUMBER_COLUMNS),
}
_WIDE = ("metrics", "targets")
_BLOCK_SHEETS = ("region", "clusters", "indicators", "pipelines")

Path_ = tuple[str, ...]


@dataclass(frozen=True)
class CellOrigin(Origin):
    """Where an imported value was written: the workbook, sheet and cell."""

    sheet: str = ""
    cell: str = ""

    def __str__(self) -> str:
        return f"{self.file}: sheet '{self.sheet}', cell {self.cell}"


# --- scenario -> rows ----------------------------------------------------------------------


def _leaves(obj: Any, path: Path_) -> Iterator[tuple[Path_, Any]]:
    """``(path, value)`` for every set field of a validated scenario; a number (plain,
    observation or distribution) is one leaf."""
    from pydantic import BaseModel

    from clustersim.values.numbers import Observed, _Dist

    if obj is None:
        return
    if isinstance(obj, Observed | _Dist):
        yield path, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _leaves(getattr(obj, name), (*path, name))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*path, str(k)))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            yield from _leaves(v, (*path, str(i)))
    else:
        yield path, obj


def _number_cells(value: Any) -> dict[str, Any]:
    """The ``value`` and number columns of one leaf."""
    from clustersim.values.numbers import Observed, _Dist

    if isinstance(value, Observed):
        return {
            "value": value.value,
            "dist": "observed",
            "months": value.months,
            "source": value.source,
            "note": value.note,
        }
    if isinstance(value, _Dist):
        cells = value.model_dump(exclude_none=True)
        return cells
    return {"value": value}


def _route(path: Path_) -> tuple[str, dict[str, Any]] | None:
    """The sheet a leaf goes to and its key cells (``id``, ``field``...)."""
    head = path[0]
    if head == "extends":
        return None  # the workbook holds the merged scenario; see read_workbook
    if head == "io":
        return "io", {"field": ".".join(path[1:])}
    if head in ("region", "clusters", "indicators", "pipelines"):
        ident = path[1] if head != "region" else ""
        rest = path[2:] if head != "region" else path[1:]
        if head == "region" and rest and rest[0] not in ("name", "source", "history"):
            ident, rest = rest[0], rest[1:]
        if rest and rest[0] == "history":
            return "history", {
                "block": head,
                "id": ident,
                "series": rest[1],
                "year": int(rest[2]),
            }
        if "growth" in rest:
            i = rest.index("growth")
            return "growth", {
                "block": head,
                "id": ident,
                "series": ".".join(rest[:i]),
                "field": ".".join(rest[i + 1 :]),
            }
        return head, {"id": ident, "field": ".".join(rest)}
    if head == "groups":
        return "groups", {"id": path[1], "field": ".".join(path[2:])}
    if head in _WIDE:
        return head, {"id": path[1], "field": ".".join(path[2:])}
    return "scenario", {"field": ".".join(path)}


def scenario_rows(sc: Scenario) -> dict[str, list[dict[str, Any]]]:
    """The assumption sheets of ``sc`` as rows (dicts of column -> cell value)."""
    sheets: dict[str, list[dict[str, Any]]] = {s: [] for s in ASSUMPTION_SHEETS}
    wide: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in _WIDE}
    for path, value in _leaves(sc, ()):
        routed = _route(path)
        if routed is None:
            continue
        sheet, keys = routed
        if sheet in _WIDE:
            wide[sheet].setdefault(keys["id"], {"id": keys["id"]})[keys["field"]] = value
            continue
        row = {**keys, **_number_cells(value)} if sheet != "scenario" else {**keys, "value": value}
        sheets[sheet].append(row)
    for sheet in _WIDE:
        sheets[sheet] = list(wide[sheet].values())
    return sheets


# --- workbook writing ----------------------------------------------------------------------

_ABOUT = (
    "clustersim scenario workbook",
    "",
    "Edit the assumption sheets (scenario, region, clusters, growth, groups, indicators, metrics, "
    "targets, history, pipelines, io) and read them back with:  "
    "clustersim import THIS.xlsx --out scenario.yaml",
    "Sheets named result_* hold the results of a run and are not read back.",
    "",
    "Every row is one value of the scenario; 'field' is its path inside the block "
    "(docs/scenario-format.md), e.g. output.base, output.unit, name.zh.",
    "A number: a plain value in 'value'; or dist = observed with value, months (partial year), source;",
    "or a distribution: dist = normal (mean, sd, low, high), lognormal (median, sigma, low, high), "
    "uniform (low, high), triangular (low, mode, high).",
    "Rates and shares are fractions (0.05 = 5%); '5%' typed as text is accepted too.",
    "Lists are numbered fields: clusters.0, clusters.1 ... ; between.0, between.1 ; tiers.0.threshold.",
    "Add a row to add a value; delete a row to drop one (a required value then gives an error "
    "naming the sheet and cell).",
    "",
    "本工作簿由 clustersim 导出：修改各假设表后用 clustersim import 读回为情景文件；result_* 表为运行结果，不读回。",
    "每行为情景中的一个值；数值可为普通数、观测值（dist=observed）或分布（normal、lognormal、uniform、triangular）。",
)


def _cell_value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _fill_sheet(ws: Any, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped]

    ws.append(list(columns))
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="E8EDF3")
    for row in rows:
        ws.append([_cell_value(row.get(col)) for col in columns])
    for r in ws.iter_rows(min_row=2):
        for c in r:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"  # text, never a formula
    ws.freeze_panes = "A2"
    for i, col in enumerate(columns, start=1):
        longest = max([len(str(col)), *(min(len(str(r.get(col) or "")), 60) for r in rows)])
        ws.column_dimensions[_letter(i)].width = max(8, min(60, longest + 2))


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    return str(get_column_letter(i))


def _wide_columns(rows: Sequence[dict[str, Any]], first: Sequence[str]) -> list[str]:
    cols = ["id", *first]
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    present = {k for r in rows for k in r}
    return [c for c in cols if c == "id" or c in present or c in first]


_TARGET_ORDER = (
    "kind",
    "label",
    "label.zh",
    "label.en",
    "metric",
    "numerator",
    "denominator",
    "variable",
    "group",
    "year",
    "from_year",
    "relative_to",
    "at_least",
    "at_most",
    "between.0",
    "between.1",
    "threshold",
)


def write_workbook(
    scenario: Scenario,
    path: str | Path,
    *,
    result: Result | None = None,
    lang: str = "en",
) -> Path:
    """Write ``scenario``'s assumptions (and ``result``, if given) to an ``.xlsx`` file.

    The file is written to a temporary name and renamed into place, so an error leaves
    no partial workbook.
    """
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]

    wb = Workbook()
    about = wb.active
    about.title = "about"
    for line in _ABOUT:
        about.append([line])
    about.column_dimensions["A"].width = 120
    sheets = scenario_rows(scenario)
    for name in ASSUMPTION_SHEETS:
        ws = wb.create_sheet(name)
        rows = sheets[name]
        if name == "targets":
            cols = _wide_columns(rows, _TARGET_ORDER[:1])
            order = {c: i for i, c in enumerate(("id", *_TARGET_ORDER))}
            cols = sorted(cols, key=lambda c: (order.get(c, len(order)), cols.index(c)))
            cols = [c for c in cols if c != "source" and c != "note"] + [
                c for c in ("source", "note") if c in cols
            ]
        elif name == "metrics":
            cols = _wide_columns(rows, ("expr",))
        else:
            cols = list(_KEYS[name])
        _fill_sheet(ws, cols, rows)
        if "dist" in cols:
            dv = DataValidation(type="list", formula1='"' + ",".join(DISTS) + '"', allow_blank=True)
            letter = _letter(cols.index("dist") + 1)
            dv.add(f"{letter}2:{letter}{max(2, len(rows) + 200)}")
            ws.add_data_validation(dv)
    if result is not None:
        _result_sheets(wb, scenario, result, lang)
    p = Path(path)
    with atomic_path(p) as tmp:
        wb.save(tmp)
    return p


def _result_sheets(wb: Any, sc: Scenario, result: Result, lang: str) -> None:
    import numpy as np

    from clustersim.report.fmt import is_percent, is_pp

    mc = result.samples > 1
    rows = []
    for t in result.targets:
        pct = is_percent(t.kind, t.goal, t.median_value)
        pp = is_pp(t.kind)
        p = t.percentiles()
        model = sc.targets.get(t.id)
        rows.append(
            {
                word("id", lang): t.id,
                word("target", lang): bi(model.label if model else t.label, t.id).text(lang),
                word("kind", lang): t.kind,
                word("year", lang): t.year,
                word("status", lang): word(t.status, lang),
                word("value_median" if mc else "value", lang): t.median_value,
                word("goal", lang): goal_text(
                    t.bound.lo,
                    t.bound.hi,
                    [(x.threshold, x.at_least) for x in t.tiers],
                    lang,
                    pct=pct,
                    pp=pp,
                    strict=t.bound.strict,
                ),
                word("margin", lang): t.median_margin,
                **(
                    {
                        word("probability", lang): t.probability,
                        "p5": p["p5"],
                        "p95": p["p95"],
                    }
                    if mc
                    else {}
                ),
                word("required", lang): required_text(t.required_growth, lang),
                word("source", lang): t.source,
                "_fmt": "0.00%" if pct else ("0.0000" if pp else "#,##0.00"),
            }
        )
    ws = wb.create_sheet("result_targets")
    cols = [k for k in (rows[0] if rows else {}) if k != "_fmt"]
    _fill_sheet(ws, cols, rows)
    value_cols = {
        word("value_median" if mc else "value", lang),
        word("margin", lang),
        "p5",
        "p95",
    }
    for r, row in enumerate(rows, start=2):
        for c, col in enumerate(cols, start=1):
            if col in value_cols:
                ws.cell(r, c).number_format = row["_fmt"]
            elif col == word("probability", lang):
                ws.cell(r, c).number_format = "0.0%"
    # trajectories: one row per series (and cluster), one column per year; medians and the
    # 5th/95th percentiles for Monte Carlo runs
    years = [int(y) for y in result.years]
    stats = ("p50", "p5", "p95") if mc else ("value",)
    tr_rows = []
    head_series, head_cluster, head_stat = (
        word("series", lang),
        word("cluster", lang),
        word("stat", lang),
    )
    for name, arr in result.series.items():
        label = series_label(name, sc).text(lang)
        parts: list[tuple[str, Any]] = (
            [("", arr)]
            if arr.ndim == 2
            else [
                (bi(sc.clusters[c].name if c in sc.clusters else c, c).text(lang), arr[:, i, :])
                for i, c in enumerate(result.clusters)
            ]
        )
        for cl_label, a in parts:
            qs = (
                {
                    "p50": np.median(a, axis=0),
                    **dict(zip(("p5", "p95"), np.percentile(a, (5, 95), axis=0), strict=True)),
                }
                if mc
                else {"value": a[0]}
            )
            for st in stats:
                trow: dict[str, Any] = {
                    "variable": name,
                    head_series: label,
                    head_cluster: cl_label,
                    head_stat: st,
                }
                trow.update({str(y): float(v) for y, v in zip(years, qs[st], strict=True)})
                tr_rows.append(trow)
    ws = wb.create_sheet("result_trajectories")
    _fill_sheet(
        ws,
        ["variable", head_series, head_cluster, head_stat, *(str(y) for y in years)],
        tr_rows,
    )


def scenario_yaml(sc: Scenario, header: str = "") -> str:
    """``sc`` as a standalone YAML scenario (no ``extends:``), every set field written."""
    from clustersim.yamlout import dump_yaml

    data = sc.model_dump(exclude_none=True, exclude={"extends"})
    return dump_yaml(_ordered(data), header)


def _ordered(node: Any) -> Any:
    """Keys as people write them: ``kind``/``dist`` first, ``source``/``note`` last."""
    if isinstance(node, dict):
        first = [k for k in ("kind", "dist") if k in node]
        last = [k for k in ("source", "note") if k in node]
        mid = [k for k in node if k not in first and k not in last]
        return {k: _ordered(node[k]) for k in (*first, *mid, *last)}
    if isinstance(node, list | tuple):
        return [_ordered(v) for v in node]
    return node


# --- workbook reading ----------------------------------------------------------------------


def _text(v: Any) -> str:
    return "" if v is None else str(v).strip()


class _Reader:
    """Builds the scenario's nested data from the sheets, remembering each value's cell."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.data: dict[str, Any] = {}
        self.origins: dict[Path_, Origin] = {}
        self.errors: list[str] = []

    def at(self, sheet: str, col: int, row: int) -> CellOrigin:
        return CellOrigin(self.file, row, col, sheet, f"{_letter(col)}{row}")

    def error(self, origin: CellOrigin, msg: str) -> None:
        self.errors.append(f"{origin}: {msg}")

    def put(self, path: Path_, value: Any, origin: CellOrigin) -> None:
        if any(not p for p in path):
            self.error(origin, f"empty part in field path {'.'.join(path)!r}")
            return
        node = self.data
        for i, part in enumerate(path[:-1]):
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
                self.origins.setdefault(path[: i + 1], origin)
            elif not isinstance(nxt, dict):
                self.error(
                    origin, f"{'.'.join(path)}: {'.'.join(path[: i + 1])} is already a value"
                )
                return
            node = nxt
        if path[-1] in node:
            first = self.origins.get(path)
            self.error(
                origin,
                f"{'.'.join(path)} is given twice" + (f" (first in {first})" if first else ""),
            )
            return
        node[path[-1]] = value
        self.origins[path] = origin


def _lists(node: Any) -> Any:
    """Numbered keys ``0..n-1`` become lists (``clusters.0``, ``between.1``...)."""
    if not isinstance(node, dict):
        return node
    out = {k: _lists(v) for k, v in node.items()}
    if out and all(isinstance(k, str) and k.isdigit() for k in out):
        idx = sorted(int(k) for k in out)
        if idx == list(range(len(idx))):
            return [out[str(i)] for i in idx]
    return out


def _number(
    rd: _Reader, path: Path_, cells: dict[str, tuple[Any, CellOrigin]], origin: CellOrigin
) -> None:
    """Put one number row: plain, observation or distribution."""
    extra = {
        k: v
        for k, v in cells.items()
        if k in NUMBER_COLUMNS and k != "dist" and v[0] is not None and _text(v[0]) != ""
    }
    dist = _text(cells["dist"][0]) if "dist" in cells else ""
    value, vorigin = cells.get("value", (None, origin))
    if not dist and not extra:
        if value is None:
            rd.error(vorigin, f"{'.'.join(path)}: no value")
            return
        rd.put(path, value, vorigin)
        return
    if dist == "observed" or not dist:
        obj: dict[str, Any] = {"value": value} if value is not None else {}
        rd.put(path, obj, cells["dist"][1] if "dist" in cells else vorigin)
        if value is not None:
            rd.origins[(*path, "value")] = vorigin
    else:
        obj = {"dist": dist}
        rd.put(path, obj, cells["dist"][1])
        rd.origins[(*path, "dist")] = cells["dist"][1]
        if value is not None:
            rd.error(vorigin, f"{'.'.join(path)}: a distribution ({dist}) takes no 'value'")
    for k, (v, o) in extra.items():
        obj[k] = v
        rd.origins[(*path, k)] = o


def _header(rd: _Reader, ws: Any, sheet: str, need: Sequence[str]) -> dict[str, int] | None:
    head = [_text(c.value) for c in next(ws.iter_rows(min_row=1, max_row=1), ())]
    cols: dict[str, int] = {}
    for i, name in enumerate(head, start=1):
        if not name:
            continue
        if name in cols:
            rd.error(rd.at(sheet, i, 1), f"column {name!r} appears twice")
        cols[name] = i
    missing = [n for n in need if n not in cols]
    if missing:
        rd.errors.append(
            f"{rd.file}: sheet '{sheet}', row 1: missing column(s) {', '.join(missing)} "
            f"(expected: {', '.join(need)})"
        )
        return None
    return cols


def _read_long(rd: _Reader, ws: Any, sheet: str) -> None:
    keys = _KEYS[sheet]
    cols = _header(rd, ws, sheet, keys[: keys.index("value") + 1])
    if cols is None:
        return
    unknown = [c for c in cols if c not in keys]
    for c in unknown:
        rd.error(rd.at(sheet, cols[c], 1), f"unknown column {c!r} (allowed: {', '.join(keys)})")
    for r, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if r > MAX_SHEET_ROWS:  # the declared size can lie: count while reading
            rd.errors.append(f"{rd.file}: sheet '{sheet}': more than {MAX_SHEET_ROWS:,} rows")
            return
        cells = {
            k: (row[i - 1] if i - 1 < len(row) else None, rd.at(sheet, i, r))
            for k, i in cols.items()
            if k in keys
        }
        if all(v is None or _text(v) == "" for v, _ in cells.values()):
            continue  # a blank row
        first = rd.at(sheet, 1, r)
        if sheet == "scenario":
            field = _text(cells["field"][0])
            if not field:
                rd.error(cells["field"][1], "no field name")
                continue
            rd.put(tuple(field.split(".")), cells["value"][0], cells["value"][1])
            continue
        path = _path_of(rd, sheet, cells, first)
        if path is None:
            continue
        if sheet == "groups":
            if cells["value"][0] is None:
                rd.error(cells["value"][1], f"{'.'.join(path)}: no value")
                continue
            rd.put(path, cells["value"][0], cells["value"][1])
        else:
            _number(rd, path, cells, first)


def _path_of(
    rd: _Reader, sheet: str, cells: dict[str, tuple[Any, CellOrigin]], first: CellOrigin
) -> Path_ | None:
    ident = _text(cells["id"][0]) if "id" in cells else ""
    if sheet == "history":
        block = _text(cells["block"][0])
        series = _text(cells["series"][0])
        year_cell, year_origin = cells["year"]
        if block not in ("region", "clusters"):
            rd.error(cells["block"][1], f"block must be region or clusters, got {block!r}")
            return None
        if not series:
            rd.error(cells["series"][1], "no series name")
            return None
        year = _year(year_cell)
        if year is None:
            rd.error(year_origin, f"year must be a whole number, got {year_cell!r}")
            return None
        if block == "region":
            return ("region", "history", series, str(year))
        if not ident:
            rd.error(cells["id"][1], "no cluster id")
            return None
        return ("clusters", ident, "history", series, str(year))
    field = _text(cells["field"][0])
    if not field:
        rd.error(cells["field"][1], "no field name")
        return None
    parts = tuple(field.split("."))
    if sheet == "growth":
        block = _text(cells["block"][0])
        series_path = tuple(p for p in _text(cells["series"][0]).split(".") if p)
        if block not in _BLOCK_SHEETS:
            rd.error(
                cells["block"][1],
                f"block must be one of {', '.join(_BLOCK_SHEETS)}, got {block!r}",
            )
            return None
        if not ident:
            rd.error(cells["id"][1], "no id")
            return None
        return (block, ident, *series_path, "growth", *parts)
    if sheet == "region":
        return ("region", *((ident,) if ident else ()), *parts)
    if sheet == "io":
        return ("io", *parts)
    if not ident:
        rd.error(cells["id"][1], "no id")
        return None
    return (sheet, ident, *parts)


def _year(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return None


def _read_wide(rd: _Reader, ws: Any, sheet: str) -> None:
    cols = _header(rd, ws, sheet, ("id",))
    if cols is None:
        return
    for r, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if r > MAX_SHEET_ROWS:  # the declared size can lie: count while reading
            rd.errors.append(f"{rd.file}: sheet '{sheet}': more than {MAX_SHEET_ROWS:,} rows")
            return
        vals = {k: (row[i - 1] if i - 1 < len(row) else None) for k, i in cols.items()}
        if all(v is None or _text(v) == "" for v in vals.values()):
            continue
        ident = _text(vals["id"])
        if not ident:
            rd.error(rd.at(sheet, cols["id"], r), "no id")
            continue
        # a metric's problems are in its expression; a target's anywhere on its row
        key_col = cols["expr"] if sheet == "metrics" and "expr" in cols else cols["id"]
        rd.origins.setdefault((sheet, ident), rd.at(sheet, key_col, r))
        for k, v in vals.items():
            if k == "id" or v is None or (isinstance(v, str) and v == ""):
                continue
            rd.put((sheet, ident, *k.split(".")), v, rd.at(sheet, cols[k], r))


def read_workbook(path: str | Path) -> Scenario:
    """Read the assumption sheets of a workbook (as written by :func:`write_workbook`, then
    edited) into a validated scenario.

    Raises
    ------
    ScenarioError
        One line per problem, ``FILE: sheet 'S', cell C7: field.path: message``: a missing
        sheet or column, text in a number cell, an unknown field, a value given twice...
    """
    from openpyxl import load_workbook

    from clustersim.scenario.loader import validate_loaded

    p = Path(path)
    # a regular file under the size cap, read once: no FIFO, device or huge file reaches
    # openpyxl, and the bytes parsed are the bytes checked
    raw = read_input(p)
    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ScenarioError(f"{p}: not an Excel workbook (.xlsx): {exc}") from exc
    rd = _Reader(str(p))
    try:
        missing = [
            s for s in ASSUMPTION_SHEETS if s not in wb.sheetnames and s not in _OPTIONAL_SHEETS
        ]
        if missing:
            raise ScenarioError(
                f"{p}: missing sheet(s) {', '.join(repr(s) for s in missing)} "
                f"(the workbook has: {', '.join(wb.sheetnames)}; "
                f"write a complete one with 'clustersim export SCENARIO --xlsx FILE')"
            )
        for sheet in ASSUMPTION_SHEETS:
            if sheet not in wb.sheetnames:
                continue  # an optional sheet of a workbook written before it existed
            ws = wb[sheet]
            _check_size(p, sheet, ws)
            if sheet in _WIDE:
                _read_wide(rd, ws, sheet)
            else:
                _read_long(rd, ws, sheet)
    finally:
        wb.close()
    if rd.errors:
        raise ScenarioError(rd.errors)
    data = _lists(_clean(rd.data))
    loaded = Provenance(data, rd.origins, {}, (str(p),))
    return validate_loaded(loaded)


#: most rows and columns read from one assumption sheet (the shipped scenarios use < 1,000)
MAX_SHEET_ROWS = 100_000
MAX_SHEET_COLUMNS = 200


def _check_size(p: Path, sheet: str, ws: Any) -> None:
    """Refuse a sheet whose declared size would take long to read (a few kilobytes of
    compressed XML can declare a million rows)."""
    rows, cols = ws.max_row or 0, ws.max_column or 0
    if rows > MAX_SHEET_ROWS or cols > MAX_SHEET_COLUMNS:
        raise ScenarioError(
            f"{p}: sheet '{sheet}': {rows:,} rows x {cols:,} columns, more than the limit of "
            f"{MAX_SHEET_ROWS:,} x {MAX_SHEET_COLUMNS}"
        )


def _clean(node: Any) -> Any:
    """Workbook cells as scenario values: dates are errors pydantic names, strings stay."""
    if isinstance(node, dict):
        return {k: _clean(v) for k, v in node.items()}
    if isinstance(node, dt.datetime | dt.date | dt.time):
        return node.isoformat()
    return node
