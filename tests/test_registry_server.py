"""The registry client against a tiny in-process registry: real HTTP on 127.0.0.1.

FakeRegistry (also used by the verify tests) serves manifests and blobs from
memory behind no auth, Basic auth, or the Bearer token flow with its own
token endpoint, and records what it was asked.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import json
import secrets
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from mkmultiarch.inspect.credentials import Credential
from mkmultiarch.inspect.registry import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    MANIFEST_ACCEPT,
    OCI_INDEX,
    OCI_MANIFEST,
    AuthError,
    Challenge,
    NotFoundError,
    RegistryClient,
    RegistryError,
    UnreachableError,
    parse_www_authenticate,
)

USER, PASSWORD = "alice", "s3cret-pa55word"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"


# -- layers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A tar member: a file, a directory, a symlink or a hard link."""

    name: str
    data: bytes = b""
    kind: str = "file"
    target: str = ""


def file(name: str, data: bytes = b"x") -> Entry:
    return Entry(name, data)


def symlink(name: str, target: str) -> Entry:
    return Entry(name, kind="symlink", target=target)


def hardlink(name: str, target: str) -> Entry:
    return Entry(name, kind="hardlink", target=target)


def directory(name: str) -> Entry:
    return Entry(name, kind="dir")


def whiteout(path: str) -> Entry:
    head, _, base = path.rpartition("/")
    return file(f"{head}/.wh.{base}" if head else f".wh.{base}", b"")


def opaque(dir_path: str) -> Entry:
    return file(f"{dir_path}/.wh..wh..opq", b"")


def tar_layer(*entries: Entry, compress: bool = True) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for entry in entries:
            info = tarfile.TarInfo(entry.name)
            info.mode = 0o755
            if entry.kind == "dir":
                info.type = tarfile.DIRTYPE
            elif entry.kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, entry.target
            elif entry.kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, entry.target
            else:
                info.size = len(entry.data)
            tar.addfile(info, io.BytesIO(entry.data) if entry.kind == "file" else None)
    raw = buffer.getvalue()
    return gzip.compress(raw, mtime=0) if compress else raw


def sha256(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


# -- the registry -----------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeRegistry:
    """An in-memory registry. auth: none, basic or bearer."""

    auth: str = "none"
    token_field: str = "token"  # the token endpoint answers {"token"} or {"access_token"}
    private: bool = False  # bearer: anonymous tokens get no access
    redirect_blobs: bool = False  # 307 blob downloads to another origin (localhost vs 127.0.0.1)
    manifests: dict[tuple[str, str], tuple[bytes, str]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    tokens: dict[str, bool] = field(default_factory=dict)  # token -> issued with credentials
    blob_reads: dict[str, int] = field(default_factory=dict)  # digest -> bytes sent
    _server: ThreadingHTTPServer | None = None

    # content

    def put_blob(self, data: bytes) -> str:
        digest = sha256(data)
        self.blobs[digest] = data
        return digest

    def put_manifest(
        self, repo: str, tag: str | None, data: dict[str, Any], media_type: str
    ) -> dict[str, Any]:
        raw = json.dumps(data, indent=1).encode()
        digest = sha256(raw)
        self.manifests[(repo, digest)] = (raw, media_type)
        if tag:
            self.manifests[(repo, tag)] = (raw, media_type)
        return {"mediaType": media_type, "digest": digest, "size": len(raw)}

    def put_image(
        self,
        repo: str,
        tag: str | None = None,
        *,
        layers: list[bytes],
        architecture: str = "amd64",
        variant: str = "",
        os: str = "linux",
        config: dict[str, Any] | None = None,
        media_type: str = OCI_MANIFEST,
        layer_type: str = LAYER_GZIP,
    ) -> dict[str, Any]:
        """Push an image; return its descriptor (for an index)."""
        image_config: dict[str, Any] = {"architecture": architecture, "os": os}
        if variant:
            image_config["variant"] = variant
        image_config["config"] = config if config is not None else {}
        image_config["rootfs"] = {"type": "layers", "diff_ids": []}
        raw_config = json.dumps(image_config).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {
                "mediaType": CONFIG_TYPE,
                "digest": self.put_blob(raw_config),
                "size": len(raw_config),
            },
            "layers": [
                {"mediaType": layer_type, "digest": self.put_blob(layer), "size": len(layer)}
                for layer in layers
            ],
        }
        return self.put_manifest(repo, tag, manifest, media_type)

    def put_index(
        self,
        repo: str,
        tag: str,
        entries: list[tuple[dict[str, Any], dict[str, Any] | None]],
        media_type: str = OCI_INDEX,
        annotations: list[dict[str, str] | None] | None = None,
    ) -> dict[str, Any]:
        """Push a list of (descriptor, platform) entries under TAG."""
        manifests = []
        for position, (descriptor, platform) in enumerate(entries):
            item = dict(descriptor)
            if platform is not None:
                item["platform"] = platform
            if annotations and annotations[position]:
                item["annotations"] = annotations[position]
            manifests.append(item)
        data = {"schemaVersion": 2, "mediaType": media_type, "manifests": manifests}
        return self.put_manifest(repo, tag, data, media_type)

    # server

    @property
    def host(self) -> str:
        assert self._server is not None
        return f"127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeRegistry:
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                registry._handle(self, "GET")

            def do_HEAD(self) -> None:
                registry._handle(self, "HEAD")

            def do_POST(self) -> None:
                registry._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    # handling

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        handler.send_response(status)
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                handler.wfile.write(body)

    def _error(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        code: str,
        extra: dict[str, str] | None = None,
    ) -> None:
        body = json.dumps({"errors": [{"code": code, "message": code.lower().replace("_", " ")}]})
        headers = {"Content-Type": "application/json", **(extra or {})}
        self._send(handler, status, body.encode(), headers)

    def _authorized(self, handler: BaseHTTPRequestHandler, repo: str) -> bool:
        given = handler.headers.get("Authorization", "")
        if self.auth == "none":
            return True
        if self.auth == "basic":
            expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if given == f"Basic {expected}":
                return True
            self._error(
                handler, 401, "UNAUTHORIZED", {"WWW-Authenticate": 'Basic realm="fake registry"'}
            )
            return False
        token = given.removeprefix("Bearer ")
        if (
            given.startswith("Bearer ")
            and token in self.tokens
            and (self.tokens[token] or not self.private)
        ):
            return True
        scope = f',scope="repository:{repo}:pull,push"' if repo else ""
        challenge = f'Bearer realm="http://{self.host}/token",service="fake-registry"{scope}'
        self._error(handler, 401, "UNAUTHORIZED", {"WWW-Authenticate": challenge})
        return False

    def _token(self, handler: BaseHTTPRequestHandler, query: dict[str, list[str]]) -> None:
        self.token_requests.append(query)
        given = handler.headers.get("Authorization", "")
        with_credentials = False
        if given:
            expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if given != f"Basic {expected}":
                self._send(handler, 401, b'{"details":"incorrect username or password"}')
                return
            with_credentials = True
        token = secrets.token_hex(8)
        self.tokens[token] = with_credentials
        body = json.dumps({self.token_field: token, "expires_in": 300}).encode()
        self._send(handler, 200, body, {"Content-Type": "application/json"})

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        self.seen.append(Seen(method, url.path, dict(handler.headers.items())))
        if url.path == "/token":
            self._token(handler, parse_qs(url.query))
            return
        if url.path.startswith("/cdn/"):
            self._blob(handler, url.path.removeprefix("/cdn/"))
            return
        if url.path == "/v2/":
            if self._authorized(handler, ""):
                self._send(handler, 200, b"{}", {"Content-Type": "application/json"})
            return
        name, kind, reference = self._split(url.path)
        if not kind:
            self._error(handler, 404, "NOT_FOUND")
            return
        if not self._authorized(handler, name):
            return
        if kind == "manifests":
            found = self.manifests.get((name, reference))
            if found is None:
                known = any(repo == name for repo, _ in self.manifests)
                self._error(handler, 404, "MANIFEST_UNKNOWN" if known else "NAME_UNKNOWN")
                return
            raw, media_type = found
            headers = {"Content-Type": media_type, "Docker-Content-Digest": sha256(raw)}
            self._send(handler, 200, raw, headers)
        elif self.redirect_blobs:
            location = f"http://localhost:{self.host.split(':')[1]}/cdn/{reference}"
            self._send(handler, 307, b"", {"Location": location})
        else:
            self._blob(handler, reference)

    def _blob(self, handler: BaseHTTPRequestHandler, digest: str) -> None:
        data = self.blobs.get(digest)
        if data is None:
            self._error(handler, 404, "BLOB_UNKNOWN")
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        sent = 0
        try:
            for start in range(0, len(data), 16384):
                handler.wfile.write(data[start : start + 16384])
                sent += len(data[start : start + 16384])
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.blob_reads[digest] = self.blob_reads.get(digest, 0) + sent

    @staticmethod
    def _split(path: str) -> tuple[str, str, str]:
        for kind in ("manifests", "blobs"):
            marker = f"/{kind}/"
            if path.startswith("/v2/") and marker in path:
                name, _, reference = path.removeprefix("/v2/").rpartition(marker)
                return name, kind, reference
        return "", "", ""


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    with FakeRegistry() as server:
        yield server


def creds(username: str = USER, secret: str = PASSWORD) -> Credential:
    return Credential(username, secret, "the test")


def client_for(server: FakeRegistry, credential: Credential | None = None) -> RegistryClient:
    return RegistryClient(server.host, insecure=True, credentials=lambda: credential, timeout=5)


def simple_image(server: FakeRegistry, repo: str = "org/app", tag: str = "1.0") -> dict[str, Any]:
    return server.put_image(repo, tag, layers=[tar_layer(file("app", b"hello"))])


# -- tests ------------------------------------------------------------------------------


def test_anonymous_manifest_and_blob(registry: FakeRegistry) -> None:
    descriptor = simple_image(registry)
    with client_for(registry) as client:
        manifest = client.get_manifest("org/app", "1.0")
        assert manifest.digest == descriptor["digest"]
        assert manifest.media_type == OCI_MANIFEST and not manifest.is_index
        config = json.loads(client.get_blob("org/app", manifest.data["config"]["digest"]))
        assert config["architecture"] == "amd64"
        assert client.auth_method == "anonymous" and not client.sent_credentials
    # All four manifest types, every time.
    accepts = [
        seen.headers.get("Accept", "") for seen in registry.seen if "/manifests/" in seen.path
    ]
    assert accepts == [MANIFEST_ACCEPT]
    for media_type in (OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST):
        assert media_type in MANIFEST_ACCEPT


def test_manifest_by_digest_and_types(registry: FakeRegistry) -> None:
    image = registry.put_image("org/app", None, layers=[], media_type=DOCKER_MANIFEST)
    registry.put_index(
        "org/app", "list", [(image, {"os": "linux", "architecture": "amd64"})], DOCKER_MANIFEST_LIST
    )
    with client_for(registry) as client:
        assert client.get_manifest("org/app", image["digest"]).media_type == DOCKER_MANIFEST
        index = client.get_manifest("org/app", "list")
        assert index.is_index and index.media_type == DOCKER_MANIFEST_LIST


def test_bearer_token_flow(registry: FakeRegistry) -> None:
    registry.auth = "bearer"
    simple_image(registry)
    with client_for(registry) as client:
        client.get_manifest("org/app", "1.0")
        client.get_manifest("org/app", "1.0")  # the token is reused: no second challenge
    assert len(registry.token_requests) == 1
    query = registry.token_requests[0]
    assert query["service"] == ["fake-registry"]
    # The scope came from a quoted value with a comma inside.
    assert query["scope"] == ["repository:org/app:pull,push"]
    assert "account" not in query
    assert client.auth_method == "bearer token, anonymous"


@pytest.mark.parametrize("token_field", ["token", "access_token"])
def test_bearer_with_credentials(registry: FakeRegistry, token_field: str) -> None:
    registry.auth, registry.private, registry.token_field = "bearer", True, token_field
    simple_image(registry)
    with client_for(registry, creds()) as client:
        assert client.get_manifest("org/app", "1.0").media_type == OCI_MANIFEST
        assert client.sent_credentials
    token_call = next(seen for seen in registry.seen if seen.path == "/token")
    expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert token_call.headers["Authorization"] == f"Basic {expected}"
    assert registry.token_requests[0]["account"] == [USER]


def test_bearer_private_without_credentials(registry: FakeRegistry) -> None:
    registry.auth, registry.private = "bearer", True
    simple_image(registry)
    with client_for(registry) as client, pytest.raises(AuthError) as caught:
        client.get_manifest("org/app", "1.0")
    assert "needs credentials" in str(caught.value)
    assert f"docker login {registry.host}" in str(caught.value)


def test_bearer_bad_credentials_never_show_the_secret(registry: FakeRegistry) -> None:
    registry.auth = "bearer"
    simple_image(registry)
    with (
        client_for(registry, creds(secret="wrong-secret-value")) as client,
        pytest.raises(AuthError) as caught,
    ):
        client.get_manifest("org/app", "1.0")
    error: BaseException | None = caught.value
    assert "rejected" in str(caught.value) and "the test" in str(caught.value)
    while error is not None:  # nor anywhere in the chain
        assert "wrong-secret-value" not in f"{error} {error!r}"
        error = error.__cause__ or error.__context__


def test_basic_auth(registry: FakeRegistry) -> None:
    registry.auth = "basic"
    simple_image(registry)
    with client_for(registry, creds()) as client:
        assert client.get_manifest("org/app", "1.0")
        assert client.auth_method.startswith("basic auth")
    with client_for(registry) as client, pytest.raises(AuthError, match="needs credentials"):
        client.get_manifest("org/app", "1.0")
    with (
        client_for(registry, creds(secret="nope-nope")) as client,
        pytest.raises(AuthError) as caught,
    ):
        client.get_manifest("org/app", "1.0")
    assert "rejected" in str(caught.value) and "nope-nope" not in str(caught.value)


def test_credentials_are_looked_up_only_when_asked(registry: FakeRegistry) -> None:
    simple_image(registry)
    calls: list[int] = []

    def provider() -> Credential | None:
        calls.append(1)
        return creds()

    with RegistryClient(registry.host, insecure=True, credentials=provider) as client:
        client.get_manifest("org/app", "1.0")
    assert calls == []


def test_not_found_messages(registry: FakeRegistry) -> None:
    simple_image(registry)
    with client_for(registry) as client:
        with pytest.raises(NotFoundError, match=r"tag not found: .*org/app:2\.0"):
            client.get_manifest("org/app", "2.0")
        with pytest.raises(NotFoundError, match="repository not found"):
            client.get_manifest("org/other", "1.0")
        with pytest.raises(NotFoundError, match="blob not found"):
            client.get_blob("org/app", sha256(b"nothing"))


def test_unreachable_and_tls_hint() -> None:
    with FakeRegistry() as server:
        host = server.host
    with (
        RegistryClient(host, insecure=True, timeout=2) as client,
        pytest.raises(UnreachableError, match="cannot connect"),
    ):
        client.get_manifest("org/app", "1.0")
    with (
        FakeRegistry() as server,
        RegistryClient(server.host, timeout=5) as client,
        pytest.raises(UnreachableError, match="--insecure"),
    ):
        client.get_manifest("org/app", "1.0")


def test_blob_digest_is_checked(registry: FakeRegistry) -> None:
    digest = registry.put_blob(b"original")
    registry.blobs[digest] = b"tampered"
    with client_for(registry) as client, pytest.raises(RegistryError, match="does not match"):
        client.get_blob("org/app", digest)


def test_redirected_blob_does_not_carry_the_authorization(registry: FakeRegistry) -> None:
    registry.auth, registry.redirect_blobs = "basic", True
    digest = registry.put_blob(b"layer bytes")
    with client_for(registry, creds()) as client:
        assert client.get_blob("org/app", digest) == b"layer bytes"
        with client.open_blob("org/app", digest) as stream:
            assert stream.read() == b"layer bytes"
    cdn = [seen for seen in registry.seen if seen.path.startswith("/cdn/")]
    assert len(cdn) == 2
    assert all("Authorization" not in seen.headers for seen in cdn)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
            'scope="repository:library/alpine:pull,push"',
            [
                Challenge(
                    "bearer",
                    {
                        "realm": "https://auth.docker.io/token",
                        "service": "registry.docker.io",
                        "scope": "repository:library/alpine:pull,push",
                    },
                )
            ],
        ),
        ('Basic realm="Registry Realm"', [Challenge("basic", {"realm": "Registry Realm"})]),
        (
            'Basic realm="a, b", Bearer realm="https://x/token", error="insufficient_scope"',
            [
                Challenge("basic", {"realm": "a, b"}),
                Challenge("bearer", {"realm": "https://x/token", "error": "insufficient_scope"}),
            ],
        ),
        # unquoted values, spaces around "=", upper-case names, escapes
        (
            'BEARER Realm = https://x/t , Service=reg, scope="a\\"b"',
            [
                Challenge(
                    "bearer",
                    {"realm": "https://x/t", "service": "reg", "scope": 'a"b'},
                )
            ],
        ),
        (
            "Negotiate abc==, Basic realm=r",
            [Challenge("negotiate"), Challenge("basic", {"realm": "r"})],
        ),
        ("", []),
    ],
)
def test_parse_www_authenticate(header: str, expected: list[Challenge]) -> None:
    assert parse_www_authenticate(header) == expected
