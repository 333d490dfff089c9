"""The guards of the target kinds against a hand-built :class:`TargetSpec` that lacks what
the kind needs (a scenario cannot produce one: ``from_year`` is required by the schema and
count_over takes a threshold or tiers), each with its exact message. They raise before
reading the frame or the kernel writer, so neither is needed here."""

from __future__ import annotations

from typing import Any

import pytest

from clustersim.core import expr as ex
from clustersim.core.targets import TargetSpec
from clustersim.kinds.targets import TARGET_KINDS

NOTHING: Any = None  # no frame / kernel writer: the guard raises first


def spec(kind: str, **kw: Any) -> TargetSpec:
    return TargetSpec(
        id="t1", kind=kind, metric=ex.parse("gdp"), year=2030, evaluate=lambda t, f: NOTHING, **kw
    )


def test_pp_change_without_a_first_year() -> None:
    kind: Any = TARGET_KINDS["pp_change"]
    with pytest.raises(ValueError) as e:
        kind.value(spec("pp_change"), NOTHING)
    assert str(e.value) == "target t1: pp_change needs a first year"
    with pytest.raises(ValueError) as e:
        kind.value_code(NOTHING, spec("pp_change"), [])
    assert str(e.value) == "target t1: pp_change needs a first year"


def test_reached_by_without_a_first_year() -> None:
    with pytest.raises(ValueError) as e:
        TARGET_KINDS["reached_by"].evaluate(spec("reached_by"), NOTHING)
    assert str(e.value) == "target t1: reached_by needs a first year"


@pytest.mark.parametrize("name", ["growth_every_year", "flow_every_year", "pp_change_per_year"])
def test_a_window_kind_without_a_start_year(name: str) -> None:
    kind = TARGET_KINDS[name]
    with pytest.raises(ValueError) as e:
        kind.evaluate(spec(name), NOTHING)
    assert str(e.value) == "target t1: a window needs a start year"
    with pytest.raises(ValueError) as e:
        kind.kernel(NOTHING, spec(name), "1e-9")
    assert str(e.value) == "target t1: a window needs a start year"


def test_count_over_without_threshold_or_tiers() -> None:
    with pytest.raises(ValueError) as e:
        TARGET_KINDS["count_over"].evaluate(spec("count_over"), NOTHING)
    assert str(e.value) == "target t1: count_over needs a threshold or tiers"
