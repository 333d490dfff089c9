"""CPU seconds of a cold ``clustersim run`` (issue 21, part 4), beside a bare interpreter.

    PYTHONPATH=src python benchmarks/cold_run.py [--repeat 7] [--samples 1000]
        [--scenario scenarios/zhenjiang-2026.yaml] [--tree DIR] [--bytecode]

Each repetition starts a fresh interpreter running ``python -m clustersim run SCENARIO
--samples N --seed 1`` (output to /dev/null) and reads the child's user + system CPU time
from ``getrusage``; a bare ``python -c pass`` is measured interleaved with it, so what the
project adds is the difference. CPU time, not wall time: on a shared machine the wall time
is the CPU time times the contention. The load average is printed beside the numbers.

Each round runs every tree twice, interleaved: a cache miss (an empty ``$CLUSTERSIM_CACHE``:
the scenario is validated and its cache entry written) and a cache hit (the same folder, now
holding the validated scenario: :mod:`clustersim.scenario.cache`). A tree without the
scenario cache validates both times. ``--no-cache-runs`` adds a third run with
``CLUSTERSIM_NO_CACHE=1`` (validation, nothing written).

``--floor`` adds, interleaved, a fresh interpreter that does only what a run cannot do
without, given its dependencies: the command line's settings (fewer garbage collections,
OpenBLAS's idle threads asleep), import NumPy, ``numpy.random``, pydantic (one model
class), rich, PyYAML and platformdirs, and parse a typer command with the 16 parameters of
``clustersim run``, of the same types (typer 0.29 builds a pydantic ``TypeAdapter`` for
each parameter it parses that is not a plain boolean flag). No project code runs: what the project's own code adds is the
difference to a cache hit.

``--tree DIR`` runs another checkout's ``src`` (a before/after comparison runs both,
interleaved, when given twice). Without ``--bytecode`` the environment's
``PYTHONDONTWRITEBYTECODE`` is kept, so the project's modules are compiled from source in
every run (as in this development environment); with it, bytecode is cached in a temporary
folder after a warm-up run (as in an installed package).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

#: what any run of ``clustersim run`` pays for its dependencies (see ``--floor``)
FLOOR = r"""
import gc, os, sys
gc.set_threshold(100_000)  # as clustersim.cli.main does
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # as clustersim.cli.main does
import enum, json
from pathlib import Path
from typing import Annotated, Optional
import numpy, numpy.random, platformdirs, pydantic, rich, typer, yaml

class Model(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, defer_build=True)
    name: str = ""

class Fmt(str, enum.Enum):
    parquet = "parquet"
    csv = "csv"

class Lang(str, enum.Enum):
    en = "en"
    zh = "zh"

class From(str, enum.Enum):
    probability = "probability"
    median = "median"

app = typer.Typer(add_completion=False)

@app.callback()
def main() -> None:
    pass

@app.command()
def run(
    ctx: typer.Context,
    scenario: Path,
    samples: Annotated[Optional[int], typer.Option("--samples", "-n", min=1)] = None,
    central: Annotated[bool, typer.Option("--central")] = False,
    seed: Annotated[Optional[int], typer.Option("--seed", min=0)] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", "-o")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.parquet,
    bom: Annotated[Optional[bool], typer.Option("--bom/--no-bom")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    lang: Annotated[Optional[Lang], typer.Option("--lang")] = None,
    series: Annotated[bool, typer.Option("--series/--no-series")] = True,
    required: Annotated[bool, typer.Option("--required/--no-required")] = True,
    audit: Annotated[bool, typer.Option("--audit/--no-audit")] = True,
    status_from: Annotated[From, typer.Option("--status-from")] = From.probability,
    likely: Annotated[Optional[float], typer.Option("--likely")] = None,
    unlikely: Annotated[Optional[float], typer.Option("--unlikely")] = None,
    cache: Annotated[bool, typer.Option("--cache/--no-cache")] = True,
) -> None:
    pass

app(sys.argv[1:])
"""


def cpu_of(cmd: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--scenario", default="scenarios/zhenjiang-2026.yaml")
    ap.add_argument("--tree", action="append", default=None)
    ap.add_argument("--bytecode", action="store_true")
    ap.add_argument("--no-cache-runs", action="store_true")
    ap.add_argument("--floor", action="store_true", help="add the dependencies' floor")
    args = ap.parse_args()
    trees = args.tree or [str(Path(__file__).resolve().parents[1])]
    pyc = tempfile.mkdtemp(prefix="clustersim-pyc-")
    envs = {}
    for tree in trees:
        env = dict(os.environ, PYTHONPATH=str(Path(tree) / "src"))
        if args.bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = pyc
        envs[tree] = env
    run = [
        sys.executable,
        "-m",
        "clustersim",
        "run",
        args.scenario,
        "--samples",
        str(args.samples),
        "--seed",
        "1",
    ]
    bare = [sys.executable, "-c", "pass"]
    floor_cmd = [sys.executable, "-c", FLOOR, *run[3:]]
    floor: list[float] = []
    cache = tempfile.mkdtemp(prefix="clustersim-cache-")

    def fresh_cache(env: dict[str, str]) -> dict[str, str]:
        shutil.rmtree(cache, ignore_errors=True)
        return dict(env, CLUSTERSIM_CACHE=cache)

    kinds = ["miss", "hit"] + (["no-cache"] if args.no_cache_runs else [])
    for tree in trees:  # warm-up: disk cache, bytecode
        cpu_of(run, fresh_cache(envs[tree]))
    if args.floor:
        cpu_of(floor_cmd, envs[trees[0]])
    times: dict[tuple[str, str], list[float]] = {(t, k): [] for t in trees for k in kinds}
    base: list[float] = []
    load0 = os.getloadavg()[0]
    loads = [load0]
    for _ in range(args.repeat):
        base.append(cpu_of(bare, envs[trees[0]]))
        if args.floor:
            floor.append(cpu_of(floor_cmd, envs[trees[0]]))
        for tree in trees:
            env = fresh_cache(envs[tree])
            times[tree, "miss"].append(cpu_of(run, env))
            times[tree, "hit"].append(cpu_of(run, env))
            if args.no_cache_runs:
                off = dict(env, CLUSTERSIM_NO_CACHE="1")
                times[tree, "no-cache"].append(cpu_of(run, off))
        loads.append(os.getloadavg()[0])
    shutil.rmtree(cache, ignore_errors=True)
    load1 = os.getloadavg()[0]
    print(
        f"load average {load0:.2f} -> {load1:.2f} (median {statistics.median(loads):.2f}); "
        f"{args.repeat} runs each, interleaved; "
        f"bytecode {'cached' if args.bytecode else 'not written'}"
    )
    print(f"python -c pass: median {statistics.median(base):.3f} s CPU (min {min(base):.3f})")
    if floor:
        print(
            f"dependencies' floor (imports, typer's parsing; no project code): median "
            f"{statistics.median(floor):.3f} s CPU (min {min(floor):.3f}, max {max(floor):.3f})"
        )
    for tree in trees:
        for kind in kinds:
            t = times[tree, kind]
            print(
                f"{tree}: clustersim run {Path(args.scenario).name} -n {args.samples}, "
                f"cache {kind}: median {statistics.median(t):.3f} s CPU "
                f"(min {min(t):.3f}, max {max(t):.3f})"
            )


if __name__ == "__main__":
    main()
