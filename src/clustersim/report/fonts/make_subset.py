"""Make ``ClustersimSansSC-Regular.otf`` (this folder) from Noto Sans SC Regular 2.004.

Usage (maintainers only; the result is committed)::

    python make_subset.py NotoSansSC-Regular.otf ClustersimSansSC-Regular.otf \
        'scenarios/*.yaml' '../shared/seeds/*' 'docs/*.md' README.md

The subset keeps GB 2312 (6,763 hanzi and 682 symbols), ASCII, Latin-1, general
punctuation, currency, letter-like symbols, arrows, maths operators, enclosed numbers,
box drawing, geometric shapes, CJK symbols and punctuation, enclosed CJK, CJK compatibility
(㎡...), vertical and full-width forms, and every character of the files given. It is a
Modified Version under the SIL Open Font License 1.1 (OFL.txt), renamed "Clustersim Sans SC".
"""

from __future__ import annotations

import contextlib
import glob
import sys

RANGES = (
    (0x20, 0x7E),
    (0xA0, 0xFF),
    (0x2000, 0x206F),
    (0x20A0, 0x20BF),
    (0x2100, 0x214F),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
    (0x2460, 0x24FF),
    (0x2500, 0x257F),
    (0x25A0, 0x25FF),
    (0x3000, 0x303F),
    (0x3200, 0x32FF),
    (0x3300, 0x33FF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
)
FAMILY = "Clustersim Sans SC"
POSTSCRIPT = "ClustersimSansSC-Regular"


def characters(patterns: list[str]) -> set[str]:
    """GB 2312, the ranges above and every character of the files matching ``patterns``."""
    chars: set[str] = set()
    for b1 in range(0xA1, 0xF8):
        for b2 in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes([b1, b2]).decode("gb2312"))
    for a, b in RANGES:
        chars.update(chr(c) for c in range(a, b + 1))
    for pattern in patterns:
        for name in glob.glob(pattern):
            with open(name, encoding="utf-8") as fh:
                chars |= set(fh.read())
    return chars


def main(argv: list[str]) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    src, dst, *patterns = argv
    font = TTFont(src)
    cmap = font.getBestCmap()
    unicodes = sorted(ord(c) for c in characters(patterns) if ord(c) in cmap)
    opts = subset.Options()
    opts.layout_features = ["kern", "palt", "vert", "locl"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.drop_tables += ["DSIG", "VORG", "vhea", "vmtx", "BASE"]
    opts.hinting = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=unicodes)
    sub.subset(font)
    for rec in font["name"].names:
        if rec.nameID in (1, 4, 16):
            rec.string = FAMILY
        elif rec.nameID == 6:
            rec.string = POSTSCRIPT
        elif rec.nameID == 3:
            rec.string = f"2.004;clustersim;{POSTSCRIPT};subset of NotoSansSC-Regular"
    cff = font["CFF "].cff
    cff.fontNames = [POSTSCRIPT]
    top = cff.topDictIndex[0]
    for key in ("FullName", "FamilyName"):
        if hasattr(top, key):
            setattr(top, key, FAMILY)
    font.save(dst)
    print(f"{dst}: {len(unicodes)} characters")


if __name__ == "__main__":
    main(sys.argv[1:])
