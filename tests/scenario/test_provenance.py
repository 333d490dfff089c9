"""Provenance as an explicit object: returned by the loader beside the scenario, carried
to compile errors, kept through copies and pickling."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clustersim as cs
from clustersim.errors import ScenarioError
from clustersim.scenario.loader import load, load_data
from clustersim.scenario.provenance import Origin, Provenance

PARENT = """\
id: parent
name: Parent
base_year: 2020
end_year: 2025
region:
  gdp:
    base: 100
    growth: 0.05
"""
CHILD = """\
extends: parent.yaml
id: child
region:
  gdp:
    growth: 0.06
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    parent, child = tmp_path / "parent.yaml", tmp_path / "child.yaml"
    parent.write_text(PARENT, encoding="utf-8")
    child.write_text(CHILD, encoding="utf-8")
    return parent, child


def test_origin_prints_file_and_line_and_is_frozen() -> None:
    o = Origin("a.yaml", 3, 5)
    assert str(o) == "a.yaml:3"
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.line = 4  # type: ignore[misc]


def test_load_returns_the_provenance_beside_the_scenario(files: tuple[Path, Path]) -> None:
    parent, child = files
    sc, prov = load(child)
    assert isinstance(prov, Provenance) and sc.provenance is prov
    assert prov.files == (str(parent), str(child))
    assert prov.where(("region", "gdp", "growth")) == Origin(str(child), 5, 5)
    assert prov.where(("region", "gdp", "base")) == Origin(str(parent), 7, 5)
    assert prov.overridden[("region", "gdp", "growth")] == (Origin(str(parent), 8, 5),)
    assert prov.at(("region", "gdp", "base")) == f"{parent}:7: region.gdp.base"
    with pytest.raises(dataclasses.FrozenInstanceError):
        prov.files = ()  # type: ignore[misc]


def test_chain_names_the_files_from_the_loaded_one_to_the_setter(
    files: tuple[Path, Path],
) -> None:
    parent, child = files
    prov = load_data(child)
    assert prov.chain(("region", "gdp", "base")) == (str(child), str(parent))
    assert prov.chain(("region", "gdp", "growth")) == (str(child),)
    assert Provenance({}, {}).chain(("x",)) == ()


def test_a_scenario_built_in_python_has_none() -> None:
    sc = cs.Scenario.model_validate(
        {
            "id": "p",
            "name": "p",
            "base_year": 2020,
            "end_year": 2021,
            "region": {"gdp": {"base": 1}},
        }
    )
    assert sc.provenance is None
    assert cs.compile_scenario(sc).at("region", "gdp") == "region.gdp"


def test_compile_errors_name_the_line_through_the_explicit_provenance(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        PARENT.replace("growth: 0.05", "growth: {kind: elasticity, to: nothing, elasticity: 1}")
    )
    sc, prov = load(bad)
    with pytest.raises(ScenarioError, match=rf"^{bad}:8: region\.gdp\.growth\.to: elasticity"):
        cs.compile_scenario(sc)
    bare = cs.Scenario.model_validate(prov.data)  # the same scenario, no provenance
    with pytest.raises(ScenarioError, match=r"^region\.gdp\.growth\.to: elasticity"):
        cs.compile_scenario(bare)
    with pytest.raises(ScenarioError, match=rf"^{bad}:8: region\.gdp\.growth\.to"):
        cs.compile_scenario(bare, provenance=prov)


def test_provenance_survives_copies_and_pickling(files: tuple[Path, Path]) -> None:
    sc, prov = load(files[1])
    assert sc.model_copy(update={"note": "x"}).provenance is prov
    back = pickle.loads(pickle.dumps(sc))
    assert back.provenance == prov and back == sc
    comp = cs.compile_scenario(sc)
    assert comp.provenance is prov


# --- merging a child over its parent: the origins follow the merged document -------------------

_scalars = st.one_of(
    st.integers(-3, 3), st.floats(-1, 1, allow_nan=False), st.text("ab", max_size=2)
)
_docs = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from("abcd"), inner, max_size=3)
    ),
    max_leaves=12,
)


def _origins_of(doc: object, file: str, key: tuple[str, ...] = ()) -> dict[tuple[str, ...], Origin]:
    """An origin for every node of ``doc`` (as the YAML reader gives: mapping keys and list
    indices as text), numbered in document order."""
    out: dict[tuple[str, ...], Origin] = {}

    def walk(v: object, k: tuple[str, ...]) -> None:
        if k:
            out[k] = Origin(file, len(out) + 1)
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        for kk, vv in items:
            walk(vv, (*k, str(kk)))

    walk(doc, key)
    return out


def _merge_by_scans(base, child, key, origins, child_origins, overridden) -> None:  # type: ignore[no-untyped-def]
    """The merge as it was before overriding a scalar skipped the scans: every replaced
    value drops all origins under its key and takes the child's, found by a scan of all."""
    from clustersim.scenario.loader import _retagged

    for k, v in child.items():
        kk = (*key, str(k))
        old = base.get(k)
        if k in base and kk in origins:
            overridden.setdefault(kk, []).append(origins[kk])
        if v is None:
            if k in base:
                base.pop(k)
                for p in [p for p in origins if p[: len(kk)] == kk]:
                    del origins[p]
            else:
                base[k] = None
                origins.update({p: o for p, o in child_origins.items() if p[: len(kk)] == kk})
            continue
        if isinstance(v, dict) and isinstance(old, dict) and not _retagged(old, v):
            origins[kk] = child_origins.get(kk, origins.get(kk, Origin("?", 0)))
            _merge_by_scans(old, v, kk, origins, child_origins, overridden)
        else:
            base[k] = copy.deepcopy(v)
            for p in [p for p in origins if p[: len(kk)] == kk]:
                del origins[p]
            origins.update({p: o for p, o in child_origins.items() if p[: len(kk)] == kk})


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from("abcd"), _docs, max_size=4),
    st.dictionaries(st.sampled_from("abcd"), st.one_of(st.none(), _docs), max_size=4),
)
def test_merged_origins_equal_those_found_by_scanning(parent: dict, child: dict) -> None:  # type: ignore[type-arg]
    """Overriding a scalar touches only its own key; the origins, their order and the
    overridden lines equal the merge that scans every origin for each replaced value."""
    from clustersim.scenario.loader import _merge

    parent_origins, child_origins = _origins_of(parent, "p.yaml"), _origins_of(child, "c.yaml")
    got = (copy.deepcopy(parent), dict(parent_origins), {})
    want = (copy.deepcopy(parent), dict(parent_origins), {})
    _merge(got[0], child, (), got[1], child_origins, got[2])
    _merge_by_scans(want[0], child, (), want[1], child_origins, want[2])
    assert got[0] == want[0]
    assert list(got[1].items()) == list(want[1].items())
    assert got[2] == want[2]
    # and they mirror the merged document: every origin names a node of it
    nodes = set(_origins_of(got[0], "-"))
    assert set(got[1]) <= nodes
