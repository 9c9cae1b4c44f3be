"""verify --key / --require-signature against the in-process registry: cosign's signature
and attestation manifests built here with a real ECDSA P-256 key (the `cryptography`
package), checked by mkmultiarch; the report says who checked."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mkmultiarch.inspect.checks import CheckOutcome
from mkmultiarch.inspect.imageref import parse_reference
from mkmultiarch.inspect.registry import RegistryClient
from mkmultiarch.inspect.verify import verify
from mkmultiarch.inspect.verify.results import VerifyResult
from mkmultiarch.inspect.verify.signature import (
    check_sboms,
    check_signature,
    cosign_tag,
    load_key,
)
from tests.support.cli import refusal, run_cli
from tests.support.fake_registry import FakeRegistry
from tests.support.images import REPO, good_list

SIG = "dev.cosignproject.cosign/signature"
LAYER = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE = "application/vnd.dsse.envelope.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def new_key(tmp_path: Path, name: str) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    private = ec.generate_private_key(ec.SECP256R1())
    public = tmp_path / f"{name}.pub"
    public.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def sign(private: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    return base64.b64encode(private.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def put_artifact(
    registry: FakeRegistry, tag: str, blob: bytes, media_type: str, annotations: dict[str, str]
) -> None:
    layer = {
        "mediaType": media_type,
        "digest": registry.put_blob(blob),
        "size": len(blob),
        "annotations": annotations,
    }
    config = registry.put_blob(b"{}")
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config},
        "layers": [layer],
    }
    registry.put_manifest(REPO, tag, manifest, OCI_MANIFEST)


def put_signature(registry: FakeRegistry, digest: str, private: ec.EllipticCurvePrivateKey) -> None:
    payload = json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": f"{registry.host}/{REPO}"},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature",
            },
            "optional": None,
        }
    ).encode()
    put_artifact(registry, cosign_tag(digest, "sig"), payload, LAYER, {SIG: sign(private, payload)})


def put_sbom(registry: FakeRegistry, digest: str, private: ec.EllipticCurvePrivateKey) -> None:
    statement = json.dumps({"predicateType": "https://spdx.dev/Document", "predicate": {}})
    payload_type = b"application/vnd.in-toto+json"
    body = statement.encode()
    pae = b"DSSEv1 %d %b %d %b" % (len(payload_type), payload_type, len(body), body)
    envelope = {
        "payloadType": payload_type.decode(),
        "payload": base64.b64encode(body).decode(),
        "signatures": [{"keyid": "", "sig": sign(private, pae)}],
    }
    annotations = {SIG: "", "predicateType": "https://spdx.dev/Document"}
    put_artifact(
        registry, cosign_tag(digest, "att"), json.dumps(envelope).encode(), DSSE, annotations
    )


def checked(registry: FakeRegistry, public: Path | None) -> VerifyResult:
    ref = parse_reference(f"{registry.host}/{REPO}:1.0")
    with RegistryClient(registry.host, insecure=True, timeout=5) as client:
        result = verify(client, ref, None, "", check_binaries=False)
        key = load_key(public) if public is not None else None
        check_signature(client, REPO, result, key)
        check_sboms(client, REPO, result, key)
    return result


def signature_check(result: VerifyResult) -> tuple[CheckOutcome, str]:
    (check,) = [c for c in result.checks if c.name == "signature"]
    return check.status, check.message


def sbom_checks(result: VerifyResult) -> list[tuple[CheckOutcome, str]]:
    return [(c.status, c.message) for e in result.entries for c in e.checks if c.name == "sbom"]


@pytest.fixture
def signed(registry: FakeRegistry, tmp_path: Path) -> tuple[VerifyResult, Path, Any]:
    good_list(registry)
    private, public = new_key(tmp_path, "cosign")
    result = checked(registry, None)
    put_signature(registry, result.digest, private)
    for entry in result.entries:
        put_sbom(registry, entry.digest, private)
    return result, public, private


def test_signed_by_the_key(registry: FakeRegistry, signed: Any) -> None:
    _, public, _ = signed
    result = checked(registry, public)
    status, message = signature_check(result)
    assert status is CheckOutcome.OK, message
    assert "signature checked by mkmultiarch" in message
    assert sbom_checks(result) and all(s is CheckOutcome.OK for s, _ in sbom_checks(result))
    assert result.ok


def test_another_key_fails(registry: FakeRegistry, signed: Any, tmp_path: Path) -> None:
    _, other = new_key(tmp_path, "other")
    result = checked(registry, other)
    status, message = signature_check(result)
    assert status is CheckOutcome.FAIL and "is by this key for this digest" in message
    assert all(s is CheckOutcome.FAIL for s, _ in sbom_checks(result))
    assert not result.ok


def test_a_signature_for_another_digest_does_not_count(
    registry: FakeRegistry, tmp_path: Path
) -> None:
    """A .sig copied beside another index: its payload names the other digest."""
    good_list(registry)
    private, public = new_key(tmp_path, "cosign")
    digest = checked(registry, None).digest
    put_signature(registry, "sha256:" + "ee" * 32, private)
    tag = cosign_tag(digest, "sig")
    raw, media_type = registry.manifests[(REPO, cosign_tag("sha256:" + "ee" * 32, "sig"))]
    registry.manifests[(REPO, tag)] = (raw, media_type)
    status, _ = signature_check(checked(registry, public))
    assert status is CheckOutcome.FAIL


def test_unsigned_fails_and_says_so(registry: FakeRegistry, tmp_path: Path) -> None:
    good_list(registry)
    result = checked(registry, None)
    status, message = signature_check(result)
    assert status is CheckOutcome.FAIL and "is not signed (no sha256-" in message
    assert all(s is CheckOutcome.WARNING for s, _ in sbom_checks(result))


def test_require_signature_without_key_only_sees_it(registry: FakeRegistry, signed: Any) -> None:
    status, message = signature_check(checked(registry, None))
    assert status is CheckOutcome.OK and "not checked: pass --key" in message


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"not a key", "not a PEM public key"), (b"x" * 70_000, "larger than 64 KiB")],
)
def test_a_bad_key_file_is_refused(
    registry: FakeRegistry, tmp_path: Path, content: bytes, says: str
) -> None:
    key = tmp_path / "bad.pub"
    key.write_bytes(content)
    line = refusal(run_cli("verify", "--insecure", "--key", str(key), f"{registry.host}/o/a:1"))
    assert says in line
