"""Image references in the project's own multiarch.yaml.

`runtime_image` (language go; `scratch` is none) is the base of every image
the Makefile builds: it must cover every arch the config lists. `go_image`
(default golang:<go_version>) runs on the build host only
(`FROM --platform=$BUILDPLATFORM` in the generated Dockerfile).
"""

from __future__ import annotations

from dataclasses import dataclass

from mkmultiarch.inspect.audit.uses import BUILD, Use, documents, get, line
from mkmultiarch.render.config import ConfigError, parse


@dataclass(frozen=True)
class ProjectConfig:
    file: str
    arches: tuple[str, ...]
    uses: list[Use]


def find(file: str, text: str) -> ProjectConfig:
    """Raise ConfigError (exit 2) for a multiarch.yaml render would refuse."""
    try:
        config = parse(text, origin=file)
    except ConfigError as error:
        if str(error).startswith(f"{file}:"):
            raise
        raise ConfigError(f"{file}: {error}") from None
    docs = documents(text)
    doc = docs[0] if docs else None

    def line_of(*keys: str) -> int:
        for key in keys:
            node = get(doc, key)
            if node is not None:
                return line(node)
        return 1

    uses: list[Use] = []
    if config.language == "go":
        uses.append(
            Use(
                file,
                line_of("go_image", "go_version"),
                "multiarch.yaml",
                "go_image (build host)",
                config.go_image,
                BUILD,
            )
        )
        if config.runtime_image != "scratch":
            uses.append(
                Use(
                    file,
                    line_of("runtime_image"),
                    "multiarch.yaml",
                    "runtime_image",
                    config.runtime_image,
                    config.arches,
                )
            )
    return ProjectConfig(file, config.arches, uses)
