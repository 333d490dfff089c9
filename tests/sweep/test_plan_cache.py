"""A sweep's plan reads its scenario through the scenario cache: the same plan (scenario,
hashes, dims) as validating the file, and the same errors for an invalid one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clustersim.errors import ScenarioError
from clustersim.scenario import cache as scache
from clustersim.sweep.plan import plan_sweep
from clustersim.sweep.spec import load_sweep

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CLUSTERSIM_CACHE", str(folder))
    monkeypatch.delenv(scache.NO_CACHE_ENV, raising=False)
    return folder


def _plan(monkeypatch: pytest.MonkeyPatch, *, on: bool):  # type: ignore[no-untyped-def]
    if on:
        monkeypatch.delenv(scache.NO_CACHE_ENV, raising=False)
    else:
        monkeypatch.setenv(scache.NO_CACHE_ENV, "1")
    return plan_sweep(load_sweep(ROOT / "sweeps" / "zhenjiang-mc.yaml", samples=5000))


def test_a_hit_plans_what_validating_plans(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    off = _plan(monkeypatch, on=False)
    assert not cache.exists() or not any(cache.rglob("*.pkl*"))
    miss = _plan(monkeypatch, on=True)  # validates and writes the entry
    assert any(p.is_file() for p in (cache / "scenarios").rglob("*"))

    def never(*a: object, **k: object) -> None:
        raise AssertionError("a hit validates nothing")

    monkeypatch.setattr("clustersim.sweep.plan.validate_loaded", never)
    hit = _plan(monkeypatch, on=True)
    for p in (miss, hit):
        assert p.scenario_hash == off.scenario_hash
        assert p.design_hash == off.design_hash
        assert p.dims == off.dims and p.targets == off.targets
        assert p.scenario == off.scenario


def test_an_invalid_scenario_says_the_same_with_the_cache_on(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = ROOT / "sweeps" / "zhenjiang-mc.yaml"
    sweep = tmp_path / "s.yaml"
    text = src.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: broken\nbase_year: 2024\nend_year: 2020\n", encoding="utf-8")
    lines = [
        "scenario: bad.yaml" if ln.startswith("scenario:") else ln for ln in text.splitlines()
    ]
    sweep.write_text("\n".join(lines) + "\n", encoding="utf-8")
    messages = []
    for on in (False, True, True):
        if on:
            monkeypatch.delenv(scache.NO_CACHE_ENV, raising=False)
        else:
            monkeypatch.setenv(scache.NO_CACHE_ENV, "1")
        with pytest.raises(ScenarioError) as exc:
            plan_sweep(load_sweep(sweep, samples=100))
        messages.append(str(exc.value))
    assert messages[0] == messages[1] == messages[2]
    assert "s.yaml" in messages[0]  # the sweep's `scenario:` line
    assert not (cache / "scenarios").exists() or not any((cache / "scenarios").rglob("*.*"))
    shutil.rmtree(cache, ignore_errors=True)
