"""Credentials from Docker's config.json: credHelpers, credsStore, auths; image references."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from mkmultiarch.inspect.credentials import (
    Credential,
    CredentialsError,
    docker_config_dir,
    lookup,
    server_url,
)
from mkmultiarch.inspect.imageref import ImageRef, ImageRefError, parse_reference

HELPER = r"""#!/bin/sh
# A fake docker-credential-test: logs what it was asked, answers from a fixed table.
[ "$1" = get ] || { echo "unknown action $1" >&2; exit 2; }
url=$(cat)
printf '%s\n' "$url" >> "$HELPER_LOG"
answer() { printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "$url" "$1" "$2"; }
case "$url" in
  reg.example.com) answer bob helper-secret ;;
  tok.example.com) answer '<token>' refresh-1 ;;
  https://index.docker.io/v1/) answer hub hub-secret ;;
  broken.example.com) echo 'not json' ;;
  fail.example.com) echo 'keychain locked' >&2; exit 3 ;;
  *) echo 'credentials not found in native keychain'; exit 1 ;;
esac
"""


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty DOCKER_CONFIG dir, and docker-credential-test on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-test"
    helper.write_text(HELPER)
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("HELPER_LOG", str(tmp_path / "helper.log"))
    config_dir = tmp_path / "docker"
    config_dir.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(config_dir))
    return config_dir


def write(config_dir: Path, data: dict[str, object]) -> None:
    (config_dir / "config.json").write_text(json.dumps(data))


def helper_log(config_dir: Path) -> list[str]:
    log = config_dir.parent / "helper.log"
    return log.read_text().splitlines() if log.exists() else []


def test_config_dir(tmp_path: Path) -> None:
    assert docker_config_dir({"DOCKER_CONFIG": str(tmp_path)}) == tmp_path
    assert docker_config_dir({"HOME": "/home/u"}) == Path("/home/u/.docker")


def test_no_config_file(docker_config: Path) -> None:
    assert lookup("reg.example.com") is None


def test_auths_base64(docker_config: Path) -> None:
    write(docker_config, {"auths": {"127.0.0.1:5001": {"auth": b64("mkma:pa:ss")}}})
    found = lookup("127.0.0.1:5001")
    assert found is not None
    assert (found.username, found.secret) == ("mkma", "pa:ss")
    assert "auths['127.0.0.1:5001']" in found.source and str(docker_config) in found.source
    assert lookup("127.0.0.1:5000") is None


def test_auths_keys_with_scheme_and_fields(docker_config: Path) -> None:
    write(
        docker_config,
        {
            "auths": {
                "https://reg.example.com/v2/": {"username": "u", "password": "p"},
                "https://index.docker.io/v1/": {"auth": b64("hubuser:hubpass")},
                "id.example.com": {"auth": b64("u:"), "identitytoken": "refresh-xyz"},
            }
        },
    )
    reg = lookup("reg.example.com")
    assert reg is not None and (reg.username, reg.secret) == ("u", "p")
    hub = lookup("docker.io")
    assert hub is not None and hub.username == "hubuser"
    token = lookup("id.example.com")
    assert token is not None and token.identity_token and token.secret == "refresh-xyz"


def test_cred_helper_for_the_host(docker_config: Path) -> None:
    write(
        docker_config,
        {
            "credHelpers": {"reg.example.com": "test"},
            "auths": {"reg.example.com": {"auth": b64("from:auths")}},
        },
    )
    found = lookup("reg.example.com")
    assert found is not None
    assert (found.username, found.secret) == ("bob", "helper-secret")
    assert "docker-credential-test" in found.source and "credHelpers" in found.source
    assert helper_log(docker_config) == ["reg.example.com"]  # the server URL on stdin


def test_creds_store_then_auths(docker_config: Path) -> None:
    write(
        docker_config,
        {"credsStore": "test", "auths": {"other.example.com": {"auth": b64("o:from-auths")}}},
    )
    hub = lookup("docker.io")
    assert hub is not None and hub.secret == "hub-secret"
    assert "credsStore" in hub.source
    # The helper has nothing for this host: fall through to auths.
    other = lookup("other.example.com")
    assert other is not None and other.secret == "from-auths"
    assert helper_log(docker_config) == ["https://index.docker.io/v1/", "other.example.com"]


def test_helper_identity_token(docker_config: Path) -> None:
    write(docker_config, {"credHelpers": {"tok.example.com": "test"}})
    found = lookup("tok.example.com")
    assert found is not None and found.identity_token and found.username == ""


def test_helper_not_on_path(docker_config: Path) -> None:
    write(docker_config, {"credsStore": "desktop"})
    with pytest.raises(CredentialsError, match="docker-credential-desktop is not on PATH"):
        lookup("reg.example.com")


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("broken.example.com", "did not answer a JSON object"),
        # What a failing helper says is never shown (it may be the secret): its exit code is.
        ("fail.example.com", r"`get` failed \(exit 3\); its output is not shown"),
    ],
)
def test_helper_failures(docker_config: Path, host: str, message: str) -> None:
    write(docker_config, {"credHelpers": {host: "test"}})
    with pytest.raises(CredentialsError, match=message):
        lookup(host)


def test_bad_config_never_echoes_its_content(docker_config: Path) -> None:
    (docker_config / "config.json").write_text('{"auths": {"x": {"auth": "c2VjcmV0LXRleHQ="}},,}')
    with pytest.raises(CredentialsError) as caught:
        lookup("x")
    assert "not valid JSON" in str(caught.value)
    assert "c2VjcmV0" not in str(caught.value)
    write(docker_config, {"auths": {"x": {"auth": "!!not base64!!"}}})
    with pytest.raises(CredentialsError, match="not base64") as caught:
        lookup("x")
    assert "!!not" not in str(caught.value)


def test_secret_stays_out_of_repr_and_str() -> None:
    credential = Credential("bob", "top-secret-value", "auths in x")
    assert "top-secret-value" not in repr(credential)
    assert "top-secret-value" not in str(credential)
    assert str(credential) == "credentials from auths in x"


def test_server_url() -> None:
    assert server_url("docker.io") == "https://index.docker.io/v1/"
    assert server_url("127.0.0.1:5000") == "127.0.0.1:5000"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alpine", ImageRef("docker.io", "library/alpine", "latest")),
        ("org/app:1.2", ImageRef("docker.io", "org/app", "1.2")),
        ("docker.io/alpine:3", ImageRef("docker.io", "library/alpine", "3")),
        ("index.docker.io/org/app", ImageRef("docker.io", "org/app", "latest")),
        ("127.0.0.1:5000/org/app:v1", ImageRef("127.0.0.1:5000", "org/app", "v1")),
        ("localhost/app", ImageRef("localhost", "app", "latest")),
        ("ghcr.io/o/r/app:amd64-1.0", ImageRef("ghcr.io", "o/r/app", "amd64-1.0")),
        (
            "reg.io/app@sha256:" + "a" * 64,
            ImageRef("reg.io", "app", "latest", "sha256:" + "a" * 64),
        ),
    ],
)
def test_parse_reference(text: str, expected: ImageRef) -> None:
    assert parse_reference(text) == expected


def test_reference_properties() -> None:
    ref = parse_reference("alpine:3")
    assert ref.api_host == "registry-1.docker.io"
    assert str(ref) == "docker.io/library/alpine:3"
    assert ref.reference == "3"
    pinned = parse_reference("reg.io/app:1@sha256:" + "b" * 64)
    assert pinned.reference == "sha256:" + "b" * 64


@pytest.mark.parametrize(
    "text", ["", "Org/App", "reg.io/app:bad tag", "reg.io/app@sha256:xyz", " a"]
)
def test_bad_references(text: str) -> None:
    with pytest.raises(ImageRefError):
        parse_reference(text)
