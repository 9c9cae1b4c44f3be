"""A validated multiarch.yaml: Config, its defaults filled from SETTINGS, checked strictly.

load() and parse() read the file strictly (strict_yaml), validate() checks every value
against its setting (settings) and refuses in one line (refusal): nothing gets written
from a config that failed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mkmultiarch.names import CONFIG_FILE
from mkmultiarch.render.fields import (
    _DEFAULTS,
    _check,
    _checked_text,
    _choice,
    _several,
    _text,
)
from mkmultiarch.render.images import TOP_LEVEL_PER_IMAGE, ImageConfig, validate_images
from mkmultiarch.render.refusal import (
    SETTING_NAME,
    ConfigError,
    printable,
    shown,
    shown_path,
)
from mkmultiarch.render.settings import (
    BINARY,
    BUILDERS,
    CI_STRATEGIES,
    CI_SYSTEMS,
    ENGINES,
    GO_BUILD_ARG_NAMES,
    GO_MODULE,
    GO_PACKAGE,
    GO_VERSION,
    LANGUAGES,
    MAX_REPOSITORY_LENGTH,
    PIP_REQUIREMENT,
    RELATIVE_PATH,
    RUNNER_LABEL,
    SETTING,
    SETTINGS,
    SOURCE_URL,
    Setting,
)
from mkmultiarch.render.strict_yaml import MAX_CONFIG_BYTES, read_document, read_text

__all__ = [
    "BINARY",
    "BUILDERS",
    "CI_STRATEGIES",
    "CI_SYSTEMS",
    "CONFIG_FILE",
    "ENGINES",
    "FIELDS",
    "GO_MODULE",
    "GO_PACKAGE",
    "GO_VERSION",
    "LANGUAGES",
    "MAX_CONFIG_BYTES",
    "PIP_REQUIREMENT",
    "RELATIVE_PATH",
    "RUNNER_LABEL",
    "SETTING",
    "SETTINGS",
    "SOURCE_URL",
    "Config",
    "ConfigError",
    "Setting",
    "load",
    "parse",
    "printable",
    "shown",
    "shown_path",
    "validate",
]


@dataclass(frozen=True)
class Config:
    """A validated multiarch.yaml with every default filled in (defaults: SETTINGS)."""

    image: str
    registry: str = _DEFAULTS["registry"]
    version: str = _DEFAULTS["version"]
    revision: str = _DEFAULTS["revision"]
    arches: tuple[str, ...] = _DEFAULTS["arches"]
    language: str = _DEFAULTS["language"]
    latest: bool = _DEFAULTS["latest"]
    tags: tuple[str, ...] = _DEFAULTS["tags"]
    go_version: str = _DEFAULTS["go_version"]
    go_image: str = _DEFAULTS["go_image"]
    go_main: str = _DEFAULTS["go_main"]
    binary: str = _DEFAULTS["binary"]
    runtime_image: str = _DEFAULTS["runtime_image"]
    dockerfile: str = _DEFAULTS["dockerfile"]
    extra_build_args: str = _DEFAULTS["extra_build_args"]
    source: str = _DEFAULTS["source"]
    engine: str = _DEFAULTS["engine"]
    builder: str = _DEFAULTS["builder"]
    sign: str = _DEFAULTS["sign"]
    ci: tuple[str, ...] = _DEFAULTS["ci"]
    ci_strategy: str = _DEFAULTS["ci_strategy"]
    github_runner_amd64: str = _DEFAULTS["github_runner_amd64"]
    github_runner_arm64: str = _DEFAULTS["github_runner_arm64"]
    gitlab_tag_amd64: str = _DEFAULTS["gitlab_tag_amd64"]
    gitlab_tag_arm64: str = _DEFAULTS["gitlab_tag_arm64"]
    mkmultiarch_requirement: str = _DEFAULTS["mkmultiarch_requirement"]
    # Several images (images.py): empty for a one-image config. With images, the
    # one-image fields above (image, go_main, binary, dockerfile) hold the first image's.
    images: tuple[ImageConfig, ...] = ()

    def template_context(self) -> dict[str, Any]:
        """The variables the templates see; the Copier answers carry the same names."""
        context = asdict(self)
        context["arches"] = list(self.arches)
        context["ci"] = list(self.ci)
        context["tags"] = list(self.tags)
        context["images"] = [image.template_context() for image in self.images]
        return context


# The settings of a multiarch.yaml: SETTINGS' names, then images (images.py).
FIELDS = tuple(Config.__dataclass_fields__)


def _images(data: dict[str, Any]) -> tuple[ImageConfig, ...]:
    """The `images:` list (empty without it); its defaults are the top-level settings'."""
    if "images" not in data:
        return ()
    for key in TOP_LEVEL_PER_IMAGE:
        if key in data:
            raise ConfigError(
                f"{key}: with images, each image sets its own: move it to images[NAME].{key}"
            )
    language = _choice(data, "language")
    registry = _text(data, "registry", _DEFAULTS["registry"])
    defaults = {
        "arches": _several(data, "arches"),
        "runtime_image": _checked_text(data, "runtime_image"),
        "dockerfile": _DEFAULTS["dockerfile"],
    }
    return validate_images(data["images"], language=language, registry=registry, defaults=defaults)


def validate(data: dict[str, Any]) -> Config:
    """Turn raw YAML data into a Config, or raise ConfigError naming the first bad field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{CONFIG_FILE}: expected a mapping of settings, e.g. image: org/app")
    unknown = sorted((key for key in data if key not in FIELDS), key=str)
    if unknown:
        if not SETTING_NAME.match(str(unknown[0])):  # not even a name: no need for the whole list
            raise ConfigError(
                f"{shown(unknown[0])}: unknown setting; a setting is a name such as image, "
                "registry or arches (see the comments of `mkmultiarch init`)"
            )
        raise ConfigError(f"{unknown[0]}: unknown setting; allowed settings: {', '.join(FIELDS)}")
    images = _images(data)
    if images:
        first = images[0]
        data = {**data, "image": first.image, "go_main": first.go_main}
        data |= {"binary": first.binary, "dockerfile": first.dockerfile}
    if "image" not in data:
        raise ConfigError(
            "image: required; the repository path without registry, e.g. org/app "
            "(or images: a list of several, see docs/design-multi-image.md)"
        )

    image = _check("image", _text(data, "image", ""))
    registry = _text(data, "registry", Config.registry)
    if len(registry) + 1 + len(image) > MAX_REPOSITORY_LENGTH:
        raise ConfigError(f"image: registry/image is longer than {MAX_REPOSITORY_LENGTH} chars")
    go_version = _checked_text(data, "go_version")
    language = _choice(data, "language")
    latest = data.get("latest", Config.latest)
    if not isinstance(latest, bool):
        raise ConfigError(f"latest: expected true or false, got {shown(latest)}")
    tags = _several(data, "tags")
    if "version" not in tags:  # Copier: SETTING["tags"].refuse_when
        raise ConfigError(f"tags: {SETTING['tags'].refusal}")
    engine = _choice(data, "engine")
    builder = _choice(data, "builder")
    extra_build_args = _checked_text(data, "extra_build_args")
    if language == "go" and GO_BUILD_ARG_NAMES.search(extra_build_args):
        # Copier: SETTING["extra_build_args"].refuse_when
        raise ConfigError(f"extra_build_args: {SETTING['extra_build_args'].refusal}")
    if engine == "podman" and builder == "buildx":  # Copier: SETTING["builder"].refuse_when
        raise ConfigError(f"builder: {SETTING['builder'].refusal}")

    return Config(
        image=image,
        registry=_check("registry", registry),
        version=_checked_text(data, "version", numbers_ok=True),
        revision=_checked_text(data, "revision", numbers_ok=True),
        arches=_several(data, "arches"),
        language=language,
        latest=latest,
        tags=tags,
        go_version=go_version,
        go_image=_check("go_image", _text(data, "go_image", "") or f"golang:{go_version}"),
        go_main=_checked_text(data, "go_main"),
        binary=_check("binary", _text(data, "binary", "") or image.rsplit("/", 1)[-1]),
        runtime_image=_checked_text(data, "runtime_image"),
        dockerfile=_checked_text(data, "dockerfile"),
        extra_build_args=extra_build_args,
        source=_checked_text(data, "source"),
        engine=engine,
        builder=builder,
        sign=_choice(data, "sign"),
        ci=_several(data, "ci"),
        ci_strategy=_choice(data, "ci_strategy"),
        github_runner_amd64=_checked_text(data, "github_runner_amd64"),
        github_runner_arm64=_checked_text(data, "github_runner_arm64"),
        gitlab_tag_amd64=_checked_text(data, "gitlab_tag_amd64"),
        gitlab_tag_arm64=_checked_text(data, "gitlab_tag_arm64"),
        mkmultiarch_requirement=_checked_text(data, "mkmultiarch_requirement"),
        images=images,
    )


def parse(text: str, origin: str = CONFIG_FILE) -> Config:
    """Parse YAML text into a validated Config; any refusal is one ConfigError line."""
    return validate(read_document(text, origin))


def load(path: Path) -> Config:
    """Read and validate a config file: a regular file, at most MAX_CONFIG_BYTES of UTF-8."""
    return parse(read_text(path), origin=str(path))
