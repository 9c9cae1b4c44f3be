"""Image references in Dockerfiles: the `FROM` of every stage, and `COPY --from=IMAGE`.

- `ARG`s before the first `FROM` are the only ones a `FROM` can use: their
  defaults are substituted; a variable with no default is reported unresolved.
  A build arg given (`mkmultiarch audit --build-arg NAME=VALUE`, as
  `docker build --build-arg`) replaces the default of the global ARG it names.
- A stage name (`FROM ... AS build`, then `FROM build`) is not an image, nor
  is `scratch`; `COPY --from=` a stage name or index is not one either.
- `FROM --platform=$BUILDPLATFORM` runs on the build host: it needs only the
  build host's platform; a fixed `--platform=linux/amd64` needs that one.
- Lines continued with the escape character (`\\`, or the `# escape=`
  directive's) are joined, comments skipped, heredoc bodies (`<<EOF`) passed over.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mkmultiarch.errors import BadInputError
from mkmultiarch.inspect.audit.uses import BUILD, REQUIRED, Needs, Use, substitute

_DIRECTIVE = re.compile(r"^#\s*([A-Za-z]+)\s*=\s*(\S+)\s*$")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_ARG_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}\Z")
MAX_BUILD_ARG_VALUE = 1024


def parse_build_args(given: Sequence[str]) -> dict[str, str]:
    """`--build-arg NAME=VALUE` values as a mapping; BadInputError (exit 2) for a bad one.

    NAME is an ARG name; VALUE has no whitespace or control characters and no `$`
    (a value is used as it is, never expanded), at most MAX_BUILD_ARG_VALUE
    characters. Each NAME at most once.
    """
    build_args: dict[str, str] = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not _ARG_NAME.match(name):
            raise BadInputError(
                f"--build-arg: {item[:60]!r} is not NAME=VALUE with NAME an ARG name "
                "(letters, digits, _), e.g. --build-arg GO_IMAGE=golang:1.23"
            )
        if (
            len(value) > MAX_BUILD_ARG_VALUE
            or "$" in value
            or any(not char.isprintable() or char.isspace() for char in value)
        ):
            raise BadInputError(
                f"--build-arg {name}: the value must be at most {MAX_BUILD_ARG_VALUE} printable "
                "characters without spaces or $"
            )
        if name in build_args:
            raise BadInputError(f"--build-arg {name}: given twice; give each name once")
        build_args[name] = value
    return build_args


@dataclass(frozen=True)
class Instruction:
    line: int  # of its first physical line
    keyword: str  # upper case
    arguments: str


def instructions(text: str) -> list[Instruction]:
    """The logical instructions of a Dockerfile, each with the line it starts on."""
    lines = text.splitlines()
    escape = "\\"
    start = 0
    for index, raw in enumerate(lines):  # parser directives: only at the very top
        match = _DIRECTIVE.match(raw)
        if not match:
            break
        if match.group(1).lower() == "escape" and match.group(2) in ("`", "\\"):
            escape = match.group(2)
        start = index + 1
    found: list[Instruction] = []
    index = start
    while index < len(lines):
        raw = lines[index].strip()
        index += 1
        if not raw or raw.startswith("#"):
            continue
        first = index
        parts = [raw]
        while parts[-1].endswith(escape) and index < len(lines):
            parts[-1] = parts[-1][: -len(escape)]
            following = lines[index].strip()
            index += 1
            if following.startswith("#"):
                parts.append(escape)  # a comment inside a continuation: skipped
                continue
            parts.append(following)
        if parts[-1].endswith(escape):
            parts[-1] = parts[-1][: -len(escape)]
        logical = " ".join(part for part in parts if part != escape)
        keyword, _, arguments = logical.partition(" ")
        for strip, _, word in _HEREDOC.findall(arguments):
            while index < len(lines):
                body = lines[index].strip() if strip else lines[index]
                index += 1
                if body == word:
                    break
        found.append(Instruction(first, keyword.upper(), arguments.strip()))
    return found


def split_words(arguments: str) -> list[str]:
    """The words of an instruction as a shell splits them (plain whitespace if unbalanced)."""
    try:
        return shlex.split(arguments, posix=True)
    except ValueError:
        return arguments.split()


def _platform_needs(value: str, args: dict[str, str]) -> Needs:
    if "BUILDPLATFORM" in value:
        return BUILD
    text, unresolved = substitute(value, args)
    if unresolved:
        return REQUIRED  # $TARGETPLATFORM and the like: every target
    os_name, _, arch = text.partition("/")
    return (arch,) if os_name == "linux" and arch else REQUIRED


def find(file: str, text: str, build_args: Mapping[str, str] | None = None) -> list[Use]:
    """The image references in a Dockerfile; BUILD_ARGS replace the global ARGs they name."""
    given = build_args or {}
    uses: list[Use] = []
    args: dict[str, str] = {}  # global ARGs with a default
    stages: set[str] = set()
    stage_count = 0
    seen_from = False
    for instruction in instructions(text):
        words = split_words(instruction.arguments)
        if instruction.keyword == "ARG" and not seen_from:
            for word in words:
                name, sep, default = word.partition("=")
                if name in given:
                    args[name] = given[name]
                elif sep:
                    args[name] = substitute(default, args)[0]
            continue
        if instruction.keyword == "FROM":
            seen_from = True
            flags = [word for word in words if word.startswith("--")]
            rest = [word for word in words if not word.startswith("--")]
            if not rest:
                continue
            stage = rest[2] if len(rest) >= 3 and rest[1].lower() == "as" else ""
            needs: Needs = REQUIRED
            for flag in flags:
                if flag.startswith("--platform="):
                    needs = _platform_needs(flag.partition("=")[2], args)
            image, unresolved = substitute(rest[0], args)
            label = f"FROM (stage {stage})" if stage else f"FROM (stage {stage_count})"
            stage_count += 1
            if image.lower() not in stages and image.lower() != "scratch":
                uses.append(
                    Use(
                        file,
                        instruction.line,
                        "dockerfile",
                        label,
                        image,
                        needs,
                        unresolved,
                    )
                )
            if stage:
                stages.add(stage.lower())
            continue
        if instruction.keyword == "COPY" and seen_from:
            for word in words:
                if not word.startswith("--from="):
                    continue
                source, unresolved = substitute(word.partition("=")[2], args)
                if source.lower() in stages or source.isdigit():
                    continue
                uses.append(
                    Use(
                        file,
                        instruction.line,
                        "dockerfile",
                        "COPY --from",
                        source,
                        REQUIRED,
                        unresolved,
                    )
                )
    return uses


def is_dockerfile(name: str) -> bool:
    """Dockerfile, Containerfile, Dockerfile.prod, app.Dockerfile (any case)."""
    lower = name.lower()
    for base in ("dockerfile", "containerfile"):
        if lower.endswith(".dockerignore"):
            return False
        if lower == base or lower.startswith(f"{base}.") or lower.endswith(f".{base}"):
            return True
    return False
