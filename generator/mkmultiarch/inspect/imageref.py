"""Image references as Docker reads them: `[host[:port]/]path[:tag][@digest]`.

`verify` needs three names for one registry: the host the user wrote
(docker.io, localhost:5000), the host the HTTP API lives on
(registry-1.docker.io for Docker Hub), and the key Docker files the
registry's credentials under (https://index.docker.io/v1/ for Docker Hub).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mkmultiarch.errors import BadInputError
from mkmultiarch.names import IMAGE_PATH as _REPOSITORY
from mkmultiarch.names import REGISTRY_HOST
from mkmultiarch.names import TAG as _TAG

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
DOCKER_HUB_CREDENTIALS_KEY = "https://index.docker.io/v1/"
DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})

# Repository and tag follow the grammar multiarch.yaml is checked against; a
# host here may also be an IPv6 literal, which a pushed reference can carry.
_HOST = re.compile(rf"{REGISTRY_HOST.pattern}|^\[[0-9A-Fa-f:]+\](?::[0-9]{{1,5}})?$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$")


class ImageRefError(BadInputError):
    """The text is not an image reference; the message says what is wrong."""


@dataclass(frozen=True)
class ImageRef:
    """A parsed, normalized image reference."""

    registry: str  # as Docker names it: docker.io, 127.0.0.1:5000, ghcr.io
    repository: str  # library/alpine, org/app
    tag: str  # "latest" when none was given (also alongside a digest)
    digest: str = ""  # sha256:..., or ""

    @property
    def reference(self) -> str:
        """What goes into /v2/<repository>/manifests/<reference>: the digest, else the tag."""
        return self.digest or self.tag

    @property
    def api_host(self) -> str:
        """The host serving the /v2/ API."""
        return registry_api_host(self.registry)

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}:{self.tag}"
        return f"{text}@{self.digest}" if self.digest else text


def registry_api_host(registry: str) -> str:
    """docker.io -> registry-1.docker.io; any other host is its own API host."""
    return DOCKER_HUB_API if registry in DOCKER_HUB_ALIASES else registry


def _looks_like_host(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost"


def parse_reference(text: str) -> ImageRef:
    """Parse IMAGE[:TAG][@DIGEST] the way `docker pull` does.

    A first path component with a dot, a colon or `localhost` is a registry
    host; otherwise the image is on Docker Hub, and a one-component name is in
    `library/`.
    """
    if not text or text != text.strip():
        raise ImageRefError(f"{text!r} is not an image reference, e.g. localhost:5000/org/app:1.0")
    name, _, digest = text.partition("@")
    if digest and not _DIGEST.match(digest):
        raise ImageRefError(f"{text!r}: {digest!r} is not a digest, e.g. sha256:<64 hex digits>")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.match(tag):
            raise ImageRefError(
                f"{text!r}: tag {tag!r} is not allowed (letters, digits, _ . -; at most 128)"
            )
    first, _, rest = name.partition("/")
    if rest and _looks_like_host(first):
        registry, repository = first, rest
        if not _HOST.match(registry):
            raise ImageRefError(f"{text!r}: {registry!r} is not a registry host[:port]")
    else:
        registry, repository = DOCKER_HUB, name
    if registry in DOCKER_HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in repository:
            repository = f"library/{repository}"
    if not _REPOSITORY.match(repository):
        raise ImageRefError(
            f"{text!r}: repository {repository!r} is not allowed: use lowercase letters, digits "
            "and . _ - separated by /"
        )
    return ImageRef(registry=registry, repository=repository, tag=tag or "latest", digest=digest)
