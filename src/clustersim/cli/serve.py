"""``clustersim serve``: the what-if page in a browser (:mod:`clustersim.serve`)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer

from clustersim.cli._common import (
    Lang,
    ScenarioArg,
    err,
    fail,
    h,
    out,
)
from clustersim.errors import ClusterSimError, Problem, ScenarioError
from clustersim.i18n import word

__all__ = ["COMMANDS", "serve"]

#: the host served unless ``--host`` says otherwise: this machine only
DEFAULT_HOST = "127.0.0.1"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def serve(
    scenario: ScenarioArg,
    port: Annotated[
        int, typer.Option("--port", "-p", min=0, max=65535, help=h("serve_port"))
    ] = 8765,
    host: Annotated[str, typer.Option("--host", help=h("serve_host"))] = DEFAULT_HOST,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=h("serve_out"),
            show_default=False,
        ),
    ] = None,
    lang: Annotated[Lang, typer.Option("--lang", help=h("serve_lang"))] = Lang.zh,
    samples: Annotated[
        int,
        typer.Option("--samples", "-n", min=1, help=h("serve_samples")),
    ] = 10_000,
    seed: Annotated[int, typer.Option("--seed", "-s", help=h("serve_seed"))] = 1,
) -> None:
    """Serve a local what-if page for SCENARIO: a slider for each growth assumption and
    uncertain number, the target table (P(met), median, margin, required growth) in
    Chinese or English, a fan chart, and a download of the changed scenario as YAML.

    Examples:

      clustersim serve scenarios/zhenjiang-2026.yaml

      clustersim serve scenarios/example.yaml --lang en --port 9000 --out whatif/
    """
    text_lang = lang.value
    try:
        try:
            import uvicorn

            from clustersim.serve import Session, create_app
            from clustersim.serve.session import RequestError
        except ImportError as exc:
            raise ClusterSimError(word("serve_missing", text_lang, module=exc.name or exc)) from exc
        if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
            raise ClusterSimError(word("serve_out_not_dir", text_lang, out=out_dir))
        session = Session(scenario, samples=samples, seed=seed, out=out_dir)
        _check_port(host, port, text_lang)
        # the scenario as loaded, computed once before the first visitor asks for it
        session.compute({})
        session.required({})
    except ClusterSimError as exc:
        raise fail(exc) from None
    except RequestError as exc:  # the scenario as loaded cannot be projected with N samples
        problems = [Problem(m.en, m.zh) for m in exc.problems.values()]
        raise fail(ScenarioError(problems)) from None
    if host not in LOOPBACK:
        err.print(word("serve_warn_host", text_lang, host=host), markup=False)
    app = create_app(session, lang=text_lang, host=host)
    shown = f"[{host}]" if ":" in host else host
    out.print(word("serve_listening", text_lang, url=f"http://{shown}:{port}/"), markup=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _check_port(host: str, port: int, lang: str) -> None:
    """Refuse a port another program holds, in words, before the server starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ClusterSimError(
                word("serve_port_busy", lang, host=host, port=port, reason=exc.strerror or exc)
            ) from exc


#: the commands this module adds to ``clustersim``
COMMANDS = {"serve": serve}
