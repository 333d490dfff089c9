"""Ids and labels of the scenario format (``[a-z][a-z0-9_]*``; a string or ``{zh, en}``).

Their own module, below :mod:`clustersim.scenario.models`, because the target kinds
(:mod:`clustersim.kinds.targets`) carry labels and cluster ids too, and the scenario model
is built from the kinds' registry: the kinds cannot import the scenario model.
"""

import re
from typing import Annotated

from pydantic import StringConstraints, model_validator

from clustersim.values.numbers import Strict

__all__ = ["ID_RE", "BiLabel", "Id", "Label", "label_text"]

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class BiLabel(Strict):
    """A label in Chinese and English; at least one is required."""

    zh: str | None = None
    en: str | None = None

    @model_validator(mode="after")
    def _one(self) -> "BiLabel":
        if not (self.zh or self.en):
            raise ValueError("a label needs zh or en")
        return self

    def text(self, lang: str = "en") -> str:
        first, second = (self.zh, self.en) if lang == "zh" else (self.en, self.zh)
        return first or second or ""


Label = str | BiLabel


def label_text(label: Label | None, lang: str = "en", default: str = "") -> str:
    if label is None:
        return default
    return label if isinstance(label, str) else label.text(lang)
