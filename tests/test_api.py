"""The Python API the command line calls (:mod:`clustersim.api`): run, check, validate,
explain. Answers are computed by hand (GDP 100 growing 10% a year is 121 after two years)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import clustersim as cs
from clustersim import api

TINY = """\
id: tiny
name: Tiny town
base_year: 2020
end_year: 2022
region:
  gdp:
    base: 100
    growth: 0.10
targets:
  gdp_120:
    kind: level
    label: GDP reaches 120
    metric: gdp
    year: 2022
    at_least: 120
  gdp_125:
    kind: level
    label: GDP reaches 125
    metric: gdp
    year: 2022
    at_least: 125
"""
#: GDP growth uncertain: N(0.10, 0.02); GDP 2022 = 100 (1 + g)^2 >= 120 iff g >= 0.0954
MC = TINY.replace("    growth: 0.10\n", "    growth: {dist: normal, mean: 0.10, sd: 0.02}\n")


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(TINY, encoding="utf-8")
    return p


@pytest.fixture
def mc(tmp_path: Path) -> Path:
    p = tmp_path / "mc.yaml"
    p.write_text(MC, encoding="utf-8")
    return p


def test_the_api_names_are_public() -> None:
    for name in ("check", "CheckOutcome", "load_and_run"):
        assert name in cs.__all__
        assert getattr(cs, name) is getattr(api, name)


def test_load_and_run_takes_a_file_or_a_scenario(tiny: Path) -> None:
    from_file = api.load_and_run(tiny)
    from_model = api.load_and_run(cs.load_scenario(tiny))
    gdp = {t.id: t.median_value for t in from_file.targets}
    assert gdp == pytest.approx({"gdp_120": 121.0, "gdp_125": 121.0})
    assert [t.median_value for t in from_model.targets] == [
        t.median_value for t in from_file.targets
    ]
    rg = from_file.targets[0].required_growth
    assert rg is not None and rg["method"] == "closed_form"
    assert rg["rate"] == pytest.approx(1.2**0.5 - 1, rel=1e-12)  # 100 (1 + r)^2 = 120
    assert api.load_and_run(tiny, required=False).targets[0].required_growth is None


def test_check_without_threshold_judges_the_status(tiny: Path) -> None:
    outcome = api.check(tiny)
    assert [t.id for t in outcome.failed] == ["gdp_125"]  # 121 < 125
    assert not outcome.passed
    met, missed = outcome.result.targets
    assert outcome.passes(met) and not outcome.passes(missed)
    doc = outcome.to_dict()
    assert doc["failed"] == ["gdp_125"]
    assert [t["id"] for t in doc["targets"]] == ["gdp_120", "gdp_125"]


def test_check_with_threshold_judges_the_share_of_samples(mc: Path) -> None:
    result = api.load_and_run(mc, samples=400, seed=3, required=False)
    p = result.targets[0].probability
    assert 0.05 < p < 0.95  # the test needs an uncertain target
    assert api.judge(result, min_probability=p).failed == (result.targets[1],)
    assert [t.id for t in api.judge(result, min_probability=p + 0.01).failed] == [
        "gdp_120",
        "gdp_125",
    ]
    assert api.judge(result, min_probability=0.0).passed
    outcome = api.check(mc, samples=400, seed=3, min_probability=p)
    assert outcome.min_probability == p
    np.testing.assert_array_equal(outcome.result.targets[0].met, result.targets[0].met)
    assert [t.id for t in outcome.failed] == ["gdp_125"]


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_a_threshold_outside_zero_one_is_refused_before_running(tiny: Path, bad: float) -> None:
    with pytest.raises(cs.ClusterSimError, match=r"min_probability: .* is not in \[0, 1\]"):
        api.check(tiny.with_name("absent.yaml"), min_probability=bad)


def test_validate_counts_and_sources(tiny: Path) -> None:
    v = api.validate(tiny)
    assert (len(v.scenario.clusters), len(v.scenario.targets), v.uncertain) == (0, 2, 0)
    assert v.files == (str(tiny),)
    assert v.unsourced is None
    listed = api.validate(tiny, sources=True).unsourced
    assert listed is not None and "region.gdp.base" in listed


def test_validate_counts_uncertain_numbers(mc: Path) -> None:
    assert api.validate(mc).uncertain == 1


def test_validate_takes_a_model_too(tiny: Path) -> None:
    v = api.validate(cs.load_scenario(tiny))
    assert (v.path, v.uncertain, len(v.scenario.targets)) == (None, 0, 2)


def test_validate_refuses_a_bad_file(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(TINY.replace("growth: 0.10", "growht: 0.10"), encoding="utf-8")
    with pytest.raises(cs.ScenarioError, match="growht"):
        api.validate(p)


def test_explain_names_the_value_and_its_line(tiny: Path, tmp_path: Path) -> None:
    sc = api.validate(tiny).scenario
    found = api.explain(sc, "region.gdp.base")
    assert found is not None
    assert (found.path, found.value, found.overrides) == ("region.gdp.base", 100, ())
    assert found.origin is not None and (found.origin.file, found.origin.line) == (str(tiny), 7)
    assert api.explain(sc, "region.gdp.bse") is None
    child = tmp_path / "child.yaml"
    child.write_text("extends: tiny.yaml\nregion:\n  gdp:\n    base: 150\n", encoding="utf-8")
    over = api.explain(api.validate(child).scenario, "region.gdp.base")
    assert over is not None and over.value == 150
    assert over.origin is not None and over.origin.line == 4
    assert [(o.file, o.line) for o in over.overrides] == [(str(tiny), 7)]
