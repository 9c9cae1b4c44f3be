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
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

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
    go_version: str  # e.g. go1.19.8
    docker: str  # 20.10 client that builds with DOCKER_BUILDKIT=1 (/usr/bin/docker)
    legacy_docker: str | None  # 28.x client without buildx, if installed
    binfmt_platforms: tuple[str, ...]  # foreign platforms QEMU can run

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
        legacy_docker=values.get("MKMA_DOCKER_LEGACY_CLIENT") or None,
        binfmt_platforms=tuple(values["MKMA_BINFMT_PLATFORMS"].split(",")),
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
