"""A read-only client for the OCI distribution API: manifests and blobs, with Docker's auth.

Auth works like the docker CLI: every request goes out anonymously (or with
the token already earned); a 401 names a challenge in WWW-Authenticate:
- `Bearer realm=...,service=...,scope=...`: GET the realm with service and
  scope, with the user's credentials as Basic auth when there are any (an
  identity token is POSTed as an OAuth refresh token instead), and use the
  `token` or `access_token` it answers;
- `Basic realm=...`: send the user's credentials.
Credentials are looked up only when a registry asks for them.

HTTP is httpx: timeouts on connect and read, streamed bodies (layers are read
only as far as needed), and redirects that drop the Authorization header when
they leave the registry's origin (blob downloads are often redirected to a CDN
or an object store, which must not see the registry credentials).

Every exception message is one line for the user and holds no secret.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from mkmultiarch import __version__
from mkmultiarch.inspect.credentials import Credential, CredentialsError
from mkmultiarch.inspect.imageref import registry_api_host

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

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

MAX_MANIFEST_BYTES = 4 << 20
MAX_CONFIG_BYTES = 16 << 20
DEFAULT_TIMEOUT = 30.0
DOCKER_CERTS_DIR = Path("/etc/docker/certs.d")

CredentialProvider = Callable[[], Credential | None]


class RegistryError(Exception):
    """The registry could not be asked (unreachable, refused, broken answer)."""


class UnreachableError(RegistryError):
    """No HTTP answer: connection refused, DNS, TLS, timeout."""


class NotFoundError(RegistryError):
    """The registry answered 404 for a manifest or blob."""


class AuthError(RegistryError):
    """The registry wants credentials that are missing or were rejected."""


@dataclass(frozen=True)
class Challenge:
    """One challenge of a WWW-Authenticate header; scheme lowercased, param names too."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)


_SEPARATORS = " \t,="


def parse_www_authenticate(header: str) -> list[Challenge]:
    """Parse `Bearer realm="https://a/token",service="x",scope="repository:o/r:pull,push"`.

    Quoted values may hold commas, `=` and backslash escapes; several
    challenges may share one header (or come in several, joined with commas).
    A token68 (e.g. `Negotiate abc==`) is skipped.
    """
    challenges: list[Challenge] = []
    current: Challenge | None = None
    i, n = 0, len(header)

    def skip_blanks(j: int) -> int:
        while j < n and header[j] in " \t":
            j += 1
        return j

    while i < n:
        while i < n and header[i] in " \t,":
            i += 1
        start = i
        while i < n and header[i] not in _SEPARATORS:
            i += 1
        word = header[start:i]
        if not word:  # a stray "=": skip it
            i += 1
            continue
        j = skip_blanks(i)
        pad = j
        while pad < n and header[pad] == "=":
            pad += 1
        if pad > j and (pad - j > 1 or skip_blanks(pad) >= n or header[skip_blanks(pad)] == ","):
            i = pad  # a token68 such as `abc==`: not a parameter
            continue
        if j < n and header[j] == "=" and current is not None:
            j = skip_blanks(j + 1)
            if j < n and header[j] == '"':
                j += 1
                value: list[str] = []
                while j < n and header[j] != '"':
                    if header[j] == "\\" and j + 1 < n:
                        j += 1
                    value.append(header[j])
                    j += 1
                current.params[word.lower()] = "".join(value)
                i = j + 1
            else:
                end = j
                while end < n and header[end] not in " \t,":
                    end += 1
                current.params[word.lower()] = header[j:end]
                i = end
        elif j < n and header[j] == "=":  # a parameter before any scheme: skip it
            i = j + 1
        else:
            current = Challenge(word.lower())
            challenges.append(current)
            i = j
    return challenges


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


def _error_detail(response: httpx.Response) -> str:
    """The registry's own error text ({"errors": [{"code", "message"}]}), if any."""
    try:
        errors = response.json().get("errors")
        parts = [f"{error.get('code', '?')}: {error.get('message', '')}" for error in errors]
    except (ValueError, AttributeError, TypeError):
        return ""
    return "; ".join(parts)[:200]


def _error_codes(response: httpx.Response) -> set[str]:
    try:
        return {str(error.get("code")) for error in response.json().get("errors")}
    except (ValueError, AttributeError, TypeError):
        return set()


def ssl_context(host: str) -> ssl.SSLContext:
    """httpx's default trust (certifi, or SSL_CERT_FILE/DIR) plus Docker's per-registry CAs."""
    context = httpx.create_ssl_context()
    extra = DOCKER_CERTS_DIR / host
    try:
        cas = sorted(extra.glob("*.crt"))
    except OSError:
        cas = []
    for ca in cas:
        try:
            context.load_verify_locations(cafile=str(ca))
        except (OSError, ssl.SSLError):
            continue
    return context


class _ResponseStream(io.RawIOBase):
    """A streamed httpx response body as a file, for tarfile's stream mode."""

    def __init__(self, response: httpx.Response, describe: str) -> None:
        self._chunks = response.iter_bytes()
        self._pending = b""
        self._describe = describe

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            except httpx.HTTPError as error:
                raise RegistryError(f"reading {self._describe}: {type(error).__name__}") from None
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class RegistryClient:
    """Read manifests and blobs of one registry, anonymously or with Docker's credentials."""

    def __init__(
        self,
        registry: str,
        *,
        insecure: bool = False,
        credentials: CredentialProvider | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.registry = registry
        self.host = registry_api_host(registry)
        self.insecure = insecure
        self.base_url = f"{'http' if insecure else 'https'}://{self.host}"
        self.timeout = timeout
        self.auth_method = "anonymous"  # how the last request was authorized
        self.sent_credentials = (
            False  # the user's credentials went to the registry or its token service
        )
        self._provider = credentials
        self._credential: Credential | None = None
        self._looked_up = False
        self._authorization: str | None = None
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=True,
            headers={"User-Agent": f"mkmultiarch/{__version__}"},
            verify=False if insecure else ssl_context(self.host),
        )

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def credential(self) -> Credential | None:
        """The user's credentials for this registry (looked up once, on first need)."""
        if not self._looked_up:
            self._looked_up = True
            if self._provider is not None:
                try:
                    self._credential = self._provider()
                except CredentialsError as error:
                    raise AuthError(f"credentials for {self.registry}: {error}") from None
        return self._credential

    # -- requests ----------------------------------------------------------------------

    def _transport_reason(self, error: httpx.HTTPError, where: str) -> str:
        text = str(error).strip() or type(error).__name__
        if isinstance(error, httpx.TimeoutException):
            return f"no answer from {where} within {self.timeout:g}s"
        if isinstance(error, httpx.ConnectError):
            if any(mark in text.upper() for mark in ("SSL", "TLS", "CERTIFICATE")):
                return (
                    f"TLS with {where} failed ({text}); "
                    "if it is a plain-HTTP registry, use --insecure"
                )
            return f"cannot connect to {where} ({text})"
        return f"talking to {where} failed ({type(error).__name__}: {text})"

    def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            return self._http.send(request, stream=True)
        except httpx.HTTPError as error:
            reason = self._transport_reason(
                error, f"{request.url.scheme}://{request.url.netloc.decode()}"
            )
            raise UnreachableError(reason) from None

    def _request(self, path: str, *, scope: str, what: str, accept: str = "") -> httpx.Response:
        """GET PATH (streamed; the caller closes it), answering one auth challenge."""
        url = self.base_url + path
        for attempt in range(2):
            headers = {"Accept": accept} if accept else {}
            if self._authorization:
                headers["Authorization"] = self._authorization
            response = self._send(self._http.build_request("GET", url, headers=headers))
            if response.status_code != 401:
                return response
            challenges = parse_www_authenticate(
                ", ".join(response.headers.get_list("www-authenticate"))
            )
            response.close()
            if attempt == 0:
                self._authenticate(challenges, scope, what)
        raise self._rejected(what)

    def _rejected(self, what: str) -> AuthError:
        if self._credential is not None:
            return AuthError(
                f"{self.registry} rejected the {self._credential} for {what} (401); "
                f"check them with `docker login {self.registry}`"
            )
        return AuthError(
            f"{self.registry} needs credentials for {what} (401), or it does not exist; "
            f"run `docker login {self.registry}` (credentials are read from $DOCKER_CONFIG "
            "or ~/.docker/config.json)"
        )

    def _authenticate(self, challenges: list[Challenge], scope: str, what: str) -> None:
        by_scheme = {challenge.scheme: challenge for challenge in challenges}
        if "bearer" in by_scheme:
            token = self._fetch_token(by_scheme["bearer"], scope)
            self._authorization = f"Bearer {token}"
            return
        if "basic" in by_scheme:
            credential = self.credential
            if credential is None:
                raise self._rejected(what)
            if credential.identity_token:
                raise AuthError(
                    f"{self.registry} asks for Basic auth, but the {credential} are an "
                    "identity token; run `docker login` with a password"
                )
            pair = f"{credential.username}:{credential.secret}".encode()
            self._authorization = f"Basic {base64.b64encode(pair).decode('ascii')}"
            self.auth_method = f"basic auth, {credential}"
            self.sent_credentials = True
            return
        schemes = ", ".join(sorted(by_scheme)) or "no challenge"
        raise AuthError(
            f"{self.registry} answered 401 for {what} with {schemes}; expected Bearer or Basic"
        )

    def _fetch_token(self, challenge: Challenge, scope: str) -> str:
        realm = challenge.params.get("realm", "")
        realm_url = urlsplit(realm)
        if realm_url.scheme not in ("http", "https") or not realm_url.netloc:
            raise AuthError(f"{self.registry}: the Bearer challenge has no usable realm URL")
        where = f"token service {realm_url.scheme}://{realm_url.netloc}"
        service = challenge.params.get("service", "")
        scopes = (challenge.params.get("scope") or scope).split()
        credential = self.credential
        self.sent_credentials = credential is not None
        try:
            if credential is not None and credential.identity_token:
                form = {"grant_type": "refresh_token", "refresh_token": credential.secret}
                form |= {"client_id": "mkmultiarch", "service": service, "scope": " ".join(scopes)}
                response = self._http.post(realm, data=form)
            else:
                params = [("service", service)] if service else []
                params += [("scope", item) for item in scopes]
                auth = None
                if credential is not None:
                    params.append(("account", credential.username))
                    auth = httpx.BasicAuth(credential.username, credential.secret)
                response = self._http.get(realm, params=tuple(params), auth=auth)
        except httpx.HTTPError as error:
            raise UnreachableError(self._transport_reason(error, where)) from None
        if response.status_code in (401, 403):
            if credential is not None:
                raise AuthError(
                    f"{where} rejected the {credential} ({response.status_code}); "
                    f"check them with `docker login {self.registry}`"
                )
            raise AuthError(
                f"{where} refused an anonymous token ({response.status_code}); "
                f"run `docker login {self.registry}`"
            )
        if response.status_code != 200:
            raise RegistryError(f"{where} answered {response.status_code}")
        try:
            body = response.json()
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError):
            raise RegistryError(f"{where} did not answer JSON") from None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"{where} answered without a token or access_token")
        self.auth_method = f"bearer token, {credential or 'anonymous'}"
        return token

    def _read(self, response: httpx.Response, limit: int, what: str) -> bytes:
        """The body of a streamed response, at most LIMIT bytes; closes it."""
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise RegistryError(f"{what} is larger than {limit >> 20} MiB; not reading it")
                chunks.append(chunk)
        except httpx.HTTPError as error:
            raise RegistryError(self._transport_reason(error, self.host)) from None
        finally:
            response.close()
        return b"".join(chunks)

    def _check(self, response: httpx.Response, what: str, missing: str = "not found") -> None:
        """Raise for a non-2xx answer, with the registry's own error text."""
        if response.status_code < 300:
            return
        try:
            response.read()
        except httpx.HTTPError:
            pass
        finally:
            response.close()
        detail = _error_detail(response)
        suffix = f" ({detail})" if detail else ""
        if response.status_code == 404:
            if "NAME_UNKNOWN" in _error_codes(response):
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
            data = json.loads(body)
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
            yield io.BufferedReader(_ResponseStream(response, what), buffer_size=1 << 16)
        finally:
            response.close()
