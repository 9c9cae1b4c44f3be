"""Reading multiarch.yaml: bounded in bytes and nesting, and strict about what YAML may do.

A config needs no anchors, aliases, tags or merge keys, so they are refused rather than
expanded (a few hundred bytes of aliases expand to gigabytes); numbers and booleans that
YAML 1.1 reads differently from their text are refused with "quote it". The file is read
only if it is a regular file, never blocking on a FIFO.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mkmultiarch.names import CONFIG_FILE
from mkmultiarch.render.refusal import SETTING_NAME, ConfigError, printable, shown, shown_path

# How much of multiarch.yaml is read, and how it may be written (see load and parse).
MAX_CONFIG_BYTES = 64 * 1024  # a real one is about 2 KiB
MAX_NESTING = 16  # a config is a mapping of scalars and short lists
MAX_INT_DIGITS = 20


# Loading: bounded in bytes, in nesting and in what YAML may do. A config needs
# no anchors, aliases, tags or merge keys, so they are refused rather than
# expanded (a few hundred bytes of aliases expand to gigabytes); numbers and
# booleans that YAML 1.1 reads differently from their text are refused with
# "quote it", as floats are.

_INT_TAG = "tag:yaml.org,2002:int"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_INT = re.compile(r"(?:0|-?[1-9][0-9]*)\Z")
_PLAIN_BOOL = ("true", "True", "TRUE", "false", "False", "FALSE")


class _Refused(Exception):
    """A YAML feature the config does not allow, at a line; parse() names the file."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors, aliases, explicit tags and deep nesting while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(line, "YAML anchors and aliases (& and *) are not allowed; write it out")
        if getattr(event, "tag", None) is not None:
            raise _Refused(line, "YAML tags (! and !!) are not allowed; remove the tag")
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise _Refused(line, f"nested more than {MAX_NESTING} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _check_scalar(node: ScalarNode, field: str) -> None:
    """Refuse a plain scalar YAML 1.1 reads as something other than its text."""
    text = str(node.value)
    example = f'quote it, e.g. {field}: "{printable(text)}"'
    if node.tag == _INT_TAG:
        if not _PLAIN_INT.match(text):
            raise ConfigError(
                f"{field}: {printable(text)} is a YAML 1.1 number (hex, octal, binary, "
                f"1_000 or 1:30), not the text it shows; {example}"
            )
        if len(text.lstrip("-")) > MAX_INT_DIGITS:
            digits = len(text.lstrip("-"))
            raise ConfigError(
                f"{field}: a number of {digits} digits is too long "
                f"(at most {MAX_INT_DIGITS}); {example}"
            )
    elif node.tag == _BOOL_TAG and text not in _PLAIN_BOOL:
        raise ConfigError(
            f"{field}: {printable(text)} is a YAML 1.1 boolean; write true or false "
            "(or quote it, if it is text)"
        )
    elif node.tag == _TIMESTAMP_TAG:
        raise ConfigError(f"{field}: {printable(text)} is a YAML date; {example}")


def _check_node(node: Node, field: str) -> None:
    """Walk NODE (the value of FIELD): refuse duplicate and merge keys, and ambiguous scalars."""
    if isinstance(node, ScalarNode):
        _check_scalar(node, field)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _check_node(item, field)
    elif isinstance(node, MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                raise ConfigError(
                    f"{field}: line {_line(key_node)}: `<<` merge keys are not allowed"
                )
            _check_node(key_node, field)
            key = key_node.value if isinstance(key_node, ScalarNode) else id(key_node)
            if key in seen:
                raise ConfigError(
                    f"{field}: {shown(key)} is set twice (lines {seen[key]} and "
                    f"{_line(key_node)}); keep one"
                )
            seen[key] = _line(key_node)
            _check_node(value_node, field)


def _check_document(root: MappingNode, origin: str) -> None:
    """The top level: setting names are plain text, each set once; then each value."""
    seen: dict[str, int] = {}
    for key_node, value_node in root.value:
        line = _line(key_node)
        if key_node.tag == _MERGE_TAG:
            raise ConfigError(f"{origin}: line {line}: `<<` merge keys are not allowed")
        if not isinstance(key_node, ScalarNode) or key_node.tag != _STR_TAG:
            raise ConfigError(
                f"{origin}: line {line}: a setting name must be plain text, e.g. image"
            )
        key = str(key_node.value)
        name = key if SETTING_NAME.match(key) else shown(key)
        if key in seen:
            raise ConfigError(f"{name}: set twice (lines {seen[key]} and {line}); keep one")
        seen[key] = line
        _check_node(value_node, name)


def read_document(text: str, origin: str = CONFIG_FILE) -> Any:
    """The settings mapping in YAML TEXT, read strictly; any refusal is one ConfigError line."""
    where_from = shown_path(origin)
    if len(text) > MAX_CONFIG_BYTES or len(text.encode("utf-8", "replace")) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{where_from}: larger than {MAX_CONFIG_BYTES // 1024} KiB; not a config")
    loader: _ConfigLoader | None = None
    try:
        loader = _ConfigLoader(text)  # the reader refuses control characters here already
        root = loader.get_single_node()
        if root is None:
            raise ConfigError(
                f"{where_from}: the file is empty; run `mkmultiarch init` to start one"
            )
        if not isinstance(root, MappingNode):
            raise ConfigError(f"{where_from}: expected a mapping of settings, e.g. image: org/app")
        _check_document(root, where_from)
        data = loader.construct_document(root)
    except _Refused as refused:
        raise ConfigError(f"{where_from}: line {refused.line}: {refused.reason}") from None
    except yaml.reader.ReaderError as error:
        character = printable(chr(error.character)) if isinstance(error.character, int) else "?"
        raise ConfigError(
            f"{where_from}: not valid YAML: special character {character} "
            f"at character {error.position + 1}; remove it"
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{where_from}: not valid YAML{where}; fix the syntax") from None
    except (ValueError, OverflowError, RecursionError) as error:  # a constructor gave up
        reason = printable(str(error))
        raise ConfigError(f"{where_from}: a value YAML cannot read ({reason})") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data


def _read_bounded(path: Path) -> bytes:
    """The bytes of PATH, a regular file of at most MAX_CONFIG_BYTES; never blocks on a FIFO."""
    where = shown_path(path)
    limit = f"{MAX_CONFIG_BYTES // 1024} KiB"
    try:
        before = os.stat(path)
        if stat.S_ISDIR(before.st_mode):
            raise ConfigError(f"{where}: is a directory; pass the multiarch.yaml file in it")
        if not stat.S_ISREG(before.st_mode):
            raise ConfigError(f"{where}: not a regular file (a FIFO or a device); pass a file")
        if before.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"{where}: larger than {limit} ({before.st_size} bytes); "
                "a multiarch.yaml is a few KiB"
            )
        # O_NONBLOCK: should it have become a FIFO since the stat, open does not wait.
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise ConfigError(
            f"{where}: no such file; run `mkmultiarch init` or pass --config PATH"
        ) from None
    except NotADirectoryError:
        raise ConfigError(f"{where}: no such file (a parent is not a directory)") from None
    except OSError as error:
        raise ConfigError(f"{where}: {error.strerror or error}") from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise ConfigError(f"{where}: not a regular file (a FIFO or a device); pass a file")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_CONFIG_BYTES:
            chunk = os.read(descriptor, MAX_CONFIG_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise ConfigError(f"{where}: {error.strerror or error}") from None
    finally:
        os.close(descriptor)
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{where}: larger than {limit}; a multiarch.yaml is a few KiB")
    return b"".join(chunks)


def read_text(path: Path) -> str:
    """The text of a config file: a regular file, at most MAX_CONFIG_BYTES of UTF-8."""
    raw = _read_bounded(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{shown_path(path)}: not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    return text
