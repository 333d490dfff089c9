"""The cache of validated scenarios of ``clustersim run`` (issue 21, part 4;
:mod:`clustersim.scenario.cache`): a hit prints and writes the same bytes as a miss, an
edited file of the ``extends`` chain is a miss, a corrupt entry is ignored and rewritten,
an invalid scenario is never cached and says the same error, and a hit builds no pydantic
validator and parses no YAML (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clustersim.cli import app
from clustersim.scenario import cache as scache

ROOT = Path(__file__).resolve().parents[2]

BASE = """\
id: base
name: {zh: 小城, en: Tiny town}
base_year: 2020
end_year: 2023
region:
  gdp:
    base: 100
    growth: {dist: normal, mean: 0.10, sd: 0.02}
clusters:
  alpha:
    name: Alpha
    output:
      base: 50
      growth: {dist: uniform, low: 0.1, high: 0.3}
targets:
  gdp_level:
    kind: level
    label: {zh: 国内生产总值达到130, en: GDP reaches 130}
    metric: gdp
    year: 2023
    at_least: 130
"""
CHILD = """\
extends: base.yaml
id: plan
clusters:
  alpha:
    output:
      base: 55
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CLUSTERSIM_CACHE", str(folder))
    monkeypatch.delenv(scache.NO_CACHE_ENV, raising=False)
    return folder / "scenarios"


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    child = tmp_path / "plan.yaml"
    child.write_text(CHILD, encoding="utf-8")
    return child


def run(*args: object) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["run", *(str(a) for a in args)])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    return res.exit_code, res.stdout, res.stderr


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.pickle")) if cache.exists() else []


def test_a_hit_gives_the_bytes_of_a_miss(
    plan: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = (plan, "-n", 300, "-s", 7)
    fresh = run(*args, "--json", "--no-cache")
    fresh_zh = run(*args, "--lang", "zh", "--no-cache")
    assert entries(cache) == []
    written = {}
    for name in ("miss", "hit"):
        out = tmp_path / name
        assert run(*args, "--out", out, "--format", "parquet")[0] == 0
        written[name] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
        assert len(entries(cache)) == 1
        # from here on a validation fails: the runs below are served from the cache
        monkeypatch.setattr(scache, "validate_loaded", _never)
    assert any(n.endswith(".parquet") for n in written["hit"])
    assert written["miss"] == written["hit"]
    assert run(*args, "--json") == fresh
    assert run(*args, "--lang", "zh") == fresh_zh  # the tables too


def _never(*_: object, **__: object) -> None:
    raise AssertionError("validated: the cache was not used")


def test_editing_an_extended_fragment_is_a_miss(plan: Path, cache: Path) -> None:
    first = json.loads(run(plan, "--central", "--json")[1])
    base = plan.parent / "base.yaml"
    base.write_text(BASE.replace("base: 100", "base: 200"), encoding="utf-8")
    edited = json.loads(run(plan, "--central", "--json")[1])
    fresh = json.loads(run(plan, "--central", "--json", "--no-cache")[1])
    assert edited == fresh != first
    assert edited["series"]["gdp"]["2020"] == 200
    # the child too
    plan.write_text(CHILD.replace("base: 55", "base: 65"), encoding="utf-8")
    assert json.loads(run(plan, "--central", "--json")[1]) == json.loads(
        run(plan, "--central", "--json", "--no-cache")[1]
    )
    assert len(entries(cache)) == 1  # one entry per file and folder, rewritten


def test_a_corrupt_entry_is_ignored_and_rewritten(plan: Path, cache: Path) -> None:
    good = run(plan, "-n", 100, "-s", 1, "--json")
    (entry,) = entries(cache)
    for junk in (b"", b"not a pickle", entry.read_bytes()[:1000]):
        entry.write_bytes(junk)
        assert run(plan, "-n", 100, "-s", 1, "--json") == good
        assert scache._read(entry, entry.stem) is not None  # rewritten whole


def test_an_invalid_scenario_is_not_cached_and_says_the_same(plan: Path, cache: Path) -> None:
    base = plan.parent / "base.yaml"
    run(plan, "--central", "--json")  # a valid entry first
    base.write_text(BASE.replace("    growth: {dist: uniform", "    grwth: {dist: uniform"))
    for lang in ("en", "zh"):
        for f in entries(cache):
            f.unlink()
        cached = run(plan, "--central", "--lang", lang)
        assert entries(cache) == []
        uncached = run(plan, "--central", "--lang", lang, "--no-cache")
        assert cached == uncached
        code, _, err = cached
        assert code == 2
        assert "base.yaml:14" in err and "clusters.alpha.output.grwth" in err
        assert ("did you mean 'growth'" in err) if lang == "en" else ("错误" in err)


def test_no_cache_and_the_environment_turn_it_off(
    plan: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(plan, "--central", "--no-cache")
    assert entries(cache) == []
    monkeypatch.setenv(scache.NO_CACHE_ENV, "1")
    run(plan, "--central")
    assert entries(cache) == []
    monkeypatch.setenv(scache.NO_CACHE_ENV, "0")
    run(plan, "--central")
    assert len(entries(cache)) == 1


def test_a_cache_that_cannot_be_written_does_not_fail_the_run(
    plan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CLUSTERSIM_CACHE", str(blocker))
    code, out, _ = run(plan, "--central", "--json")
    assert code == 0 and json.loads(out)["scenario"] == "plan"


def test_the_least_recently_used_entries_are_pruned(
    plan: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scache, "MAX_ENTRIES", 2)
    names = []
    for i in range(3):
        p = plan.with_name(f"plan{i}.yaml")
        p.write_text(CHILD, encoding="utf-8")
        run(p, "--central")
        names.append(scache.entry_path(p))
        os.utime(names[-1], ns=(i * 10**9, i * 10**9))  # written in this order
        if i == 1:
            run(plan.with_name("plan0.yaml"), "--central")  # a hit: plan0 used last
    assert entries(cache) == sorted([names[0], names[2]])


def test_a_hit_builds_no_validator(plan: Path, cache: Path) -> None:
    """In a fresh interpreter, a run served from the cache leaves every scenario model
    unbuilt (``defer_build``: pydantic builds a model's validator at its first validation),
    and says the same as the run that filled the cache."""
    probe = (
        "import sys\nfrom clustersim.cli import main\n"
        f"sys.argv = ['clustersim', 'run', {str(plan)!r}, '-n', '50', '-s', '1', '--json']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "import pydantic\n"
        "def walk(c):\n    for s in c.__subclasses__():\n        yield s\n        yield from walk(s)\n"
        "built = sorted({c.__name__ for c in walk(pydantic.BaseModel) "
        "if c.__module__.startswith('clustersim') and c.__pydantic_complete__})\n"
        "sys.__stderr__.write('BUILT ' + ','.join(built) + '\\n')\n"
        "sys.__stderr__.write(f'YAML {\"yaml\" in sys.modules}\\n')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    outs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env
        )
        assert done.returncode == 0, done.stderr
        outs.append(done)
    (miss, hit) = [next(x for x in d.stderr.splitlines() if x.startswith("BUILT")) for d in outs]
    assert "Scenario" in miss.split(" ", 1)[1].split(",")
    assert hit == "BUILT "
    # nor is PyYAML imported: the files are hashed, not parsed
    assert [next(x for x in d.stderr.splitlines() if x.startswith("YAML")) for d in outs] == [
        "YAML True",
        "YAML False",
    ]
    assert outs[0].stdout == outs[1].stdout
