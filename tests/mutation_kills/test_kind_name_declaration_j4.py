"""A target kind must declare exactly one string name in ``kind: Literal[...]``."""

from __future__ import annotations

from typing import Literal

import pytest

from clustersim.kinds.targets import TargetKind, kind_name


class _TwoNames(TargetKind):
    kind: Literal["x", "y"]


class _NumberName(TargetKind):
    kind: Literal[1]  # type: ignore[assignment]


def test_two_names_are_refused() -> None:
    with pytest.raises(TypeError) as info:
        kind_name(_TwoNames)  # type: ignore[type-abstract]
    assert str(info.value) == "_TwoNames must declare kind: Literal['<name>']"


def test_a_name_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(TypeError) as info:
        kind_name(_NumberName)  # type: ignore[type-abstract]
    assert str(info.value) == "_NumberName must declare kind: Literal['<name>']"
