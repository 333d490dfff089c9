"""What the target kinds inherit from ``TargetKind`` unless they override it, on ``level``
(which overrides neither): no goal path (a TypeError naming the class) and no cluster
bars; a lever listed twice, and a lever text that is not ``series`` or
``series[cluster]``, are refused when the target is validated."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from clustersim.kinds.targets.level import LevelTarget

BASE: dict[str, Any] = {"kind": "level", "label": "t", "metric": "gdp", "year": 2025, "at_least": 1}


def test_a_kind_without_goal_path_says_so() -> None:
    with pytest.raises(TypeError) as e:
        LevelTarget.goal_path(100.0, 10.0, 1)
    assert str(e.value) == "LevelTarget sets marker = 'path' but does not define goal_path()"


def test_a_kind_without_cluster_bars_has_none() -> None:
    assert LevelTarget.model_validate(BASE).cluster_bars() is None


def test_the_same_lever_twice_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError) as e:
        LevelTarget.model_validate({**BASE, "lever": ["gdp", " gdp "]})
    (err,) = e.value.errors()
    assert err["loc"] == ()
    assert err["msg"] == "Value error, lever: the same lever is listed twice"


def test_a_lever_text_that_is_not_a_series_is_left_to_the_schema() -> None:
    """``gdp + 1`` does not match ``series`` / ``series[cluster]``, so it is passed on as
    written and the schema refuses a string where a lever object is expected."""
    with pytest.raises(pydantic.ValidationError) as e:
        LevelTarget.model_validate({**BASE, "lever": "gdp + 1"})
    errs = e.value.errors()
    assert errs[0]["loc"][0] == "lever"
    assert errs[0]["input"] == "gdp + 1"
    assert errs[0]["msg"] == "Input should be a valid dictionary or instance of Lever"
    ok = LevelTarget.model_validate({**BASE, "lever": "output[a]"}).levers()
    assert [(lv.series, lv.clusters) for lv in ok] == [("output", ["a"])]
