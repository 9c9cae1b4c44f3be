"""Read, per platform of a pushed tag, what its SBOM lists.

For each platform entry of the list (attestations left out), or the one image of a
single-arch tag: the image manifest's digest and layers, the base image the manifest's
annotations name (BuildKit writes org.opencontainers.image.base.*), and the entrypoint
binary's Go build info (its main module and every dependency it was built with). The
binary is found as verify finds it (layers.py: bounded, top layer first), so every read
stays within inspect/limits.py.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import IO, Any

from mkmultiarch.inspect.elf import GoBuildInfo, go_build_info
from mkmultiarch.inspect.imageref import ImageRef
from mkmultiarch.inspect.layers import FoundFile, Layer, command_candidates, find_file
from mkmultiarch.inspect.limits import MAX_INDEX_ENTRIES, MAX_LAYERS, LimitError
from mkmultiarch.inspect.platforms import Platform
from mkmultiarch.inspect.registry import IMAGE_TYPES, Manifest, RegistryClient, RegistryError

ATTESTATION = "attestation-manifest"
BASE_NAME = "org.opencontainers.image.base.name"
BASE_DIGEST = "org.opencontainers.image.base.digest"


@dataclass(frozen=True)
class PlatformImage:
    """One platform's image: what its SPDX document describes."""

    ref: ImageRef  # the tag asked for
    platform: Platform
    digest: str  # the image manifest's digest (what runs on this platform)
    layers: tuple[Layer, ...]
    base_name: str = ""
    base_digest: str = ""
    binary_path: str = ""  # the entrypoint found in the layers, or ""
    go: GoBuildInfo | None = None
    notes: tuple[str, ...] = field(default=())  # why something is missing


def _entrypoint(
    client: RegistryClient, repository: str, layers: list[Layer], config: dict[str, Any]
) -> tuple[FoundFile | None, str]:
    settings = config.get("config")
    settings = settings if isinstance(settings, dict) else {}
    for key in ("Entrypoint", "Cmd"):
        value = settings.get(key)
        if isinstance(value, list) and value and isinstance(value[0], str) and value[0]:
            command = value[0]
            break
    else:
        return None, "the image config has no Entrypoint or Cmd"
    env = settings.get("Env")
    env = [item for item in env if isinstance(item, str)] if isinstance(env, list) else []
    workdir = str(settings.get("WorkingDir") or "/")

    def open_blob(digest: str) -> AbstractContextManager[IO[bytes]]:
        return client.open_blob(repository, digest)

    result = find_file(
        layers, open_blob, command_candidates(command, env, workdir), deadline=client.deadline
    )
    if isinstance(result, FoundFile):
        return result, ""
    if result.limit_hit:
        raise LimitError(f"{command}: {result.reason}")
    return None, f"{command} is not in the image ({result.reason})"


def _image(
    client: RegistryClient, ref: ImageRef, manifest: Manifest, claimed: Platform | None
) -> PlatformImage:
    if manifest.media_type not in IMAGE_TYPES:
        raise RegistryError(f"{ref}: {manifest.digest} is not an image ({manifest.media_type})")
    raw_layers = manifest.data.get("layers") or []
    if len(raw_layers) > MAX_LAYERS:
        raise LimitError(f"{ref}@{manifest.digest} has more than {MAX_LAYERS} layers")
    layers = [
        Layer(str(layer.get("digest", "")), str(layer.get("mediaType", "")))
        for layer in raw_layers
        if isinstance(layer, dict)
    ]
    descriptor = manifest.data.get("config")
    config_digest = descriptor.get("digest") if isinstance(descriptor, dict) else None
    config: Any = {}
    if isinstance(config_digest, str):
        try:
            config = json.loads(client.get_blob(ref.repository, config_digest))
        except (ValueError, RecursionError):
            config = {}
    config = config if isinstance(config, dict) else {}
    platform = claimed or Platform.from_json(config)
    annotations = manifest.data.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    found, why = _entrypoint(client, ref.repository, layers, config)
    go = go_build_info(found.data) if found is not None else None
    notes = [why] if why else []
    if found is not None and go is None:
        notes.append(f"{found.path} carries no Go build info")
    return PlatformImage(
        ref=ref,
        platform=platform,
        digest=manifest.digest,
        layers=tuple(layers),
        base_name=str(annotations.get(BASE_NAME, "")),
        base_digest=str(annotations.get(BASE_DIGEST, "")),
        binary_path=found.path if found is not None else "",
        go=go,
        notes=tuple(notes),
    )


def collect(client: RegistryClient, ref: ImageRef) -> tuple[str, list[PlatformImage]]:
    """(the tag's digest, one PlatformImage per platform); raise RegistryError/LimitError."""
    top = client.get_manifest(ref.repository, ref.reference)
    if not top.is_index:
        return top.digest, [_image(client, ref, top, None)]
    listed = top.data.get("manifests") or []
    if not isinstance(listed, list) or len(listed) > MAX_INDEX_ENTRIES:
        raise LimitError(f"{ref}: more than {MAX_INDEX_ENTRIES} index entries")
    images = []
    for entry in listed:
        if not isinstance(entry, dict):
            continue
        platform = Platform.from_json(entry.get("platform"))
        annotations = entry.get("annotations")
        kind = annotations.get("vnd.docker.reference.type") if isinstance(annotations, dict) else ""
        if platform.is_unknown or kind == ATTESTATION:
            continue
        manifest = client.get_manifest(ref.repository, str(entry.get("digest", "")))
        images.append(_image(client, ref, manifest, platform))
    return top.digest, images
