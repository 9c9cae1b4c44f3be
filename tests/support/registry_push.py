"""Push images and lists to a real registry over its HTTP API, without building anything.

Blobs go up monolithically (POST an upload, PUT it with the digest); an image
is a config blob naming its platform, one tiny layer and a manifest. Used by
the audit end-to-end test and its benchmark against the local registries.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
import urllib.request
from typing import Any

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
_CONFIG_TYPES = {
    OCI_MANIFEST: "application/vnd.oci.image.config.v1+json",
    DOCKER_MANIFEST: "application/vnd.docker.container.image.v1+json",
}
_LAYER_TYPES = {
    OCI_MANIFEST: "application/vnd.oci.image.layer.v1.tar+gzip",
    DOCKER_MANIFEST: "application/vnd.docker.image.rootfs.diff.tar.gzip",
}
TIMEOUT = 30.0

Auth = tuple[str, str] | None


def _digest(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def _send(
    url: str, method: str, auth: Auth, data: bytes | None = None, content_type: str = ""
) -> urllib.request.Request:
    request = urllib.request.Request(url, data=data, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    return request


def push_blob(registry: str, repo: str, data: bytes, auth: Auth = None) -> str:
    """Upload DATA (skipped when the registry has it); return its digest."""
    digest = _digest(data)
    start = _send(f"http://{registry}/v2/{repo}/blobs/uploads/", "POST", auth, b"")
    with urllib.request.urlopen(start, timeout=TIMEOUT) as response:
        location = response.headers["Location"]
    if location.startswith("/"):
        location = f"http://{registry}{location}"
    separator = "&" if "?" in location else "?"
    put = _send(
        f"{location}{separator}digest={digest}", "PUT", auth, data, "application/octet-stream"
    )
    with urllib.request.urlopen(put, timeout=TIMEOUT):
        pass
    return digest


def push_manifest(
    registry: str, repo: str, reference: str, data: dict[str, Any], auth: Auth = None
) -> dict[str, Any]:
    """PUT a manifest or index under REFERENCE (a tag or its digest); return its descriptor."""
    raw = json.dumps(data).encode()
    media_type = str(data["mediaType"])
    url = f"http://{registry}/v2/{repo}/manifests/{reference}"
    with urllib.request.urlopen(_send(url, "PUT", auth, raw, media_type), timeout=TIMEOUT):
        pass
    return {"mediaType": media_type, "digest": _digest(raw), "size": len(raw)}


def _layer() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 6
        tar.addfile(info, io.BytesIO(b"hello\n"))
    return gzip.compress(buffer.getvalue(), mtime=0)


def push_image(
    registry: str,
    repo: str,
    tag: str | None,
    architecture: str,
    variant: str = "",
    *,
    media_type: str = OCI_MANIFEST,
    auth: Auth = None,
) -> dict[str, Any]:
    """A one-layer linux image whose config names ARCHITECTURE (and VARIANT)."""
    config: dict[str, Any] = {"architecture": architecture, "os": "linux"}
    if variant:
        config["variant"] = variant
    config["rootfs"] = {"type": "layers", "diff_ids": []}
    raw_config = json.dumps(config).encode()
    layer = _layer()
    manifest = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": _CONFIG_TYPES[media_type],
            "digest": push_blob(registry, repo, raw_config, auth),
            "size": len(raw_config),
        },
        "layers": [
            {
                "mediaType": _LAYER_TYPES[media_type],
                "digest": push_blob(registry, repo, layer, auth),
                "size": len(layer),
            }
        ],
    }
    descriptor = push_manifest(
        registry, repo, tag or _digest(json.dumps(manifest).encode()), manifest, auth
    )
    return descriptor


def push_list(
    registry: str,
    repo: str,
    tag: str,
    platforms: list[tuple[str, str]],
    *,
    attestation: bool = False,
    media_type: str = OCI_INDEX,
    auth: Auth = None,
) -> dict[str, Any]:
    """A list of one image per (architecture, variant), with a BuildKit-style
    `unknown/unknown` attestation entry after them when ATTESTATION (OCI only)."""
    image_type = OCI_MANIFEST if media_type == OCI_INDEX else DOCKER_MANIFEST
    manifests = []
    for architecture, variant in platforms:
        descriptor = push_image(
            registry, repo, None, architecture, variant, media_type=image_type, auth=auth
        )
        platform = {"architecture": architecture, "os": "linux"}
        if variant:
            platform["variant"] = variant
        manifests.append({**descriptor, "platform": platform})
    if attestation:
        about = manifests[0]["digest"]
        descriptor = push_image(registry, repo, None, "unknown", auth=auth)
        manifests.append(
            {
                **descriptor,
                "platform": {"architecture": "unknown", "os": "unknown"},
                "annotations": {
                    "vnd.docker.reference.digest": about,
                    "vnd.docker.reference.type": "attestation-manifest",
                },
            }
        )
    index = {"schemaVersion": 2, "mediaType": media_type, "manifests": manifests}
    return push_manifest(registry, repo, tag, index, auth)
