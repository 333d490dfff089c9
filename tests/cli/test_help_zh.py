"""``clustersim <command> --help --lang zh``: the command's own ``--lang``, given after the
command name and in either order with ``--help``, puts the help in Chinese for every
registered command (it printed English: the root callback, which runs before the command's
options are parsed, saw no ``--lang`` and put the help back in the config's language)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from tests.cli.test_look import SRC, english_words
from typer.testing import CliRunner

from clustersim.cli import COMMAND_MODULES, app
from clustersim.cli._common import help_index, help_text
from clustersim.i18n import word

runner = CliRunner()

CJK = re.compile(r"[\u4e00-\u9fff]")


def _flat(text: str) -> str:
    return " ".join(text.split())


def english_help_sentences(command: str) -> list[str]:
    """The English help of ``command`` (its description and each option's text), as the
    first sentence of each, whitespace collapsed: none may be in the Chinese page."""
    index = help_index()
    texts = [word(f"help_cmd_{command}", "en")]
    cmd = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    for p in cmd.params:
        key = index.get(getattr(p, "help", None) or "")
        if key is not None:
            texts.append(help_text(key, "en"))
    out = []
    for t in texts:
        first = _flat(re.split(r"(?<=[.:;])\s", t.strip(), maxsplit=1)[0])
        if len(first) >= 12 and re.search(r"[a-z]{3,} [a-z]{3,}", first):
            out.append(first[:60])
    return out


def assert_chinese_help(command: str, output: str) -> None:
    assert output.startswith(f"用法：clustersim {command}"), output[:200]
    assert CJK.search(word(f"help_cmd_{command}", "zh"))
    assert _flat(word(f"help_cmd_{command}", "zh"))[:20] in _flat(output)
    flat = _flat(output)
    sentences = english_help_sentences(command)
    assert sentences, command
    leftover = [s for s in sentences if s in flat]
    assert not leftover, (leftover, output)
    assert english_words(output) == set(), output


@pytest.mark.parametrize("order", ["help-first", "lang-first"])
@pytest.mark.parametrize("command", list(COMMAND_MODULES))
def test_command_lang_zh_gives_chinese_help(command: str, order: str) -> None:
    args = ["--help", "--lang", "zh"] if order == "help-first" else ["--lang", "zh", "--help"]
    res = runner.invoke(app, [command, *args], terminal_width=100)
    assert res.exit_code == 0, res.output
    assert_chinese_help(command, res.output)


@pytest.mark.parametrize("command", ["report", "sweep"])
def test_command_lang_en_wins_over_a_chinese_locale(command: str) -> None:
    res = runner.invoke(
        app, [command, "--help", "--lang", "en"], env={"LANG": "zh_CN.UTF-8"}, terminal_width=100
    )
    assert res.exit_code == 0, res.output
    assert res.output.startswith(f"Usage: clustersim {command}")
    assert "用法" not in res.output


def test_the_script_gives_chinese_help_for_every_command(tmp_path: Path) -> None:
    """The installed entry point (``main``, which builds and localises the whole app when
    help is asked), one process per command as a user types it."""
    env = {
        **os.environ,
        "LANG": "en_US.UTF-8",
        "CLUSTERSIM_CONFIG_DIR": str(tmp_path),
        "PYTHONPATH": str(SRC.parent),
        "COLUMNS": "200",  # example command lines unwrapped
    }
    env.pop("LC_ALL", None)
    for command in COMMAND_MODULES:
        proc = subprocess.run(
            [sys.executable, "-m", "clustersim", command, "--help", "--lang", "zh"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert_chinese_help(command, proc.stdout)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_calibrate_help_has_a_tiers_example(lang: str) -> None:
    res = runner.invoke(app, ["calibrate", "--help", "--lang", lang], terminal_width=100)
    assert res.exit_code == 0, res.output
    assert "clustersim calibrate --tiers calibration/tiers/counts.csv" in res.output
    assert ("企业梯队比率" in res.output) == (lang == "zh")
