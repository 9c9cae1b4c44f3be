"""A tiny in-process registry: real HTTP on 127.0.0.1.

FakeRegistry serves manifests and blobs from memory behind no auth, Basic
auth, or the Bearer token flow with its own token endpoint, and records what
it was asked.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mkmultiarch.inspect.credentials import Credential
from mkmultiarch.inspect.registry import OCI_INDEX, OCI_MANIFEST, RegistryClient
from tests.support.layers import file, sha256, tar_layer

USER, PASSWORD = "alice", "s3cret-pa55word"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"


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
        tag: str | None,
        entries: Sequence[tuple[dict[str, Any], dict[str, Any] | None]],
        media_type: str = OCI_INDEX,
        annotations: Sequence[dict[str, str] | None] | None = None,
    ) -> dict[str, Any]:
        """Push a list of (descriptor, platform) entries under TAG (None: by digest only)."""
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


def creds(username: str = USER, secret: str = PASSWORD) -> Credential:
    return Credential(username, secret, "the test")


def client_for(server: FakeRegistry, credential: Credential | None = None) -> RegistryClient:
    return RegistryClient(server.host, insecure=True, credentials=lambda: credential, timeout=5)


def simple_image(server: FakeRegistry, repo: str = "org/app", tag: str = "1.0") -> dict[str, Any]:
    return server.put_image(repo, tag, layers=[tar_layer(file("app", b"hello"))])
