"""Find the files to read, tell their format, and collect every image reference in them.

A directory is walked recursively, in sorted order, honouring the
`.gitignore` files met on the way (patterns, `!` negation, `dir/` and
anchored `/pattern`, `**`) and never entering .git, node_modules, a
virtualenv or render's record (.mkmultiarch). What a file is follows from its name:
- multiarch.yaml: the project config (project.py);
- Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*: dockerfile.py;
- .github/workflows/*.y(a)ml: GitHub Actions; .gitlab-ci.yml: GitLab CI (ci.py);
- any other *.yaml / *.yml: Kubernetes manifests if a document has a `kind`
  (kubernetes.py), else a Compose file if it has a `services` mapping (compose.py).
`-` reads a YAML stream from standard input (`helm template .`, `kustomize build`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import yaml

from mkmultiarch.errors import BadInputError
from mkmultiarch.inspect.audit import ci, compose, dockerfile, kubernetes, project
from mkmultiarch.inspect.audit.uses import STDIN, Use, documents
from mkmultiarch.inspect.limits import read_limited
from mkmultiarch.names import CONFIG_FILE

MAX_FILE_BYTES = 4 << 20
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox"}
    | {".mypy_cache", ".ruff_cache", ".pytest_cache"}
    | {".mkmultiarch"}  # render's record: copies of files read where they stand
)
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Found:
    """Every Use found, the multiarch.yaml files read, and the files passed over (and why)."""

    uses: list[Use] = field(default_factory=list)
    configs: list[project.ProjectConfig] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    files: int = 0  # files that had something to read


# -- .gitignore ------------------------------------------------------------------------------


def _glob_regex(pattern: str) -> str:
    out = ""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out += "(?:.*/)?"
            index += 3
            continue
        if pattern.startswith("**", index):
            out += ".*"
            index += 2
            continue
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end == -1:
                out += re.escape(char)
            else:
                body = pattern[index + 1 : end].replace("\\", "\\\\")
                out += f"[{'^' + body[1:] if body.startswith('!') else body}]"
                index = end
        else:
            out += re.escape(char)
        index += 1
    return out


@dataclass(frozen=True)
class _Rule:
    base: Path
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def _rules(directory: Path) -> list[_Rule]:
    try:
        text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    rules: list[_Rule] = []
    for raw in text.splitlines():
        pattern = raw.rstrip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.removeprefix("!")
        dir_only = pattern.endswith("/")
        pattern = pattern.rstrip("/")
        anchored = "/" in pattern
        pattern = pattern.lstrip("/")
        if not pattern:
            continue
        prefix = "" if anchored else "(?:.*/)?"
        regex = re.compile(f"^{prefix}{_glob_regex(pattern)}$")
        rules.append(_Rule(directory, regex, negate, dir_only))
    return rules


def _ignored(path: Path, is_dir: bool, rules: Sequence[_Rule]) -> bool:
    ignored = False
    for rule in rules:
        if rule.dir_only and not is_dir:
            continue
        relative = path.relative_to(rule.base).as_posix()
        if rule.regex.match(relative):
            ignored = not rule.negate
    return ignored


def walk(root: Path) -> list[Path]:
    """The files under ROOT, sorted, without what .gitignore or SKIPPED_DIRS leave out."""
    found: list[Path] = []
    inherited: dict[Path, list[_Rule]] = {}
    for current, dirs, files in os.walk(root):
        here = Path(current)
        rules = inherited.get(here, []) + _rules(here)
        kept = []
        for name in sorted(dirs):
            path = here / name
            if name in SKIPPED_DIRS or path.is_symlink() or _ignored(path, True, rules):
                continue
            kept.append(name)
            inherited[path] = rules
        dirs[:] = kept
        found += [here / name for name in sorted(files) if not _ignored(here / name, False, rules)]
    return found


# -- reading -------------------------------------------------------------------------------


def _yaml_kind(path: Path) -> str:
    name = path.name.lower()
    if name == CONFIG_FILE:
        return "project"
    if path.suffix.lower() not in YAML_SUFFIXES:
        return ""
    if path.parent.name == "workflows" and path.parent.parent.name == ".github":
        return "github"
    if name.endswith((".gitlab-ci.yml", ".gitlab-ci.yaml")) or name in (
        ".gitlab-ci.yml",
        ".gitlab-ci.yaml",
    ):
        return "gitlab"
    return "yaml"


def kind_of(path: Path) -> str:
    """project, dockerfile, github, gitlab, yaml (sniffed when read), or "" (not read)."""
    if dockerfile.is_dockerfile(path.name):
        return "dockerfile"
    return _yaml_kind(path)


def _read_yaml(file: str, text: str, kind: str, found: Found) -> None:
    try:
        docs = documents(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        template = " (a template?)" if "{{" in text else ""
        found.skipped.append(f"{file}: not valid YAML{where}{template}")
        return
    if kind == "github":
        found.uses += ci.find_github(file, docs)
    elif kind == "gitlab":
        found.uses += ci.find_gitlab(file, docs)
    elif kubernetes.is_manifest(docs):
        uses = kubernetes.find(file, docs)
        sources = kubernetes.helm_sources(text) if file == STDIN else {}
        for use in uses:
            before = [number for number in sources if number < use.line]
            if before:
                where = f"{use.where} ({sources[max(before)]})"
                use = Use(
                    use.file, use.line, use.source, where, use.written, use.needs, use.unresolved
                )
            found.uses.append(use)
    elif compose.is_compose(docs):
        found.uses += compose.find(file, docs)
    else:
        return
    found.files += 1


def read_file(
    path: Path,
    file: str,
    kind: str,
    found: Found,
    build_args: Mapping[str, str] | None = None,
) -> None:
    """Add what FILE (at PATH, of KIND) holds to FOUND; BUILD_ARGS apply to Dockerfiles."""
    try:
        text = read_limited(path, MAX_FILE_BYTES)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)
        found.skipped.append(f"{file}: {reason}")
        return
    if kind == "dockerfile":
        found.uses += dockerfile.find(file, text, build_args)
        found.files += 1
    elif kind == "project":
        config = project.find(file, text)
        found.configs.append(config)
        found.uses += config.uses
        found.files += 1
    else:
        _read_yaml(file, text, kind, found)


def find(paths: Sequence[str], stdin: TextIO, build_args: Mapping[str, str] | None = None) -> Found:
    """Every image reference in PATHS (files, directories, `-` for standard input).

    BUILD_ARGS (NAME to value) replace the defaults of the Dockerfiles' global ARGs."""
    found = Found()
    for given in paths or ["."]:
        if given == STDIN:
            _read_yaml(STDIN, stdin.read(MAX_FILE_BYTES), "yaml", found)
            continue
        path = Path(given)
        if path.is_dir():
            for file in walk(path):
                kind = kind_of(file)
                if kind:
                    read_file(file, os.path.normpath(file), kind, found, build_args)
        elif path.is_file():
            read_file(path, given, kind_of(path) or "yaml", found, build_args)
        else:
            raise BadInputError(f"{given}: no such file or directory")
    return found
