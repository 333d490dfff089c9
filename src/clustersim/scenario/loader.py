"""Load scenario YAML safely, resolve ``extends:``, keep where every value came from.

Deep-merge rules for ``extends:`` (the child is the file that says ``extends``):

- mappings merge key by key, recursively (``clusters``, ``targets``, ``region``...);
- a child value that is not a mapping (number, string, list) replaces the parent's;
- a mapping whose ``kind`` or ``dist`` differs from the parent's replaces it whole
  (switching a growth from ``constant`` to ``logistic`` drops the old ``rate``);
- ``null`` (``~``) deletes the key (a null for a key the parent does not have stays, so
  validation can name it: it is often a stray key from an unquoted comma);
- ``extends`` paths are relative to the file that names them; chains are allowed,
  cycles are errors.

Every leaf keeps its provenance (file, line, and the values it overrode: a
:class:`~clustersim.scenario.provenance.Provenance`), shown by
``clustersim validate --explain PATH``.
"""

from __future__ import annotations

import copy
import hashlib
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from clustersim.errors import Problem, ScenarioError
from clustersim.i18n import Bi, did_you_mean, msg, translate
from clustersim.scenario.checks import (
    check_references,
    display_path,
    number_with_unit,
    origin_place,
)
from clustersim.scenario.limits import MAX_DEPTH, MAX_NODES, decode_text, read_input
from clustersim.scenario.models import Scenario
from clustersim.scenario.provenance import Key, Origin, Provenance
from clustersim.values.numbers import NUM_TAGS

if TYPE_CHECKING:  # PyYAML is imported when a file is read: a cached scenario needs none
    import yaml

__all__ = [
    "format_validation_error",
    "load",
    "load_data",
    "load_scenario",
    "provenance",
    "read_yaml",
    "validate_loaded",
]



def _safe_loader() -> type[yaml.SafeLoader]:
    """libyaml's C loader when PyYAML has it (several times faster), same safe loading."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader

_AT = re.compile(r"^\[at ([\w.]+)\] (.*)$", re.S)
MERGE_TAGS = ("kind", "dist")


def read_yaml(
    path: Path,
    *,
    where: str = "",
    max_bytes: int | None = None,
    digests: dict[str, str] | None = None,
) -> tuple[dict[str, Any], dict[Key, Origin]]:
    """Parse one YAML file with safe loading; return data and per-path origins.

    Only a regular file of at most the size cap is read (:func:`~clustersim.scenario.limits.
    read_input`); a document whose aliases expand past :data:`~clustersim.scenario.limits.
    MAX_NODES` nodes or :data:`~clustersim.scenario.limits.MAX_DEPTH` levels is refused before
    it is composed, and a tag outside YAML 1.2's core schema (``!!set``, ``!!python/...``,
    ``!custom``) is refused with its line.

    Parameters
    ----------
    path : Path
        The file.
    where : str, optional
        ``FILE:LINE: field`` of the reference that named this file (``extends:``,
        ``scenario:``), prefixed to every message about the file.
    max_bytes : int, optional
        Size cap; default ``$CLUSTERSIM_MAX_FILE_MB`` or 10 MB.
    digests : dict, optional
        Given, ``digests[str(path)]`` is set to the SHA-256 of the bytes read (the scenario
        cache, :mod:`clustersim.scenario.cache`, keys an entry by the bytes validated).

    Raises
    ------
    ScenarioError
        ``FILE:LINE: message`` for every refusal.
    """
    import yaml

    name = str(path)
    pre = f"{where}: " if where else ""
    raw = read_input(path, where=where, max_bytes=max_bytes)
    if digests is not None:
        digests[name] = hashlib.sha256(raw).hexdigest()
    text = decode_text(raw, name, what="YAML", where=where)
    try:
        # count the expanded nodes on the event stream first: composing a billion-laughs
        # document is cheap, but walking or constructing it is not
        safe_loader = _safe_loader()
        checker = safe_loader(text)
        try:
            check_yaml_events(checker, name)
        finally:
            checker.dispose()
        loader = safe_loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                m = msg("err_empty")
                raise ScenarioError(Problem(m.en, m.zh, file=name, line=1))
            origins: dict[Key, Origin] = {}
            _walk(node, (), name, origins)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except ScenarioError as exc:
        if pre:
            raise exc.prefixed(pre) from None
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None and "nesting depth" in str(exc.problem or ""):
            # PyYAML >= 6.0.4 refuses deep nesting itself, sometimes before our event walk
            # reaches MAX_DEPTH (it scans a flow collection ahead): the same message either way
            raise ScenarioError(
                f"{pre}{name}:{mark.line + 1}: the document nests more than {MAX_DEPTH} "
                "levels deep (aliases expanded)"
            ) from None
        raise ScenarioError(yaml_problem(exc, text, name, pre)) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{pre}{name}: YAML error: {exc}") from None
    except (ValueError, OverflowError, RecursionError) as exc:  # a constructor refusing a value
        raise ScenarioError(f"{pre}{name}: cannot read a value: {exc}") from None
    if not isinstance(data, dict):
        m = msg("err_not_mapping")
        raise ScenarioError(Problem(m.en, m.zh, file=name, line=1, prefix=pre))
    return _unshare(data), origins


def yaml_problem(exc: yaml.MarkedYAMLError, text: str, name: str, pre: str = "") -> Problem:
    """PyYAML's syntax error said for people: tabs, indentation, unclosed brackets and quotes,
    a missing colon, an undefined alias (which line, what to do), in both languages."""
    mark = exc.problem_mark or exc.context_mark
    problem = str(exc.problem or exc)
    lines = text.splitlines()
    line = mark.line + 1 if mark is not None else 1
    start = exc.context_mark.line + 1 if exc.context_mark is not None else line
    hint: Bi | None = None
    column: int | None = mark.column + 1 if mark is not None else None
    tabbed = [
        i + 1 for i, ln in enumerate(lines[:line]) if "\t" in ln[: len(ln) - len(ln.lstrip(" \t"))]
    ]
    if tabbed and ("token" in problem or "tab" in problem or "indentation" in problem):
        line = tabbed[0]
        m, hint = msg("err_yaml_tab", line=line), msg("hint_yaml_tab")
        column = lines[line - 1].index("\t") + 1  # the tab's, not PyYAML's mark
    elif "mapping values are not allowed" in problem:
        m, hint = msg("err_yaml_indent", line=line), msg("hint_yaml_indent")
    elif "expected <block end>" in problem or "expected key" in problem:
        m, hint = msg("err_yaml_block", line=line), msg("hint_yaml_block")
    elif "expected ',' or '}'" in problem or "expected ',' or ']'" in problem:
        opened, close = ("{", "}") if "}" in problem else ("[", "]")
        m = msg("err_yaml_unclosed", open=opened, start=start)
        hint = msg("hint_yaml_unclosed", close=close)
    elif "quoted scalar" in str(exc.context or ""):
        m, hint = msg("err_yaml_quote", start=start), msg("hint_yaml_quote")
    elif "could not find expected ':'" in problem:
        line = start
        m, hint = msg("err_yaml_colon", line=line), msg("hint_yaml_indent")
        column = None
    elif "undefined alias" in problem and mark is not None:
        tail = lines[mark.line][mark.column :] if mark.line < len(lines) else ""
        alias = re.match(r"\*?([^\s,\]\}]*)", tail)
        m = msg("err_yaml_alias", name=alias.group(1) if alias else "?")
    else:
        m = msg("err_yaml_other", problem=problem)
    return Problem(
        m.en,
        m.zh,
        file=name,
        line=line,
        column=column,
        hint=hint.en if hint else None,
        hint_zh=hint.zh if hint else None,
        prefix=pre,
        show_column=column is not None,
    )


#: longest integer literal read from YAML (a float holds about 308 digits)
MAX_DIGITS = 100

#: the tags of YAML 1.2's core schema (and ``<<`` merge keys, which the scenarios use)
CORE_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq", "merge")
)


def _tag_problem(node: yaml.Node) -> str | None:
    """Why ``node``'s tag is refused, or None for a core tag."""
    tag = str(node.tag)
    if tag in CORE_TAGS:
        return None
    if tag == "tag:yaml.org,2002:timestamp":
        return f"{node.value!r} reads as a date; put it in quotes to keep it as text"
    short = tag.replace("tag:yaml.org,2002:", "!!")
    return (
        f"the YAML tag {short!r} is not allowed (only the YAML 1.2 core types: strings, "
        "numbers, booleans, null, mappings and lists)"
    )


def check_yaml_events(
    loader: Any, name: str, *, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH
) -> None:
    """Walk the events of ``loader`` (a fresh loader on the document) and refuse a document
    whose expanded size or depth passes the limits, before any node is composed.

    Each anchored node's expanded size and height are remembered, so an alias costs what it
    would copy: the count grows exactly as the expanded tree would, without building it.

    Raises
    ------
    ScenarioError
        ``FILE:LINE: ...`` naming the line where a limit was passed.
    """
    import yaml

    sizes: dict[str, tuple[int, int]] = {}  # anchor -> (expanded nodes, height)
    # one frame per open collection: its expanded nodes so far (itself included), the
    # tallest child, its anchor
    counts: list[int] = []
    heights: list[int] = []
    anchors: list[str | None] = []
    total = 0
    while loader.check_event():
        ev = loader.get_event()
        if isinstance(ev, yaml.AliasEvent):
            n, h = sizes.get(str(ev.anchor), (1, 0))
        elif isinstance(ev, yaml.ScalarEvent):
            n, h = 1, 0
            if ev.anchor is not None:
                sizes[str(ev.anchor)] = (1, 0)
        elif isinstance(ev, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            n, h = 1, 1
        elif isinstance(ev, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            n, h = counts.pop(), heights.pop() + 1
            anchor = anchors.pop()
            if anchor is not None:
                sizes[anchor] = (n, h)
            if counts:  # the nodes are already in ``total``; the parent's own count grows
                counts[-1] += n
                heights[-1] = max(heights[-1], h)
            continue
        else:
            continue
        total += n
        if total > max_nodes:
            raise ScenarioError(
                f"{name}:{_line(ev.start_mark)}: the document expands to more than "
                f"{max_nodes:,} YAML nodes (an alias counts as the nodes it copies): refused, "
                "it looks like an alias bomb"
            )
        if len(counts) + h > max_depth:
            raise ScenarioError(
                f"{name}:{_line(ev.start_mark)}: the document nests more than {max_depth} "
                "levels deep (aliases expanded)"
            )
        if isinstance(ev, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            counts.append(1)
            heights.append(0)
            anchors.append(None if ev.anchor is None else str(ev.anchor))
        elif counts:
            counts[-1] += n
            heights[-1] = max(heights[-1], h)


def _line(mark: yaml.Mark | None) -> int:
    return mark.line + 1 if mark is not None else 1


def _unshare(obj: Any) -> Any:
    """A copy in which no two places share an object (YAML aliases become copies), so an
    ``extends:`` override of one place cannot leak into its aliases."""
    if isinstance(obj, dict):
        return {k: _unshare(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_unshare(v) for v in obj]
    return obj


def _walk(
    node: yaml.Node,
    key: Key,
    name: str,
    origins: dict[Key, Origin],
    _open: frozenset[int] = frozenset(),
) -> None:
    import yaml

    if id(node) in _open:
        raise ScenarioError(
            f"{name}:{node.start_mark.line + 1}: {'.'.join(key)}: a YAML alias refers to itself"
        )
    _open = _open | {id(node)}
    bad_tag = _tag_problem(node)
    if bad_tag is None and node.tag == "tag:yaml.org,2002:int" and len(node.value) > MAX_DIGITS:
        # int() of it is slow (quadratic) or refused (Python's 4,300-digit limit), and no
        # float holds it: refuse before constructing
        bad_tag = f"an integer of {len(node.value):,} characters (at most {MAX_DIGITS} allowed)"
    if bad_tag is not None:
        field = ".".join(key) or "(top level)"
        raise ScenarioError(f"{name}:{node.start_mark.line + 1}: {field}: {bad_tag}")
    origins[key] = Origin(name, node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        merges: list[yaml.Node] = []
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor`, resolved below
                merges.extend(vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode])
                continue
            key_tag = _tag_problem(knode)
            if key_tag is not None or not isinstance(knode, yaml.ScalarNode):
                field = ".".join(key) or "(top level)"
                raise ScenarioError(
                    f"{name}:{knode.start_mark.line + 1}: {field}: "
                    + (key_tag or "a key must be plain text, not a mapping or list")
                )
            k = str(knode.value)
            if k in seen:
                raise ScenarioError(
                    f"{name}:{knode.start_mark.line + 1}: duplicate key {'.'.join((*key, k))!r} "
                    f"(first at line {seen[k]})"
                )
            seen[k] = knode.start_mark.line + 1
            _walk(vnode, (*key, k), name, origins, _open)
            origins[(*key, k)] = Origin(
                name, knode.start_mark.line + 1, knode.start_mark.column + 1
            )
        for m in merges:  # merged keys: explicit keys win, the first merge wins
            if isinstance(m, yaml.MappingNode):
                for knode, vnode in m.value:
                    k = str(knode.value)
                    if k not in seen:
                        seen[k] = knode.start_mark.line + 1
                        _walk(vnode, (*key, k), name, origins, _open)
                        origins[(*key, k)] = Origin(
                            name, knode.start_mark.line + 1, knode.start_mark.column + 1
                        )
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*key, str(i)), name, origins, _open)


def load_data(
    path: str | Path,
    _stack: tuple[Path, ...] = (),
    *,
    where: str = "",
    digests: dict[str, str] | None = None,
) -> Provenance:
    """Read ``path`` and the chain of files it ``extends``: the merged data and where each
    value was written.

    A problem in a parent file is prefixed with the ``extends:`` line of each file below it
    (``a.yaml:3: extends: b.yaml:7: field: ...``); a cycle names every file in it.
    ``where`` (``FILE:LINE: field`` of the reference that named ``path``, e.g. a sweep's
    ``scenario:``) prefixes every message about reading the files. ``digests``, given,
    receives the SHA-256 of each file read, by the name in :attr:`Provenance.files`.
    """
    _where = where
    p = Path(path)
    if "\x00" in str(p):  # the OS cannot open it, and pathlib raises ValueError
        raise ScenarioError(f"{where + ': ' if where else ''}{str(p)!r}: not a valid file name")
    resolved = p.resolve()
    if resolved in _stack:
        chain = " -> ".join(str(s) for s in (*_stack, resolved))
        raise ScenarioError(f"{_where or p}: extends cycle: {chain}")
    data, origins = read_yaml(p, where=_where, digests=digests)
    parent_ref = data.get("extends")
    if parent_ref is None:
        return Provenance(data, origins, {}, (str(p),))
    at = f"{origins.get(('extends',)) or p}: extends"
    if not isinstance(parent_ref, str) or not parent_ref.strip() or "\x00" in parent_ref:
        raise ScenarioError(
            f"{_where + ': ' if _where else ''}{at}: must be a file path, got {parent_ref!r}"
        )
    parent_path = (
        (p.parent / parent_ref) if not Path(parent_ref).is_absolute() else Path(parent_ref)
    )
    if _where:
        at = f"{_where}: {at}"
    if not parent_path.exists():
        raise ScenarioError(f"{at}: file not found: {parent_ref} (looked for {parent_path})")
    if parent_path.resolve() in (*_stack, resolved):
        chain = " -> ".join(str(x) for x in (*_stack, resolved, parent_path.resolve()))
        raise ScenarioError(f"{at}: cycle: {chain}")
    parent = load_data(parent_path, (*_stack, resolved), where=at, digests=digests)
    merged = copy.deepcopy(parent.data)
    merged.pop("extends", None)
    out_origins = dict(parent.origins)
    overridden = {k: list(v) for k, v in parent.overridden.items()}
    _merge(merged, data, (), out_origins, origins, overridden)
    merged["extends"] = parent_ref
    return Provenance(
        merged,
        out_origins,
        {k: tuple(v) for k, v in overridden.items()},
        (*parent.files, str(p)),
    )


def _merge(
    base: dict[str, Any],
    child: Mapping[str, Any],
    key: Key,
    origins: dict[Key, Origin],
    child_origins: dict[Key, Origin],
    overridden: dict[Key, list[Origin]],
) -> None:
    for k, v in child.items():
        kk = (*key, str(k))  # origins use text keys; YAML year keys load as int
        old = base.get(k)
        if k in base and kk in origins:
            overridden.setdefault(kk, []).append(origins[kk])
        if v is None:
            if k in base:
                base.pop(k)
                _drop(origins, kk)
            else:  # deletes nothing: keep it so validation names it (often a stray comma)
                base[k] = None
                origins.update({p: o for p, o in child_origins.items() if p[: len(kk)] == kk})
            continue
        if isinstance(v, dict) and isinstance(old, dict) and not _retagged(old, v):
            origins[kk] = child_origins.get(kk, origins.get(kk, Origin("?", 0)))
            _merge(old, v, kk, origins, child_origins, overridden)
        else:
            base[k] = copy.deepcopy(v)
            # the origins mirror the document: a scalar has one (its own key), a mapping or
            # a list one per node below it, found by a scan of all (most overrides are
            # scalars: a scan each was 8 of a 38 ms load of an extended plan)
            if isinstance(old, dict | list):
                _drop(origins, kk)
            else:
                origins.pop(kk, None)
            if isinstance(v, dict | list):
                origins.update({p: o for p, o in child_origins.items() if p[: len(kk)] == kk})
            elif kk in child_origins:
                origins[kk] = child_origins[kk]


def _retagged(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return any(t in new and old.get(t) != new[t] for t in MERGE_TAGS)


def _drop(origins: dict[Key, Origin], key: Key) -> None:
    for p in [p for p in origins if p[: len(key)] == key]:
        del origins[p]


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (with its ``extends`` chain).

    The scenario's :attr:`~clustersim.scenario.models.Scenario.provenance` says where each
    value was written; :func:`load` returns it beside the scenario.

    Raises
    ------
    ScenarioError
        With one ``file:line: field.path: message`` line per problem.
    """
    return validate_loaded(load_data(path))


def load(path: str | Path) -> tuple[Scenario, Provenance]:
    """Load and validate a scenario file: the scenario and where each value was written.

    Raises
    ------
    ScenarioError
        With one ``file:line: field.path: message`` line per problem.
    """
    prov = load_data(path)
    return validate_loaded(prov), prov


def validate_loaded(loaded: Provenance) -> Scenario:
    """Validate merged data; errors name the file and line each field was written at.

    Every problem of the file is reported in one pass: the schema's (pydantic) and the
    references' (group members, parents, names in expressions, target years outside the
    horizon, :func:`~clustersim.scenario.checks.check_references`), in the order of their
    lines.
    """
    refs = check_references(loaded)
    try:
        sc = Scenario.model_validate(loaded.data)
    except ValidationError as exc:
        raise ScenarioError(_in_order(format_validation_error(exc, loaded, refs) + refs)) from exc
    if refs:
        raise ScenarioError(_in_order(refs))
    sc._provenance = loaded  # the one place it is set
    return sc


def _in_order(items: list[Problem]) -> list[Problem]:
    files: dict[str | None, int] = {}
    for p in items:
        files.setdefault(p.file, len(files))
    return sorted(items, key=lambda p: (files[p.file], p.line or 0))


def provenance(sc: Scenario) -> Provenance | None:
    """Where each value of ``sc`` was written, if it came from a file."""
    return sc.provenance


def format_validation_error(
    exc: ValidationError, loaded: Provenance, known: list[Problem] | None = None
) -> list[Problem]:
    """One problem per pydantic error, at the line of the offending value, in both languages.

    ``known`` are problems already found at some paths (the reference checks): a whole-model
    error at one of those paths is not repeated.
    """
    out: list[Problem] = []
    seen: set[tuple[Key, str]] = set()
    taken = {p.field for p in known or []}
    errors = [(_data_path(e["loc"], loaded.data), e) for e in exc.errors(include_url=False)]
    # keep the most specific error of a union (a label that is neither str nor {zh, en})
    locs = {loc for loc, _ in errors}
    errors = [
        (loc, e)
        for loc, e in errors
        if not (
            e["type"].endswith("_type") and any(o[: len(loc)] == loc and o != loc for o in locs)
        )
    ]
    # a number union (number, "5%", observation, dist) fails once per member: one message
    by_loc: dict[Key, int] = {}
    for loc, err in errors:
        text, hint = _message(err, loc, loaded.data)
        at = _AT.match(text.en)
        if at:  # a whole-model check naming the field it is about
            loc = tuple(at.group(1).split("."))
            text = Bi(_AT.sub(r"\2", text.zh), at.group(2))
        if (loc, text.en) in seen or (at and display_path(loc, loaded.data) in taken):
            continue
        if loc in by_loc and _is_num_union(err):
            continue
        seen.add((loc, text.en))
        by_loc[loc] = len(out)
        origin = loaded.where(loc)
        out.append(
            Problem(
                text.en,
                text.zh,
                file=origin.file if origin else (loaded.files[-1] if loaded.files else None),
                line=origin.line if origin else None,
                column=origin.column if origin else None,
                place=origin_place(origin),
                field=display_path(loc, loaded.data) or "(top level)",
                hint=hint.en if hint else None,
                hint_zh=hint.zh if hint else None,
            )
        )
    return out


def _is_num_union(err: Any) -> bool:
    return any(str(p) in NUM_TAGS for p in err["loc"])


def _data_path(loc: tuple[int | str, ...], data: Any) -> Key:
    """Drop pydantic's union tags from ``loc`` so it addresses the YAML data."""
    out: list[str] = []
    cur = data
    for part in loc:
        s = str(part)
        if isinstance(cur, dict) and s in cur:
            out.append(s)
            cur = cur[s]
        elif isinstance(cur, list) and isinstance(part, int) and part < len(cur):
            out.append(s)
            cur = cur[part]
        elif isinstance(cur, dict) and s not in cur and not _is_tag(s):
            out.append(s)  # a missing or extra field
            cur = None
        # else: a union tag or a function-validator marker; skip
    return tuple(out)


def _is_tag(s: str) -> bool:
    return (
        s in (*NUM_TAGS, "str", "int", "float", "BiLabel")
        or "[" in s
        or s.startswith("function-")
        or s in _ALL_TAGS
    )


#: pydantic error types said in both languages: type -> (message id, the ctx field it shows)
_TYPES: dict[str, tuple[str, str | None]] = {
    "int_parsing": ("err_int", None),
    "int_type": ("err_int", None),
    "int_from_float": ("err_int", None),
    "float_parsing": ("err_number", None),
    "float_type": ("err_number", None),
    "string_type": ("err_text", None),
    "bool_parsing": ("err_bool", None),
    "bool_type": ("err_bool", None),
    "dict_type": ("err_mapping", None),
    "model_type": ("err_mapping", None),
    "list_type": ("err_list", None),
    "greater_than": ("err_gt", "gt"),
    "greater_than_equal": ("err_ge", "ge"),
    "less_than": ("err_lt", "lt"),
    "less_than_equal": ("err_le", "le"),
    "too_short": ("err_too_short", "min_length"),
    "string_pattern_mismatch": ("err_pattern", "pattern"),
    "literal_error": ("err_literal", "expected"),
}


def _message(err: Any, loc: Key, data: Any = None) -> tuple[Bi, Bi | None]:
    """The message of one pydantic error in both languages, and a suggested fix if obvious
    (the sweep file's validator says its errors with it too: :data:`pydantic_message`)."""
    typ = err["type"]
    if typ == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1], data)
        close = did_you_mean(loc[-1], allowed, cutoff=0.5) if loc else Bi("", "")
        if loc and (loc[-1][:1].isdigit() or allowed == ["zh", "en"]):
            comma = msg("hint_label_comma")
            close = close + Bi(f"（{comma.zh}）", f" ({comma.en})")
        names = msg("allowed", names=", ".join(allowed)) if allowed else Bi("", "")
        return msg("err_unknown_field", hint=close, allowed=names), None
    if typ == "missing":
        return msg("err_missing"), None
    if typ == "union_tag_invalid":
        ctx = err.get("ctx", {})
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        disc = str(ctx.get("discriminator", "kind")).strip("'")
        return msg(
            "err_unknown_tag",
            disc=disc,
            tag=repr(ctx.get("tag")),
            hint=did_you_mean(str(ctx.get("tag")), tags),
            allowed=msg("allowed", names=", ".join(tags)),
        ), None
    if typ == "union_tag_not_found":
        return msg("err_needs_tag", disc=str(err.get("ctx", {}).get("discriminator", "kind"))), None
    text = str(err["msg"])
    if text.startswith("Value error, "):
        text = text[len("Value error, ") :]
    known = _TYPES.get(typ)
    if known is not None:
        key, field = known
        ctx = err.get("ctx", {})
        fmt: dict[str, object] = {}
        if field in ("gt", "ge", "lt", "le"):
            fmt["limit"] = ctx.get(field)
        elif field == "min_length":
            fmt["n"] = ctx.get(field)
        elif field is not None:
            fmt[field] = ctx.get(field)
        bi_text = msg(key, **fmt)
        # pydantic's English wording stays (scripts and the hostile corpus read it)
        bi_text = Bi(bi_text.zh, text)
    else:
        bi_text = Bi(translate(text), text)  # a check's own message, English where raised
    val = err.get("input")
    hint: Bi | None = None
    if typ not in ("model_type",) and not isinstance(val, dict | list) and val is not None:
        bi_text = bi_text + msg("got", value=repr(val))
        split = number_with_unit(val)
        if split is not None:
            hint = msg("hint_number_unit", number=split[0], unit=split[1])
    return bi_text, hint


#: :func:`_message` for other models than the scenario (its unknown-field suggestions walk
#: the scenario's models: callers say ``extra_forbidden`` themselves)
pydantic_message = _message


# --- finding the model class at a data path, for "did you mean" suggestions --------------


def _tags(tp: Any) -> dict[str, type[BaseModel]]:
    out: dict[str, type[BaseModel]] = {}
    for m in _members(tp):
        if isinstance(m, type) and issubclass(m, BaseModel):
            for tag_field in MERGE_TAGS:
                f = m.model_fields.get(tag_field)
                if f is not None:
                    for v in typing.get_args(f.annotation) or (f.default,):
                        if isinstance(v, str):
                            out[v] = m
    return out


def _members(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _members(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [x for a in typing.get_args(tp) for x in _members(a)]
    return [tp]


_ALL_TAGS: frozenset[str] = frozenset()


def _allowed_fields(loc: Key, data: Any = None) -> list[str]:
    """Field names of the model at ``loc`` in the scenario, best effort.

    Where the model is one of a tagged union (a growth or target kind), the tag in
    ``data`` at ``loc`` picks the member.
    """
    cur: list[Any] = [Scenario]
    node = data
    for part in loc:
        node = node.get(part) if isinstance(node, dict) else None
        nxt: list[Any] = []
        for tp in cur:
            for m in _members(tp):
                if isinstance(m, type) and issubclass(m, BaseModel):
                    f = m.model_fields.get(part)
                    if f is not None:
                        nxt.append(f.annotation)
                elif typing.get_origin(m) is dict:
                    nxt.append(typing.get_args(m)[1])
                elif typing.get_origin(m) in (list, tuple):
                    nxt.append(typing.get_args(m)[0])
        cur = nxt
        if not cur:
            return []
    members = [
        m for tp in cur for m in _members(tp) if isinstance(m, type) and issubclass(m, BaseModel)
    ]
    if isinstance(node, dict):
        for tag in MERGE_TAGS:
            chosen = [m for m in members if tag in node and _tags(m).get(str(node[tag])) is m]
            if chosen:
                members = chosen
                break
    names: list[str] = []
    for m in members:
        names.extend(n for n in m.model_fields if n not in names)
    return names


def _collect_tags() -> frozenset[str]:
    from clustersim.kinds.growth import Growth
    from clustersim.scenario.models import Indicator, Target
    from clustersim.values.numbers import Dist

    tags: set[str] = set()
    for tp in (Growth, Target, Indicator, Dist):
        tags.update(_tags(tp))
    return frozenset(tags)


_ALL_TAGS = _collect_tags()
