"""verify --key / --require-signature: is the index signed, has each platform an SBOM?

cosign's scheme, read over the registry API with the same bounded client: the signature of
the image sha256:<hex> is the manifest tagged sha256-<hex>.sig in the same repository; each
of its layers is a simple-signing payload (JSON naming the signed digest) whose signature
is the layer annotation dev.cosignproject.cosign/signature (base64, ECDSA P-256 over the
payload with SHA-256 for cosign's keys). Attestations are tagged sha256-<hex>.att: DSSE
envelopes whose predicateType annotation says what they hold (https://spdx.dev/Document).

The signature is checked here, by mkmultiarch, with the `cryptography` package (no cosign
needed), and the report says so. No transparency log is consulted: that needs cosign
(`cosign verify`), which the message names.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from mkmultiarch.errors import BadInputError, CannotCheckError
from mkmultiarch.inspect.checks import CheckOutcome
from mkmultiarch.inspect.limits import MAX_KEY_BYTES, MAX_LAYERS, MAX_SIGNED_BYTES, LimitError
from mkmultiarch.inspect.registry import NotFoundError, RegistryClient
from mkmultiarch.inspect.verify.results import VerifyResult

SIGNATURE = "dev.cosignproject.cosign/signature"
PREDICATE_TYPE = "predicateType"
SPDX_PREDICATE = "https://spdx.dev/Document"
CHECKED_BY = "signature checked by mkmultiarch (ECDSA P-256, SHA-256; no transparency log)"


def load_key(path: Path) -> Any:
    """The EC public key in PATH (cosign.pub); BadInputError for anything else."""
    try:
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError:
        raise CannotCheckError(
            "--key needs the cryptography package: pip install 'mkmultiarch[signatures]'"
        ) from None
    if not path.is_file():
        raise BadInputError(f"--key: {path}: not a regular file; pass cosign.pub")
    with path.open("rb") as stream:
        data = stream.read(MAX_KEY_BYTES + 1)
    if len(data) > MAX_KEY_BYTES:
        raise BadInputError(f"--key: {path}: larger than {MAX_KEY_BYTES // 1024} KiB; not a key")
    try:
        key = load_pem_public_key(data)
    except ValueError:
        raise BadInputError(f"--key: {path}: not a PEM public key; pass cosign.pub") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise BadInputError(f"--key: {path}: not an ECDSA key (cosign generate-key-pair makes one)")
    return key


def _valid(key: Any, signature_b64: str, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        key.verify(base64.b64decode(signature_b64, validate=True), data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def _layers(client: RegistryClient, repository: str, tag: str) -> list[dict[str, Any]] | None:
    """The layer descriptors of REPOSITORY:TAG, or None when there is no such tag."""
    try:
        manifest = client.get_manifest(repository, tag)
    except NotFoundError:
        return None
    layers = manifest.data.get("layers") or []
    if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
        raise LimitError(f"{repository}:{tag}: more than {MAX_LAYERS} layers")
    return [layer for layer in layers if isinstance(layer, dict)]


def _annotations(layer: dict[str, Any]) -> dict[str, Any]:
    annotations = layer.get("annotations")
    return annotations if isinstance(annotations, dict) else {}


def _signed_digest(payload: bytes) -> str:
    try:
        data = json.loads(payload)
        return str(data["critical"]["image"]["docker-manifest-digest"])
    except (ValueError, KeyError, TypeError):
        return ""


def cosign_tag(digest: str, suffix: str) -> str:
    return digest.replace(":", "-") + f".{suffix}"


def check_signature(
    client: RegistryClient, repository: str, result: VerifyResult, key: Any | None
) -> None:
    """Add the "signature" check of the tag's digest: signed (by KEY, when given)?"""
    tag = cosign_tag(result.digest, "sig")
    layers = _layers(client, repository, tag)
    signed = [
        layer for layer in layers or [] if isinstance(_annotations(layer).get(SIGNATURE), str)
    ]
    if not signed:
        result.add("signature", CheckOutcome.FAIL, f"{result.digest} is not signed (no {tag})")
        return
    if key is None:
        result.add(
            "signature",
            CheckOutcome.OK,
            f"{len(signed)} cosign signature(s) in {tag}; not checked: pass --key cosign.pub",
        )
        return
    for layer in signed:
        payload = client.get_blob(repository, str(layer.get("digest", "")), MAX_SIGNED_BYTES)
        if _signed_digest(payload) != result.digest:
            continue
        if _valid(key, str(_annotations(layer)[SIGNATURE]), payload):
            result.add(
                "signature", CheckOutcome.OK, f"{result.digest} is signed by the key: {CHECKED_BY}"
            )
            return
    result.add(
        "signature",
        CheckOutcome.FAIL,
        f"{result.digest}: none of the {len(signed)} signature(s) in {tag} is by this key "
        f"for this digest ({CHECKED_BY})",
    )


def _envelope_valid(key: Any, envelope: bytes) -> bool:
    """A DSSE envelope signed by KEY: the signature is over PAE(payloadType, payload)."""
    try:
        data = json.loads(envelope)
        payload_type = str(data["payloadType"]).encode()
        payload = base64.b64decode(data["payload"], validate=True)
        signatures = [str(item["sig"]) for item in data["signatures"]]
    except (ValueError, KeyError, TypeError, binascii.Error):
        return False
    pae = b"DSSEv1 %d %b %d %b" % (len(payload_type), payload_type, len(payload), payload)
    return any(_valid(key, signature, pae) for signature in signatures)


def check_sboms(
    client: RegistryClient, repository: str, result: VerifyResult, key: Any | None
) -> None:
    """Add an "sbom" check per platform entry: has its image an SPDX attestation?"""
    for entry in result.entries:
        if entry.kind != "image" or not entry.digest.startswith("sha256:"):
            continue
        tag = cosign_tag(entry.digest, "att")
        layers = _layers(client, repository, tag) or []
        spdx = [
            layer for layer in layers if _annotations(layer).get(PREDICATE_TYPE) == SPDX_PREDICATE
        ]
        if not spdx:
            entry.add("sbom", CheckOutcome.WARNING, f"no SPDX SBOM attestation ({tag})")
            continue
        if key is None:
            entry.add("sbom", CheckOutcome.OK, f"SPDX SBOM attestation in {tag} (not checked)")
            continue
        if any(
            _envelope_valid(
                key, client.get_blob(repository, str(layer.get("digest", "")), MAX_SIGNED_BYTES)
            )
            for layer in spdx
        ):
            entry.add("sbom", CheckOutcome.OK, f"SPDX SBOM attestation signed by the key ({tag})")
        else:
            entry.add(
                "sbom",
                CheckOutcome.FAIL,
                f"the SPDX SBOM attestation in {tag} is not signed by the key",
            )
