"""The JSON Schemas of ``clustersim schema`` in Chinese: every ``description`` (editor
tooltips) has a Chinese text in :data:`clustersim.i18n.SCHEMA_DESCRIPTIONS`."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from typer.testing import CliRunner

from clustersim.cli import app
from clustersim.i18n import SCHEMA_DESCRIPTIONS, localize_schema
from clustersim.scenario.models import scenario_json_schema
from clustersim.sweep.spec import sweep_json_schema

CJK = re.compile(r"[\u4e00-\u9fff]")

VARIANTS: dict[str, Any] = {
    "scenario": lambda: scenario_json_schema(),
    "partial": lambda: scenario_json_schema(partial=True),
    "sweep": sweep_json_schema,
}


def _descriptions(node: object) -> list[str]:
    """Every ``description`` string in a JSON Schema, in document order."""
    if isinstance(node, dict):
        out: list[str] = []
        for k, v in node.items():
            if k == "description" and isinstance(v, str):
                out.append(v)
            else:
                out += _descriptions(v)
        return out
    if isinstance(node, list):
        return [d for v in node for d in _descriptions(v)]
    return []


def test_the_table_has_exactly_the_english_descriptions_of_the_schemas() -> None:
    # a docstring or Field(description=...) added or changed without its Chinese fails here,
    # and so does an entry left behind by a docstring that is gone
    english = {d for make in VARIANTS.values() for d in _descriptions(make())}
    assert english - set(SCHEMA_DESCRIPTIONS) == set(), "no Chinese in SCHEMA_DESCRIPTIONS"
    assert set(SCHEMA_DESCRIPTIONS) - english == set(), "stale SCHEMA_DESCRIPTIONS entries"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_zh_description_is_chinese_and_differs_from_the_english(variant: str) -> None:
    en = VARIANTS[variant]()
    zh = localize_schema(VARIANTS[variant](), "zh")
    en_d, zh_d = _descriptions(en), _descriptions(zh)
    assert len(zh_d) == len(en_d) > 0
    for e, z in zip(en_d, zh_d, strict=True):
        assert CJK.search(z), z
        assert z != e, z
    # only the descriptions change
    assert _descriptions(localize_schema(en, "en")) == en_d
    strip = re.compile(r'"description": "(?:[^"\\]|\\.)*"')
    assert strip.sub("", json.dumps(zh, ensure_ascii=False)) == strip.sub(
        "", json.dumps(en, ensure_ascii=False)
    )


@pytest.mark.parametrize("flag", [None, "--partial", "--sweep"])
def test_schema_command_writes_chinese_descriptions_under_lang_zh(flag: str | None) -> None:
    runner = CliRunner()
    args = ["schema", *([flag] if flag else [])]
    zh = runner.invoke(app, [*args, "--lang", "zh"])
    en = runner.invoke(app, [*args, "--lang", "en"])
    assert zh.exit_code == 0 and en.exit_code == 0, zh.output + en.output
    zh_d = _descriptions(json.loads(zh.stdout))
    en_d = _descriptions(json.loads(en.stdout))
    assert all(CJK.search(d) for d in zh_d)
    assert zh_d == [SCHEMA_DESCRIPTIONS[d] for d in en_d]
