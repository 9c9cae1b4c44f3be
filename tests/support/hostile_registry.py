"""A hostile registry for the limit tests, and the real CLI run under a memory limit.

HostileRegistry is a FakeRegistry (real HTTP on 127.0.0.1) where a path can
be given a behaviour of its own: a body that claims and streams a gigabyte, a
manifest trickled a byte at a time, a layer that never ends. Every behaviour
is a bounded loop, and stops as soon as the client hangs up. TokenServer is a
token service on another loopback address (127.0.0.2) that records what it is
sent. run_cli runs `python -m mkmultiarch` as a subprocess with its address
space limited to 1 GiB and a timeout.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import resource
import secrets
import struct
import subprocess
import sys
import tarfile
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import zstandard

from tests.support.fake_registry import FakeRegistry, Seen

Behaviour = Callable[[BaseHTTPRequestHandler], None]
MEMORY_LIMIT = 1 << 30
GIB = 1 << 30
CHUNK = 1 << 16


def stream(
    handler: BaseHTTPRequestHandler,
    chunks: Iterable[bytes],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    length: int | None = None,
) -> None:
    """Send STATUS and HEADERS, then CHUNKS until they end or the client hangs up."""
    handler.send_response(status)
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    if length is not None:
        handler.send_header("Content-Length", str(length))
    handler.end_headers()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, OSError):
        for chunk in chunks:
            handler.wfile.write(chunk)
            handler.wfile.flush()


def repeat(chunk: bytes, total: int) -> Iterator[bytes]:
    """CHUNK again and again, TOTAL bytes in all at most (the loop is bounded)."""
    for _ in range(total // len(chunk)):
        yield chunk


def trickle(data: bytes, every: float, limit: int = 120) -> Iterator[bytes]:
    """DATA one byte at a time, one every EVERY seconds; at most LIMIT bytes."""
    for byte in data[:limit]:
        yield bytes([byte])
        time.sleep(every)


def paced(chunks: Iterable[bytes], every: float) -> Iterator[bytes]:
    """CHUNKS with a pause of EVERY seconds after each."""
    for chunk in chunks:
        yield chunk
        time.sleep(every)


def tar_header(name: str, claimed: int, kind: bytes = tarfile.REGTYPE) -> bytes:
    """One tar header block of a member NAME (a regular file) whose header claims CLAIMED bytes."""
    info = tarfile.TarInfo(name)
    info.size, info.type = claimed, kind
    info.mode = 0o755
    return info.tobuf(format=tarfile.GNU_FORMAT)


def gzip_bomb(decompressed: int) -> bytes:
    """A small gzip (about 1/1000) of a tar whose first member `filler` holds DECOMPRESSED zeros.

    Built from one gzip member of 64 MiB of zeros, repeated: gzip members
    concatenated decompress to the concatenation.
    """
    block = 64 << 20
    zeros = zlib.compressobj(9, zlib.DEFLATED, 31)
    member = zeros.compress(bytes(block)) + zeros.flush()
    count = decompressed // block
    header = gzip.compress(tar_header("filler", count * block), mtime=0)
    return header + member * count


ZSTD_BLOCK = 128 << 10  # the largest zstd block


def zstd_zeros_frame(decompressed: int, declared: int | None = None) -> bytes:
    """A zstd frame of DECOMPRESSED zeros (a multiple of 128 KiB), 4 bytes per 128 KiB block.

    Written by hand: one RLE block (a 3-byte header, then the byte to repeat)
    per 128 KiB. The frame header declares DECLARED as its content size
    (default: DECOMPRESSED), and a window of 128 KiB.
    """
    content_size = decompressed if declared is None else declared
    header = b"\x28\xb5\x2f\xfd" + b"\xc0\x38" + struct.pack("<Q", content_size)
    count = decompressed // ZSTD_BLOCK
    blocks = [struct.pack("<I", (ZSTD_BLOCK << 3) | 0b010)[:3] + b"\x00"] * count
    if blocks:
        blocks[-1] = struct.pack("<I", (ZSTD_BLOCK << 3) | 0b011)[:3] + b"\x00"  # the last
    return header + b"".join(blocks)


def zstd_skippable_frame(data: bytes) -> bytes:
    return struct.pack("<II", 0x184D2A50, len(data)) + data


def zstd_bomb(decompressed: int) -> bytes:
    """A small zstd (about 1/32768) of a tar whose first member `filler` holds DECOMPRESSED zeros.

    Two frames: the tar header, then zeros in a frame that declares its whole size.
    """
    count = decompressed // ZSTD_BLOCK * ZSTD_BLOCK
    header = zstandard.ZstdCompressor().compress(tar_header("filler", count))
    return header + zstd_zeros_frame(count)


def endless_gzip_tar(first: bytes, total: int = 64 * GIB) -> Iterator[bytes]:
    """A gzip stream of FIRST then zeros, generated as it is sent: at most TOTAL bytes of it."""
    deflate = zlib.compressobj(1, zlib.DEFLATED, 31)
    yield deflate.compress(first)
    zeros = bytes(1 << 20)
    for _ in range(total >> 20):
        out = deflate.compress(zeros)
        if out:
            yield out
    yield deflate.flush()


@dataclass
class HostileRegistry(FakeRegistry):
    """A FakeRegistry where PATHS maps a URL path to a behaviour of its own."""

    paths: dict[str, Behaviour] = field(default_factory=dict)
    realm: str = ""  # bearer: the token service the challenge names (default: its own /token)

    def __enter__(self) -> HostileRegistry:
        super().__enter__()
        return self

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        path = urlsplit(handler.path).path
        behaviour = self.paths.get(path)
        if behaviour is None:
            super()._handle(handler, method)
            return
        self.seen.append(Seen(method, path, dict(handler.headers.items())))
        behaviour(handler)

    def _authorized(self, handler: BaseHTTPRequestHandler, repo: str) -> bool:
        if not self.realm:
            return super()._authorized(handler, repo)
        given = handler.headers.get("Authorization", "")
        if given.startswith("Bearer ") and given.removeprefix("Bearer ") in self.tokens:
            return True
        challenge = f'Bearer realm="{self.realm}",service="fake-registry"'
        self._error(handler, 401, "UNAUTHORIZED", {"WWW-Authenticate": challenge})
        return False


@dataclass
class TokenServer:
    """A token service on ADDRESS that records the headers it was sent and issues tokens."""

    tokens: dict[str, bool]  # shared with the registry that accepts them
    address: str = "127.0.0.2"
    refuse_anonymous: bool = False  # answer 401 to a request without credentials
    seen: list[dict[str, str]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{self.address}:{self._server.server_address[1]}/token"

    def __enter__(self) -> TokenServer:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                service.seen.append(dict(self.headers.items()))
                if service.refuse_anonymous and "Authorization" not in self.headers:
                    stream(self, [b"{}"], status=401, length=2)
                    return
                token = secrets.token_hex(8)
                service.tokens[token] = "Authorization" in self.headers
                body = json.dumps({"token": token}).encode()
                stream(self, [body], headers={"Content-Type": "application/json"}, length=len(body))

            do_POST = do_GET

        self._server = ThreadingHTTPServer((self.address, 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str
    seconds: float


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 90.0, memory: bool = True
) -> Ran:
    """`python -m mkmultiarch ARGS` with 1 GiB of address space, killed after TIMEOUT."""
    environ = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mkmultiarch", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environ,
        preexec_fn=_limit_memory if memory else None,
        check=False,
    )
    return Ran(result.returncode, result.stdout, result.stderr, time.monotonic() - started)


def tar_of(members: Mapping[str, bytes]) -> bytes:
    """An uncompressed tar of regular files."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
