"""The one table of user-facing words: every entry in both languages, fields alike."""

from __future__ import annotations

import string

import pytest

from clustersim.i18n import LANGS, SERIES_LABELS, WORDS, Bi, word


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(WORDS))
def test_every_word_has_chinese_and_english_with_the_same_fields(key: str) -> None:
    entry = WORDS[key]
    assert isinstance(entry, Bi)
    assert entry.zh.strip() and entry.en.strip(), key
    assert _fields(entry.zh) == _fields(entry.en), key


@pytest.mark.parametrize("name", sorted(SERIES_LABELS))
def test_every_series_name_has_chinese_and_english(name: str) -> None:
    label = SERIES_LABELS[name]
    assert label.zh.strip() and label.en.strip(), name


def test_word_picks_the_language_and_fills_fields() -> None:
    assert LANGS == ("en", "zh")
    assert word("targets_met", "en", met=3, n=4) == "3 of 4 targets met"
    assert word("targets_met", "zh", met=3, n=4) == "3/4 个目标达成"
    assert word("run_title_samples", "en", samples=1000, seed=7) == ", 1,000 samples (seed 7)"


def test_reading_the_table_loads_no_scenario_model() -> None:
    import subprocess
    import sys

    code = "import sys, clustersim.i18n; print('pydantic' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"
