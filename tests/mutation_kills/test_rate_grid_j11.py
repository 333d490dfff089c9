"""The required-growth search scans RATE_GRID (-50% .. +200%) for the first bracket where
a target flips, then refines it. A root in every interval of the grid is found to 1e-9
(checked against the closed form (goal / 100)^(1/5) - 1, computed here), and a root
outside the range is "none in range": a grid value moved (out of order, or the range's
ends changed) gives a wrong rate or a different range (kills the RATE_GRID mutants of
the third mutation run, which the 10 s budget left alive)."""

from __future__ import annotations

import pytest

import clustersim as cs

#: one root inside each interval of the grid, and near both ends
ROOTS = [-0.49, -0.45, -0.25, -0.15, -0.07, -0.03, 0.01, 0.03, 0.06, 0.1, 0.15, 0.25, 0.4]
ROOTS += [0.6, 0.9, 1.2, 1.8, 1.99]
#: beyond the range on either side: no rate in -50% .. +200% meets them
OUTSIDE = [-0.55, 2.1, 2.5]


def _scenario(roots: list[float]) -> cs.Scenario:
    """output[a] 100 in 2020; one target per root: ``output[a] + 0`` (a derived metric, so
    no closed form: the grid search) at least 100 (1 + root)^5 in 2025."""
    targets = {
        f"t{i}": {
            "kind": "level",
            "label": f"t{i}",
            "metric": "output[a] + 0",
            "year": 2025,
            "at_least": 100.0 * (1.0 + r) ** 5,
            "lever": "output[a]",
        }
        for i, r in enumerate(roots)
    }
    return cs.Scenario.model_validate(
        {
            "id": "g",
            "name": "g",
            "base_year": 2020,
            "end_year": 2025,
            "region": {"gdp": {"base": 1000.0, "growth": 0.05}},
            "clusters": {"a": {"name": "A", "output": {"base": 100.0, "growth": 0.05}}},
            "targets": targets,
        }
    )


def test_a_root_in_every_interval_of_the_grid_is_found() -> None:
    res = cs.run(_scenario(ROOTS))
    for i, r in enumerate(ROOTS):
        rg = res.target(f"t{i}").required_growth
        assert rg is not None and rg["method"] == "root_finding", (r, rg)
        assert rg["rate"] == pytest.approx(r, abs=1e-9), r


def test_a_root_outside_minus_50_to_200_percent_is_none_in_range() -> None:
    res = cs.run(_scenario(OUTSIDE))
    for i, r in enumerate(OUTSIDE):
        rg = res.target(f"t{i}").required_growth
        assert rg is not None and rg["method"] == "none_in_range" and rg["rate"] is None, (r, rg)


#: the grid as documented (docs/scenario-format.md: "a grid of rates from -50% to +200%")
GRID = [-0.5, -0.3, -0.2, -0.1, -0.05, 0.0, 0.02, 0.05, 0.08, 0.12, 0.2, 0.3, 0.5]
GRID += [0.75, 1.0, 1.5, 2.0]
HALF = 0.004  # half a band's width in rate: narrower than the grid's closest points


def test_a_narrow_band_around_each_grid_rate_is_found_at_its_first_edge() -> None:
    """A ``between`` goal met only for rates within 0.4 points of one grid rate g: the
    margin changes twice, so which edge is found depends on the scan. Scanning up from
    -50%, the first change is from missed to met at g (the band's lower edge, g - 0.004,
    is the answer), except at -50% itself, met from the start, where the first change is
    the band's upper edge. A grid rate moved away leaves no met point in its band, or an
    out-of-order pair that brackets the wrong edge."""
    targets = {
        f"b{i}": {
            "kind": "level",
            "label": f"b{i}",
            "metric": "output[a] + 0",
            "year": 2025,
            "between": [100.0 * (1.0 + g - HALF) ** 5, 100.0 * (1.0 + g + HALF) ** 5],
            "lever": "output[a]",
        }
        for i, g in enumerate(GRID)
    }
    sc = cs.Scenario.model_validate(
        {
            "id": "b",
            "name": "b",
            "base_year": 2020,
            "end_year": 2025,
            "region": {"gdp": {"base": 1000.0, "growth": 0.05}},
            "clusters": {"a": {"name": "A", "output": {"base": 100.0, "growth": 0.05}}},
            "targets": targets,
        }
    )
    res = cs.run(sc)
    for i, g in enumerate(GRID):
        rg = res.target(f"b{i}").required_growth
        edge = g + HALF if i == 0 else g - HALF
        assert rg is not None and rg["rate"] == pytest.approx(edge, abs=1e-9), (g, rg)
