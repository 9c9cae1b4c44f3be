"""audit's resolver against the in-process registry: one request per list, two per single
image, attestations left out, digests, failures as results, 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import pytest

from mkmultiarch.inspect.audit.resolve import Resolver, canonical, retry_after
from mkmultiarch.inspect.credentials import Credential
from mkmultiarch.inspect.imageref import parse_reference
from mkmultiarch.inspect.platforms import Platform
from tests.support.fake_registry import FakeRegistry, Seen, creds
from tests.support.images import image, platform


@dataclass
class ThrottlingRegistry(FakeRegistry):
    """A FakeRegistry that answers 429 (with Retry-After) to the first requests of a path."""

    throttle: dict[str, int] = field(default_factory=dict)  # path -> 429s still to send
    retry_after: str = "2"

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        path = urlsplit(handler.path).path
        if self.throttle.get(path, 0) > 0:
            self.throttle[path] -= 1
            self.seen.append(Seen(method, path, dict(handler.headers.items())))
            self._error(handler, 429, "TOOMANYREQUESTS", {"Retry-After": self.retry_after})
            return
        super()._handle(handler, method)


@pytest.fixture
def throttling() -> Iterator[ThrottlingRegistry]:
    server = ThrottlingRegistry()
    with server:
        yield server


def resolver(*, workers: int = 8, max_retries: int = 3, max_wait: float = 20.0) -> Resolver:
    """A resolver for the plain-HTTP fake registry, anonymous, that never really sleeps."""
    return Resolver(
        insecure=lambda registry: True,
        credentials=lambda registry: None,
        workers=workers,
        max_retries=max_retries,
        max_wait=max_wait,
        sleep=lambda seconds: None,
        timeout=5,
    )


def pushed_list(registry: FakeRegistry, repo: str, tag: str) -> None:
    entries = [
        (image(registry, "amd64"), platform("amd64")),
        (image(registry, "arm64"), platform("arm64")),
        (image(registry, "amd64"), {"os": "unknown", "architecture": "unknown"}),
    ]
    registry.put_index(repo, tag, entries)
    # the images were pushed to tests.support.images.REPO; the index names them only
    registry.seen.clear()


def test_a_list_costs_one_request_and_attestations_are_not_platforms(
    registry: FakeRegistry,
) -> None:
    pushed_list(registry, "org/app", "1.0")
    ref = parse_reference(f"{registry.host}/org/app:1.0")
    made = resolver()
    (result,) = made.resolve_all([ref, ref]).values()
    assert result.error == ""
    assert result.is_list
    assert result.platforms == (Platform("linux", "amd64"), Platform("linux", "arm64"))
    assert result.attestations == 1
    assert [seen.path for seen in registry.seen] == ["/v2/org/app/manifests/1.0"]
    assert made.requests == 1


def test_a_single_image_reads_its_config(registry: FakeRegistry) -> None:
    image(registry, "arm", "v7", tag="single")
    made = resolver()
    ref = parse_reference(f"{registry.host}/org/app:single")
    result = made.resolve_all([ref])[canonical(ref)]
    assert not result.is_list
    assert result.platforms == (Platform("linux", "arm", "v7"),)
    assert made.requests == 2


def test_a_digest_is_checked_at_that_digest(registry: FakeRegistry) -> None:
    descriptor = image(registry, "amd64")
    text = f"{registry.host}/org/app:ignored@{descriptor['digest']}"
    ref = parse_reference(text)
    assert canonical(ref) == f"{registry.host}/org/app@{descriptor['digest']}"
    result = resolver().resolve(ref)
    assert result.digest == descriptor["digest"]
    assert registry.seen[0].path == f"/v2/org/app/manifests/{descriptor['digest']}"


def test_failures_are_results(registry: FakeRegistry) -> None:
    image(registry, "amd64", tag="there")
    missing = parse_reference(f"{registry.host}/org/app:gone")
    unknown = parse_reference(f"{registry.host}/org/nothing:1")
    down = parse_reference("127.0.0.1:9/org/app:1")
    results = resolver().resolve_all([missing, unknown, down])
    assert "tag not found" in results[str(missing)].error
    assert "repository not found" in results[str(unknown)].error
    assert "cannot connect" in results[str(down)].error


def test_an_unreachable_registry_is_asked_once() -> None:
    refs = [parse_reference(f"127.0.0.1:9/org/app{number}:1") for number in range(5)]
    made = resolver(workers=1)
    results = made.resolve_all(refs)
    assert all("cannot connect to http://127.0.0.1:9" in r.error for r in results.values())
    assert made.requests == 1


def test_credentials_are_looked_up_once_per_registry() -> None:
    asked: list[str] = []

    def lookup(registry: str) -> Credential | None:
        asked.append(registry)
        return creds()

    with FakeRegistry(auth="basic") as server:
        for tag in ("a", "b", "c", "d"):
            image(server, "amd64", tag=tag)
        refs = [parse_reference(f"{server.host}/org/app:{tag}") for tag in "abcd"]
        made = Resolver(insecure=lambda registry: True, credentials=lookup, workers=4)
        results = made.resolve_all(refs)
    assert all(not result.error for result in results.values())
    assert asked == [server.host]


def test_many_references_concurrently(registry: FakeRegistry) -> None:
    refs = []
    for number in range(24):
        pushed_list(registry, f"org/app{number}", "1")
        refs.append(parse_reference(f"{registry.host}/org/app{number}:1"))
    made = resolver(workers=8)
    results = made.resolve_all(refs)
    assert len(results) == 24
    assert all(len(result.platforms) == 2 for result in results.values())
    assert made.requests == 24


def test_429_retry_after_is_honoured(throttling: ThrottlingRegistry) -> None:
    pushed_list(throttling, "org/app", "1.0")
    throttling.throttle["/v2/org/app/manifests/1.0"] = 2
    made = resolver()
    slept: list[float] = []
    made.sleep = slept.append
    result = made.resolve(parse_reference(f"{throttling.host}/org/app:1.0"))
    assert result.error == ""
    assert len(result.platforms) == 2
    assert slept == [2.0, 2.0]
    assert made.requests == 3


def test_429_waits_are_capped_and_retries_bounded(throttling: ThrottlingRegistry) -> None:
    pushed_list(throttling, "org/app", "1.0")
    throttling.throttle["/v2/org/app/manifests/1.0"] = 100
    throttling.retry_after = "3600"
    made = resolver(max_retries=3, max_wait=5.0)
    slept: list[float] = []
    made.sleep = slept.append
    result = made.resolve(parse_reference(f"{throttling.host}/org/app:1.0"))
    assert slept == [5.0, 5.0, 5.0]
    assert "rate limited (429)" in result.error
    assert "gave up after 3 retries" in result.error
    assert made.requests == 4


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (None, 1.0),
        ("soon", 1.0),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
    ],
)
def test_retry_after_values(value: str | None, expected: float) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert retry_after(value, now=now) == expected


@pytest.mark.parametrize(
    ("written", "normalized"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.25", "docker.io/library/nginx:1.25"),
        ("index.docker.io/library/nginx", "docker.io/library/nginx:latest"),
        ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
        ("ghcr.io/org/app:v1", "ghcr.io/org/app:v1"),
        ("nginx@sha256:" + "a" * 64, "docker.io/library/nginx@sha256:" + "a" * 64),
    ],
)
def test_normalization(written: str, normalized: str) -> None:
    assert canonical(parse_reference(written)) == normalized
