"""``clustersim serve`` in process: options reach the server, loopback by default, a warning
for another host, bad input is one error line and exit 2 (the server itself is stubbed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clustersim.cli import app
from clustersim.i18n import word

uvicorn = pytest.importorskip("uvicorn", reason="clustersim serve needs the 'serve' extra")
EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "example.yaml"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    return calls


@pytest.fixture
def free_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """The port probe always passes: these tests check what reaches the server, and the
    fixed ports they name may be taken on a shared machine."""
    import clustersim.cli.serve as command

    monkeypatch.setattr(command, "_check_port", lambda host, port, lang: None)


@pytest.mark.usefixtures("free_port")
def test_serves_on_loopback_by_default(served: list[dict[str, Any]]) -> None:
    res = CliRunner().invoke(app, ["serve", str(EXAMPLE), "--samples", "10", "--lang", "en"])
    assert res.exit_code == 0, res.output
    (call,) = served
    assert call["host"] == "127.0.0.1" and call["port"] == 8765
    assert "http://127.0.0.1:8765/" in res.stdout
    assert "warning" not in res.output


@pytest.mark.usefixtures("free_port")
def test_another_host_is_served_with_a_warning(served: list[dict[str, Any]]) -> None:
    res = CliRunner().invoke(
        app, ["serve", str(EXAMPLE), "--host", "0.0.0.0", "--port", "9001", "--samples", "10"]
    )
    assert res.exit_code == 0, res.output
    assert served[0]["host"] == "0.0.0.0" and served[0]["port"] == 9001
    assert word("serve_warn_host", "zh", host="0.0.0.0") in res.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "fr"], "'fr' is not one of 'en', 'zh'"),
        (["--samples", "0"], "--samples"),
    ],
)
def test_bad_options_exit_2(served: list[dict[str, Any]], args: list[str], message: str) -> None:
    res = CliRunner().invoke(app, ["serve", str(EXAMPLE), *args])
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output and served == []


def test_a_missing_scenario_is_one_error_line(served: list[dict[str, Any]], tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["serve", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2
    # serve's --lang is zh by default, and errors follow --lang (issue 20)
    assert res.stderr.startswith(word("error_prefix", "zh")) and "nope.yaml" in res.stderr
    assert "Traceback" not in res.output and served == []


def test_a_busy_port_is_one_error_line(served: list[dict[str, Any]]) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        res = CliRunner().invoke(
            app, ["serve", str(EXAMPLE), "--port", str(port), "--samples", "10", "--lang", "en"]
        )
    assert res.exit_code == 2
    assert f"error: cannot serve on 127.0.0.1:{port}" in res.stderr
    assert "choose another --port" in res.stderr and served == []


def test_out_must_be_a_folder(served: list[dict[str, Any]], tmp_path: Path) -> None:
    afile = tmp_path / "a.txt"
    afile.write_text("x")
    res = CliRunner().invoke(app, ["serve", str(EXAMPLE), "--out", str(afile), "--samples", "10"])
    assert res.exit_code == 2
    assert res.stderr.strip() == word("error_prefix", "zh") + word(
        "serve_out_not_dir", "zh", out=afile
    )
    assert served == []


@pytest.mark.usefixtures("free_port")
def test_a_scenario_that_cannot_run_at_that_size_is_one_error_line(
    served: list[dict[str, Any]],
) -> None:
    res = CliRunner().invoke(app, ["serve", str(EXAMPLE), "--samples", "100000000", "--lang", "en"])
    assert res.exit_code == 2
    assert res.stderr.startswith("error: the scenario cannot be projected with these values: ")
    assert "GiB" in res.stderr and "Traceback" not in res.output and served == []


@pytest.mark.usefixtures("free_port")
def test_a_scenario_that_cannot_run_is_said_in_chinese_by_default(
    served: list[dict[str, Any]],
) -> None:
    """The error goes through the one error path: serve's --lang (zh by default) decides."""
    res = CliRunner().invoke(app, ["serve", str(EXAMPLE), "--samples", "100000000"])
    assert res.exit_code == 2
    assert res.stderr.startswith(word("error_prefix", "zh")) and "error:" not in res.stderr
    assert "GiB" in res.stderr and "情景" in res.stderr and served == []
