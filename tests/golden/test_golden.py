"""Golden outputs: behaviour must not change under refactoring.

``data/`` holds what the code printed *before* the architecture change (commit c4083d7):
``clustersim run SCENARIO --json`` for every shipped scenario, on the central path and with
200 Monte Carlo samples (seed 3), and the ``summary.json`` of two sweeps (the Zhenjiang Monte
Carlo sweep at 20,000 samples on one worker, the tutorial's Sobol' sweep). A change that moves
any of these numbers must say why and regenerate the files (``python tests/golden/regen.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clustersim.cli import app

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

RUNS = [
    pytest.param(path, mode, id=f"{path.stem}-{mode}")
    for path in SCENARIOS
    for mode in ("central", "mc200")
]
# explicit flags: the default run became Monte Carlo with statuses from P(met) (issue 20)
MODE_ARGS = {
    "central": ["--central"],
    "mc200": ["--samples", "200", "--seed", "3", "--status-from", "median"],
}

SWEEPS = {
    "zjmc": ["sweeps/zhenjiang-mc.yaml", "--samples", "20000", "--workers", "1"],
    "sobol": ["sweeps/example-sobol.yaml"],
}


def _diff(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every place where two JSON documents differ (exact, floats included)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[str] = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                out.append(f"{path}.{key}: missing")
            elif key not in expected:
                out.append(f"{path}.{key}: unexpected")
            else:
                out += _diff(expected[key], actual[key], f"{path}.{key}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: length {len(actual)} != {len(expected)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for d in _diff(e, a, f"{path}[{i}]")]
    if expected != actual:
        return [f"{path}: {actual!r} != {expected!r}"]
    return []


@pytest.mark.parametrize(("path", "mode"), RUNS)
def test_run_json_unchanged(path: Path, mode: str) -> None:
    result = CliRunner().invoke(app, ["run", str(path), "--json", *MODE_ARGS[mode]])
    assert result.exit_code in (0, 1), result.output
    expected = json.loads((DATA / f"run-{path.stem}-{mode}.json").read_text(encoding="utf-8"))
    # the audit names file:line of each assumption: relative to the checkout, not this machine
    actual = json.loads(result.stdout.replace(f"{ROOT}/", ""))
    differences = _diff(expected, actual)
    assert not differences, "\n".join(differences[:20])


@pytest.mark.parametrize("name", sorted(SWEEPS))
def test_sweep_summary_unchanged(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / name
    result = CliRunner().invoke(app, ["sweep", *SWEEPS[name], "--out", str(out)])
    assert result.exit_code == 0, result.output
    actual = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    actual.pop("run")  # timings and executor
    expected = json.loads((DATA / f"sweep-{name}-summary.json").read_text(encoding="utf-8"))
    differences = _diff(expected, actual)
    assert not differences, "\n".join(differences[:20])
