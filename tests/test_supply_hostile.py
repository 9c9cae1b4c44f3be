"""`sbom` and `verify --key` against a hostile registry: the real CLI under 1 GiB of address
space; every limit ends in one line and exit 2, and nothing is written half."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mkmultiarch.inspect.registry import OCI_INDEX
from mkmultiarch.inspect.verify.signature import SIGNATURE, cosign_tag
from tests.support.hostile_registry import GIB, HostileRegistry, Ran, gzip_bomb, repeat, run_cli
from tests.support.hostile_registry import stream as send
from tests.support.images import ENTRYPOINT, REPO, platform
from tests.support.layers import tar_layer

TAG = f"{REPO}:1.0"


@pytest.fixture
def hostile() -> Iterator[HostileRegistry]:
    with HostileRegistry() as server:
        yield server


def sbom(registry: HostileRegistry, out: Path) -> Ran:
    return run_cli("sbom", "--insecure", "-o", str(out), f"{registry.host}/{TAG}")


def assert_refused(ran: Ran, *words: str) -> None:
    assert ran.code == 2, (ran.code, ran.stderr[-2000:])
    assert "Traceback" not in ran.stderr + ran.stdout
    assert ran.stderr.count("\n") == 1 and ran.stderr.startswith("mkmultiarch: "), ran.stderr
    for word in words:
        assert word in ran.stderr, ran.stderr


def test_sbom_gzip_bomb_layer(hostile: HostileRegistry, tmp_path: Path) -> None:
    descriptor = hostile.put_image(REPO, None, layers=[gzip_bomb(5 * GIB // 2)], config=ENTRYPOINT)
    hostile.put_index(REPO, "1.0", [(descriptor, platform("amd64"))])
    ran = sbom(hostile, tmp_path / "out")
    assert_refused(ran, "cannot read", "decompresses to more than 2 GiB")
    assert not (tmp_path / "out").exists()


def test_sbom_index_with_100000_entries(hostile: HostileRegistry, tmp_path: Path) -> None:
    data = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [{}] * 100_000}
    hostile.put_manifest(REPO, "1.0", data, OCI_INDEX)
    assert_refused(sbom(hostile, tmp_path / "out"), "index entries")


def test_sbom_image_with_300_layers(hostile: HostileRegistry, tmp_path: Path) -> None:
    descriptor = hostile.put_image(REPO, None, layers=[tar_layer()] * 300, config=ENTRYPOINT)
    hostile.put_index(REPO, "1.0", [(descriptor, platform("amd64"))])
    assert_refused(sbom(hostile, tmp_path / "out"), "more than 256 layers")


def test_verify_key_endless_signature_payload(hostile: HostileRegistry, tmp_path: Path) -> None:
    """A .sig whose payload blob never ends: read up to 1 MiB, then refused."""
    descriptor = hostile.put_image(REPO, None, layers=[tar_layer()], config=ENTRYPOINT)
    index = hostile.put_index(REPO, "1.0", [(descriptor, platform("amd64"))])
    payload_digest = "sha256:" + "ab" * 32
    layer = {
        "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
        "digest": payload_digest,
        "size": 300,
        "annotations": {SIGNATURE: "AAAA"},
    }
    oci_manifest = "application/vnd.oci.image.manifest.v1+json"
    manifest = {
        "schemaVersion": 2,
        "mediaType": oci_manifest,
        "config": {"mediaType": "application/json", "digest": hostile.put_blob(b"{}")},
        "layers": [layer],
    }
    hostile.put_manifest(REPO, cosign_tag(index["digest"], "sig"), manifest, oci_manifest)

    def endless(handler: BaseHTTPRequestHandler) -> None:
        send(handler, repeat(b"x" * 65536, 8 * GIB))

    hostile.paths[f"/v2/{REPO}/blobs/{payload_digest}"] = endless
    key = tmp_path / "cosign.pub"
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    key.write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    ran = run_cli("verify", "--insecure", "--key", str(key), f"{hostile.host}/{TAG}")
    assert_refused(ran, "cannot check")
    assert ran.seconds < 60
    assert json.dumps(ran.stderr)  # one printable line
