"""How observed data meet a scenario: calibration options and the mapping file.

:class:`Options` gathers what a user may say (series to fit, fit overrides, breaks, names,
region, ``until``, extra units); :func:`load_mapping` reads the ``--map`` YAML file into one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from clustersim.analysis.fits import FIT_KINDS
from clustersim.analysis.observed import DataError
from clustersim.errors import ScenarioError
from clustersim.suggest import did_you_mean

__all__ = ["Options", "load_mapping"]


@dataclass(frozen=True)
class Options:
    """How observed data meet the scenario.

    Attributes
    ----------
    series : tuple of str
        Calibrate only these series (every other row is ignored); empty: every row must map.
    fits : mapping of series name to fit kind
        Override the fit chosen from the scenario's growth kind (``compound``...).
    breaks : mapping of series name to year
        First year of a new scope: fits use this year and later only.
    names : mapping of observed name to series name (None: ignore those rows)
        Observed names are ``indicator`` or ``indicator[cluster]``.
    region : str, optional
        The data's region to use (default: the one matching the scenario's region name).
    until : int, optional
        Use observations up to this year only.
    units : mapping of unit name to (category, factor)
        Units beyond :data:`clustersim.analysis.observed.UNITS`.
    map_file : str, optional
        Where ``names``/``fits``/``breaks``/``units`` came from, for messages.
    """

    series: tuple[str, ...] = ()
    fits: Mapping[str, str] = field(default_factory=dict)
    breaks: Mapping[str, int] = field(default_factory=dict)
    names: Mapping[str, str | None] = field(default_factory=dict)
    region: str | None = None
    until: int | None = None
    units: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    map_file: str | None = None


def load_mapping(path: str | Path) -> Options:
    """Read a calibration mapping file (YAML).

    ::

        series:                        # observed name -> scenario series (~: ignore the rows)
          GDP: gdp
          "R&D spending": ~
          iot_revenue[digital]: output[digital]
        fit:                           # scenario series -> compound | logistic | elasticity
          sei_va: compound
        breaks:                        # scenario series -> first year of a new scope
          output[electronics]: 2022
        units:                         # extra units: name -> [category, factor]
          万标箱: [containers, 10000]

    Raises
    ------
    DataError
        ``FILE:LINE: key: message`` for unknown sections, bad values or YAML errors.
    """
    from clustersim.scenario.loader import read_yaml

    name = str(path)
    try:
        data, origins = read_yaml(Path(path))
    except ScenarioError as exc:
        msg = str(exc).replace("a scenario must be a mapping", "a mapping file must be a mapping")
        raise DataError(msg.splitlines()) from exc

    def at(*key: str) -> str:
        o = origins.get(tuple(key))
        return f"{o}" if o else name

    problems: list[str] = []
    sections = ("series", "fit", "breaks", "units")
    for k in data:
        if k not in sections:
            problems.append(
                f"{at(str(k))}: {k}: unknown section{did_you_mean(str(k), sections)} (allowed: {', '.join(sections)})"
            )
    for sec in sections:
        if sec in data and not isinstance(data[sec], dict):
            problems.append(f"{at(sec)}: {sec}: must be a mapping")
    names: dict[str, str | None] = {}
    fits: dict[str, str] = {}
    breaks: dict[str, int] = {}
    units: dict[str, tuple[str, float]] = {}
    if isinstance(data.get("series"), dict):
        for k, v in data["series"].items():
            if v is not None and not isinstance(v, str):
                problems.append(f"{at('series', str(k))}: series.{k}: must be a series name or ~")
            else:
                names[str(k)] = v
    if isinstance(data.get("fit"), dict):
        for k, v in data["fit"].items():
            if v not in FIT_KINDS:
                problems.append(
                    f"{at('fit', str(k))}: fit.{k}: unknown fit {v!r}{did_you_mean(str(v), FIT_KINDS)} "
                    f"(allowed: {', '.join(FIT_KINDS)})"
                )
            else:
                fits[str(k)] = str(v)
    if isinstance(data.get("breaks"), dict):
        for k, v in data["breaks"].items():
            if not isinstance(v, int) or isinstance(v, bool):
                problems.append(f"{at('breaks', str(k))}: breaks.{k}: {v!r} is not a year")
            else:
                breaks[str(k)] = v
    if isinstance(data.get("units"), dict):
        for k, v in data["units"].items():
            ok = (
                isinstance(v, list)
                and len(v) == 2
                and isinstance(v[0], str)
                and isinstance(v[1], int | float)
                and not isinstance(v[1], bool)
                and v[1] > 0
            )
            if not ok:
                problems.append(f"{at('units', str(k))}: units.{k}: must be [category, factor > 0]")
            else:
                units[str(k)] = (str(v[0]), float(v[1]))
    if problems:
        raise DataError(problems)
    return Options(fits=fits, breaks=breaks, names=names, units=units, map_file=name)
