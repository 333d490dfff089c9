"""The registry lists every target kind, and every kind has every piece.

Adding a kind is one module in clustersim/kinds/targets/; these tests hold each kind to
the whole contract (fields, compile, NumPy evaluation, compiled form, report, docs), so a
kind cannot be half added.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clustersim.kinds.targets import (
    TARGET_KINDS,
    EveryYearKind,
    PointKind,
    TargetKind,
    docs_table,
    kind_name,
    target_kind,
)
from clustersim.scenario.models import Scenario, scenario_json_schema

SHIPPED = {
    "level",
    "stock",
    "share",
    "group_sum",
    "cagr",
    "growth_every_year",
    "change_vs",
    "pp_change_per_year",
    "flow_every_year",
    "count_over",
    "cumulative",
    "change_since",
    "reached_by",
    "pp_change",
}
DOCS = Path(__file__).resolve().parents[3] / "docs" / "scenario-format.md"
KINDS = sorted(TARGET_KINDS.items())


def _overrides(cls: type[Any], base: type[Any], name: str) -> bool:
    """Whether ``cls`` (or a class between it and ``base``) defines ``name`` itself."""
    for klass in cls.__mro__:
        if klass is base:
            return False
        if name in vars(klass):
            return True
    return False


def test_the_registry_lists_every_kind_by_its_declared_name() -> None:
    assert set(TARGET_KINDS) == SHIPPED
    for name, cls in TARGET_KINDS.items():
        assert kind_name(cls) == name
        assert target_kind(name) is cls
    with pytest.raises(KeyError, match="unknown target kind 'levle'; known: cagr"):
        target_kind("levle")


def test_the_scenario_union_is_the_registry() -> None:
    """Every registered kind validates as a target, and the schema offers each one."""
    schema = str(scenario_json_schema())
    for name in TARGET_KINDS:
        assert f"'{name}'" in schema
    members = Scenario.model_fields["targets"].annotation
    assert set(TARGET_KINDS.values()) <= set(_union_members(members))


def _union_members(tp: Any) -> list[Any]:
    import typing

    out: list[Any] = []
    for a in typing.get_args(tp):
        out += _union_members(a) if typing.get_args(a) else [a]
    return out


@pytest.mark.parametrize(("name", "cls"), KINDS, ids=[n for n, _ in KINDS])
def test_every_kind_has_every_piece(name: str, cls: type[TargetKind]) -> None:
    fields = cls.model_fields
    assert "kind" in fields and "year" in fields, "fields: kind and year"
    assert cls.__doc__ and cls.__doc__ is not TargetKind.__doc__, "a docstring (the schema's)"
    assert _overrides(cls, TargetKind, "metric_expr"), "compile: the metric it reads"
    assert _overrides(cls, TargetKind, "evaluate"), "the NumPy evaluation"
    assert _overrides(cls, TargetKind, "kernel"), "the compiled (numba) form"
    if issubclass(cls, PointKind):
        assert _overrides(cls, PointKind, "value") and _overrides(cls, PointKind, "value_code")
    if issubclass(cls, EveryYearKind):
        assert cls.window
        assert _overrides(cls, EveryYearKind, "per_year")
        assert _overrides(cls, EveryYearKind, "step_code")
    if cls.marker == "path":
        assert _overrides(cls, TargetKind, "goal_path"), "the report's goal path"
    assert cls.search in ("smooth", "step")
    assert cls.doc_fields and cls.doc_value, "its row of the docs table"
    assert f"| `{name}` | {cls.doc_fields} | {cls.doc_value} |" in docs_table()


def test_the_docs_table_is_the_registry() -> None:
    """docs/scenario-format.md shows the table the registry generates."""
    assert docs_table() in DOCS.read_text(encoding="utf-8")
