"""What a cold ``clustersim run`` loads: one command built, no scipy.special, no rich until
something is printed with it (issue 21, part 4). Checked in fresh interpreters through
``sys.modules``; the time it saves is measured by benchmarks/cold_run.py, not here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import clustersim.cli as cli

ROOT = Path(__file__).resolve().parents[2]
GROUPS = ("run", "analysis", "bench", "report", "sweep", "discover", "serve")


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        "sys.__stderr__.write('MODULES' + json.dumps(sorted(sys.modules)) + '\\n')"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("MODULES"))
    return set(json.loads(line[len("MODULES") :]))


def test_the_command_table_lists_every_module_command_in_help_order() -> None:
    import importlib

    listed = [
        (name, group)
        for group in GROUPS
        for name in importlib.import_module(f"clustersim.cli.{group}").COMMANDS
    ]
    assert list(cli.COMMAND_MODULES.items()) == listed


def test_importing_the_cli_loads_no_command_rich_or_scipy() -> None:
    mods = loaded_after("import clustersim.cli")
    assert "scipy.special" not in mods
    assert "tomllib" not in mods  # read only when a config file exists
    assert not {m for m in mods if m == "rich" or m.startswith("rich.")}
    assert not {f"clustersim.cli.{g}" for g in GROUPS} & mods


def test_a_run_builds_only_its_command_and_draws_without_scipy_special() -> None:
    """The draws use scipy's compiled ``ndtri`` from ``scipy.special._ufuncs`` alone, never
    the ``scipy.special`` package (its import is 0.3 s of a cold run)."""
    mods = loaded_after(
        "import sys\nfrom clustersim.cli import main\n"
        "sys.argv = ['clustersim', 'run', 'scenarios/example.yaml', '-n', '300', '-s', '1', "
        "'--json']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
    )
    assert "scipy.special" not in mods and "scipy.special._ufuncs" in mods
    assert not {m for m in mods if m.startswith("scipy._lib._array_api") or m == "numpy.f2py"}
    # run_targets' helper thread (engine.py) is for chunked work only
    assert "concurrent.futures" not in mods
    assert "clustersim.cli.run" in mods
    assert not {f"clustersim.cli.{g}" for g in GROUPS if g != "run"} & mods
    # --json prints no table: rich is not needed
    assert not {m for m in mods if m == "rich" or m.startswith("rich.")}


def test_help_still_lists_every_command(capsys: object) -> None:
    from typer.testing import CliRunner

    out = CliRunner().invoke(cli.app, ["--help"]).output
    for name in cli.COMMAND_MODULES:
        assert name in out
    assert cli._argv_command(["run", "x.yaml", "-n", "5"]) == "run"
    assert cli._argv_command(["--lang", "zh", "-v", "check", "x.yaml"]) == "check"
    assert cli._argv_command(["run", "--help"]) is None
    assert cli._argv_command(["rnu", "x.yaml"]) is None


def _thresholds(before: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The collector's thresholds in a fresh interpreter after ``before`` and after
    ``clustersim validate`` through :func:`clustersim.cli.main`."""
    probe = (
        f"import gc, sys\n{before}\nfirst = gc.get_threshold()\n"
        "from clustersim.cli import main\n"
        "sys.argv = ['clustersim', 'validate', 'scenarios/example.yaml']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "sys.__stderr__.write('THRESHOLD' + repr([first, gc.get_threshold()]) + '\\n')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("THRESHOLD"))
    first, after = json.loads(line[len("THRESHOLD") :].replace("(", "[").replace(")", "]"))
    return tuple(first), tuple(after)


def test_the_command_line_collects_garbage_cycles_less_often() -> None:
    """A cold run's start allocates ~1M long-lived objects: at Python's threshold of 700 the
    cyclic collector scanned them ~125 times (0.07-0.08 s). The command line waits for
    GC_THRESHOLD new objects; a collector turned off stays off; importing the library
    changes nothing."""
    default, after = _thresholds("")
    assert after == (cli.GC_THRESHOLD, *default[1:])
    assert _thresholds("gc.set_threshold(0)")[1][0] == 0
    assert _thresholds("gc.set_threshold(500_000, 3, 4)")[1] == (500_000, 3, 4)
    code = "import gc\nd = gc.get_threshold()\nimport clustersim.api\nassert gc.get_threshold() == d"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0, done.stderr


def test_pydantic_model_modules_keep_real_annotations() -> None:
    """Every cold run defines the ~55 scenario models: with ``from __future__ import
    annotations`` pydantic compiles and evaluates each field's annotation string
    (0.02 s of a run); without it they are the types themselves. A module that defines a
    model keeps it that way (a new kind module too)."""
    import clustersim

    src = Path(clustersim.__file__).resolve().parent
    models = [src / "scenario" / "models.py"]
    for folder in ("kinds/targets", "kinds/growth", "values"):
        models += [p for p in (src / folder).glob("*.py") if p.name != "__init__.py"]
    assert len(models) > 20
    with_future = sorted(
        str(p.relative_to(src))
        for p in models
        if "from __future__ import annotations" in p.read_text(encoding="utf-8")
    )
    assert not with_future


def _run_json(scenario: str, env: dict[str, str]) -> tuple[str, str]:
    """``clustersim run SCENARIO --json`` (Monte Carlo) in a fresh interpreter through
    :func:`clustersim.cli.main`; its stdout and the OpenBLAS thread timeout it ran with."""
    probe = (
        "import os, sys\nfrom clustersim.cli import main\n"
        "assert 'numpy' not in sys.modules  # so main() comes before OpenBLAS is loaded\n"
        f"sys.argv = ['clustersim', 'run', {scenario!r}, '-n', '500', '-s', '4', '--json']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "sys.__stderr__.write('TIMEOUT=' + os.environ.get('OPENBLAS_THREAD_TIMEOUT', '') + '\\n')\n"
    )
    base = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    full = {**base, **env, "PYTHONPATH": str(ROOT / "src"), "CLUSTERSIM_NO_CACHE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=full
    )
    assert done.returncode == 0, done.stderr
    timeout = next(x for x in done.stderr.splitlines() if x.startswith("TIMEOUT="))
    return done.stdout, timeout[len("TIMEOUT=") :]


def test_idle_blas_threads_sleep_and_results_do_not_move() -> None:
    """OpenBLAS's idle threads spun 0.06-0.07 s of CPU per cold run: the command line sets
    their timeout to the minimum before NumPy loads, keeps a value the user set, and the
    numbers (the Leontief solves of the input-output plan) are the same to the byte."""
    io_plan = "scenarios/jiangxi-2025-io.yaml"
    quiet, timeout = _run_json(io_plan, {})
    assert timeout == cli.BLAS_THREAD_TIMEOUT
    spinning, timeout = _run_json(io_plan, {"OPENBLAS_THREAD_TIMEOUT": "28"})
    assert timeout == "28"
    assert quiet == spinning and '"targets"' in quiet
