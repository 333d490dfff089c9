"""``clustersim report``, ``plot``, ``export`` and ``import``: charts, the HTML report and Excel.

:mod:`clustersim.cli` registers :data:`COMMANDS`; matplotlib and openpyxl are imported
inside the commands, so the command line starts fast without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clustersim.cli._common import (
    LangOpt,
    Progress,
    SeedOpt,
    check_choice,
    h,
    projecting,
    resolve_lang,
    run_guarded,
    settings,
    status_rule,
)
from clustersim.errors import ClusterSimError
from clustersim.formats import CHART_FORMATS
from clustersim.i18n import word

if TYPE_CHECKING:
    from collections.abc import Iterator

    from clustersim.report.data import ReportData
    from clustersim.results import Result

__all__ = ["COMMANDS", "export", "import_", "plot", "report"]

SourceArg = Annotated[
    Path,
    typer.Argument(
        help=h("source_arg"),
        show_default=False,
    ),
]
#: ``--samples`` as ``run`` has it: no default of its own (1,000 Monte Carlo samples when the
#: scenario has uncertain numbers, else 1; the config file's ``samples`` first)
RunSamplesOpt = Annotated[
    int | None,
    typer.Option("--samples", "-n", min=1, help=h("run_samples"), show_default=False),
]
CentralOpt = Annotated[bool, typer.Option("--central", help=h("run_central"))]
ScenarioOpt = Annotated[
    Path | None,
    typer.Option(
        "--scenario",
        help=h("report_scenario"),
    ),
]


def _gather(
    source: Path, scenario: Path | None, samples: int | None, seed: int | None, central: bool
) -> tuple[ReportData, Result | None]:
    """The report's data: from a results directory, or from a run of the scenario file (the
    run is returned too, so the command can say what kind of run it was)."""
    from clustersim.report.data import from_directory, from_result
    from clustersim.scenario.loader import load_scenario

    if source.is_dir():
        sc = load_scenario(scenario) if scenario is not None else None
        return from_directory(source, scenario=sc), None
    if scenario is not None:
        raise ClusterSimError("--scenario goes with a results directory, not a scenario file")
    if not source.exists():
        raise ClusterSimError(f"{source}: no such file or directory")
    result = _run(source, samples, seed, central, audit=True)
    return from_result(result, origin=str(source)), result


def _with_discovery(
    data: ReportData, source: Path, target: str | None, boxes: int
) -> tuple[ReportData, list[str]]:
    """``data`` with scenario discovery on the sweep's samples in ``source`` (PRIM, no
    CART): of ``target`` missed, or by default of every target met. Nothing is added when
    ``source`` holds no samples (not a sweep, or a summary-only sweep); by default also
    when no sample is a case of interest (said in a line)."""
    from dataclasses import replace

    from clustersim.analysis.discover import discover as run_discover

    if not (source / "samples").is_dir() or not (source / "manifest.json").is_file():
        if target is not None:
            raise ClusterSimError(f"{source}: --discover-target: no sweep samples to explain")
        return data, []
    try:
        d = run_discover(source, target=target, cart=False, boxes=boxes)
    except ClusterSimError as exc:
        if target is not None or "no sample is a case of interest" not in str(exc):
            raise
        return data, [f"no discovery section: {exc}"]
    return replace(data, discovery=d), []


def _run(
    scenario: Path, samples: int | None, seed: int | None, central: bool, *, audit: bool = False
) -> Result:
    """Run ``scenario`` as ``clustersim run`` does: ``--central`` (or ``-n 1``) the central
    path; else ``--samples``, the config's ``samples``, or 1,000 Monte Carlo samples when the
    scenario has uncertain numbers (a fresh seed unless one is given), statuses from P(met)."""
    from clustersim.api import load_and_run

    conf = settings()
    n = 1 if central else samples if samples is not None else conf.samples
    with projecting(n or 0):
        return load_and_run(
            scenario,
            samples=n,
            seed=seed if seed is not None else conf.seed,
            audit=audit,
            rule=status_rule(None, None, conf),
        )


def _mode(result: Result | None, lang: str) -> Iterator[str]:
    """The run's header line (Monte Carlo with its seed, central path or deterministic)."""
    if result is not None:
        from clustersim.cli.render import mode_line

        yield mode_line(result, lang)


def report(
    ctx: typer.Context,
    source: SourceArg,
    out_file: Annotated[
        Path, typer.Option("--out", "-o", help=h("report_out"), show_default=False)
    ],
    lang: LangOpt = None,
    samples: RunSamplesOpt = None,
    central: CentralOpt = False,
    seed: SeedOpt = None,
    scenario: ScenarioOpt = None,
    discover: Annotated[
        bool, typer.Option("--discover/--no-discover", help=h("report_discover"))
    ] = True,
    discover_target: Annotated[
        str | None, typer.Option("--discover-target", help=h("report_discover_target"))
    ] = None,
    boxes: Annotated[int, typer.Option("--boxes", help=h("discover_boxes"))] = 1,
) -> None:
    """Write a one-file HTML report: the target table, trajectory charts with the targets
    marked, Monte Carlo fan bands, cluster output against the 1,000 / 5,000 / 10,000 亿
    thresholds and, for sweeps, target probabilities and sensitivity bars and a scenario
    discovery section (PRIM boxes with their restricted ranges, as clustersim discover does).

    The page has everything inside (charts, styles, the font subset): it opens offline.
    A scenario is run as 'clustersim run' runs it: Monte Carlo (1,000 samples, the seed
    printed) when it has uncertain numbers; --central for the central path.

    Examples:

      clustersim report scenarios/zhenjiang-2026.yaml -n 1000 -s 1 --out zhenjiang.html --lang zh

      clustersim run scenarios/example.yaml -n 1000 -s 1 --out results/

      clustersim report results/ --scenario scenarios/example.yaml --out example.html

      clustersim report out/lhs --out lhs.html --discover-target clusters_1000 --boxes 2
    """

    def work() -> Iterator[str]:
        from clustersim.report.html import write_html

        lang_ = resolve_lang(ctx, lang, settings())
        data, result = _gather(source, scenario, samples, seed, central)
        yield from _mode(result, lang_)
        if discover and source.is_dir():
            data, said = _with_discovery(data, source, discover_target, boxes)
            yield from said
        with Progress("chart") as progress:
            path = write_html(data, out_file, lang=lang_, progress=progress)
        if result is not None:
            from clustersim.cli.render import summary_line

            yield summary_line(result, lang_)
        elif any(t.status for t in data.targets):
            met = sum(t.status == "met" for t in data.targets)
            yield word("run_targets_met", lang_, met=met, n=len(data.targets))
        yield word("wrote", lang_, path=path)

    run_guarded(work)


def plot(
    ctx: typer.Context,
    source: SourceArg,
    out_dir: Annotated[
        Path,
        typer.Option("--out", "-o", help=h("plot_out"), show_default=False),
    ],
    lang: LangOpt = None,
    samples: RunSamplesOpt = None,
    central: CentralOpt = False,
    seed: SeedOpt = None,
    scenario: ScenarioOpt = None,
    formats: Annotated[
        str,
        typer.Option("--format", "-f", help=h("plot_format", formats=", ".join(CHART_FORMATS))),
    ] = ",".join(CHART_FORMATS),
) -> None:
    """Write the report's charts as PNG (150 dpi) and SVG files, one per chart, for slides.

    Files are named after what they show: series-<name>.png, series-<name>-<cluster>.png,
    target-<id>.png (a target whose metric is an expression), clusters-output.png,
    sweep-probability.png, sweep-sensitivity-<target>.png.

    Examples:

      clustersim plot scenarios/example.yaml -n 1000 -s 1 --out charts/

      clustersim plot scenarios/zhenjiang-2026.yaml --out charts/ --lang zh --format png
    """

    def work() -> Iterator[str]:
        from clustersim.report.charts import write_charts

        lang_ = resolve_lang(ctx, lang, settings())
        fmts = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
        for f in fmts:
            check_choice("--format", f, CHART_FORMATS)
        data, result = _gather(source, scenario, samples, seed, central)
        yield from _mode(result, lang_)
        with Progress("chart") as progress:
            paths = write_charts(data, out_dir, lang=lang_, formats=fmts, progress=progress)
        yield word("wrote_files", lang_, n=len(paths), path=out_dir)

    run_guarded(work)


def export(
    ctx: typer.Context,
    scenario: Annotated[Path, typer.Argument(help=h("export_scenario"), show_default=False)],
    xlsx: Annotated[
        Path | None,
        typer.Option("--xlsx", help=h("export_xlsx"), show_default=False),
    ] = None,
    iamc: Annotated[
        Path | None,
        typer.Option("--iamc", help=h("export_iamc"), show_default=False),
    ] = None,
    samples: RunSamplesOpt = None,
    central: CentralOpt = False,
    seed: SeedOpt = None,
    lang: LangOpt = None,
    results: Annotated[
        bool,
        typer.Option(
            "--results/--no-results",
            help=h("export_results"),
        ),
    ] = True,
) -> None:
    """Write SCENARIO's assumptions (one sheet per block: scenario, region, clusters, growth,
    groups, indicators, metrics, targets, history) and its results to an Excel workbook.

    Edit the assumption sheets and read them back with 'clustersim import'. A scenario that
    extends another is written whole (merged): the workbook stands alone.

    Examples:

      clustersim export scenarios/zhenjiang-2026.yaml --xlsx zhenjiang.xlsx

      clustersim export scenarios/example.yaml --xlsx example.xlsx -n 1000 -s 1 --lang zh

      clustersim export scenarios/example.yaml --iamc example-iamc.csv -n 1000 -s 1
    """

    def work() -> Iterator[str]:
        from clustersim.report.excel import write_workbook
        from clustersim.scenario.loader import load_scenario

        lang_ = resolve_lang(ctx, lang, settings())
        if iamc is not None:  # issue 16: the IAMC table is built in io/iamc.py
            from clustersim.io.iamc import iamc_rows, write_iamc

            if xlsx is not None:
                raise ClusterSimError("--xlsx and --iamc: give one of them")
            result = _run(scenario, samples, seed, central)
            yield from _mode(result, lang_)
            rows = iamc_rows(result)
            yield word("iamc_written", lang_, path=write_iamc(rows, iamc), rows=len(rows))
            return
        if xlsx is None:
            raise ClusterSimError("give --xlsx FILE.xlsx (or --iamc FILE.csv)")
        if xlsx.suffix.lower() != ".xlsx":
            raise ClusterSimError(f"--xlsx: {xlsx}: the file name must end in .xlsx")
        sc = load_scenario(scenario)
        ran = _run(scenario, samples, seed, central) if results else None
        yield from _mode(ran, lang_)
        path = write_workbook(sc, xlsx, result=ran, lang=lang_)
        yield word("wrote", lang_, path=path)

    run_guarded(work)


def import_(
    ctx: typer.Context,
    workbook: Annotated[
        Path,
        typer.Argument(help=h("import_workbook"), show_default=False),
    ],
    out_file: Annotated[
        Path,
        typer.Option("--out", "-o", help=h("import_out"), show_default=False),
    ],
    lang: LangOpt = None,
) -> None:
    """Read an edited assumptions workbook back into a scenario YAML file.

    The workbook is validated like a scenario file, and compiled; each problem is reported
    with the sheet and cell it comes from, and nothing is written:

      error: plan.xlsx: sheet 'clusters', cell C5: clusters.new_materials.output.base: ...

    Examples:

      clustersim import zhenjiang.xlsx --out scenarios/zhenjiang-edited.yaml

      clustersim import zhenjiang.xlsx --out edited.yaml && clustersim run edited.yaml
    """

    def work() -> Iterator[str]:
        from clustersim.api import validate
        from clustersim.report.excel import read_workbook, scenario_yaml
        from clustersim.report.page import atomic_write_bytes

        sc = read_workbook(workbook)
        validate(sc)  # names in expressions, history, growth bounds
        header = (
            f"Imported from {workbook.name} by 'clustersim import'.\n"
            f"Validate with: clustersim validate {out_file.name}"
        )
        text = scenario_yaml(sc, header)
        if out_file.parent and not out_file.parent.exists():
            raise ClusterSimError(f"--out: {out_file.parent}: no such directory")
        atomic_write_bytes(out_file, text.encode("utf-8"))
        yield word(
            "import_wrote",
            resolve_lang(ctx, lang, settings()),
            path=out_file,
            clusters=len(sc.clusters),
            groups=len(sc.groups),
            indicators=len(sc.indicators),
            targets=len(sc.targets),
        )

    run_guarded(work)


#: the commands of this group, by name, in the order ``--help`` lists them
COMMANDS = {"report": report, "plot": plot, "export": export, "import": import_}
