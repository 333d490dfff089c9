"""Defaults from a config file: ``clustersim.toml`` (or ``.clustersim.toml``) in the working
folder, else ``config.toml`` in the user's config folder (platformdirs), else built in.

.. code-block:: toml

    lang = "zh"          # en or zh: labels, messages and --help
    samples = 1000       # Monte Carlo samples of run (1: the central path)
    seed = 1             # root seed (default: a fresh one, printed)
    workers = 2          # sweep worker processes
    csv_bom = true       # CSV with a UTF-8 byte-order mark for Excel (false: plain UTF-8)

    [status]             # a Monte Carlo target's status from P(met)
    likely = 0.8         # P(met) >= this: likely
    unlikely = 0.2       # P(met) <= this: unlikely; between: uncertain

Precedence: the command line, then the working folder's file, then the user's, then the
built-in defaults. A key set in the working folder's file wins over the same key in the
user's; keys it leaves out fall through. Standard library and platformdirs only: the command
line reads this before it builds its help.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from clustersim.errors import ClusterSimError
from clustersim.i18n import LANGS, word
from clustersim.suggest import did_you_mean

__all__ = [
    "CONFIG_NAMES",
    "Settings",
    "config_files",
    "load_settings",
    "read_config",
    "user_config_file",
]

#: the names looked for in the working folder, in this order (the first found is read)
CONFIG_NAMES = ("clustersim.toml", ".clustersim.toml")


@dataclass(frozen=True)
class Settings:
    """The defaults a config file may set; ``origin`` says which file set each key."""

    lang: str = "en"
    samples: int | None = None  # None: 1,000 when the scenario has uncertain numbers, else 1
    seed: int | None = None
    workers: int | None = None
    likely: float = 0.8
    unlikely: float = 0.2
    csv_bom: bool = True
    origin: Mapping[str, str] = field(default_factory=dict)


#: each key: its place in the file ("status.likely" is ``likely`` under ``[status]``)
_KEYS = {
    "lang": "lang",
    "samples": "samples",
    "seed": "seed",
    "workers": "workers",
    "csv_bom": "csv_bom",
    "status.likely": "likely",
    "status.unlikely": "unlikely",
}


def user_config_file() -> Path:
    """``config.toml`` in the user's config folder (``$CLUSTERSIM_CONFIG_DIR`` if set)."""
    env = os.environ.get("CLUSTERSIM_CONFIG_DIR")
    if env:
        return Path(env) / "config.toml"
    import platformdirs

    return Path(platformdirs.user_config_dir("clustersim", appauthor=False)) / "config.toml"


def config_files(cwd: Path | None = None) -> list[Path]:
    """The config files that apply, strongest first: the working folder's, the user's."""
    here = Path.cwd() if cwd is None else cwd
    found = [p for p in (here / n for n in CONFIG_NAMES) if p.is_file()][:1]
    user = user_config_file()
    if user.is_file():
        found.append(user)
    return found


def _line_of(text: str, key: str) -> int:
    """The 1-based line where ``key`` is set (0 when not found)."""
    name = key.rpartition(".")[2]
    for i, line in enumerate(text.splitlines(), 1):
        if line.split("=", 1)[0].strip().strip('"') == name:
            return i
    return 0


def _flat(doc: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in doc.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def both(key: str, **fmt: object) -> str:
    """A message in English, then Chinese in brackets: config errors come before the
    language is known (the config may be what sets it)."""
    return f"{word(key, 'en', **fmt)} ({word(key, 'zh', **fmt)})"


def _check(key: str, value: Any) -> str | None:
    """What is wrong with ``value`` for ``key`` (both languages), or None."""
    num = isinstance(value, int | float) and not isinstance(value, bool)
    if key == "lang":
        ok, allowed = value in LANGS, "cfg_allowed_lang"
    elif key in ("samples", "workers"):
        ok, allowed = num and isinstance(value, int) and value >= 1, "cfg_allowed_count"
    elif key == "csv_bom":
        ok, allowed = isinstance(value, bool), "cfg_allowed_bool"
    elif key == "seed":
        ok, allowed = num and isinstance(value, int) and value >= 0, "cfg_allowed_seed"
    else:
        ok, allowed = num and 0 <= value <= 1, "cfg_allowed_probability"
    if ok:
        return None
    choices = ", ".join(LANGS)
    en = word("cfg_bad_value", "en", value=repr(value), allowed=word(allowed, "en", choices=choices))
    zh = word("cfg_bad_value", "zh", value=repr(value), allowed=word(allowed, "zh", choices=choices))
    return f"{en} ({zh})"


def read_config(path: Path) -> dict[str, Any]:
    """The settings of one config file, by :class:`Settings` field name.

    Raises
    ------
    ClusterSimError
        ``file:line: key: message`` for a TOML syntax error, an unknown key or a bad value.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ClusterSimError(f"{path}: {both('cfg_not_utf8')}") from None
    import tomllib  # only when there is a config file: most runs have none (issue 21 part 4)

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = found.group(1) if found else "?"
        raise ClusterSimError(f"{path}:{line}: {both('cfg_syntax', detail=exc)}") from None
    out: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in _flat(doc).items():
        where = f"{path}:{_line_of(text, key)}: {key}"
        if key not in _KEYS:
            problems.append(f"{where}: {both('cfg_unknown', hint=did_you_mean(key, _KEYS))}")
            continue
        bad = _check(key, value)
        if bad is not None:
            problems.append(f"{where}: {bad}")
            continue
        out[_KEYS[key]] = float(value) if key.startswith("status.") else value
    if problems:
        raise ClusterSimError("\n".join(problems))
    return out


def load_settings(cwd: Path | None = None) -> Settings:
    """The built-in defaults overlaid by the user's config file, then the working folder's.

    Raises
    ------
    ClusterSimError
        For a config file that is not valid (see :func:`read_config`), or thresholds
        where ``unlikely`` is not below ``likely``.
    """
    settings = Settings()
    origin: dict[str, str] = {}
    values: dict[str, Any] = {}
    for path in reversed(config_files(cwd)):  # weakest first, the stronger overwrite
        read = read_config(path)
        values.update(read)
        origin.update(dict.fromkeys(read, str(path)))
    known = {f.name for f in fields(Settings)}
    settings = replace(settings, **{k: v for k, v in values.items() if k in known}, origin=origin)
    if not settings.unlikely < settings.likely:
        where = origin.get("likely") or origin.get("unlikely") or "config"
        raise ClusterSimError(
            f"{where}: {both('cfg_thresholds', unlikely=settings.unlikely, likely=settings.likely)}"
        )
    return settings
