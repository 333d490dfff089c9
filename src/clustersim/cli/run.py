"""``clustersim run``, ``check``, ``validate`` and ``schema``: one scenario file at a time.

Each command parses its options, calls :mod:`clustersim.api` and renders what it returns;
the API is imported inside the commands, so ``clustersim --help`` does not load the models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clustersim.cli._common import (
    Format,
    LangOpt,
    SamplesOpt,
    ScenarioArg,
    SeedOpt,
    StatusFrom,
    describe,
    fail,
    h,
    log,
    out,
    projecting,
    resolve_lang,
    settings,
    status_rule,
)
from clustersim.errors import ClusterSimError, ScenarioError
from clustersim.i18n import word

if TYPE_CHECKING:
    from clustersim.results import Result

__all__ = ["COMMANDS", "check", "run", "schema", "validate"]


def run(
    ctx: typer.Context,
    scenario: ScenarioArg,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            "-n",
            min=1,
            help=h("run_samples"),
            show_default=False,
        ),
    ] = None,
    central: Annotated[
        bool,
        typer.Option(
            "--central", help=h("run_central")
        ),
    ] = False,
    seed: SeedOpt = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help=h("run_out")
        ),
    ] = None,
    fmt: Annotated[
        Format,
        typer.Option("--format", "-f", help=h("run_format")),
    ] = Format.parquet,
    bom: Annotated[
        bool | None,
        typer.Option("--bom/--no-bom", help=h("run_bom"), show_default=False),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help=h("json"))
    ] = False,
    lang: LangOpt = None,
    series: Annotated[
        bool, typer.Option("--series/--no-series", help=h("run_series"))
    ] = True,
    required: Annotated[
        bool, typer.Option("--required/--no-required", help=h("run_required"))
    ] = True,
    audit: Annotated[
        bool,
        typer.Option(
            "--audit/--no-audit",
            help=h("run_audit"),
        ),
    ] = True,
    status_from: Annotated[
        StatusFrom,
        typer.Option(
            "--status-from",
            help=h("run_status_from"),
        ),
    ] = StatusFrom.probability,
    likely: Annotated[
        float | None,
        typer.Option(
            "--likely",
            min=0.0,
            max=1.0,
            help=h("run_likely"),
            show_default=False,
        ),
    ] = None,
    unlikely: Annotated[
        float | None,
        typer.Option(
            "--unlikely",
            min=0.0,
            max=1.0,
            help=h("run_unlikely"),
            show_default=False,
        ),
    ] = None,
    cache: Annotated[
        bool, typer.Option("--cache/--no-cache", help=h("run_cache"))
    ] = True,
) -> None:
    """Project SCENARIO year by year and print each target's status.

    With uncertain numbers in the scenario this is a Monte Carlo run (1,000 samples, the seed
    printed): values are medians and a target is likely, uncertain or unlikely by its
    probability. --central runs the one path of central values instead.

    Examples:

      clustersim run scenarios/example.yaml

      clustersim run scenarios/example.yaml --central

      clustersim run scenarios/example.yaml -n 1000 -s 7 --out results --format csv

      clustersim run scenarios/example.yaml --json | jq '.targets[] | {id, status}'
    """
    from clustersim.api import load_and_run

    try:
        conf = settings()
        lang_ = resolve_lang(ctx, lang, conf)
        n = 1 if central else samples if samples is not None else conf.samples
        rule = None
        if status_from is StatusFrom.probability:
            rule = status_rule(likely, unlikely, conf)
        log.info("%s", word("log_settings", lang_, what=describe(conf, lang_)))
        with projecting(n or 0):
            result = load_and_run(
                scenario,
                samples=n,
                seed=seed if seed is not None else conf.seed,
                required=required,
                audit=audit,
                rule=rule,
                cache=cache,
            )
        written: list[Path] = []
        if out_dir is not None:
            from clustersim.io.tables import write_result

            with_bom = conf.csv_bom if bom is None else bom
            written = write_result(result, out_dir, fmt.value, lang_, bom=with_bom)
            written.append(_write_run_record(result, out_dir))
    except ClusterSimError as exc:
        raise fail(exc) from None
    except ValueError as exc:  # the thresholds of StatusRule
        raise fail(ClusterSimError(str(exc))) from None
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(lang_), ensure_ascii=False, indent=2) + "\n")
        return
    # the tables: plain text off a terminal (rich's console only on one)
    from clustersim.cli.render import (
        joint_lines,
        mode_line,
        print_line,
        print_sheet,
        series_sheet,
        summary_line,
        target_sheet,
    )

    print_line(mode_line(result, lang_))
    print_sheet(target_sheet(result, lang_))
    for text in joint_lines(result, lang_):
        print_line(text)
    if result.audit is not None and result.audit.findings:
        print_line(word("audit_footnote", lang_))
    if series:
        print_sheet(series_sheet(result, lang_))
    print_line(summary_line(result, lang_))
    for p in written:
        print_line(word("wrote", lang_, path=p))


def _write_run_record(result: Result, out_dir: Path) -> Path:
    """``run.json`` beside the tables: what kind of run wrote them (mode, samples, the seed
    that repeats it, the status rule), so the files say how they were made."""
    from clustersim._version import __version__
    from clustersim.atomic import write_bytes

    rule = result.rule
    doc = {
        "scenario": result.scenario_id,
        "mode": result.mode,
        "samples": result.samples,
        "seed": result.seed,
        "uncertain": result.uncertain,
        "status_rule": None if rule is None else {"likely": rule.likely, "unlikely": rule.unlikely},
        "clustersim": __version__,
    }
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    return write_bytes(out_dir / "run.json", text.encode("utf-8"))


def check(
    ctx: typer.Context,
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
            help=h("check_min_probability"),
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=h("check_json"))] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help=h("check_quiet"))
    ] = False,
    consistency: Annotated[
        bool,
        typer.Option(
            "--consistency",
            help=h("check_consistency"),
        ),
    ] = False,
    lang: LangOpt = None,
) -> None:
    """Exit 0 when every target of SCENARIO is met, 1 when any is missed, 2 for invalid input.

    Examples:

      clustersim check scenarios/example.yaml && echo "plan on track"

      clustersim check scenarios/example.yaml -n 2000 -s 1 --min-probability 0.9

      clustersim check --consistency scenarios/example.yaml --json
    """
    from clustersim.api import check as check_scenario

    if consistency:  # issue 16: the pre-check lives in cli/discover.py
        from clustersim.cli.discover import consistency as consistency_check

        lang_ = resolve_lang(ctx, lang, settings())
        consistency_check(scenario, as_json=as_json, quiet=quiet, lang=lang_)

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
        lang_ = resolve_lang(ctx, lang, settings())
        for t in result.targets:
            mark = word("check_ok" if outcome.passes(t) else "check_fail", lang_)
            prob = (
                word("check_prob", lang_, p=f"{t.probability:.1%}") if result.samples > 1 else ""
            )
            out.print(f"{mark} {t.id} ({t.year}){prob}", markup=False)
        n = len(result.targets)
        out.print(
            word("check_pass_count", lang_, passed=n - len(outcome.failed), n=n), markup=False
        )
    raise typer.Exit(0 if outcome.passed else 1)


def validate(
    ctx: typer.Context,
    scenario: ScenarioArg,
    explain: Annotated[
        list[str] | None,
        typer.Option(
            "--explain",
            "-e",
            help=h("validate_explain"),
        ),
    ] = None,
    sources: Annotated[
        bool,
        typer.Option(
            "--sources",
            help=h("validate_sources"),
        ),
    ] = False,
    audit: Annotated[
        bool,
        typer.Option(
            "--audit",
            help=h("validate_audit"),
        ),
    ] = False,
    lang: LangOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help=h("validate_json"))] = False,
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
        lang_ = resolve_lang(ctx, lang, settings())
        v = validate_scenario(scenario, sources=sources)
        found = audit_scenario(v.scenario) if audit else None
    except ClusterSimError as exc:
        raise fail(exc) from None
    explained = []
    for path in explain or []:
        where = explain_path(v.scenario, path)
        if where is None:  # in --lang, or the JSON error document under --json
            raise fail(_no_such_path(path, scenario, v.scenario))
        explained.append((path, where))
    if as_json:
        from clustersim.cli.errors import validation_json

        doc = validation_json(v, found, lang_)
        if explained:
            doc["explain"] = [
                {
                    "path": path,
                    "value": where.value,
                    "origin": str(where.origin),
                    "overrides": [str(o) for o in where.overrides],
                }
                for path, where in explained
            ]
        text = json.dumps(doc, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write(text + "\n")
        raise typer.Exit(1 if v.unsourced or (found is not None and not found.clean) else 0)
    for path, where in explained:
        value = json.dumps(where.value, ensure_ascii=False, default=str)
        out.print(f"{path} = {value}", markup=False)
        out.print(word("explain_from", lang_, origin=where.origin), markup=False)
        for o in where.overrides:
            out.print(word("explain_overrides", lang_, origin=o), markup=False)
    missing = v.unsourced or ()
    for path in missing:
        out.print(word("validate_no_source", lang_, path=path), markup=False)
    sc = v.scenario
    out.print(
        word(
            "validate_valid",
            lang_,
            path=scenario,
            clusters=len(sc.clusters),
            groups=len(sc.groups),
            indicators=len(sc.indicators),
            targets=len(sc.targets),
            uncertain=v.uncertain,
        )
        + (
            word("validate_extends", lang_, chain=" <- ".join(v.files))
            if len(v.files) > 1
            else ""
        ),
        markup=False,
    )
    if found is not None:
        for f in found.findings:
            out.print(f.text(lang_), markup=False)
        out.print(f"{word('audit', lang_)}: {found.summary(lang_)}", markup=False)
    if missing:
        out.print(word("validate_unsourced", lang_, n=len(missing)), markup=False)
    if missing or (found is not None and not found.clean):
        raise typer.Exit(1)


def _no_such_path(path: str, scenario: Path, sc: object) -> ScenarioError:
    """``--explain PATH: no such path in FILE`` in both languages, with the nearest top-level
    key when the first part of PATH is misspelt."""
    from clustersim.errors import Problem
    from clustersim.i18n import did_you_mean, msg

    head = path.split(".", 1)[0]
    fields = list(getattr(type(sc), "model_fields", {}))
    hint = did_you_mean(head, fields) if head not in fields else None
    text = msg("explain_no_path", path=path, file=scenario)
    if hint is not None:
        text = text + hint
    return ScenarioError(Problem(text.en, text.zh))


def schema(
    ctx: typer.Context,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help=h("schema_out"))
    ] = None,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help=h("schema_partial"),
        ),
    ] = False,
    sweep: Annotated[bool, typer.Option("--sweep", help=h("schema_sweep"))] = False,
    lang: LangOpt = None,  # also the language of the schema's descriptions (editor tooltips)
) -> None:
    """Print the JSON Schema of the scenario format, for editor autocompletion.

    Example (VS Code with the YAML extension): save it and add to the scenario's first line

      # yaml-language-server: $schema=./scenario.schema.json
    """
    if sweep:
        from clustersim.sweep.spec import sweep_json_schema

        doc = sweep_json_schema()
    else:
        from clustersim.scenario.models import scenario_json_schema

        doc = scenario_json_schema(partial=partial)
    from clustersim.i18n import localize_schema

    doc = localize_schema(doc, resolve_lang(ctx, lang, settings()))
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text, encoding="utf-8")


#: the commands of this group, by name, in the order ``--help`` lists them
COMMANDS = {"run": run, "check": check, "validate": validate, "schema": schema}
