"""Walk a pushed tag: the list, each entry's image config, the platforms against those expected.

For every platform entry of the list:
- the image config's os/architecture/variant must agree with the entry
  (a legacy or `--platform`-less build writes the build host's arch there);
- the entrypoint binary must be for that architecture (binary.py): its ELF
  header, read from the layers, must name the entry's machine (arm v6/v7
  only when the binary carries Go build info).
Attestation entries (`unknown/unknown`) are listed but are not platforms.

`verify()` only reads; it returns a VerifyResult and raises RegistryError
when the tag cannot be checked at all (unreachable, 401, not found), and
LimitError when a limit against a hostile registry was hit (limits.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from mkmultiarch.arches import Arch
from mkmultiarch.inspect.checks import CheckOutcome
from mkmultiarch.inspect.imageref import ImageRef
from mkmultiarch.inspect.limits import MAX_INDEX_ENTRIES, LimitError
from mkmultiarch.inspect.platforms import Platform
from mkmultiarch.inspect.registry import (
    IMAGE_TYPES,
    INDEX_TYPES,
    Manifest,
    NotFoundError,
    RegistryClient,
)
from mkmultiarch.inspect.verify.binary import check_binary
from mkmultiarch.inspect.verify.results import EntryResult, VerifyResult
from mkmultiarch.names import CONFIG_FILE

ATTESTATION_ANNOTATION = "vnd.docker.reference.type"


def _check_image(
    client: RegistryClient,
    repository: str,
    manifest: Manifest,
    claimed: Platform | None,
    entry: EntryResult,
    *,
    check_binaries: bool,
) -> Platform | None:
    """Check one image manifest against the platform its list entry claims; return its config's."""
    if manifest.media_type not in IMAGE_TYPES:
        entry.add("manifest", CheckOutcome.FAIL, f"unexpected manifest type {manifest.media_type}")
        return None
    descriptor = manifest.data.get("config")
    digest = descriptor.get("digest") if isinstance(descriptor, dict) else None
    if not isinstance(digest, str):
        entry.add("config", CheckOutcome.FAIL, "the manifest has no config descriptor")
        return None
    try:
        config = json.loads(client.get_blob(repository, digest))
    except NotFoundError:
        entry.add("config", CheckOutcome.FAIL, f"the image config {digest} is not in the registry")
        return None
    except (ValueError, RecursionError):
        entry.add("config", CheckOutcome.FAIL, f"the image config {digest} is not JSON")
        return None
    if not isinstance(config, dict):
        entry.add("config", CheckOutcome.FAIL, f"the image config {digest} is not a JSON object")
        return None
    actual = Platform.from_json(config)
    entry.config_platform = str(actual)
    if claimed is None:
        claimed = actual
        entry.add("config", CheckOutcome.OK, f"the image config says {actual}")
    elif claimed.matches(actual):
        entry.add("config", CheckOutcome.OK, f"the image config says {actual}, as the entry does")
    else:
        entry.add(
            "config",
            CheckOutcome.FAIL,
            f"the image config says {actual}, but the list entry says {claimed}: "
            f"build it with --platform {claimed} (BuildKit), not just GOARCH",
        )
    if check_binaries:
        check_binary(client, repository, manifest, config, claimed, entry)
    return actual


def _compare_platforms(
    result: VerifyResult, expected: Sequence[Arch] | None, found: list[Platform]
) -> None:
    """Add the "platforms" checks: duplicates, and FOUND against EXPECTED (if any)."""
    present = [platform.normalized() for platform in found]
    result.present = [str(platform) for platform in present]
    seen = list(dict.fromkeys(present))
    for platform in seen:
        count = present.count(platform)
        if count > 1:
            result.add(
                "platforms",
                CheckOutcome.FAIL,
                f"{platform} is listed {count} times; Docker uses the first",
            )
    if expected is None:
        result.add(
            "platforms",
            CheckOutcome.WARNING,
            f"found {' '.join(result.present) or 'none'}; nothing to compare with: pass --arch "
            f"(e.g. --arch amd64 --arch arm64) or --config {CONFIG_FILE}",
        )
        return
    wanted = [Platform.from_arch(arch) for arch in expected]
    result.expected = [str(platform) for platform in wanted]
    result.missing = [str(w) for w in wanted if w.normalized() not in seen]
    result.unexpected = [str(p) for p in seen if all(p != w.normalized() for w in wanted)]
    if result.missing:
        result.add(
            "platforms",
            CheckOutcome.FAIL,
            f"missing {' '.join(result.missing)} (expected {' '.join(result.expected)} "
            f"from {result.expected_source})",
        )
    if result.unexpected:
        result.add(
            "platforms",
            CheckOutcome.WARNING,
            f"not expected: {' '.join(result.unexpected)} (expected from {result.expected_source})",
        )
    if not result.missing and not result.unexpected:
        result.add(
            "platforms", CheckOutcome.OK, f"all {len(wanted)} expected platforms are present"
        )


def verify(
    client: RegistryClient,
    ref: ImageRef,
    expected: Sequence[Arch] | None = None,
    expected_source: str = "",
    *,
    check_binaries: bool = True,
) -> VerifyResult:
    """Check REF in the registry; raise RegistryError if it cannot be checked at all."""
    top = client.get_manifest(ref.repository, ref.reference)
    result = VerifyResult(
        image=str(ref),
        digest=top.digest,
        media_type=top.media_type,
        is_list=top.is_index,
        expected=[],
        expected_source=expected_source,
    )
    platforms: list[Platform] = []
    if not top.is_index:
        entry = EntryResult("?", top.digest, top.media_type)
        result.entries.append(entry)
        actual = _check_image(
            client, ref.repository, top, None, entry, check_binaries=check_binaries
        )
        entry.platform = str(actual) if actual is not None else "?"
        if actual is not None:
            platforms.append(actual)
        result.add(
            "list",
            CheckOutcome.FAIL,
            f"not a manifest list: a single-arch image for {entry.platform} "
            f"({result.media_type_name}); push a list of per-arch images (make docker-push)",
        )
    else:
        listed = top.data.get("manifests") or []
        if isinstance(listed, list) and len(listed) > MAX_INDEX_ENTRIES:
            raise LimitError(
                f"{ref} lists {len(listed)} entries; more than {MAX_INDEX_ENTRIES}: "
                "the limit on index entries was hit"
            )
        descriptors = [d for d in listed if isinstance(d, dict)] if isinstance(listed, list) else []
        for descriptor in descriptors:
            raw_platform = descriptor.get("platform")
            claimed = Platform.from_json(raw_platform)
            annotations = descriptor.get("annotations")
            annotations = annotations if isinstance(annotations, dict) else {}
            entry = EntryResult(
                platform=str(claimed) if raw_platform else "(none)",
                digest=str(descriptor.get("digest", "")),
                media_type=str(descriptor.get("mediaType", "")),
            )
            result.entries.append(entry)
            if (
                claimed.is_unknown
                or annotations.get(ATTESTATION_ANNOTATION) == "attestation-manifest"
            ):
                entry.kind = "attestation"
                about = annotations.get("vnd.docker.reference.digest", "")
                entry.add(
                    "entry",
                    CheckOutcome.SKIPPED,
                    "attestation (provenance/SBOM)"
                    + (f" for {about}" if about else "")
                    + "; not a platform",
                )
                result.attestations += 1
                continue
            if not raw_platform:
                entry.add(
                    "entry", CheckOutcome.FAIL, "no platform: Docker cannot select this entry"
                )
                continue
            if entry.media_type in INDEX_TYPES:
                entry.kind = "index"
                entry.add(
                    "entry", CheckOutcome.FAIL, "a nested index; a platform entry must be an image"
                )
                continue
            platforms.append(claimed)
            if claimed.architecture == "arm" and not claimed.variant:
                entry.add(
                    "entry",
                    CheckOutcome.WARNING,
                    "no variant (Docker reads it as v7); annotate it: "
                    "docker manifest annotate --arch arm --variant v7",
                )
            try:
                manifest = client.get_manifest(ref.repository, entry.digest)
            except NotFoundError:
                entry.add("manifest", CheckOutcome.FAIL, f"{entry.digest} is not in the registry")
                continue
            _check_image(
                client, ref.repository, manifest, claimed, entry, check_binaries=check_binaries
            )
        count = len(platforms)
        extra = f" + {result.attestations} attestation(s)" if result.attestations else ""
        status = CheckOutcome.OK if count else CheckOutcome.FAIL
        result.add("list", status, f"{result.media_type_name} with {count} platform(s){extra}")
    _compare_platforms(result, expected, platforms)
    result.auth = client.auth_method
    return result
