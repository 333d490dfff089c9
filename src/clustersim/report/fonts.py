"""The CJK font the charts and the HTML report use, shipped with clustersim.

``fonts/ClustersimSansSC-Regular.otf`` is a subset of Noto Sans SC Regular 2.004 (SIL Open
Font License 1.1, ``fonts/OFL.txt``; made by ``fonts/make_subset.py``): GB 2312 (the 6,763
common hanzi and its symbols), Latin, punctuation, full-width forms and every character of
the shipped scenarios and seed plans, 1.7 MB. Charts register it with matplotlib and list
it first, so Chinese labels render on a machine without any CJK font; glyphs it lacks fall
back to the system's CJK fonts, then to DejaVu Sans. The HTML report embeds the subset of
it that the page uses (a few dozen kB, WOFF) so the page needs no installed font either.
"""

from __future__ import annotations

import base64
import functools
import io
from pathlib import Path
from typing import Any

__all__ = [
    "FALLBACK_FAMILIES",
    "FAMILY",
    "FONT_FILE",
    "css_font_face",
    "font_charmap",
    "matplotlib_rc",
    "missing_glyphs",
]

FONT_FILE = Path(__file__).resolve().parent / "fonts" / "ClustersimSansSC-Regular.otf"
#: the family name inside FONT_FILE
FAMILY = "Clustersim Sans SC"
#: system CJK fonts tried, glyph by glyph, for characters outside the shipped subset
FALLBACK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "PingFang SC",
    "Microsoft YaHei",
    "SimHei",
    "DejaVu Sans",
)


@functools.cache
def _registered() -> tuple[str, ...]:
    """Register FONT_FILE with matplotlib's font manager (once) and return the family list."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT_FILE))
    known = {f.name for f in font_manager.fontManager.ttflist}
    # families matplotlib does not know would only make it warn; keep the ones it has
    return (FAMILY, *(f for f in FALLBACK_FAMILIES if f in known))


def matplotlib_rc() -> dict[str, Any]:
    """rcParams for every chart: the CJK font first, vector text as paths in SVG,
    reproducible SVG ids, no SVG date."""
    return {
        "font.family": list(_registered()),
        "svg.fonttype": "path",
        "svg.hashsalt": "clustersim",
        "axes.unicode_minus": False,  # U+2212 is in the font, but '-' reads the same in both langs
    }


@functools.cache
def font_charmap() -> frozenset[int]:
    """Code points FONT_FILE has a glyph for."""
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(str(FONT_FILE)).get_charmap())


def missing_glyphs(text: str) -> list[str]:
    """Characters of ``text`` (other than whitespace) the shipped font has no glyph for."""
    cmap = font_charmap()
    return sorted(c for c in set(text) if not c.isspace() and ord(c) not in cmap)


def css_font_face(text: str) -> str:
    """A CSS ``@font-face`` rule embedding the glyphs of ``text`` from the shipped font.

    The subset is a WOFF file in a ``data:`` URL, so the page needs no network and no
    installed CJK font. Returns ``""`` when ``text`` has no character the font covers.
    """
    # the distinct characters first: ``text`` is a whole page, megabytes of it the charts'
    # SVG (a set of its characters is built at C speed; a Python loop over them took ~0.1 s)
    unicodes = tuple(sorted(({ord(c) for c in set(text)} & font_charmap()) | {0x20}))
    if len(unicodes) <= 1:
        return ""
    return _font_face(unicodes)


@functools.lru_cache(maxsize=16)
def _font_face(unicodes: tuple[int, ...]) -> str:
    """:func:`css_font_face` of these code points (subsetting takes ~0.6 s: a page made
    again in this process with the same characters reuses it)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = ["kern", "palt"]
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the copyright and licence names
    opts.notdef_outline = True
    font = TTFont(str(FONT_FILE))
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=unicodes)
    sub.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff"
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        "@font-face { font-family: 'Clustersim Sans SC'; font-style: normal; font-weight: 400; "
        f"src: url(data:font/woff;base64,{data}) format('woff'); }}"
    )
