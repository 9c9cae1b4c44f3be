"""The OCI distribution API of one registry, read-only: manifests and blobs.

A request goes out with whatever Authorization auth.py has earned; a 401 is
answered once (auth.py) and the request sent again. Every answer is checked:
the registry's own error text for a non-2xx, a size limit on what is read
into memory, the digest of what is fetched by digest.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import httpx

from mkmultiarch.inspect.imageref import registry_api_host
from mkmultiarch.inspect.limits import (
    MAX_CONFIG_BYTES,
    MAX_ERROR_BYTES,
    MAX_MANIFEST_BYTES,
    Deadline,
    LimitError,
)
from mkmultiarch.inspect.registry.auth import Authenticator, CredentialProvider
from mkmultiarch.inspect.registry.challenge import parse_www_authenticate
from mkmultiarch.inspect.registry.transport import (
    DEFAULT_TIMEOUT,
    NotFoundError,
    RegistryError,
    ResponseStream,
    UnreachableError,
    connect,
    failure_reason,
    read_capped,
)

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
# All four: without the list types a registry may 404 an OCI index, or answer a
# Docker list request with one child manifest.
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST))
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
IMAGE_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
MEDIA_TYPE_NAMES = {
    OCI_INDEX: "OCI image index",
    DOCKER_MANIFEST_LIST: "Docker manifest list",
    OCI_MANIFEST: "OCI image manifest",
    DOCKER_MANIFEST: "Docker image manifest",
}


@dataclass(frozen=True)
class Manifest:
    """A manifest or index as fetched, with the digest computed from its bytes."""

    digest: str
    media_type: str
    data: dict[str, Any]
    size: int

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES


def _media_type(data: dict[str, Any], content_type: str) -> str:
    declared = data.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    if content_type in MEDIA_TYPE_NAMES:
        return content_type
    if data.get("schemaVersion") == 2:  # OCI makes mediaType optional
        return OCI_INDEX if "manifests" in data else OCI_MANIFEST
    return content_type or "unknown"


def _json(body: bytes) -> Any:
    """BODY parsed as JSON; ValueError for anything else (nesting too deep included)."""
    try:
        return json.loads(body)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _error_detail(body: bytes) -> str:
    """The registry's own error text ({"errors": [{"code", "message"}]}), if any."""
    try:
        errors = _json(body).get("errors")
        parts = [f"{error.get('code', '?')}: {error.get('message', '')}" for error in errors]
    except (ValueError, AttributeError, TypeError):
        return ""
    return "; ".join(parts)[:200]


def _error_codes(body: bytes) -> set[str]:
    try:
        return {str(error.get("code")) for error in _json(body).get("errors")}
    except (ValueError, AttributeError, TypeError):
        return set()


class RegistryClient:
    """Read manifests and blobs of one registry, anonymously or with Docker's credentials."""

    def __init__(
        self,
        registry: str,
        *,
        insecure: bool = False,
        credentials: CredentialProvider | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: Deadline | None = None,
    ) -> None:
        self.registry = registry
        self.host = registry_api_host(registry)
        self.insecure = insecure
        self.base_url = f"{'http' if insecure else 'https'}://{self.host}"
        self.timeout = timeout
        # The whole command's deadline and layer budget (shared with layers.py).
        self.deadline = deadline if deadline is not None else Deadline()
        self._http = connect(self.host, insecure=insecure, timeout=timeout)
        self._auth = Authenticator(
            registry, self._http, credentials, timeout, self.deadline, insecure=insecure
        )

    @property
    def auth_method(self) -> str:
        """How the last request was authorized, e.g. "bearer token, anonymous"."""
        return self._auth.method

    @property
    def sent_credentials(self) -> bool:
        """Whether the user's credentials went to the registry or its token service."""
        return self._auth.sent_credentials

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- requests ----------------------------------------------------------------------

    def _send(self, request: httpx.Request, what: str) -> httpx.Response:
        self.deadline.check(f"asking for {what}")
        try:
            return self._http.send(request, stream=True)
        except httpx.HTTPError as error:
            if self.deadline.expired:
                raise self.deadline.error(f"asking for {what}") from None
            where = f"{request.url.scheme}://{request.url.netloc.decode()}"
            reason = failure_reason(error, where, self.timeout)
            raise UnreachableError(reason) from None

    def _request(self, path: str, *, scope: str, what: str, accept: str = "") -> httpx.Response:
        """GET PATH (streamed; the caller closes it), answering one auth challenge."""
        url = self.base_url + path
        for attempt in range(2):
            headers = {"Accept": accept} if accept else {}
            if self._auth.header:
                headers["Authorization"] = self._auth.header
            timeout = self.deadline.per_request(self.timeout)
            limits = httpx.Timeout(timeout, connect=min(timeout, 10))
            request = self._http.build_request("GET", url, headers=headers, timeout=limits)
            response = self._send(request, what)
            if response.status_code != 401:
                return response
            challenges = parse_www_authenticate(
                ", ".join(response.headers.get_list("www-authenticate"))
            )
            response.close()
            if attempt == 0:
                self._auth.answer(challenges, scope, what)
        raise self._auth.rejected(what)

    def _read(self, response: httpx.Response, limit: int, what: str) -> bytes:
        """The body of a streamed response, at most LIMIT bytes, before the deadline; closes it."""
        return read_capped(response, limit, what, self.deadline, self.host, self.timeout)

    def _check(self, response: httpx.Response, what: str, missing: str = "not found") -> None:
        """Raise for a non-2xx answer, with the registry's own error text (read up to a limit)."""
        if response.status_code < 300:
            return
        try:
            body = read_capped(
                response, MAX_ERROR_BYTES, f"the error body for {what}", self.deadline, "", 0
            )
            suffix = ""
        except LimitError as error:
            if self.deadline.expired:
                raise
            body, suffix = b"", f" ({error})"
        except RegistryError:
            body, suffix = b"", ""
        detail = _error_detail(body)
        suffix = f" ({detail})" if detail else suffix
        if response.status_code == 404:
            if "NAME_UNKNOWN" in _error_codes(body):
                repository = what.split(":")[0].split("@")[0]
                raise NotFoundError(f"repository not found: {self.registry}/{repository}{suffix}")
            raise NotFoundError(f"{missing}: {self.registry}/{what}{suffix}")
        hint = ""
        if response.status_code == 400 and self.insecure:
            hint = " (is it an HTTPS registry? drop --insecure)"
        status = response.status_code
        raise RegistryError(f"{self.registry} answered {status} for {what}{suffix}{hint}")

    # -- API ---------------------------------------------------------------------------

    def ping(self) -> None:
        """GET /v2/ (authenticating if asked): raise unless the registry answers 200."""
        response = self._request("/v2/", scope="", what="/v2/")
        self._check(response, "/v2/")
        self._read(response, MAX_MANIFEST_BYTES, "/v2/")

    def get_manifest(self, repository: str, reference: str) -> Manifest:
        """A manifest or index by tag or digest; the digest is computed from its bytes."""
        sep = "@" if ":" in reference else ":"
        what = f"{repository}{sep}{reference}"
        response = self._request(
            f"/v2/{repository}/manifests/{reference}",
            scope=f"repository:{repository}:pull",
            what=what,
            accept=MANIFEST_ACCEPT,
        )
        self._check(response, what, "tag not found" if sep == ":" else "manifest not found")
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        body = self._read(response, MAX_MANIFEST_BYTES, what)
        digest = f"sha256:{hashlib.sha256(body).hexdigest()}"
        if sep == "@" and reference.startswith("sha256:") and reference != digest:
            raise RegistryError(f"{what}: the registry answered a manifest with digest {digest}")
        try:
            data = _json(body)
        except ValueError:
            raise RegistryError(f"{what}: the manifest is not JSON") from None
        if not isinstance(data, dict):
            raise RegistryError(f"{what}: the manifest is not a JSON object")
        media_type = _media_type(data, content_type)
        if media_type not in MEDIA_TYPE_NAMES:
            raise RegistryError(f"{what}: unsupported manifest type {media_type}")
        return Manifest(digest=digest, media_type=media_type, data=data, size=len(body))

    def get_blob(self, repository: str, digest: str, limit: int = MAX_CONFIG_BYTES) -> bytes:
        """A small blob (an image config), checked against its digest."""
        what = f"{repository}@{digest}"
        response = self._request(
            f"/v2/{repository}/blobs/{digest}", scope=f"repository:{repository}:pull", what=what
        )
        self._check(response, what, "blob not found")
        body = self._read(response, limit, what)
        algorithm, _, expected = digest.partition(":")
        if algorithm == "sha256" and hashlib.sha256(body).hexdigest() != expected:
            raise RegistryError(f"{what}: the content does not match its digest")
        return body

    @contextmanager
    def open_blob(self, repository: str, digest: str) -> Iterator[IO[bytes]]:
        """Stream a blob (a layer); closing early stops the download.

        The digest is not checked: a file is found before the layer ends.
        """
        what = f"{repository}@{digest}"
        response = self._request(
            f"/v2/{repository}/blobs/{digest}", scope=f"repository:{repository}:pull", what=what
        )
        try:
            self._check(response, what, "blob not found")
            stream = ResponseStream(response, what, self.deadline)
            yield io.BufferedReader(stream, buffer_size=1 << 16)
        finally:
            response.close()
