"""Mutation testing of clustersim's numeric core, on demand (issue 22; not part of CI).

A small AST mutator with per-line test selection. It changes one thing at a time in the
source (an arithmetic operator, a comparison, a constant, a condition, a min/max, a
returned value), runs only the tests that executed that line (from coverage contexts),
and calls the mutant *killed* when a test fails, *survived* when they all pass. A
surviving mutant is a wrong number no test catches, unless it is *equivalent* (it cannot
change any result): those are listed, each with its reason, in
``tools/equivalent-mutants.yaml``, and left out of the score.

Why not mutmut or cosmic-ray: mutmut 3 rewrites the package into a ``mutants/`` copy with
trampolines and runs its own test collection (it does not pick tests by the covered line
and trips over the src layout, numba and the process-pool tests here); cosmic-ray needs a
session database, a config per module and a separate baseline run. Both bring a
dependency for what is ~300 lines on ``ast`` and coverage's own per-test contexts.

Usage (from the repository root)::

    python tools/mutate.py                                   # the whole numeric core
    python tools/mutate.py src/clustersim/sampling/normal.py src/clustersim/kinds/targets/level.py
    python tools/mutate.py --list src/clustersim/engine.py   # the mutants, without running
    python tools/mutate.py --jobs 2 --out out/mutation       # workers, report directory
    python tools/mutate.py --rescore                         # after editing the equivalents
    python tools/mutate.py --rescore --rejudged out/rerun    # with survivors run again

It first runs the tests under coverage with per-test contexts (``--tests``, default
``tests``; ``--reuse-coverage`` skips that when ``OUT/.coverage`` exists), then every
mutant. The report is ``OUT/report.md`` (score, survivors with file, line and source) and
``OUT/report.json``; the exit code is 1 when the score is below ``--fail-under``.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures as cf
import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
#: the numeric core: target and growth kinds, the projection core, distributions, the
#: compiler and the run (required growth)
CORE = (
    "src/clustersim/kinds",
    "src/clustersim/core",
    "src/clustersim/sampling",
    "src/clustersim/engine.py",
    "src/clustersim/compile.py",
)
EQUIVALENT = ROOT / "tools" / "equivalent-mutants.yaml"

BINOP = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
}
CMPOP = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
SWAP_NAMES = {
    "min": "max",
    "max": "min",
    "minimum": "maximum",
    "maximum": "minimum",
    "argmin": "argmax",
    "argmax": "argmin",
    "floor": "ceil",
    "ceil": "floor",
    "any": "all",
    "all": "any",
}
#: AST fields never mutated: annotations, decorators, docstrings and messages
SKIP_FIELDS = {"annotation", "returns", "decorator_list", "type_comment"}


@dataclass
class Mutant:
    """One change to one file: where, what, and the key the equivalents file uses."""

    file: str  # relative to the repository root
    line: int
    end_line: int
    index: int  # position in ast.walk order of the node it changes
    what: str  # e.g. "< -> <=", "0.5 -> 1.5", "return -> return None"
    scope: str  # enclosing function or class, dotted
    source: str  # the original line, stripped
    key: str = ""
    status: str = "pending"  # killed, survived, timeout, uncovered, equivalent, error
    tests: int = 0
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds of its run (forked runs only)
    #: its lines run only while the package is imported (a registry built at import): a
    #: forked child, forked after the import, would never run the mutant, so it runs fresh
    import_time: bool = False
    reason: str = ""
    #: how it ran: "fork", "fork, set at import level" (tools/_mutate_fork.py), or
    #: "fresh: <why it could not be set in a fork>"
    ran: str = ""
    #: the first line of the statement holding it: coverage reports a multi-line statement
    #: (a tuple of constants) on that line only
    stmt_line: int = 0


@dataclass
class Point:
    node: ast.AST
    what: str
    apply: Any = field(repr=False)  # (node) -> replacement node (or the node, changed in place)


def _points(node: ast.AST) -> Iterator[Point]:
    """The mutations of one node (none for most nodes)."""
    if isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in BINOP:
        new = BINOP[type(node.op)]

        def swap_op(n: Any, new: type = new) -> ast.AST:
            n.op = new()
            return n  # type: ignore[no-any-return]

        yield Point(node, f"{_sym(node.op)} -> {_sym(new())}", swap_op)
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in CMPOP:
                cmp: type = CMPOP[type(op)]

                def swap_cmp(n: Any, i: int = i, new: type = cmp) -> ast.AST:
                    n.ops[i] = new()
                    return n  # type: ignore[no-any-return]

                yield Point(node, f"{_sym(op)} -> {_sym(cmp())}", swap_cmp)
    elif isinstance(node, ast.BoolOp):
        new_b: type = ast.Or if isinstance(node.op, ast.And) else ast.And

        def swap_bool(n: Any, new: type = new_b) -> ast.AST:
            n.op = new()
            return n  # type: ignore[no-any-return]

        yield Point(node, f"{_sym(node.op)} -> {_sym(new_b())}", swap_bool)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        yield Point(node, f"drop {_sym(node.op)}", lambda n: n.operand)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        v: Any = node.value
        if isinstance(v, bool):
            nv: Any = not v
        elif v == 0:
            nv = type(v)(1)
        elif v == 1 and isinstance(v, int):
            nv = 0
        elif v + 1 == v:  # a float too large for + 1 to change it (1e100): a real change
            nv = v * 2
        else:
            nv = v + 1

        def set_const(n: Any, nv: Any = nv) -> ast.AST:
            n.value = nv
            return n  # type: ignore[no-any-return]

        yield Point(node, f"{v!r} -> {nv!r}", set_const)
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):

            def drop_value(n: Any) -> ast.AST:
                n.value = ast.Constant(None)
                return n  # type: ignore[no-any-return]

            yield Point(node, "return x -> return None", drop_value)
    elif isinstance(node, ast.If | ast.While | ast.IfExp):

        def negate(n: Any) -> ast.AST:
            n.test = ast.UnaryOp(ast.Not(), n.test)
            return n  # type: ignore[no-any-return]

        yield Point(node, "condition -> not condition", negate)
    elif isinstance(node, ast.Name) and node.id in SWAP_NAMES and isinstance(node.ctx, ast.Load):

        def swap_name(n: Any) -> ast.AST:
            n.id = SWAP_NAMES[n.id]
            return n  # type: ignore[no-any-return]

        yield Point(node, f"{node.id} -> {SWAP_NAMES[node.id]}", swap_name)
    elif isinstance(node, ast.Attribute) and node.attr in SWAP_NAMES:

        def swap_attr(n: Any) -> ast.AST:
            n.attr = SWAP_NAMES[n.attr]
            return n  # type: ignore[no-any-return]

        yield Point(node, f".{node.attr} -> .{SWAP_NAMES[node.attr]}", swap_attr)


def _sym(op: ast.AST) -> str:
    return {
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.Div: "/",
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.Pow: "**",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.Lt: "<",
        ast.LtE: "<=",
        ast.Gt: ">",
        ast.GtE: ">=",
        ast.Eq: "==",
        ast.NotEq: "!=",
        ast.Is: "is",
        ast.IsNot: "is not",
        ast.In: "in",
        ast.NotIn: "not in",
        ast.And: "and",
        ast.Or: "or",
        ast.Not: "not",
        ast.USub: "-",
    }.get(type(op), type(op).__name__)


def _skipped(tree: ast.Module) -> set[int]:
    """ids of nodes never mutated: annotations, decorators, docstrings, f-strings,
    ``if TYPE_CHECKING:`` blocks, ``__all__`` and asserts (with everything under them)."""
    out: set[int] = set()

    def mark(n: ast.AST) -> None:
        out.update(id(x) for x in ast.walk(n))

    for node in ast.walk(tree):
        for name, value in ast.iter_fields(node):
            if name in SKIP_FIELDS:
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, ast.AST):
                        mark(v)
        if _never(node):
            mark(node)
    return out


def _never(node: ast.AST) -> bool:
    """A node mutated nowhere inside: an f-string, an assert, an ``if TYPE_CHECKING:``
    block, ``__all__`` or a docstring."""
    if isinstance(node, ast.JoinedStr | ast.Assert):
        return True
    if isinstance(node, ast.If):
        return "TYPE_CHECKING" in ast.unparse(node.test)
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _scopes(tree: ast.Module) -> dict[int, str]:
    """id of every node -> the dotted name of its enclosing class/function."""
    out: dict[int, str] = {}

    def visit(n: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(n):
            s = scope
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                s = f"{scope}.{child.name}" if scope else child.name
            out[id(child)] = s
            visit(child, s)

    visit(tree, "")
    return out


def mutants_of(path: Path) -> list[Mutant]:
    """Every mutant of one file, with a key that survives line moves."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    skip, scopes = _skipped(tree), _scopes(tree)
    # the innermost statement holding each node (walk is breadth first: inner ones last)
    stmt_of: dict[int, int] = {}
    for st in ast.walk(tree):
        if isinstance(st, ast.stmt):
            for sub in ast.walk(st):
                stmt_of[id(sub)] = st.lineno
    rel = path.resolve().relative_to(ROOT).as_posix()
    out: list[Mutant] = []
    seen: dict[str, int] = {}
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip or not hasattr(node, "lineno"):
            continue
        for p in _points(node):
            src = lines[node.lineno - 1].strip()
            scope = scopes.get(id(node), "")
            base = f"{rel}|{scope}|{src}|{p.what}"
            n = seen.get(base, 0)
            seen[base] = n + 1
            digest = hashlib.sha1(f"{base}|{n}".encode()).hexdigest()[:10]
            out.append(
                Mutant(
                    rel,
                    node.lineno,
                    getattr(node, "end_lineno", node.lineno) or node.lineno,
                    index,
                    p.what,
                    scope,
                    src,
                    key=f"{rel}:{scope or '<module>'}:{digest}",
                    stmt_line=stmt_of.get(id(node), node.lineno),
                )
            )
    return out


def mutated_source(path: Path, m: Mutant) -> str:
    """The file's source with mutant ``m`` applied (unparsed: comments are dropped)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for index, node in enumerate(ast.walk(tree)):
        if index != m.index:
            continue
        for p in _points(node):
            if p.what != m.what:
                continue
            holder = _parent_field(tree, node)
            new = p.apply(node)
            if holder is not None and new is not node:
                parent, name, i = holder
                if i is None:
                    setattr(parent, name, new)
                else:
                    getattr(parent, name)[i] = new
            return ast.unparse(ast.fix_missing_locations(tree))
    raise LookupError(f"mutant {m.key} ({m.what}) not found in {m.file}")


def _parent_field(tree: ast.AST, target: ast.AST) -> tuple[ast.AST, str, int | None] | None:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is target:
                return parent, name, None
            if isinstance(value, list):
                for i, v in enumerate(value):
                    if v is target:
                        return parent, name, i
    return None


# --- which tests run which line ------------------------------------------------------------------


def coverage_map(
    files: list[Path], tests: list[str], out: Path, reuse: bool
) -> tuple[dict[str, dict[int, set[str]]], dict[str, float]]:
    """Per file, line -> node ids of the tests that ran it; and each test's duration."""
    data_file, times_file = out / ".coverage", out / "times.json"
    failed_file = out / "failed.json"
    if not (reuse and data_file.exists() and times_file.exists()):
        rc = out / "coveragerc"
        rc.write_text("[run]\ninclude =\n" + "".join(f"    {f}\n" for f in files), encoding="utf-8")
        env = {
            **os.environ,
            "COVERAGE_FILE": str(data_file),
            "MUTATE_TIMES": str(times_file),
            "MUTATE_FAILED": str(failed_file),
            "PYTHONPATH": os.pathsep.join([str(SRC), str(ROOT / "tools"), str(ROOT)]),
        }
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p"]
        cmd += ["_mutate_timing", "--cov", f"--cov-config={rc}", "--cov-context=test"]
        cmd += ["--cov-report=", *tests]
        print("coverage run:", " ".join(cmd), flush=True)
        res = subprocess.run(cmd, cwd=ROOT, env=env)
        if res.returncode not in (0, 1):  # 1: some test failed; the map is still useful
            raise SystemExit(f"the coverage run failed (exit {res.returncode})")
    from coverage import CoverageData

    data = CoverageData(basename=str(data_file))
    data.read()
    per_file: dict[str, dict[int, set[str]]] = {}
    for f in files:
        by_line = data.contexts_by_lineno(str(f))
        per_file[str(f)] = {
            line: {c.split("|")[0] for c in ctxs if c} for line, ctxs in by_line.items()
        }
    times = json.loads(times_file.read_text(encoding="utf-8"))
    # a test failing without any mutant would "kill" every mutant it is chosen for
    failed = (
        set(json.loads(failed_file.read_text(encoding="utf-8"))) if failed_file.exists() else set()
    )
    if failed:
        print(f"{len(failed)} tests fail without any mutant; left out:", flush=True)
        for t in sorted(failed):
            print(f"  {t}", flush=True)
        for by_line in per_file.values():
            for ids in by_line.values():
                ids -= failed
        times = {t: v for t, v in times.items() if t not in failed}
    return per_file, times


def select(m: Mutant, lines: dict[int, set[str]]) -> set[str]:
    """Tests that ran the mutant's lines; for a line run only at import (a module
    constant, a default argument), every test that ran any line of the file."""
    chosen: set[str] = set()
    ran = False
    for line in range(m.line, m.end_line + 1):
        if line in lines:
            ran = True
            chosen |= lines[line]
    if not ran and m.stmt_line in lines:  # a continuation line of a multi-line statement
        ran = True
        chosen = set(lines[m.stmt_line])
    if ran and not chosen:
        chosen = set().union(*lines.values())
        m.import_time = True
    return chosen


# --- running mutants -----------------------------------------------------------------------------


class _NamingTests:
    """For a mutant of import-time code (a constant, a default, a class attribute): the
    tests whose module names it. A test that reads ``Kind.percent`` runs no line of the
    kind's file, so the coverage map alone would not choose it (nor, under a test budget,
    reach it among hundreds of tests that import the file)."""

    def __init__(self, tests: Iterable[str]) -> None:
        """``tests``: every test id of the run (those that ran no line of the core too)."""
        self.by_file: dict[str, set[str]] = {}
        for t in tests:
            self.by_file.setdefault(t.split("::")[0], set()).add(t)
        self.text = {
            f: (ROOT / f).read_text(encoding="utf-8") for f in self.by_file if (ROOT / f).is_file()
        }

    def tiers(self, m: Mutant) -> dict[str, int]:
        """Test id -> 0 (its module names the symbol and its class or module), 1 (the
        symbol only), 2 (its class or module only)."""
        source = m.source
        if m.stmt_line and m.stmt_line != m.line:  # a continuation line: its statement's name
            source = (ROOT / m.file).read_text(encoding="utf-8").splitlines()[m.stmt_line - 1]
        hit = re.match(r"\s*(?:def\s+)?(\w+)", source)
        symbol = hit.group(1) if hit else ""
        owner = {m.scope.split(".")[0], Path(m.file).stem} - {"", "__init__", "_base", "base"}
        if not m.scope:  # a module constant or alias: the classes built from it name it too
            owner |= _users(ROOT / m.file, symbol)
        out: dict[str, int] = {}
        for f, text in self.text.items():
            has = {w for w in (symbol, *owner) if w and re.search(rf"\b{re.escape(w)}\b", text)}
            if not has:
                continue
            tier = (0 if len(has) > 1 else 1) if symbol in has else 2
            for t in self.by_file[f]:
                out[t] = tier
        return out


def _users(path: Path, symbol: str) -> set[str]:
    """The module-level names of ``path`` whose definition reads ``symbol``, directly or
    through another such name (``_Ar = Annotated[_ArRange, ...]``, ``class Shocks: ar:
    _Ar``): {"_Ar", "Shocks"} for ``_ArRange``."""
    reads: dict[str, set[str]] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            name = node.name
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                continue
            name = targets[0].id
        else:
            continue
        reads[name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - {name}
    found: set[str] = set()
    frontier = {symbol}
    while frontier:
        new = {k for k, r in reads.items() if r & frontier} - found - {symbol}
        found |= new
        frontier = new
    return found


def run_one(
    m: Mutant, tests: list[str], times: dict[str, float], work: Path, factor: float
) -> None:
    """Apply ``m`` in the worker's copy of ``src``, run ``tests`` (fastest first, stop at the
    first failure), restore the file."""
    target = work / "src" / Path(m.file).relative_to("src")
    original = target.read_text(encoding="utf-8")
    try:
        target.write_text(mutated_source(ROOT / m.file, m), encoding="utf-8")
    except (LookupError, SyntaxError) as exc:
        m.status, m.reason = "error", str(exc)
        return
    tests = sorted(tests, key=lambda t: times.get(t, 60.0))
    args = work / "args.txt"
    args.write_text(
        "\n".join(str(ROOT / t.split("::")[0]) + t[len(t.split("::")[0]) :] for t in tests),
        encoding="utf-8",
    )
    budget = 60.0 + factor * sum(times.get(t, 10.0) for t in tests)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(work / "src"), str(ROOT)]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header"]
    cmd += ["-p", "no:randomly", "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml")]
    cmd += [f"@{args}"]
    t0 = time.perf_counter()
    try:
        res = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=budget)
        # 2: collection failed (the mutant breaks an import); the unmutated suite collects
        m.status = {0: "survived", 1: "killed", 2: "killed", 4: "killed"}.get(
            res.returncode, "error"
        )
        if res.returncode in (2, 4):  # the ids collect unmutated: the mutant broke an import
            m.reason = "collection failed under the mutant"
        if m.status == "error":
            m.reason = (res.stdout + res.stderr)[-400:]
    except subprocess.TimeoutExpired:
        m.status = "timeout"  # an endless loop counts as caught
    finally:
        m.seconds = time.perf_counter() - t0
        target.write_text(original, encoding="utf-8")


def load_equivalent(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    import yaml

    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {str(e["key"]): str(e["reason"]) for e in items}


def report(mutants: list[Mutant], out: Path, elapsed: float) -> float:
    counts: dict[str, int] = {}
    for m in mutants:
        counts[m.status] = counts.get(m.status, 0) + 1
    caught = counts.get("killed", 0) + counts.get("timeout", 0)
    judged = caught + counts.get("survived", 0)
    score = 100.0 * caught / judged if judged else 100.0
    (out / "report.json").write_text(
        json.dumps(
            {
                "score": score,
                "counts": counts,
                "elapsed": elapsed,
                "mutants": [asdict(m) for m in mutants],
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    lines = [
        "# Mutation report",
        "",
        f"Score: **{score:.1f}%** ({caught} of {judged} caught; equivalent and uncovered left out). "
        f"{len(mutants)} mutants in {elapsed / 60:.1f} min wall time; the forked runs used "
        f"{sum(m.cpu for m in mutants) / 60:.1f} CPU minutes.",
        "",
        "Mutants of import-time code (a constant, a default, a class attribute): "
        f"{sum(m.ran == 'fork, set at import level' for m in mutants)} set on the live "
        "objects in a forked child, "
        f"{sum(m.import_time and m.ran.startswith('fresh') for m in mutants)} in a fresh "
        "interpreter.",
        "",
        "| status | mutants |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in sorted(counts.items())),
        "",
        "## Survived (add a test that checks the number, or list it as equivalent with its reason)",
        "",
        "| file:line | scope | mutation | source | key |",
        "|---|---|---|---|---|",
    ]
    for m in mutants:
        if m.status in ("survived", "uncovered", "error"):
            tag = "" if m.status == "survived" else f" ({m.status})"
            lines.append(
                f"| {m.file}:{m.line} | {m.scope} | `{m.what}`{tag} | `{m.source[:70]}` | {m.key} |"
            )
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return score


def from_progress(files: list[Path], out: Path) -> list[Mutant]:
    """The mutants of a run that was stopped before its report: statuses from
    ``OUT/progress.jsonl``; a mutant no covering test ran is ``uncovered`` (from the run's
    coverage map), any other not yet run ``not run`` (left out of the score)."""
    for need in (".coverage", "times.json", "progress.jsonl"):
        if not (out / need).exists():
            raise SystemExit(f"{out} has no report.json and no {need}: nothing to rescore")
    lines, _ = coverage_map(files, [], out, reuse=True)
    ran = {}
    for row in (out / "progress.jsonl").read_text(encoding="utf-8").splitlines():
        if row.strip():
            m = Mutant(**json.loads(row))
            ran[m.key] = m
    done = []
    for m in (m for f in files for m in mutants_of(f)):
        if m.key in ran:
            done.append(ran[m.key])
            continue
        m.status = "not run" if select(m, lines.get(str(ROOT / m.file), {})) else "uncovered"
        done.append(m)
    return done


def rejudged(dirs: list[Path]) -> dict[str, tuple[str, str]]:
    """Statuses from later runs of some mutants (``--keys``), by key: the last run that ran
    a mutant (killed, survived or timeout) decides; a mutant it did not run keeps the first
    run's status."""
    out: dict[str, tuple[str, str]] = {}
    for d in dirs:
        got = json.loads((d / "report.json").read_text(encoding="utf-8"))
        for m in got["mutants"]:
            if m["status"] in ("killed", "survived", "timeout"):
                out[m["key"]] = (m["status"], str(d))
    return out


def expand(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        q = (ROOT / p).resolve()
        files += sorted(q.rglob("*.py")) if q.is_dir() else [q]
    return [f for f in files if f.name != "__main__.py"]


def _ordered(
    tests: list[str],
    times: dict[str, float],
    budget: float = math.inf,
    first: dict[str, int] | None = None,
) -> list[str]:
    """Fastest first (within each tier of ``first``: test id -> 0, 1, 2; others after); with a
    ``budget`` (seconds of recorded test time), only the first tests that fit in it (at
    least one): a mutant that survives them is reported as surviving, so a budget can only
    lower the score."""
    tier = first or {}
    out, spent = [], 0.0
    for t in sorted(tests, key=lambda t: (tier.get(t, 3), times.get(t, 60.0))):
        spent += times.get(t, 60.0)
        if out and spent > budget:
            break
        out.append(t)
    return out


def run_warm(
    todo: list[tuple[Mutant, list[str]]],
    files: list[Path],
    times: dict[str, float],
    a: argparse.Namespace,
) -> list[tuple[Mutant, list[str]]]:
    """Every mutant in a child forked from one warm parent that has collected the whole
    suite (see ``_mutate_fork``); returns those that need a fresh interpreter (outside any
    function)."""
    import pytest
    from _mutate_fork import Loop, Warm

    os.chdir(ROOT)
    t0 = time.perf_counter()
    warm = Warm(ROOT, SRC, a.tests, files)
    logs = a.out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    progress = a.out / "progress.jsonl"
    progress.write_text("", encoding="utf-8")
    # an import-time mutant is set on the live objects where that is exact (see
    # Warm.patch_body); the child says "unpatchable" otherwise and it runs fresh below
    fresh = [t for t in todo if t[0].import_time and a.import_fresh]
    todo = [t for t in todo if not (t[0].import_time and a.import_fresh)]

    def schedule(items: dict[str, Any], run: Any) -> None:
        print(f"warm parent ready in {time.perf_counter() - t0:.1f} s", flush=True)
        pending, running = list(todo), []
        try:
            _loop(pending, running, run)
        finally:  # a stopped run leaves no child behind
            for _, _, child in running:
                with contextlib.suppress(ProcessLookupError, ChildProcessError):
                    os.kill(child.pid, signal.SIGKILL)
                    os.waitpid(child.pid, 0)

    def _loop(pending: list[tuple[Mutant, list[str]]], running: list[Any], run: Any) -> None:
        sources: dict[str, str] = {}
        done = 0
        while pending or running:
            while pending and len(running) < a.jobs:
                m, tests = pending.pop(0)
                path = ROOT / m.file
                text = sources.setdefault(m.file, path.read_text(encoding="utf-8"))
                try:
                    mutated = mutated_source(path, m)
                except (LookupError, SyntaxError) as exc:
                    m.status, m.reason = "error", str(exc)
                    continue
                tests = _ordered(tests, times, a.test_budget, a.first.get(m.key))
                budget = 30.0 + a.timeout_factor * sum(times.get(t, 10.0) for t in tests)
                log = logs / f"w{len(running)}.log"
                child = run(tests, (path, text, mutated, m.import_time), budget, log)
                running.append((m, tests, child))
            still = []
            for m, tests, child in running:
                res = child.poll()
                if res is None:
                    still.append((m, tests, child))
                    continue
                status, reason, seconds = res
                if status == "unpatchable":
                    m.ran = f"fresh: {reason}"
                    fresh.append((m, tests))
                    continue
                m.status, m.reason, m.seconds, m.cpu = status, reason, seconds, child.cpu
                m.ran = "fork, set at import level" if m.import_time else "fork"
                with progress.open("a", encoding="utf-8") as f:  # a partial run can be scored
                    f.write(json.dumps(asdict(m)) + "\n")
                done += 1
                print(f"[{done}/{len(todo)}] {m.status:9} {m.file}:{m.line} {m.what}", flush=True)
            running[:] = still
            time.sleep(0.002)

    # SIGTERM runs the finally above (Python's default would exit without it)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    args = [*warm.pytest_args(), "-q", "--capture=no", *a.tests]
    pytest.main(args, plugins=[Loop(warm, schedule)])
    return fresh


def run_fresh(
    todo: list[tuple[Mutant, list[str]]], times: dict[str, float], a: argparse.Namespace
) -> None:
    """Every mutant in its own pytest process, on a copy of ``src`` per worker."""
    progress = a.out / "progress.jsonl"  # appended to the forked runs' rows
    progress.touch()
    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        works = []
        for j in range(a.jobs):
            w = Path(tmp) / f"w{j}"
            shutil.copytree(SRC, w / "src", ignore=shutil.ignore_patterns("__pycache__"))
            works.append(w)
        free = list(works)

        def job(item: tuple[Mutant, list[str]]) -> Mutant:
            item[0].ran = item[0].ran or "fresh"
            w = free.pop()
            try:
                tests = _ordered(item[1], times, a.test_budget, a.first.get(item[0].key))
                run_one(item[0], tests, times, w, a.timeout_factor)
            finally:
                free.append(w)
            with progress.open("a", encoding="utf-8") as f:  # a partial run can be scored
                f.write(json.dumps(asdict(item[0])) + "\n")
            return item[0]

        with cf.ThreadPoolExecutor(a.jobs) as pool:
            for k, m in enumerate(pool.map(job, todo), 1):
                print(
                    f"[fresh {k}/{len(todo)}] {m.status:9} {m.file}:{m.line} {m.what}", flush=True
                )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", default=list(CORE), help="files or folders to mutate")
    ap.add_argument("--tests", nargs="+", default=["tests"], help="tests for the coverage map")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "mutation")
    ap.add_argument("--reuse-coverage", action="store_true")
    ap.add_argument("--timeout-factor", type=float, default=4.0)
    ap.add_argument("--equivalent", type=Path, default=EQUIVALENT)
    ap.add_argument("--list", action="store_true", help="print the mutants and stop")
    ap.add_argument(
        "--fresh",
        action="store_true",
        help="a fresh pytest process per mutant (slow; the default forks a warm parent)",
    )
    ap.add_argument(
        "--import-fresh",
        action="store_true",
        help="run every mutant of import-time code in a fresh interpreter (the default sets "
        "default arguments, constants and class variables on the live objects where exact)",
    )
    ap.add_argument("--keys", nargs="+", help="run only the mutants with these keys")
    ap.add_argument(
        "--test-budget",
        type=float,
        default=math.inf,
        help="seconds of recorded test time per mutant (fastest covering tests first); a "
        "mutant surviving them counts as surviving, so the score is a lower bound",
    )
    ap.add_argument(
        "--sample",
        type=float,
        default=1.0,
        help="run this share of the mutants (by key, deterministic), to measure and extrapolate",
    )
    ap.add_argument("--fail-under", type=float, default=0.0)
    ap.add_argument(
        "--rescore",
        action="store_true",
        help="re-read OUT/report.json with the current equivalents file, run nothing",
    )
    ap.add_argument(
        "--rejudged",
        nargs="+",
        type=Path,
        default=[],
        metavar="DIR",
        help="with --rescore: report folders of later runs of some mutants (survivors run "
        "again with --keys, after new tests); their status replaces the first run's",
    )
    a = ap.parse_args(argv)
    if a.rescore:
        equivalent = load_equivalent(a.equivalent)
        if (a.out / "report.json").exists():
            old = json.loads((a.out / "report.json").read_text(encoding="utf-8"))
            done = [Mutant(**m) for m in old["mutants"]]
            elapsed = float(old.get("elapsed", 0.0))  # the run's own wall time
        else:  # a run stopped early: its progress.jsonl, the rest "not run"
            done = from_progress(expand(a.paths), a.out)
            elapsed = 0.0
        later = rejudged(a.rejudged)
        for m in done:
            if m.key in later:
                status, where = later[m.key]
                if m.status != status:
                    m.status, m.reason = status, f"{status} in the re-run {where}"
            if m.key in equivalent:
                m.status, m.reason = "equivalent", equivalent[m.key]
        score = report(done, a.out, elapsed)
        print(f"score {score:.1f}% -> {a.out / 'report.md'}")
        return 1 if score < a.fail_under else 0
    files = expand(a.paths)
    mutants = [m for f in files for m in mutants_of(f)]
    if a.keys:  # re-judge given mutants (survivors of an earlier run, after a fix)
        wanted = set(a.keys)
        mutants = [m for m in mutants if m.key in wanted]
        for k in sorted(wanted - {m.key for m in mutants}):
            print(f"{k}: no such mutant now (its line changed or went away)")
    if a.list:
        for m in mutants:
            print(f"{m.file}:{m.line}\t{m.what}\t{m.source}\t{m.key}")
        print(f"{len(mutants)} mutants in {len(files)} files")
        return 0
    a.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    lines, times = coverage_map(files, a.tests, a.out, a.reuse_coverage)
    equivalent = load_equivalent(a.equivalent)
    todo: list[tuple[Mutant, list[str]]] = []
    a.first = {}
    naming = _NamingTests(times)  # the timing plugin saw every test
    for m in mutants:
        if m.key in equivalent:
            m.status, m.reason = "equivalent", equivalent[m.key]
            continue
        chosen = select(m, lines.get(str(ROOT / m.file), {}))
        if m.import_time:  # the tests that name it first: reading a ClassVar runs no line
            a.first[m.key] = naming.tiers(m)
            chosen |= set(a.first[m.key])
        m.tests = len(chosen)
        if not chosen:
            m.status = "uncovered"
            continue
        todo.append((m, sorted(chosen)))
    if a.sample < 1.0:  # a deterministic share of the mutants, to measure and extrapolate
        todo = [t for t in todo if int(t[0].key.rsplit(":", 1)[1], 16) < a.sample * 16**10]
        # in the order of their keys' digests: a run stopped early is still a random sample
        todo.sort(key=lambda t: t[0].key.rsplit(":", 1)[1])
    print(f"{len(mutants)} mutants, {len(todo)} to run on {a.jobs} workers", flush=True)
    fresh = todo if a.fresh else run_warm(todo, files, times, a)
    if fresh:
        print(f"{len(fresh)} mutants in fresh interpreters", flush=True)
        run_fresh(fresh, times, a)
    score = report(mutants, a.out, time.perf_counter() - t0)
    print(f"score {score:.1f}% -> {a.out / 'report.md'}")
    return 1 if score < a.fail_under else 0


if __name__ == "__main__":
    sys.exit(main())
