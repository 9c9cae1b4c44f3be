"""Fixtures and registry helpers for the end-to-end tests.

These tests need a Docker engine, two local registries and QEMU binfmt handlers, all set up
by ``scripts/test-env.sh`` (run it as root). The fixture never installs or starts anything:
it reads the facts the script wrote to ``/var/lib/mkmultiarch-test/env`` and checks that the
engine and the plain registry answer. When they do not, the tests are skipped, or fail when
the ``CI`` environment variable is ``true`` (a CI job must not pass by skipping everything).

Every test under this directory gets the ``docker`` marker: deselect them with
``pytest -m "not docker"``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

from mkmultiarch.arches import Arch

E2E_DIR = Path(__file__).parent
ENV_FILE = Path(os.environ.get("MKMA_ENV_FILE", "/var/lib/mkmultiarch-test/env"))
SETUP_HINT = "run scripts/test-env.sh as root"
HTTP_TIMEOUT = 30.0

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
# All four, or a registry may 404 an OCI index or answer a Docker list with one child.
MANIFEST_ACCEPT = ", ".join([OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST])

Auth = tuple[str, str]


@dataclass(frozen=True)
class E2EEnv:
    """Facts about the test environment, as written by scripts/test-env.sh."""

    registry: str  # plain HTTP registry, host:port (127.0.0.1:5000)
    auth_registry: str  # htpasswd basic-auth registry, host:port (127.0.0.1:5001)
    auth_user: str
    auth_password: str
    go_image: str  # Go builder image in `registry`, for `--build-arg GO_IMAGE=...`
    go_version: str  # e.g. go1.23.5
    docker: str  # Debian's client (/usr/bin/docker, 26.1) with the buildx plugin
    other_docker: str | None  # another client on the machine (28.x), if installed
    binfmt_platforms: tuple[str, ...]  # foreign platforms QEMU can run
    podman: str  # podman client (Debian's 4.3), for the podman engine tests
    engine_version: str = "unknown"  # dockerd's version, e.g. 26.1.5+dfsg1
    buildx_version: str = "unknown"  # the buildx plugin's version, e.g. 0.13.1
    store: str = "unknown"  # dockerd's image store: containerd or classic

    @property
    def engine(self) -> str:
        """What every e2e test reports it ran against."""
        return (
            f"Docker {self.engine_version}, buildx {self.buildx_version}, {self.store} image store"
        )

    @property
    def auth(self) -> Auth:
        """(user, password) for the auth registry."""
        return (self.auth_user, self.auth_password)


class EnvUnavailable(Exception):
    """The end-to-end environment is missing or not answering."""


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker here too, so it exists whatever pyproject.toml says."""
    config.addinivalue_line(
        "markers", "docker: needs a Docker engine, local registries and QEMU (scripts/test-env.sh)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e with ``docker``."""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.docker)


def _engine() -> str | None:
    """The engine and image store the environment file names (None without one)."""
    try:
        return load_env().engine
    except EnvUnavailable:
        return None


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say once, at the top, which engine and store the end-to-end tests run against."""
    engine = _engine()
    return f"end-to-end engine: {engine}" if engine else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Every end-to-end test's report names its engine and store (-rA, JUnit XML)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call" and item.path.is_relative_to(E2E_DIR):
        engine = _engine()
        if engine:
            report.sections.append(("engine", engine))
            item.user_properties.append(("engine", engine))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Close with the engine again, beside the counts CI reads."""
    engine = _engine()
    ran = [r for r in terminalreporter.stats.get("passed", []) if "/e2e/" in r.nodeid]
    if engine and ran:
        terminalreporter.write_line(f"end-to-end: {len(ran)} tests passed against {engine}")


def read_env_file(path: Path = ENV_FILE) -> dict[str, str]:
    """Parse the KEY=value lines of the env file (blank lines and # comments ignored)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EnvUnavailable(f"cannot read {path} ({exc.strerror})") from exc
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def load_env(path: Path = ENV_FILE) -> E2EEnv:
    """Build an E2EEnv from the env file; raise EnvUnavailable if a key is missing."""
    values = read_env_file(path)
    required = [
        "MKMA_REGISTRY",
        "MKMA_AUTH_REGISTRY",
        "MKMA_AUTH_USER",
        "MKMA_AUTH_PASSWORD",
        "MKMA_GO_IMAGE",
        "MKMA_GO_VERSION",
        "MKMA_DOCKER_BUILDKIT_CLIENT",
        "MKMA_BINFMT_PLATFORMS",
        "MKMA_PODMAN",
    ]
    missing = [key for key in required if not values.get(key)]
    if missing:
        raise EnvUnavailable(f"{path} lacks {', '.join(missing)}")
    return E2EEnv(
        registry=values["MKMA_REGISTRY"],
        auth_registry=values["MKMA_AUTH_REGISTRY"],
        auth_user=values["MKMA_AUTH_USER"],
        auth_password=values["MKMA_AUTH_PASSWORD"],
        go_image=values["MKMA_GO_IMAGE"],
        go_version=values["MKMA_GO_VERSION"],
        docker=values["MKMA_DOCKER_BUILDKIT_CLIENT"],
        other_docker=values.get("MKMA_DOCKER_OTHER_CLIENT") or None,
        binfmt_platforms=tuple(values["MKMA_BINFMT_PLATFORMS"].split(",")),
        podman=values["MKMA_PODMAN"],
        engine_version=values.get("MKMA_ENGINE_VERSION", "unknown"),
        buildx_version=values.get("MKMA_BUILDX_VERSION", "unknown"),
        store=values.get("MKMA_STORE", "unknown"),
    )


def check_docker(docker: str) -> None:
    """Raise EnvUnavailable unless ``docker info`` reaches the engine."""
    try:
        result = subprocess.run(
            [docker, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EnvUnavailable(f"`{docker} info` did not run: {exc}") from exc
    if result.returncode != 0:
        reason = result.stderr.strip().splitlines()[-1:] or ["no output"]
        raise EnvUnavailable(f"`{docker} info` failed: {reason[0]}")


def check_registry(registry: str) -> None:
    """Raise EnvUnavailable unless http://REGISTRY/v2/ answers 200."""
    try:
        with urllib.request.urlopen(f"http://{registry}/v2/", timeout=10) as response:
            status = response.status
    except (urllib.error.URLError, OSError) as exc:
        raise EnvUnavailable(f"registry {registry} does not answer: {exc}") from exc
    if status != 200:
        raise EnvUnavailable(f"registry {registry} answered {status} on /v2/")


def _unavailable(reason: str) -> NoReturn:
    """Skip (locally) or fail (CI=true) because the environment is not there."""
    message = f"end-to-end environment unavailable: {reason}; {SETUP_HINT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def e2e_env() -> E2EEnv:
    """The environment set up by scripts/test-env.sh, checked to be answering."""
    try:
        env = load_env()
        check_docker(env.docker)
        check_registry(env.registry)
    except EnvUnavailable as exc:
        _unavailable(str(exc))
    return env


# --- registry helpers (plain HTTP; the local registries never use TLS) -----------------


def split_image_ref(ref: str) -> tuple[str, str, str]:
    """Split ``host:port/repo/name:tag`` (or ``...@sha256:...``) into (registry, repo, ref)."""
    registry, _, rest = ref.partition("/")
    if not rest:
        raise ValueError(f"image reference without a registry host: {ref!r}")
    if "@" in rest:
        repo, _, reference = rest.partition("@")
    else:
        repo, _, reference = rest.rpartition(":")
        if not repo:
            repo, reference = rest, "latest"
    return registry, repo, reference


def _request(
    url: str, *, method: str = "GET", accept: str | None = None, auth: Auth | None = None
) -> urllib.request.Request:
    request = urllib.request.Request(url, method=method)
    if accept:
        request.add_header("Accept", accept)
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    return request


def registry_get_manifest(
    registry: str, repo: str, ref: str, *, auth: Auth | None = None
) -> tuple[dict[str, Any], str]:
    """GET a manifest or index by tag or digest; return (parsed JSON, media type).

    Raises urllib.error.HTTPError (e.g. 404) when it is not there.
    """
    url = f"http://{registry}/v2/{repo}/manifests/{ref}"
    request = _request(url, accept=MANIFEST_ACCEPT, auth=auth)
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        data: dict[str, Any] = json.loads(response.read())
    media_type = str(data.get("mediaType") or content_type)
    return data, media_type


def registry_manifest_digest(
    registry: str, repo: str, ref: str, *, auth: Auth | None = None
) -> str | None:
    """HEAD a manifest; return its Docker-Content-Digest, or None when absent (404)."""
    url = f"http://{registry}/v2/{repo}/manifests/{ref}"
    request = _request(url, method="HEAD", accept=MANIFEST_ACCEPT, auth=auth)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            digest = response.headers.get("Docker-Content-Digest")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise
    return str(digest) if digest else None


def registry_tag_exists(registry: str, repo: str, tag: str, *, auth: Auth | None = None) -> bool:
    """True when REPO:TAG resolves to a manifest in the registry."""
    return registry_manifest_digest(registry, repo, tag, auth=auth) is not None


def registry_get_blob(registry: str, repo: str, digest: str, *, auth: Auth | None = None) -> bytes:
    """GET a blob (e.g. an image config) and check it against its sha256 digest."""
    url = f"http://{registry}/v2/{repo}/blobs/{digest}"
    with urllib.request.urlopen(_request(url, auth=auth), timeout=HTTP_TIMEOUT) as response:
        content: bytes = response.read()
    algorithm, _, expected = digest.partition(":")
    if algorithm == "sha256" and hashlib.sha256(content).hexdigest() != expected:
        raise ValueError(f"blob {digest} from {registry}/{repo} does not match its digest")
    return content


def registry_tags(registry: str, repo: str, *, auth: Auth | None = None) -> list[str]:
    """The tags of REPO (GET /v2/REPO/tags/list); [] when the registry does not know REPO."""
    url = f"http://{registry}/v2/{repo}/tags/list"
    try:
        with urllib.request.urlopen(_request(url, auth=auth), timeout=HTTP_TIMEOUT) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise
    return sorted(data.get("tags") or [])


def platform_string(platform: dict[str, Any]) -> str:
    """``{"os": "linux", "architecture": "arm", "variant": "v7"}`` -> ``linux/arm/v7``."""
    parts = [str(platform.get("os", "")), str(platform.get("architecture", ""))]
    if platform.get("variant"):
        parts.append(str(platform["variant"]))
    return "/".join(parts)


def index_platforms(index: dict[str, Any]) -> list[str]:
    """Platforms of a manifest list / OCI index, in order, skipping ``unknown/unknown``."""
    platforms = [platform_string(entry.get("platform") or {}) for entry in index["manifests"]]
    return [platform for platform in platforms if platform != "unknown/unknown"]


# --- running make and docker ----------------------------------------------------------

REPO_ROOT = E2E_DIR.parents[1]
EXAMPLE_PROJECT = REPO_ROOT / "example-project"
MAKE_TIMEOUT = 900.0
DOCKER_TIMEOUT = 300.0
# A PATH without the virtualenv: make falls back to what needs no mkmultiarch.
PLAIN_PATH = "/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
# Variables the Makefile reads with `?=` (or make itself reads): a value left in the
# caller's environment would silently change what the tests run.
SCRUBBED_ENV = (
    "IMG",
    "REGISTRY",
    "VERSION",
    "REVISION",
    "ARCHES",
    "LATEST",
    "INSECURE",
    "DOCKER",
    "DOCKERFILE",
    "CONTEXT",
    "GO_IMAGE",
    "RUNTIME_IMAGE",
    "SOURCE",
    "DIGESTS_DIR",
    "TAGS",
    "COSIGN_TLOG",
    "COSIGN_KEY",
    "COSIGN_PASSWORD",
    "REGISTRY_USER",
    "REGISTRY_PASSWORD",
    "DOCKER_BUILDKIT",
    "BUILDX_NO_DEFAULT_ATTESTATIONS",
    "MAKEFLAGS",
    "MFLAGS",
    "GNUMAKEFLAGS",
    "MAKELEVEL",
)


@dataclass(frozen=True)
class CmdResult:
    """Outcome of one command: exit code, output (stderr merged unless asked) and wall time."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        """Everything the command printed."""
        return self.stdout + self.stderr

    def tail(self, lines: int = 40) -> str:
        """The last lines of the output, for assertion messages."""
        text = "\n".join(self.output.rstrip().splitlines()[-lines:])
        return f"$ {' '.join(self.args)}\n(exit {self.returncode}, {self.seconds:.1f}s)\n{text}"


def run_cmd(
    args: list[str] | tuple[str, ...],
    *,
    env: dict[str, str],
    cwd: Path | None = None,
    timeout: float = DOCKER_TIMEOUT,
    stdin: str | None = None,
    merge_stderr: bool = True,
) -> CmdResult:
    """Run a command to completion with a timeout; never raises on a non-zero exit."""
    start = time.monotonic()
    completed = subprocess.run(
        list(args),
        cwd=cwd,
        env=env,
        input=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CmdResult(
        args=tuple(args),
        returncode=completed.returncode,
        stdout=completed.stdout or "",
        stderr=completed.stderr or "",
        seconds=time.monotonic() - start,
    )


def unique_name(prefix: str) -> str:
    """``prefix-<8 hex>``: image names and versions no other test (or run) uses."""
    return f"{prefix}-{secrets.token_hex(4)}"


# A compile step in BuildKit's plain output: `#14 [build 6/6] RUN ... go build`, with the bake
# target's name before `build` when the docker engine built several arches in one bake.
COMPILE_STEP = re.compile(r"^#(\d+) \[(?:[\w-]+ )?build \d+/\d+\] RUN .*go build", re.MULTILINE)


def compile_runs(output: str) -> tuple[int, int]:
    """(builds, compile steps run) in make's OUTPUT: each build (one `docker build`, or one
    bake of several arches) starts at its `==> building` lines; a compile step ran when its
    step number says DONE there, not CACHED. Step numbers restart with each build."""
    builds = runs = 0
    for block in re.split(r"^==> building .*\n", output, flags=re.MULTILINE)[1:]:
        steps = set(COMPILE_STEP.findall(block))
        builds += bool(steps)
        runs += sum(bool(re.search(rf"^#{step} DONE", block, re.MULTILINE)) for step in steps)
    return builds, runs


def arch_suffix(arch: str) -> str:
    """``arm/v7`` -> ``arm-v7`` (tag suffix and target name part)."""
    return Arch.parse(arch).tag_suffix


def expected_version_line(binary: str, version: str, arch: str) -> str:
    """What ``<binary> --version`` prints for ARCH: ``hello 1.0 linux/arm GOARM=7``."""
    parsed = Arch.parse(arch)
    line = f"{binary} {version} linux/{parsed.goarch}"
    return f"{line} GOARM={parsed.goarm}" if parsed.goarm else line


def clean_env(docker_config: Path, **extra: str) -> dict[str, str]:
    """The process environment for make/docker: scrubbed, with a private DOCKER_CONFIG."""
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED_ENV}
    env["DOCKER_CONFIG"] = str(docker_config)
    env.update(extra)
    return env


@dataclass
class MakeProject:
    """A project directory with a generated Makefile, and the make settings of one test."""

    path: Path
    e2e: E2EEnv
    docker_config: Path
    img: str
    version: str
    arches: tuple[str, ...]
    registry: str
    pass_arches: bool = True  # False: rely on the Makefile's own ARCHES default
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        """Environment for every command of this project."""
        return clean_env(self.docker_config)

    @property
    def image(self) -> str:
        """``<registry>/<img>``."""
        return f"{self.registry}/{self.img}"

    def list_ref(self, tag: str | None = None) -> str:
        """The manifest list ``<registry>/<img>:<tag>`` (default: the version)."""
        return f"{self.image}:{tag or self.version}"

    def arch_ref(self, arch: str) -> str:
        """The per-arch image ``<registry>/<img>:<suffix>-<version>``."""
        return f"{self.image}:{arch_suffix(arch)}-{self.version}"

    @property
    def list_tags(self) -> tuple[str, str]:
        """The list tags a default (LATEST=1) run publishes."""
        return (self.version, "latest")

    def settings(self, **overrides: str) -> dict[str, str]:
        """The VAR=value settings of the seed command line, plus overrides."""
        values = {
            "DOCKER": self.e2e.docker,
            "VERSION": self.version,
            "REGISTRY": self.registry,
            "INSECURE": "1",
            "GO_IMAGE": self.e2e.go_image,
            "IMG": self.img,
        }
        if self.pass_arches:
            values["ARCHES"] = " ".join(self.arches)
        values.update(self.extra)
        values.update(overrides)
        return {key: value for key, value in values.items() if value is not None}

    def make(
        self,
        *targets: str,
        jobs: int | None = None,
        env: dict[str, str] | None = None,
        unset: tuple[str, ...] = (),
        timeout: float = MAKE_TIMEOUT,
        overrides: dict[str, str] | None = None,
        **variables: str,
    ) -> CmdResult:
        """Run ``make [-jN] VAR=value... TARGET...`` in the project (stderr merged, in order).

        VAR=value settings: the seed line's (see settings), then OVERRIDES and VARIABLES;
        UNSET drops some; ENV is added to the process environment."""
        settings = self.settings(**(overrides or {}), **variables)
        for key in unset:
            settings.pop(key, None)
        args = ["make"]
        if jobs:
            args.append(f"-j{jobs}")
        args += [f"{key}={value}" for key, value in settings.items()]
        args += list(targets)
        process_env = self.env
        process_env.update(env or {})
        return run_cmd(args, env=process_env, cwd=self.path, timeout=timeout)

    def docker(self, *args: str, stdin: str | None = None, merge_stderr: bool = True) -> CmdResult:
        """Run the BuildKit-capable docker client with this project's environment."""
        return run_cmd(
            [self.e2e.docker, *args], env=self.env, stdin=stdin, merge_stderr=merge_stderr
        )

    def registry_digests(self, *, auth: Auth | None = None) -> dict[str, str | None]:
        """Digest of every per-arch tag and list tag in the registry (None when absent)."""
        tags = [f"{arch_suffix(arch)}-{self.version}" for arch in self.arches]
        tags += list(self.list_tags)
        return {
            tag: registry_manifest_digest(self.registry, self.img, tag, auth=auth) for tag in tags
        }


def copy_example(destination: Path) -> Path:
    """Copy example-project/ (its sources and rendered files) to DESTINATION."""
    shutil.copytree(EXAMPLE_PROJECT, destination, ignore=shutil.ignore_patterns(".git"))
    return destination


@pytest.fixture(scope="session")
def local_repos(e2e_env: E2EEnv) -> Iterator[set[str]]:
    """Repositories (``registry/img``) the tests created locally; their images are removed
    at the end of the session. The registries keep what was pushed (names are unique)."""
    repos: set[str] = set()
    yield repos
    env = clean_env(Path(os.environ.get("DOCKER_CONFIG", Path.home() / ".docker")))
    for repo in sorted(repos):
        listing = run_cmd(
            [
                e2e_env.docker,
                "image",
                "ls",
                "--digests",
                "--format",
                "{{.Repository}} {{.Tag}} {{.Digest}}",
                repo,
            ],
            env=env,
            merge_stderr=False,
        )
        refs: list[str] = []
        for line in listing.stdout.splitlines():
            name, tag, digest = [*line.split(), "", "", ""][:3]
            if tag and tag != "<none>":
                refs.append(f"{name}:{tag}")
            elif digest and digest != "<none>":
                refs.append(f"{name}@{digest}")
        if refs:
            run_cmd([e2e_env.docker, "image", "rm", "--force", *refs], env=env)


def new_project(
    e2e: E2EEnv,
    path: Path,
    docker_config: Path,
    local_repos: set[str],
    *,
    name: str,
    arches: tuple[str, ...],
    registry: str | None = None,
    pass_arches: bool = True,
) -> MakeProject:
    """A MakeProject in PATH with a unique IMG (e2e/<name>-<hex>) and VERSION."""
    docker_config.mkdir(parents=True, exist_ok=True)
    project = MakeProject(
        path=path,
        e2e=e2e,
        docker_config=docker_config,
        img=unique_name(f"e2e/{name}"),
        version=unique_name("v"),
        arches=arches,
        registry=registry or e2e.registry,
        pass_arches=pass_arches,
    )
    local_repos.add(project.image)
    return project


def check_list(
    registry: str, repo: str, tag: str, arches: tuple[str, ...], *, auth: Auth | None = None
) -> dict[str, Any]:
    """Assert REPO:TAG is a manifest list of exactly ARCHES (linux) and return it."""
    index, media_type = registry_get_manifest(registry, repo, tag, auth=auth)
    assert media_type in (DOCKER_MANIFEST_LIST, OCI_INDEX), f"{repo}:{tag} is {media_type}"
    platforms = index_platforms(index)
    assert sorted(platforms) == sorted(f"linux/{arch}" for arch in arches), platforms
    assert len(platforms) == len(index["manifests"]), "unexpected unknown/unknown entries"
    return index


def check_runs(
    project: MakeProject,
    binary: str,
    arches: tuple[str, ...],
    tag: str | None = None,
    *,
    auth: Auth | None = None,
) -> None:
    """Run the list under each arch's platform (pulled afresh) and check what it prints."""
    for arch in arches:
        run_list_for_arch(project, binary, arch, tag, auth=auth)


def run_list_for_arch(
    project: MakeProject,
    binary: str,
    arch: str,
    tag: str | None = None,
    *,
    auth: Auth | None = None,
) -> None:
    """``docker run --pull always --platform linux/ARCH <list> --version`` prints ARCH, and
    so does the list's linux/ARCH entry run by its digest.

    ``--pull always`` makes the engine resolve the list in the registry for this platform.
    The local image is then checked against the registry: on the classic store it is that
    entry's image (its ID is the entry's config digest); on the containerd image store the
    local image is the list itself (its ID is the list's digest), so the entry is also run
    by digest, which pins exactly that slot. Both are removed again.
    """
    ref = project.list_ref(tag)
    expected = expected_version_line(binary, project.version, arch)
    run_version(project, ref, arch, expected)
    index, _ = registry_get_manifest(
        project.registry, project.img, tag or project.version, auth=auth
    )
    list_digest = registry_manifest_digest(
        project.registry, project.img, tag or project.version, auth=auth
    )
    entry = next(m for m in index["manifests"] if platform_string(m["platform"]) == f"linux/{arch}")
    manifest, _ = registry_get_manifest(project.registry, project.img, entry["digest"], auth=auth)
    image_id = project.docker("image", "inspect", "--format", "{{.Id}}", ref, merge_stderr=False)
    assert image_id.stdout.strip() in (manifest["config"]["digest"], list_digest), (
        f"{ref} for linux/{arch} is neither the list's linux/{arch} entry nor the list"
    )
    pinned = f"{project.registry}/{project.img}@{entry['digest']}"
    run_version(project, pinned, arch, expected)
    # On the classic store both names may be one image, gone with the first removal.
    for name in (pinned, ref):
        project.docker("image", "rm", name)
    for name in (pinned, ref):
        left = project.docker("image", "inspect", name)
        assert left.returncode != 0, f"{name} is still in the local store"


def run_version(project: MakeProject, ref: str, arch: str, expected: str) -> None:
    """``docker run --pull always --platform linux/ARCH REF --version`` prints EXPECTED."""
    result = project.docker(
        "run",
        "--rm",
        "--pull",
        "always",
        "--platform",
        f"linux/{arch}",
        ref,
        "--version",
        merge_stderr=False,
    )
    assert result.returncode == 0, result.tail()
    assert result.stdout.strip() == expected, result.tail()


def registry_login(runner: MakeProject, e2e: E2EEnv) -> None:
    """``make registry-login`` into the runner's own DOCKER_CONFIG, with the credentials a CI
    would pass as secrets; the password is never echoed."""
    result = runner.make(
        "registry-login",
        env={"REGISTRY_USER": e2e.auth_user, "REGISTRY_PASSWORD": e2e.auth_password},
    )
    assert result.returncode == 0, result.tail()
    assert e2e.auth_password not in result.output, "the password was echoed"
    assert (runner.docker_config / "config.json").is_file()


def verify_lists(project: MakeProject, arches: tuple[str, ...]) -> list[CmdResult]:
    """``mkmultiarch verify --insecure`` on each list tag of PROJECT, with its environment
    (so its DOCKER_CONFIG's credentials); asserts each exits 0 and returns the results."""
    results = []
    for tag in project.list_tags:
        args = [sys.executable, "-m", "mkmultiarch", "verify", "--insecure"]
        args += [f"--arch={arch}" for arch in arches]
        result = run_cmd([*args, project.list_ref(tag)], env=project.env)
        assert result.returncode == 0, result.tail(60)
        results.append(result)
    return results
