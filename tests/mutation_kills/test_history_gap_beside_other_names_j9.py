"""A metric read in a history year that is given for some clusters only names the missing
cluster also when the metric reads other names beside the cluster series: a region series
with its own history (one value a sample, no cluster axis) or a derived metric (no history
of its own, evaluated from its series' history).

Kills core/targets.py:Frame._history:c5c04243c3 (``year in history.get(n, {}) and
np.ndim(history[n][year]) == 2`` -> ``or``): the list of gaps would then index the region
series' 1-D history by cluster (IndexError) and look up a history of the metric ``m``
that does not exist (KeyError), instead of the message naming ``output[b]``.
"""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs
from clustersim.engine import run_targets


def _doc(metric: str) -> dict[str, Any]:
    """output in 2022 is 90 for a and not given for b; gdp in 2022 is 95."""
    return {
        "id": "y",
        "name": "y",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}, "history": {"gdp": {2022: 95}}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100}, "history": {"output": {2022: 90}}},
            "b": {"name": "B", "output": {"base": 50}},
        },
        "metrics": {"m": {"label": "m", "expr": "gdp * 2"}},
        "targets": {
            "t": {
                "kind": "change_since",
                "label": "t",
                "metric": metric,
                "from_year": 2022,
                "year": 2025,
                "at_least": 0,
            }
        },
    }


@pytest.mark.parametrize("metric", ["sum(output) + gdp", "sum(output) + m"])
def test_the_missing_cluster_is_named_beside_a_region_series_or_a_metric(metric: str) -> None:
    sc = cs.Scenario.model_validate(_doc(metric))
    with pytest.raises(cs.ScenarioError) as e:
        cs.run(sc, samples=2, seed=1, required=False)
    assert str(e.value) == "targets.t: the history in 2022 is incomplete: no value for output[b]"
    with pytest.raises(cs.ScenarioError) as e:
        run_targets(sc, samples=2, seed=1, engine="numpy")
    assert str(e.value) == "targets: the history in 2022 is incomplete: no value for output[b]"


def test_with_both_clusters_given_the_same_metric_reads_the_history() -> None:
    """Control: with b's output in 2022 given (45), sum(output) + gdp in 2022 is
    90 + 45 + 95 = 230 and in 2025 (no growth) 100 + 50 + 100 = 250: a change of 20."""
    d = _doc("sum(output) + gdp")
    d["clusters"]["b"]["history"] = {"output": {2022: 45}}
    out = run_targets(cs.Scenario.model_validate(d), samples=1, engine="numpy")["t"]
    assert out.value[0] == pytest.approx(20.0, rel=1e-12)
