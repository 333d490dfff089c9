"""Golden outputs: behaviour must not change under refactoring.

``data/`` holds what the code printed *before* the architecture change (commit c4083d7):
``clustersim run SCENARIO --json`` for every shipped scenario, on the central path and with
200 Monte Carlo samples (seed 3), and the ``summary.json`` of two sweeps (the Zhenjiang Monte
Carlo sweep at 20,000 samples on one worker, the tutorial's Sobol' sweep). A change that moves
any of these numbers must say why and regenerate the files (``python tests/golden/regen.py``).
Strings, integers and flags compare exactly, floats to 1e-12 relative (:data:`REL`): NumPy's
last places depend on the CPU it runs on.
"""

from __future__ import annotations

import json
import math
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


#: floats may differ by this much, relative: NumPy picks its exp, log and power loops by the
#: CPU (AVX-512 ones where the CPU has it), and those round a few values differently in the
#: last place (seen: 3e-16 to 3e-15 relative between the development VMs); a behaviour change
#: moves numbers by far more
REL = 1e-12


def _diff(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every place where two JSON documents differ: exact, but for floats within ``REL``
    relative (a NaN equals a NaN; infinities must match)."""
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
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in _diff(e, a, f"{path}[{i}]")
        ]
    if _floats(expected, actual):
        if math.isfinite(expected) and math.isfinite(actual):
            same = abs(expected - actual) <= REL * max(abs(expected), abs(actual))
        else:
            same = expected == actual or (math.isnan(expected) and math.isnan(actual))
        return [] if same else [f"{path}: {actual!r} != {expected!r}"]
    if expected != actual:
        return [f"{path}: {actual!r} != {expected!r}"]
    return []


def _floats(expected: Any, actual: Any) -> bool:
    """Two JSON numbers of which one at least is a float (an int stays exact)."""
    numbers = (int, float)
    both = isinstance(expected, numbers) and isinstance(actual, numbers)
    return (
        both
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
        and (isinstance(expected, float) or isinstance(actual, float))
    )


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
def test_sweep_summary_unchanged(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / name
    result = CliRunner().invoke(app, ["sweep", *SWEEPS[name], "--out", str(out)])
    assert result.exit_code == 0, result.output
    actual = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    actual.pop("run")  # timings and executor
    expected = json.loads((DATA / f"sweep-{name}-summary.json").read_text(encoding="utf-8"))
    differences = _diff(expected, actual)
    assert not differences, "\n".join(differences[:20])


def test_the_comparison_forgives_the_last_places_of_floats_only() -> None:
    x = 0.03796136622613539
    assert _diff({"a": [x, 2, "met"]}, {"a": [0.0379613662261354, 2, "met"]}) == []  # 2.6e-16
    assert _diff(x, x * (1 + 1e-9)) == [f": {x * (1 + 1e-9)!r} != {x!r}"]  # a real change
    assert _diff(2, 3) and _diff(True, False) and _diff("met", "missed")
    assert _diff(math.inf, 1e308) and _diff(1e308, math.inf) and _diff(-math.inf, math.inf)
    assert _diff(math.nan, math.nan) == [] and _diff(math.inf, math.inf) == []
    assert _diff(0.0, 1e-300)  # no absolute floor: a zero stays a zero
