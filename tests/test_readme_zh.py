"""README.zh-CN.md: its scenario loads and runs, its count target counts what it says, and
README.md links to it at the top."""

from __future__ import annotations

import re
from pathlib import Path

import clustersim as cs

ROOT = Path(__file__).resolve().parents[1]
ZH = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")


def test_readme_links_the_chinese_readme_first() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:5]
    assert any("README.zh-CN.md" in line for line in head)


def test_the_scenario_of_the_chinese_readme_runs(tmp_path: Path) -> None:
    (block,) = re.findall(r"```yaml\n(.*?)```", ZH, flags=re.S)
    p = tmp_path / "my-city.yaml"
    p.write_text(block, encoding="utf-8")
    res = cs.run(cs.load_scenario(p), samples=1)
    count = res.target("clusters_1000")
    # 2026 output at the central rates: 1500*1.12^3, 1100*1.10^3, 750*1.15^3
    over = sum(v >= 1000 for v in (1500 * 1.12**3, 1100 * 1.10**3, 750 * 1.15**3))
    assert over == 3
    assert float(count.value[0]) == over
    assert count.met[0] == (2 <= over <= 3)


def test_the_chinese_readme_has_the_two_setup_commands() -> None:
    assert "pip install . && clustersim run scenarios/zhenjiang-2026.yaml" in ZH
    assert 'pip install ".[test]" && ruff check . && mypy --strict && python -m pytest -q' in ZH


def test_the_error_example_is_what_validate_prints(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from clustersim.cli import app

    (block,) = re.findall(r"```yaml\n(.*?)```", ZH, flags=re.S)
    bad = (
        block.replace("gdp: {base: 5264, growth:", "gdp: {base: 5264, grwth:")
        .replace("[equipment, materials, digital]", "[equipment, materals, digital]")
        .replace("    year: 2026", "    year: 2030")
    )
    p = tmp_path / "my-city.yaml"
    p.write_text(bad, encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(p), "--lang", "zh"])
    assert res.exit_code == 2
    shown = [ln for ln in re.findall(r"^错误：.*$", ZH, flags=re.M)]
    printed = [ln.replace(str(p), "my-city.yaml") for ln in res.stderr.splitlines()]
    assert printed == shown
