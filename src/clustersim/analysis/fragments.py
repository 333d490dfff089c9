"""A calibration as a scenario fragment: a YAML file that ``extends:`` the scenario.

The fragment sets each fitted series' ``growth:`` block and nothing else, so everything
the fit does not touch stays the parent's:

- a compound fit is written as ``{kind: constant, rate: {dist: normal, mean: rate, sd: se}}``
  so Monte Carlo runs carry the fit's uncertainty (a plain number when there is no standard
  error); a logistic fit as ``{kind: logistic, capacity, rate}``, an elasticity as
  ``{kind: elasticity, to, elasticity}``;
- keys of the parent's block the fit does not set are written as null, so no stale
  ``source``, ``low`` or ``high`` survives the ``extends:`` merge;
- the provenance (data file and hash, rows and years used, fit statistics, annualisation
  and flags) goes into YAML comments and the ``source:``/``note:`` fields.

:func:`write_fragment` writes it atomically after checking that it loads and compiles. The
YAML is written by a small emitter here (block mappings of plain scalars), because the
scenario loader is the one module that imports PyYAML.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clustersim.analysis.calibration import Calibration, SeriesFit
from clustersim.analysis.fits import CompoundFit, LogisticFit, widening
from clustersim.analysis.shocks import FactorEstimate, panel_factor
from clustersim.analysis.text import level_text, lines_text, years_text
from clustersim.atomic import atomic_path
from clustersim.errors import ClusterSimError
from clustersim.yamlout import dump_yaml

__all__ = [
    "CalibrationError",
    "factor_estimate",
    "fragment_doc",
    "fragment_text",
    "growth_block",
    "shocks_block",
    "write_fragment",
]


class CalibrationError(ClusterSimError):
    """Observed data and a scenario that cannot be calibrated together."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def _num(x: float, digits: int = 6) -> float:
    return float(f"{x:.{digits}g}")


def _dist(mean: float, sd: float | None, digits: int = 6) -> Any:
    """``{dist: normal, mean, sd}``, or the plain mean when there is no standard error."""
    if sd is None or not sd > 1e-12 * max(1.0, abs(mean)):  # an exact fit: a plain number
        return _num(mean, digits)
    sd_digits = 4 if digits <= 6 else digits  # a standard error needs fewer digits
    return {"dist": "normal", "mean": _num(mean, digits), "sd": _num(sd, sd_digits)}


def shocks_block(f: SeriesFit, *, digits: int = 6) -> dict[str, float | str] | None:
    """The ``shocks:`` block of a compound fit: ``{sd, ar}`` of the annual innovation.

    ``sd`` is the fit's innovation sd of the log growth ``ln(1 + g)`` (the unit of a
    scenario's ``shocks.sd``, :class:`~clustersim.kinds.growth.base.Shocks`: the engine
    applies it as ``(1 + r) exp(d) - 1``, so it is not converted to the rate) widened for
    the small sample (:func:`~clustersim.analysis.fits.widening`); ``ar`` the AR(1)
    coefficient (0 when shrunk). A negative estimated ``ar`` (growth rates that alternate)
    is written as 0, which the scenario's ``ar`` in ``[0, 1)`` allows, with a note: the
    one-year innovation is the fit's and longer horizons are wider than the fit's
    (``sd^2`` a year instead of ``sd^2 / (1 - ar)^2``). None without an innovation sd (two
    points, or an exact fit).
    """
    g = f.growth
    if g is None or g.sd is None or g.df < 1 or not g.sd > 1e-12:
        return None
    d = 4 if digits <= 6 else digits
    out: dict[str, float | str] = {
        "sd": _num(g.sd * widening(g.df), d),
        "ar": _num(max(g.ar, 0.0), d),
    }
    if g.ar < 0.0:
        out["note"] = (
            f"fitted ar {g.ar:.3f} (alternating growth) written as 0: shocks take ar in [0, 1)"
        )
    return out


def growth_block(
    f: SeriesFit, data_name: str, *, digits: int = 6, shocks: bool = False
) -> dict[str, Any]:
    """The scenario ``growth:`` block of a fit, with its source and note.

    A compound fit is written from its predictive growth model (``f.growth``): the median
    rate ``exp(mu) - 1`` as a normal whose sd is the mean's standard error widened for the
    small sample (``se x t_df(0.9) / z(0.9)``, so its 80% interval is the Student t's);
    with ``shocks`` also the ``shocks: {sd, ar}`` block of the annual innovations
    (:func:`shocks_block`).

    Parameters
    ----------
    f : SeriesFit
    data_name : str
        The data file, named in the source.
    digits : int
        Significant digits of the written parameters (6 in a fragment, where the source
        keeps the full estimate; 17 to keep every bit).
    shocks : bool
        Write the ``shocks:`` block.
    """
    fit = f.fit
    rows = lines_text(f.lines)
    stats = f"n={fit.n}, R² {fit.r2:.3f}"
    block: dict[str, Any]
    g = f.growth
    if isinstance(fit, CompoundFit) and g is not None and g.sd is not None and g.df >= 1:
        w = widening(g.df)
        se_r = g.se_rate
        block = {
            "kind": "constant",
            "rate": _dist(g.rate, None if se_r is None else se_r * w, digits),
        }
        sh = shocks_block(f, digits=digits)
        if shocks and sh is not None:
            block["shocks"] = sh
        ar = (
            f"ar {g.ar:.3f}"
            if g.ar_estimated
            else "ar shrunk to 0 (fewer than 8 consecutive annual growth pairs)"
        )
        src = (
            f"calibrate: mean annual log growth of {f.spec.name} (random walk with drift"
            f"{' + AR(1)' if g.ar_estimated else ''}), {data_name} {rows} ({f.years_text}): "
            f"{g.rate * 100:+.2f}%/yr, s.e. {(se_r or 0.0) * 100:.2f} pp x {w:.2f} small-sample "
            f"widening (t, {g.df} df), innovation sd {g.sd * 100:.2f} pp of ln(1 + g), {ar}; "
            f"log-linear trend {fit.rate * 100:+.2f}%/yr, {stats}"
        )
    elif isinstance(fit, CompoundFit):
        se = "no s.e. (2 points)" if fit.se is None else f"s.e. {fit.se * 100:.2f} pp"
        block = {"kind": "constant", "rate": _dist(fit.rate, fit.se, digits)}
        src = (
            f"calibrate: log-linear least squares of ln({f.spec.name}) on year, "
            f"{data_name} {rows} ({f.years_text}): {fit.rate * 100:+.2f}%/yr, {se}, {stats}"
        )
    elif isinstance(fit, LogisticFit):
        block = {
            "kind": "logistic",
            "capacity": _dist(fit.capacity, fit.se_capacity, digits),
            "rate": _dist(fit.rate, fit.se_rate, digits),
        }
        src = (
            f"calibrate: logistic least squares K / (1 + exp(-r (t - m))) on {f.spec.name}, "
            f"{data_name} {rows} ({f.years_text}): K {level_text(fit.capacity)}"
            f" (s.e. {level_text(fit.se_capacity) if fit.se_capacity is not None else '-'}), r {fit.rate:.4f}"
            f" (s.e. {f'{fit.se_rate:.4f}' if fit.se_rate is not None else '-'}), m {fit.midpoint:.1f}, {stats}"
        )
    else:
        block = {
            "kind": "elasticity",
            "to": _to_name(fit.to),
            "elasticity": _dist(fit.elasticity, fit.se, digits),
        }
        se = "no s.e. (1 interval)" if fit.se is None else f"s.e. {fit.se:.3f}"
        src = (
            f"calibrate: growth of {f.spec.name} regressed on growth of {fit.to} through the origin, "
            f"{data_name} {rows} (intervals ending {years_text(list(fit.years))}): "
            f"elasticity {fit.elasticity:.3f}, {se}, {stats}"
        )
    block["source"] = src
    notes = _note_parts(f)
    block["note"] = "; ".join(notes) if notes else None
    return block


def _to_name(to: str) -> str:
    m = re.fullmatch(r"(\w+)\[\w+\]", to)
    return m.group(1) if m else to  # a cluster series follows its own cluster's series


def _note_parts(f: SeriesFit) -> list[str]:
    parts = []
    if f.break_year is not None:
        parts.append(
            f"structural break in {f.break_year} ({f.break_from}): the fit starts there"
            + (
                f", {len(f.left_out)} earlier value(s) ({years_text([v.year for v in f.left_out])}) left out"
                if f.left_out
                else ""
            )
        )
    for v in f.used:
        if v.method:
            parts.append(f"{v.year} annualised: {v.method} = {level_text(v.value)}")
    parts.extend(f"flag: {x}" for x in f.flags)
    if f.spec.kind not in ("constant", f.fit.kind):  # e.g. a path or to_target made constant
        parts.append(f"replaces the scenario's {f.spec.kind} growth")
    return parts


def _overlay(parent: Any, new: Any) -> Any:
    """A child value that, merged onto ``parent`` by the ``extends:`` rules, gives exactly ``new``.

    Keys of the parent's mapping that ``new`` does not have are set to null (deleted), so no
    stale ``source``, ``low`` or ``high`` of the parent survives the merge.
    """
    from clustersim.scenario.loader import MERGE_TAGS

    if isinstance(new, dict) and isinstance(parent, dict):
        if any(t in new and parent.get(t) != new[t] for t in MERGE_TAGS):
            return {k: v for k, v in new.items() if v is not None}  # replaced whole
        out = {
            k: _overlay(parent.get(k), v) for k, v in new.items() if v is not None or k in parent
        }
        for k in parent:
            if k not in new:
                out[k] = None
        return out
    if isinstance(new, dict):
        return {k: v for k, v in new.items() if v is not None}
    return new


def _get(data: Any, path: Sequence[str]) -> Any:
    for k in path:
        if not isinstance(data, dict):
            return None
        data = next((v for kk, v in data.items() if str(kk) == k), None)
    return data


def _set(doc: dict[str, Any], path: Sequence[str], value: Any) -> None:
    cur = doc
    for k in path[:-1]:
        cur = cur.setdefault(k, {})
    cur[path[-1]] = value


def factor_estimate(cal: Calibration) -> FactorEstimate | None:
    """The shared factor of the fits that write a ``shocks:`` block (:func:`shocks_block`):
    :func:`~clustersim.analysis.shocks.panel_factor` on their observed levels (the values
    each fit used), estimated where the panel allows, else the prior with the counts."""
    panel = {
        f.spec.name: {v.year: v.value for v in f.used}
        for f in cal.fits
        if shocks_block(f) is not None
    }
    return panel_factor(panel) if panel else None


def fragment_doc(
    cal: Calibration, out: str | Path, *, shocks: bool = False, factor: str | None = None
) -> dict[str, Any]:
    """The fragment as data: ``extends`` the scenario, sets each fitted growth block.

    With ``shocks`` and ``factor`` (a factor name) the fitted series' shocks share that
    factor: the fragment declares it under ``shocks.factors`` and each ``shocks:`` block gets
    ``factor`` and ``loading`` from :func:`factor_estimate`.
    """
    from clustersim.scenario.loader import load_data

    parent = load_data(cal.scenario_path).data
    out_dir = Path(out).resolve().parent
    scen = Path(cal.scenario_path).resolve()
    # relative when the two share a directory below the root, so the pair can move together
    if os.path.commonpath([scen, out_dir]) != str(Path(scen.anchor)):
        rel = os.path.relpath(scen, out_dir).replace(os.sep, "/")
    else:
        rel = scen.as_posix()
    sid = f"{cal.scenario.id}_calibrated"[:64]
    doc: dict[str, Any] = {
        "extends": rel,
        "id": sid,
        "description": (
            f"{cal.scenario.id} with growth calibrated on {Path(cal.data.path).name} "
            f"({len(cal.fits)} series; clustersim calibrate)"
        ),
    }
    est = factor_estimate(cal) if shocks and factor is not None else None
    if est is not None and factor is not None:
        doc["shocks"] = _overlay(
            _get(parent, ("shocks",)),
            {
                **(_get(parent, ("shocks",)) or {}),
                "factors": {
                    **(_get(parent, ("shocks", "factors")) or {}),
                    factor: {
                        "ar": 0.0,
                        "source": f"calibrate on {Path(cal.data.path).name}: {est.text}",
                        "note": "ar 0: no series is long enough to estimate the factor's persistence",
                    },
                },
            },
        )
    for f in cal.fits:
        path = (*f.spec.path, "growth")
        new = growth_block(f, cal.data.path, shocks=shocks)
        if est is not None and isinstance(new.get("shocks"), dict):
            new["shocks"] = {
                **new["shocks"],
                "factor": factor,
                "loading": _num(est.loading[f.spec.name], 4),
            }
        _set(doc, path, _overlay(_get(parent, path), new))
    return doc


def _fit_lines(cal: Calibration) -> list[str]:
    """The fit table as comment lines, one fit a line: ``# gdp: fit compound, years ...``
    (a YAML comment is no terminal: no column padding to keep straight)."""
    grid = cal.table()
    return [
        f"# {row[0]}: "
        + ", ".join(f"{h} {c}" for h, c in zip(grid.headers[1:], row[1:], strict=True))
        for row in grid.rows
    ]


def fragment_text(
    cal: Calibration, out: str | Path, *, shocks: bool = False, factor: str | None = None
) -> str:
    """The fragment file: provenance comments, then YAML.

    Without ``shocks`` the ``shocks:`` block each compound fit would write is listed in a
    comment, so it can be switched on by hand (or with ``calibrate --shocks``).
    """
    doc = fragment_doc(cal, out, shocks=shocks, factor=factor)
    head = [
        f"# Growth of {cal.scenario_path} calibrated on observed data by `clustersim calibrate`.",
        f"# data: {cal.data.path} (sha256 {cal.data.sha256[:16]}...), region {cal.region}"
        + (f", observations up to {cal.until}" if cal.until is not None else ""),
        f"# run:  clustersim run {out}",
        "#",
        *_fit_lines(cal),
        "#",
    ]
    for f in cal.fits:
        head.append(
            f"# {f.spec.name}: {f.fit.kind} fit on {lines_text(f.lines)} of {cal.data.path}"
        )
        head.extend(f"#   {p}" for p in _note_parts(f))
    if not shocks:
        for f in cal.fits:
            sh = shocks_block(f)
            if sh is not None:
                head.append(
                    f"# {f.spec.name}: annual innovations (not written; calibrate --shocks): "
                    f"shocks: {{sd: {sh['sd']}, ar: {sh['ar']}}}"
                )
    est = factor_estimate(cal) if shocks and factor is not None else None
    if est is not None:
        head.append(f"# factor {factor}: {est.text}")
    for n in cal.notes:
        head.append(f"# note: {n}")
    return "\n".join(head) + "\n\n" + dump_yaml(doc)


def write_fragment(
    cal: Calibration, out: str | Path, *, shocks: bool = False, factor: str | None = None
) -> Path:
    """Write the fragment to ``out`` atomically, after checking that it loads and compiles.

    The text goes to a temporary file beside ``out``, which is validated (loaded with its
    ``extends`` chain and compiled) and then renamed; on any error it is removed and ``out``
    is left as it was.
    """
    from clustersim.compile import compile_scenario
    from clustersim.scenario.loader import load_scenario

    target = Path(out)
    if target.suffix.lower() not in (".yaml", ".yml"):
        raise CalibrationError(f"--out {out}: the fragment is a scenario file: name it .yaml")
    if not target.parent.exists():
        raise CalibrationError(f"--out {out}: directory {target.parent} does not exist")
    text = fragment_text(cal, target, shocks=shocks, factor=factor)
    with atomic_path(target, suffix=".tmp.yaml") as tmp:
        tmp.write_text(text, encoding="utf-8")
        try:
            compile_scenario(load_scenario(tmp), samples=1)
        except ClusterSimError as exc:  # a bug here, not the user's: say so
            raise CalibrationError(
                [
                    f"internal error: the calibrated fragment does not validate: {line}"
                    for line in str(exc).splitlines()
                ]
            ) from exc
    return target
