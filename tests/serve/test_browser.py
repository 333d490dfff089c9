"""The page in a real headless browser: Debian's Chromium driven by Playwright (never
Playwright's own browser download). Load the page, move a slider, see the target table
change, type a bad value and read the message, switch the language, and check that a
screenshot is not blank and that the shipped CJK font loaded.

Skips only when no Chromium is installed (``.ci/run`` installs Debian's ``chromium``).
"""

from __future__ import annotations

import io
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.serve.common import EXAMPLE, GDP, GDP_TARGET, SAMPLES, SEED

from clustersim.i18n import word
from clustersim.serve import Session, create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and Path("/usr/bin/chromium").exists():
    CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium installed (Debian: apt-get install chromium; .ci/run installs it)",
)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (test extra)")
uvicorn = pytest.importorskip("uvicorn", reason="needs uvicorn (serve extra)")
Image = pytest.importorskip("PIL.Image", reason="needs Pillow (matplotlib's dependency)")

#: the flags this machine's closed network needs (no background connections, no sandbox as root)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """The app on a real loopback socket, served by uvicorn in a thread."""
    app = create_app(Session(EXAMPLE, samples=SAMPLES, seed=SEED), lang="zh")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(10)
    sock.close()


def _percent(text: str) -> float:
    return float(text.split("%")[0].split()[-1])


def test_the_page_recomputes_when_a_slider_moves(url: str) -> None:
    with sync_api.sync_playwright() as pw:
        # launch() gives Chromium a fresh, empty profile of its own each time
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.goto(url)
            cell = page.locator(f'#targets tr[data-id="{GDP_TARGET}"] td[data-col="probability"]')
            cell.wait_for(timeout=30_000)
            before = cell.inner_text()
            assert page.locator("#title").inner_text() == word("serve_title", "zh")
            # the shipped CJK font (served from the package) is the one that loaded
            faces = page.evaluate(
                "document.fonts.load('16px \"Clustersim Sans SC\"', '地区生产总值')"
                ".then(fs => fs.length)"
            )
            assert faces >= 1

            # a planner drags GDP growth to the bottom of its range (Home on the slider)
            page.locator(f'input[type=range][data-path="{GDP}"]').press("Home")
            page.wait_for_function(
                "([sel, old]) => { const c = document.querySelector(sel);"
                " return c && c.innerText !== old; }",
                arg=[f'#targets tr[data-id="{GDP_TARGET}"] td[data-col="probability"]', before],
                timeout=30_000,
            )
            after = cell.inner_text()
            # required growth follows in a second answer
            page.wait_for_function(
                "sel => { const c = document.querySelector(sel);"
                " return c && c.innerText.includes('%/年'); }",
                arg=f'#targets tr[data-id="{GDP_TARGET}"] td[data-col="required"]',
                timeout=30_000,
            )
            assert _percent(after) < _percent(before) - 30, (before, after)
            assert page.locator(f'input[type=text][data-path="{GDP}"]').input_value() == "2.92%"
            shot = page.screenshot(full_page=False)

            # a bad value: the message names the field and the range, in Chinese, then English
            field = page.locator(f'input[type=text][data-path="{GDP}"]')
            field.fill("abc")
            field.press("Enter")
            banner = page.locator("#banner")
            banner.wait_for(state="visible", timeout=30_000)
            assert "地区生产总值 · 增速：“abc”不是数字" in banner.inner_text()
            assert "允许范围：2.92% 至 8.08%" in banner.inner_text()
            page.locator("#lang").click()
            assert "GDP · growth rate: 'abc' is not a number" in banner.inner_text()
            assert page.locator("#title").inner_text() == word("serve_title", "en")
            assert page.locator("#targets th").first.inner_text() == word("target", "en")
            assert problems == []
        finally:
            browser.close()

    img = Image.open(io.BytesIO(shot)).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 20)
    assert colours is not None
    most = max(n for n, _ in colours)
    assert len(colours) > 200, len(colours)  # text, bars, the chart's bands: not blank
    assert most < 0.9 * img.width * img.height
