"""The command line's own coercion of plain values (clustersim.cli.coercion) gives what
typer's gives: on every parameter of every command, for values it reads itself and values
it hands back to typer, the same value or the same error message."""

from __future__ import annotations

import enum
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from clustersim.cli import build_app, coercion

ROOT = Path(__file__).resolve().parents[2]

_coercion = pytest.importorskip("typer._coercion")

#: candidate command-line values by annotation: plain ones (read here) and ones that go to
#: typer (spaces, underscores, exponents for an int, infinities, words, empty strings)
INTS = ["12", "007", "-3", "0", "1_000", " 5", "5 ", "1.0", "1e3", "abc", "", "+4", 12, 0, -1, 7.0]
FLOATS = ["1.5", "1.", ".5", "-2e-3", "1e400", "inf", "nan", "abc", "1_0", "", 3, 2.5, "-0"]
STRS = ["abc", "", "中文", " x "]
BOOLS = [True, False, "true", "no"]
PATHS = ["scenarios/zhenjiang-2026.yaml", "no/such/file.yaml", "", ".", "scenarios", Path("x")]


def _params() -> list[tuple[Any, Any]]:
    """(command, parameter) of every parameter of every command, the help options made."""
    root = typer.main.get_command(build_app(None))
    coercion.install(root)
    out = []
    stack = [root]
    while stack:
        cmd = stack.pop()
        stack.extend(getattr(cmd, "commands", {}).values())
        ctx = typer.Context(cmd, info_name=cmd.name)
        cmd.get_help_option(ctx)  # made when first parsed: installed then
        out += [(cmd, p) for p in cmd.params]
        if cmd._help_option is not None:
            out.append((cmd, cmd._help_option))
    return out


def _candidates(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", None)
    if getattr(annotation, "__origin__", None) is list and args:
        inner = _candidates(args[0])
        return [tuple(inner[:2]), [], tuple(inner[-3:]), (inner[0],)]
    if annotation is int:
        return INTS
    if annotation is float:
        return FLOATS
    if annotation is str:
        return STRS
    if annotation is bool:
        return BOOLS
    if annotation is Path:
        return PATHS
    assert issubclass(annotation, enum.Enum), annotation
    values = [m.value for m in annotation]
    return [*values, *(str(v).upper() for v in values), "bogus", next(iter(annotation)), ""]


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same type; floats to the bit (NaN is NaN, -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _outcome(fn: Any) -> tuple[str, Any]:
    try:
        return "value", fn()
    except Exception as exc:  # the message a user sees
        return type(exc).__name__, getattr(exc, "message", str(exc))


def test_every_parameter_coerces_as_typer_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the paths above are relative to the project
    params = _params()
    fast = [(c, p) for c, p in params if type(p._runtime_param).__name__ == "_Fast"]
    # every parameter of a plain type is read here (no file, no parser of its own)
    assert len(fast) >= 140, len(fast)
    kinds = {repr(p.type_descriptor.annotation) for _, p in fast}
    assert {"<class 'int'>", "<class 'float'>", "<class 'pathlib.Path'>", "list[str]"} <= kinds
    compared = read_here = 0
    for cmd, p in fast:
        td = p.type_descriptor
        ctx = typer.Context(cmd, info_name=cmd.name)
        typers = _coercion.build_runtime_param(td)
        for v in _candidates(td.annotation):
            ours = _outcome(lambda v=v, p=p, c=ctx: p._runtime_param.coerce(v, param=p, ctx=c))
            theirs = _outcome(lambda v=v, p=p, c=ctx, t=typers: t.coerce(v, param=p, ctx=c))
            assert ours[0] == theirs[0] and _same(ours[1], theirs[1]), (cmd.name, p.name, v)
            compared += 1
        # the plain values are read without typer's adapter (it is built only on demand)
        sample = {int: "12", float: "1.5", str: "abc", bool: True}.get(td.annotation)
        if sample is not None and p.type_descriptor.parameter_info.min is None:
            assert coercion._leaf(td.annotation, td.parameter_info, sample, ctx, p) is not None
            read_here += 1
    assert compared > 1000 and read_here > 50


def test_a_cold_run_builds_no_adapter() -> None:
    """``clustersim run`` parses its options without importing typer's adapters."""
    code = (
        "import sys, runpy\n"
        "sys.argv = ['clustersim', 'run', 'scenarios/zhenjiang-2026.yaml', '-n', '50', '-s', '3',"
        " '--lang', 'en']\n"
        "try:\n"
        "    runpy.run_module('clustersim', run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print('adapters' , 'typer._adapters' in sys.modules, file=sys.stderr)\n"
    )
    got = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "adapters False" in got.stderr
    assert "targets likely" in got.stdout


def test_bad_values_keep_typers_messages() -> None:
    """A value this module does not read gets typer's message, in the user's language."""
    for args, text in (
        (["--samples", "abc"], "valid integer"),
        (["--samples", "0"], "greater than or equal to 1"),
        (["--format", "xlsx"], "is not one of"),
    ):
        got = subprocess.run(
            [sys.executable, "-m", "clustersim", "run", "scenarios/zhenjiang-2026.yaml", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert got.returncode == 2, (args, got.stderr)
        assert text in got.stderr, (args, got.stderr)
