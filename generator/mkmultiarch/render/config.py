"""The `multiarch.yaml` schema: load, fill defaults, validate strictly.

Every value ends up inside a Makefile, a Dockerfile or a shell command line, so
each one is checked against a narrow pattern instead of being escaped: a value
that fails names its field and what is allowed, and nothing gets written.

SETTINGS below is the one table of the schema: per setting its default, its
pattern or choices, what a refusal says is allowed, and its help text. The
same names are the Copier questions: scripts/gen_copier.py writes copier.yml's
questions from this table, so one edit here changes both entry points.
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

GO_VERSION = re.compile(r"^1[.][0-9]{1,3}(?:[.][0-9]{1,3})?\Z")
GO_PACKAGE = re.compile(r"^[.](?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*\Z")
GO_MODULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~/-]*\Z")
BINARY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
RELATIVE_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*\Z")
SOURCE_URL = re.compile(r"^(?:https?://[A-Za-z0-9._~%/:-]+)?\Z")
# A GitHub runner label or a GitLab runner tag: written into YAML unquoted.
RUNNER_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\Z")
MAX_REPOSITORY_LENGTH = 255

LANGUAGES = ("go", "dockerfile")
ENGINES = ("docker", "podman")
BUILDERS = ("docker", "buildx")
CI_SYSTEMS = ("github", "gitlab")
CI_STRATEGIES = ("native", "emulated")


@dataclass(frozen=True)
class Setting:
    """One multiarch.yaml setting, which is also the Copier question of the same name.

    A string value must match `pattern`, or be one of `choices` (several of them
    when `multiselect`); a refusal reads "<name>: <value> ...; <allowed>", and
    Copier's validator says "<name>: <allowed>". The fields after `item` shape
    only the Copier question (scripts/gen_copier.py).
    """

    name: str
    default: str | bool | tuple[str, ...] | None  # None: required
    help: str  # the question's help text
    allowed: str = ""  # what a refusal says is allowed
    pattern: re.Pattern[str] | None = None
    choices: tuple[str, ...] = ()
    multiselect: bool = False
    at_least_one: bool = False  # a multiselect that must not be empty
    item: str = ""  # what one of several choices is called: "arch"
    # Copier only:
    asked_when: str = ""  # Jinja condition: asked only then (the value is unused otherwise)
    copier_default: str = ""  # Jinja default, where `default` is derived from other settings
    refuse_when: str = ""  # Jinja condition over several answers; validate() checks the same
    refusal: str = ""  # the message for refuse_when, in both validators
    scaffold_only: bool = False  # a question of the scaffold, not a multiarch.yaml setting


def _runner_label(name: str, default: str, help: str) -> Setting:
    system = name.partition("_")[0]
    return Setting(
        name,
        default=default,
        help=help,
        pattern=RUNNER_LABEL,
        allowed=f"use a runner label of letters, digits, _ . - (e.g. {default})",
        asked_when=f"'{system}' in ci",
    )


_TAG_RULE = "use letters, digits, _ . - (at most 128, not starting with . or -)"

# In the order Copier asks them; every field of Config, plus the scaffold's go_module.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "image",
        default=None,
        help="Image repository path without registry or tag (lowercase), e.g. org/app",
        pattern=IMAGE_PATH,
        allowed="use lowercase letters, digits and . _ - separated by /, "
        "without the registry or a tag, e.g. org/app",
    ),
    Setting(
        "registry",
        default="docker.io",
        help="Registry host[:port] to push to",
        pattern=REGISTRY_HOST,
        allowed="use a host name with an optional port, e.g. docker.io or localhost:5000",
    ),
    Setting(
        "version",
        default="0.0.1",
        help="Fallback image tag when git describe has nothing to say",
        pattern=TAG,
        allowed=_TAG_RULE,
    ),
    Setting(
        "revision",
        default="1",
        help="Revision recorded in the org.opencontainers.image.revision label",
        pattern=TAG,
        allowed=_TAG_RULE,
    ),
    Setting(
        "arches",
        default=("amd64", "arm64"),
        help="Target arches (OS is linux)",
        choices=SUPPORTED_ARCHES,
        multiselect=True,
        at_least_one=True,
        item="arch",
        allowed=f"use some of: {' '.join(SUPPORTED_ARCHES)} (ARM variants as arm/v6, arm/v7)",
    ),
    Setting(
        "language",
        default="go",
        help="go generates the Dockerfile; dockerfile keeps your own",
        choices=LANGUAGES,
        allowed="use go (generate the Dockerfile) or dockerfile (keep your own)",
    ),
    Setting("latest", default=True, help="Also publish a multi-arch :latest"),
    Setting(
        "go_version",
        default="1.23",
        help="Go release to build with",
        pattern=GO_VERSION,
        allowed="use a Go release such as 1.23",
        asked_when="language == 'go'",
    ),
    Setting(
        "go_image",
        default="",  # golang:<go_version>
        copier_default="golang:{{ go_version }}",
        help="Go builder image (a mirror can stand in)",
        pattern=IMAGE_REF,
        allowed="use an image reference such as golang:1.23 or mirror.example.com/golang:1.23",
        asked_when="language == 'go'",
    ),
    Setting(
        "go_main",
        default=".",
        help="Main package to build",
        pattern=GO_PACKAGE,
        allowed="use the main package as a path starting with ., e.g. . or ./cmd/server",
        asked_when="language == 'go'",
    ),
    Setting(
        "binary",
        default="",  # the last component of image
        copier_default="{{ image.split('/')[-1] }}",
        help="Name of the binary in the image",
        pattern=BINARY,
        allowed="use letters, digits, _ . - (a file name, no /)",
        asked_when="language == 'go'",
    ),
    Setting(
        "runtime_image",
        default="scratch",
        help="Base of the final image",
        pattern=IMAGE_REF,
        allowed="use scratch or an image reference such as gcr.io/distroless/static:nonroot",
        asked_when="language == 'go'",
    ),
    Setting(
        "dockerfile",
        default="Dockerfile",
        help="The Dockerfile to build (your own)",
        pattern=RELATIVE_PATH,
        allowed="use a relative path inside the project, e.g. Dockerfile or build/Dockerfile",
        asked_when="language == 'dockerfile'",
    ),
    Setting(
        "source",
        default="",
        help="Source URL for the org.opencontainers.image.source label (optional)",
        pattern=SOURCE_URL,
        allowed="use an http(s) URL without credentials or query, e.g. https://github.com/org/app",
    ),
    Setting(
        "engine",
        default="docker",
        help="Container engine the Makefile drives (DOCKER=podman also works at make time)",
        choices=ENGINES,
    ),
    Setting(
        "builder",
        default="docker",
        help="docker: docker build + docker manifest (proven here end to end); "
        "buildx: docker buildx build --push and imagetools",
        choices=BUILDERS,
        asked_when="engine == 'docker'",
        refuse_when="engine == 'podman' and builder == 'buildx'",
        refusal="buildx is a docker plugin and cannot drive podman; "
        "use builder: docker with engine: podman (podman builds natively)",
    ),
    Setting(
        "ci",
        default=(),
        help="CI workflows to write (none, one or both)",
        choices=CI_SYSTEMS,
        multiselect=True,
        item="system",
        allowed=f"use some of: {' '.join(CI_SYSTEMS)}",
    ),
    Setting(
        "ci_strategy",
        default="native",
        help="native: arm64 on an arm64 runner, every other arch in one job on the amd64 "
        "runner, then a merge job; emulated: one runner builds every arch with QEMU",
        choices=CI_STRATEGIES,
        asked_when="ci | length > 0",
    ),
    _runner_label("github_runner_amd64", "ubuntu-24.04", "GitHub runner label for amd64 jobs"),
    _runner_label("github_runner_arm64", "ubuntu-24.04-arm", "GitHub runner label for arm64 jobs"),
    _runner_label("gitlab_tag_amd64", "saas-linux-small-amd64", "GitLab runner tag for amd64 jobs"),
    _runner_label("gitlab_tag_arm64", "saas-linux-small-arm64", "GitLab runner tag for arm64 jobs"),
    Setting(
        "go_module",
        default="",
        copier_default="example.com/{{ image }}",
        help="Go module path of the new app",
        pattern=GO_MODULE,
        allowed="use a module path such as github.com/org/app",
        asked_when="language == 'go'",
        scaffold_only=True,
    ),
)
SETTING = {setting.name: setting for setting in SETTINGS}
# Config's defaults, from the table.
_DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}


class ConfigError(BadInputError):
    """A config value is missing or not allowed; the message is one line for the user."""


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
    go_version: str = _DEFAULTS["go_version"]
    go_image: str = _DEFAULTS["go_image"]
    go_main: str = _DEFAULTS["go_main"]
    binary: str = _DEFAULTS["binary"]
    runtime_image: str = _DEFAULTS["runtime_image"]
    dockerfile: str = _DEFAULTS["dockerfile"]
    source: str = _DEFAULTS["source"]
    engine: str = _DEFAULTS["engine"]
    builder: str = _DEFAULTS["builder"]
    ci: tuple[str, ...] = _DEFAULTS["ci"]
    ci_strategy: str = _DEFAULTS["ci_strategy"]
    github_runner_amd64: str = _DEFAULTS["github_runner_amd64"]
    github_runner_arm64: str = _DEFAULTS["github_runner_arm64"]
    gitlab_tag_amd64: str = _DEFAULTS["gitlab_tag_amd64"]
    gitlab_tag_arm64: str = _DEFAULTS["gitlab_tag_arm64"]

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


def _check(field: str, value: str) -> str:
    """Refuse a value its setting's pattern does not match (re.search, as Copier does)."""
    setting = SETTING[field]
    assert setting.pattern is not None, field
    if setting.pattern.search(value) is None:
        raise ConfigError(f"{field}: {value!r} is not allowed; {setting.allowed}")
    return value


def _checked_text(data: dict[str, Any], field: str, *, numbers_ok: bool = False) -> str:
    return _check(field, _text(data, field, _DEFAULTS[field], numbers_ok=numbers_ok))


def _several(data: dict[str, Any], field: str) -> tuple[str, ...]:
    """A multiselect setting: a list (or a space-separated string) of its choices, each once."""
    setting = SETTING[field]
    value = data.get(field, list(_DEFAULTS[field]))
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or (setting.at_least_one and not value):
        example = ", ".join(setting.choices[:2])
        kind = "a non-empty list" if setting.at_least_one else "a list"
        raise ConfigError(
            f"{field}: expected {kind}, e.g. [{example}]; allowed: {' '.join(setting.choices)}"
        )
    seen: list[str] = []
    for choice in value:
        if isinstance(choice, int) and not isinstance(choice, bool):
            choice = str(choice)  # YAML reads a bare 386 as a number
        if not isinstance(choice, str) or choice not in setting.choices:
            raise ConfigError(f"{field}: {choice!r} is not supported; {setting.allowed}")
        if choice in seen:
            raise ConfigError(f"{field}: {choice!r} is listed twice; list each {setting.item} once")
        seen.append(choice)
    return tuple(seen)


def _choice(data: dict[str, Any], field: str) -> str:
    setting = SETTING[field]
    value = data.get(field, _DEFAULTS[field])
    if value not in setting.choices:
        allowed = setting.allowed or f"use one of: {', '.join(setting.choices)}"
        raise ConfigError(f"{field}: {value!r} is not supported; {allowed}")
    return str(value)


def validate(data: dict[str, Any]) -> Config:
    """Turn raw YAML data into a Config, or raise ConfigError naming the first bad field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{CONFIG_FILE}: expected a mapping of settings, e.g. image: org/app")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown setting; allowed settings: {', '.join(FIELDS)}")
    if "image" not in data:
        raise ConfigError("image: required; the repository path without registry, e.g. org/app")

    image = _check("image", _text(data, "image", ""))
    registry = _text(data, "registry", Config.registry)
    if len(registry) + 1 + len(image) > MAX_REPOSITORY_LENGTH:
        raise ConfigError(f"image: registry/image is longer than {MAX_REPOSITORY_LENGTH} chars")
    go_version = _checked_text(data, "go_version")
    language = _choice(data, "language")
    latest = data.get("latest", Config.latest)
    if not isinstance(latest, bool):
        raise ConfigError(f"latest: expected true or false, got {latest!r}")
    engine = _choice(data, "engine")
    builder = _choice(data, "builder")
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
        go_version=go_version,
        go_image=_check("go_image", _text(data, "go_image", "") or f"golang:{go_version}"),
        go_main=_checked_text(data, "go_main"),
        binary=_check("binary", _text(data, "binary", "") or image.rsplit("/", 1)[-1]),
        runtime_image=_checked_text(data, "runtime_image"),
        dockerfile=_checked_text(data, "dockerfile"),
        source=_checked_text(data, "source"),
        engine=engine,
        builder=builder,
        ci=_several(data, "ci"),
        ci_strategy=_choice(data, "ci_strategy"),
        github_runner_amd64=_checked_text(data, "github_runner_amd64"),
        github_runner_arm64=_checked_text(data, "github_runner_arm64"),
        gitlab_tag_amd64=_checked_text(data, "gitlab_tag_amd64"),
        gitlab_tag_arm64=_checked_text(data, "gitlab_tag_arm64"),
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
