"""``x@YEAR`` (issue 13): the value of a series or sub-expression in a fixed year, in every
engine (the NumPy frame of ``run``, the blocked frame, the numba kernel, the reference),
against numbers worked out by hand here; and its year checks at load, in both languages."""

from __future__ import annotations

import copy
import importlib.util
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import clustersim as cs
from clustersim.core import expr as ex
from clustersim.engine import run_targets
from clustersim.engines.reference import production_draws, run_reference, scenario_document
from clustersim.scenario.models import Scenario

HAS_NUMBA = importlib.util.find_spec("numba") is not None

#: GDP 100 in 2023 growing 10% a year (110, 121, 133.1, 146.41 to 2027), 90 in 2022 and 80 in
#: 2021; cluster a 50 growing 20% (60, 72, 86.4, 103.68), cluster b 30 flat; output history
#: 2022: a 40, b 30
DOC: dict[str, Any] = {
    "id": "at",
    "name": "at",
    "base_year": 2023,
    "end_year": 2027,
    "region": {
        "gdp": {"base": 100.0, "growth": 0.10},
        "history": {"gdp": {2021: 80.0, 2022: 90.0}},
    },
    "clusters": {
        "a": {
            "name": "a",
            "output": {"base": 50.0, "growth": 0.20},
            "history": {"output": {2022: 40.0}},
        },
        "b": {"name": "b", "output": {"base": 30.0}, "history": {"output": {2022: 30.0}}},
    },
    "metrics": {"gain": "gdp - gdp@2021"},
    "targets": {
        # 121 / 80
        "ratio_hist": {
            "kind": "level",
            "label": "t",
            "metric": "gdp / gdp@2021",
            "year": 2025,
            "at_least": 1.5,
        },
        # gdp - 110 in 2025-2027: 11, 23.1, 36.41; the best year is 2027
        "reached": {
            "kind": "reached_by",
            "label": "t",
            "metric": "gdp - gdp@2024",
            "from_year": 2025,
            "year": 2027,
            "at_least": 25,
        },
        # sum(output) in 2024 (60 + 30) over sum(output) in 2026 (86.4 + 30)
        "reduce_at": {
            "kind": "level",
            "label": "t",
            "metric": "sum(output)@2024 / sum(output)",
            "year": 2026,
            "at_most": 0.8,
        },
        # the metric gain = gdp - 80 in 2023: 20
        "metric_at": {
            "kind": "level",
            "label": "t",
            "metric": "gain",
            "year": 2023,
            "at_least": 20,
        },
        # gdp / gdp@2021 from 2022 (90 / 80) to 2025 (121 / 80): (121 / 90)^(1/3) - 1, a window
        # start read from history, the @ year from history too
        "cagr_hist": {
            "kind": "cagr",
            "label": "t",
            "metric": "gdp / gdp@2021",
            "from_year": 2022,
            "year": 2025,
            "at_least": 0.1,
        },
        # each year 2024-2026 of gdp@2022 / gdp: 90/110, 90/121, 90/133.1 must stay <= 0.8;
        # binds in 2024 (margin 0.8 - 0.8182)
        "every_year": {
            "kind": "flow_every_year",
            "label": "t",
            "metric": "gdp@2022 / gdp",
            "from_year": 2024,
            "year": 2026,
            "at_most": 0.8,
        },
        # clusters whose output in 2026 is at least 1.5 times their 2022 output: a (86.4 / 40 =
        # 2.16), b (1.0) no -> 1; a cluster-level @ over history
        "count_at": {
            "kind": "count_over",
            "label": "t",
            "variable": "output / output@2022",
            "threshold": 1.5,
            "year": 2026,
            "at_least": 1,
        },
        # output[a] in 2027 less 2 x its 2024 value, unary minus of an @: 103.68 - 120
        "pick_neg": {
            "kind": "level",
            "label": "t",
            "metric": "output[a] + -2 * output[a]@2024",
            "year": 2027,
            "at_least": 0,
        },
    },
}

#: (value, met) of every target, by hand
WANT: dict[str, tuple[float, bool]] = {
    "ratio_hist": (121.0 / 80.0, True),
    "reached": (146.41 - 110.0, True),
    "reduce_at": (90.0 / 116.4, True),
    "metric_at": (20.0, True),
    "cagr_hist": ((121.0 / 90.0) ** (1.0 / 3.0) - 1.0, True),
    "every_year": (90.0 / 110.0, False),
    "count_at": (1.0, True),
    "pick_neg": (103.68 - 120.0, False),
}


def _check(what: str, outcomes: dict[str, Any]) -> None:
    for tid, (value, met) in WANT.items():
        o = outcomes[tid]
        got = np.asarray(o.value, dtype=float)
        assert np.allclose(got, value, rtol=1e-12, atol=1e-12), f"{what} {tid}: {got} != {value}"
        assert bool(np.all(np.asarray(o.met) == met)), f"{what} {tid}: met {o.met} != {met}"


def _scenario() -> Scenario:
    return Scenario.model_validate(copy.deepcopy(DOC))


def test_at_year_in_the_numpy_frame_of_run() -> None:
    res = cs.run(_scenario(), samples=1, required=False)
    _check("run", {t.id: t for t in res.targets})


@pytest.mark.parametrize("samples", [1, 5])
def test_at_year_in_the_blocked_engine(samples: int) -> None:
    _check("blocked", run_targets(_scenario(), samples=samples, seed=3, engine="numpy", block=2))


@pytest.mark.skipif(not HAS_NUMBA, reason="numba is not installed")
def test_at_year_compiles_in_the_numba_kernel() -> None:
    from clustersim.accel.codegen import generate
    from clustersim.compile import compile_scenario

    comp = compile_scenario(_scenario(), samples=9, seed=3)
    gen = generate(comp.model, [ct.spec for ct in comp.targets.values()], comp.metrics)
    assert "def kernel(" in gen.source  # every form has compiled code (none refused)
    _check("numba", run_targets(_scenario(), samples=9, seed=3, engine="numba"))


def test_at_year_in_the_reference_engine() -> None:
    sc = _scenario()
    ref = run_reference(scenario_document(sc), production_draws(sc, 1, 1), 1)
    _check("reference", ref.targets)


def test_at_year_with_uncertain_growth_agrees_per_sample() -> None:
    """With a drawn GDP growth g per sample, ``gdp@2025 / gdp@2024`` is ``1 + g`` exactly."""
    d = copy.deepcopy(DOC)
    d["region"]["gdp"]["growth"] = {"dist": "uniform", "low": 0.0, "high": 0.2}
    d["targets"] = {
        "g": {
            "kind": "level",
            "label": "t",
            "metric": "gdp@2025 / gdp@2024",
            "year": 2023,
            "at_least": 1.1,
        }
    }
    sc = Scenario.model_validate(d)
    draws = production_draws(sc, 40, 7)
    g = np.asarray(draws["region.gdp.growth.rate"], dtype=float)
    engines = ["numpy", *(["numba"] if HAS_NUMBA else [])]
    for engine in engines:
        o = run_targets(sc, samples=40, seed=7, engine=engine)["g"]
        assert np.allclose(o.value, 1.0 + g, rtol=1e-12), engine
        assert np.array_equal(o.met, 1.0 + g >= 1.1 - 1e-9), engine
    ref = run_reference(scenario_document(sc), draws, 40)
    assert np.allclose(ref.targets["g"].value, 1.0 + g, rtol=1e-12)


def test_required_growth_searches_a_target_with_at() -> None:
    """gdp / gdp@2023 >= 1.5 in 2026 needs (1 + r)^3 = 1.5: r = 1.5^(1/3) - 1 = 14.47%."""
    d = copy.deepcopy(DOC)
    d["targets"] = {
        "x": {
            "kind": "level",
            "label": "t",
            "metric": "gdp / gdp@2023",
            "year": 2026,
            "at_least": 1.5,
        }
    }
    res = cs.run(Scenario.model_validate(d), samples=1)
    (t,) = res.targets
    req = t.required_growth
    assert req is not None and req["rate"] is not None
    assert math.isclose(req["rate"], 1.5 ** (1 / 3) - 1, abs_tol=1e-9)


# --- parsing ---------------------------------------------------------------------------------


def test_at_binds_tighter_than_every_operator() -> None:
    a2025, a2020 = ex.At(ex.Name("va"), 2025), ex.At(ex.Name("va"), 2020)
    assert ex.parse("va@2025 / va@2020") == ex.Bin("/", a2025, a2020)
    assert ex.parse("va @ 2025/va@2020") == ex.Bin("/", a2025, a2020)
    assert ex.parse("-va@2020") == ex.Neg(a2020)
    assert ex.parse("x ** va@2020") == ex.Bin("**", ex.Name("x"), a2020)
    assert ex.parse("(gdp - va)@2021") == ex.At(ex.Bin("-", ex.Name("gdp"), ex.Name("va")), 2021)
    assert ex.parse("output[c]@2024") == ex.At(ex.Pick("output", "c"), 2024)
    assert ex.years_in(ex.parse("a@2020 + sum(b@2021)")) == [2020, 2021]
    assert ex.names_in(ex.parse("a@2020 + b")) == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("gdp@2020.5", "@ takes a year written as a whole number"),
        ("gdp @ population", "@ takes a year written as a whole number"),
        ("3@2020", "applies it to a number"),
        # numbers only, however written, are still a number: no series to read in 2020
        ("(2 * 3)@2020", r"'\(2 \* 3\)@2020' applies it to a number"),
        ("gdp + -(1 / 2)@2020", r"'\(1 / 2\)@2020' applies it to a number"),
    ],
)
def test_malformed_at_is_refused(text: str, words: str) -> None:
    with pytest.raises(ex.ExprError, match=words):
        ex.parse(text)


# --- year checks at load ---------------------------------------------------------------------


def _problems(tmp_path: Path, metric: str) -> list[Any]:
    import yaml

    d = copy.deepcopy(DOC)
    d["targets"] = {
        "x": {"kind": "level", "label": "t", "metric": metric, "year": 2025, "at_least": 1}
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(d, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(cs.ScenarioError) as info:
        cs.load_scenario(path)
    return [(p, path, d) for p in info.value.items]


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, ln in enumerate(lines, 1) if text in ln)


def test_an_at_year_after_end_year_is_refused_with_file_line_field(tmp_path: Path) -> None:
    ((p, path, _),) = _problems(tmp_path, "gdp / gdp@2030")
    assert p.file is not None and Path(p.file).name == "s.yaml"
    assert p.line == _line_of(path, "gdp@2030")
    assert p.field == "targets.x.metric"
    assert (
        p.message == "in 'gdp / gdp@2030': @2030 is after the end of the projection (end_year 2027)"
    )
    assert (
        p.message_zh == "表达式 'gdp / gdp@2030' 中的 @2030：2030 年晚于预测期末年 end_year（2027）"
    )
    assert p.hint == (
        "use a year in 2021-2027: an earlier year needs its value under history, a later one "
        "a later end_year"
    )
    assert p.hint_zh is not None and "2021-2027" in p.hint_zh and "history" in p.hint_zh


def test_an_at_year_before_the_first_history_year_is_refused(tmp_path: Path) -> None:
    ((p, path, _),) = _problems(tmp_path, "gdp@2019")
    assert p.line == _line_of(path, "gdp@2019") and p.field == "targets.x.metric"
    assert p.message.startswith(
        "in 'gdp@2019': @2019 is before the first year the scenario has a value for (2021"
    )
    assert p.message_zh.startswith(
        "表达式 'gdp@2019' 中的 @2019：2019 年早于本情景最早的历史数据年份（2021）"
    )
    assert "2021-2027" in (p.hint or "")


def test_the_one_line_text_names_file_line_and_field_in_both_languages(tmp_path: Path) -> None:
    ((p, path, _),) = _problems(tmp_path, "gdp@2030")
    line = _line_of(path, "gdp@2030")
    assert p.text("en").startswith(
        f"{p.file}:{line}: targets.x.metric: in 'gdp@2030': @2030 is after"
    )
    assert "2021-2027" in p.text("en")
    assert p.text("zh").startswith(
        f"{p.file}:{line}: targets.x.metric: 表达式 'gdp@2030' 中的 @2030"
    )
    assert "2021-2027" in p.text("zh")


@pytest.mark.parametrize(
    ("metric", "en", "zh"),
    [
        (
            "gdp@2020.5",
            "in 'gdp@2020.5': @ takes a year written as a whole number, as in gdp@2020 or "
            "(gdp / population)@2020",
            "表达式 'gdp@2020.5' 中 @ 之后须为整数年份，例如 gdp@2020 或 (gdp / population)@2020",
        ),
        (
            "gdp / 3@2022",
            "in 'gdp / 3@2022': @ reads a series in a year, as in gdp@2020; '3@2022' applies it "
            "to a number",
            "表达式 'gdp / 3@2022' 中 '3@2022' 把 @ 用在了数字上；@ 读取序列在某一年的值，例如 gdp@2020",
        ),
    ],
)
def test_a_malformed_at_is_refused_at_load_in_both_languages(
    tmp_path: Path, metric: str, en: str, zh: str
) -> None:
    ((p, path, _),) = _problems(tmp_path, metric)
    assert p.line == _line_of(path, metric) and p.field == "targets.x.metric"
    assert p.message == en
    assert p.message_zh == zh
    with pytest.raises(ex.ExprError) as info:
        ex.parse(metric)
    assert str(info.value) == en  # the core's own (English) text is the table's


def test_a_scenario_built_in_python_is_held_to_end_year_at_compile() -> None:
    """Without the loader's check (Scenario.model_validate), compile refuses a year after
    end_year by target; no engine reads past its arrays."""
    d = copy.deepcopy(DOC)
    d["targets"] = {
        "x": {"kind": "level", "label": "t", "metric": "gdp@2031", "year": 2025, "at_least": 1}
    }
    with pytest.raises(
        cs.ScenarioError, match=r"targets\.x.*@2031 is after the end of the projection"
    ):
        cs.run(Scenario.model_validate(d), samples=1)
    d["targets"] = {}
    d["metrics"] = {"late": "gdp / gdp@2030"}
    with pytest.raises(cs.ScenarioError, match=r"metrics\.late.*@2030 is after"):
        run_targets(Scenario.model_validate(d), samples=8, seed=1, engine="numpy")
