"""verify() against the in-process registry: lists, platforms, configs, entrypoint binaries."""

from __future__ import annotations

from typing import Any

import pytest

from mkmultiarch.arches import Arch
from mkmultiarch.inspect.checks import CheckOutcome
from mkmultiarch.inspect.imageref import parse_reference
from mkmultiarch.inspect.registry import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    NotFoundError,
    RegistryClient,
)
from mkmultiarch.inspect.verify import VerifyResult, verify
from tests.support.elf import fake_binary
from tests.support.fake_registry import PASSWORD, USER, FakeRegistry, creds
from tests.support.images import ENTRYPOINT, REPO, good_list, image, platform
from tests.support.layers import file, symlink, tar_layer


def check(
    registry: FakeRegistry,
    tag: str = "1.0",
    arches: list[str] | None = None,
    client: RegistryClient | None = None,
) -> VerifyResult:
    expected = [Arch.parse(token) for token in arches] if arches is not None else None
    ref = parse_reference(f"{registry.host}/{REPO}:{tag}")
    own = client or RegistryClient(registry.host, insecure=True, timeout=5)
    with own:
        return verify(own, ref, expected, "--arch" if arches is not None else "")


def statuses(result: VerifyResult, name: str) -> dict[str, CheckOutcome]:
    return {
        entry.platform: check.status
        for entry in result.entries
        for check in entry.checks
        if check.name == name
    }


def test_good_list(registry: FakeRegistry) -> None:
    good_list(registry)
    result = check(registry, arches=["amd64", "arm64", "arm/v7"])
    assert result.ok, result.problems
    assert result.is_list and result.findings(CheckOutcome.WARNING) == []
    assert result.present == ["linux/amd64", "linux/arm64", "linux/arm/v7"]
    assert result.missing == [] and result.unexpected == []
    assert [entry.config_platform for entry in result.entries] == result.present
    assert {entry.entrypoint for entry in result.entries} == {"/usr/local/bin/app"}
    assert result.entries[2].binary == "ELF 32-bit LSB ARM EABI5, Go 1.19.8 GOARM=7"
    assert set(statuses(result, "binary").values()) == {CheckOutcome.OK}


def test_docker_media_types(registry: FakeRegistry) -> None:
    entries = [
        (image(registry, arch, media_type=DOCKER_MANIFEST), platform(arch))
        for arch in ("amd64", "s390x")
    ]
    registry.put_index(REPO, "1.0", entries, DOCKER_MANIFEST_LIST)
    result = check(registry, arches=["amd64", "s390x"])
    assert result.ok and result.media_type_name == "Docker manifest list"


def test_single_arch_image_fails_naming_its_arch(registry: FakeRegistry) -> None:
    image(registry, "arm64", tag="arm64-1.0")
    result = check(registry, "arm64-1.0", arches=["amd64", "arm64"])
    assert not result.ok and not result.is_list
    assert result.problems[0].startswith(
        "list: not a manifest list: a single-arch image for linux/arm64"
    )
    assert result.missing == ["linux/amd64"]
    assert result.entries[0].binary.startswith("ELF 64-bit LSB AArch64")


def test_missing_and_unexpected_platforms(registry: FakeRegistry) -> None:
    good_list(registry)
    result = check(registry, arches=["amd64", "arm64", "arm/v7", "ppc64le"])
    assert not result.ok
    assert result.missing == ["linux/ppc64le"]
    assert any("missing linux/ppc64le" in problem for problem in result.problems)

    result = check(registry, arches=["amd64", "arm64"])
    assert result.ok  # an extra platform is a warning
    assert result.unexpected == ["linux/arm/v7"]
    assert any(
        "not expected: linux/arm/v7" in line for line in result.findings(CheckOutcome.WARNING)
    )


def test_nothing_expected_is_a_warning(registry: FakeRegistry) -> None:
    good_list(registry)
    result = check(registry)
    assert result.ok and result.expected == []
    assert "pass --arch" in result.findings(CheckOutcome.WARNING)[0]


def test_seed_style_config_says_amd64(registry: FakeRegistry) -> None:
    """GOARCH=arm64 without --platform: arm64 binary, amd64 config, annotated arm64."""
    amd64 = image(registry, "amd64")
    seed = image(registry, "amd64", binary=fake_binary("arm64"))
    registry.put_index(REPO, "seed", [(amd64, platform("amd64")), (seed, platform("arm64"))])
    result = check(registry, "seed", arches=["amd64", "arm64"])
    assert not result.ok
    assert statuses(result, "config") == {
        "linux/amd64": CheckOutcome.OK,
        "linux/arm64": CheckOutcome.FAIL,
    }
    assert statuses(result, "binary")["linux/arm64"] == CheckOutcome.OK
    (problem,) = result.problems
    assert problem.startswith("linux/arm64 config: the image config says linux/amd64")
    assert "--platform linux/arm64" in problem


def test_config_forced_arm64_but_binary_is_amd64(registry: FakeRegistry) -> None:
    amd64 = image(registry, "amd64")
    forced = image(registry, "arm64", binary=fake_binary("amd64"))
    registry.put_index(REPO, "forced", [(amd64, platform("amd64")), (forced, platform("arm64"))])
    result = check(registry, "forced", arches=["amd64", "arm64"])
    assert statuses(result, "config") == {
        "linux/amd64": CheckOutcome.OK,
        "linux/arm64": CheckOutcome.OK,
    }
    (problem,) = result.problems
    assert problem.startswith("linux/arm64 binary: /usr/local/bin/app is ELF 64-bit LSB x86-64")
    assert "exec format error" in problem and "GOARCH=arm64" in problem


def test_attestations_are_shown_not_counted(registry: FakeRegistry) -> None:
    amd64 = image(registry, "amd64")
    arm64 = image(registry, "arm64")
    attestation = registry.put_image(REPO, None, layers=[], architecture="unknown", os="unknown")
    annotations: list[dict[str, str] | None] = [
        None,
        None,
        {
            "vnd.docker.reference.type": "attestation-manifest",
            "vnd.docker.reference.digest": amd64["digest"],
        },
    ]
    entries = [
        (amd64, platform("amd64")),
        (arm64, platform("arm64")),
        (attestation, {"architecture": "unknown", "os": "unknown"}),
    ]
    registry.put_index(REPO, "att", entries, annotations=annotations)
    result = check(registry, "att", arches=["amd64", "arm64"])
    assert result.ok, result.problems
    assert result.present == ["linux/amd64", "linux/arm64"]
    assert result.attestations == 1
    assert (
        result.entries[2].kind == "attestation" and result.entries[2].platform == "unknown/unknown"
    )
    assert result.entries[2].checks[0].status == CheckOutcome.SKIPPED
    assert "+ 1 attestation(s)" in result.checks[0].message


@pytest.mark.parametrize(
    ("entry_variant", "goarm", "status", "text"),
    [
        ("v7", "7", CheckOutcome.OK, "GOARM=7 from the Go build info"),
        ("v7", "6", CheckOutcome.WARNING, "built for arm/v6"),
        ("v6", "7", CheckOutcome.FAIL, "crashes on v6 CPUs"),
        ("v7", "", CheckOutcome.WARNING, "the variant (v7) is not checked"),
    ],
)
def test_arm_variants(
    registry: FakeRegistry, entry_variant: str, goarm: str, status: CheckOutcome, text: str
) -> None:
    binary = fake_binary("arm", goarm, go=bool(goarm))
    arm = image(registry, "arm", entry_variant, binary=binary)
    registry.put_index(REPO, "arm", [(arm, platform("arm", entry_variant))])
    result = check(registry, "arm")
    (binary_check,) = [c for c in result.entries[0].checks if c.name == "binary"]
    assert binary_check.status == status
    assert text in binary_check.message


def test_arm_entry_without_variant(registry: FakeRegistry) -> None:
    arm = image(registry, "arm", "v7")
    registry.put_index(REPO, "arm", [(arm, platform("arm"))])
    result = check(registry, "arm", arches=["arm/v7"])
    assert result.ok and result.missing == []  # Docker reads arm as arm/v7
    assert any(
        "annotate --arch arm --variant v7" in line for line in result.findings(CheckOutcome.WARNING)
    )


def test_broken_lists(registry: FakeRegistry) -> None:
    amd64 = image(registry, "amd64")
    gone = dict(amd64, digest="sha256:" + "0" * 64)
    nested = registry.put_index(REPO, None, [(amd64, platform("amd64"))])
    entries = [
        (amd64, platform("amd64")),
        (amd64, platform("amd64")),
        (gone, platform("arm64")),
        (nested, platform("s390x")),
    ]
    registry.put_index(REPO, "broken", entries)
    result = check(registry, "broken", arches=["amd64", "arm64", "s390x"])
    problems = "\n".join(result.problems)
    assert "linux/amd64 is listed 2 times" in problems
    assert f"linux/arm64 manifest: sha256:{'0' * 64} is not in the registry" in problems
    assert "linux/s390x entry: a nested index" in problems


@pytest.mark.parametrize(
    ("config", "status", "text"),
    [
        (
            {"Entrypoint": ["/missing"]},
            CheckOutcome.FAIL,
            "Entrypoint[0] /missing is not in the image",
        ),
        ({}, CheckOutcome.WARNING, "no Entrypoint or Cmd"),
        (
            {"Cmd": ["app"], "Env": ["PATH=/usr/local/bin"]},
            CheckOutcome.OK,
            "/usr/local/bin/app is ELF",
        ),
        ({"Entrypoint": ["/etc/passwd"]}, CheckOutcome.FAIL, "not an ELF binary"),
    ],
)
def test_entrypoint_lookup(
    registry: FakeRegistry, config: dict[str, Any], status: CheckOutcome, text: str
) -> None:
    registry.put_index(REPO, "e", [(image(registry, "amd64", config=config), platform("amd64"))])
    result = check(registry, "e")
    (binary_check,) = [c for c in result.entries[0].checks if c.name == "binary"]
    assert binary_check.status == status and text in binary_check.message


def test_script_entrypoint_checks_its_interpreter(registry: FakeRegistry) -> None:
    layers = [
        tar_layer(symlink("bin", "usr/bin"), file("usr/bin/sh", fake_binary("arm64", go=False))),
        tar_layer(file("entry.sh", b"#!/bin/sh\nexec app\n")),
    ]
    entry = registry.put_image(
        REPO, None, layers=layers, architecture="arm64", config={"Entrypoint": ["/entry.sh"]}
    )
    registry.put_index(REPO, "sh", [(entry, platform("arm64"))])
    result = check(registry, "sh", arches=["arm64"])
    assert result.ok, result.problems
    assert result.entries[0].entrypoint == "/entry.sh (#!/bin/sh -> /usr/bin/sh)"
    assert result.entries[0].binary == "ELF 64-bit LSB AArch64"


def test_zstd_layers_are_read(registry: FakeRegistry) -> None:
    """BuildKit's compression=zstd: the entrypoint's ELF header is read from a zstd layer."""
    zstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    layers = [
        tar_layer(file("etc/passwd", b"root:x:0:0\n"), compress="zstd"),
        tar_layer(file("usr/local/bin/app", fake_binary("arm64")), compress="zstd"),
    ]
    entry = registry.put_image(
        REPO, None, layers=layers, architecture="arm64", config=ENTRYPOINT, layer_type=zstd
    )
    registry.put_index(REPO, "z", [(entry, platform("arm64"))])
    result = check(registry, "z", arches=["arm64"])
    assert result.ok, result.problems
    assert not result.findings(CheckOutcome.WARNING)
    assert result.entries[0].binary == "ELF 64-bit LSB AArch64, Go 1.19.8"


def test_unreadable_layer_is_a_warning(registry: FakeRegistry) -> None:
    """A layer that cannot be read (corrupt zstd) leaves the binary unchecked: a warning."""
    zstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    entry = image(registry, "amd64", layer_type=zstd)  # gzip'd: read by its magic bytes
    registry.put_index(REPO, "gz", [(entry, platform("amd64"))])
    assert check(registry, "gz", arches=["amd64"]).ok
    broken = b"\x28\xb5\x2f\xfd" + b"\x00\x38" + b"\xff" * 64
    entry = registry.put_image(REPO, None, layers=[broken], config=ENTRYPOINT, layer_type=zstd)
    registry.put_index(REPO, "z", [(entry, platform("amd64"))])
    result = check(registry, "z", arches=["amd64"])
    assert result.ok
    warning = result.findings(CheckOutcome.WARNING)[0]
    assert "not checked" in warning and "zstd decompress error" in warning, warning


def test_tag_not_found_raises(registry: FakeRegistry) -> None:
    good_list(registry)
    with pytest.raises(NotFoundError, match="tag not found"):
        check(registry, "9.9")


def test_bearer_registry_with_credentials(registry: FakeRegistry) -> None:
    registry.auth, registry.private = "bearer", True
    good_list(registry)
    client = RegistryClient(registry.host, insecure=True, credentials=creds, timeout=5)
    result = check(registry, arches=["amd64", "arm64", "arm/v7"], client=client)
    assert result.ok
    assert result.auth == "bearer token, credentials from the test"
    assert all(token for token in registry.tokens.values())
    assert USER and PASSWORD not in result.auth
