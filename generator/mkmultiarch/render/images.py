"""Several images from one config: the `images:` list of multiarch.yaml (issue #18).

Each entry names one image: its own path, Go main package and binary (language go) or
Dockerfile (language dockerfile), and optionally its own arches and runtime image; every
other setting (registry, version, engine, builder...) is the config's, written once.
Each value is checked by the same pattern as the top-level setting of that name, and a
refusal names the image: `images[worker].go_main: ...` (`images[2]` before a name is known).

An image's name becomes part of make target names (docker-build-worker,
docker-build-worker-arm64) and of make variables, so it is narrower than an image path,
and it may not make two targets read alike: an arch's suffix (docker-build-arm64 is the
arch target of an image's own Makefile run), a word the Makefile uses itself
(docker-push-arch), or another image's name plus an arch (worker and worker-arm64).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mkmultiarch.arches import SUPPORTED_ARCHES
from mkmultiarch.names import CONFIG_FILE
from mkmultiarch.render.fields import _check, _several, _text
from mkmultiarch.render.refusal import SETTING_NAME, ConfigError, shown
from mkmultiarch.render.settings import MAX_REPOSITORY_LENGTH

__all__ = [
    "ARCH_SUFFIXES",
    "GO_ONLY",
    "IMAGE_KEYS",
    "IMAGE_NAME",
    "MAX_IMAGES",
    "MAX_NAME_LENGTH",
    "NAME_RULE",
    "RESERVED_NAMES",
    "TOP_LEVEL_PER_IMAGE",
    "ImageConfig",
    "validate_images",
]

IMAGE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
MAX_NAME_LENGTH = 32
MAX_IMAGES = 32
ARCH_SUFFIXES = tuple(arch.replace("/", "-") for arch in SUPPORTED_ARCHES)
# Words a target name docker-<verb>-<word> already means in the generated Makefile.
_OWN_WORDS = ("arm", "arch", "all", "gate", "images", "multiarch", "manifest", "verify", "sign")
RESERVED_NAMES = frozenset((*ARCH_SUFFIXES, *_OWN_WORDS))
# The keys of one entry; `name` and `image` are required.
IMAGE_KEYS = ("name", "image", "go_main", "binary", "dockerfile", "arches", "runtime_image")
# Keys of a Go image only; language dockerfile refuses them (and go refuses dockerfile).
GO_ONLY = ("go_main", "binary", "runtime_image")
# Top-level settings that describe one image: with images, each image sets its own.
TOP_LEVEL_PER_IMAGE = ("image", "go_main", "binary", "dockerfile")
NAME_RULE = (
    "use lowercase letters and digits, words joined by single - (at most "
    f"{MAX_NAME_LENGTH}), e.g. worker or api-server"
)


@dataclass(frozen=True)
class ImageConfig:
    """One validated entry of `images:`, its defaults filled in."""

    name: str
    image: str
    go_main: str
    binary: str
    dockerfile: str
    arches: tuple[str, ...]
    runtime_image: str

    def template_context(self) -> dict[str, Any]:
        """The entry as the templates see it (arches a list, as at the top level)."""
        return {
            "name": self.name,
            "image": self.image,
            "go_main": self.go_main,
            "binary": self.binary,
            "dockerfile": self.dockerfile,
            "arches": list(self.arches),
            "runtime_image": self.runtime_image,
        }


def _name(entry: dict[str, Any], index: int) -> str:
    if "name" not in entry:
        raise ConfigError(f"images[{index}].name: required, e.g. name: worker")
    name = entry["name"]
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH or not IMAGE_NAME.search(name):
        raise ConfigError(f"images[{index}].name: {shown(name)} is not allowed; {NAME_RULE}")
    if name in RESERVED_NAMES:
        raise ConfigError(
            f"images[{index}].name: {shown(name)} is a word the Makefile's targets use "
            f"(docker-build-{name} means something else); choose another name"
        )
    return name


def _entry(
    entry: Any, index: int, *, language: str, registry: str, defaults: dict[str, Any]
) -> ImageConfig:
    """One entry, checked; every refusal is prefixed images[NAME]. (images[INDEX] before)."""
    if not isinstance(entry, dict):
        raise ConfigError(
            f"images[{index}]: expected a mapping, e.g. {{name: worker, image: org/worker}}"
        )
    name = _name(entry, index)
    prefix = f"images[{name}]."
    unknown = sorted((key for key in entry if key not in IMAGE_KEYS), key=str)
    if unknown:
        key = unknown[0]
        shown_key = key if SETTING_NAME.match(str(key)) else shown(key)
        raise ConfigError(
            f"{prefix}{shown_key}: unknown setting of an image; allowed: {', '.join(IMAGE_KEYS)}"
        )
    not_here = GO_ONLY if language == "dockerfile" else ("dockerfile",)
    for key in not_here:
        if key in entry:
            raise ConfigError(
                f"{prefix}{key}: not a setting of an image with language {language}; remove it"
            )
    if "image" not in entry:
        raise ConfigError(f"{prefix}image: required; the repository path, e.g. org/{name}")
    try:
        image = _check("image", _text(entry, "image", ""))
        if len(registry) + 1 + len(image) > MAX_REPOSITORY_LENGTH:
            raise ConfigError(f"image: registry/image is longer than {MAX_REPOSITORY_LENGTH} chars")
        go_main = _check("go_main", _text(entry, "go_main", f"./cmd/{name}"))
        binary = _check("binary", _text(entry, "binary", "") or name)
        dockerfile = _check("dockerfile", _text(entry, "dockerfile", defaults["dockerfile"]))
        arches = _several({"arches": entry.get("arches", list(defaults["arches"]))}, "arches")
        runtime = _text(entry, "runtime_image", defaults["runtime_image"])
        runtime_image = _check("runtime_image", runtime)
    except ConfigError as error:
        raise ConfigError(f"{prefix}{error}") from None
    return ImageConfig(name, image, go_main, binary, dockerfile, arches, runtime_image)


def _refuse_clashes(images: list[ImageConfig], language: str) -> None:
    """Two entries must not share a name, an image path or (Go) a binary, nor read alike."""
    names = {image.name for image in images}
    seen: dict[str, dict[str, str]] = {"name": {}, "image": {}, "binary": {}}
    for image in images:
        keys = ("name", "image", "binary") if language == "go" else ("name", "image")
        for key in keys:
            value = getattr(image, key)
            if value in seen[key]:
                raise ConfigError(
                    f"images[{image.name}].{key}: {shown(value)} is also images"
                    f"[{seen[key][value]}]'s; each image needs its own {key}"
                )
            seen[key][value] = image.name
        for suffix in ARCH_SUFFIXES:
            base = image.name.removesuffix(f"-{suffix}")
            if base != image.name and base in names:
                raise ConfigError(
                    f"images[{image.name}].name: docker-build-{image.name} would also be "
                    f"images[{base}]'s {suffix} target; choose another name"
                )


def validate_images(
    value: Any, *, language: str, registry: str, defaults: dict[str, Any]
) -> tuple[ImageConfig, ...]:
    """The `images:` list, checked: DEFAULTS holds the top-level arches and runtime_image."""
    if not isinstance(value, list) or not value:
        raise ConfigError(
            "images: expected a non-empty list of images, e.g. "
            "[{name: server, image: org/server}, {name: worker, image: org/worker}]"
        )
    if len(value) > MAX_IMAGES:
        raise ConfigError(f"images: at most {MAX_IMAGES} images in one {CONFIG_FILE}")
    images = [
        _entry(entry, index, language=language, registry=registry, defaults=defaults)
        for index, entry in enumerate(value)
    ]
    _refuse_clashes(images, language)
    return tuple(images)
