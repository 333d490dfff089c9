"""Observed series: load, validate and annualise tidy CSV files of published statistics.

The format (one observation per row, header on line 1)::

    region,cluster,indicator,year,value,unit,source[,months,seasonal_share,series,break,note,confidence]

- ``cluster`` is empty for region-level rows;
- ``unit`` is a known unit (:data:`UNITS`), optionally qualified: ``亿元 (lower bound: >5000)``,
  ``% of GDP``, ``count (valid certificates)``; the text before ``(``, ``,`` or `` of `` is the
  unit, the rest a note;
- ``months`` (1-12, empty for a full year) marks a partial-year value (Jan-Jul is 7);
  ``seasonal_share`` is the share of the full year those months usually hold (0-1);
- ``series`` names the scenario series a row calibrates (``gdp``, ``output[electronics]``),
  or ``-`` to ignore the row, when the indicator's own name does not say it;
- ``break`` (``1``/``yes``/``true``) marks the first year of a new scope of the series (a
  structural break): fits start there.

Loading checks every row and reports all problems at once, one line each,
``FILE:LINE: column: message``; nothing else happens on error.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from clustersim.errors import ScenarioError
from clustersim.scenario.limits import decode_text, read_input
from clustersim.suggest import did_you_mean

__all__ = [
    "COLUMNS",
    "OPTIONAL_COLUMNS",
    "UNITS",
    "AnnualValue",
    "DataError",
    "Observation",
    "ObservedData",
    "Unit",
    "annualise",
    "load_observed",
    "parse_unit",
]

#: required columns, in the order they are usually written
COLUMNS = ("region", "cluster", "indicator", "year", "value", "unit", "source")
#: optional columns
OPTIONAL_COLUMNS = ("months", "seasonal_share", "series", "break", "note", "confidence")
YEAR_MIN, YEAR_MAX = 1949, 2200

#: known units: name -> (category, factor to the category's reference unit). Money converts
#: to 亿元 (10^8 yuan), counts to single items, energy to tonnes of coal equivalent.
UNITS: dict[str, tuple[str, float]] = {
    # money
    "元": ("money", 1e-8),
    "万元": ("money", 1e-4),
    "亿元": ("money", 1.0),
    "万亿元": ("money", 1e4),
    # shares and ratios (levels between 0 and 1, or in %)
    "%": ("share", 0.01),
    "percent": ("share", 0.01),
    "fraction": ("share", 1.0),
    "ratio": ("share", 1.0),
    "share": ("share", 1.0),
    # growth rates and changes: never the level of a series
    "%/yr": ("rate", 0.01),
    "%/year": ("rate", 0.01),
    "pp": ("rate", 0.01),
    "pp/yr": ("rate", 0.01),
    "percentage points": ("rate", 0.01),
    # counts
    "count": ("count", 1.0),
    "家": ("count", 1.0),
    "个": ("count", 1.0),
    "件": ("count", 1.0),
    "项": ("count", 1.0),
    "人": ("count", 1.0),
    "人次": ("count", 1.0),
    "所": ("count", 1.0),
    "台": ("count", 1.0),
    "辆": ("count", 1.0),
    "万人": ("count", 1e4),
    "万家": ("count", 1e4),
    "万件": ("count", 1e4),
    # energy and physical quantities
    "吨标准煤": ("energy", 1.0),
    "万吨标准煤": ("energy", 1e4),
    "tce": ("energy", 1.0),
    "吨标准煤/万元": ("energy_intensity", 1.0),
    "千瓦时": ("electricity", 1.0),
    "万千瓦时": ("electricity", 1e4),
    "亿千瓦时": ("electricity", 1e8),
    "吨": ("mass", 1.0),
    "万吨": ("mass", 1e4),
    "亿吨": ("mass", 1e8),
    "teu": ("containers", 1.0),
    "万标箱": ("containers", 1e4),
    # per head, per unit and indices
    "件/万人": ("per_capita", 1.0),
    "元/人": ("money_per_capita", 1.0),
    "万元/人": ("money_per_capita", 1e4),
    "index": ("index", 1.0),
}
_UNIT_SPLIT = re.compile(r"\s*\(|\s*,|\s+of\s+|\s*（")
_PARTIAL_HINT = re.compile(
    r"\b(\d{1,2})\s*months?\b|\bjan-[a-z]{3}\b|\bH1\b|1-\d{1,2}月|上半年", re.IGNORECASE
)
_TRUE = frozenset({"1", "yes", "true", "y", "x"})
_FALSE = frozenset({"", "0", "no", "false", "n"})


class DataError(ScenarioError):
    """An observed-data file that cannot be used.

    Parameters
    ----------
    problems : Problem, str, or a list of them
        One per problem, each ``FILE:LINE: column: message`` where a row is known.
    """


@dataclass(frozen=True)
class Unit:
    """A unit as written (``text``), its recognised name, category and factor.

    ``factor`` converts a value to the category's reference unit (亿元 for money).
    """

    text: str
    name: str
    category: str
    factor: float

    @property
    def qualifier(self) -> str:
        """What the text adds to the unit name (``(lower bound: >5000)``), or ``""``."""
        return self.text[len(self.name) :].strip() if self.text.startswith(self.name) else ""


def parse_unit(text: str, extra: Mapping[str, tuple[str, float]] | None = None) -> Unit | None:
    """The :class:`Unit` of ``text``, or None if its name is not known.

    >>> parse_unit("亿元 (lower bound: >5000)").name
    '亿元'
    >>> parse_unit("% of GDP").factor
    0.01
    """
    raw = text.strip()
    name = _UNIT_SPLIT.split(raw, maxsplit=1)[0].strip()
    table = {**UNITS, **(extra or {})}
    for key in (name, name.lower()):
        if key in table:
            cat, factor = table[key]
            return Unit(raw, name, cat, factor)
    return None


@dataclass(frozen=True)
class Observation:
    """One validated row of an observed-data file."""

    file: str
    line: int
    region: str
    cluster: str
    indicator: str
    year: int
    value: float
    unit: Unit
    source: str
    months: int | None = None
    seasonal_share: float | None = None
    series: str | None = None
    is_break: bool = False
    note: str = ""

    @property
    def where(self) -> str:
        """``FILE:LINE`` of the row."""
        return f"{self.file}:{self.line}"

    @property
    def label(self) -> str:
        """The observed series: ``indicator`` for a region row, ``indicator[cluster]`` otherwise."""
        return f"{self.indicator}[{self.cluster}]" if self.cluster else self.indicator

    @property
    def partial(self) -> bool:
        """True when the value covers only part of its year."""
        return self.months is not None and self.months < 12

    @property
    def partial_hint(self) -> str | None:
        """A partial-year remark in the unit or note (``7 months``, ``Jan-Nov``) when
        ``months`` is empty; such a value is taken as a full year, so it is worth a flag."""
        if self.months is not None:
            return None
        m = _PARTIAL_HINT.search(self.unit.qualifier) or _PARTIAL_HINT.search(self.note)
        return m.group(0) if m else None


@dataclass(frozen=True)
class ObservedData:
    """The rows of one observed-data file, validated.

    Attributes
    ----------
    path : str
        The file as given.
    rows : tuple of Observation
        In file order.
    sha256 : str
        Hash of the file's bytes, recorded in calibration provenance.
    """

    path: str
    rows: tuple[Observation, ...]
    sha256: str

    def regions(self) -> dict[str, int]:
        """Region name -> number of rows."""
        out: dict[str, int] = {}
        for r in self.rows:
            out[r.region] = out.get(r.region, 0) + 1
        return out


def _number(text: str) -> float | None:
    try:
        v = float(text.strip())
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _value_problem(text: str) -> str | None:
    """Why a ``value`` cell is not a number: missing, not a number, or not finite."""
    t = text.strip()
    if not t:
        return "missing (the cell is empty; leave the row out if there is no number)"
    try:
        v = float(t)
    except ValueError:
        hint = " (no thousands separators or units in the value)" if re.search(r"\d", t) else ""
        return f"{t!r} is not a number{hint}"
    if not math.isfinite(v):
        return f"{t!r} is not a finite number"
    return None


def _csv_problem(exc: csv.Error) -> str:
    msg = str(exc)
    if "field larger than field limit" in msg:
        return "a field longer than the CSV field limit (an unterminated quote?)"
    if "NUL" in msg:
        return "a NUL byte: this is a binary file, not CSV text"
    return f"not readable as CSV: {msg}"


def load_observed(
    path: str | Path, *, extra_units: Mapping[str, tuple[str, float]] | None = None
) -> ObservedData:
    """Read and validate a tidy observed-data CSV file.

    Parameters
    ----------
    path : str or Path
        A CSV file (UTF-8, optionally with a byte-order mark) with the columns
        :data:`COLUMNS` and any of :data:`OPTIONAL_COLUMNS`.
    extra_units : mapping, optional
        More units, name -> (category, factor), e.g. from a calibration mapping file.

    Returns
    -------
    ObservedData

    Raises
    ------
    DataError
        Listing every problem, one line each (``FILE:LINE: column: message``): unknown or
        missing columns, an empty region, indicator or source, a year that is not an integer
        in 1949-2200, a value that is not a finite number, an unknown unit, a bad ``months``
        or ``seasonal_share``, and duplicate rows (same region, cluster, indicator, year and
        months).
    """
    p = Path(path)
    name = str(path)
    if p.suffix.lower() in (".parquet", ".pq", ".arrow", ".feather"):
        raise DataError(f"{name}: only CSV observed data is supported; write it as CSV")
    try:  # a regular file under the size cap only (not a FIFO, a device or 5 GB of CSV)
        raw = read_input(p)
    except ScenarioError as exc:
        raise DataError(exc.items) from None
    try:
        text = decode_text(raw, name, what="CSV")
    except ScenarioError as exc:
        raise DataError(exc.items) from None
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"{name}:1: the file is empty (expected a header row)") from None
    except csv.Error as exc:
        raise DataError(f"{name}:1: {_csv_problem(exc)}") from None
    if reader.line_num > 1:
        raise DataError(f"{name}:1: a quoted header field runs over several lines (a stray quote?)")
    cols = [h.strip() for h in header]
    problems: list[str] = []
    allowed = (*COLUMNS, *OPTIONAL_COLUMNS)
    for c in cols:
        if c not in allowed:
            problems.append(
                f"{name}:1: {c or '(empty)'}: unknown column{did_you_mean(c, allowed, cutoff=0.5)} "
                f"(allowed: {', '.join(allowed)})"
            )
    missing = [c for c in COLUMNS if c not in cols]
    if missing:
        problems.append(
            f"{name}:1: missing column(s) {', '.join(missing)} (required: {', '.join(COLUMNS)})"
        )
    if len(set(cols)) != len(cols):
        dup = sorted({c for c in cols if cols.count(c) > 1})
        problems.append(f"{name}:1: column(s) named twice: {', '.join(dup)}")
    if problems:
        raise DataError(problems)
    rows: list[Observation] = []
    seen: dict[tuple[str, str, str, int, int | None], int] = {}
    last_line = 1
    while True:
        line = last_line + 1
        try:
            record = next(reader, None)
        except csv.Error as exc:  # NUL byte, or a field past csv's size limit
            problems.append(f"{name}:{line}: {_csv_problem(exc)}")
            break
        if record is None:
            break
        last_line = reader.line_num
        if not any(v.strip() for v in record):
            continue
        multi = [i for i, v in enumerate(record) if "\n" in v or "\r" in v]
        if multi and last_line > line:  # a quote opened on this line closes on a later one
            i = multi[0]
            col = cols[i] if i < len(cols) else f"field {i + 1}"
            if last_line >= len(lines) and not text.rstrip("\r\n").endswith('"'):
                problems.append(
                    f"{name}:{line}: {col}: unterminated quote (the quoted field runs to the "
                    "end of the file)"
                )
                break
            problems.append(
                f"{name}:{line}: {col}: a quoted field runs over lines {line}-{last_line} "
                "(a stray or unterminated quote?)"
            )
            continue
        if len(record) != len(cols):
            problems.append(
                f"{name}:{line}: {len(record)} fields, the header has {len(cols)} "
                "(an unquoted comma in a text field?)"
            )
            continue
        row = {c: v.strip() for c, v in zip(cols, record, strict=True)}
        obs = _row(name, line, row, problems, extra_units)
        if obs is None:
            continue
        key = (obs.region, obs.cluster, obs.indicator, obs.year, obs.months)
        if key in seen:
            what = f"{obs.region}/{obs.label} {obs.year}"
            if obs.months:
                what += f" ({obs.months} months)"
            problems.append(
                f"{name}:{line}: duplicate observation {what} (first at line {seen[key]})"
            )
            continue
        seen[key] = line
        rows.append(obs)
    if problems:
        raise DataError(problems)
    if not rows:
        raise DataError(f"{name}:2: no observations (only a header)")
    return ObservedData(name, tuple(rows), hashlib.sha256(raw).hexdigest())


def _row(
    name: str,
    line: int,
    row: dict[str, str],
    problems: list[str],
    extra_units: Mapping[str, tuple[str, float]] | None,
) -> Observation | None:
    at = f"{name}:{line}"
    n0 = len(problems)
    for c in ("region", "indicator", "source"):
        if not row[c]:
            hint = " (say where the number comes from)" if c == "source" else ""
            problems.append(f"{at}: {c}: empty{hint}")
    year_text = row["year"]
    year = 0
    if not re.fullmatch(r"\d{4}", year_text) or not YEAR_MIN <= int(year_text) <= YEAR_MAX:
        problems.append(
            f"{at}: year: {year_text!r} is not a year (an integer {YEAR_MIN}-{YEAR_MAX})"
        )
    else:
        year = int(year_text)
    value = _number(row["value"])
    if value is None:
        problems.append(f"{at}: value: {_value_problem(row['value'])}")
    unit = parse_unit(row["unit"], extra_units)
    if unit is None:
        known = [*UNITS, *(extra_units or {})]
        base = _UNIT_SPLIT.split(row["unit"].strip(), maxsplit=1)[0].strip()
        problems.append(
            f"{at}: unit: unknown unit {row['unit']!r}{did_you_mean(base, known, cutoff=0.5)} "
            f"(known: {', '.join(known)}; add one under units: in a --map file)"
        )
    months: int | None = None
    mtext = row.get("months", "")
    if mtext:
        if not re.fullmatch(r"\d{1,2}", mtext) or not 1 <= int(mtext) <= 12:
            problems.append(
                f"{at}: months: {mtext!r} is not a month count (1-12, empty for a year)"
            )
        else:
            months = int(mtext) if int(mtext) < 12 else None
    share: float | None = None
    stext = row.get("seasonal_share", "")
    if stext:
        share = _number(stext)
        if share is None or not 0.0 < share <= 1.0:
            problems.append(
                f"{at}: seasonal_share: {stext!r} is not a share of the year (0 < share <= 1)"
            )
            share = None
        elif months is None:
            problems.append(f"{at}: seasonal_share: given for a full-year value (months is empty)")
    btext = row.get("break", "").lower()
    if btext not in _TRUE | _FALSE:
        problems.append(f"{at}: break: {row['break']!r} is not yes/no (1, yes, true or empty)")
    if len(problems) > n0 or value is None or unit is None:
        return None
    return Observation(
        file=name,
        line=line,
        region=row["region"],
        cluster=row["cluster"],
        indicator=row["indicator"],
        year=year,
        value=value,
        unit=unit,
        source=row["source"],
        months=months,
        seasonal_share=share,
        series=row.get("series") or None,
        is_break=btext in _TRUE,
        note=row.get("note", ""),
    )


# --- annualisation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnualValue:
    """A full-year value of one series, from one row or an annualised partial year.

    Attributes
    ----------
    year : int
    value : float
        In the units the caller asked for (``scale`` of :func:`annualise`).
    lines : tuple of int
        File lines the value comes from.
    method : str or None
        How a partial year was annualised (None for a full-year row).
    hint : str or None
        A partial-year remark (``Jan-Nov``) on a row without ``months``, for a flag.
    """

    year: int
    value: float
    lines: tuple[int, ...]
    method: str | None = None
    hint: str | None = None


def annualise(
    rows: Sequence[Observation], scale: float = 1.0, *, flow: bool = True
) -> list[AnnualValue]:
    """One full-year value per year from the rows of one series.

    A full-year row is used as it is. A partial-year row (``months`` < 12) of a year
    without a full-year row is annualised with, in order of preference:

    1. its explicit ``seasonal_share`` s: ``annual = value / s``;
    2. the share the same months held in earlier years where both the partial and the full
       year were observed (mean of ``partial / full`` over those years): ``annual = value / s̄``;
    3. pro rata: ``annual = value * 12 / months``.

    A share, ratio or index (``flow=False``) is not annualised: the partial-year value stands
    for the year.

    Parameters
    ----------
    rows : sequence of Observation
        The rows of one series (one region, cluster and indicator).
    scale : float
        Multiplies every value (unit conversion).
    flow : bool
        Whether the series is a flow over the year (money, counts of events) that a partial
        year undercounts.

    Returns
    -------
    list of AnnualValue, by year
    """
    full = {r.year: r for r in rows if not r.partial}
    partial: dict[int, list[Observation]] = {}
    for r in rows:
        if r.partial:
            partial.setdefault(r.year, []).append(r)
    out: dict[int, AnnualValue] = {
        y: AnnualValue(y, r.value * scale, (r.line,), None, r.partial_hint) for y, r in full.items()
    }
    for year, parts in sorted(partial.items()):
        if year in full:
            continue  # the full-year value wins; the partial one only informs seasonal shares
        r = max(parts, key=lambda o: o.months or 0)  # the longest partial period
        m = r.months or 12
        if not flow:
            out[year] = AnnualValue(
                year,
                r.value * scale,
                (r.line,),
                f"Jan-{_month(m)} value taken for the year (a share is not annualised)",
            )
            continue
        if r.seasonal_share is not None:
            s = r.seasonal_share
            how = f"Jan-{_month(m)} / seasonal share {s:.4g} (given in the row)"
            lines: tuple[int, ...] = (r.line,)
        else:
            past = [
                (y, p.value / full[y].value, p.line, full[y].line)
                for y, ps in partial.items()
                for p in ps
                if y < year and y in full and p.months == m and full[y].value > 0
            ]
            if past:
                s = sum(x[1] for x in past) / len(past)
                yrs = ", ".join(str(x[0]) for x in sorted(past))
                how = f"Jan-{_month(m)} / share {s:.4g} observed for the same months in {yrs}"
                lines = (r.line, *(ln for x in sorted(past) for ln in x[2:]))
            else:
                s = m / 12.0
                how = f"Jan-{_month(m)} x 12/{m} (pro rata: no seasonal share given or observed)"
                lines = (r.line,)
        out[year] = AnnualValue(year, r.value / s * scale, lines, how)
    return [out[y] for y in sorted(out)]


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _month(m: int) -> str:
    return _MONTHS[m - 1]
