"""The report's embedded font: a WOFF subset of the shipped font holding exactly the
glyphs of the page's characters, made once per set of characters."""

from __future__ import annotations

import base64
import io
import re

import pytest

from clustersim.report import fonts

pytest.importorskip("fontTools")


def _woff_cmap(rule: str) -> set[int]:
    from fontTools.ttLib import TTFont

    m = re.search(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", rule)
    assert m is not None, rule[:200]
    font = TTFont(io.BytesIO(base64.b64decode(m.group(1))))
    assert font.flavor == "woff"
    return set(font.getBestCmap())


def test_the_subset_has_the_glyphs_of_the_page_s_characters_and_no_others() -> None:
    text = "镇江 2026 年产值突破 1,000 亿元（力争）" + "<path d='M 0 0 L 1 1'/>" * 1000 + "☃"
    rule = fonts.css_font_face(text)
    assert rule.startswith("@font-face { font-family: 'Clustersim Sans SC';")
    # the characters the shipped font covers, by a plain loop over the text
    cmap = fonts.font_charmap()
    want = {0x20}
    for c in text:
        if ord(c) in cmap:
            want.add(ord(c))
    assert ord("☃") not in cmap  # (so it is left out, not embedded)
    assert _woff_cmap(rule) == want


def test_a_page_without_a_covered_character_embeds_nothing() -> None:
    assert fonts.css_font_face("") == ""
    assert fonts.css_font_face("☃☃☃") == ""
    assert fonts.css_font_face("   ") == ""  # the space alone is not worth a font


def test_the_same_characters_give_the_same_rule_made_once() -> None:
    fonts._font_face.cache_clear()
    first = fonts.css_font_face("产值 GDP 2026")
    again = fonts.css_font_face("2026 GDP 值产 " * 50)  # same characters, other order
    assert again == first
    info = fonts._font_face.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    other = fonts.css_font_face("产值 GDP 20267")  # one character more: a subset of its own
    assert other != first
    assert _woff_cmap(other) == _woff_cmap(first) | {ord("7")}
