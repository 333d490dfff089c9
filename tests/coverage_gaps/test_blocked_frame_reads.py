"""The block engine's time-major series read as a mapping, and a :class:`YearFrame`'s
window and the refusals of its expression reader, on a scenario small enough to work by
hand: GDP 100 growing 10% a year (100, 110, 121), clusters a and b with output 100 and 50
growing 5% (100, 105, 110.25 and 50, 52.5, 55.125), years 2023-2025."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.compile import compile_scenario
from clustersim.core import expr as ex
from clustersim.core.blocked import YearFrame, project_time_major


def _compiled() -> Any:
    d = {
        "id": "b",
        "name": "b",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100, "growth": 0.1}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100, "growth": 0.05}},
            "b": {"name": "B", "output": {"base": 50, "growth": 0.05}},
        },
    }
    return compile_scenario(cs.Scenario.model_validate(d), samples=3, seed=1)


def test_time_major_series_as_a_mapping() -> None:
    model = _compiled().model
    tm = project_time_major(model)
    names = [op.name for op in model.ops]
    assert list(tm) == names
    assert len(tm) == len(names)
    assert "gdp" in tm
    assert "output" in tm
    assert "no_such_series" not in tm
    assert_allclose(np.asarray(tm["gdp"])[:, 0], [100.0, 110.0, 121.0], rtol=1e-15)
    out = np.asarray(tm["output"])  # (T, B', C)
    assert_allclose(out[:, 0, :], [[100.0, 50.0], [105.0, 52.5], [110.25, 55.125]], rtol=1e-15)
    with pytest.raises(KeyError) as e:
        tm["no_such_series"]
    assert e.value.args == ("no_such_series",)


def _frame() -> YearFrame:
    comp = _compiled()
    return YearFrame(project_time_major(comp.model), comp.model, {}, slice(None), 3)


def test_a_frame_window_is_every_year_for_every_sample() -> None:
    w = _frame().window(ex.parse("gdp"), 2023, 2025)
    assert w.shape == (3, 3)
    assert_allclose(w, [[100.0, 110.0, 121.0]] * 3, rtol=1e-15)
    w = _frame().window(ex.parse("sum(output)"), 2024, 2025)
    assert_allclose(w, [[157.5, 165.375]] * 3, rtol=1e-15)


def test_the_frame_refuses_what_compile_would_have_refused() -> None:
    f = _frame()
    with pytest.raises(ex.ExprError) as e:
        f.rows_at(ex.parse("gdp[a]"), 2024)
    assert str(e.value) == "'gdp' is a region series; only cluster series take [cluster]"
    with pytest.raises(ex.ExprError) as e:
        f.rows_at(ex.parse("sum(gdp)"), 2024)
    assert str(e.value) == "sum() reduces over clusters; its argument must be a cluster series"
    node: Any = object()
    with pytest.raises(TypeError) as t:
        f.rows_at(node, 2024)
    assert t.value.args == (node,)
