"""Read a YAML file safely into plain data, remembering the line of every key.

Only the YAML core types are accepted (mappings, lists, strings, numbers, booleans, null and
dates): any other tag, Python object tags included, is refused, so loading never runs code.
Aliases are allowed, but a document whose aliases expand beyond `MAX_EXPANDED_NODES` (an
"alias bomb") or refer to themselves is refused before anything is built from it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from sim.scenario.problems import KeyPath, Problem, ScenarioError, Source

MAX_FILE_BYTES = 2_000_000
MAX_EXPANDED_NODES = 200_000

_CORE = "tag:yaml.org,2002:"
ALLOWED_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null", "timestamp")}
ALLOWED_TAGS |= {_CORE + "map", _CORE + "seq"}


@dataclass(frozen=True)
class Document:
    """Plain data from one or more YAML files, and where each key path was written."""

    data: Any
    lines: dict[KeyPath, tuple[Source, int | None]]

    def where(self, path: KeyPath, fallback: Source) -> tuple[Source, int | None]:
        """File and line of the longest prefix of `path` that was written somewhere."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return fallback, None


def read_yaml(file: Path) -> Document:
    """Load one YAML file into plain dicts, lists and scalars with the line of every key.

    Raises
    ------
    ScenarioError
        With every problem found: unreadable file, syntax error, duplicate keys, tags
        outside the YAML core schema, aliases expanding too far.
    """
    text = _read_text(file)
    root = _compose(text, file)
    if root is None:
        raise ScenarioError(
            [Problem(file, 1, (), "the file is empty; expected a mapping of scenario sections")]
        )
    return _document(root, file)


def read_yaml_value(text: str, source: Source) -> Any:
    """One value written in YAML (a scalar, or a flow mapping or list such as
    `{kind: exponential, mean_days: 3}`), loaded as safely as a file; empty text is null.

    Raises
    ------
    ScenarioError
        As `read_yaml`, with problems at `source`.
    """
    root = _compose(text, source)
    return None if root is None else _document(root, source).data


def _compose(text: str, file: Source) -> Node | None:
    """The checked node tree of a YAML text (None for an empty text)."""
    # The safe, pure-Python composer: nodes with their marks and no comment handling (the
    # round-trip composer's comment bookkeeping can fail on damaged files).
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_duplicate_keys = True  # found below, all at once, with their lines
    try:
        root = yaml.compose(text)
    except MarkedYAMLError as error:
        raise ScenarioError([_syntax_problem(file, error)]) from None
    except ReaderError as error:
        raise ScenarioError([_reader_problem(file, text, error)]) from None
    except ValueError as error:
        # The scanner's chr() fails on an escape beyond U+10FFFF ("\U00110000"), without a mark.
        line = _escape_line(text)
        message = (
            f"not valid YAML: {error}"
            if line is None
            else "YAML syntax error: found an escape beyond U+10FFFF, the last Unicode character"
        )
        raise ScenarioError([Problem(file, line, (), message)]) from None
    except RecursionError:
        too_deep = Problem(file, 1, (), "the document is nested too deeply")
        raise ScenarioError([too_deep]) from None
    except YAMLError as error:
        raise ScenarioError([Problem(file, None, (), f"not valid YAML: {error}")]) from None
    if root is not None:
        problems = _check_nodes(file, root)
        if problems:
            raise ScenarioError(problems)
    return root


def _document(root: Node, file: Source) -> Document:
    problems: list[Problem] = []
    lines: dict[KeyPath, tuple[Source, int | None]] = {(): (file, root.start_mark.line + 1)}
    data = _plain(root, (), file, lines, problems)
    if problems:
        raise ScenarioError(problems)
    return Document(data=data, lines=lines)


def _read_text(file: Path) -> str:
    try:
        if not file.exists():
            raise ScenarioError([Problem(file, None, (), "file not found")])
        if file.is_dir():
            raise ScenarioError([Problem(file, None, (), "is a directory; expected a YAML file")])
        if not file.is_file():  # /dev/zero, a pipe, a socket: could be endless
            raise ScenarioError(
                [Problem(file, None, (), "is not a regular file (a device, pipe or socket)")]
            )
        with file.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # never more than the limit, whatever it is
    except OSError as error:  # unreadable, or a name too long for the system (exists() raises)
        raise ScenarioError([Problem(file, None, (), f"cannot read: {error.strerror}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            [Problem(file, None, (), f"file is over {MAX_FILE_BYTES:,} bytes, the most allowed")]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        byte = raw[error.start]
        raise ScenarioError(
            [
                Problem(
                    file,
                    line,
                    (),
                    f"not UTF-8 text: byte 0x{byte:02x} at column {column}; save the file as UTF-8",
                )
            ]
        ) from None


def _reader_problem(file: Source, text: str, error: ReaderError) -> Problem:
    """A character YAML forbids (a control character), at its line, on one output line."""
    position = min(max(error.position, 0), len(text))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return Problem(
        file,
        line,
        (),
        f"found control character U+{error.character:04X} at column {column}; allowed: "
        "printable characters (write it as an escape inside double quotes, or delete it)",
    )


_OUT_OF_RANGE_ESCAPE = re.compile(r"\\U([0-9A-Fa-f]{8})")


def _escape_line(text: str) -> int | None:
    for match in _OUT_OF_RANGE_ESCAPE.finditer(text):
        if int(match.group(1), 16) > sys.maxunicode:
            return text.count("\n", 0, match.start()) + 1
    return None


def _syntax_problem(file: Source, error: MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else None
    problem = error.problem or "syntax error"
    if "'\\t'" in problem or "\t" in problem:
        problem = "found a tab character; indent YAML with spaces, never tabs"
    elif error.context:
        # The context (an unclosed bracket, say) often starts lines above where it failed.
        start = error.context_mark
        since = f" on line {start.line + 1}" if start and line != start.line + 1 else ""
        problem = f"{problem} ({error.context}{since})"
    return Problem(file, line, (), f"YAML syntax error: {problem}")


def _tag(node: Node) -> str:
    return str(getattr(node.tag, "value", node.tag))


def _check_nodes(file: Source, root: Node) -> list[Problem]:
    """Refuse foreign tags, duplicate keys, self-referring aliases and alias bombs."""
    try:
        expanded = _expanded_size(root, {}, set())
    except _RecursiveAliasError as recursive:
        line = recursive.node.start_mark.line + 1
        return [Problem(file, line, (), "an alias refers to a node that contains it")]
    except RecursionError:
        return [Problem(file, 1, (), "the document is nested too deeply")]
    if expanded > MAX_EXPANDED_NODES:
        return [
            Problem(
                file,
                root.start_mark.line + 1,
                (),
                f"aliases expand the document to {expanded:,} nodes; at most "
                f"{MAX_EXPANDED_NODES:,} are allowed (is this an alias bomb?)",
            )
        ]
    problems: list[Problem] = []
    seen: set[int] = set()
    stack: list[tuple[Node, KeyPath]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        line = node.start_mark.line + 1
        tag = _tag(node)
        if tag not in ALLOWED_TAGS:
            problems.append(Problem(file, line, path, _tag_message(tag)))
            continue
        if isinstance(node, MappingNode):
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                key_tag = _tag(key_node)
                if key_tag != _CORE + "str" or not isinstance(key_node, ScalarNode):
                    message = (
                        "merge keys (<<) are not supported; use `extends` to build on a file"
                        if key_tag == _CORE + "merge"
                        else f"keys must be plain text, found {key_tag.replace(_CORE, '!!')}"
                    )
                    problems.append(Problem(file, key_line, path, message))
                    continue
                key = key_node.value
                if key in first_line:
                    problems.append(
                        Problem(
                            file,
                            key_line,
                            (*path, key),
                            f"duplicate key '{key}' (first given on line {first_line[key]}); "
                            "give each key once",
                        )
                    )
                else:
                    first_line[key] = key_line
                stack.append((value_node, (*path, key)))
        elif isinstance(node, SequenceNode):
            stack.extend((child, (*path, i)) for i, child in enumerate(node.value))
    problems.sort(key=lambda problem: problem.line or 0)
    return problems


def _tag_message(tag: str) -> str:
    return (
        f"tag {tag.replace(_CORE, '!!')} is not allowed; only plain YAML values "
        "(mappings, lists, text, numbers, true/false, null, dates)"
    )


def _expanded_size(node: Node, sizes: dict[int, int], on_stack: set[int]) -> int:
    """Nodes in the document with every alias expanded, computed without expanding any."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in on_stack:
        raise _RecursiveAliasError(node)
    on_stack.add(key)
    total = 1
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            total += _expanded_size(key_node, sizes, on_stack)
            total += _expanded_size(value_node, sizes, on_stack)
    elif isinstance(node, SequenceNode):
        total += sum(_expanded_size(child, sizes, on_stack) for child in node.value)
    on_stack.discard(key)
    sizes[key] = total
    return total


class _RecursiveAliasError(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def _plain(node: Node, path: KeyPath, file: Source, lines: dict, problems: list[Problem]) -> Any:
    """Build plain Python data from checked nodes, recording each key's line.

    A scalar that cannot be built (`2021-02-30`, `!!int abc`) is added to `problems`.
    """
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            lines[child] = (file, key_node.start_mark.line + 1)
            result[key] = _plain(value_node, child, file, lines, problems)
        return result
    if isinstance(node, SequenceNode):
        items = []
        for index, item_node in enumerate(node.value):
            child = (*path, index)
            lines[child] = (file, item_node.start_mark.line + 1)
            items.append(_plain(item_node, child, file, lines, problems))
        return items
    try:
        return _scalar(node)
    except (ArithmeticError, LookupError, ValueError, YAMLError) as error:
        # ruamel raises whatever its converter raised: ValueError for 2021-02-30 or an int
        # of more than 4,300 digits, KeyError for `!!bool abc`, IndexError for `!!int ""`.
        problems.append(Problem(file, node.start_mark.line + 1, path, _scalar_message(node, error)))
        return None


_SCALAR_YAML = YAML(typ="safe", pure=True)
_SCALAR_KINDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "null": "null",
    "timestamp": "a real calendar date (YYYY-MM-DD)",
}


def _scalar_message(node: ScalarNode, error: Exception) -> str:
    tag = _tag(node).removeprefix(_CORE)
    text = node.value if len(node.value) <= 60 else node.value[:57] + "..."
    # "day is out of range for month: ..." -> "day is out of range for month"
    detail = str(error).split(":")[0] if isinstance(error, ValueError) else ""
    reason = f" ({detail})" if detail else ""
    return f"found {text!r}{reason}; allowed: {_SCALAR_KINDS.get(tag, 'a valid !!' + tag)}"


def _scalar(node: ScalarNode) -> Any:
    """A YAML 1.2 core scalar as a plain Python value."""
    value = _SCALAR_YAML.constructor.construct_object(node, deep=True)
    if isinstance(value, datetime):
        return value if (value.hour, value.minute, value.second) != (0, 0, 0) else value.date()
    if isinstance(value, bool | date | type(None)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)
