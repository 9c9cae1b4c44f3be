"""The registry client against a tiny in-process registry: real HTTP on 127.0.0.1.

The registry is tests/support/fake_registry.py's FakeRegistry (also used by
the verify and doctor tests).
"""

from __future__ import annotations

import base64
import json

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
from tests.support.fake_registry import (
    PASSWORD,
    USER,
    FakeRegistry,
    client_for,
    creds,
    simple_image,
)
from tests.support.layers import sha256


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
