"""The ``clustersim`` command line: a thin shell over the Python API.

Exit codes: 0 success (``check``: every target met), 1 a target missed (``check``),
2 invalid input (bad YAML, schema error, unknown name...). Errors print one line per
problem, ``file:line: field.path: message``, and never a traceback.
"""

from __future__ import annotations

import importlib
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clustersim.errors import ClusterSimError

if TYPE_CHECKING:
    from clustersim.results import Result, TargetResult

__all__ = ["app", "main"]

app = typer.Typer(
    name="clustersim",
    help=(
        "Project regional industrial clusters year by year and check plan targets.\n\n"
        "Examples:\n\n"
        "  clustersim run scenarios/example.yaml\n\n"
        "  clustersim run scenarios/example.yaml --samples 1000 --seed 1 --out results/\n\n"
        "  clustersim check scenarios/example.yaml --samples 1000 --min-probability 0.8\n\n"
        "  clustersim validate scenarios/example.yaml --explain region.gdp.base\n\n"
        "  clustersim schema > scenario.schema.json"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=False)
if not out.is_terminal:  # pipes and CI logs: wide enough for the target table
    out = Console(highlight=False, soft_wrap=False, width=160)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ScenarioArg = Annotated[
    Path,
    typer.Argument(help="Scenario YAML file (see docs/scenario-format.md).", show_default=False),
]
SamplesOpt = Annotated[
    int,
    typer.Option(
        "--samples",
        "-n",
        min=1,
        help="Monte Carlo samples of every uncertain number (1: central values).",
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option("--seed", "-s", help="Root random seed; the same seed gives the same numbers."),
]
LangOpt = Annotated[str, typer.Option("--lang", help="Label language: en or zh.")]


def _fail(exc: ClusterSimError) -> typer.Exit:
    for line in str(exc).splitlines():
        err.print(f"error: {line}", markup=False)
    return typer.Exit(2)


def _load_and_run(path: Path, samples: int, seed: int | None, *, required: bool = True) -> Result:
    from clustersim.engine import run as run_scenario
    from clustersim.scenario.loader import load_scenario

    sc = load_scenario(path)
    if samples >= 20000 and err.is_terminal:
        with err.status(f"projecting {samples:,} samples..."):
            return run_scenario(sc, samples=samples, seed=seed, required=required)
    return run_scenario(sc, samples=samples, seed=seed, required=required)


# --- formatting -------------------------------------------------------------------------------

# number, goal and required-growth formatting is shared with the reports (clustersim.report.fmt)


def _is_percent(t: TargetResult) -> bool:
    from clustersim.report.fmt import is_percent

    return is_percent(t.kind, t.goal, t.median_value)


def _num(v: float, pct: bool = False, pp: bool = False) -> str:
    from clustersim.report.fmt import num

    return num(v, pct, pp)


def _goal_text(t: TargetResult, pct: bool, pp: bool, lang: str = "en") -> str:
    from clustersim.report.fmt import goal_text

    tiers = [(x.threshold, x.at_least) for x in t.tiers]
    return goal_text(t.bound.lo, t.bound.hi, tiers, lang, pct=pct, pp=pp)


def _required_text(t: TargetResult, lang: str = "en") -> str:
    from clustersim.report.fmt import required_text

    return required_text(t.required_growth, lang)


def target_table(result: Result, lang: str = "en") -> Table:
    from clustersim.scenario.names import label_text

    mc = result.samples > 1
    zh = lang == "zh"
    title = f"{result.scenario_id}: {result.base_year}-{result.end_year}" + (
        (
            f"，{result.samples:,} 个样本（随机种子 {result.seed}）"
            if zh
            else f", {result.samples:,} samples (seed {result.seed})"
        )
        if mc
        else ""
    )
    tbl = Table(title=title, show_lines=False, header_style="bold")
    for col in (
        ("目标" if zh else "target"),
        ("年份" if zh else "year"),
        ("状态" if zh else "status"),
        ("预测值" if zh else "value" + (" (median)" if mc else "")),
        ("目标值" if zh else "goal"),
        ("差额" if zh else "margin"),
        *((("达成概率" if zh else "P(met)"), ("5%-95%分位" if zh else "p5-p95")) if mc else ()),
        ("所需增速" if zh else "required growth"),
    ):
        tbl.add_column(col, overflow="fold")
    for t in result.targets:
        pp = t.kind == "pp_change_per_year"
        pct = _is_percent(t)
        status = t.status
        style = "green" if status == "met" else "red"
        word = {"met": "达成", "missed": "未达成"}[status] if zh else status
        row = [
            escape(label_text(t.label, lang, t.id)),
            str(t.year),
            f"[{style}]{word}[/{style}]",
            _num(t.median_value, pct, pp),
            escape(_goal_text(t, pct, pp, lang)),
            _num(t.median_margin, pct, pp),
        ]
        if mc:
            p = t.percentiles()
            row += [f"{t.probability:.1%}", f"{_num(p['p5'], pct, pp)} – {_num(p['p95'], pct, pp)}"]
        row.append(escape(_required_text(t, lang)))
        tbl.add_row(*row)
    return tbl


def series_table(result: Result, lang: str = "en") -> Table:
    years = [int(y) for y in result.years]
    if len(years) > 9:
        step = math.ceil((len(years) - 1) / 8)
        years = sorted({*years[::step], years[-1]})
    zh = lang == "zh"
    median = ("（中位数）" if zh else " (median)") if result.samples > 1 else ""
    tbl = Table(title=("关键指标" if zh else "key series") + median, header_style="bold")
    tbl.add_column("指标" if zh else "series")
    from clustersim.report.i18n import series_label

    scenario = result.compiled.scenario if result.compiled is not None else None
    for y in years:
        tbl.add_column(str(y), justify="right")
    import numpy as np

    for name, arr in result.region_series().items():
        if name.endswith("_flow"):
            continue
        med = np.median(arr, axis=0)
        pct = name.endswith(("intensity", "share")) and float(np.nanmax(np.abs(med))) < 1.5
        shown = series_label(name, scenario).zh if zh else name
        tbl.add_row(escape(shown), *(_num(float(med[y - result.base_year]), pct) for y in years))
    return tbl


# --- commands ---------------------------------------------------------------------------------


@app.command()
def run(
    scenario: ScenarioArg,
    samples: SamplesOpt = 1,
    seed: SeedOpt = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write trajectories and targets tables into this directory."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Output format: parquet, csv or json.")
    ] = "parquet",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout, nothing else.")
    ] = False,
    lang: LangOpt = "en",
    series: Annotated[
        bool, typer.Option("--series/--no-series", help="Also print key region series.")
    ] = True,
    required: Annotated[
        bool, typer.Option("--required/--no-required", help="Find the growth each target needs.")
    ] = True,
) -> None:
    """Project SCENARIO year by year and print each target's status.

    Examples:

      clustersim run scenarios/example.yaml

      clustersim run scenarios/example.yaml -n 1000 -s 7 --out results --format csv

      clustersim run scenarios/example.yaml --json | jq '.targets[] | {id, status}'
    """
    try:
        _check_choice("--format", fmt, ("parquet", "csv", "json"))
        _check_choice("--lang", lang, ("en", "zh"))
        result = _load_and_run(scenario, samples, seed, required=required)
        written: list[Path] = []
        if out_dir is not None:
            from clustersim.io.tables import write_result

            written = write_result(result, out_dir, fmt, lang)
    except ClusterSimError as exc:
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(lang), ensure_ascii=False, indent=2) + "\n")
        return
    out.print(target_table(result, lang))
    if series:
        out.print(series_table(result, lang))
    met = sum(t.status == "met" for t in result.targets)
    if lang == "zh":
        out.print(f"{len(result.targets)} 个目标中 {met} 个达成。")
    else:
        out.print(f"{met} of {len(result.targets)} targets met.")
    for p in written:
        out.print(f"wrote {p}")


def _check_choice(opt: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ClusterSimError(f"{opt}: {value!r} is not one of {', '.join(allowed)}")


@app.command()
def check(
    scenario: ScenarioArg,
    samples: SamplesOpt = 1,
    seed: SeedOpt = None,
    min_probability: Annotated[
        float | None,
        typer.Option(
            "--min-probability",
            "-p",
            min=0.0,
            max=1.0,
            help="With --samples: a target passes when met in at least this share of samples "
            "(default: its median meets it).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing; use the exit code.")
    ] = False,
) -> None:
    """Exit 0 when every target of SCENARIO is met, 1 when any is missed, 2 for invalid input.

    Examples:

      clustersim check scenarios/example.yaml && echo "plan on track"

      clustersim check scenarios/example.yaml -n 2000 -s 1 --min-probability 0.9
    """
    try:
        result = _load_and_run(scenario, samples, seed, required=False)
    except ClusterSimError as exc:
        raise _fail(exc) from None
    failed = []
    for t in result.targets:
        ok = t.probability >= min_probability if min_probability is not None else t.status == "met"
        if not ok:
            failed.append(t)
    if as_json:
        doc = result.to_dict()
        doc["failed"] = [t.id for t in failed]
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    elif not quiet:
        for t in result.targets:
            mark = "FAIL" if t in failed else "ok  "
            prob = f"  P(met)={t.probability:.1%}" if result.samples > 1 else ""
            out.print(f"{mark} {t.id} ({t.year}){prob}", markup=False)
        out.print(f"{len(result.targets) - len(failed)} of {len(result.targets)} targets pass.")
    raise typer.Exit(1 if failed else 0)


@app.command()
def validate(
    scenario: ScenarioArg,
    explain: Annotated[
        list[str] | None,
        typer.Option(
            "--explain",
            "-e",
            help="Show the value at this dotted path and which file (and line) supplied it, "
            "following extends: (repeatable).",
        ),
    ] = None,
    sources: Annotated[
        bool,
        typer.Option(
            "--sources",
            help="Also list numbers and targets without a source (on them or an enclosing "
            "block); exit 1 if any.",
        ),
    ] = False,
) -> None:
    """Check SCENARIO without running it: YAML, schema, names in expressions, extends chain.

    Examples:

      clustersim validate scenarios/example.yaml

      clustersim validate scenarios/zhenjiang-2026.yaml --explain targets.clusters_1000.between
    """
    from clustersim.compile import compile_scenario
    from clustersim.scenario.loader import load_scenario, provenance

    try:
        sc = load_scenario(scenario)
        comp = compile_scenario(sc, samples=1)
    except ClusterSimError as exc:
        raise _fail(exc) from None
    loaded = provenance(sc)
    for path in explain or []:
        key = tuple(p for p in path.split(".") if p)
        value: Any = loaded.data if loaded else None
        for k in key:
            if isinstance(value, dict) and any(str(d) == k for d in value):
                value = next(v for d, v in value.items() if str(d) == k)  # year keys are ints
            elif isinstance(value, list) and k.isdigit() and int(k) < len(value):
                value = value[int(k)]
            else:
                err.print(f"error: --explain {path}: no such path in {scenario}", markup=False)
                raise typer.Exit(2)
        origin = loaded.where(key) if loaded else None
        out.print(f"{path} = {json.dumps(value, ensure_ascii=False, default=str)}", markup=False)
        out.print(f"  from {origin}", markup=False)
        for o in reversed(loaded.overridden.get(key, []) if loaded else []):
            out.print(f"  overrides {o}", markup=False)
    missing: list[str] = []
    if sources:
        from clustersim.scenario.audit import unsourced

        missing = unsourced(sc)
        for path in missing:
            out.print(f"no source: {path}", markup=False)
    n_unc = len(comp.params)
    out.print(
        f"{scenario}: valid: {len(sc.clusters)} clusters, {len(sc.groups)} groups, "
        f"{len(sc.indicators)} indicators, {len(sc.targets)} targets, {n_unc} uncertain numbers"
        + (f" (extends {' <- '.join(loaded.files)})" if loaded and len(loaded.files) > 1 else ""),
        markup=False,
    )
    if missing:
        out.print(f"{len(missing)} numbers or targets have no source.")
        raise typer.Exit(1)


@app.command()
def schema(
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")
    ] = None,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="Schema for files that extend another: nothing required, unknown keys still errors.",
        ),
    ] = False,
) -> None:
    """Print the JSON Schema of the scenario format, for editor autocompletion.

    Example (VS Code with the YAML extension): save it and add to the scenario's first line

      # yaml-language-server: $schema=./scenario.schema.json
    """
    from clustersim.scenario.models import scenario_json_schema

    doc = scenario_json_schema(partial=partial)
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text, encoding="utf-8")


# Commands defined in their own modules register themselves on ``app`` when imported; each
# such module imports its heavy dependencies inside the command functions, so startup stays fast.
COMMAND_MODULES = ("cli_analysis", "cli_bench", "cli_report", "cli_sweep")
for _module in COMMAND_MODULES:
    importlib.import_module(f"clustersim.{_module}")


def main() -> None:
    """Entry point of the ``clustersim`` script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
