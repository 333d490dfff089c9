"""The import contract of DESIGN.md / STYLE.md, kept by a test rather than by hope.

- ``clustersim.core`` imports numpy, the standard library and itself only;
- pyarrow lives in ``clustersim.io`` and the sweep's Parquet sink, YAML in the loader, typer and rich in the CLI
  (the ``cli/`` package);
- nothing imports the CLI.

Every import statement counts, including those inside functions (lazy imports) and
calls to ``importlib.import_module`` / ``__import__`` with a literal name. Imports under
``if TYPE_CHECKING:`` never run; they are exempt from the placement rules, not from the
core rule (the core should not even name the outer layers).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

import clustersim

SRC = Path(clustersim.__file__).resolve().parent  # .../src/clustersim
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


def _is_cli(rel: str) -> bool:
    """The CLI: the ``cli/`` package (one module per command group) and ``python -m clustersim``."""
    return rel.startswith("cli/") or rel == "__main__.py"


#: third-party top-level package -> module paths (relative to src/clustersim) allowed to import it
PLACEMENT = {
    # the result writers: tables (io/) and the sweep's streamed Parquet parts
    "pyarrow": lambda rel: rel.startswith("io/") or rel == "sweep/parquet_sink.py",
    "typer": lambda rel: _is_cli(rel),
    "rich": lambda rel: _is_cli(rel),
    "click": lambda rel: _is_cli(rel),
    # reading in the loader, writing in the one YAML writer
    "yaml": lambda rel: rel in ("scenario/loader.py", "yamlout.py"),
    # the what-if page: the web framework in serve/, the server in its command
    "starlette": lambda rel: rel.startswith("serve/"),
    "uvicorn": lambda rel: rel == "cli/serve.py",
}
CORE_ALLOWED = {"numpy"}
#: clustersim modules outside the core that the core may use: standard library only
CORE_ALLOWED_INTERNAL = {"clustersim.suggest"}


@dataclass(frozen=True)
class Imp:
    module: str  # absolute dotted name
    line: int
    type_checking: bool

    @property
    def top(self) -> str:
        return self.module.split(".")[0]


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(source: str, modname: str, is_package: bool = False) -> list[Imp]:
    """Every module ``source`` imports, resolved to absolute names."""
    tree = ast.parse(source)
    found: list[Imp] = []
    package = modname if is_package else modname.rpartition(".")[0]

    def visit(node: ast.AST, tc: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, tc)
            return
        if isinstance(node, ast.Import):
            found.extend(Imp(a.name, node.lineno, tc) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            found.append(Imp(mod, node.lineno, tc))
            if node.module is None or node.level:
                # "from . import x" may import submodule x
                found.extend(Imp(f"{mod}.{a.name}", node.lineno, tc) for a in node.names)
        elif isinstance(node, ast.Call):
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", None)
            if (
                name in ("import_module", "__import__")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append(Imp(node.args[0].value, node.lineno, tc))
        for child in ast.iter_child_nodes(node):
            visit(child, tc)

    visit(tree, False)
    return found


def modules() -> list[tuple[str, Path, list[Imp]]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        name = module_name(path)
        out.append(
            (
                rel,
                path,
                imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py"),
            )
        )
    return out


MODULES = modules()


def core_violations(rel: str, imps: list[Imp]) -> list[str]:
    if not rel.startswith("core/"):
        return []
    bad = []
    for imp in imps:
        ok = (
            imp.top in STDLIB
            or imp.top in CORE_ALLOWED
            or imp.module == "clustersim.core"
            or imp.module.startswith("clustersim.core.")
            or imp.module in CORE_ALLOWED_INTERNAL
        )
        if not ok:
            bad.append(f"clustersim/{rel}:{imp.line} imports {imp.module}")
    return bad


def placement_violations(rel: str, imps: list[Imp]) -> list[str]:
    bad = []
    for imp in imps:
        allowed = PLACEMENT.get(imp.top)
        if allowed is not None and not imp.type_checking and not allowed(rel):
            bad.append(f"clustersim/{rel}:{imp.line} imports {imp.module}")
    return bad


# --- the checker itself ----------------------------------------------------------------------


def test_the_source_tree_is_found():
    rels = {rel for rel, _, _ in MODULES}
    assert {
        "core/project.py",
        "core/kernels.py",
        "io/tables.py",
        "cli/__init__.py",
        "scenario/loader.py",
    } <= rels


def test_the_checker_sees_every_kind_of_import():
    src = textwrap.dedent(
        """
        import os, pydantic.fields
        from typing import TYPE_CHECKING
        from . import kernels
        from .. import engine
        from ..io.tables import write_result
        if TYPE_CHECKING:
            import pandas
        def lazy():
            import yaml
            from scipy import optimize
            importlib.import_module("pyarrow.parquet")
        """
    )
    imps = imports_of(src, "clustersim.core.fake")
    names = {(i.module, i.type_checking) for i in imps}
    assert ("os", False) in names and ("pydantic.fields", False) in names
    assert ("clustersim.core.kernels", False) in names
    assert ("clustersim.engine", False) in names
    assert ("clustersim.io.tables", False) in names
    assert ("pandas", True) in names
    assert ("yaml", False) in names and ("scipy", False) in names
    assert ("pyarrow.parquet", False) in names
    bad = core_violations("core/fake.py", imps)
    for mod in (
        "pydantic.fields",
        "clustersim.engine",
        "clustersim.io.tables",
        "pandas",
        "yaml",
        "scipy",
        "pyarrow.parquet",
    ):
        assert any(b.endswith(f"imports {mod}") for b in bad), mod
    assert not any(b.endswith(("imports os", "imports clustersim.core.kernels")) for b in bad)
    placed = placement_violations("core/fake.py", imps)
    assert {b.rsplit(" ", 1)[1] for b in placed} == {"yaml", "pyarrow.parquet"}


# --- the contract ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "imps"),
    [(rel, imps) for rel, _, imps in MODULES if rel.startswith("core/")],
    ids=[rel for rel, _, _ in MODULES if rel.startswith("core/")],
)
def test_core_imports_only_numpy_stdlib_and_itself(rel, imps):
    assert core_violations(rel, imps) == []


def test_outer_layer_packages_stay_in_their_modules():
    bad = [b for rel, _, imps in MODULES for b in placement_violations(rel, imps)]
    assert bad == []


def test_nothing_outside_the_cli_imports_it():
    """The command line sits on top: the API, writers and reports never call back into it."""
    bad = [
        f"clustersim/{rel}:{imp.line} imports {imp.module}"
        for rel, _, imps in MODULES
        if not _is_cli(rel)
        for imp in imps
        if imp.module == "clustersim.cli" or imp.module.startswith("clustersim.cli.")
    ]
    assert bad == []


def test_no_command_module_imports_the_cli_package_back():
    """Command groups expose ``COMMANDS``; ``cli/__init__.py`` registers them (no circle)."""
    bad = [
        f"clustersim/{rel}:{imp.line} imports {imp.module}"
        for rel, _, imps in MODULES
        if _is_cli(rel) and rel not in ("cli/__init__.py", "cli/__main__.py", "__main__.py")
        for imp in imps
        if imp.module == "clustersim.cli"
    ]
    assert bad == []


def test_core_does_not_reach_up_into_outer_modules():
    """No module of the core reaches up into compile, engine, scenario, io or cli."""
    for rel, _, imps in MODULES:
        if rel.startswith("core/"):
            up = [
                i.module
                for i in imps
                if i.top == "clustersim"
                and not i.module.startswith("clustersim.core")
                and i.module not in CORE_ALLOWED_INTERNAL
            ]
            assert up == [], rel


def _loaded_after(statement: str) -> set[str]:
    code = (
        f"import sys\n{statement}\n"
        "heavy = ('pydantic', 'yaml', 'pyarrow', 'typer', 'rich', 'pandas', 'scipy', 'click')\n"
        "print(' '.join(m for m in heavy if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(proc.stdout.split())


def test_importing_the_core_loads_no_outer_layer():
    loaded = _loaded_after("import clustersim.core.project")
    assert loaded.isdisjoint({"pydantic", "yaml", "pyarrow"}), loaded


def test_importing_the_package_loads_no_writer_or_cli():
    loaded = _loaded_after("import clustersim")
    assert loaded.isdisjoint({"pyarrow", "typer", "rich", "pandas"}), loaded


def test_importing_the_cli_defers_pyarrow():
    loaded = _loaded_after("import clustersim.cli")
    assert loaded.isdisjoint({"pyarrow", "pandas"}), loaded


# --- the whole import order (pyproject.toml's import-linter contracts) ----------------------

ROOT = Path(__file__).resolve().parents[1]  # the checkout (pyproject.toml), wherever clustersim is installed


def test_the_import_linter_contracts_hold():
    """Each layer imports only the layers below it (core <- sampling <- values <- kinds <-
    scenario <- compile <- engines <- api <- sweep/analysis/report <- cli); see
    ``[tool.importlinter]`` in pyproject.toml."""
    pytest.importorskip("importlinter")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_modules():
    """No module imports itself back through others (type-only imports excepted)."""
    grimp = pytest.importorskip("grimp")
    g = grimp.build_graph("clustersim", exclude_type_checking_imports=True)
    graph = {m: set(g.find_modules_directly_imported_by(m)) for m in g.modules}
    # the one upward import pyproject's layers contract ignores (Result.plot / .report
    # import the report layer inside the methods): leave it out of the cycle search too
    for source, target in UPWARD:
        graph[source].discard(target)
    assert _cycles(graph) == []


#: imports that point up the layers on purpose, each inside a method (see pyproject.toml)
UPWARD = {("clustersim.results", "clustersim.report.notebook")}


def test_the_upward_imports_are_the_contracts_ignored_ones():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for source, target in UPWARD:
        assert f'"{source} -> {target}"' in text
