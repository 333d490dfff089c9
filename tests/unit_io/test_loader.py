"""The scenario loader: safe YAML with line numbers, ``extends:`` deep merge, provenance,
and error messages that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from clustersim.errors import ClusterSimError, ScenarioError
from clustersim.scenario.loader import (
    load,
    load_data,
    load_scenario,
    provenance,
    read_yaml,
)
from clustersim.scenario.provenance import Origin, Provenance

PARENT = """\
id: parent
name: {zh: 母情景, en: Parent}
base_year: 2020
end_year: 2025
region:
  gdp:
    base: 100
    growth:
      kind: linear
      start: 0.06
      end: 0.04
    source: parent source
  population:
    base: 50
    growth: {dist: normal, mean: 0.01, sd: 0.002, low: 0.0}
  industrial_output:
    base: 80
    growth:
      kind: path
      interpolation: linear
      rates: {2021: 0.05, 2025: 0.03}
clusters:
  alpha:
    name: Alpha
    output: {base: 10, growth: 0.1}
  beta:
    name: Beta
    output: {base: 20, growth: 0.05}
groups:
  both:
    name: Both
    clusters: [alpha, beta]
targets:
  gdp_level:
    kind: level
    label: GDP
    metric: gdp
    year: 2025
    at_least: 120
  out_level:
    kind: group_sum
    label: Output
    group: both
    year: 2025
    at_least: 40
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def line_of(text: str, snippet: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if snippet in line:
            return i
    raise AssertionError(snippet)


def child_of(tmp_path: Path, child: str) -> tuple[Path, Path, Provenance]:
    parent = write(tmp_path, "parent.yaml", PARENT)
    path = write(tmp_path, "child.yaml", "extends: parent.yaml\n" + child)
    return parent, path, load_data(path)


# --- reading one file --------------------------------------------------------------------------


def test_read_yaml_records_line_and_column_of_every_key(tmp_path):
    p = write(tmp_path, "s.yaml", PARENT)
    data, origins = read_yaml(p)
    assert data["region"]["gdp"]["base"] == 100
    assert origins[("region", "gdp", "base")] == Origin(str(p), line_of(PARENT, "base: 100"), 5)
    assert origins[("groups", "both", "clusters", "1")].line == line_of(PARENT, "[alpha, beta]")
    pop = origins[("region", "population", "growth", "sd")]
    assert pop.line == line_of(PARENT, "sd: 0.002")
    assert PARENT.splitlines()[pop.line - 1][pop.column - 1 :].startswith("sd:")
    assert str(origins[("id",)]) == f"{p}:1"


def test_duplicate_key_names_both_lines(tmp_path):
    text = PARENT.replace("    base: 50\n", "    base: 50\n    base: 60\n")
    p = write(tmp_path, "s.yaml", text)
    with pytest.raises(ScenarioError) as info:
        read_yaml(p)
    msg = str(info.value)
    assert msg.startswith(f"{p}:{line_of(text, 'base: 60')}: ")
    assert "duplicate key 'region.population.base'" in msg
    assert f"first at line {line_of(text, 'base: 50')}" in msg


def test_duplicate_key_in_a_flow_mapping(tmp_path):
    p = write(tmp_path, "s.yaml", "id: a\nname: {en: A, en: B}\n")
    with pytest.raises(ScenarioError, match=r":2: duplicate key 'name.en'"):
        read_yaml(p)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("id: a\n  name: b\n", r":2:\d+: YAML syntax error"),
        ("id: a\nname: [b\n", r":3:\d+: YAML syntax error"),
        ("id: a\n\tname: b\n", r":2:1: YAML syntax error"),
        ("- a\n- b\n", r":1: a scenario must be a mapping"),
        ("", r": the file is empty"),
    ],
)
def test_unreadable_yaml(tmp_path, text, pattern):
    p = write(tmp_path, "s.yaml", text)
    with pytest.raises(ScenarioError, match=pattern) as info:
        read_yaml(p)
    assert str(info.value).startswith(str(p))
    assert isinstance(info.value, ClusterSimError)


def test_safe_loading_refuses_python_tags(tmp_path):
    marker = tmp_path / "pwned"
    p = write(tmp_path, "s.yaml", f"id: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ScenarioError, match=r"s\.yaml:1: id: the YAML tag '!!python/object/apply"):
        read_yaml(p)
    assert not marker.exists()


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_data(tmp_path / "absent.yaml")


# --- extends: deep merge -----------------------------------------------------------------------


def test_mappings_merge_key_by_key(tmp_path):
    _, _, loaded = child_of(tmp_path, "region:\n  gdp:\n    base: 200\n")
    gdp = loaded.data["region"]["gdp"]
    assert gdp["base"] == 200
    assert gdp["growth"] == {"kind": "linear", "start": 0.06, "end": 0.04}  # kept
    assert gdp["source"] == "parent source"
    assert set(loaded.data["region"]) == {"gdp", "population", "industrial_output"}
    assert loaded.data["id"] == "parent"  # untouched scalars are inherited
    assert loaded.data["extends"] == "parent.yaml"


def test_scalars_replace(tmp_path):
    _, _, loaded = child_of(tmp_path, "id: child\nend_year: 2030\n")
    assert (loaded.data["id"], loaded.data["end_year"]) == ("child", 2030)


def test_lists_replace_whole(tmp_path):
    _, path, loaded = child_of(tmp_path, "groups:\n  both:\n    clusters: [beta]\n")
    assert loaded.data["groups"]["both"] == {"name": "Both", "clusters": ["beta"]}
    # provenance of the list is the child's; no stale origin for the dropped second item
    assert loaded.origins[("groups", "both", "clusters", "0")].file == str(path)
    assert ("groups", "both", "clusters", "1") not in loaded.origins


def test_mapping_replaces_scalar_and_scalar_replaces_mapping(tmp_path):
    child = (
        "clusters:\n"
        "  alpha:\n"
        "    output:\n"
        "      growth: {kind: logistic, capacity: 100, rate: 0.3}\n"
        "region:\n"
        "  industrial_output:\n"
        "    growth: 0.02\n"
    )
    _, _, loaded = child_of(tmp_path, child)
    assert loaded.data["clusters"]["alpha"]["output"] == {
        "base": 10,
        "growth": {"kind": "logistic", "capacity": 100, "rate": 0.3},
    }
    assert loaded.data["region"]["industrial_output"]["growth"] == 0.02
    assert not any(
        k[:3] == ("region", "industrial_output", "growth") and len(k) > 3 for k in loaded.origins
    )


def test_null_deletes_a_key(tmp_path):
    child = "targets:\n  out_level: ~\nregion:\n  population: null\n"
    _, _, loaded = child_of(tmp_path, child)
    assert list(loaded.data["targets"]) == ["gdp_level"]
    assert "population" not in loaded.data["region"]
    assert not any(k[:2] == ("targets", "out_level") for k in loaded.origins)
    assert not any(k[:2] == ("region", "population") for k in loaded.origins)
    sc = load_scenario(tmp_path / "child.yaml")
    assert list(sc.targets) == ["gdp_level"] and sc.region.population is None


def test_null_for_a_key_the_parent_lacks_is_harmless(tmp_path):
    _, path, loaded = child_of(tmp_path, "note: ~\n")
    assert loaded.data["note"] is None  # kept, so validation can name a stray key
    assert load_scenario(path).note is None


def test_null_for_an_unknown_key_is_reported(tmp_path):
    """A stray null key (often from a comma in a flow mapping) is an error, not a no-op."""
    _, path, _ = child_of(tmp_path, "name: {zh: 子, en: Child, with comma}\n")
    with pytest.raises(ScenarioError, match=r"name\.with comma: unknown field.*quotes"):
        load_scenario(path)


def test_different_kind_replaces_the_block_whole(tmp_path):
    child = "region:\n  gdp:\n    growth: {kind: constant, rate: 0.05}\n"
    _, path, loaded = child_of(tmp_path, child)
    assert loaded.data["region"]["gdp"]["growth"] == {"kind": "constant", "rate": 0.05}
    assert ("region", "gdp", "growth", "start") not in loaded.origins
    sc = load_scenario(path)  # a merged {kind: constant, start, end, rate} would not validate
    assert sc.region.gdp.growth.kind == "constant"


def test_same_kind_merges(tmp_path):
    child = (
        "region:\n  industrial_output:\n    growth:\n      kind: path\n      rates: {2023: 0.10}\n"
    )
    _, _, loaded = child_of(tmp_path, child)
    growth = loaded.data["region"]["industrial_output"]["growth"]
    assert growth == {
        "kind": "path",
        "interpolation": "linear",
        "rates": {2021: 0.05, 2023: 0.10, 2025: 0.03},
    }


def test_block_without_kind_merges_into_parent_kind(tmp_path):
    _, path, loaded = child_of(tmp_path, "region:\n  gdp:\n    growth: {end: 0.02}\n")
    assert loaded.data["region"]["gdp"]["growth"] == {"kind": "linear", "start": 0.06, "end": 0.02}
    assert load_scenario(path).region.gdp.growth.end == 0.02


def test_different_dist_replaces_the_block_whole(tmp_path):
    child = "region:\n  population:\n    growth: {dist: uniform, low: 0.0, high: 0.02}\n"
    _, path, loaded = child_of(tmp_path, child)
    assert loaded.data["region"]["population"]["growth"] == {
        "dist": "uniform",
        "low": 0.0,
        "high": 0.02,
    }
    load_scenario(path)  # no stray mean/sd from the normal


def test_same_dist_merges(tmp_path):
    child = "region:\n  population:\n    growth: {dist: normal, sd: 0.004}\n"
    _, _, loaded = child_of(tmp_path, child)
    assert loaded.data["region"]["population"]["growth"] == {
        "dist": "normal",
        "mean": 0.01,
        "sd": 0.004,
        "low": 0.0,
    }


def test_parent_is_not_modified_by_merge(tmp_path):
    parent = write(tmp_path, "parent.yaml", PARENT)
    before = load_data(parent).data
    write(tmp_path, "child.yaml", "extends: parent.yaml\nregion: {gdp: {base: 1}}\n")
    load_data(tmp_path / "child.yaml")
    assert load_data(parent).data == before


def test_extends_is_relative_to_the_file_that_names_it(tmp_path):
    write(tmp_path, "base/grand.yaml", PARENT)
    write(tmp_path, "base/mid.yaml", "extends: grand.yaml\nid: mid\n")
    leaf = write(tmp_path, "runs/2026/leaf.yaml", "extends: ../../base/mid.yaml\nid: leaf\n")
    loaded = load_data(leaf)
    assert loaded.data["id"] == "leaf"
    assert [Path(f).name for f in loaded.files] == ["grand.yaml", "mid.yaml", "leaf.yaml"]
    assert load_scenario(leaf).id == "leaf"


def test_extends_missing_file_names_the_line(tmp_path):
    p = write(tmp_path, "child.yaml", "id: child\nextends: nowhere/parent.yaml\n")
    with pytest.raises(ScenarioError) as info:
        load_data(p)
    msg = str(info.value)
    assert msg.startswith(f"{p}:2: ")
    assert "nowhere/parent.yaml" in msg and "not found" in msg


def test_extends_must_be_a_path(tmp_path):
    p = write(tmp_path, "child.yaml", "id: child\nextends: [a.yaml]\n")
    with pytest.raises(ScenarioError, match=r"child\.yaml:2: extends: must be a file path"):
        load_data(p)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_extends_cycle(tmp_path, n):
    names = [f"s{i}.yaml" for i in range(n)]
    for i, name in enumerate(names):
        write(tmp_path, name, f"extends: {names[(i + 1) % n]}\nid: s{i}\n")
    with pytest.raises(ScenarioError, match="extends: cycle: ") as info:
        load_data(tmp_path / names[0])
    for name in names:
        assert name in str(info.value)


def test_diamond_is_not_a_cycle(tmp_path):
    """Two files extending the same parent (siblings) is fine; only a loop is a cycle."""
    write(tmp_path, "parent.yaml", PARENT)
    write(tmp_path, "a.yaml", "extends: parent.yaml\nid: a\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\nid: b\n")
    assert load_data(tmp_path / "b.yaml").data["id"] == "b"


# --- provenance -----------------------------------------------------------------------------


def test_origins_and_overridden(tmp_path):
    child = "id: child\nregion:\n  gdp:\n    base: 200\n"
    parent, path, loaded = child_of(tmp_path, child)
    full_child = "extends: parent.yaml\n" + child
    assert loaded.files == (str(parent), str(path))
    base = ("region", "gdp", "base")
    assert loaded.origins[base] == Origin(str(path), line_of(full_child, "base: 200"), 5)
    assert loaded.overridden[base] == (Origin(str(parent), line_of(PARENT, "base: 100"), 5),)
    assert loaded.origins[("region", "gdp", "growth")].file == str(parent)
    assert ("region", "gdp", "growth") not in loaded.overridden
    assert loaded.origins[("id",)].file == str(path)
    assert loaded.overridden[("id",)][0].file == str(parent)


def test_overridden_accumulates_along_a_chain(tmp_path):
    grand = write(tmp_path, "grand.yaml", PARENT)
    mid = write(tmp_path, "mid.yaml", "extends: grand.yaml\nregion: {gdp: {base: 150}}\n")
    leaf = write(tmp_path, "leaf.yaml", "extends: mid.yaml\nregion:\n  gdp:\n    base: 200\n")
    loaded = load_data(leaf)
    key = ("region", "gdp", "base")
    assert loaded.data["region"]["gdp"]["base"] == 200
    assert str(loaded.origins[key]) == f"{leaf}:4"
    assert [str(o) for o in loaded.overridden[key]] == [
        f"{grand}:{line_of(PARENT, 'base: 100')}",
        f"{mid}:2",
    ]


def test_replaced_block_takes_child_origins(tmp_path):
    child = "region:\n  gdp:\n    growth:\n      kind: constant\n      rate: 0.05\n"
    _, path, loaded = child_of(tmp_path, child)
    full = "extends: parent.yaml\n" + child
    assert loaded.origins[("region", "gdp", "growth", "rate")] == Origin(
        str(path), line_of(full, "rate: 0.05"), 7
    )
    assert loaded.overridden[("region", "gdp", "growth")][0].line == line_of(PARENT, "growth:")


def test_where_falls_back_to_the_nearest_ancestor(tmp_path):
    p = write(tmp_path, "s.yaml", PARENT)
    loaded = load_data(p)
    o = loaded.where(("clusters", "alpha", "output", "growth", "no_such_key"))
    assert o == loaded.origins[("clusters", "alpha", "output", "growth")]
    assert loaded.where(()) == Origin(str(p), 1, 1)


def test_load_scenario_keeps_provenance(tmp_path):
    parent, path, _ = child_of(tmp_path, "id: child\n")
    sc = load_scenario(path)
    loaded = provenance(sc)
    assert isinstance(loaded, Provenance)
    assert loaded is sc.provenance
    assert loaded.files == (str(parent), str(path))
    assert sc.id == "child" and sc.extends == "parent.yaml"
    sc2, prov = load(path)  # the same, returned beside the scenario
    assert sc2 == sc and prov == loaded and prov is sc2.provenance


# --- validation errors --------------------------------------------------------------------------


def bad(tmp_path: Path, text: str) -> tuple[Path, list[str]]:
    p = write(tmp_path, "s.yaml", text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert str(info.value) == "\n".join(info.value.problems)
    return p, info.value.problems


def test_one_line_per_problem_with_file_line_and_path(tmp_path):
    text = PARENT.replace(
        "    output: {base: 10, growth: 0.1}", "    outptu: {base: 10, growth: 0.1}"
    ).replace("    metric: gdp\n", "    metric: gdp\n    at_lest: 3\n")
    p, problems = bad(tmp_path, text)
    assert len(problems) == 3, problems
    by_path = {line.split(": ")[1]: line for line in problems}
    assert by_path["clusters.alpha.outptu"].startswith(f"{p}:{line_of(text, 'outptu')}: ")
    assert "did you mean 'output'" in by_path["clusters.alpha.outptu"]
    assert by_path["clusters.alpha.output"].startswith(f"{p}:{line_of(text, '  alpha:')}: ")
    assert "required field missing" in by_path["clusters.alpha.output"]
    assert by_path["targets.gdp_level.at_lest"].startswith(f"{p}:{line_of(text, 'at_lest')}: ")
    assert "did you mean 'at_least'" in by_path["targets.gdp_level.at_lest"]


def test_unknown_field_lists_allowed_fields(tmp_path):
    _, problems = bad(tmp_path, PARENT.replace("    source: parent source", "    sorce: x"))
    assert problems[0].endswith(
        "region.gdp.sorce: unknown field; did you mean 'source'? "
        "(allowed: base, growth, unit, breaks, prices, source, note)"
    )


def test_unknown_kind_lists_kinds(tmp_path):
    text = PARENT.replace("      kind: linear\n", "      kind: lineer\n")
    p, problems = bad(tmp_path, text)
    assert problems == [
        f"{p}:{line_of(text, 'growth:')}: region.gdp.growth: unknown kind 'lineer'; "
        "did you mean 'linear'? (allowed: constant, path, linear, to_target, logistic, elasticity)"
    ]


def test_unknown_dist_with_suggestion(tmp_path):
    text = PARENT.replace("dist: normal", "dist: normel")
    _, problems = bad(tmp_path, text)
    assert len(problems) == 1
    assert "unknown dist 'normel'; did you mean 'normal'?" in problems[0]
    assert "lognormal" in problems[0] and "triangular" in problems[0]


def test_bad_value_is_named(tmp_path):
    text = PARENT.replace("base_year: 2020", "base_year: twenty")
    p, problems = bad(tmp_path, text)
    assert problems[0].startswith(f"{p}:3: base_year: ")
    assert "'twenty'" in problems[0]


def test_comma_in_label_number_hints_at_quotes(tmp_path):
    text = PARENT.replace("    label: GDP\n", "    label: {zh: 产值, en: GDP of 10,000 yuan}\n")
    p, problems = bad(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].startswith(f"{p}:{line_of(text, '10,000')}: targets.gdp_level.label.000")
    assert "put it in quotes" in problems[0]


def test_quoted_comma_in_label_is_fine(tmp_path):
    text = PARENT.replace("    label: GDP\n", "    label: {zh: 产值, en: 'GDP of 10,000 yuan'}\n")
    sc = load_scenario(write(tmp_path, "s.yaml", text))
    assert sc.targets["gdp_level"].label.en == "GDP of 10,000 yuan"


def test_errors_in_a_child_point_at_the_child(tmp_path):
    parent = write(tmp_path, "parent.yaml", PARENT)
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\nregion:\n  gdp:\n    bse: 3\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert str(info.value).startswith(f"{child}:4: region.gdp.bse: unknown field")
    # and errors inherited from the parent point at the parent
    write(tmp_path, "parent.yaml", PARENT.replace("    name: Beta\n", "    nam: Beta\n"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, "child2.yaml", "extends: parent.yaml\nid: c\n"))
    assert any(
        line.startswith(f"{parent}:") and "clusters.beta.nam" in line
        for line in info.value.problems
    )


# --- known bugs (strict xfail) -------------------------------------------------------------------


def test_recursive_alias_is_a_scenario_error(tmp_path):
    p = write(tmp_path, "s.yaml", "id: a\nname: &x [*x]\n")
    with pytest.raises(ScenarioError, match=r"s\.yaml:2"):
        read_yaml(p)


def test_aliases_and_merge_keys_load(tmp_path):
    text = PARENT + (
        "  third:\n"
        "    <<: {kind: level, metric: gdp, year: 2025}\n"
        "    label: Third\n"
        "    at_least: 1\n"
    )
    sc = load_scenario(write(tmp_path, "s.yaml", text))
    assert sc.targets["third"].kind == "level" and sc.targets["third"].year == 2025


YEAR_PARENT = """\
id: p
name: P
base_year: 2020
end_year: 2025
region:
  gdp:
    base: 100
    growth:
      kind: path
      rates: {2021: 0.05, 2023: 0.04}
  history:
    gdp: {2018: 80, 2019: 90}
"""


def test_year_keys_keep_the_childs_provenance(tmp_path):
    parent = write(tmp_path, "parent.yaml", YEAR_PARENT)
    child_text = (
        "extends: parent.yaml\n"
        "region:\n"
        "  gdp:\n"
        "    growth:\n"
        "      rates:\n"
        "        2023: 0.02\n"
        "  history:\n"
        "    gdp:\n"
        "      2019: 95\n"
    )
    child = write(tmp_path, "child.yaml", child_text)
    loaded = load_data(child)
    assert loaded.data["region"]["gdp"]["growth"]["rates"] == {2021: 0.05, 2023: 0.02}
    rate = ("region", "gdp", "growth", "rates", "2023")
    assert loaded.origins[rate] == Origin(str(child), 6, 9)
    assert loaded.overridden[rate] == (Origin(str(parent), 10, 27),)
    assert loaded.origins[("region", "history", "gdp", "2019")].file == str(child)
    # and so an error in the child's value must point at the child
    write(tmp_path, "child.yaml", child_text.replace("2023: 0.02", "2023: lots"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert str(info.value).startswith(f"{child}:6: region.gdp.growth.rates.2023: ")


def test_year_keys_in_a_single_file_have_their_lines(tmp_path):
    p = write(tmp_path, "s.yaml", YEAR_PARENT.replace("2023: 0.04", "2023: lots"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert str(info.value).startswith(f"{p}:10: region.gdp.growth.rates.2023: ")
    assert "'lots'" in str(info.value)
