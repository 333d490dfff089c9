"""``clustersim calibrate`` and ``clustersim backtest``: command-line shells over
:mod:`clustersim.analysis.calibration` and :mod:`clustersim.analysis.backtesting`.

:mod:`clustersim.cli` registers :data:`COMMANDS`. Numerical modules are imported inside the
commands, so ``clustersim --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clustersim.cli._common import LangOpt, check_choice, fail
from clustersim.errors import ClusterSimError
from clustersim.i18n import LANGS, word

if TYPE_CHECKING:
    from clustersim.analysis.options import Options

__all__ = ["COMMANDS", "backtest", "calibrate"]

DataArg = Annotated[
    Path,
    typer.Argument(
        help="Observed data: tidy CSV with columns region, cluster, indicator, year, value, unit, "
        "source (optional: months, seasonal_share, series, break). See docs/calibration.md.",
        show_default=False,
    ),
]
ScenarioOpt = Annotated[
    Path,
    typer.Option(
        "--scenario",
        "-S",
        help="The scenario whose growth assumptions are fitted.",
        show_default=False,
    ),
]
SeriesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--series",
        "-x",
        help="Fit only this series (repeatable): gdp, industrial_output, an indicator id, "
        "output[CLUSTER], ... Without it every row of the region must map to a series.",
    ),
]
FitOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--fit",
        help="SERIES=KIND: fit compound, logistic or elasticity growth instead of the kind the "
        "scenario uses (repeatable).",
    ),
]
BreakOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--break",
        help="SERIES=YEAR: the series changed scope in YEAR; fit from YEAR on (repeatable).",
    ),
]
MapOpt = Annotated[
    Path | None,
    typer.Option(
        "--map",
        help="YAML mapping file: series (observed name -> scenario series, ~ to ignore), "
        "fit, breaks, units.",
    ),
]
RegionOpt = Annotated[
    str | None,
    typer.Option("--region", help="Region of the data to use (default: the scenario's)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document, nothing else.")]


def _pairs(values: list[str] | None, opt: str, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or []:
        name, sep, val = v.rpartition("=")
        if not sep or not name.strip() or not val.strip():
            raise ClusterSimError(f"{opt} {v}: expected SERIES={what}")
        out[name.strip()] = val.strip()
    return out


def _options(
    series: list[str] | None,
    fit: list[str] | None,
    breaks: list[str] | None,
    map_file: Path | None,
    region: str | None,
    until: int | None = None,
) -> Options:
    """The CLI's options merged over the mapping file's (the command line wins)."""
    import dataclasses

    from clustersim.analysis.fits import FIT_KINDS
    from clustersim.analysis.options import Options, load_mapping

    base = load_mapping(map_file) if map_file is not None else Options()
    fits = dict(base.fits)
    for name, kind in _pairs(fit, "--fit", "KIND").items():
        if kind not in FIT_KINDS:
            raise ClusterSimError(
                f"--fit {name}={kind}: unknown fit {kind!r} (allowed: {', '.join(FIT_KINDS)})"
            )
        fits[name] = kind
    brk = dict(base.breaks)
    for name, year in _pairs(breaks, "--break", "YEAR").items():
        if not year.isdigit():
            raise ClusterSimError(f"--break {name}={year}: {year!r} is not a year")
        brk[name] = int(year)
    return dataclasses.replace(
        base,
        series=tuple(series or ()),
        fits=fits,
        breaks=brk,
        region=region,
        until=until,
    )


def calibrate(
    data: DataArg,
    scenario: ScenarioOpt,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the calibrated scenario fragment (YAML that extends SCENARIO) here. "
            "Without it only the fit table is printed.",
        ),
    ] = None,
    series: SeriesOpt = None,
    fit: FitOpt = None,
    breaks: BreakOpt = None,
    map_file: MapOpt = None,
    region: RegionOpt = None,
    until: Annotated[
        int | None, typer.Option("--until", help="Use observations up to this year only.")
    ] = None,
    shocks: Annotated[
        bool,
        typer.Option(
            "--shocks",
            help="Also write each compound fit's annual innovations (shocks: {sd, ar}: the sd "
            "of ln(1 + growth), widened for the small sample), so Monte Carlo fans include "
            "year-to-year shocks. Without it they are listed in a comment.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Fit SCENARIO's growth assumptions to observed DATA; write a fragment that extends it.

    Compound growth gets a log-linear least-squares rate with its standard error (written as
    a normal distribution for Monte Carlo), logistic growth a capacity and rate, an elasticity
    a regression of growth on growth. Partial years are annualised, breaks respected, jumps
    and outliers flagged; the fragment records its provenance.

    Examples:

    \b
      clustersim calibrate calibration/jiangxi-electronics.csv \\
          -S scenarios/jiangxi-trend.yaml --out jiangxi-calibrated.yaml
      clustersim run jiangxi-calibrated.yaml --samples 1000 --seed 1

    \b
      clustersim calibrate calibration/shenzhen.csv -S scenarios/shenzhen-trend.yaml \\
          -x industrial_output -x sei_va --fit sei_va=compound --json

    \b
      clustersim calibrate data.csv -S city.yaml --map city-map.yaml --break "output[ic]=2022"
    """
    from clustersim.analysis.calibration import calibrate as run_calibration
    from clustersim.analysis.fragments import write_fragment

    try:
        opts = _options(series, fit, breaks, map_file, region, until)
        cal = run_calibration(data, scenario, options=opts)
        written = write_fragment(cal, out_file, shocks=shocks) if out_file is not None else None
    except ClusterSimError as exc:
        raise fail(exc) from None
    if as_json:
        doc = cal.to_dict()
        doc["out"] = str(written) if written else None
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return
    typer.echo(
        f"{scenario}: {len(cal.fits)} series calibrated on {data} (region {cal.region})"
        + (f", observations up to {until}" if until is not None else "")
    )
    typer.echo(cal.table())
    for f in cal.fits:
        if f.left_out:
            typer.echo(
                f"{f.spec.name}: break in {f.break_year} ({f.break_from}): "
                f"{len(f.left_out)} earlier value(s) left out"
            )
        for v in f.used:
            if v.method:
                typer.echo(f"{f.spec.name}: {v.year} annualised: {v.method}")
        for flag in f.flags:
            typer.echo(f"flag: {f.spec.name}: {flag}")
    for note in cal.notes:
        typer.echo(f"note: {note}")
    if written is not None:
        typer.echo(f"wrote {written} (run it: clustersim run {written})")
    else:
        typer.echo("nothing written (give --out FILE.yaml to write the fragment)")


def backtest(
    data: Annotated[
        list[Path],
        typer.Argument(
            help="Observed data: tidy CSV (see docs/calibration.md); with --rolling any number "
            "of files (calibration/*.csv), otherwise one.",
            show_default=False,
        ),
    ],
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            "-S",
            help="The scenario whose series are backtested (not with --rolling).",
            show_default=False,
        ),
    ] = None,
    until: Annotated[
        int | None,
        typer.Option(
            "--until",
            help="Fit on observations up to this year (not with --rolling).",
            show_default=False,
        ),
    ] = None,
    rolling: Annotated[
        bool,
        typer.Option(
            "--rolling",
            help="Rolling-origin backtest of the predictive growth model on every usable series "
            "of DATA (no scenario): per series and pooled MAPE, ratios to naive persistence and "
            "a random walk with drift, 50/80/95% coverage, CRPS and the PIT histogram.",
        ),
    ] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="With --rolling: print the table as Markdown.")
    ] = False,
    html_out: Annotated[
        Path | None,
        typer.Option("--html", help="With --rolling: write the HTML page (table, PIT histogram)."),
    ] = None,
    lang: LangOpt = "en",
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            "-n",
            min=1,
            help="Monte Carlo samples for the 50% and 80% intervals of the calibrated projection.",
        ),
    ] = 1,
    seed: Annotated[
        int | None, typer.Option("--seed", "-s", help="Root random seed of the Monte Carlo draws.")
    ] = None,
    series: SeriesOpt = None,
    fit: FitOpt = None,
    breaks: BreakOpt = None,
    map_file: MapOpt = None,
    region: RegionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Calibrate on DATA up to --until, project the later years, compare with what was observed.

    Reports the error per series and year of the calibrated projection, of a naive baseline
    (last observed growth carried forward) and of the scenario's own growth, their mean
    absolute percentage errors, and with --samples the share of observations inside the 50%
    and 80% Monte Carlo intervals. With --rolling, every usable series of every DATA file is
    backtested from every origin (see docs/calibration.md).

    Examples:

    \b
      clustersim backtest calibration/zhenjiang.csv -S scenarios/zhenjiang-2026.yaml \\
          --until 2021 --series gdp --samples 1000 --seed 1

    \b
      clustersim backtest calibration/jiangxi-electronics.csv -S scenarios/jiangxi-2025.yaml \\
          --until 2020 --json | jq .mape

    \b
      clustersim backtest --rolling calibration/*.csv --html backtest.html
    """
    try:
        check_choice("--lang", lang, LANGS)
        if rolling:
            _rolling(data, lang=lang, markdown=markdown, html_out=html_out, as_json=as_json)
            return
        if scenario is None or until is None:
            raise ClusterSimError(word("rb_needs", lang))
        if len(data) != 1:
            raise ClusterSimError(word("rb_one_file", lang, n=len(data)))
        from clustersim.analysis.backtesting import backtest as run_backtest

        opts = _options(series, fit, breaks, map_file, region)
        bt = run_backtest(data[0], scenario, until, samples=samples, seed=seed, options=opts)
    except ClusterSimError as exc:
        raise fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(bt.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    typer.echo(bt.text())


def _rolling(
    data: list[Path], *, lang: str, markdown: bool, html_out: Path | None, as_json: bool
) -> None:
    """``backtest --rolling``: load every file (all problems at once), backtest, render."""
    from clustersim.analysis.observed import DataError, load_observed
    from clustersim.analysis.rolling import MIN_FIT, rolling_backtest

    loaded, problems = [], []
    for path in data:
        try:
            loaded.append(load_observed(path))
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)
    try:
        bt = rolling_backtest(loaded)
    except ValueError as exc:
        raise ClusterSimError(
            word("rb_no_series", lang, files=", ".join(map(str, data)), need=MIN_FIT + 1)
        ) from exc
    if html_out is not None:
        from clustersim.report.backtest import write_backtest_html

        write_backtest_html(bt, html_out, lang=lang)
    if as_json:
        sys.stdout.write(json.dumps(bt.to_dict(), ensure_ascii=False, indent=2) + "\n")
    elif markdown:
        typer.echo(bt.markdown(lang))
    else:
        typer.echo(bt.text(lang))
    if html_out is not None and not as_json:
        typer.echo(word("rb_wrote", lang, path=html_out))


#: the commands of this group, by name, in the order ``--help`` lists them
COMMANDS = {"calibrate": calibrate, "backtest": backtest}
