"""End-to-end: the 32-bit arches (386, arm/v6 next to arm/v7) on the docker-manifest path,
the docker-verify fallback without mkmultiarch, and attestations asked for but dropped.

One seed-line build of a copy of example-project/ with ARCHES="amd64 386 arm/v6 arm/v7" is
shared: its list is read back, verified deep (ELF per slot), run per arch, and checked by the
fallback (PATH without mkmultiarch), which must tell arm/v6 from arm/v7. A second, small
build runs with BUILDX_NO_DEFAULT_ATTESTATIONS=0 in the environment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import (
    DOCKER_MANIFEST,
    OCI_MANIFEST,
    PLAIN_PATH,
    CmdResult,
    E2EEnv,
    MakeProject,
    arch_suffix,
    check_list,
    copy_example,
    new_project,
    platform_string,
    registry_get_blob,
    registry_get_manifest,
    run_list_for_arch,
    unique_name,
    verify_lists,
)

pytestmark = pytest.mark.docker

ARCHES = ("amd64", "386", "arm/v6", "arm/v7")
SEED_TARGETS = ("clean", "docker-build", "docker-push")
ATTESTATIONS_NOTE = (
    "make: attestations dropped: docker manifest lists plain images (buildx keeps them)"
)


@dataclass
class Built:
    """The seed line's run and its project."""

    project: MakeProject
    result: CmdResult


@pytest.fixture(scope="module")
def built(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> Built:
    """``make VERSION=... clean docker-build docker-push`` with the four arches."""
    root = tmp_path_factory.mktemp("arm32")
    project = new_project(
        e2e_env,
        copy_example(root / "project"),
        root / "docker-config",
        local_repos,
        name="arm32",
        arches=ARCHES,
    )
    result = project.make(*SEED_TARGETS)
    if result.returncode != 0:
        pytest.fail(f"the four-arch build failed:\n{result.tail(60)}", pytrace=False)
    return Built(project, result)


# --- B. 386 and arm/v6 are built, pushed, read back and run ------------------------------


def test_lists_hold_each_slot_with_its_own_config(built: Built) -> None:
    """Both lists are exactly the four platforms; each entry is a plain image whose config
    names the entry's os/architecture/variant (v6 and v7 apart) and is its per-arch tag."""
    project = built.project
    assert "--arch arm --variant v6" in built.result.output, built.result.tail()
    assert "--arch arm --variant v7" in built.result.output, built.result.tail()
    for tag in project.list_tags:
        index = check_list(project.registry, project.img, tag, ARCHES)
        for entry in index["manifests"]:
            platform = entry["platform"]
            manifest, media_type = registry_get_manifest(
                project.registry, project.img, entry["digest"]
            )
            assert media_type in (DOCKER_MANIFEST, OCI_MANIFEST), f"{platform}: {media_type}"
            config = json.loads(
                registry_get_blob(project.registry, project.img, manifest["config"]["digest"])
            )
            assert config["os"] == platform["os"] == "linux"
            assert config["architecture"] == platform["architecture"]
            assert config.get("variant", "") == platform.get("variant", ""), platform
            arch = platform_string(platform).removeprefix("linux/")
            per_arch, _ = registry_get_manifest(
                project.registry, project.img, f"{arch_suffix(arch)}-{project.version}"
            )
            assert per_arch == manifest, f"{arch}: the list entry is not its per-arch tag"
    variants = {
        platform_string(entry["platform"]): entry["platform"].get("variant")
        for entry in check_list(project.registry, project.img, project.version, ARCHES)["manifests"]
    }
    assert variants["linux/arm/v6"] == "v6" and variants["linux/arm/v7"] == "v7", variants
    assert variants["linux/386"] is None and variants["linux/amd64"] is None, variants


def test_deep_verify_reads_each_binary(built: Built, e2e_env: E2EEnv) -> None:
    """``mkmultiarch verify --insecure`` passes on both lists, and its table shows a 386
    binary in the 386 slot and GOARM=6 / GOARM=7 binaries in the arm/v6 / arm/v7 slots."""
    go = e2e_env.go_version.removeprefix("go")  # the builder image's Go, e.g. 1.23.5
    expected = {
        "linux/amd64": f"ELF 64-bit LSB x86-64, Go {go}",
        "linux/386": f"ELF 32-bit LSB Intel 80386, Go {go}",
        "linux/arm/v6": f"ELF 32-bit LSB ARM EABI5, Go {go} GOARM=6",
        "linux/arm/v7": f"ELF 32-bit LSB ARM EABI5, Go {go} GOARM=7",
    }
    for result in verify_lists(built.project, ARCHES):
        for platform, binary in expected.items():
            line = next(line for line in result.stdout.splitlines() if line.startswith(platform))
            cells = [cell.strip() for cell in line.split("  ") if cell.strip()]
            assert cells[1:] == [platform, "/usr/local/bin/hello", binary, "ok"], result.stdout
        assert "is a manifest list of 4 platform(s)" in result.stdout, result.stdout


@pytest.mark.parametrize("arch", ARCHES)
def test_each_slot_runs(built: Built, arch: str) -> None:
    """Each platform of the list runs its own binary: ``linux/arm GOARM=6`` for arm/v6."""
    run_list_for_arch(built.project, "hello", arch)


# --- A. docker-verify's fallback compares whole platforms --------------------------------


def test_fallback_verify_passes_on_v6_and_v7(built: Built) -> None:
    """Without mkmultiarch on PATH, docker-verify checks both lists with docker manifest
    inspect alone and finds all four platforms."""
    plain = built.project.make("docker-verify", env={"PATH": PLAIN_PATH})
    assert plain.returncode == 0, plain.tail()
    assert "docker manifest inspect only" in plain.output, plain.tail()
    assert plain.output.count("ok: ") == 2, plain.tail()


def test_fallback_verify_tells_v6_from_v7(built: Built) -> None:
    """A pushed list with arm/v7 but no arm/v6 fails the fallback for ARCHES with arm/v6,
    naming linux/arm/v6 (an architecture-only check would see "arm" and pass)."""
    project = built.project
    tag = unique_name("no-v6")
    ref = project.list_ref(tag)
    present = [project.arch_ref(arch) for arch in ("amd64", "arm/v7")]
    for args in (
        ("manifest", "create", "--insecure", ref, *present),
        (
            "manifest",
            "annotate",
            ref,
            project.arch_ref("arm/v7"),
            "--arch",
            "arm",
            "--variant",
            "v7",
        ),
        ("manifest", "push", "--purge", "--insecure", ref),
    ):
        result = project.docker(*args)
        assert result.returncode == 0, result.tail()
    check_list(project.registry, project.img, tag, ("amd64", "arm/v7"))

    # docker-verify checks the lists VERSION (and latest): point VERSION at the new list.
    settings = {"VERSION": tag, "LATEST": "0"}
    plain = project.make(
        "docker-verify", env={"PATH": PLAIN_PATH}, overrides=settings, ARCHES="amd64 arm/v6 arm/v7"
    )
    assert plain.returncode != 0, plain.tail()
    assert f"make: {ref} has no linux/arm/v6 entry" in plain.output, plain.tail()
    ok = project.make(
        "docker-verify", env={"PATH": PLAIN_PATH}, overrides=settings, ARCHES="amd64 arm/v7"
    )
    assert ok.returncode == 0, ok.tail()
    assert f"ok: {ref} lists amd64 arm/v7" in ok.output, ok.tail()


# --- C. attestations asked for are dropped, and said to be --------------------------------


def test_asked_attestations_are_dropped(
    e2e_env: E2EEnv, tmp_path: Path, local_repos: set[str]
) -> None:
    """With BUILDX_NO_DEFAULT_ATTESTATIONS=0 in the environment, the seed line says it drops
    attestations and publishes lists of plain images: no entry is an index, every per-arch
    tag is an image manifest, and no unknown/unknown entry is there."""
    arches = ("amd64", "arm64")
    project = new_project(
        e2e_env,
        copy_example(tmp_path / "project"),
        tmp_path / "docker-config",
        local_repos,
        name="attest",
        arches=arches,
    )
    result = project.make(*SEED_TARGETS, env={"BUILDX_NO_DEFAULT_ATTESTATIONS": "0"})
    assert result.returncode == 0, result.tail(60)
    assert ATTESTATIONS_NOTE in result.output.splitlines(), result.tail()
    for tag in project.list_tags:
        index = check_list(project.registry, project.img, tag, arches)
        for entry in index["manifests"]:
            assert entry["mediaType"] in (DOCKER_MANIFEST, OCI_MANIFEST), entry
            _, media_type = registry_get_manifest(project.registry, project.img, entry["digest"])
            assert media_type in (DOCKER_MANIFEST, OCI_MANIFEST), (entry, media_type)
    for arch in arches:
        tag = f"{arch_suffix(arch)}-{project.version}"
        manifest, media_type = registry_get_manifest(project.registry, project.img, tag)
        assert media_type in (DOCKER_MANIFEST, OCI_MANIFEST), (tag, media_type)
        assert "manifests" not in manifest, tag
