"""What every HTML page of the report layer shares: the style sheet, escaping, the atomic write.

Its own module so that the sections written elsewhere (``report.discover``) and the page
that includes them (``report.html``) both import it, and neither imports the other.
"""

from __future__ import annotations

import html
from pathlib import Path

from clustersim.atomic import write_bytes

__all__ = ["_CSS", "_e", "atomic_write_bytes"]

_CSS = """
:root { --met: #1a7f37; --missed: #c62828; --ink: #1d2733; --muted: #5b6673; --rule: #d9dee4; }
body { font-family: 'Clustersim Sans SC', 'Noto Sans SC', 'Noto Sans CJK SC', 'PingFang SC',
       'Microsoft YaHei', 'Source Han Sans SC', 'Helvetica Neue', Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1400px; padding: 1.5rem 2rem 3rem;
       line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .8rem; border-bottom: 2px solid var(--rule);
     padding-bottom: .3rem; }
.meta { color: var(--muted); margin: 0; font-size: .92rem; }
.summary { font-size: 1.1rem; margin: .6rem 0 0; }
nav a { margin-right: 1.2rem; color: #1f5fa8; text-decoration: none; font-size: .95rem; }
table { border-collapse: collapse; width: 100%; font-size: .86rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .35rem .45rem; vertical-align: top;
         text-align: left; }
th { background: #f3f5f8; position: sticky; top: 0; font-weight: 600; white-space: nowrap; }
td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td code, figcaption code { color: var(--muted); font-size: .78rem; }
.status { display: inline-block; border-radius: .7rem; padding: .05rem .55rem; color: #fff;
          font-size: .8rem; white-space: nowrap; }
.status.met { background: var(--met); } .status.missed { background: var(--missed); }
.status.likely { background: var(--met); } .status.unlikely { background: var(--missed); }
.status.uncertain { background: #b26a00; } .status.none { background: #8a949e; }
.source { color: var(--muted); font-size: .78rem; max-width: 28rem; }
.source details summary { cursor: pointer; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 1.2rem; }
figure { margin: 0; border: 1px solid var(--rule); border-radius: 6px; padding: .5rem;
         background: #fff; }
figure img { width: 100%; height: auto; display: block; }
figure.wide img { max-width: 900px; }
figcaption { font-size: .8rem; color: var(--muted); margin-top: .3rem; }
.note { color: var(--muted); font-size: .85rem; max-width: 60rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def atomic_write_bytes(path: Path, blob: bytes) -> Path:
    """Write ``blob`` to ``path`` through a temporary file in the same directory."""
    return write_bytes(path, blob)
