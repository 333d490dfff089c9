"""Limits on what an input file may make clustersim do: read only regular files of a bounded
size, and refuse YAML documents whose aliases expand past a node count or depth.

Every input (scenario, sweep file, calibration mapping, observed CSV, workbook) goes through
:func:`read_input`, so ``extends: /dev/zero``, a FIFO, a directory or a multi-gigabyte file is
refused before a byte is read. ``scenario.loader`` (the one module that imports PyYAML) walks
the parser's event stream (an iterative state machine, so no recursion and no node is built)
and counts the nodes the document would have once every alias is expanded: a "billion laughs"
document is refused after a few hundred events, in milliseconds, with its file and line.

The limits (documented in ``docs/scenario-format.md``, "Limits"):

- ``CLUSTERSIM_MAX_FILE_MB`` (environment) or the ``max_bytes`` argument: the largest input
  file, 10 MB by default;
- :data:`MAX_NODES` nodes after alias expansion and :data:`MAX_DEPTH` levels of nesting.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from clustersim.errors import Problem, ScenarioError
from clustersim.i18n import msg, translate

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_DEPTH",
    "MAX_FILE_ENV",
    "MAX_NODES",
    "decode_text",
    "looks_gb18030",
    "max_file_bytes",
    "read_input",
]

#: the largest input file read by default (bytes)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: environment variable that overrides :data:`DEFAULT_MAX_BYTES`, in megabytes (may be fractional)
MAX_FILE_ENV = "CLUSTERSIM_MAX_FILE_MB"
#: most YAML nodes a document may expand to (every alias counted as the nodes it copies)
MAX_NODES = 100_000
#: deepest nesting of mappings and sequences in a YAML document (aliases expanded)
MAX_DEPTH = 100


def max_file_bytes(max_bytes: int | None = None) -> int:
    """The size cap in bytes: ``max_bytes`` if given, else ``$CLUSTERSIM_MAX_FILE_MB``, else
    10 MB.

    Raises
    ------
    ScenarioError
        When the environment variable is not a positive number.
    """
    if max_bytes is not None:
        return max_bytes
    env = os.environ.get(MAX_FILE_ENV)
    if env is None or not env.strip():
        return DEFAULT_MAX_BYTES
    try:
        mb = float(env)
    except ValueError:
        mb = -1.0
    if not 0 < mb < 1e9:  # also refuses nan and inf
        raise ScenarioError(f"{MAX_FILE_ENV}={env!r}: must be a positive number of megabytes")
    return int(mb * 1024 * 1024)


def read_input(path: Path, *, where: str = "", max_bytes: int | None = None) -> bytes:
    """The bytes of the regular file ``path``, refusing anything else before reading it.

    Parameters
    ----------
    path : Path
        The file to read.
    where : str, optional
        Who asked for it, as ``FILE:LINE: field`` (an ``extends:`` or ``scenario:`` line):
        prefixed to every message so the user sees which line to fix.
    max_bytes : int, optional
        Size cap (default: :func:`max_file_bytes`).

    Raises
    ------
    ScenarioError
        The file does not exist, is not a regular file (a directory, device, FIFO or
        socket), is larger than the cap, or cannot be read.
    """
    cap = max_file_bytes(max_bytes)
    pre = f"{where}: " if where else ""
    name = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _refuse(pre, name, "file not found") from None
    except OSError as exc:
        raise _refuse(pre, name, f"cannot read: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte in the path
        raise ScenarioError(f"{pre}{name!r}: not a valid file name") from None
    _check_stat(st, pre, name, cap)
    # O_NONBLOCK: a FIFO swapped in after the stat must not block the open
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _refuse(pre, name, f"cannot read: {exc.strerror or exc}") from None
    try:
        _check_stat(os.fstat(fd), pre, name, cap)  # what was opened, not what was stat-ed
        with os.fdopen(fd, "rb", closefd=True) as f:
            fd = -1
            data = f.read(cap + 1)
    except OSError as exc:
        raise _refuse(pre, name, f"cannot read: {exc.strerror or exc}") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > cap:
        raise _refuse(pre, name, _too_big(len(data), cap))
    return data


def _check_stat(st: os.stat_result, pre: str, name: str, cap: int) -> None:
    mode = st.st_mode
    if not stat.S_ISREG(mode):
        what = (
            "a directory"
            if stat.S_ISDIR(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a FIFO (named pipe)"
            if stat.S_ISFIFO(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a regular file"
        )
        raise _refuse(pre, name, f"is {what}; only regular files are read")
    if st.st_size > cap:
        raise _refuse(pre, name, _too_big(st.st_size, cap))


def _refuse(pre: str, name: str, message: str) -> ScenarioError:
    """A refusal of file ``name`` (named by the reference ``pre``), Chinese from the one
    table."""
    return ScenarioError(Problem(message, translate(message), file=name, place=name, prefix=pre))


def _too_big(size: int, cap: int) -> str:
    return (
        f"the file is larger than the limit of {cap:,} bytes (at least {size:,}); "
        f"raise it with {MAX_FILE_ENV}=<megabytes> if the file is meant to be this big"
    )


def looks_gb18030(raw: bytes) -> bool:
    """True when ``raw`` reads as GB18030 (GBK is a subset) and holds Chinese characters:
    a file saved by Notepad or Excel on Chinese Windows."""
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def decode_text(raw: bytes, name: str, *, what: str, where: str = "") -> str:
    """``raw`` as UTF-8 text (a leading byte-order mark dropped), or a refusal naming the line
    of the first byte that is not UTF-8.

    GBK/GB18030 input (what Notepad and Excel save on Chinese Windows) is refused, not
    decoded: read as GB18030 almost any byte sequence becomes some Chinese character, so a
    truncated UTF-8 file or a Latin-1 one would load with wrong labels and ids and no error.
    The refusal says the file looks like GBK and how to save it as UTF-8.

    Parameters
    ----------
    raw : bytes
        The file's bytes.
    name : str
        The file as the user named it.
    what : str
        What the file should be (``YAML``, ``CSV``), for the message.
    where : str, optional
        ``FILE:LINE: field`` of the reference that named the file.

    Raises
    ------
    ScenarioError
        ``FILE:LINE: not UTF-8 text ...`` with the hint how to save as UTF-8, or
        ``FILE:LINE: a NUL byte ...`` for a binary file.
    """
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = raw[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        start = bom + exc.start
        line = raw[:start].count(b"\n") + 1
        gbk = looks_gb18030(raw[bom:])
        m = msg("err_gbk", byte=start) if gbk else msg("err_not_utf8", byte=start, what=what)
        hint = msg("hint_save_utf8")
        raise ScenarioError(
            Problem(
                m.en,
                m.zh,
                file=name,
                line=line,
                hint=hint.en,
                hint_zh=hint.zh,
                prefix=f"{where}: " if where else "",
            )
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        m = msg("err_nul", what=what)
        raise ScenarioError(
            Problem(m.en, m.zh, file=name, line=line, prefix=f"{where}: " if where else "")
        )
    return text
