"""The one table of the `multiarch.yaml` schema: SETTINGS.

Per setting: its default, its pattern or choices, what a refusal says is allowed, and its
help text. The same names are the Copier questions: scripts/gen_copier.py writes
copier.yml's questions from this table, so one edit here changes both entry points. Every
value ends up inside a Makefile, a Dockerfile or a shell command line, so each is checked
against a narrow pattern instead of being escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mkmultiarch.arches import SUPPORTED_ARCHES
from mkmultiarch.names import IMAGE_PATH, IMAGE_REF, PROJECT_URL, REGISTRY_HOST, RELEASE_TAG, TAG
from mkmultiarch.names import SCHEMA_URL as _SCHEMA_URL

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
# extra_build_args: NAME=value words, one space apart, pasted unquoted into the build
# command. Not the Makefile's own arguments (VERSION, REVISION, SOURCE) nor what BuildKit
# sets from --platform (TARGETARCH=amd64 would make every arch's binary an amd64 one).
_OWN_BUILD_ARGS = r"(?:VERSION|REVISION|SOURCE|TARGET[A-Z]*|BUILD(?:PLATFORM|OS|ARCH|VARIANT))"
_BUILD_ARG = rf"(?!{_OWN_BUILD_ARGS}=)[A-Za-z_][A-Za-z0-9_]{{0,63}}=[A-Za-z0-9_./:@,+=-]{{0,256}}"
BUILD_ARGS = re.compile(rf"^(?:{_BUILD_ARG}(?: {_BUILD_ARG}){{0,31}})?\Z")
# With the generated Go Dockerfile these two are settings of their own.
GO_BUILD_ARG_NAMES = re.compile(r"(?:^| )(?:GO_IMAGE|RUNTIME_IMAGE)=")
# The schema a scaffolded multiarch.yaml names in its first (comment) line: an https URL,
# or a relative path to a copy beside it. No spaces or newlines: a newline would end the
# comment and add YAML.
SCHEMA_REF = re.compile(
    r"^(?:https://[A-Za-z0-9][A-Za-z0-9._~%/:@+=-]{0,500}|[.]{1,2}/[A-Za-z0-9_./-]{1,200})\Z"
)
MAX_REPOSITORY_LENGTH = 255

LANGUAGES = ("go", "dockerfile")
ENGINES = ("docker", "podman")
BUILDERS = ("docker", "buildx")
CI_SYSTEMS = ("github", "gitlab")
CI_STRATEGIES = ("native", "emulated")
# The lists a release publishes besides latest (its own switch, which CI moves only on the
# highest release tag): the version itself, and for a semver release MAJOR.MINOR and MAJOR.
TAG_SET = ("version", "minor", "major")
SIGNERS = ("none", "cosign")


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
        "tags",
        default=("version",),
        help="Lists a release publishes: version (1.2.3), and for a semver release minor "
        "(1.2) and major (1); pre-releases publish only themselves; :latest is set by latest",
        choices=TAG_SET,
        multiselect=True,
        at_least_one=True,
        item="tag",
        allowed=f"use some of: {' '.join(TAG_SET)} (latest has its own setting: latest: true)",
        refuse_when="'version' not in tags",
        refusal="a release always publishes its version: keep version in the list, "
        "e.g. [version, minor, major]",
    ),
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
        "extra_build_args",
        default="",
        help="Your own build args, NAME=value separated by spaces (make EXTRA_BUILD_ARGS=...)",
        pattern=BUILD_ARGS,
        allowed="use NAME=value words separated by one space (values of letters, digits, "
        "_ . / : @ , + = -); VERSION, REVISION, SOURCE, TARGET* and BUILD* are the "
        "Makefile's and BuildKit's own",
        refuse_when="language == 'go' and "
        + _jinja_search("extra_build_args", GO_BUILD_ARG_NAMES)
        + " is not none",
        refusal="GO_IMAGE and RUNTIME_IMAGE are settings of their own with language go: "
        "set go_image or runtime_image (make GO_IMAGE=...) instead",
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
        "sign",
        default="none",
        help="cosign: make docker-sign signs the pushed index digest (key from COSIGN_KEY, "
        "or keyless in GitHub Actions) and attests each arch's SBOM",
        choices=SIGNERS,
        allowed="use none or cosign",
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
        # Not on PyPI: the repository at the tag of the version that renders, which pip
        # and pipx install as they are (git and PyPI for the build backend only).
        default=f"git+{PROJECT_URL}@{RELEASE_TAG}",
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
        # With images (no top-level image): the first image's owner, example.com/team.
        copier_default="example.com/{{ images[0].image.rsplit('/', 1)[0] if images else image }}",
        help="Go module path of the new app",
        pattern=GO_MODULE,
        allowed="use a module path such as github.com/org/app",
        asked_when="language == 'go'",
        scaffold_only=True,
    ),
    Setting(
        "schema_url",
        default=_SCHEMA_URL,
        help="JSON Schema named by the scaffolded multiarch.yaml (never asked)",
        pattern=SCHEMA_REF,
        allowed="use an https:// URL or a relative path such as ./multiarch.schema.json",
        asked_when="false",
        scaffold_only=True,
    ),
)
SETTING = {setting.name: setting for setting in SETTINGS}
