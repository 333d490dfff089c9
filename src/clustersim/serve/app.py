"""The HTTP side of ``clustersim serve``: a Starlette app over a :class:`Session`.

Routes (all answers are JSON unless said otherwise):

- ``GET /``: the page (HTML; its words, knobs and series inlined as JSON);
- ``GET /assets/{name}``: the page's script, style sheet and CJK font, shipped in the
  package; only the names in :data:`ASSETS`, nothing else on disk;
- ``GET /api/scenario``: the scenario, its knobs with ranges, the chartable series;
- ``POST /api/compute`` ``{"values": {path: number or text}, "series": key}``: the target
  table and the fan chart; bad values give **422** ``{"errors": [{"field", "zh", "en"}]}``;
- ``POST /api/required`` ``{"values": ...}``: each target's required growth (the page asks
  right after the table, so probabilities are not kept waiting for the search);
- ``POST /api/yaml`` ``{"values": ...}``: the changed scenario as a YAML download
  (streamed from memory, never written);
- ``POST /api/save`` ``{"values": ..., "name": "file.yaml"}``: writes it into the ``--out``
  folder, and only there (403 without ``--out``, 422 for a name that is not a plain file
  name inside it).

The app accepts only requests addressed to the host it serves (``Host`` header), so a web
page elsewhere cannot reach a loopback server through DNS rebinding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from clustersim.i18n import WORDS, Bi, word
from clustersim.report.fonts import FONT_FILE
from clustersim.serve.session import RequestError, Session

__all__ = ["ASSETS", "PAGE_WORDS", "create_app", "page_words"]

#: asset name -> (file in the package's ``static`` folder, or the report's font; media type)
ASSETS: dict[str, tuple[str, str]] = {
    "app.js": ("app.js", "text/javascript; charset=utf-8"),
    "app.css": ("app.css", "text/css; charset=utf-8"),
    "font.otf": ("", "font/otf"),
}
#: the words of the table the page uses besides every ``serve_*`` word
PAGE_WORDS = (
    "targets",
    "target",
    "year",
    "status",
    "probability",
    "value_median",
    "goal",
    "margin",
    "p5_p95",
    "required",
    "median",
    "band50",
    "band90",
    "goal_marker",
    "series",
    "met",
    "missed",
    "targets_met",
    "aspirational",
    "binding",
)
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def page_words() -> dict[str, dict[str, str]]:
    """Every word the page shows, ``{id: {"zh": ..., "en": ...}}``, from the one table."""
    keys = [k for k in WORDS if k.startswith("serve_")] + list(PAGE_WORDS)
    return {k: {"zh": WORDS[k].zh, "en": WORDS[k].en} for k in keys}


def _ascii(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def _asset(name: str) -> bytes:
    if name == "font.otf":
        return FONT_FILE.read_bytes()
    return (resources.files("clustersim.serve") / "static" / ASSETS[name][0]).read_bytes()


def _errors(problems: Mapping[str, Bi], status: int = 422) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"field": f, "zh": m.zh, "en": m.en} for f, m in problems.items()]},
        status_code=status,
    )


def _bad_request(detail: str) -> JSONResponse:
    return _errors(
        {
            "request": Bi(
                word("serve_bad_request", "zh", detail=detail),
                word("serve_bad_request", "en", detail=detail),
            )
        }
    )


async def _body(request: Request) -> dict[str, Any] | JSONResponse:
    """The JSON object of a request, or the 422 answer saying what is wrong with it."""
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return _bad_request("the body is not JSON")
    if not isinstance(body, dict):
        return _bad_request("the body must be a JSON object")
    values = body.get("values", {})
    if not isinstance(values, dict) or not all(
        isinstance(v, int | float | str) and not isinstance(v, bool) for v in values.values()
    ):
        return _bad_request("'values' must map each assumption's path to a number or text")
    series = body.get("series")
    if series is not None and not isinstance(series, str):
        return _bad_request("'series' must be text")
    return body


def create_app(session: Session, *, lang: str = "zh", host: str = "127.0.0.1") -> Starlette:
    """The app serving ``session``; the page opens in ``lang``; requests must be addressed
    to ``host`` (or, on loopback, any loopback name)."""
    template = (resources.files("clustersim.serve") / "static" / "index.html").read_text("utf-8")
    boot = {**session.describe(), "words": page_words(), "lang": lang}
    # inlined in a <script> element: "</" must not end it early
    page = template.replace("__BOOT__", json.dumps(boot, ensure_ascii=False).replace("</", "<\\/"))
    page = page.replace("__LANG__", "zh-CN" if lang == "zh" else "en")

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return Response(status_code=404)
        return Response(
            _asset(name),
            media_type=ASSETS[name][1],
            headers={"Cache-Control": "no-cache"},
        )

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)  # the browser asks; the page has none

    async def describe(request: Request) -> JSONResponse:
        return JSONResponse(session.describe())

    async def compute(request: Request) -> JSONResponse:
        body = await _body(request)
        if isinstance(body, JSONResponse):
            return body
        try:
            doc = await run_in_threadpool(
                session.compute, body.get("values", {}), body.get("series")
            )
        except RequestError as exc:
            return _errors(exc.problems, exc.status)
        return JSONResponse(doc)

    async def required(request: Request) -> JSONResponse:
        body = await _body(request)
        if isinstance(body, JSONResponse):
            return body
        try:
            doc = await run_in_threadpool(session.required, body.get("values", {}))
        except RequestError as exc:
            return _errors(exc.problems, exc.status)
        return JSONResponse(doc)

    async def download(request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, JSONResponse):
            return body
        try:
            name, text = await run_in_threadpool(session.yaml, body.get("values", {}))
        except RequestError as exc:
            return _errors(exc.problems, exc.status)
        return Response(
            text.encode("utf-8"),
            media_type="application/yaml; charset=utf-8",
            headers={
                # the plain name in ASCII (headers are Latin-1), the exact one as RFC 6266 says
                "Content-Disposition": f'attachment; filename="{_ascii(name)}"; '
                f"filename*=UTF-8''{quote(name)}"
            },
        )

    async def save(request: Request) -> JSONResponse:
        body = await _body(request)
        if isinstance(body, JSONResponse):
            return body
        try:
            path = await run_in_threadpool(
                session.save, body.get("values", {}), body.get("name", "")
            )
        except RequestError as exc:
            return _errors(exc.problems, exc.status)
        return JSONResponse({"path": str(path), "name": path.name})

    hosts = ["*"] if host in ("0.0.0.0", "::", "") else sorted({host, *LOOPBACK})
    return Starlette(
        routes=[
            Route("/", index),
            Route("/assets/{name}", asset),
            Route("/favicon.ico", no_icon),
            Route("/api/scenario", describe),
            Route("/api/compute", compute, methods=["POST"]),
            Route("/api/required", required, methods=["POST"]),
            Route("/api/yaml", download, methods=["POST"]),
            Route("/api/save", save, methods=["POST"]),
        ],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)],
    )
