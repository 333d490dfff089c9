"""``clustersim run``, ``check``, ``validate`` and ``schema``: one scenario file at a time.

Each command parses its options, calls :mod:`clustersim.api` and renders what it returns;
the API is imported inside the commands, so ``clustersim --help`` does not load the models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from clustersim.cli._common import (
    LangOpt,
    SamplesOpt,
    ScenarioArg,
    SeedOpt,
    check_choice,
    err,
    fail,
    out,
    projecting,
)
from clustersim.cli.render import joint_lines, series_table, target_table
from clustersim.errors import ClusterSimError
from clustersim.formats import FORMATS
from clustersim.i18n import LANGS, word

__all__ = ["COMMANDS", "check", "run", "schema", "validate"]


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
        str,
        typer.Option(
            "--format",
            "-f",
            help=f"Output format: {', '.join(FORMATS[:-1])} or {FORMATS[-1]}.",
        ),
    ] = FORMATS[0],
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
    audit: Annotated[
        bool,
        typer.Option(
            "--audit/--no-audit",
            help="Mark targets fixed by the scenario's own assumptions (see validate --audit).",
        ),
    ] = True,
) -> None:
    """Project SCENARIO year by year and print each target's status.

    Examples:

      clustersim run scenarios/example.yaml

      clustersim run scenarios/example.yaml -n 1000 -s 7 --out results --format csv

      clustersim run scenarios/example.yaml --json | jq '.targets[] | {id, status}'
    """
    from clustersim.api import load_and_run

    try:
        check_choice("--format", fmt, FORMATS)
        check_choice("--lang", lang, LANGS)
        with projecting(samples):
            result = load_and_run(
                scenario, samples=samples, seed=seed, required=required, audit=audit
            )
        written: list[Path] = []
        if out_dir is not None:
            from clustersim.io.tables import write_result

            written = write_result(result, out_dir, fmt, lang)
    except ClusterSimError as exc:
        raise fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(lang), ensure_ascii=False, indent=2) + "\n")
        return
    out.print(target_table(result, lang))
    for line in joint_lines(result, lang):
        out.print(escape(line))
    if result.audit is not None and result.audit.findings:
        out.print(escape(word("audit_footnote", lang)))
    if series:
        out.print(series_table(result, lang))
    met = sum(t.status == "met" for t in result.targets)
    out.print(word("run_targets_met", lang, met=met, n=len(result.targets)))
    for p in written:
        out.print(f"wrote {p}")


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
    from clustersim.api import check as check_scenario

    try:
        with projecting(samples):
            outcome = check_scenario(
                scenario, samples=samples, seed=seed, min_probability=min_probability
            )
    except ClusterSimError as exc:
        raise fail(exc) from None
    result = outcome.result
    if as_json:
        sys.stdout.write(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2) + "\n")
    elif not quiet:
        for t in result.targets:
            mark = "ok  " if outcome.passes(t) else "FAIL"
            prob = f"  P(met)={t.probability:.1%}" if result.samples > 1 else ""
            out.print(f"{mark} {t.id} ({t.year}){prob}", markup=False)
        n = len(result.targets)
        out.print(f"{n - len(outcome.failed)} of {n} targets pass.")
    raise typer.Exit(0 if outcome.passed else 1)


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
    audit: Annotated[
        bool,
        typer.Option(
            "--audit",
            help="Also list targets whose outcome the scenario's own assumptions fix, naming "
            "the rule and the assumption; exit 1 if any is fixed by construction (plan "
            "assumptions of a plan scenario are listed but do not fail).",
        ),
    ] = False,
    lang: LangOpt = "en",
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='Print one JSON document on stdout: {"ok": true, ...} or the errors '
            '({"ok": false, "errors": [...]}, see README "Output files").',
        ),
    ] = False,
) -> None:
    """Check SCENARIO without running it: YAML, schema, names in expressions, extends chain.

    Exit codes: 0 valid; 1 valid but --sources found unsourced numbers or --audit found a
    target fixed by construction; 2 invalid input.

    Examples:

      clustersim validate scenarios/example.yaml

      clustersim validate scenarios/zhenjiang-2026.yaml --explain targets.clusters_1000.between

      clustersim validate scenarios/jiangxi-trend.yaml --audit

      clustersim validate my-plan.yaml --json --lang zh
    """
    from clustersim.api import audit as audit_scenario
    from clustersim.api import explain as explain_path
    from clustersim.api import validate as validate_scenario

    try:
        check_choice("--lang", lang, LANGS)
        v = validate_scenario(scenario, sources=sources)
        found = audit_scenario(v.scenario) if audit else None
    except ClusterSimError as exc:
        raise fail(exc) from None
    if as_json:
        from clustersim.cli.errors import validation_json

        doc = validation_json(v, found, lang)
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        raise typer.Exit(1 if v.unsourced or (found is not None and not found.clean) else 0)
    for path in explain or []:
        where = explain_path(v.scenario, path)
        if where is None:
            err.print(f"error: --explain {path}: no such path in {scenario}", markup=False)
            raise typer.Exit(2)
        value = json.dumps(where.value, ensure_ascii=False, default=str)
        out.print(f"{path} = {value}", markup=False)
        out.print(f"  from {where.origin}", markup=False)
        for o in where.overrides:
            out.print(f"  overrides {o}", markup=False)
    missing = v.unsourced or ()
    for path in missing:
        out.print(f"no source: {path}", markup=False)
    sc = v.scenario
    out.print(
        f"{scenario}: valid: {len(sc.clusters)} clusters, {len(sc.groups)} groups, "
        f"{len(sc.indicators)} indicators, {len(sc.targets)} targets, "
        f"{v.uncertain} uncertain numbers"
        + (f" (extends {' <- '.join(v.files)})" if len(v.files) > 1 else ""),
        markup=False,
    )
    if found is not None:
        for f in found.findings:
            out.print(f.text(lang), markup=False)
        out.print(f"{word('audit', lang)}: {found.summary(lang)}", markup=False)
    if missing:
        out.print(f"{len(missing)} numbers or targets have no source.")
    if missing or (found is not None and not found.clean):
        raise typer.Exit(1)


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


#: the commands of this group, by name, in the order ``--help`` lists them
COMMANDS = {"run": run, "check": check, "validate": validate, "schema": schema}
