"""HTTP to a registry: the connection, TLS trust, failures in words, and the errors.

httpx gives timeouts on connect and read, streamed bodies (layers are read
only as far as needed), and redirects that drop the Authorization header when
they leave the registry's origin (blob downloads are often redirected to a CDN
or an object store, which must not see the registry credentials).

Every exception message is one line for the user and holds no secret.
"""

from __future__ import annotations

import io
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from mkmultiarch import __version__
from mkmultiarch.errors import CannotCheckError
from mkmultiarch.inspect.limits import Deadline, LimitError, size

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

DEFAULT_TIMEOUT = 30.0
DOCKER_CERTS_DIR = Path("/etc/docker/certs.d")


class RegistryError(CannotCheckError):
    """The registry could not be asked (unreachable, refused, broken answer)."""


class UnreachableError(RegistryError):
    """No HTTP answer: connection refused, DNS, TLS, timeout."""


class NotFoundError(RegistryError):
    """The registry answered 404 for a manifest or blob."""


class AuthError(RegistryError):
    """The registry wants credentials that are missing or were rejected."""


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


def connect(host: str, *, insecure: bool, timeout: float) -> httpx.Client:
    """An HTTP client for HOST: plain HTTP when insecure, else Docker's TLS trust."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        headers={"User-Agent": f"mkmultiarch/{__version__}"},
        verify=False if insecure else ssl_context(host),
    )


def failure_reason(error: httpx.HTTPError, where: str, timeout: float) -> str:
    """Why a request to WHERE got no answer, in one line, with the fix when there is one."""
    text = str(error).strip() or type(error).__name__
    if isinstance(error, httpx.TimeoutException):
        return f"no answer from {where} within {timeout:g}s"
    if isinstance(error, httpx.ConnectError):
        if any(mark in text.upper() for mark in ("SSL", "TLS", "CERTIFICATE")):
            return (
                f"TLS with {where} failed ({text}); if it is a plain-HTTP registry, use --insecure"
            )
        return f"cannot connect to {where} ({text})"
    return f"talking to {where} failed ({type(error).__name__}: {text})"


def read_capped(
    response: httpx.Response,
    limit: int,
    what: str,
    deadline: Deadline,
    where: str,
    timeout: float,
) -> bytes:
    """The body of a streamed response, at most LIMIT bytes, before the deadline; closes it.

    The deadline is checked on every chunk: a server trickling its body one
    byte at a time is stopped by it, not only by the socket's read timeout.
    """
    chunks: list[bytes] = []
    count = 0
    try:
        for chunk in response.iter_bytes():
            count += len(chunk)
            if count > limit:
                raise LimitError(f"{what} is larger than {size(limit)}; not reading it")
            deadline.check(f"reading {what}")
            chunks.append(chunk)
    except httpx.HTTPError as error:
        if deadline.expired:
            raise deadline.error(f"reading {what}") from None
        raise RegistryError(failure_reason(error, where, timeout)) from None
    finally:
        response.close()
    return b"".join(chunks)


class ResponseStream(io.RawIOBase):
    """A streamed httpx response body as a file, for tarfile's stream mode; checks the deadline."""

    def __init__(self, response: httpx.Response, describe: str, deadline: Deadline) -> None:
        self._chunks = response.iter_bytes()
        self._pending = b""
        self._describe = describe
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending:
            self._deadline.check(f"reading {self._describe}")
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            except httpx.HTTPError as error:
                self._deadline.check(f"reading {self._describe}")
                raise RegistryError(f"reading {self._describe}: {type(error).__name__}") from None
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
