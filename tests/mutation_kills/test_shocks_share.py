"""The factor's share of a shock's innovation variance: 0 without a factor, the default
0.5 with one, or the loading given; a loading without a factor is refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from clustersim.kinds.growth.base import DEFAULT_LOADING, Shocks


def test_share_of_the_factor() -> None:
    assert DEFAULT_LOADING == 0.5
    assert Shocks.model_validate({"sd": 0.02}).share == 0.0
    assert Shocks.model_validate({"sd": 0.02, "factor": "f"}).share == 0.5
    assert Shocks.model_validate({"sd": 0.02, "factor": "f", "loading": 0.3}).share == 0.3


def test_a_loading_needs_a_factor() -> None:
    s = Shocks.model_validate({"sd": 0.02, "ar": 0.4})
    assert isinstance(s, Shocks) and s.sd == 0.02 and s.ar == 0.4
    with pytest.raises(ValidationError, match="loading is the share of a factor: name the factor"):
        Shocks.model_validate({"sd": 0.02, "loading": 0.3})
