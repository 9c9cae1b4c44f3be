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

import os
import re
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mkmultiarch import __version__
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
# A pip requirement for mkmultiarch itself (CI installs it with pipx, in quotes): a name
# with version specifiers, or an https URL (a wheel, or git+https://host/path@ref).
# No spaces, quotes, $, ;, backticks, backslashes or #: it is written into YAML and shell.
_SPECIFIER = r"(?:===?|>=|<=|~=|!=|>|<)[A-Za-z0-9.*+!_-]+"
PIP_REQUIREMENT = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,99})(?:\[[A-Za-z0-9._-]+(?:,[A-Za-z0-9._-]+)*\])?"
    rf"(?:{_SPECIFIER}(?:,{_SPECIFIER})*)?"
    r"|(?:git\+)?https://[A-Za-z0-9][A-Za-z0-9._~%/:@+=-]{0,500})\Z"
)
MAX_REPOSITORY_LENGTH = 255

# How much of multiarch.yaml is read, and how it may be written (see load and parse).
MAX_CONFIG_BYTES = 64 * 1024  # a real one is about 2 KiB
MAX_NESTING = 16  # a config is a mapping of scalars and short lists
MAX_INT_DIGITS = 20
SHOWN_CHARS = 60  # an echoed value is cut to this many characters

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


def _jinja_search(expression: str, pattern: re.Pattern[str]) -> str:
    """`(EXPRESSION | regex_search('PATTERN'))`: a Jinja test of PATTERN, as re.search."""
    assert "'" not in pattern.pattern, pattern
    literal = pattern.pattern.replace("\\", "\\\\")  # Jinja unescapes string literals
    return f"({expression} | regex_search('{literal}'))"


_DERIVED_BINARY_SEARCH = _jinja_search("image.split('/')[-1]", BINARY)

# In the order Copier asks them; every field of Config, plus the scaffold's go_module.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "image",
        default=None,
        help="Image repository path without registry or tag (lowercase), e.g. org/app",
        pattern=IMAGE_PATH,
        allowed="use lowercase letters, digits and . _ - separated by /, "
        "without the registry or a tag, e.g. org/app",
        # The binary defaults to the last part of image, and Copier does not validate a
        # derived default it does not ask (binary, with language dockerfile), yet writes it
        # to multiarch.yaml. validate() refuses the same through binary's own check.
        refuse_when=f"binary is not defined and {_DERIVED_BINARY_SEARCH} is none",
        refusal="its last part is the default binary name, at most 64 letters, "
        "digits, _ . -; shorten it, or also set binary, e.g. --data binary=app",
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
        "mkmultiarch_requirement",
        default=f"mkmultiarch=={__version__}",
        help="pip requirement CI installs mkmultiarch from (pipx) to run make docker-audit on "
        "pull requests: name==X.Y.Z, or an https:// wheel or git+https://host/path@ref URL",
        pattern=PIP_REQUIREMENT,
        allowed="use a pip requirement such as mkmultiarch==0.1.0, or an https:// wheel or "
        "git+https://host/path@ref URL (no spaces, quotes, $ or ;)",
        asked_when="ci | length > 0",
    ),
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
    mkmultiarch_requirement: str = _DEFAULTS["mkmultiarch_requirement"]

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
        raise ConfigError(f"{field}: expected a string, got {shown(value)}")
    if isinstance(value, int) and numbers_ok:
        return str(value)
    if not isinstance(value, str):
        raise ConfigError(
            f"{field}: expected a string, got {type(value).__name__} {shown(value)}; "
            f'quote it, e.g. {field}: "{shown(value, quoted=False)}"'
        )
    return value


def _check(field: str, value: str) -> str:
    """Refuse a value its setting's pattern does not match (re.search, as Copier does)."""
    setting = SETTING[field]
    assert setting.pattern is not None, field
    if setting.pattern.search(value) is None:
        raise ConfigError(f"{field}: {shown(value)} is not allowed; {setting.allowed}")
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
            raise ConfigError(f"{field}: {shown(choice)} is not supported; {setting.allowed}")
        if choice in seen:
            raise ConfigError(
                f"{field}: {shown(choice)} is listed twice; list each {setting.item} once"
            )
        seen.append(choice)
    return tuple(seen)


def _choice(data: dict[str, Any], field: str) -> str:
    setting = SETTING[field]
    value = data.get(field, _DEFAULTS[field])
    if value not in setting.choices:
        allowed = setting.allowed or f"use one of: {', '.join(setting.choices)}"
        raise ConfigError(f"{field}: {shown(value)} is not supported; {allowed}")
    return str(value)


def validate(data: dict[str, Any]) -> Config:
    """Turn raw YAML data into a Config, or raise ConfigError naming the first bad field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{CONFIG_FILE}: expected a mapping of settings, e.g. image: org/app")
    unknown = sorted((key for key in data if key not in FIELDS), key=str)
    if unknown:
        if not _NAME.match(str(unknown[0])):  # not even a name: no need for the whole list
            raise ConfigError(
                f"{shown(unknown[0])}: unknown setting; a setting is a name such as image, "
                "registry or arches (see the comments of `mkmultiarch init`)"
            )
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
        raise ConfigError(f"latest: expected true or false, got {shown(latest)}")
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
        mkmultiarch_requirement=_checked_text(data, "mkmultiarch_requirement"),
    )


# Messages: a refused value is echoed cut short, with control characters escaped,
# so a hostile file cannot flood the terminal or move its cursor.

_NAME = re.compile(r"[A-Za-z0-9_]{1,60}\Z")


def printable(text: str, limit: int = SHOWN_CHARS) -> str:
    """TEXT with every non-printable character escaped (\\n, \\x1b...), cut to LIMIT chars + …."""
    cut = text[:limit]
    escaped = "".join(char if char.isprintable() else repr(char)[1:-1] for char in cut)
    return escaped + ("…" if len(text) > limit else "")


def shown(value: object, *, quoted: bool = True) -> str:
    """VALUE for a message: short, one line, no control characters; a str is quoted."""
    if isinstance(value, str):
        text = printable(value)
        return f"'{text}'" if quoted else text
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"
    if isinstance(value, list | tuple | dict | set) and len(value) > 8:
        return f"a {type(value).__name__} of {len(value)} items"
    return printable(repr(value))


def shown_path(path: Path | str) -> str:
    """A path for a message: printable, and cut short when it is very long."""
    return printable(str(path), limit=200)


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
        name = key if _NAME.match(key) else shown(key)
        if key in seen:
            raise ConfigError(f"{name}: set twice (lines {seen[key]} and {line}); keep one")
        seen[key] = line
        _check_node(value_node, name)


def parse(text: str, origin: str = CONFIG_FILE) -> Config:
    """Parse YAML text into a validated Config; any refusal is one ConfigError line."""
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
    return validate(data)


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


def load(path: Path) -> Config:
    """Read and validate a config file: a regular file, at most MAX_CONFIG_BYTES of UTF-8."""
    raw = _read_bounded(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{shown_path(path)}: not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    return parse(text, origin=str(path))
