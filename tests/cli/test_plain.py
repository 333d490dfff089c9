"""Tables drawn without rich's console (:mod:`clustersim.cli.plain`) are the bytes rich
prints off a terminal: random tables at several widths, every shipped scenario's run tables
in both languages, and a whole ``clustersim run`` in a fresh interpreter (issue 21, part 4)."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.markup import escape

from clustersim.api import load_and_run
from clustersim.cli import plain
from clustersim.cli.plain import Sheet, draw, line
from clustersim.cli.render import series_sheet, target_sheet
from clustersim.results import StatusRule

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
WORDS = [
    "a",
    "gdp",
    "江西省电子信息",
    "R&D",
    "[plan]",
    "supercalifragilisticexpialidocious",
    "3.02%",
    "-",
    "",
    "x" * 40,
    "亿",
    "中文字符测试长词语",
    "p5-p95",
    "–",
    "  ",
    "a b",
    "(from 2024)",
    "rd_own[alpha]",
    "[[x]]",
    "[/]",
    "[#ff0000]",
    "[@click]",
    "[bold red]",
    "[/bold]x",
    "C:\\path\\",
    "end\\",
    "\\[",
]


def rich_prints(renderable: object, width: int = plain.WIDTH) -> str:
    """What rich's console prints off a terminal (no colour), ``width`` columns wide."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, highlight=False, soft_wrap=False)
    console.print(renderable)
    return buf.getvalue()


def random_sheet(rng: random.Random) -> Sheet:
    def text() -> str:
        if rng.random() < 0.1:
            return rng.choice(WORDS)
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6)))

    def plain() -> str:  # the title and headers are markup to rich: none here
        return text().replace("[", "(").replace("\\", "/")

    ncol = rng.randint(1, 9)
    sheet = Sheet(plain() if rng.random() < 0.8 else "")
    for _ in range(ncol):
        sheet.add_column(
            plain(), rng.choice(["left", "right"]), rng.choice(["fold", "ellipsis"])
        )
    for _ in range(rng.randint(0, 5)):
        styles = {0: "green"} if rng.random() < 0.5 else None
        sheet.add_row(*(text() for _ in range(ncol)), styles=styles)
    return sheet


def test_random_tables_are_rich_s_bytes() -> None:
    rng = random.Random(21)
    drawn = 0
    for _ in range(600):
        sheet = random_sheet(rng)
        width = rng.choice([20, 40, 60, 80, 100, 160, 200])
        got = draw(sheet, width)
        if got is None:  # a backslash, a column narrower than its padding: rich draws it
            continue
        drawn += 1
        assert got == rich_prints(sheet.to_rich(), width), (width, sheet)
    assert drawn > 100  # the plain path is what is being tested


def test_random_lines_are_rich_s_bytes() -> None:
    rng = random.Random(4)
    for _ in range(400):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 60)))
        width = rng.choice([10, 40, 160])
        got = line(text, width)
        if got is None:
            assert "\\" in text
            continue
        assert got == rich_prints(escape(text), width), (width, text)


def test_what_rich_must_draw_is_left_to_rich() -> None:
    assert line("a :smile: b") is None  # an emoji code
    assert line("tab\there") is None
    sheet = Sheet("t")
    sheet.add_column("h")
    sheet.add_row("two\nlines")
    assert draw(sheet) is None
    # rich's escape does not give every backslash back: it prints end\ with two
    assert rich_prints(escape("end\\")) == "end\\\\\n"
    assert line("end\\") is None
    backslash = Sheet("t")
    backslash.add_column("h")
    backslash.add_row("C:\\data\\")
    assert draw(backslash) is None
    markup = Sheet("[bold]title[/bold]")
    markup.add_column("h")
    assert draw(markup) is None  # the title is markup to rich


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_run_tables_of_every_scenario(path: Path) -> None:
    mc = load_and_run(path, samples=40, seed=2, audit=True, rule=StatusRule())
    central = load_and_run(path, samples=1, required=False)
    for result in (mc, central):
        for lang in ("en", "zh"):
            for sheet in (target_sheet(result, lang), series_sheet(result, lang)):
                got = draw(sheet)
                assert got is not None
                assert got == rich_prints(sheet.to_rich())


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    probe = (
        "import sys\nfrom clustersim.cli import main\n"
        "sys.argv = ['clustersim', 'run', 'scenarios/zhenjiang-2026.yaml', '-n', '200', '-s', "
        "'1', '--lang', 'zh']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "sys.__stderr__.write('MODULES' + __import__('json').dumps(sorted(sys.modules)))\n"
    )
    # what would make rich's console a terminal (it would colour the tables) is left out
    forced = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
    full = {k: v for k, v in os.environ.items() if k not in forced}
    full.update(env, PYTHONPATH=str(ROOT / "src"), CLUSTERSIM_NO_CACHE="1")
    return subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=full
    )


def test_a_run_off_a_terminal_prints_rich_s_bytes_without_rich_s_console() -> None:
    plain_run = _run({})
    # TTY_COMPATIBLE=0: rich's console, off a terminal all the same
    rich_run = _run({"TTY_COMPATIBLE": "0"})
    assert plain_run.returncode == 0 and rich_run.returncode == 0, plain_run.stderr
    assert plain_run.stdout == rich_run.stdout
    assert "┏" in plain_run.stdout and "目标" in plain_run.stdout
    mods = json.loads(plain_run.stderr.split("MODULES", 1)[1])
    assert "rich.console" not in mods and "rich.table" not in mods
    rich_mods = json.loads(rich_run.stderr.split("MODULES", 1)[1])
    assert "rich.console" in rich_mods


def test_a_console_that_writes_elsewhere_or_records_is_left_to_rich(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from clustersim.cli import _common

    buf = io.StringIO()
    elsewhere = Console(file=buf, width=plain.WIDTH, color_system=None)
    monkeypatch.setattr(_common, "out", elsewhere)
    assert not plain.plain_console()
    recording = Console(width=plain.WIDTH, color_system=None, record=True)
    monkeypatch.setattr(_common, "out", recording)
    assert not plain.plain_console()
    plain_one = Console(width=plain.WIDTH, color_system=None)
    monkeypatch.setattr(_common, "out", plain_one)
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # not a terminal, as under CliRunner
    assert plain.plain_console()
