"""What every source reader returns: a Use of an image reference, with its file and line.

Also the two helpers the readers share: variable substitution (`$VAR`,
`${VAR}`, `${VAR:-default}`, `${VAR-default}`; GitHub's `${{ ... }}` is never
resolved) and YAML read as nodes, so that every value keeps its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import yaml

# What a Use needs: the required arches (REQUIRED), the build host's only
# (BUILD: `FROM --platform=$BUILDPLATFORM`, multiarch.yaml's go_image), or the
# arch tokens it names (a fixed `--platform=linux/amd64`, runtime_image's arches).
REQUIRED = "required"
BUILD = "build"
Needs = str | tuple[str, ...]

STDIN = "-"


@dataclass(frozen=True)
class Use:
    """One place an image reference is written."""

    file: str  # as shown to the user; "-" for standard input
    line: int  # 1-based
    source: str  # kubernetes, compose, dockerfile, github-actions, gitlab-ci, multiarch.yaml
    where: str  # what in the file, e.g. "Deployment/web initContainers[migrate]"
    written: str  # the reference, with the variables it could resolve substituted
    needs: Needs = REQUIRED
    unresolved: tuple[str, ...] = ()  # the variables it could not resolve

    @property
    def location(self) -> str:
        return f"{'<stdin>' if self.file == STDIN else self.file}:{self.line}"


# -- variables ---------------------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+?])(?P<word>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


def substitute(text: str, values: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """TEXT with $VAR, ${VAR}, ${VAR:-default} and ${VAR:+alt} replaced from VALUES.

    Returns the text and the names it could not resolve (a variable with no
    value and no default); those stay as written. `${{ expr }}` (GitHub
    Actions) is never resolved: it is reported as unresolved.
    """
    unresolved: list[str] = [match.group(0) for match in _EXPRESSION.finditer(text)]

    def replace(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("plain")
        op = match.group("op") or ""
        word = match.group("word") or ""
        value = values.get(name)
        if op in ("-", ":-"):
            if value is None or (op == ":-" and value == ""):
                return substitute(word, values)[0] if "$" in word else word
            return value
        if op in ("+", ":+"):
            return word if value is not None and (op == "+" or value) else ""
        if value is None:
            unresolved.append(name)
            return match.group(0)
        return value

    if "$" not in text:
        return text, ()
    result = _VARIABLE.sub(replace, text)  # `${{` is not a variable: it stays as written
    return result, tuple(dict.fromkeys(unresolved))


# -- YAML as nodes -------------------------------------------------------------------------

Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def documents(text: str) -> list[yaml.Node]:
    """Every document of a YAML stream as nodes (an empty document is left out)."""
    return [node for node in yaml.compose_all(text, Loader=Loader) if node is not None]


def line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def scalar(node: yaml.Node | None) -> str | None:
    """The text of a scalar node (numbers and booleans as written), else None."""
    if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null":
        return str(node.value)
    return None


def items(node: yaml.Node | None) -> Iterator[tuple[str, yaml.Node]]:
    """The (key, value) pairs of a mapping node, merge keys (`<<: *base`) included."""
    if not isinstance(node, yaml.MappingNode):
        return
    seen: set[str] = set()
    merged: list[yaml.Node] = []
    for key_node, value in node.value:
        key = scalar(key_node)
        if key == "<<" and key_node.tag == "tag:yaml.org,2002:merge":
            merged += value.value if isinstance(value, yaml.SequenceNode) else [value]
        elif key is not None and key not in seen:
            seen.add(key)
            yield key, value
    for base in merged:
        for key, value in items(base):
            if key not in seen:
                seen.add(key)
                yield key, value


def get(node: yaml.Node | None, *path: str) -> yaml.Node | None:
    """The node at PATH (mapping keys) under NODE, or None."""
    for key in path:
        node = next((value for name, value in items(node) if name == key), None)
        if node is None:
            return None
    return node


def sequence(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []
