"""``clustersim sweep``: run a sweep file, or a plain Monte Carlo of a scenario
(``--scenario FILE -n N``); :mod:`clustersim.cli` registers :data:`COMMANDS`.

Heavy imports (numpy, scipy, pyarrow, dask) happen inside the command, so ``clustersim
--help`` stays fast.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from clustersim.cli._common import (
    EngineChoice,
    LangOpt,
    Progress,
    err,
    fail,
    h,
    log,
    out,
    resolve_lang,
    settings,
)
from clustersim.cli.config import both
from clustersim.cli.render import print_parts
from clustersim.errors import ClusterSimError
from clustersim.i18n import word

if TYPE_CHECKING:
    from clustersim.sweep.spec import SweepSpec

__all__ = ["COMMANDS", "sweep"]


def sweep(
    ctx: typer.Context,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help=h("sweep_out"),
            show_default=False,
        ),
    ],
    sweep_file: Annotated[
        Path | None,
        typer.Argument(help=h("sweep_file"), show_default=False),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option("--samples", "-n", min=1, help=h("sweep_samples")),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", "-s", min=0, help=h("sweep_seed"))
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help=h("sweep_workers"),
        ),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            help=h("sweep_dask"),
        ),
    ] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option("--chunk-size", min=1, help=h("sweep_chunk_size")),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help=h("sweep_resume")
        ),
    ] = False,
    keep: Annotated[
        list[str] | None,
        typer.Option(
            "--keep",
            help=h("sweep_keep"),
        ),
    ] = None,
    summary_only: Annotated[
        bool,
        typer.Option(
            "--summary-only",
            help=h("sweep_summary_only"),
        ),
    ] = False,
    engine: Annotated[
        EngineChoice,
        typer.Option("--engine", help=h("sweep_engine")),
    ] = EngineChoice.auto,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help=h("sweep_quiet"))
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help=h("sweep_json"))
    ] = False,
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", "-S", help=h("sweep_scenario"), show_default=False),
    ] = None,
    lang: LangOpt = None,
) -> None:
    """Sweep assumptions of a scenario: probability of each target, sensitivity, what must hold.

    Samples are projected in chunks, each written atomically as a Parquet part under
    OUT/samples/; the same seed gives bit-identical results on any number of workers or on
    Dask, and an interrupted sweep continues with --resume.

    Examples:

      clustersim sweep sweeps/example-lhs.yaml --out out/example-lhs

      clustersim sweep sweeps/zhenjiang-mc.yaml --out out/zj --samples 1000000 --workers 2

      clustersim sweep sweeps/example-sobol.yaml --out out/sobol --dask local

      clustersim sweep sweeps/example-grid.yaml --out out/grid --keep trajectories

      clustersim sweep sweeps/zhenjiang-mc.yaml --out out/zj --samples 1000000 --resume

    Read the samples with pandas (pd.read_parquet("out/zj/samples")), pyarrow.dataset or
    DuckDB (SELECT avg("met.rd_intensity_3pct"::INT) FROM 'out/zj/samples/*.parquet').
    Exit status: 0 done, 2 invalid input or a sweep that would not fit, 130 interrupted.
    """
    from clustersim.sweep.runner import run_sweep

    lang_ = lang.value if lang is not None else "en"  # until the config is read
    try:
        conf = settings()
        lang_ = resolve_lang(ctx, lang, conf)
        source = _source(sweep_file, scenario, samples, seed, conf.samples, conf.seed)
        n_workers = workers if workers is not None else conf.workers
        workers_text = n_workers or word("log_all_workers", lang_)
        shown = getattr(source, "file", None) or source  # a --scenario sweep: its file
        log.info("%s", word("log_sweep", lang_, source=shown, workers=workers_text))
        with Progress("sweep", enabled=not quiet and not as_json) as progress:
            res = run_sweep(
                source,
                out=out_dir,
                workers=n_workers,
                dask=dask,
                resume=resume,
                keep=tuple(keep or ()),
                progress=progress,
                samples=samples if scenario is None else None,
                seed=seed if scenario is None else None,
                chunk_size=chunk_size,
                engine=engine.value,
                store=() if summary_only else None,
            )
    except ClusterSimError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        err.print(word("sweep_interrupted", lang_, out=out_dir), markup=False)
        raise typer.Exit(130) from None
    if as_json:
        sys.stdout.write(json.dumps(res.summary.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    if quiet:
        return
    sc = res.plan.scenario
    run = res.summary.extra.get("run", {})
    skipped = word("sweep_skipped", lang_, n=res.chunks_skipped) if res.chunks_skipped else ""
    what = sweep_file if sweep_file is not None else scenario
    lines = [
        word(
            "sweep_ran",
            lang_,
            what=what,
            id=sc.id,
            chunks=res.plan.n_chunks,
            size=f"{res.plan.chunk_size:,}",
            run=res.chunks_run,
            skipped=skipped,
            executor=_executor_text(res.executor, lang_),
            seconds=f"{res.seconds:.1f}",
            rate=f"{run.get('samples_per_second') or 0:,.0f}",
        ),
    ]
    print_parts(out, [*lines, *res.summary.parts(lang_)])
    for p in res.written[:2]:
        out.print(escape(word("wrote", lang_, path=p)))
    parts = -(-res.plan.n_chunks // res.sink.part_chunks)  # a part holds several chunks
    out.print(word("sweep_wrote_parts", lang_, out=res.out, parts=parts), markup=False)


def _source(
    sweep_file: Path | None,
    scenario: Path | None,
    samples: int | None,
    seed: int | None,
    conf_samples: int | None,
    conf_seed: int | None,
) -> Path | SweepSpec:
    """The sweep to run: the sweep file, or a plain Monte Carlo of ``--scenario`` (samples:
    -n, else the config's, else 1,000; seed: --seed, else the config's, else a fresh one)."""
    from clustersim.api import DEFAULT_SAMPLES, new_seed
    from clustersim.sweep.spec import SweepSpec

    if (sweep_file is None) == (scenario is None):
        raise ClusterSimError(both("sweep_file_or_scenario"))
    if sweep_file is not None:
        return sweep_file
    scenario = Path(str(scenario))
    if not scenario.is_file():
        raise ClusterSimError(f"--scenario: {scenario}: no such file")
    n = samples if samples is not None else conf_samples or DEFAULT_SAMPLES
    root = seed if seed is not None else conf_seed if conf_seed is not None else new_seed()
    return SweepSpec(
        file=str(scenario), scenario=scenario.resolve(), method="monte_carlo", samples=n, seed=root
    )


def _executor_text(described: str, lang: str) -> str:
    """How the sweep ran (``Executor.describe()``: ``in-process``, ``processes (4 workers)``,
    ``dask (ADDRESS, 4 workers)``) in ``lang``; anything else as it is."""
    if described == "in-process":
        return word("executor_in_process", lang)
    m = re.fullmatch(r"processes \((\d+) workers\)", described)
    if m is not None:
        return word("executor_processes", lang, n=m[1])
    m = re.fullmatch(r"dask \((.+), (\S+) workers\)", described)
    if m is not None:
        return word("executor_dask", lang, address=m[1], n=m[2])
    return described


#: the commands of this group, by name
COMMANDS = {"sweep": sweep}
