"""Fixtures of the report tests: shipped scenarios, their runs (cached per session)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import clustersim as cs

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

_RUNS: dict[tuple[str, int], cs.Result] = {}


def run_of(path: Path, samples: int = 1, seed: int = 1) -> cs.Result:
    """A run of a shipped scenario, cached: several tests read the same run."""
    key = (str(path), samples)
    if key not in _RUNS:
        _RUNS[key] = cs.run(cs.load_scenario(path), samples=samples, seed=seed)
    return _RUNS[key]


IMG_SRC = re.compile(r"""<img[^>]*\ssrc="([^"]*)\"""")


def embedded_svgs(html: str) -> list[str]:
    """The SVG documents embedded in a report as ``data:`` images."""
    prefix = "data:image/svg+xml;base64,"
    return [
        base64.b64decode(src[len(prefix) :]).decode("utf-8")
        for src in IMG_SRC.findall(html)
        if src.startswith(prefix)
    ]


def network_references(html: str) -> list[str]:
    """Anything in ``html`` a browser would fetch from the network: ``src``/``href``/``srcset``
    attributes and CSS ``url()``/``@import`` that are not ``data:`` URLs or in-page anchors."""
    bad = []
    for attr, value in re.findall(r"""\s(src|href|srcset|poster|data)\s*=\s*"([^"]*)\"""", html):
        if not (value.startswith("data:") or (attr == "href" and value.startswith("#"))):
            bad.append(f"{attr}={value[:80]}")
    for value in re.findall(r"url\(\s*['\"]?([^)'\"]*)", html):
        if not value.startswith("data:"):
            bad.append(f"url({value[:80]})")
    bad += re.findall(r"@import[^;]*;", html)
    bad += re.findall(r"<(?:script|link|iframe|object|embed)\b[^>]*>", html)
    return bad
