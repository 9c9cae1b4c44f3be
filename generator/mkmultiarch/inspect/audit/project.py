"""Image references in the project's own multiarch.yaml.

`runtime_image` (language go; `scratch` is none) is the base of every image
the Makefile builds: it must cover every arch the config lists (with `images:`, each
image's runtime_image every arch of that image). `go_image`
(default golang:<go_version>) runs on the build host only
(`FROM --platform=$BUILDPLATFORM` in the generated Dockerfile).
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from mkmultiarch.inspect.audit.uses import BUILD, Use, documents, get, line, sequence
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
        # Several images: each image's runtime must cover that image's own arches. Its line
        # is the entry's own runtime_image, else the entry (it inherits the default), so
        # the report's file:line tells the images apart.
        entries = sequence(get(doc, "images"))
        runtimes = [
            (
                f"images[{entry.name}].runtime_image",
                entry.runtime_image,
                entry.arches,
                _entry_line(entries[index] if index < len(entries) else None, line_of("images")),
            )
            for index, entry in enumerate(config.images)
        ] or [("runtime_image", config.runtime_image, config.arches, line_of("runtime_image"))]
        for what, runtime_image, arches, where in runtimes:
            if runtime_image != "scratch":
                uses.append(Use(file, where, "multiarch.yaml", what, runtime_image, arches))
    every_arch = tuple(dict.fromkeys(a for entry in config.images for a in entry.arches))
    return ProjectConfig(file, every_arch or config.arches, uses)


def _entry_line(entry: yaml.Node | None, fallback: int) -> int:
    """The line of an images: entry's runtime_image, else of the entry itself."""
    if entry is None:
        return fallback
    node = get(entry, "runtime_image")
    return line(node if node is not None else entry)
