"""The analysis package's modules import each other one way, in the order data flows.

Every import counts, including those inside functions; an import of a later module (or of
the package itself, which re-exports the later ones) would be a cycle waiting to happen.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import clustersim.analysis

PACKAGE = Path(clustersim.analysis.__file__).resolve().parent
#: each module may import only the modules before it
ORDER = (
    "observed",
    "text",
    "fits",
    "shocks",
    "series",
    "options",
    "matching",
    "calibration",
    "fragments",
    "backtesting",
    "rolling",
    "prim",
    "discover",
    "consistency",
    "lmdi",
    "tiers",
    "io_table",
)


def _analysis_imports(path: Path) -> set[str]:
    """The ``clustersim.analysis`` modules ``path`` imports (``""`` for the package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # the package's modules import each other absolutely; read a relative one as such
            names = [f"clustersim.analysis.{node.module}" if node.level else node.module]
        for name in names:
            if name == "clustersim.analysis":
                found.add("")
            elif name.startswith("clustersim.analysis."):
                found.add(name.split(".")[2])
    return found


def test_every_module_is_in_the_order():
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert modules == set(ORDER)


@pytest.mark.parametrize("module", ORDER)
def test_a_module_imports_only_the_modules_before_it(module):
    allowed = set(ORDER[: ORDER.index(module)])
    assert _analysis_imports(PACKAGE / f"{module}.py") <= allowed


def test_the_estimators_load_no_scenario_models():
    code = (
        "import sys\nimport clustersim.analysis.fits\n"
        "print(' '.join(m for m in ('pydantic', 'yaml', 'scipy') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.split() == []
