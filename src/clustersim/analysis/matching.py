"""Matching observed rows to a scenario's series.

:func:`match` chooses the data's region, resolves each row to a series of
:func:`~clustersim.analysis.series.scenario_series` (by its ``series`` column, the mapping
file's names, or its indicator and cluster), converts units, annualises partial years and
records structural breaks: one :class:`Matched` per series. :func:`fit_window` is the part
of a series' values a fit may use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from clustersim.analysis.observed import (
    AnnualValue,
    DataError,
    Observation,
    ObservedData,
    annualise,
)
from clustersim.analysis.options import Options
from clustersim.analysis.series import SeriesSpec, scenario_series, why_not
from clustersim.scenario.models import Scenario
from clustersim.suggest import did_you_mean
from clustersim.values.names import label_text

__all__ = ["Matched", "declared_break", "fit_window", "match"]


@dataclass
class Matched:
    """The observations of one scenario series."""

    spec: SeriesSpec
    rows: list[Observation]
    values: list[AnnualValue]
    break_year: int | None = None
    break_from: str | None = None


def _choose_region(data: ObservedData, sc: Scenario, region: str | None) -> str:
    regions = data.regions()
    if region is not None:
        if region not in regions:
            raise DataError(
                f"{data.path}: --region {region!r}: no rows for it (regions: {', '.join(regions)})"
            )
        return region
    labels = [
        label_text(sc.region.name, "en", "").lower(),
        label_text(sc.region.name, "zh", "").lower(),
        sc.id.lower(),
    ]
    hits = [
        r for r in regions if any(r.strip().lower() in lab for lab in labels if lab) and r.strip()
    ]
    if len(hits) == 1:
        return hits[0]
    if len(regions) == 1:
        return next(iter(regions))
    raise DataError(
        f"{data.path}: rows of several regions ({', '.join(regions)}): choose one with --region"
    )


def _convert(obs: Observation, spec: SeriesSpec, scenario_unit: str) -> float:
    """Factor that converts ``obs`` into the units of ``spec``; raises DataError on mismatch."""
    u = obs.unit
    where = f"{obs.where}: unit"
    if u.category == "rate":
        raise DataError(
            f"{where}: {u.text!r} is a growth rate or change, not a level: it cannot calibrate "
            f"{spec.name!r} (fit the level's series instead)"
        )
    if spec.category is not None and u.category != spec.category:
        want = {
            "money": f"money ({scenario_unit})",
            "share": "a share (%, fraction or ratio)",
            "count": "a count",
        }.get(spec.category, spec.category)
        raise DataError(f"{where}: {u.text!r} does not fit {spec.name!r}, which is {want}")
    if u.category == "share":
        return u.factor  # shares are fractions in a scenario, whatever their label
    target = spec.unit
    if target is not None and target.category == u.category:
        return u.factor / target.factor
    if spec.category == "money" and target is None and u.name != scenario_unit:
        raise DataError(
            f"{where}: {u.text!r} cannot be converted to the scenario's unit {scenario_unit!r}"
        )
    return 1.0


def match(
    data: ObservedData, sc: Scenario, options: Options
) -> tuple[str, dict[str, Matched], list[str]]:
    """Map the rows of ``data`` to the series of ``sc``.

    Returns
    -------
    region : str
    matched : dict of series name to Matched
        Every series some row maps to (whether selected or not: an elasticity fit may need
        the series it follows).
    notes : list of str
        What was ignored.

    Raises
    ------
    DataError
        A row that names or maps to a series the scenario does not have (when no
        ``series`` selection is given, every row must map), a unit that does not fit its
        series, a selected series without observations, or a bad break.
    """
    known = scenario_series(sc)
    region = _choose_region(data, sc, options.region)
    problems: list[str] = []
    for name in options.series:
        if name not in known:
            problems.append(f"--series {name}: {why_not(name, sc, known)}")
    for what, d in (("--fit", options.fits), ("--break", options.breaks)):
        for name in d:
            if name not in known:
                problems.append(f"{options.map_file or what} {name}: {why_not(name, sc, known)}")
    for obs_name, target in options.names.items():
        if target is not None and target not in known:
            problems.append(f"{options.map_file}: series.{obs_name}: {why_not(target, sc, known)}")
    if problems:
        raise DataError(problems)
    # with a selection, only the chosen series and the series they follow are read
    wanted: set[str] | None = None
    if options.series:
        wanted = set(options.series)
        wanted |= {f for n in options.series if n in known and (f := known[n].follows)}
    rows_of: dict[str, list[Observation]] = {}
    notes: list[str] = []
    other_regions = 0
    unmapped = 0
    skipped: dict[str, int] = {}
    for obs in data.rows:
        if obs.region != region:
            other_regions += 1
            continue
        explicit = (obs.series or "").strip()
        if explicit and explicit not in ("-", "~") and explicit not in known:
            problems.append(f"{obs.where}: series: {why_not(explicit, sc, known)}")
            continue
        resolved, why = _resolve(obs, sc, known, options)
        if resolved is None or (wanted is not None and resolved not in wanted):
            if why is None or wanted is not None:  # ignored on purpose, or not chosen
                skipped[obs.label] = skipped.get(obs.label, 0) + 1
            else:
                problems.append(f"{obs.where}: {why}")
                unmapped += 1
            continue
        if options.until is not None and obs.year > options.until:
            continue
        rows_of.setdefault(resolved, []).append(obs)
    if unmapped:
        problems.append(
            f"{data.path}: {unmapped} row(s) name no series of the scenario: choose the series to "
            "fit with --series, map names with --map FILE (~ ignores a name), or set the rows' "
            "series column"
        )
    if problems:
        raise DataError(problems)
    matched: dict[str, Matched] = {}
    for name, rows in rows_of.items():
        spec = known[name]
        try:
            factors = {_convert(o, spec, sc.unit) for o in rows}
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        if len(factors) > 1:  # mixed units within a series: convert row by row
            values = []
            for o in rows:
                values.extend(annualise([o], _convert(o, spec, sc.unit), flow=spec.flow))
            values.sort(key=lambda v: v.year)
        else:
            values = annualise(rows, factors.pop(), flow=spec.flow)
        m = Matched(spec, rows, values)
        marks = sorted({o.year for o in rows if o.is_break})
        if len(marks) > 1:
            problems.append(
                f"{data.path}: {name}: break marked in several years ({', '.join(map(str, marks))}); "
                "mark the latest scope change only"
            )
        elif marks:
            line = next(o.line for o in rows if o.is_break and o.year == marks[0])
            m.break_year, m.break_from = marks[0], f"{data.path}:{line}"
        declared = declared_break(sc, spec.path)
        if declared is not None and (m.break_year is None or declared[0] > m.break_year):
            m.break_year, m.break_from = declared  # the scenario's last break: fit after it
        if name in options.breaks:
            m.break_year = options.breaks[name]
            m.break_from = options.map_file or "--break"
        matched[name] = m
    for name in options.series:
        if name not in matched and name in known:
            problems.append(
                f"--series {name}: no observations of it in {data.path} (region {region}"
                + (f", up to {options.until}" if options.until is not None else "")
                + ")"
            )
    if problems:
        raise DataError(problems)
    if other_regions:
        notes.append(f"{other_regions} rows of other regions than {region} ignored")
    if skipped:
        names = sorted(skipped)
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        notes.append(f"{sum(skipped.values())} rows of {len(names)} other series ignored: {shown}")
    return region, matched, notes


def declared_break(sc: Scenario, path: tuple[str, ...]) -> tuple[int, str] | None:
    """The last ``breaks:`` year the scenario declares on the series block at ``path``, with
    where it was written (``file:line``, else the dotted path)."""
    dotted = ".".join(path)
    years = [y for p, _, _, y in sc.declared_breaks() if p == dotted]
    if not years:
        return None
    loaded = sc.provenance
    origin = loaded.where((*path, "breaks")) if loaded is not None else None
    return max(years), f"{origin}" if origin is not None else f"{dotted}.breaks"


def _resolve(
    obs: Observation, sc: Scenario, known: Mapping[str, SeriesSpec], options: Options
) -> tuple[str | None, str | None]:
    """The series name a row maps to, or (None, reason); (None, None) when ignored."""
    if obs.series is not None:
        explicit = obs.series.strip()
        return (None, None) if explicit in ("-", "~") else (explicit, None)
    if obs.label in options.names:
        return options.names[obs.label], None
    ind = obs.indicator.strip().lower()
    if not obs.cluster:
        if ind in known and "[" not in ind:
            return ind, None
        return None, f"indicator: {why_not(obs.indicator, sc, known)}"
    if obs.cluster not in sc.clusters:
        return None, (
            f"cluster: {obs.cluster!r} is not a cluster of the scenario"
            f"{did_you_mean(obs.cluster, sc.clusters)}"
        )
    name = f"{ind}[{obs.cluster}]"
    if name in known:
        return name, None
    return None, f"indicator: {why_not(f'{obs.indicator}[{obs.cluster}]', sc, known)}"


def fit_window(m: Matched, until: int | None) -> tuple[list[AnnualValue], list[AnnualValue]]:
    """Values in the fit window (from the break, up to ``until``) and those before the break."""
    vals = [v for v in m.values if until is None or v.year <= until]
    if m.break_year is None:
        return vals, []
    return [v for v in vals if v.year >= m.break_year], [v for v in vals if v.year < m.break_year]
