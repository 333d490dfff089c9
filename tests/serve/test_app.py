"""The page's HTTP API under Starlette's test client: the knobs with their ranges, a change
moving P(met) the right way and agreeing with ``clustersim run`` on the downloaded YAML at
the same seed, bad values refused with a message, files written only where allowed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from tests.serve.common import EXAMPLE, GDP, GDP_TARGET, SAMPLES, SEED
from typer.testing import CliRunner

from clustersim.cli import app as cli
from clustersim.serve import Session, create_app


def _cli_run(path: Path) -> list[dict]:
    """The targets of ``clustersim run --samples N --seed K --json``."""
    res = CliRunner().invoke(
        cli, ["run", str(path), "--samples", str(SAMPLES), "--seed", str(SEED), "--json"]
    )
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["targets"]


def _cli_probabilities(path: Path) -> dict[str, float]:
    """P(met) of every target as ``clustersim run --samples N --seed K --json`` prints it."""
    return {t["id"]: t["probability"] for t in _cli_run(path)}


def _cli_required(path: Path) -> dict[str, float | None]:
    """Each target's required growth rate as ``clustersim run --json`` prints it."""
    return {t["id"]: (t["required_growth"] or {}).get("rate") for t in _cli_run(path)}


def _probabilities(doc: dict) -> dict[str, float]:
    return {t["id"]: t["probability"] for t in doc["targets"]}


def test_the_scenario_lists_its_knobs_with_ranges(client: TestClient) -> None:
    doc = client.get("/api/scenario").json()
    knobs = {k["path"]: k for k in doc["knobs"]}
    gdp = knobs[GDP]
    assert gdp["uncertain"] and gdp["percent"] and gdp["dist"] == "normal"
    assert gdp["value"] == pytest.approx(0.055)
    assert gdp["lo"] < gdp["value"] < gdp["hi"]
    assert gdp["range"] == "2.92% – 8.08%"
    assert gdp["label"] == {"zh": "地区生产总值 · 增速", "en": "GDP · growth rate"}
    assert doc["samples"] == SAMPLES and doc["seed"] == SEED and doc["can_save"] is False
    keys = {s["key"] for s in doc["series"]}
    assert {"gdp", "rd_intensity", "output:new_materials"} <= keys


def test_unchanged_values_give_the_numbers_of_clustersim_run(client: TestClient) -> None:
    doc = client.post("/api/compute", json={"values": {}}).json()
    assert _probabilities(doc) == _cli_probabilities(EXAMPLE)
    row = next(t for t in doc["targets"] if t["id"] == GDP_TARGET)
    assert row["label"] == {"zh": "GDP年均增长5%", "en": "GDP grows 5% a year"}
    assert row["goal"]["en"] == ">= 5.00%" and row["status"] in ("met", "missed")
    # required growth comes in a second answer (a search on the central scenario)
    req = client.post("/api/required", json={"values": {}}).json()["required"]
    assert {t: r["rate"] for t, r in req.items()} == _cli_required(EXAMPLE)
    # the Chinese names the built-in series in Chinese (issue 20: no English in zh)
    assert req[GDP_TARGET]["en"].endswith("/yr gdp") and "/年 地区生产总值" in req[GDP_TARGET]["zh"]
    # asked again, the table carries it
    assert client.post("/api/compute", json={"values": {}}).json()["required"] == req


def test_lower_growth_lowers_p_met_as_clustersim_run_says(
    client: TestClient, tmp_path: Path
) -> None:
    before = client.post("/api/compute", json={"values": {}}).json()
    change = {GDP: "4%"}  # one point and a half below the scenario's 5.5%
    after = client.post("/api/compute", json={"values": change}).json()
    p0 = _probabilities(before)[GDP_TARGET]
    p1 = _probabilities(after)[GDP_TARGET]
    assert p1 < p0 - 0.3, (p0, p1)  # a 5%/yr CAGR goal: far less likely at 4% growth
    assert after["changed"] == 1 and after["values"] == {GDP: pytest.approx(0.04)}

    # the download is a standalone scenario that clustersim run reads to the same numbers
    resp = client.post("/api/yaml", json={"values": change})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/yaml")
    assert 'filename="example-whatif.yaml"' in resp.headers["content-disposition"]
    assert "region.gdp.growth.rate = 4.00% (5.50%)" in resp.text
    assert "extends:" not in resp.text
    path = tmp_path / "whatif.yaml"
    path.write_bytes(resp.content)
    assert _cli_probabilities(path) == _probabilities(after)
    req = client.post("/api/required", json={"values": change}).json()["required"]
    assert {t: r["rate"] for t, r in req.items()} == _cli_required(path)


def test_the_chart_is_the_percentile_band_of_the_chosen_series(client: TestClient) -> None:
    doc = client.post("/api/compute", json={"values": {}, "series": "gdp"}).json()
    chart = doc["chart"]
    assert chart["key"] == "gdp" and chart["years"][0] == 2023 and chart["years"][-1] == 2030
    b = chart["bands"]
    for i in range(len(chart["years"])):
        assert b["p5"][i] <= b["p25"][i] <= b["p50"][i] <= b["p75"][i] <= b["p95"][i]
    assert b["p50"][0] == pytest.approx(5264.07)  # the base year is data: no spread
    assert b["p95"][-1] > b["p5"][-1]
    lower = client.post("/api/compute", json={"values": {GDP: "4%"}, "series": "gdp"}).json()[
        "chart"
    ]
    assert lower["bands"]["p50"][-1] < b["p50"][-1]
    cluster = client.post(
        "/api/compute", json={"values": {}, "series": "output:new_materials"}
    ).json()["chart"]
    assert cluster["label"]["en"] == "New materials · Output"


def test_repeated_values_come_from_the_cache(client: TestClient) -> None:
    first = client.post("/api/compute", json={"values": {GDP: 0.05}}).json()
    again = client.post("/api/compute", json={"values": {GDP: "5%"}}).json()
    assert again["cached"] and again["targets"] == first["targets"]


@pytest.mark.parametrize(
    ("values", "field", "en"),
    [
        ({GDP: "fast"}, GDP, "GDP · growth rate: 'fast' is not a number (allowed: 2.92% to 8.08%"),
        ({GDP: "12%"}, GDP, "GDP · growth rate: 12% is out of range (allowed: 2.92% to 8.08%"),
        ({"region.gdp.base": 1}, "region.gdp.base", "unknown assumption region.gdp.base"),
    ],
)
def test_bad_values_get_422_with_a_message_in_both_languages(
    client: TestClient, values: dict, field: str, en: str
) -> None:
    resp = client.post("/api/compute", json={"values": values})
    assert resp.status_code == 422
    (err,) = resp.json()["errors"]
    assert err["field"] == field and err["en"].startswith(en)
    assert err["zh"] and err["zh"] != err["en"]


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"values": [1]}', b'{"values": {"a": [1]}}', b'{"series": 3}'],
)
def test_a_malformed_request_gets_422_not_a_traceback(client: TestClient, body: bytes) -> None:
    resp = client.post("/api/compute", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["en"].startswith("bad request: ")


def test_an_unknown_series_is_refused(client: TestClient) -> None:
    resp = client.post("/api/compute", json={"values": {}, "series": "gpd"})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "series"


def test_only_the_shipped_assets_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and '<script src="/assets/app.js">' in page.text
    assert "地区生产总值 · 增速" in page.text  # the page's data and words are inlined
    font = client.get("/assets/font.otf")
    assert font.status_code == 200 and font.content[:4] == b"OTTO"  # an OpenType (CFF) font
    assert client.get("/assets/app.css").text.count("@font-face") == 1
    for name in ("../app.py", "..%2Fapp.py", "index.html", "%2E%2E%2F%2E%2E%2Fpyproject.toml"):
        assert client.get(f"/assets/{name}").status_code == 404, name


def test_requests_for_another_host_are_refused(session: Session) -> None:
    # a page elsewhere that rebinds its name to 127.0.0.1 sends its own Host header
    with TestClient(create_app(session), base_url="http://evil.example") as c:
        assert c.get("/api/scenario").status_code == 400


def test_ipv6_loopback_is_served_and_other_hosts_still_refused(session: Session) -> None:
    # --host ::1: browsers send the bracketed literal, "[::1]:8000", as the Host header
    app = create_app(session, host="::1")
    with TestClient(app, base_url="http://[::1]:8000") as c:
        assert c.get("/api/scenario").status_code == 200
    with TestClient(app, base_url="http://evil.example") as c:
        assert c.get("/api/scenario").status_code == 400


def test_without_out_nothing_is_written(client: TestClient, tmp_path: Path) -> None:
    before = set(os.listdir(tmp_path))
    resp = client.post("/api/save", json={"values": {}, "name": "x.yaml"})
    assert resp.status_code == 403
    assert "--out" in resp.json()["errors"][0]["en"]
    assert set(os.listdir(tmp_path)) == before


@pytest.fixture
def saving(tmp_path: Path) -> tuple[TestClient, Path]:
    out = tmp_path / "out"
    session = Session(EXAMPLE, samples=50, seed=SEED, out=out)
    return TestClient(create_app(session), base_url="http://127.0.0.1"), out


def test_save_writes_the_changed_scenario_into_the_out_folder(
    saving: tuple[TestClient, Path],
) -> None:
    client, out = saving
    resp = client.post("/api/save", json={"values": {GDP: "5%"}, "name": "低增长.yaml"})
    assert resp.status_code == 200, resp.text
    assert Path(resp.json()["path"]) == (out / "低增长.yaml").resolve()
    assert "region.gdp.growth.rate = 5.00% (5.50%)" in (out / "低增长.yaml").read_text("utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["低增长.yaml"]


@pytest.mark.parametrize(
    "name",
    [
        "../escape.yaml",
        "../../escape.yaml",
        "/tmp/escape.yaml",
        "sub/escape.yaml",
        "..\\escape.yaml",
        ".hidden.yaml",
        "escape.yaml/..",
        "escape.txt",
        "..yaml",
        "",
        "a" * 300 + ".yaml",
    ],
)
def test_a_crafted_file_name_cannot_escape_the_out_folder(
    saving: tuple[TestClient, Path], name: str
) -> None:
    client, out = saving
    parent = out.parent
    before = sorted(p.name for p in parent.iterdir())
    resp = client.post("/api/save", json={"values": {}, "name": name})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "name"
    assert "is not allowed" in resp.json()["errors"][0]["en"]
    assert sorted(p.name for p in parent.iterdir()) == before
    assert not out.exists() or not any(out.iterdir())


def test_a_symbolic_link_in_the_out_folder_is_not_followed(
    saving: tuple[TestClient, Path],
) -> None:
    client, out = saving
    out.mkdir()
    target = out.parent / "outside.yaml"
    (out / "link.yaml").symlink_to(target)
    resp = client.post("/api/save", json={"values": {}, "name": "link.yaml"})
    assert resp.status_code == 422
    assert not target.exists()


def test_the_page_assets_ship_as_package_data_and_fetch_nothing_from_outside() -> None:
    import fnmatch
    import re
    import tomllib

    import clustersim

    # the package as imported (installed, in CI), the build's rules from this checkout
    root = Path(clustersim.__file__).resolve().parent
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    conf = tomllib.loads(pyproject.read_text("utf-8"))
    patterns = conf["tool"]["setuptools"]["package-data"]["clustersim"]
    static = sorted((root / "serve" / "static").iterdir())
    assert {p.name for p in static} >= {"index.html", "app.js", "app.css"}
    for p in static:
        rel = p.relative_to(root).as_posix()
        assert any(fnmatch.fnmatch(rel, pat) for pat in patterns), rel
        # no CDN, no web font service: only the SVG namespace is a URL
        urls = set(re.findall(r"https?://[^\s\"')]+", p.read_text("utf-8")))
        assert urls <= {"http://www.w3.org/2000/svg"}, (p.name, urls)


def test_a_plan_that_extends_a_trend_downloads_as_one_file(tmp_path: Path) -> None:
    # zhenjiang-2026 extends the draft, which extends the trend: the download merges them
    plan = EXAMPLE.parent / "zhenjiang-2026.yaml"
    session = Session(plan, samples=200, seed=SEED)
    client = TestClient(create_app(session), base_url="http://127.0.0.1")
    change = {GDP: "6%", "clusters.new_materials.output.growth.rates.2025": "10%"}
    doc = client.post("/api/compute", json={"values": change}).json()
    assert doc["changed"] == 2
    text = client.post("/api/yaml", json={"values": change}).text
    assert "extends:" not in text
    path = tmp_path / "zj.yaml"
    path.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(cli, ["run", str(path), "-n", "200", "-s", str(SEED), "--json"])
    assert res.exit_code == 0, res.output
    ran = {t["id"]: t["probability"] for t in json.loads(res.stdout)["targets"]}
    assert ran == _probabilities(doc)


def test_a_change_does_not_read_or_parse_the_scenario_file_again(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import clustersim.scenario.loader as loader

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the scenario file was read again")

    monkeypatch.setattr(loader, "read_yaml", refuse)
    monkeypatch.setattr(loader, "load_data", refuse)
    doc = session.compute({GDP: "4.5%", "region.population.growth.rate": "0.5%"})
    assert doc["changed"] == 2
    assert session.required({GDP: "4.5%"})["required"][GDP_TARGET]["rate"] is not None
    assert "region.gdp.growth.rate = 4.50% (5.50%)" in session.yaml({GDP: "4.5%"})[1]
