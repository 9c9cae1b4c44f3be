"""The `multiarch.yaml` schema: load, fill defaults, validate strictly.

Every value ends up inside a Makefile, a Dockerfile or a shell command line, so
each one is checked against a narrow pattern instead of being escaped: a value
that fails names its field and what is allowed, and nothing gets written.
The same names are the Copier questions (copier.yml), so one file feeds both.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from mkmultiarch.arches import SUPPORTED_ARCHES
from mkmultiarch.errors import BadInputError
from mkmultiarch.names import CONFIG_FILE, IMAGE_PATH, IMAGE_REF, REGISTRY_HOST, TAG

GO_VERSION = re.compile(r"^1\.[0-9]{1,3}(?:\.[0-9]{1,3})?$")
GO_PACKAGE = re.compile(r"^\.(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")
BINARY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
RELATIVE_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")
SOURCE_URL = re.compile(r"^(?:https?://[A-Za-z0-9._~%/:-]+)?$")

LANGUAGES = ("go", "dockerfile")
ENGINES = ("docker", "podman")
BUILDERS = ("docker", "buildx")
CI_SYSTEMS = ("github", "gitlab")
CI_STRATEGIES = ("native", "emulated")
# A GitHub runner label or a GitLab runner tag: written into YAML unquoted.
RUNNER_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
MAX_REPOSITORY_LENGTH = 255


class ConfigError(BadInputError):
    """A config value is missing or not allowed; the message is one line for the user."""


@dataclass(frozen=True)
class Config:
    """A validated multiarch.yaml with every default filled in."""

    image: str
    registry: str = "docker.io"
    version: str = "0.0.1"
    revision: str = "1"
    arches: tuple[str, ...] = ("amd64", "arm64")
    language: str = "go"
    latest: bool = True
    go_version: str = "1.23"
    go_image: str = ""
    go_main: str = "."
    binary: str = ""
    runtime_image: str = "scratch"
    dockerfile: str = "Dockerfile"
    source: str = ""
    engine: str = "docker"
    builder: str = "docker"
    ci: tuple[str, ...] = ()
    ci_strategy: str = "native"
    github_runner_amd64: str = "ubuntu-24.04"
    github_runner_arm64: str = "ubuntu-24.04-arm"
    gitlab_tag_amd64: str = "saas-linux-small-amd64"
    gitlab_tag_arm64: str = "saas-linux-small-arm64"

    def template_context(self) -> dict[str, Any]:
        """The variables the templates see; the Copier answers carry the same names."""
        context = asdict(self)
        context["arches"] = list(self.arches)
        context["ci"] = list(self.ci)
        return context


FIELDS = tuple(Config.__dataclass_fields__)


def _text(data: dict[str, Any], field: str, default: str, *, numbers_ok: bool = False) -> str:
    """Read a string field; YAML turns `1.10` into a float, so floats are refused loudly."""
    value = data.get(field, default)
    if isinstance(value, bool) or value is None:
        raise ConfigError(f"{field}: expected a string, got {value!r}")
    if isinstance(value, int) and numbers_ok:
        return str(value)
    if not isinstance(value, str):
        raise ConfigError(
            f"{field}: expected a string, got {type(value).__name__} {value!r}; "
            f'quote it, e.g. {field}: "{value}"'
        )
    return value


def _check(field: str, value: str, pattern: re.Pattern[str], allowed: str) -> str:
    if not pattern.fullmatch(value):
        raise ConfigError(f"{field}: {value!r} is not allowed; {allowed}")
    return value


def _arches(data: dict[str, Any]) -> tuple[str, ...]:
    value = data.get("arches", list(Config.arches))
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not value:
        raise ConfigError(
            f"arches: expected a non-empty list, e.g. [amd64, arm64]; allowed: "
            f"{' '.join(SUPPORTED_ARCHES)}"
        )
    seen: list[str] = []
    for arch in value:
        if isinstance(arch, int) and not isinstance(arch, bool):
            arch = str(arch)  # YAML reads a bare 386 as a number
        if not isinstance(arch, str) or arch not in SUPPORTED_ARCHES:
            raise ConfigError(
                f"arches: {arch!r} is not supported; use some of: {' '.join(SUPPORTED_ARCHES)} "
                "(ARM variants as arm/v6, arm/v7)"
            )
        if arch in seen:
            raise ConfigError(f"arches: {arch!r} is listed twice; list each arch once")
        seen.append(arch)
    return tuple(seen)


def _choice(data: dict[str, Any], field: str, default: str, choices: tuple[str, ...]) -> str:
    value = data.get(field, default)
    if value not in choices:
        raise ConfigError(f"{field}: {value!r} is not supported; use one of: {', '.join(choices)}")
    return str(value)


def _ci(data: dict[str, Any]) -> tuple[str, ...]:
    """The CI systems to write a workflow for; [] (the default) writes none."""
    value = data.get("ci", [])
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list):
        raise ConfigError(
            f"ci: expected a list, e.g. [github, gitlab]; allowed: {' '.join(CI_SYSTEMS)}"
        )
    for system in value:
        if system not in CI_SYSTEMS:
            raise ConfigError(
                f"ci: {system!r} is not supported; use some of: {' '.join(CI_SYSTEMS)}"
            )
    if len(set(value)) != len(value):
        raise ConfigError("ci: a system is listed twice; list each once")
    return tuple(value)


def _runner_labels(data: dict[str, Any]) -> dict[str, str]:
    labels = {}
    for field in (
        "github_runner_amd64",
        "github_runner_arm64",
        "gitlab_tag_amd64",
        "gitlab_tag_arm64",
    ):
        labels[field] = _check(
            field,
            _text(data, field, getattr(Config, field)),
            RUNNER_LABEL,
            "use a runner label of letters, digits, _ . - (e.g. ubuntu-24.04-arm)",
        )
    return labels


def validate(data: dict[str, Any]) -> Config:
    """Turn raw YAML data into a Config, or raise ConfigError naming the first bad field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{CONFIG_FILE}: expected a mapping of settings, e.g. image: org/app")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown setting; allowed settings: {', '.join(FIELDS)}")
    if "image" not in data:
        raise ConfigError("image: required; the repository path without registry, e.g. org/app")

    image = _check(
        "image",
        _text(data, "image", ""),
        IMAGE_PATH,
        "use lowercase letters, digits and . _ - separated by /, "
        "without the registry or a tag, e.g. org/app",
    )
    registry = _text(data, "registry", Config.registry)
    if len(registry) + 1 + len(image) > MAX_REPOSITORY_LENGTH:
        raise ConfigError(f"image: registry/image is longer than {MAX_REPOSITORY_LENGTH} chars")
    tag_rule = "use letters, digits, _ . - (at most 128, not starting with . or -)"
    go_version = _check(
        "go_version",
        _text(data, "go_version", Config.go_version),
        GO_VERSION,
        'use a Go release such as "1.23" (quoted)',
    )
    binary_default = image.rsplit("/", 1)[-1]
    language = _text(data, "language", Config.language)
    if language not in LANGUAGES:
        raise ConfigError(
            f"language: {language!r} is not supported; use go (generate the Dockerfile) "
            "or dockerfile (keep your own)"
        )
    latest = data.get("latest", Config.latest)
    if not isinstance(latest, bool):
        raise ConfigError(f"latest: expected true or false, got {latest!r}")
    engine = _choice(data, "engine", Config.engine, ENGINES)
    builder = _choice(data, "builder", Config.builder, BUILDERS)
    if engine == "podman" and builder == "buildx":
        raise ConfigError(
            "builder: buildx is a docker plugin and cannot drive podman; "
            "use builder: docker with engine: podman (podman builds natively)"
        )

    return Config(
        image=image,
        registry=_check(
            "registry",
            registry,
            REGISTRY_HOST,
            "use a host name with an optional port, e.g. docker.io or localhost:5000",
        ),
        version=_check(
            "version", _text(data, "version", Config.version, numbers_ok=True), TAG, tag_rule
        ),
        revision=_check(
            "revision", _text(data, "revision", Config.revision, numbers_ok=True), TAG, tag_rule
        ),
        arches=_arches(data),
        language=language,
        latest=latest,
        go_version=go_version,
        go_image=_check(
            "go_image",
            _text(data, "go_image", "") or f"golang:{go_version}",
            IMAGE_REF,
            "use an image reference such as golang:1.23 or mirror.example.com/golang:1.23",
        ),
        go_main=_check(
            "go_main",
            _text(data, "go_main", Config.go_main),
            GO_PACKAGE,
            "use the main package as a path starting with ., e.g. . or ./cmd/server",
        ),
        binary=_check(
            "binary",
            _text(data, "binary", "") or binary_default,
            BINARY,
            "use letters, digits, _ . - (a file name, no /)",
        ),
        runtime_image=_check(
            "runtime_image",
            _text(data, "runtime_image", Config.runtime_image),
            IMAGE_REF,
            "use scratch or an image reference such as gcr.io/distroless/static:nonroot",
        ),
        dockerfile=_check(
            "dockerfile",
            _text(data, "dockerfile", Config.dockerfile),
            RELATIVE_PATH,
            "use a relative path inside the project, e.g. Dockerfile or build/Dockerfile",
        ),
        source=_check(
            "source",
            _text(data, "source", Config.source),
            SOURCE_URL,
            "use an http(s) URL without credentials or query, e.g. https://github.com/org/app",
        ),
        engine=engine,
        builder=builder,
        ci=_ci(data),
        ci_strategy=_choice(data, "ci_strategy", Config.ci_strategy, CI_STRATEGIES),
        **_runner_labels(data),
    )


def parse(text: str, origin: str = CONFIG_FILE) -> Config:
    """Parse YAML text into a validated Config."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{origin}: not valid YAML{where}; fix the syntax") from error
    if data is None:
        raise ConfigError(f"{origin}: the file is empty; run `mkmultiarch init` to start one")
    return validate(data)


def load(path: Path) -> Config:
    """Read and validate a config file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file; run `mkmultiarch init` or pass --config PATH"
        ) from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    return parse(text, origin=str(path))
