"""The target-kind registry refuses a kind class without ``kind: Literal['<name>']`` and a
second class for a name already registered, with these messages; the registry is left as
it was."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from pydantic import BaseModel

from clustersim.kinds.targets import TARGET_KINDS, kind_name, register
from clustersim.kinds.targets.level import LevelTarget


def test_a_kind_without_a_literal_name_is_refused() -> None:
    class NoKind(BaseModel):
        year: int

    class StrKind(BaseModel):
        kind: str

    class TwoNames(BaseModel):
        kind: Literal["a", "b"]

    for cls in (NoKind, StrKind, TwoNames):
        anycls: Any = cls
        with pytest.raises(TypeError) as e:
            kind_name(anycls)
        assert str(e.value) == f"{cls.__name__} must declare kind: Literal['<name>']"


def test_a_second_class_for_a_registered_name_is_refused() -> None:
    class AnotherLevel(LevelTarget):  # inherits kind: Literal["level"]
        pass

    before = dict(TARGET_KINDS)
    with pytest.raises(ValueError) as e:
        register(AnotherLevel)
    assert str(e.value) == "target kind 'level' is defined twice"
    assert before == TARGET_KINDS
    assert register(LevelTarget) is LevelTarget  # the same class again is fine
    assert before == TARGET_KINDS
