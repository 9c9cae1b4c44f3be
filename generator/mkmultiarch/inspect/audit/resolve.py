"""Ask the registries which platforms each unique reference has, concurrently.

One resolution per unique normalized reference: the manifest by tag or
digest; a list's platforms are its entries' (attestation entries,
`unknown/unknown`, are not platforms); a single image's platform is read from
its config blob. So a list costs one GET and a single-arch image two, plus
whatever the registry's auth asks for (a 401 answered once per client).

Requests run on a bounded thread pool. Each worker thread has its own
RegistryClient per registry: the client's auth state (a bearer token scoped to
one repository) is not shared between threads. The client is used as it is;
two httpx event hooks are added to its connection: one counts every request
(the benchmark's number), one notes a 429's Retry-After, which is honoured
here, bounded: at most MAX_RETRIES more tries, each wait capped at MAX_WAIT.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from mkmultiarch.errors import MkmultiarchError
from mkmultiarch.inspect import credentials as docker_credentials
from mkmultiarch.inspect.credentials import Credential
from mkmultiarch.inspect.imageref import DOCKER_HUB, ImageRef
from mkmultiarch.inspect.platforms import Platform
from mkmultiarch.inspect.registry import (
    MEDIA_TYPE_NAMES,
    RegistryClient,
    RegistryError,
    UnreachableError,
)

WORKERS = 8
MAX_RETRIES = 3
MAX_WAIT = 20.0  # seconds, for one Retry-After
DEFAULT_WAIT = 1.0  # a 429 without a usable Retry-After
ATTESTATION_ANNOTATION = "vnd.docker.reference.type"

T = TypeVar("T")


@dataclass(frozen=True)
class Resolution:
    """What the registry says about one reference, or why it could not be asked."""

    reference: str
    platforms: tuple[Platform, ...] = ()  # attestation entries left out
    digest: str = ""
    media_type: str = ""
    is_list: bool = False
    attestations: int = 0
    error: str = ""

    @property
    def kind(self) -> str:
        return MEDIA_TYPE_NAMES.get(self.media_type, self.media_type)


def canonical(ref: ImageRef) -> str:
    """The reference as reported and deduplicated: a digest-pinned one by its digest alone
    (a tag beside a digest is ignored by Docker too)."""
    if ref.digest:
        return f"{ref.registry}/{ref.repository}@{ref.digest}"
    return str(ref)


def retry_after(value: str | None, now: float | None = None) -> float:
    """Seconds a Retry-After asks for (delta-seconds or an HTTP date); DEFAULT_WAIT if unusable."""
    if not value:
        return DEFAULT_WAIT
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return DEFAULT_WAIT
    return max(0.0, when - (time.time() if now is None else now))


@dataclass
class _Connection:
    """A worker thread's client for one registry, with the last 429's wait."""

    client: RegistryClient
    throttled: float | None = None

    def on_response(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            self.throttled = retry_after(response.headers.get("retry-after"))


@dataclass
class Resolver:
    """Resolve references against their registries; count the HTTP requests made."""

    insecure: Callable[[str], bool] = lambda registry: False
    credentials: Callable[[str], Credential | None] = docker_credentials.lookup
    workers: int = WORKERS
    max_retries: int = MAX_RETRIES
    max_wait: float = MAX_WAIT
    sleep: Callable[[float], None] = time.sleep
    timeout: float = 30.0
    requests: int = 0
    waits: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)
    _connections: list[_Connection] = field(default_factory=list)
    _credentials: dict[str, Credential | None] = field(default_factory=dict)
    _down: dict[str, str] = field(default_factory=dict)  # registry -> why it did not answer

    # -- clients -------------------------------------------------------------------------

    def _count(self, request: httpx.Request) -> None:
        with self._lock:
            self.requests += 1

    def _credential(self, registry: str) -> Credential | None:
        """One lookup per registry (a credential helper runs once), shared by the threads."""
        with self._lock:
            if registry not in self._credentials:
                self._credentials[registry] = self.credentials(registry)
            return self._credentials[registry]

    def _connection(self, registry: str) -> _Connection:
        connections: dict[str, _Connection] = self._local.__dict__.setdefault("by_registry", {})
        if registry not in connections:
            client = RegistryClient(
                registry,
                insecure=self.insecure(registry) and registry != DOCKER_HUB,
                credentials=lambda: self._credential(registry),
                timeout=self.timeout,
            )
            connection = _Connection(client)
            http: httpx.Client = client._http  # the hooks are httpx's public API
            hooks = http.event_hooks
            hooks["request"] = [*hooks.get("request", []), self._count]
            hooks["response"] = [*hooks.get("response", []), connection.on_response]
            http.event_hooks = hooks
            connections[registry] = connection
            with self._lock:
                self._connections.append(connection)
        return connections[registry]

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.client.close()
            self._connections.clear()

    # -- one reference -------------------------------------------------------------------

    def _call(self, connection: _Connection, request: Callable[[], T]) -> T:
        """REQUEST, again after a 429 (waiting what Retry-After asks, capped), bounded."""
        for attempt in range(self.max_retries + 1):
            connection.throttled = None
            try:
                return request()
            except RegistryError:
                wait = connection.throttled
                if wait is None or attempt == self.max_retries:
                    if wait is not None:
                        raise RegistryError(
                            f"rate limited (429) by {connection.client.registry}; "
                            f"gave up after {self.max_retries} retries"
                        ) from None
                    raise
                wait = min(wait, self.max_wait)
                with self._lock:
                    self.waits.append(wait)
                self.sleep(wait)
        raise AssertionError("unreachable")

    def resolve(self, ref: ImageRef) -> Resolution:
        """Ask REF's registry; a failure is a Resolution with an error, never an exception.

        A registry that did not answer at all is not asked again in this run: the
        references still queued for it fail at once instead of each waiting a timeout.
        """
        with self._lock:
            down = self._down.get(ref.registry)
        if down is not None:
            return Resolution(canonical(ref), error=down)
        try:
            return self._resolve(ref)
        except UnreachableError as error:
            with self._lock:
                self._down.setdefault(ref.registry, str(error))
            return Resolution(canonical(ref), error=str(error))
        except MkmultiarchError as error:
            return Resolution(canonical(ref), error=str(error))

    def _resolve(self, ref: ImageRef) -> Resolution:
        connection = self._connection(ref.registry)
        client = connection.client
        top = self._call(connection, lambda: client.get_manifest(ref.repository, ref.reference))
        if not top.is_index:
            config = top.data.get("config")
            digest = config.get("digest") if isinstance(config, dict) else None
            if not isinstance(digest, str) or not digest:
                raise RegistryError(f"{ref}: the image manifest names no config blob")
            blob = self._call(connection, lambda: client.get_blob(ref.repository, digest))
            try:
                data: Any = json.loads(blob)
            except ValueError:
                raise RegistryError(f"{ref}: the image config is not JSON") from None
            platform = Platform.from_json(data)
            return Resolution(str(ref), (platform,), top.digest, top.media_type, is_list=False)
        platforms: list[Platform] = []
        attestations = 0
        for entry in top.data.get("manifests") or []:
            if not isinstance(entry, dict):
                continue
            platform = Platform.from_json(entry.get("platform"))
            annotations = entry.get("annotations")
            kind = annotations.get(ATTESTATION_ANNOTATION) if isinstance(annotations, dict) else ""
            if platform.is_unknown or kind == "attestation-manifest":
                attestations += 1
            elif platform not in platforms:
                platforms.append(platform)
        return Resolution(
            canonical(ref), tuple(platforms), top.digest, top.media_type, True, attestations
        )

    def resolve_all(self, refs: Iterable[ImageRef]) -> dict[str, Resolution]:
        """Each unique reference resolved once, at most WORKERS at a time; by canonical()."""
        unique = {canonical(ref): ref for ref in refs}
        if not unique:
            return {}
        try:
            with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
                results = list(pool.map(self.resolve, unique.values()))
        finally:
            self.close()
        return dict(zip(unique, results, strict=True))
