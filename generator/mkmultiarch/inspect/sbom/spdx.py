"""One platform's image as an SPDX 2.3 JSON document.

The image is the described package (its manifest digest is its SHA256 checksum and its
purl, pkg:oci/...). It CONTAINS its layers (by digest; the base image too when the
manifest names it) and its entrypoint's Go main module, which DEPENDS_ON the Go standard
library it was built with and every module in its build info. Nothing is guessed: what
the image does not say is left out, or NOASSERTION where SPDX needs a value.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from mkmultiarch import __version__
from mkmultiarch.inspect.elf import GoModule
from mkmultiarch.inspect.sbom.collect import PlatformImage

NOASSERTION = "NOASSERTION"
_SPDX_ID = re.compile(r"[^A-Za-z0-9.-]")


def _spdx_id(*parts: str) -> str:
    return "SPDXRef-" + "-".join(_SPDX_ID.sub("-", part) for part in parts)


def _hex(digest: str) -> str:
    algorithm, _, value = digest.partition(":")
    return value if algorithm == "sha256" else ""


def _package(spdx_id: str, name: str, version: str, purpose: str, **extra: Any) -> dict[str, Any]:
    package: dict[str, Any] = {
        "SPDXID": spdx_id,
        "name": name,
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": False,
        "primaryPackagePurpose": purpose,
        "supplier": NOASSERTION,
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": NOASSERTION,
        "copyrightText": NOASSERTION,
    }
    if version:
        package["versionInfo"] = version
    package.update(extra)
    return package


def _purl(kind: str, name: str, version: str, qualifiers: str = "") -> dict[str, str]:
    locator = f"pkg:{kind}/{name}@{quote(version, safe='')}" + (
        f"?{qualifiers}" if qualifiers else ""
    )
    return {
        "referenceCategory": "PACKAGE-MANAGER",
        "referenceType": "purl",
        "referenceLocator": locator,
    }


def _go_module(spdx_id: str, module: GoModule, purpose: str) -> dict[str, Any]:
    extra: dict[str, Any] = {"externalRefs": [_purl("golang", module.path, module.version)]}
    if module.sum:
        extra["comment"] = f"go.sum hash {module.sum}"
    return _package(spdx_id, module.path, module.version, purpose, **extra)


def file_name(image: PlatformImage) -> str:
    """linux-arm-v7.spdx.json: one file per platform."""
    platform = image.platform
    parts = [platform.os, platform.architecture] + ([platform.variant] if platform.variant else [])
    return "-".join(parts) + ".spdx.json"


def document(image: PlatformImage, created: datetime | None = None) -> dict[str, Any]:
    """The SPDX 2.3 JSON document of IMAGE (one platform)."""
    ref = image.ref
    platform = str(image.platform)
    created_at = (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    name = ref.repository.rsplit("/", 1)[-1]
    qualifiers = f"arch={quote(image.platform.architecture)}"
    if image.platform.variant:
        qualifiers += f"&variant={quote(image.platform.variant)}"
    qualifiers += f"&repository_url={quote(f'{ref.registry}/{ref.repository}', safe='')}"
    image_id = _spdx_id("Image")
    packages = [
        _package(
            image_id,
            f"{ref.registry}/{ref.repository}",
            ref.tag,
            "CONTAINER",
            checksums=[{"algorithm": "SHA256", "checksumValue": _hex(image.digest)}],
            externalRefs=[_purl("oci", name, image.digest, qualifiers)],
            description=f"{ref} for {platform}, image manifest {image.digest}",
        )
    ]
    relationships = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": image_id,
        }
    ]

    def contains(element: str, parent: str = image_id, kind: str = "CONTAINS") -> None:
        relationships.append(
            {"spdxElementId": parent, "relationshipType": kind, "relatedSpdxElement": element}
        )

    if image.base_name or image.base_digest:
        base_id = _spdx_id("BaseImage")
        extra: dict[str, Any] = {"description": "the base image the manifest names"}
        if _hex(image.base_digest):
            extra["checksums"] = [{"algorithm": "SHA256", "checksumValue": _hex(image.base_digest)}]
        packages.append(_package(base_id, image.base_name or NOASSERTION, "", "CONTAINER", **extra))
        contains(base_id)
    for number, layer in enumerate(image.layers, start=1):
        layer_id = _spdx_id("Layer", str(number))
        extra = {"description": f"layer {number} ({layer.media_type})"}
        if _hex(layer.digest):
            extra["checksums"] = [{"algorithm": "SHA256", "checksumValue": _hex(layer.digest)}]
        packages.append(_package(layer_id, layer.digest, "", "ARCHIVE", **extra))
        contains(layer_id)
    go = image.go
    if go is not None:
        main = go.main or GoModule(go.path or image.binary_path, "(devel)")
        main_id = _spdx_id("Go", "main")
        package = _go_module(main_id, main, "APPLICATION")
        package["description"] = f"{image.binary_path}: Go {go.go_version}, package {go.path}"
        packages.append(package)
        contains(main_id)
        stdlib_id = _spdx_id("Go", "stdlib")
        stdlib = GoModule("stdlib", go.go_version)
        packages.append(_go_module(stdlib_id, stdlib, "LIBRARY"))
        contains(stdlib_id, main_id, "DEPENDS_ON")
        for number, module in enumerate(go.deps, start=1):
            dep_id = _spdx_id("Go", "dep", str(number))
            packages.append(_go_module(dep_id, module, "LIBRARY"))
            contains(dep_id, main_id, "DEPENDS_ON")
    identity = f"{ref.registry}/{ref.repository}@{image.digest}"
    namespace = hashlib.sha256(identity.encode()).hexdigest()[:32]
    result: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"{ref.registry}/{ref.repository}:{ref.tag} {platform}",
        "documentNamespace": f"https://spdx.org/spdxdocs/mkmultiarch/{name}-{namespace}",
        "creationInfo": {"created": created_at, "creators": [f"Tool: mkmultiarch-{__version__}"]},
        "packages": packages,
        "relationships": relationships,
    }
    if image.notes:
        result["comment"] = "; ".join(image.notes)
    return result
