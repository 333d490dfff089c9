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

from clustersim.cli._common import LangOpt, fail, h, out, resolve_lang, settings
from clustersim.cli.render import print_parts
from clustersim.errors import ClusterSimError
from clustersim.i18n import word

if TYPE_CHECKING:
    from clustersim.analysis.options import Options

__all__ = ["COMMANDS", "backtest", "calibrate"]

DataArg = Annotated[
    Path,
    typer.Argument(
        help=h("data_arg"),
        show_default=False,
    ),
]
ScenarioOpt = Annotated[
    Path,
    typer.Option(
        "--scenario",
        "-S",
        help=h("fit_scenario"),
        show_default=False,
    ),
]
SeriesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--series",
        "-x",
        help=h("fit_series"),
    ),
]
FitOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--fit",
        help=h("fit_fit"),
    ),
]
BreakOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--break",
        help=h("fit_break"),
    ),
]
MapOpt = Annotated[
    Path | None,
    typer.Option(
        "--map",
        help=h("fit_map"),
    ),
]
RegionOpt = Annotated[
    str | None,
    typer.Option("--region", help=h("fit_region")),
]
JsonOpt = Annotated[bool, typer.Option("--json", help=h("json"))]


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
    ctx: typer.Context,
    data: DataArg,
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", "-S", help=h("fit_scenario"), show_default=False),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=h("calibrate_out"),
        ),
    ] = None,
    series: SeriesOpt = None,
    fit: FitOpt = None,
    breaks: BreakOpt = None,
    map_file: MapOpt = None,
    region: RegionOpt = None,
    until: Annotated[int | None, typer.Option("--until", help=h("calibrate_until"))] = None,
    shocks: Annotated[
        bool,
        typer.Option(
            "--shocks",
            help=h("calibrate_shocks"),
        ),
    ] = False,
    tiers: Annotated[bool, typer.Option("--tiers", help=h("calibrate_tiers"))] = False,
    factor: Annotated[
        str | None,
        typer.Option("--factor", help=h("calibrate_factor")),
    ] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
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
    from clustersim.analysis.calibration import flag_text
    from clustersim.analysis.fragments import write_fragment

    if tiers:
        _calibrate_tiers(data, as_json, resolve_lang(ctx, lang, settings()))
        return
    if scenario is None:
        raise fail(ClusterSimError(word("calibrate_needs_scenario", "en")))
    try:
        opts = _options(series, fit, breaks, map_file, region, until)
        cal = run_calibration(data, scenario, options=opts)
        if factor is not None and not shocks:
            raise ClusterSimError("--factor needs --shocks: the factor is a share of the shocks")
        written = (
            write_fragment(cal, out_file, shocks=shocks, factor=factor)
            if out_file is not None
            else None
        )
    except ClusterSimError as exc:
        raise fail(exc) from None
    if as_json:
        doc = cal.to_dict()
        doc["out"] = str(written) if written else None
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return
    lang_ = resolve_lang(ctx, lang, settings())
    head = word(
        "cal_header", lang_, scenario=scenario, n=len(cal.fits), data=data, region=cal.region
    ) + (word("cal_until", lang_, until=until) if until is not None else "")
    print_parts(out, [head, cal.table(lang_)])
    lines: list[str] = []
    for f in cal.fits:
        if f.left_out:
            lines.append(
                word(
                    "cal_left_out",
                    lang_,
                    name=f.spec.name,
                    year=f.break_year,
                    origin=f.break_from,
                    n=len(f.left_out),
                )
            )
        for v in f.used:
            if v.method:
                how = flag_text(v.method, lang_)
                lines.append(word("cal_annualised", lang_, name=f.spec.name, year=v.year, how=how))
        for flag in f.flags:
            lines.append(word("cal_flag", lang_, name=f.spec.name, flag=flag_text(flag, lang_)))
    lines += [word("cal_note", lang_, note=flag_text(note, lang_)) for note in cal.notes]
    if written is not None:
        lines.append(word("cal_wrote", lang_, path=written))
    else:
        lines.append(word("cal_nothing", lang_))
    print_parts(out, list(lines))


def _calibrate_tiers(data: Path, as_json: bool, lang: str) -> None:
    """``calibrate --tiers``: entries, promotion and exit rates from tier counts."""
    from clustersim.analysis.tiers import calibrate_tiers
    from clustersim.grid import Grid

    try:
        cal = calibrate_tiers(data)
    except ClusterSimError as exc:
        raise fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(cal.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    head = f"{data}: " + word("tiers_header", lang, n=len(cal.rates))
    print_parts(out, [head, cal.table(lang)])
    print_parts(out, list[str | Grid](cal.notes(lang)))


def backtest(
    ctx: typer.Context,
    data: Annotated[
        list[Path],
        typer.Argument(
            help=h("backtest_data"),
            show_default=False,
        ),
    ],
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            "-S",
            help=h("backtest_scenario"),
            show_default=False,
        ),
    ] = None,
    until: Annotated[
        int | None,
        typer.Option(
            "--until",
            help=h("backtest_until"),
            show_default=False,
        ),
    ] = None,
    rolling: Annotated[
        bool,
        typer.Option(
            "--rolling",
            help=h("backtest_rolling"),
        ),
    ] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help=h("backtest_markdown"))] = False,
    html_out: Annotated[
        Path | None,
        typer.Option("--html", help=h("backtest_html")),
    ] = None,
    lang: LangOpt = None,
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            "-n",
            min=1,
            help=h("backtest_samples"),
        ),
    ] = 1,
    seed: Annotated[int | None, typer.Option("--seed", "-s", help=h("backtest_seed"))] = None,
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
        lang_ = resolve_lang(ctx, lang, settings())
        if rolling:
            _rolling(data, lang=lang_, markdown=markdown, html_out=html_out, as_json=as_json)
            return
        if scenario is None or until is None:
            raise ClusterSimError(word("rb_needs", lang_))
        if len(data) != 1:
            raise ClusterSimError(word("rb_one_file", lang_, n=len(data)))
        from clustersim.analysis.backtesting import backtest as run_backtest

        opts = _options(series, fit, breaks, map_file, region)
        bt = run_backtest(data[0], scenario, until, samples=samples, seed=seed, options=opts)
    except ClusterSimError as exc:
        raise fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(bt.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    print_parts(out, bt.parts(lang_))


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
        print_parts(out, bt.parts(lang))
    if html_out is not None and not as_json:
        typer.echo(word("rb_wrote", lang, path=html_out))


#: the commands of this group, by name, in the order ``--help`` lists them
COMMANDS = {"calibrate": calibrate, "backtest": backtest}
